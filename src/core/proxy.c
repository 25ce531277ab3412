/*
 * The proxy's sessions, forwarding and heartbeats (proxy.h). A session is
 * born from an ANNOUNCE, whose source becomes its upstream; a datagram of
 * that session from the upstream travels down (to the fixed or learnt
 * downstream, or to the session's multicast groups), anything else
 * travels up. Receivers' answers are gathered in proxy_agg.c; the key
 * exchanges of encrypted sessions are proxy_sec.c's. Every datagram the
 * proxy sends goes through one bounded queue that pull() drains, so a
 * flood can only fill the queue, never memory.
 */
#include "core/proxy_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/quant.h"

#define HB_DEFAULT (20 * UFT_SEC)

void uft_px_log(struct uft_proxy *p, const struct px_group *g, int level, const char *fmt, ...)
{
    struct uft_event ev = {.type = UFT_EV_LOG, .level = level};
    char text[320];
    va_list ap;
    if (!p->ops.event)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ev.text = text;
    if (g) {
        ev.group_id = g->group_id;
        ev.group_inst = g->inst;
        ev.server_id = g->server_id;
    }
    p->ops.event(p->ops.ctx, &ev);
}

static void emit_join(struct uft_proxy *p, struct px_group *g, bool join)
{
    struct uft_event ev = {.type = join ? UFT_EV_JOIN : UFT_EV_LEAVE};
    ev.group_id = g->group_id;
    ev.group_inst = g->inst;
    ev.addr = g->priv;
    ev.ipv6 = g->v6;
    if (p->ops.event)
        p->ops.event(p->ops.ctx, &ev);
    g->joined = join;
}

static bool same_peer(const struct uft_peer *a, const struct uft_peer *b)
{
    return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

/* ---------- the output queue ---------- */

bool uft_px_queue(struct uft_proxy *p, const uint8_t *pkt, size_t len, const struct uft_tx *tx)
{
    struct px_out *o;
    if (p->q_len == PX_QUEUE) {
        if (p->st.queue_drops++ == 0)
            uft_px_log(p, NULL, 1, "Output queue full; dropping datagrams");
        return false;
    }
    o = &p->q[(p->q_head + p->q_len) % PX_QUEUE];
    o->buf = malloc(len);
    if (!o->buf) {
        p->st.queue_drops++;
        return false;
    }
    memcpy(o->buf, pkt, len);
    o->len = len;
    o->tx = *tx;
    p->q_len++;
    return true;
}

static void queue_peer(struct uft_proxy *p, const uint8_t *pkt, size_t len,
                       const struct uft_peer *to)
{
    struct uft_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.dst = UFT_DST_PEER;
    tx.peer = *to;
    uft_px_queue(p, pkt, len, &tx);
}

void uft_px_send_group(struct uft_proxy *p, const struct px_group *g, const uint8_t *pkt,
                       size_t len, bool public_addr)
{
    struct uft_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.dst = UFT_DST_GROUP;
    memcpy(tx.group, public_addr ? g->pub : g->priv, 16);
    tx.group_v6 = g->v6;
    uft_px_queue(p, pkt, len, &tx);
}

void uft_px_send_up(struct uft_proxy *p, struct px_group *g, struct uft_msg *m)
{
    uint8_t buf[9216];
    ssize_t n;
    m->hdr.version = g->version;
    m->hdr.seq = g->up_seq++;
    m->hdr.src_id = p->cfg.proxy_id;
    m->hdr.group_id = g->group_id;
    m->hdr.group_inst = g->inst;
    if (uft_pxs_keyed(g) && m->hdr.func != UFT_REGISTER)
        n = uft_pxs_seal_up(p, g, m, buf, sizeof buf);
    else
        n = uft_msg_encode(m, buf, sizeof buf);
    if (n < 0) {
        uft_px_log(p, g, 0, "Cannot encode %s: %s", uft_msg_name(m->hdr.func),
                   uft_strerror((int)n));
        return;
    }
    p->st.sent++;
    queue_peer(p, buf, (size_t)n, &g->up);
}

/* ---------- sessions ---------- */

static struct px_group *find_group(struct uft_proxy *p, uint32_t id, uint8_t inst)
{
    unsigned i;
    for (i = 0; i < p->n_groups; i++)
        if (p->groups[i].used && p->groups[i].group_id == id && p->groups[i].inst == inst)
            return &p->groups[i];
    return NULL;
}

static void end_group(struct uft_proxy *p, struct px_group *g, const char *why)
{
    uft_px_log(p, g, 2, "Session ended: %s", why);
    if (g->joined)
        emit_join(p, g, false);
    uft_px_free_pending(g);
    uft_px_free_clients(p, g);
    uft_pxs_free(p, g);
    memset(g, 0, sizeof *g);
    p->st.groups--;
}

/* Nothing pending: forget the session after R GRTT (at least 1 s) of
 * silence from its server. */
static void touch(struct px_group *g, uft_ts now)
{
    g->idle_at = now + uft_tm_client_idle(g->grtt, g->robust);
}

static bool zero_addr(const uint8_t *a, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (a[i])
            return false;
    return true;
}

void uft_px_abort_up(struct uft_proxy *p, struct px_group *g, uint32_t host, const char *text)
{
    struct uft_msg m;
    memset(&m, 0, sizeof m);
    m.hdr.func = UFT_ABORT;
    m.u.abort.host = host;
    m.u.abort.text.p = (const uint8_t *)text;
    m.u.abort.text.len = strlen(text);
    uft_px_send_up(p, g, &m);
}

/* In clear, as UFTP's proxies send it: a receiver refused before it has
 * keys could not read it otherwise. */
void uft_px_abort_down(struct uft_proxy *p, struct px_group *g, uint32_t host, const char *text)
{
    struct uft_msg m;
    uint8_t buf[400];
    ssize_t n;
    memset(&m, 0, sizeof m);
    m.hdr.version = g->version;
    m.hdr.func = UFT_ABORT;
    m.hdr.seq = g->down_seq++;
    m.hdr.src_id = p->cfg.proxy_id;
    m.hdr.group_id = g->group_id;
    m.hdr.group_inst = g->inst;
    m.hdr.grtt = g->grtt_q;
    m.hdr.gsize = g->gsize_q;
    m.u.abort.host = host;
    m.u.abort.text.p = (const uint8_t *)text;
    m.u.abort.text.len = strlen(text);
    if ((n = uft_msg_encode(&m, buf, sizeof buf)) > 0) {
        p->st.sent++;
        uft_px_send_group(p, g, buf, (size_t)n, false);
    }
}

void *uft_px_signkey(struct uft_proxy *p)
{
    if (p->cfg.signkey)
        return p->cfg.signkey;
    if (!p->own_key && p->ops.crypto &&
        p->ops.crypto->signkey_new_ec(UFT_CURVE_P256, &p->own_key) != 0)
        p->own_key = NULL;
    return p->own_key;
}

/* PROXY_KEY to the public address: tells receivers that list this proxy
 * where to answer. Unencrypted sessions carry no keys (hlen 2). It
 * carries the sequence number of the ANNOUNCE it answers: UFTP's proxy
 * sends 0, which UFTP's receivers drop as too old once they have seen a
 * server message numbered above 5, and a receiver that missed the first
 * PROXY_KEY would never register. */
static void send_proxy_key(struct uft_proxy *p, struct px_group *g)
{
    struct uft_msg m;
    uint8_t buf[64];
    ssize_t n;
    memset(&m, 0, sizeof m);
    m.hdr.version = g->version;
    m.hdr.func = UFT_PROXY_KEY;
    m.hdr.seq = g->ann_seq;
    m.hdr.src_id = p->cfg.proxy_id;
    m.hdr.group_id = g->group_id;
    m.hdr.group_inst = g->inst;
    m.hdr.grtt = g->grtt_q;
    m.hdr.gsize = g->gsize_q;
    n = uft_msg_encode(&m, buf, sizeof buf);
    if (n > 0) {
        p->st.sent++;
        uft_px_send_group(p, g, buf, (size_t)n, true);
    }
}

static struct px_group *new_group(struct uft_proxy *p, const struct uft_msg *m,
                                  const struct uft_peer *from, uft_ts now)
{
    const struct uft_announce *a = &m->u.announce;
    struct px_group *g = NULL;
    unsigned i;
    for (i = 0; i < p->n_groups && !g; i++)
        if (!p->groups[i].used)
            g = &p->groups[i];
    if (!g) {
        uft_px_log(p, NULL, 1, "Too many sessions; ignoring group %08X", m->hdr.group_id);
        return NULL;
    }
    memset(g, 0, sizeof *g);
    g->used = true;
    g->group_id = m->hdr.group_id;
    g->inst = m->hdr.group_inst;
    g->version = m->hdr.version;
    g->server_id = m->hdr.src_id;
    g->up = *from;
    g->v6 = (a->flags & UFT_ANN_IPV6) != 0;
    memcpy(g->pub, a->pub_addr, 16);
    memcpy(g->priv, a->priv_addr, 16);
    g->blocksize = a->blocksize;
    g->robust = a->robust ? a->robust : UFT_ROBUST_DEFAULT;
    g->grtt = (uft_ts)(uft_unquant_grtt(m->hdr.grtt) * 1e9);
    g->flush_at = UFT_NEVER;
    g->keyinfo_at = UFT_NEVER;
    g->expire_at = UFT_NEVER;
    g->setup_end = now + uft_tm_client_idle(g->grtt, g->robust);
    p->st.groups++;
    uft_px_log(p, g, 2, "Received request from %08X", g->server_id);
    return g;
}

/* An encrypted session: the proxy makes its own key exchanges with the
 * server and its receivers (UFTP 5 only). False when the ANNOUNCE's
 * signature does not verify: the session is forgotten without a word, so
 * a forged ANNOUNCE cannot shut out the real one. */
static bool start_encrypted(struct uft_proxy *p, struct px_group *g, const struct uft_msg *m,
                            const uint8_t *pkt, size_t len)
{
    const char *why = "Proxy does not support encrypted UFTP 4 sessions";
    int rc = g->version == UFT_VER5 ? uft_pxs_announce(p, g, m, pkt, len, &why) : UFT_E_VERSION;
    if (rc == UFT_E_AUTH) {
        p->st.rx_dropped++;
        end_group(p, g, "the ANNOUNCE's signature does not verify");
        return false;
    }
    if (rc != 0) {
        uft_px_log(p, g, 0, "Refusing encrypted session: %s", why);
        uft_px_abort_up(p, g, 0, why);
        g->refused = true;
    }
    return true;
}

static void on_announce(struct uft_proxy *p, struct px_group *g, const struct uft_msg *m,
                        const uint8_t *pkt, size_t len, const struct uft_peer *from, uft_ts now)
{
    if (g && !same_peer(&g->up, from)) {
        p->st.rx_dropped++; /* an echo of our own, or a stranger */
        return;
    }
    if (!g) {
        if (!(g = new_group(p, m, from, now)))
            return;
        if (p->cfg.kind != UFT_PROXY_SERVER && m->u.announce.has_enc &&
            !start_encrypted(p, g, m, pkt, len))
            return;
        if (p->cfg.kind != UFT_PROXY_CLIENT && !g->refused && !zero_addr(g->priv, g->v6 ? 16 : 4))
            emit_join(p, g, true);
    }
    g->grtt = (uft_ts)(uft_unquant_grtt(m->hdr.grtt) * 1e9);
    g->grtt_q = m->hdr.grtt;
    g->gsize_q = m->hdr.gsize;
    g->ann_seq = m->hdr.seq;
    touch(g, now);
    if (g->refused)
        return;
    p->st.forwarded++;
    if (p->cfg.kind == UFT_PROXY_SERVER) {
        if (p->have_down)
            queue_peer(p, pkt, len, &p->down);
        return;
    }
    if (p->cfg.kind == UFT_PROXY_CLIENT)
        uft_px_send_group(p, g, pkt, len, true);
    if (g->version == UFT_VER5 && g->sec)
        uft_pxs_send_proxy_key(p, g);
    else if (g->version == UFT_VER5)
        send_proxy_key(p, g);
}

/* From the server: pass it on, and learn from ABORTs. */
static void from_server(struct uft_proxy *p, struct px_group *g, const uint8_t *pkt, size_t len,
                        const struct uft_hdr *h, uft_ts now)
{
    if (h->src_id != g->server_id) {
        p->st.rx_dropped++;
        return;
    }
    g->grtt = (uft_ts)(uft_unquant_grtt(h->grtt) * 1e9);
    g->grtt_q = h->grtt;
    g->gsize_q = h->gsize;
    touch(g, now);
    if (g->sec && uft_pxs_from_server(p, g, pkt, len, now))
        return;
    if (p->cfg.kind == UFT_PROXY_CLIENT) {
        p->st.forwarded++;
        uft_px_send_group(p, g, pkt, len, false);
    }
    if (h->func == UFT_ABORT || h->func == UFT_ENCRYPTED) {
        struct uft_msg m;
        if (h->func == UFT_ABORT ? uft_msg_decode(pkt, len, &m) != 0
                                 : !g->sec || uft_pxs_server_abort(p, g, pkt, len, &m) != 0)
            return;
        if (m.u.abort.host == 0 || m.u.abort.host == p->cfg.proxy_id) {
            end_group(p, g, "aborted by the server");
            return;
        }
        uft_px_drop_client(p, g, m.u.abort.host);
    }
}

void uft_px_client_abort(struct uft_proxy *p, struct px_group *g, const struct uft_msg *m)
{
    struct uft_msg a;
    uint32_t who = m->hdr.src_id;
    uft_px_log(p, g, 1, "Client %08X aborted: %.*s", who, (int)m->u.abort.text.len,
               (const char *)m->u.abort.text.p);
    memset(&a, 0, sizeof a);
    a.hdr.func = UFT_ABORT;
    a.u.abort.flags = m->u.abort.flags;
    a.u.abort.host = who;
    a.u.abort.text = m->u.abort.text;
    uft_px_send_up(p, g, &a);
    uft_px_drop_client(p, g, who);
}

/* From a receiver (client and response proxies). */
static void from_client(struct uft_proxy *p, struct px_group *g, const uint8_t *pkt, size_t len,
                        uft_ts now)
{
    struct uft_msg m;
    if (uft_msg_decode(pkt, len, &m) != 0) {
        p->st.rx_dropped++;
        return;
    }
    switch (m.hdr.func) {
    case UFT_REGISTER:
    case UFT_FILEINFO_ACK:
    case UFT_STATUS:
    case UFT_COMPLETE:
        if (m.hdr.func != UFT_REGISTER && !uft_px_has_client(g, m.hdr.src_id)) {
            p->st.rx_dropped++;
            uft_px_log(p, g, 3, "%s from %08X, which did not register here",
                       uft_msg_name(m.hdr.func), m.hdr.src_id);
            return;
        }
        p->st.aggregated++;
        uft_px_gather(p, g, &m, now);
        break;
    case UFT_ABORT:
        uft_px_client_abort(p, g, &m);
        break;
    case UFT_CC_ACK:
        /* congestion feedback is not aggregated: it goes up unchanged */
        p->st.forwarded++;
        queue_peer(p, pkt, len, &g->up);
        break;
    default:
        p->st.rx_dropped++; /* keys of an encrypted session, or strays */
        break;
    }
}

/* ---------- heartbeats ---------- */

static void send_hb_resp(struct uft_proxy *p, const struct uft_peer *to, uint8_t auth,
                         uint32_t nonce)
{
    struct uft_msg m;
    uint8_t buf[64];
    ssize_t n;
    memset(&m, 0, sizeof m);
    m.hdr.version = UFT_VER5;
    m.hdr.func = UFT_HB_RESP;
    m.hdr.src_id = p->cfg.proxy_id;
    m.u.hb_resp.auth = auth;
    m.u.hb_resp.nonce = auth == UFT_HB_AUTH_CHALLENGE ? nonce : 0;
    if ((n = uft_msg_encode(&m, buf, sizeof buf)) > 0) {
        p->st.sent++;
        queue_peer(p, buf, (size_t)n, to);
    }
}

/* -s fp=: does this HB_REQ sign our nonce with the expected key? */
static bool hb_authentic(struct uft_proxy *p, const struct uft_hb_req *r)
{
    const struct uft_crypto_ops *c = p->ops.crypto;
    uint8_t fp[20], nonce[4];
    if (!c || r->nonce != p->down_nonce || !r->keyblob.len || !r->sig.len)
        return false;
    if (c->hash(UFT_HASH_SHA1, r->keyblob.p, r->keyblob.len, fp) != 0 ||
        memcmp(fp, p->cfg.down_fp, sizeof fp) != 0) {
        uft_px_log(p, NULL, 1, "Heartbeat key fingerprint does not match -s fp=");
        return false;
    }
    uft_put_u32(nonce, r->nonce);
    if (c->verify(r->keyblob.p, r->keyblob.len, UFT_HASH_SHA1, nonce, sizeof nonce, r->sig.p,
                  r->sig.len) != 0) {
        uft_px_log(p, NULL, 1, "Heartbeat signature does not verify");
        return false;
    }
    return true;
}

static void new_nonce(struct uft_proxy *p)
{
    if (!p->ops.crypto || p->ops.crypto->random(&p->down_nonce, sizeof p->down_nonce) != 0)
        p->down_nonce ^= 0x9e3779b9u; /* never reached with a working crypto layer */
}

static void on_hb_req(struct uft_proxy *p, const struct uft_msg *m, const struct uft_peer *from)
{
    uint8_t auth = UFT_HB_AUTH_OK;
    if (p->cfg.kind == UFT_PROXY_SERVER && p->cfg.down_by_fp) {
        if (p->have_down && same_peer(&p->down, from)) {
            auth = UFT_HB_AUTH_OK;
        } else if (m->u.hb_req.nonce != p->down_nonce || !m->u.hb_req.keyblob.len) {
            auth = UFT_HB_AUTH_CHALLENGE;
        } else if (hb_authentic(p, &m->u.hb_req)) {
            p->down = *from;
            p->have_down = true;
            new_nonce(p);
            uft_px_log(p, NULL, 2, "Downstream address learnt from an authenticated heartbeat");
        } else {
            auth = UFT_HB_AUTH_FAILED;
        }
    }
    send_hb_resp(p, from, auth, p->down_nonce);
}

static void send_hb_req(struct uft_proxy *p, const struct uft_peer *to, uint32_t nonce,
                        bool signed_req)
{
    const struct uft_crypto_ops *c = p->ops.crypto;
    uint8_t blob[600], sig[600], nb[4], buf[1400];
    size_t bl = 0, sl = 0;
    struct uft_msg m;
    ssize_t n;
    memset(&m, 0, sizeof m);
    m.hdr.version = UFT_VER5;
    m.hdr.func = UFT_HB_REQ;
    m.hdr.src_id = p->cfg.proxy_id;
    if (signed_req) {
        void *key = uft_px_signkey(p);
        if (!c || !key)
            return;
        uft_put_u32(nb, nonce);
        if (c->signkey_blob(key, blob, sizeof blob, &bl) != 0 ||
            c->sign(key, UFT_HASH_SHA1, nb, sizeof nb, sig, sizeof sig, &sl) != 0)
            return;
        m.u.hb_req.nonce = nonce;
        m.u.hb_req.keyblob.p = blob;
        m.u.hb_req.keyblob.len = bl;
        m.u.hb_req.sig.p = sig;
        m.u.hb_req.sig.len = sl;
    }
    if ((n = uft_msg_encode(&m, buf, sizeof buf)) > 0) {
        p->st.sent++;
        queue_peer(p, buf, (size_t)n, to);
    }
}

static void on_hb_resp(struct uft_proxy *p, const struct uft_msg *m, const struct uft_peer *from)
{
    size_t i;
    for (i = 0; i < p->cfg.n_hb && !same_peer(&p->cfg.hb_peers[i], from); i++)
        ;
    if (i == p->cfg.n_hb) {
        p->st.rx_dropped++; /* we sent it no heartbeat */
        return;
    }
    if (m->u.hb_resp.auth == UFT_HB_AUTH_CHALLENGE)
        send_hb_req(p, from, m->u.hb_resp.nonce, true);
    else if (m->u.hb_resp.auth == UFT_HB_AUTH_FAILED)
        uft_px_log(p, NULL, 1, "A heartbeat was refused: check the peer's -s fp= fingerprint");
}

/* ---------- the session's entry points ---------- */

static void feed_control(struct uft_proxy *p, const uint8_t *pkt, size_t len,
                         const struct uft_hdr *h, const struct uft_peer *from)
{
    struct uft_msg m;
    if (uft_msg_decode(pkt, len, &m) != 0) {
        p->st.rx_dropped++;
        return;
    }
    if (h->func == UFT_HB_REQ)
        on_hb_req(p, &m, from);
    else
        on_hb_resp(p, &m, from);
}

void uft_proxy_feed(struct uft_proxy *p, uft_ts now, const uint8_t *pkt, size_t len,
                    const struct uft_peer *from)
{
    struct uft_hdr h;
    struct px_group *g;
    p->st.rx_packets++;
    if (len < UFT_HDR_LEN + 4 || uft_hdr_decode(pkt, len, &h) != 0) {
        p->st.rx_dropped++;
        return;
    }
    if (h.func == UFT_HB_REQ || h.func == UFT_HB_RESP) {
        feed_control(p, pkt, len, &h, from);
        return;
    }
    if (h.func == UFT_PROXY_KEY || h.func == UFT_KEY_REQ ||
        (p->cfg.kind == UFT_PROXY_SERVER && !p->have_down)) {
        p->st.rx_dropped++; /* for receivers, v4 only, or no downstream yet */
        return;
    }
    g = find_group(p, h.group_id, h.group_inst);
    if (h.func == UFT_ANNOUNCE) {
        struct uft_msg m;
        if (uft_msg_decode(pkt, len, &m) != 0) {
            p->st.rx_dropped++;
            return;
        }
        on_announce(p, g, &m, pkt, len, from, now);
        return;
    }
    if (!g || g->refused || h.version != g->version) {
        p->st.rx_dropped++;
        return;
    }
    if (same_peer(from, &g->up)) {
        if (p->cfg.kind == UFT_PROXY_SERVER) {
            touch(g, now);
            p->st.forwarded++;
            queue_peer(p, pkt, len, &p->down);
        } else {
            from_server(p, g, pkt, len, &h, now);
        }
    } else if (p->cfg.kind == UFT_PROXY_SERVER) {
        p->st.forwarded++;
        queue_peer(p, pkt, len, &g->up);
    } else if (g->sec) {
        uft_pxs_from_client(p, g, pkt, len, now);
    } else {
        from_client(p, g, pkt, len, now);
    }
}

/* Run the timers that are due: aggregates, idle sessions, heartbeats. */
static void service(struct uft_proxy *p, uft_ts now)
{
    unsigned i;
    size_t k;
    for (i = 0; i < p->n_groups; i++) {
        struct px_group *g = &p->groups[i];
        if (!g->used)
            continue;
        if (g->sec)
            uft_pxs_service(p, g, now);
        if (g->flush_at <= now)
            uft_px_flush(p, g, now);
        if (g->flush_at == UFT_NEVER && g->idle_at <= now)
            end_group(p, g, "no packets from the server");
    }
    if (p->cfg.n_hb && p->next_hb <= now) {
        for (k = 0; k < p->cfg.n_hb; k++)
            send_hb_req(p, &p->cfg.hb_peers[k], 0, false);
        p->next_hb = now + (p->cfg.hb_interval ? p->cfg.hb_interval : HB_DEFAULT);
    }
}

ssize_t uft_proxy_pull(struct uft_proxy *p, uft_ts now, uint8_t *buf, size_t cap, struct uft_tx *tx)
{
    struct px_out *o;
    size_t len;
    service(p, now);
    if (!p->q_len)
        return 0;
    o = &p->q[p->q_head];
    if (o->len > cap)
        return UFT_E_NOSPACE;
    memcpy(buf, o->buf, o->len);
    *tx = o->tx;
    len = o->len;
    free(o->buf);
    o->buf = NULL;
    p->q_head = (p->q_head + 1) % PX_QUEUE;
    p->q_len--;
    return (ssize_t)len;
}

uft_ts uft_proxy_deadline(const struct uft_proxy *p)
{
    uft_ts t = UFT_NEVER;
    unsigned i;
    if (p->q_len)
        return 0;
    if (p->cfg.n_hb)
        t = p->next_hb;
    for (i = 0; i < p->n_groups; i++) {
        const struct px_group *g = &p->groups[i];
        if (!g->used)
            continue;
        if (g->flush_at < t)
            t = g->flush_at;
        if (g->flush_at == UFT_NEVER && g->idle_at < t)
            t = g->idle_at;
        if (g->keyinfo_at < t)
            t = g->keyinfo_at;
        if (g->expire_at < t)
            t = g->expire_at;
    }
    return t;
}

int uft_proxy_create(const struct uft_proxy_cfg *cfg, const struct uft_proxy_ops *ops, uft_ts now,
                     struct uft_proxy **out)
{
    struct uft_proxy *p;
    *out = NULL;
    if (cfg->kind < UFT_PROXY_SERVER || cfg->kind > UFT_PROXY_RESPONSE ||
        (cfg->kind == UFT_PROXY_SERVER && !cfg->down_fixed && !cfg->down_by_fp) ||
        (cfg->down_by_fp && !ops->crypto))
        return UFT_E_INVAL;
    p = calloc(1, sizeof *p);
    if (!p)
        return UFT_E_NOMEM;
    p->cfg = *cfg;
    p->ops = *ops;
    p->n_groups = cfg->max_groups ? cfg->max_groups : 100;
    p->groups = calloc(p->n_groups, sizeof *p->groups);
    if (!p->groups) {
        free(p);
        return UFT_E_NOMEM;
    }
    if (cfg->down_fixed) {
        p->down = cfg->down;
        p->have_down = true;
    }
    if (cfg->down_by_fp)
        new_nonce(p);
    p->next_hb = now;
    *out = p;
    return 0;
}

void uft_proxy_free(struct uft_proxy *p)
{
    unsigned i;
    if (!p)
        return;
    for (i = 0; i < p->n_groups; i++) {
        if (p->groups[i].used) {
            uft_px_free_pending(&p->groups[i]);
            uft_px_free_clients(p, &p->groups[i]);
            uft_pxs_free(p, &p->groups[i]);
        }
    }
    while (p->q_len) {
        free(p->q[p->q_head].buf);
        p->q_head = (p->q_head + 1) % PX_QUEUE;
        p->q_len--;
    }
    if (p->own_key && p->ops.crypto)
        p->ops.crypto->signkey_free(p->own_key);
    free(p->groups);
    free(p);
}

void uft_proxy_stats(const struct uft_proxy *p, struct uft_proxy_stats *st)
{
    *st = p->st;
}
