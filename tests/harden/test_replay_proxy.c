/*
 * Replay through a proxy: one server, one client proxy and one client,
 * all real sans-I/O sessions with real keys, in an encrypted UFTP 5
 * session (AES-256-GCM, client authentication) and a fake clock. The
 * server reaches only the proxy; the proxy multicasts to the client and
 * does the key exchange with it; the client answers the proxy, which
 * opens its sealed answers before gathering them.
 *
 * The server's third FILESEG is lost on its way, so the client NAKs it.
 * The first sealed datagram of each type that the client sends the
 * proxy (CLIENT_KEY under its handshake key; KEYINFO_ACK, FILEINFO_ACK,
 * STATUS and COMPLETE under its application key) is delivered, and then
 * fed to the proxy again: the copy must be dropped, counted as replayed,
 * and answered with nothing. The transfer must then finish with the
 * file intact.
 *
 * The proxy opens one kind of the server's sealed datagrams itself: an
 * ABORT. In the second run the server may make one pass only (-x 1), so
 * the lost FILESEG makes it abort the client by name ("Max passes
 * exceeded"); that sealed ABORT is delivered and then fed to the proxy
 * again: counted as replayed (a client proxy still passes the copy on,
 * as it passes everything of the server's, and the client, whose session
 * the first one ended, drops it).
 *
 * The third run is no attack: the client starts over (a new process)
 * once the proxy has its first REGISTER, before its CLIENT_KEY goes. The
 * new one registers with a new key share; the proxy must take its new
 * keys (it used to keep the first ones, so the new CLIENT_KEY never
 * opened and the client was never registered), and the transfer must
 * finish.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/client.h"
#include "core/msg.h"
#include "core/proxy.h"
#include "core/server.h"
#include "crypto/ops.h"

enum { SRV_ID = 0x7f000001u, CL_ID = 0x0a000002u, PX_ID = 0x0a000003u };
enum { FILE_LEN = 300000, MAXPKT = 10000, QCAP = 4096 };
enum node { N_SRV, N_PX, N_CL };

static const struct uft_peer SRV_PEER = {4, {10, 0, 0, 1}};
static const struct uft_peer CL_PEER = {4, {10, 0, 0, 2}};
static const struct uft_peer PX_PEER = {4, {10, 0, 0, 3}};

struct pkt {
    uint8_t b[MAXPKT];
    size_t len;
    uint8_t func; /* the inner type of a client's or server's ENCRYPTED, else b[1] */
    enum node to;
    struct uft_peer from;
};

/* FULL: the whole transfer; SRV_ABORT: one pass only, and the server's
 * ABORT of the client replayed to the proxy; RESTART: no replays, the
 * client starts over after its first REGISTER. */
enum mode { FULL, SRV_ABORT, RESTART };

struct world {
    enum mode mode;
    struct uft_server *srv;
    struct uft_proxy *px;
    struct uft_client *cl;
    uft_ts now;
    uint8_t *src, *dst;
    bool committed, client_ended;
    struct pkt *q;
    size_t head, n;
    bool tested_cl[32], tested_abort, restarted;
    unsigned replays, segs;
};

static void create_client(struct world *w);

/* ---------- crypto wrapper: note the inner type of what is sealed ---------- */

static struct uft_crypto_ops wrapped;
static int last_sealed = -1;

static int seal_noting(uint8_t keytype, const uint8_t *key, const uint8_t *nonce,
                       const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                       uint8_t *out)
{
    last_sealed = len ? in[0] : -1;
    return uft_crypto_ops()->seal(keytype, key, nonce, aad, aad_len, in, len, out);
}

/* ---------- storage, file source, events ---------- */

static int srv_read(void *ctx, void *handle, uint64_t off, uint8_t *buf, size_t len)
{
    struct world *w = ctx;
    (void)handle;
    assert_true(off + len <= FILE_LEN);
    memcpy(buf, w->src + off, len);
    return 0;
}

static void log_event(const struct world *w, const char *who, const struct uft_event *ev)
{
    if (ev->type == UFT_EV_LOG && getenv("REPLAY_VERBOSE"))
        fprintf(stderr, "[%.3f] %s: %s\n", (double)w->now / 1e9, who, ev->text);
}

static void srv_event(void *ctx, const struct uft_event *ev)
{
    log_event(ctx, "server", ev);
}

static void px_event(void *ctx, const struct uft_event *ev)
{
    log_event(ctx, "proxy", ev);
}

static int cl_begin(void *ctx, const struct uft_rx_file *f, void **handle, uint64_t *free_bytes)
{
    struct world *w = ctx;
    *free_bytes = 1ull << 40;
    assert_int_equal(f->size, FILE_LEN);
    *handle = w;
    return UFT_COMP_NORMAL;
}

static int cl_write(void *ctx, void *handle, uint64_t off, const uint8_t *data, size_t len)
{
    struct world *w = ctx;
    assert_ptr_equal(handle, w);
    assert_true(off + len <= FILE_LEN);
    memcpy(w->dst + off, data, len);
    return 0;
}

static int cl_end(void *ctx, void *handle, bool commit)
{
    struct world *w = ctx;
    (void)handle;
    w->committed = commit;
    return 0;
}

static void cl_event(void *ctx, const struct uft_event *ev)
{
    struct world *w = ctx;
    if (ev->type == UFT_EV_SESSION_END)
        w->client_ended = true;
    log_event(w, "client", ev);
}

/* ---------- the network: one queue, three nodes ---------- */

static void q_push(struct world *w, const struct pkt *p)
{
    assert_true(w->n < QCAP);
    w->q[(w->head + w->n) % QCAP] = *p;
    w->n++;
}

static bool q_pop(struct world *w, struct pkt *p)
{
    if (!w->n)
        return false;
    *p = w->q[w->head];
    w->head = (w->head + 1) % QCAP;
    w->n--;
    return true;
}

static bool same_peer(const struct uft_peer *a, const struct uft_peer *b)
{
    return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

/* The next datagram a node has due, addressed: the server reaches only
 * the proxy; the proxy sends to the server (its upstream peer) or to its
 * receivers' group; the client answers the proxy. */
static bool pull_one(struct world *w, enum node from, struct pkt *p)
{
    struct uft_tx tx;
    ssize_t n;
    memset(&tx, 0, sizeof tx);
    if (from == N_SRV)
        n = uft_server_pull(w->srv, w->now, p->b, sizeof p->b, &tx);
    else if (from == N_PX)
        n = uft_proxy_pull(w->px, w->now, p->b, sizeof p->b, &tx);
    else
        n = uft_client_pull(w->cl, w->now, p->b, sizeof p->b, &tx);
    assert_true(n >= 0);
    if (n == 0)
        return false;
    p->len = (size_t)n;
    p->func = p->b[1];
    /* the proxy seals when it queues, not when pulled: only the server's
     * and the client's inner types are known */
    if (p->b[1] == UFT_ENCRYPTED && from != N_PX) {
        assert_true(last_sealed >= 0);
        p->func = (uint8_t)last_sealed;
    }
    switch (from) {
    case N_SRV:
        p->to = N_PX;
        p->from = SRV_PEER;
        break;
    case N_PX:
        p->to = tx.dst == UFT_DST_PEER && same_peer(&tx.peer, &SRV_PEER) ? N_SRV : N_CL;
        p->from = PX_PEER;
        break;
    case N_CL:
        p->to = N_PX;
        p->from = CL_PEER;
        break;
    }
    return true;
}

static void drain(struct world *w, enum node from)
{
    struct pkt *p = malloc(sizeof *p);
    assert_non_null(p);
    while (pull_one(w, from, p)) {
        /* the third FILESEG never arrives: the client NAKs it (and with
         * SRV_ABORT's one pass, it is aborted) */
        if (from == N_SRV && p->func == UFT_FILESEG && ++w->segs == 3)
            continue;
        q_push(w, p);
    }
    free(p);
}

static void drain_all(struct world *w)
{
    drain(w, N_SRV);
    drain(w, N_PX);
    drain(w, N_CL);
}

static void feed(struct world *w, const struct pkt *p)
{
    switch (p->to) {
    case N_SRV:
        uft_server_feed(w->srv, w->now, p->b, p->len, &p->from);
        break;
    case N_PX:
        uft_proxy_feed(w->px, w->now, p->b, p->len, &p->from);
        break;
    case N_CL:
        uft_client_feed(w->cl, w->now, p->b, p->len, &p->from);
        break;
    }
}

/* ---------- the replays ---------- */

/* Feed the proxy a copy of p, which it has taken already: dropped and
 * counted as a replay. From the client it is answered with nothing;
 * from the server, a client proxy passes it on unchanged (and nothing
 * else), and the copy goes on to the client. */
static void replay(struct world *w, const struct pkt *p)
{
    struct uft_proxy_stats a, z;
    struct pkt *out = malloc(sizeof *out);
    bool from_srv = same_peer(&p->from, &SRV_PEER);
    assert_non_null(out);
    drain(w, N_PX); /* whatever the genuine one caused is on its way */
    uft_proxy_stats(w->px, &a);
    feed(w, p);
    uft_proxy_stats(w->px, &z);
    if (z.rx_replayed != a.rx_replayed + 1 || z.rx_dropped != a.rx_dropped + 1)
        fail_msg("proxy: a replayed %s of type %u was not refused as a replay (dropped "
                 "%llu->%llu, replayed %llu->%llu)",
                 from_srv ? "server datagram" : "client datagram", p->func,
                 (unsigned long long)a.rx_dropped, (unsigned long long)z.rx_dropped,
                 (unsigned long long)a.rx_replayed, (unsigned long long)z.rx_replayed);
    if (from_srv) {
        assert_true(pull_one(w, N_PX, out));
        assert_int_equal(out->to, N_CL);
        assert_int_equal(out->len, p->len);
        assert_memory_equal(out->b, p->b, p->len);
        q_push(w, out);
    }
    if (pull_one(w, N_PX, out))
        fail_msg("proxy answered a replayed datagram of type %u with one of type %u", p->func,
                 out->func);
    w->replays++;
    free(out);
}

/* RESTART: the client process is gone (with what it had not sent yet)
 * and a new one, with new keys, starts in its place. */
static void restart_client(struct world *w)
{
    size_t i, kept = 0;
    for (i = 0; i < w->n; i++) {
        struct pkt *p = &w->q[(w->head + i) % QCAP];
        if (!same_peer(&p->from, &CL_PEER))
            w->q[(w->head + kept++) % QCAP] = *p;
    }
    w->n = kept;
    uft_client_free(w->cl);
    create_client(w);
    w->restarted = true;
}

/* Deliver one datagram; the first sealed one of each type from the
 * client, and the server's sealed ABORT, are replayed after it. */
static void deliver(struct world *w, const struct pkt *p)
{
    bool sealed = p->b[1] == UFT_ENCRYPTED && p->to == N_PX && p->func < 32;
    bool from_cl = same_peer(&p->from, &CL_PEER);
    feed(w, p);
    if (w->mode == RESTART) {
        if (from_cl && p->func == UFT_REGISTER && !w->restarted)
            restart_client(w);
        return;
    }
    if (!sealed)
        return;
    if (from_cl && !w->tested_cl[p->func]) {
        w->tested_cl[p->func] = true;
        replay(w, p);
    } else if (!from_cl && p->func == UFT_ABORT && !w->tested_abort) {
        w->tested_abort = true;
        replay(w, p);
    }
}

static void step(struct world *w)
{
    struct pkt *p = malloc(sizeof *p);
    assert_non_null(p);
    drain_all(w);
    while (q_pop(w, p)) {
        deliver(w, p);
        drain_all(w);
    }
    free(p);
}

static uft_ts next_deadline(const struct world *w)
{
    uft_ts next = uft_server_deadline(w->srv), t;
    if ((t = uft_proxy_deadline(w->px)) < next)
        next = t;
    if ((t = uft_client_deadline(w->cl)) < next)
        next = t;
    return next;
}

/* ---------- the run ---------- */

/* Borrowed by the sessions for their lifetime. */
static const uint32_t MEMBERS[1] = {CL_ID}, PROXIES[1] = {PX_ID};
static const struct uft_server_file SRC_FILE = {
    .name = "data.bin", .ftype = UFT_FTYPE_REG, .size = FILE_LEN, .mtime = 1700000000};
static const struct uft_server_entry SENTRY = {.server_id = SRV_ID, .proxy_id = PX_ID};
static const struct uft_proxy_entry PENTRY = {.proxy_id = PX_ID};

static void create_client(struct world *w)
{
    struct uft_client_cfg ccfg = {.client_id = CL_ID,
                                  .max_sessions = 2,
                                  .servers = &SENTRY,
                                  .n_servers = 1,
                                  .proxies = &PENTRY,
                                  .n_proxies = 1};
    struct uft_client_ops cops = {.ctx = w,
                                  .event = cl_event,
                                  .file_begin = cl_begin,
                                  .file_write = cl_write,
                                  .file_end = cl_end,
                                  .crypto = &wrapped};
    assert_int_equal(uft_client_create(&ccfg, &cops, &w->cl), 0);
}

/* The server (a closed group of the client, through the proxy, with
 * client authentication; SRV_ABORT: one pass only), the proxy, the
 * client. */
static void create_nodes(struct world *w)
{
    struct uft_proxy_cfg pcfg = {.kind = UFT_PROXY_CLIENT, .proxy_id = PX_ID};
    struct uft_server_ops sops = {
        .ctx = w, .event = srv_event, .read = srv_read, .crypto = &wrapped};
    struct uft_proxy_ops pops = {.ctx = w, .event = px_event, .crypto = &wrapped};
    struct uft_server_cfg scfg;
    memset(&scfg, 0, sizeof scfg);
    scfg.version = UFT_VER5;
    scfg.server_id = SRV_ID;
    scfg.group_id = 0x12345678;
    scfg.block_len = 1300;
    scfg.robust = 10;
    scfg.grtt_init = 20 * UFT_MSEC;
    scfg.grtt_min = 10 * UFT_MSEC;
    scfg.grtt_max = UFT_SEC;
    scfg.rate = 4000000;
    scfg.clients = MEMBERS;
    scfg.n_clients = 1;
    scfg.proxies = PROXIES;
    scfg.n_proxies = 1;
    scfg.keytype = UFT_KEY_AES256_GCM;
    scfg.hashtype = UFT_HASH_SHA256;
    scfg.curve = UFT_CURVE_P256;
    scfg.client_auth = true;
    scfg.wall_base_us = 1700000000000000ull;
    scfg.max_passes = w->mode == SRV_ABORT ? 1 : 0;
    assert_int_equal(uft_server_create(&scfg, &SRC_FILE, 1, &sops, 0, &w->srv), 0);
    assert_int_equal(uft_proxy_create(&pcfg, &pops, 0, &w->px), 0);
    create_client(w);
}

/* Run until the server is done and what it sent last has arrived. */
static void run_to_end(struct world *w, int *code)
{
    int iter;
    for (iter = 0; iter < 200000 && !uft_server_done(w->srv, code); iter++) {
        uft_ts next;
        step(w);
        if (uft_server_done(w->srv, code))
            break;
        next = next_deadline(w);
        assert_true(next != UFT_NEVER);
        w->now = next > w->now ? next : w->now + 1;
    }
    assert_true(uft_server_done(w->srv, code));
    /* what is left on its way: the final DONE_CONF or ABORT */
    for (iter = 0; iter < 50 && !w->client_ended; iter++) {
        step(w);
        w->now += 100 * UFT_MSEC;
    }
    assert_true(w->client_ended);
}

/* Every replay counted, and the session ended as its mode says. */
static void check(struct world *w, int code)
{
    static const uint8_t types[] = {UFT_CLIENT_KEY, UFT_KEYINFO_ACK, UFT_FILEINFO_ACK, UFT_STATUS,
                                    UFT_COMPLETE};
    struct uft_proxy_stats pst;
    struct uft_server_dest d;
    size_t i;
    uft_proxy_stats(w->px, &pst);
    assert_int_equal(pst.rx_replayed, w->replays);
    for (i = 0; uft_server_dest(w->srv, i, &d) && d.id != CL_ID; i++)
        ;
    assert_int_equal(d.id, CL_ID);
    if (w->mode == RESTART) {
        assert_true(w->restarted);
        assert_int_equal(code, 0);
        assert_true(w->committed);
        assert_memory_equal(w->src, w->dst, FILE_LEN);
        print_message("client restart: the new client's keys taken, file intact\n");
        return;
    }
    if (w->mode == SRV_ABORT) {
        assert_true(w->tested_abort);
        assert_false(w->committed);
        assert_int_equal(d.fate, UFT_FATE_ABORTED);
    } else {
        for (i = 0; i < sizeof types; i++)
            if (!w->tested_cl[types[i]])
                fail_msg("the client never sent the proxy a sealed type %u to replay", types[i]);
        assert_int_equal(code, 0);
        assert_true(w->committed);
        assert_memory_equal(w->src, w->dst, FILE_LEN);
    }
    print_message("%s: %u replays fed to the proxy, all refused (proxy dropped %llu, replayed "
                  "%llu)\n",
                  w->mode == FULL ? "full transfer" : "server abort", w->replays,
                  (unsigned long long)pst.rx_dropped, (unsigned long long)pst.rx_replayed);
}

static void run(enum mode mode)
{
    struct world w;
    int code = -1;
    size_t i;
    memset(&w, 0, sizeof w);
    wrapped = *uft_crypto_ops();
    wrapped.seal = seal_noting;
    w.mode = mode;
    w.src = malloc(FILE_LEN);
    w.dst = calloc(1, FILE_LEN);
    w.q = malloc(QCAP * sizeof *w.q);
    assert_true(w.src && w.dst && w.q);
    for (i = 0; i < FILE_LEN; i++)
        w.src[i] = (uint8_t)(i * 7 + (i >> 11));
    create_nodes(&w);
    run_to_end(&w, &code);
    check(&w, code);
    uft_client_free(w.cl);
    uft_proxy_free(w.px);
    uft_server_free(w.srv);
    free(w.src);
    free(w.dst);
    free(w.q);
}

static void test_client_replays(void **state)
{
    (void)state;
    run(FULL);
}

static void test_server_abort_replay(void **state)
{
    (void)state;
    run(SRV_ABORT);
}

static void test_client_restart(void **state)
{
    (void)state;
    run(RESTART);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_replays),
        cmocka_unit_test(test_server_abort_replay),
        cmocka_unit_test(test_client_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
