/*
 * The simulator's engine: a binary heap of timed events (packet arrivals
 * and session timers) on a virtual clock, driving the real server and
 * client sessions from src/core. Multicast packets are shared, reference
 * counted buffers; each client's copy is dropped, delayed, duplicated or
 * queued by its own link model. A client checks each packet's payload
 * against the source the first time that payload is written at a given
 * offset (the bytes are shared, so one check covers every client that
 * writes the same packet at the same place).
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/client.h"
#include "core/msg.h"
#include "crypto/crypto.h"
#include "crypto/ops.h"

/* ---------- randomness ---------- */

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

struct rng {
    uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
    r->s += 0x9e3779b97f4a7c15ull;
    return mix64(r->s);
}

static double rnd01(struct rng *r)
{
    return (double)(rnd(r) >> 11) / 9007199254740992.0;
}

uint8_t sim_content(uint64_t seed, uint32_t f, uint64_t off)
{
    uint64_t w = mix64(seed ^ ((uint64_t)f << 48) ^ (off >> 3));
    return (uint8_t)(w >> (8 * (off & 7)));
}

/* ---------- packets and events ---------- */

struct pkt {
    uint32_t refs;
    uint32_t len;
    /* payload check cache: this packet's data verified for (file, off) */
    int32_t checked_file;
    uint64_t checked_off;
    bool checked_ok;
    uint8_t data[];
};

enum ev_kind { EV_DELIVER, EV_TIMER, EV_MCAST, EV_TCP_ACK, EV_TCP_LOSS, EV_TCP_START };

struct event {
    uint64_t t, seq;
    uint32_t node; /* 0 = server, i = client i, then the proxies */
    uint32_t src;  /* EV_DELIVER: the sending node */
    uint8_t kind;
    struct pkt *pkt;
    uint32_t *targets; /* EV_MCAST: the clients that get this packet now */
    uint32_t n_targets;
};

struct heap {
    struct event *v;
    size_t n, cap;
};

static bool ev_less(const struct event *a, const struct event *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int heap_push(struct heap *h, struct event e)
{
    size_t i;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 1024;
        struct event *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return -1;
        h->v = v;
        h->cap = cap;
    }
    i = h->n++;
    while (i > 0 && ev_less(&e, &h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = e;
    return 0;
}

static struct event heap_pop(struct heap *h)
{
    struct event top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < h->n && ev_less(&h->v[l], &last))
            m = l;
        if (l + 1 < h->n && ev_less(&h->v[l + 1], m == i ? &last : &h->v[m]))
            m = l + 1;
        if (m == i)
            break;
        h->v[i] = h->v[m];
        i = m;
    }
    h->v[i] = last;
    return top;
}

/* ---------- the world ---------- */

struct cfile {
    bool committed;
    uint64_t bytes;
};

struct node {
    struct uft_client *client; /* NULL for the server and the proxies */
    struct uft_proxy *proxy;   /* a proxy's node */
    uint32_t cseg;             /* a client behind client proxy k: k + 1 */
    struct sim_link link;
    bool ge_bad, joined, ended_ok, ended_bad, down;
    uint64_t busy_until; /* downlink serialization */
    uint64_t sched;      /* pending timer event, UINT64_MAX = none */
    struct cfile *files;
    uint64_t mismatches;
    uint32_t server_files_ok, server_rejected;
    bool server_failed;
};

/* SIM_TRACE=DIR: record what client 1 and the server receive, in the
 * fuzz_*_session input format (time step in 10 ms, length, datagram),
 * up to 64 KB each, as seeds for those fuzz targets. */
struct trace {
    FILE *f;
    uint64_t last;
    size_t bytes;
};

struct world {
    struct trace tr_client, tr_server;
    const struct sim_cfg *cfg;
    struct rng rng;
    struct heap heap;
    uint64_t seq, now;
    struct uft_server *server;
    struct node *nodes;  /* [0] server, [1..n] clients, then the proxies */
    size_t n_nodes;      /* the server and the clients */
    size_t n_all;        /* with the proxies */
    struct pkt *current; /* the packet being fed, for the payload cache */
    bool uniform;        /* every client link is plain delay + loss */
    /* the shared bottleneck and the TCP flow through it */
    uint64_t bn_busy;
    uint64_t nic_free; /* when the server's uplink can take the next packet */
    struct {
        double cwnd, ssthresh;
        uint32_t inflight;
        uint64_t last_loss;
        bool on;
    } tcp;
    uint32_t n_regular;
    struct sim_result *res;
    /* encrypted runs: src/crypto, a signing key per node ([0] the
     * server's) and the fingerprints the server lists, 20 bytes per client */
    const struct uft_crypto_ops *crypto;
    void **keys;
    uint8_t *fps;
    /* the real proxies: each client's server list entry and proxy entry */
    struct uft_server_entry *sentries;
    struct uft_proxy_entry *pentries;
    uint32_t *proxy_ids;
    uint8_t *proxy_fps;
};

static void trace(struct trace *t, uint64_t now, const struct pkt *p)
{
    uint64_t step = (now - t->last) / 10000000;
    uint8_t h[3];
    if (!t->f || t->bytes + p->len + 3 > 65536)
        return;
    h[0] = (uint8_t)(step > 255 ? 255 : step);
    h[1] = (uint8_t)(p->len >> 8);
    h[2] = (uint8_t)p->len;
    fwrite(h, 1, 3, t->f);
    fwrite(p->data, 1, p->len, t->f);
    t->bytes += p->len + 3;
    t->last = now;
}

static struct pkt *pkt_new(const uint8_t *buf, size_t len)
{
    struct pkt *p = malloc(sizeof *p + len);
    if (!p)
        abort();
    p->refs = 0;
    p->len = (uint32_t)len;
    p->checked_file = -1;
    p->checked_off = 0;
    p->checked_ok = false;
    memcpy(p->data, buf, len);
    return p;
}

static void pkt_unref(struct pkt *p)
{
    if (--p->refs == 0)
        free(p);
}

static void schedule_src(struct world *w, uint64_t t, uint32_t node, uint8_t kind, struct pkt *p,
                         uint32_t src)
{
    struct event e = {t, w->seq++, node, src, kind, p, NULL, 0};
    if (p)
        p->refs++;
    if (heap_push(&w->heap, e) != 0)
        abort();
    if (w->heap.n > w->res->max_queue)
        w->res->max_queue = w->heap.n;
}

static void schedule(struct world *w, uint64_t t, uint32_t node, uint8_t kind, struct pkt *p)
{
    schedule_src(w, t, node, kind, p, 0);
}

/* The node is gone (its link's down_at_ns has passed). */
static bool node_down(struct world *w, struct node *n)
{
    if (n->link.down_at_ns && w->now >= n->link.down_at_ns)
        n->down = true;
    return n->down;
}

/* Does this packet survive the client's link? Updates burst state. */
static bool link_passes(struct world *w, struct node *n)
{
    const struct sim_link *l = &n->link;
    double p = l->loss;
    if (node_down(w, n))
        return false;
    if (l->ge_p > 0) {
        if (n->ge_bad ? rnd01(&w->rng) < l->ge_r : rnd01(&w->rng) < l->ge_p)
            n->ge_bad = !n->ge_bad;
        if (n->ge_bad)
            p = l->ge_loss_bad;
    }
    return !(p > 0 && rnd01(&w->rng) < p);
}

/* To node over its own link, from src. */
static void send_down_src(struct world *w, uint32_t node, struct pkt *p, uint32_t src)
{
    struct node *n = &w->nodes[node];
    const struct sim_link *l = &n->link;
    uint64_t t = w->now, copies = 1, k;
    if (!link_passes(w, n))
        return;
    if (l->dup > 0 && rnd01(&w->rng) < l->dup)
        copies = 2;
    if (l->rate_bps) {
        uint64_t tx = (uint64_t)p->len * 1000000000ull / l->rate_bps;
        uint64_t start = n->busy_until > t ? n->busy_until : t;
        if (l->queue_pkts && (start - t) > tx * l->queue_pkts)
            return; /* tail drop: the queue is full */
        n->busy_until = start + tx;
        t = n->busy_until;
    }
    for (k = 0; k < copies; k++) {
        uint64_t j = l->jitter_ns ? rnd(&w->rng) % l->jitter_ns : 0;
        schedule_src(w, t + l->delay_ns + j, node, EV_DELIVER, p, src);
    }
}

static void send_down(struct world *w, uint32_t node, struct pkt *p)
{
    send_down_src(w, node, p, 0);
}

/* From node over its own link to node to (the server or a proxy). */
static void send_up(struct world *w, uint32_t from, struct pkt *p, uint32_t to)
{
    struct node *n = &w->nodes[from];
    uint64_t j;
    if (!link_passes(w, n))
        return;
    j = n->link.jitter_ns ? rnd(&w->rng) % n->link.jitter_ns : 0;
    schedule_src(w, w->now + n->link.delay_ns + j, to, EV_DELIVER, p, from);
}

/* The shared bottleneck: a FIFO at bottleneck_bps with a queue limit.
 * Returns the time the packet leaves it, or 0 when it is dropped. */
static uint64_t bottleneck(struct world *w, uint32_t len, bool is_tcp)
{
    const struct sim_cfg *c = w->cfg;
    uint64_t bps = c->bottleneck2_at_ns && w->now >= c->bottleneck2_at_ns ? c->bottleneck2_bps
                                                                          : c->bottleneck_bps;
    uint64_t tx = (uint64_t)len * 1000000000ull / bps,
             start = w->bn_busy > w->now ? w->bn_busy : w->now;
    size_t now_slot = (size_t)(w->now / 100000000ull);
    if (!is_tcp && now_slot < sizeof w->res->bn_offer_trace / sizeof w->res->bn_offer_trace[0])
        w->res->bn_offer_trace[now_slot] += len;
    if (c->bottleneck_queue) {
        /* RED: beyond half the queue, drop with a probability rising to
         * 10% at the limit, so that a flow's place in the ACK-clocked
         * rhythm of another does not decide who loses (pure tail drop in a
         * jitter-free simulation is all phase effects) */
        /* the backlog in full-size (1500-byte) packets, whatever this one's size */
        double mtu_ns = 1500.0 * 1e9 / (double)bps;
        double q = (double)(start - w->now) / mtu_ns, half = (double)c->bottleneck_queue / 2;
        if (q > (double)c->bottleneck_queue ||
            (q > half && rnd01(&w->rng) < 0.1 * (q - half) / half)) {
            if (!is_tcp)
                w->res->bn_mcast_drops++;
            return 0;
        }
    }
    if (!is_tcp)
        w->res->bn_mcast_sent++;
    w->bn_busy = start + tx;
    if (!c->tcp_flow || w->now >= c->tcp_start_ns) {
        if (is_tcp)
            w->res->bn_tcp_bytes += len;
        else
            w->res->bn_mcast_bytes += len;
    }
    if (!is_tcp) {
        size_t slot = (size_t)(w->bn_busy / 100000000ull);
        if (slot < sizeof w->res->bn_rate_trace / sizeof w->res->bn_rate_trace[0]) {
            w->res->bn_rate_trace[slot] += len;
            if (slot + 1 > w->res->bn_trace_n)
                w->res->bn_trace_n = slot + 1;
        }
    }
    return w->bn_busy;
}

/* A TCP-like flow: additive increase, multiplicative decrease at most
 * once per round trip, 1448-byte segments; losses are seen a round trip
 * after the drop. It exists to compete with the multicast sender. */
#define TCP_SEG 1500

static void tcp_send(struct world *w)
{
    uint64_t rtt = 2 * w->cfg->link.delay_ns;
    while (w->tcp.on && w->tcp.inflight < (uint32_t)w->tcp.cwnd) {
        uint64_t out = bottleneck(w, TCP_SEG, true);
        w->tcp.inflight++;
        if (out)
            schedule(w, out + rtt, 0, EV_TCP_ACK, NULL);
        else
            schedule(w, w->now + rtt, 0, EV_TCP_LOSS, NULL);
    }
}

static void tcp_event(struct world *w, uint8_t kind)
{
    w->tcp.inflight--;
    if (kind == EV_TCP_ACK) {
        w->tcp.cwnd += w->tcp.cwnd < w->tcp.ssthresh ? 1.0 : 1.0 / w->tcp.cwnd;
    } else if (w->now - w->tcp.last_loss > 2 * w->cfg->link.delay_ns) {
        w->tcp.cwnd = w->tcp.cwnd / 2 < 1 ? 1 : w->tcp.cwnd / 2;
        w->tcp.ssthresh = w->tcp.cwnd;
        w->tcp.last_loss = w->now;
    }
    tcp_send(w);
}

/* Every client has the same plain link (delay and loss only): one event
 * carries the packet to all the clients that did not lose it. */
static void send_mcast_uniform(struct world *w, struct pkt *p, bool public_addr)
{
    struct event e;
    size_t i;
    uint32_t n = 0, *t = malloc((w->n_nodes) * sizeof *t);
    if (!t)
        abort();
    for (i = 1; i < w->n_nodes; i++)
        if ((public_addr || w->nodes[i].joined) && !w->nodes[i].cseg &&
            link_passes(w, &w->nodes[i]))
            t[n++] = (uint32_t)i;
    if (n == 0) {
        free(t);
        return;
    }
    memset(&e, 0, sizeof e);
    e.t = w->now + w->cfg->link.delay_ns;
    if (w->cfg->bottleneck_bps) {
        uint64_t out = bottleneck(w, p->len + 28, false);
        if (!out) {
            free(t);
            return; /* dropped at the bottleneck: nobody gets it */
        }
        e.t = out + w->cfg->link.delay_ns;
    }
    e.seq = w->seq++;
    e.kind = EV_MCAST;
    e.pkt = p;
    e.targets = t;
    e.n_targets = n;
    p->refs++;
    if (heap_push(&w->heap, e) != 0)
        abort();
}

static struct uft_peer peer_of(uint32_t node)
{
    struct uft_peer pe;
    memset(&pe, 0, sizeof pe);
    pe.len = 4;
    memcpy(pe.bytes, &node, 4);
    return pe;
}

static uint32_t node_of(const struct uft_peer *pe)
{
    uint32_t node;
    memcpy(&node, pe->bytes, 4);
    return node;
}

/* ---------- callbacks: server ---------- */

static void fill_content(uint64_t seed, uint32_t f, uint64_t off, uint8_t *buf, size_t len);

static int srv_read(void *ctx, void *handle, uint64_t off, uint8_t *buf, size_t len)
{
    struct world *w = ctx;
    uint32_t f = (uint32_t)((uintptr_t)handle - 1);
    fill_content(w->cfg->seed, f, off, buf, len);
    return 0;
}

static void srv_event(void *ctx, const struct uft_event *ev)
{
    struct world *w = ctx;
    struct node *n = NULL;
    size_t i;
    if (ev->type == UFT_EV_LOG) {
        if (w->cfg->verbose > 1 || (w->cfg->verbose && ev->level <= 1))
            fprintf(stderr, "[%.3f] server: %s\n", (double)w->now / 1e9, ev->text);
        return;
    }
    if (ev->type == UFT_EV_PASS && w->cfg->verbose)
        fprintf(stderr, "[%.3f] server: file %u pass %llu\n", (double)w->now / 1e9, ev->file_id,
                (unsigned long long)ev->count);
    if (ev->type == UFT_EV_FILE_START && w->cfg->verbose)
        fprintf(stderr, "[%.3f] server: file %u start %s\n", (double)w->now / 1e9, ev->file_id,
                ev->text);
    if (ev->type != UFT_EV_FILE_RESULT && ev->type != UFT_EV_CLIENT_LOST &&
        ev->type != UFT_EV_CLIENT_ABORT)
        return;
    /* clients are numbered from 1 so their ID is their node number */
    i = ev->client_id;
    if (i >= 1 && i < w->n_nodes)
        n = &w->nodes[i];
    if (!n)
        return;
    if (ev->type == UFT_EV_FILE_RESULT && ev->status == UFT_COMP_REJECTED)
        n->server_rejected++;
    else if (ev->type == UFT_EV_FILE_RESULT)
        n->server_files_ok++;
    else
        n->server_failed = true;
}

static void prx_event(void *ctx, const struct uft_event *ev)
{
    struct world *w = ctx;
    if (ev->type == UFT_EV_LOG && (w->cfg->verbose > 1 || (w->cfg->verbose && ev->level <= 1)))
        fprintf(stderr, "[%.3f] proxy: %s\n", (double)w->now / 1e9, ev->text);
}

/* ---------- callbacks: client storage ---------- */

struct ccb {
    struct world *w;
    uint32_t node;
};

static int find_file(const struct sim_cfg *cfg, const char *name)
{
    size_t i;
    for (i = 0; i < cfg->n_files; i++)
        if (strcmp(cfg->files[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int cl_begin(void *ctx, const struct uft_rx_file *f, void **handle, uint64_t *free_bytes)
{
    struct ccb *cb = ctx;
    int idx = find_file(cb->w->cfg, f->name);
    if (idx < 0)
        return UFT_COMP_REJECTED;
    *free_bytes = 1ull << 40;
    if (f->ftype != UFT_FTYPE_REG) {
        cb->w->nodes[cb->node].files[idx].committed = true;
        return UFT_COMP_NORMAL;
    }
    cb->w->nodes[cb->node].files[idx].bytes = 0;
    *handle = (void *)(uintptr_t)(idx + 1);
    return UFT_COMP_NORMAL;
}

/* data equals the source at off: sim_content() a word at a time, as
 * every client of an encrypted run checks its own decrypted copy */
static bool content_equal(uint64_t seed, uint32_t f, uint64_t off, const uint8_t *data, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint64_t o = off + i, word = mix64(seed ^ ((uint64_t)f << 48) ^ (o >> 3));
        unsigned b;
        for (b = (unsigned)(o & 7); b < 8 && i < len; b++, i++)
            if (data[i] != (uint8_t)(word >> (8 * b)))
                return false;
    }
    return true;
}

static bool payload_ok(struct world *w, uint32_t f, uint64_t off, const uint8_t *data, size_t len)
{
    struct pkt *p = w->current;
    bool shared = p && data >= p->data && data + len <= p->data + p->len;
    bool ok;
    if (shared && p->checked_file == (int32_t)f && p->checked_off == off)
        return p->checked_ok;
    ok = content_equal(w->cfg->seed, f, off, data, len);
    if (shared) {
        p->checked_file = (int32_t)f;
        p->checked_off = off;
        p->checked_ok = ok;
    }
    return ok;
}

static int cl_write(void *ctx, void *handle, uint64_t off, const uint8_t *data, size_t len)
{
    struct ccb *cb = ctx;
    uint32_t f = (uint32_t)((uintptr_t)handle - 1);
    struct node *n = &cb->w->nodes[cb->node];
    if (!payload_ok(cb->w, f, off, data, len))
        n->mismatches++;
    n->files[f].bytes += len;
    return 0;
}

/* Read back what was stored: the source bytes, a word of sim_content at
 * a time (every stored byte was checked against them on its way in);
 * whole words are stored least significant byte first, as sim_content
 * numbers them. FEC decoding reads every group back, so this is hot. */
static void fill_content(uint64_t seed, uint32_t f, uint64_t off, uint8_t *buf, size_t len)
{
    uint64_t key = seed ^ ((uint64_t)f << 48);
    size_t i = 0;
    while (i < len && ((off + i) & 7)) {
        buf[i] = (uint8_t)(mix64(key ^ ((off + i) >> 3)) >> (8 * ((off + i) & 7)));
        i++;
    }
    for (; i + 8 <= len; i += 8) {
        uint64_t word = mix64(key ^ ((off + i) >> 3));
        unsigned b;
        for (b = 0; b < 8; b++)
            buf[i + b] = (uint8_t)(word >> (8 * b));
    }
    for (; i < len; i++)
        buf[i] = (uint8_t)(mix64(key ^ ((off + i) >> 3)) >> (8 * ((off + i) & 7)));
}

static int cl_read(void *ctx, void *handle, uint64_t off, uint8_t *buf, size_t len)
{
    struct ccb *cb = ctx;
    uint32_t f = (uint32_t)((uintptr_t)handle - 1);
    fill_content(cb->w->cfg->seed, f, off, buf, len);
    if (cb->node == cb->w->cfg->corrupt_client && off == 0 && len > 0)
        buf[0] ^= 0x40; /* a byte changed on this client's disk */
    return 0;
}

static void cl_have(void *ctx, void *handle, uint32_t block_len, uint32_t blocks, uint8_t *have)
{
    struct ccb *cb = ctx;
    uint32_t f = (uint32_t)((uintptr_t)handle - 1), b, n;
    uint64_t size = cb->w->cfg->files[f].size;
    n = (uint32_t)((double)blocks * cb->w->cfg->preload);
    for (b = 0; b < n; b++) {
        uint64_t len =
            (uint64_t)(b + 1) * block_len > size ? size - (uint64_t)b * block_len : block_len;
        have[b >> 3] = (uint8_t)(have[b >> 3] | (1u << (b & 7)));
        cb->w->nodes[cb->node].files[f].bytes += len; /* as if written before */
    }
}

static int cl_end(void *ctx, void *handle, bool commit)
{
    struct ccb *cb = ctx;
    uint32_t f = (uint32_t)((uintptr_t)handle - 1);
    if (commit)
        cb->w->nodes[cb->node].files[f].committed = true;
    return 0;
}

static void cl_event(void *ctx, const struct uft_event *ev)
{
    struct ccb *cb = ctx;
    struct node *n = &cb->w->nodes[cb->node];
    switch (ev->type) {
    case UFT_EV_JOIN:
        n->joined = true;
        break;
    case UFT_EV_LEAVE:
        n->joined = false;
        break;
    case UFT_EV_SESSION_END:
        if (ev->status == 0)
            n->ended_ok = true;
        else
            n->ended_bad = true;
        if (cb->w->cfg->verbose && ev->status)
            fprintf(stderr, "[%.3f] client %u: session failed: %s\n", (double)cb->w->now / 1e9,
                    cb->node, ev->text ? ev->text : "");
        break;
    case UFT_EV_LOG:
        if (cb->w->cfg->verbose > 2)
            fprintf(stderr, "[%.3f] client %u: %s\n", (double)cb->w->now / 1e9, cb->node, ev->text);
        break;
    default:
        break;
    }
}

/* ---------- keys for encrypted runs ---------- */

/* A key's fingerprint as the server lists it: SHA-1 of its public blob. */
static int key_fp(const struct uft_crypto_ops *ops, const void *key, uint8_t *fp)
{
    uint8_t blob[1024];
    size_t len;
    int rc = ops->signkey_blob(key, blob, sizeof blob, &len);
    return rc ? rc : ops->hash(UFT_HASH_SHA1, blob, len, fp);
}

/* A signing key for the server and for every client, and the clients'
 * fingerprints; the impostor's entry names a key it never holds. */
static int make_keys(struct world *w, const struct sim_cfg *cfg)
{
    const struct uft_crypto_ops *ops = uft_crypto_ops();
    uint8_t curve = cfg->sign_curve ? cfg->sign_curve : UFT_CURVE_P256;
    void *other = NULL;
    size_t i;
    int rc = 0;
    w->crypto = ops;
    w->keys = calloc(w->n_all, sizeof *w->keys);
    w->fps = calloc(w->n_all, 20);
    if (!w->keys || !w->fps || cfg->impostor > cfg->n_clients)
        return -1;
    for (i = 0; i < w->n_all && rc == 0; i++) {
        rc = ops->signkey_new_ec(curve, &w->keys[i]);
        if (rc == 0 && i > 0)
            rc = key_fp(ops, w->keys[i], w->fps + 20 * (i - 1));
    }
    if (rc == 0 && cfg->impostor && (rc = ops->signkey_new_ec(curve, &other)) == 0) {
        rc = key_fp(ops, other, w->fps + 20 * (cfg->impostor - 1));
        ops->signkey_free(other);
    }
    return rc ? -1 : 0;
}

static void free_keys(struct world *w)
{
    size_t i;
    for (i = 0; w->keys && i < w->n_all; i++)
        if (w->keys[i])
            w->crypto->signkey_free(w->keys[i]);
    free(w->keys);
    free(w->fps);
}

/* ---------- driving the sessions ---------- */

static void arm_timer(struct world *w, uint32_t node, uint64_t deadline)
{
    struct node *n = &w->nodes[node];
    if (deadline == UFT_NEVER)
        return;
    if (deadline <= w->now)
        deadline = w->now + 1; /* a session that owes nothing now: next tick */
    if (deadline < n->sched) {
        n->sched = deadline;
        schedule(w, deadline, node, EV_TIMER, NULL);
    }
}

static void run_server(struct world *w)
{
    static uint8_t buf[10000];
    struct uft_tx tx;
    ssize_t len;
    while ((len = uft_server_pull(w->server, w->now, buf, sizeof buf, &tx)) > 0) {
        struct pkt *p = pkt_new(buf, (size_t)len);
        if (w->cfg->server_nic_bps) {
            if (w->nic_free < w->now)
                w->nic_free = w->now;
            w->nic_free += (uint64_t)len * 1000000000ull / w->cfg->server_nic_bps;
        }
        p->refs++; /* hold it while fanning out */
        if (tx.dst == UFT_DST_PEER) {
            uint32_t node = node_of(&tx.peer);
            if (node >= 1 && node < w->n_all)
                send_down(w, node, p);
        } else {
            size_t i;
            if (w->uniform) {
                send_mcast_uniform(w, p, tx.dst == UFT_DST_PUBLIC);
            } else {
                for (i = 1; i < w->n_nodes; i++)
                    if ((tx.dst == UFT_DST_PUBLIC || w->nodes[i].joined) && !w->nodes[i].cseg)
                        send_down(w, (uint32_t)i, p);
            }
            /* the proxies hear both of the server's groups */
            for (i = w->n_nodes; i < w->n_all; i++)
                send_down(w, (uint32_t)i, p);
        }
        pkt_unref(p);
        if (w->nic_free > w->now) {
            arm_timer(w, 0, w->nic_free); /* the uplink is busy until then */
            return;
        }
    }
    arm_timer(w, 0, uft_server_deadline(w->server));
}

static void run_client(struct world *w, uint32_t node)
{
    static uint8_t buf[10000];
    struct node *n = &w->nodes[node];
    struct uft_tx tx;
    ssize_t len;
    while ((len = uft_client_pull(n->client, w->now, buf, sizeof buf, &tx)) > 0) {
        struct pkt *p = pkt_new(buf, (size_t)len);
        p->refs++;
        w->res->client_packets++;
        if (tx.dst == UFT_DST_PEER && (node_of(&tx.peer) == 0 || (node_of(&tx.peer) >= w->n_nodes &&
                                                                  node_of(&tx.peer) < w->n_all)))
            send_up(w, node, p, node_of(&tx.peer));
        pkt_unref(p);
    }
    arm_timer(w, node, uft_client_deadline(n->client));
}

/* A real proxy's datagrams: to a peer (the server, a client), or its
 * multicast to the clients it reaches: a client proxy's own segment, a
 * response proxy's every client outside a segment. Nothing leaves a
 * proxy that is down. */
static void run_proxy(struct world *w, uint32_t node)
{
    static uint8_t buf[10000];
    struct node *n = &w->nodes[node];
    struct uft_tx tx;
    ssize_t len;
    uint32_t seg = (uint32_t)(node - w->n_nodes) + 1;
    while ((len = uft_proxy_pull(n->proxy, w->now, buf, sizeof buf, &tx)) > 0) {
        struct pkt *p;
        size_t i;
        if (node_down(w, n))
            continue;
        p = pkt_new(buf, (size_t)len);
        p->refs++;
        if (tx.dst == UFT_DST_PEER) {
            uint32_t to = node_of(&tx.peer);
            if (to == 0 || (to >= w->n_nodes && to < w->n_all))
                send_up(w, node, p, to);
            else if (to < w->n_nodes)
                send_down_src(w, to, p, node);
        } else if (tx.dst == UFT_DST_GROUP) {
            bool client_kind = w->cfg->proxy_kind == UFT_PROXY_CLIENT;
            for (i = 1; i < w->n_nodes; i++)
                if (client_kind ? w->nodes[i].cseg == seg : !w->nodes[i].cseg)
                    send_down_src(w, (uint32_t)i, p, node);
        }
        pkt_unref(p);
    }
    arm_timer(w, node, uft_proxy_deadline(n->proxy));
}

static void handle_mcast(struct world *w, struct event *e)
{
    struct uft_peer from = peer_of(0);
    uint32_t i;
    w->current = e->pkt;
    for (i = 0; i < e->n_targets; i++) {
        struct node *n = &w->nodes[e->targets[i]];
        if (e->targets[i] == 1)
            trace(&w->tr_client, w->now, e->pkt);
        if (!n->down)
            uft_client_feed(n->client, w->now, e->pkt->data, e->pkt->len, &from);
    }
    w->current = NULL;
    for (i = 0; i < e->n_targets; i++)
        run_client(w, e->targets[i]);
    free(e->targets);
    pkt_unref(e->pkt);
}

/* The response proxy of cfg.proxy_id: a datagram from client node
 * rewritten as the proxy's message for it (tests/sim/sim.h), held once;
 * NULL: deliver it unchanged. */
static struct pkt *via_proxy(struct world *w, const struct pkt *p, uint32_t node)
{
    static uint8_t naks[8800], out[10000];
    struct pkt *q;
    uint8_t id[4];
    struct uft_msg m;
    ssize_t n;
    if (!w->cfg->proxy_id || node < 2 || uft_msg_decode(p->data, p->len, &m) != 0)
        return NULL;
    uft_put_u32(id, m.hdr.src_id);
    switch (m.hdr.func) {
    case UFT_REGISTER:
        m.u.reg.ids = (struct uft_ids){id, 1};
        break;
    case UFT_FILEINFO_ACK:
        m.u.fileinfo_ack.ids = (struct uft_ids){id, 1};
        break;
    case UFT_COMPLETE:
        m.u.complete.ids = (struct uft_ids){id, 1};
        break;
    case UFT_STATUS: /* a proxy's bitmap is a whole block long */
        memset(naks, 0, w->cfg->server.block_len);
        memcpy(naks, m.u.status.naks.p, m.u.status.naks.len);
        m.u.status.naks = (struct uft_bytes){naks, w->cfg->server.block_len};
        break;
    case UFT_ABORT:
        m.u.abort.host = m.hdr.src_id;
        break;
    default:
        return NULL;
    }
    m.hdr.src_id = w->cfg->proxy_id;
    n = uft_msg_encode(&m, out, sizeof out);
    if (n <= 0)
        return NULL;
    q = pkt_new(out, (size_t)n);
    q->refs++;
    return q;
}

static void handle(struct world *w, struct event *e)
{
    struct node *n = &w->nodes[e->node];
    if (e->kind == EV_MCAST) {
        handle_mcast(w, e);
        return;
    }
    if (e->kind == EV_TCP_START) {
        w->tcp.on = true;
        w->tcp.cwnd = 2;
        w->tcp.ssthresh = 1e9;
        tcp_send(w);
        return;
    }
    if (e->kind == EV_TCP_ACK || e->kind == EV_TCP_LOSS) {
        tcp_event(w, e->kind);
        return;
    }
    if (e->kind == EV_TIMER) {
        if (e->t != n->sched)
            return; /* superseded by an earlier timer */
        n->sched = UINT64_MAX;
    } else {
        struct uft_peer from = peer_of(e->src);
        w->current = e->pkt;
        if (e->node >= w->n_nodes) {
            if (!node_down(w, n))
                uft_proxy_feed(n->proxy, w->now, e->pkt->data, e->pkt->len, &from);
        } else if (e->node == 0) {
            struct pkt *relayed, *fed;
            if (e->src >= w->n_nodes)
                w->res->server_rx_proxies++;
            else
                w->res->server_rx_clients++;
            relayed = via_proxy(w, e->pkt, node_of(&from));
            fed = relayed ? relayed : e->pkt;
            if (node_of(&from) <= 3)
                trace(&w->tr_server, w->now, fed);
            {
                size_t slot = (size_t)(w->now / 100000000ull);
                if (slot < sizeof w->res->rx_trace / sizeof w->res->rx_trace[0]) {
                    w->res->rx_trace[slot]++;
                    if (fed->len > 1 && fed->data[1] == UFT_CC_ACK)
                        w->res->fb_trace[slot]++;
                }
            }
            uft_server_feed(w->server, w->now, fed->data, fed->len, &from);
            if (relayed)
                pkt_unref(relayed);
        } else if (!n->down) {
            if (e->node == 1)
                trace(&w->tr_client, w->now, e->pkt);
            uft_client_feed(n->client, w->now, e->pkt->data, e->pkt->len, &from);
        }
        w->current = NULL;
        pkt_unref(e->pkt);
    }
    if (e->node == 0)
        run_server(w);
    else if (e->node >= w->n_nodes)
        run_proxy(w, e->node);
    else
        run_client(w, e->node);
}

static bool all_clients_idle(const struct world *w)
{
    size_t i;
    for (i = 1; i < w->n_nodes; i++) {
        struct uft_client_stats st;
        uft_client_stats(w->nodes[i].client, &st);
        if (st.sessions)
            return false;
    }
    return true;
}

/* ---------- a run ---------- */

static int setup(struct world *w, const struct sim_cfg *cfg, struct ccb **cbs, uint32_t **ids,
                 struct uft_server_file **files)
{
    struct uft_server_ops sops = {.ctx = w, .event = srv_event, .read = srv_read};
    struct uft_server_cfg scfg = cfg->server;
    size_t i;
    w->n_nodes = cfg->n_clients + 1;
    w->n_all = w->n_nodes + cfg->n_proxies;
    /* only encrypted runs pay for keys */
    if (cfg->server.keytype && make_keys(w, cfg) != 0)
        return -1;
    sops.crypto = w->crypto;
    if (cfg->hash) {
        sops.hash_new = uft_crypto_sha256_new;
        sops.hash_update = uft_crypto_sha256_update;
        sops.hash_final = uft_crypto_sha256_final;
    }
    w->uniform = !cfg->links && !cfg->link.rate_bps && !cfg->link.jitter_ns && cfg->link.dup == 0 &&
                 !cfg->link.down_at_ns;
    w->nodes = calloc(w->n_all, sizeof *w->nodes);
    w->sentries = calloc(w->n_nodes, sizeof *w->sentries);
    w->pentries = calloc(w->n_nodes, sizeof *w->pentries);
    w->proxy_ids = calloc(cfg->n_proxies + 1, sizeof *w->proxy_ids);
    *cbs = calloc(w->n_nodes, sizeof **cbs);
    *ids = calloc(cfg->n_clients + 1, sizeof **ids);
    *files = calloc(cfg->n_files + 1, sizeof **files);
    if (!w->nodes || !w->sentries || !w->pentries || !w->proxy_ids || !*cbs || !*ids || !*files)
        return -1;
    for (i = w->n_nodes; i < w->n_all; i++) {
        struct node *n = &w->nodes[i];
        struct uft_proxy_cfg pcfg;
        struct uft_proxy_ops pops = {w, prx_event, w->crypto};
        memset(&pcfg, 0, sizeof pcfg);
        pcfg.kind = cfg->proxy_kind;
        pcfg.proxy_id = (uint32_t)i;
        pcfg.signkey = w->keys ? w->keys[i] : NULL;
        n->sched = UINT64_MAX;
        n->link = cfg->proxy_link;
        if (i == w->n_nodes && cfg->proxy_down_ns)
            n->link.down_at_ns = cfg->proxy_down_ns;
        w->proxy_ids[i - w->n_nodes] = (uint32_t)i;
        if (uft_proxy_create(&pcfg, &pops, 0, &n->proxy) != 0)
            return -1;
    }
    for (i = 0; i < cfg->n_files; i++) {
        (*files)[i].name = cfg->files[i].name;
        (*files)[i].ftype = cfg->files[i].ftype;
        (*files)[i].size = cfg->files[i].size;
        (*files)[i].link = cfg->files[i].link;
        (*files)[i].mtime = 1700000000;
        (*files)[i].handle = (void *)(uintptr_t)(i + 1);
        if (cfg->files[i].ftype == UFT_FTYPE_REG)
            w->n_regular++;
    }
    for (i = 0; i < w->n_nodes; i++) {
        struct node *n = &w->nodes[i];
        n->sched = UINT64_MAX;
        if (i == 0)
            continue;
        n->link = cfg->links ? cfg->links[i - 1] : cfg->link;
        n->files = calloc(cfg->n_files + 1, sizeof *n->files);
        (*cbs)[i].w = w;
        (*cbs)[i].node = (uint32_t)i;
        (*ids)[i - 1] = (uint32_t)i;
        {
            struct uft_client_cfg ccfg = {.client_id = (uint32_t)i, .max_sessions = 2};
            struct uft_client_ops cops = {.ctx = &(*cbs)[i],
                                          .event = cl_event,
                                          .file_begin = cl_begin,
                                          .file_write = cl_write,
                                          .file_end = cl_end,
                                          .file_have = cfg->preload > 0 ? cl_have : NULL,
                                          .crypto = w->crypto};
            ccfg.signkey = w->keys ? w->keys[i] : NULL;
            ccfg.no_fec = cfg->plain && cfg->plain[i - 1];
            cops.file_read = cl_read;
            if (cfg->hash) {
                cops.hash_new = uft_crypto_sha256_new;
                cops.hash_update = uft_crypto_sha256_update;
                cops.hash_final = uft_crypto_sha256_final;
            }
            if (cfg->n_proxies) {
                size_t k = (i - 1) * cfg->n_proxies / cfg->n_clients;
                uint32_t pid = (uint32_t)(w->n_nodes + k);
                w->sentries[i].server_id = 0x7f000000u;
                w->sentries[i].proxy_id = pid;
                w->pentries[i].proxy_id = pid;
                if (w->keys) {
                    w->pentries[i].has_fp = true;
                    memcpy(w->pentries[i].fp, w->fps + 20 * (pid - 1), 20);
                }
                ccfg.servers = &w->sentries[i];
                ccfg.n_servers = 1;
                ccfg.proxies = &w->pentries[i];
                ccfg.n_proxies = 1;
                if (cfg->proxy_kind == UFT_PROXY_CLIENT)
                    n->cseg = (uint32_t)k + 1;
            }
            if (!n->files || uft_client_create(&ccfg, &cops, &n->client) != 0)
                return -1;
        }
    }
    if (!cfg->open_group) {
        scfg.clients = *ids;
        scfg.n_clients = cfg->n_clients;
        if (cfg->server.client_auth)
            scfg.client_fps = w->fps;
        if (cfg->proxy_id) {
            scfg.proxies = &cfg->proxy_id;
            scfg.n_proxies = 1;
        }
        if (cfg->n_proxies) {
            scfg.proxies = w->proxy_ids;
            scfg.n_proxies = cfg->n_proxies;
            if (cfg->server.client_auth)
                scfg.proxy_fps = w->fps + 20 * (w->n_nodes - 1);
        }
    }
    scfg.server_id = 0x7f000000u; /* not a client node number */
    if (w->keys)
        scfg.signkey = w->keys[0];
    return uft_server_create(&scfg, *files, cfg->n_files, &sops, 0, &w->server) ? -1 : 0;
}

static void judge(struct world *w, const struct sim_cfg *cfg, struct sim_result *res)
{
    struct uft_server_stats st;
    size_t i, f;
    for (i = 1; i < w->n_nodes; i++) {
        struct node *n = &w->nodes[i];
        bool exact = n->mismatches == 0;
        for (f = 0; f < cfg->n_files; f++) {
            const struct sim_file *sf = &cfg->files[f];
            if (!n->files[f].committed ||
                (sf->ftype == UFT_FTYPE_REG && n->files[f].bytes != sf->size))
                exact = false;
        }
        /* the corrupt client may rebuild blocks from its changed byte:
         * its hash check must catch that, and its file is discarded */
        if (i != cfg->corrupt_client)
            res->mismatches += n->mismatches;
        if (n->ended_ok && exact)
            res->clients_ok++;
        else if (n->ended_ok)
            res->clients_bad++;
        else
            res->clients_failed++;
        res->server_rejected += n->server_rejected;
        {
            struct uft_client_stats cs;
            uft_client_stats(n->client, &cs);
            res->fec_recovered += cs.fec_recovered;
            res->hash_ok += cs.hash_ok;
            res->hash_bad += cs.hash_bad;
        }
        if (n->server_failed)
            res->server_failed++;
        else if (n->server_files_ok == cfg->n_files)
            res->server_ok++;
    }
    {
        struct uft_server_dest d;
        for (i = 0; uft_server_dest(w->server, i, &d); i++) {
            if (d.is_proxy)
                res->dest_proxies++;
            else if (d.proxy_id)
                res->dest_via_proxy++;
        }
    }
    uft_server_stats(w->server, &st);
    res->data_packets = st.data_packets;
    res->ctrl_packets = st.ctrl_packets;
    res->passes = st.passes;
    res->parity_packets = st.parity_packets;
    res->parity_reactive = st.parity_reactive;
    res->fec_clients = st.fec_clients;
    for (f = 0; f < cfg->n_files; f++)
        if (cfg->files[f].ftype == UFT_FTYPE_REG)
            res->blocks_needed +=
                (cfg->files[f].size + cfg->server.block_len - 1) / cfg->server.block_len;
}

int sim_run(const struct sim_cfg *cfg, struct sim_result *res)
{
    struct world w;
    struct ccb *cbs = NULL;
    uint32_t *ids = NULL;
    struct uft_server_file *files = NULL;
    uint64_t limit = cfg->time_limit_ns ? cfg->time_limit_ns : 86400ull * 1000000000ull;
    size_t i;
    unsigned idle_checks = 0;
    int rc = -1;
    memset(&w, 0, sizeof w);
    memset(res, 0, sizeof *res);
    w.cfg = cfg;
    w.res = res;
    w.rng.s = cfg->seed;
    if (setup(&w, cfg, &cbs, &ids, &files) != 0)
        goto out;
    if (getenv("SIM_TRACE")) {
        char path[512];
        snprintf(path, sizeof path, "%s/client_%llu", getenv("SIM_TRACE"),
                 (unsigned long long)cfg->seed);
        w.tr_client.f = fopen(path, "wb");
        snprintf(path, sizeof path, "%s/server_%llu", getenv("SIM_TRACE"),
                 (unsigned long long)cfg->seed);
        w.tr_server.f = fopen(path, "wb");
    }
    run_server(&w);
    if (cfg->tcp_flow)
        schedule(&w, cfg->tcp_start_ns, 0, EV_TCP_START, NULL);
    while (w.heap.n > 0) {
        struct event e = heap_pop(&w.heap);
        if (res->ended)
            w.tcp.on = false;
        if (e.t > limit) {
            if (e.pkt)
                pkt_unref(e.pkt);
            free(e.targets);
            break;
        }
        w.now = e.t;
        handle(&w, &e);
        if (!res->ended && uft_server_done(w.server, &res->exit_code)) {
            res->ended = true;
            res->end_ns = w.now;
        }
        /* checking every client is O(n): do it now and then */
        if (res->ended && (++idle_checks % 1024) == 0 && all_clients_idle(&w))
            break;
    }
    if (cfg->tcp_flow && res->end_ns > cfg->tcp_start_ns)
        res->bn_window_ns = res->end_ns - cfg->tcp_start_ns;
    judge(&w, cfg, res);
    rc = 0;
out:
    while (w.heap.n > 0) {
        struct event e = heap_pop(&w.heap);
        if (e.pkt)
            pkt_unref(e.pkt);
        free(e.targets);
    }
    free(w.heap.v);
    if (w.tr_client.f)
        fclose(w.tr_client.f);
    if (w.tr_server.f)
        fclose(w.tr_server.f);
    for (i = 0; w.nodes && i < w.n_all; i++) {
        uft_client_free(w.nodes[i].client);
        uft_proxy_free(w.nodes[i].proxy);
        free(w.nodes[i].files);
    }
    free(w.sentries);
    free(w.pentries);
    free(w.proxy_ids);
    uft_server_free(w.server);
    free_keys(&w); /* after the sessions that borrow them */
    free(w.nodes);
    free(cbs);
    free(ids);
    free(files);
    return rc;
}
