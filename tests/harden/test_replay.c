/*
 * Replay and forgery in an encrypted UFTP 5 session, and in a UFTP 4
 * (0x40) one, driven through the sans-I/O core: one server and one
 * client with in-memory storage and a fake clock exchange real sealed
 * datagrams. The first datagram of every type that each side accepts
 * after the key exchange (client: KEYINFO, FILEINFO, FILESEG, DONE,
 * DONE_CONF, CONG_CTRL, ABORT; server: REGISTER, KEYINFO_ACK,
 * FILEINFO_ACK, STATUS, COMPLETE, CC_ACK, ABORT) is captured on its way
 * and, while the session is live, fed to its receiver mutated:
 * truncated, a bit flipped in the ciphertext and in the tag, sealed
 * under another key (with a fresh IV counter), with its sequence number
 * pushed far ahead, from a non-member ID. Each must be dropped, counted
 * under its reason and answered with nothing. Then the genuine datagram
 * is delivered, and then replayed: dropped as a replay. A FILESEG held
 * back past the replay window is refused as too old; one held back a
 * few packets is still taken. The transfer must then finish with the
 * file intact: nothing an attacker fed in disturbed it. A unit test of
 * the window itself covers its edge and jumps wider than it.
 *
 * The UFTP 4 session (V4) runs the same attacks but on KEYINFO, which
 * UFTP 4 sends in clear and unsigned (its entries are AES-CBC wrapped,
 * with no tag to break): there every client and the server seal under
 * one group key, each with its own counter and its ID in the nonce.
 *
 * By design (docs/protocol-notes.md): a replayed KEYINFO is answered
 * with the KEYINFO_ACK again, as UFTP does for a KEYINFO sent twice (it is
 * signed, in clear, and its answer goes to the server); a REGISTER from a
 * stranger gets "Not in host list" (UFTP's answer to a client outside a
 * closed group).
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
#include "core/sec_common.h"
#include "core/server.h"
#include "crypto/ops.h"

enum { SRV_ID = 0x7f000001u, CL_ID = 0x0a000002u, STRANGER = 0x0a0000eeu };
enum { FILE_LEN = 1700000, MAXPKT = 10000, QCAP = 4096 };

struct pkt {
    uint8_t b[MAXPKT];
    size_t len;
    uint8_t func; /* the inner type of an ENCRYPTED datagram, else the type */
};

struct queue {
    struct pkt *p;
    size_t head, n;
};

/* FULL: the whole transfer; SRV_ABORT: the server is interrupted (it
 * sends ABORT) after 200 data packets; CL_ABORT: the client shuts down
 * (it sends ABORT) then; AUTH: the whole transfer with client
 * authentication, so the CLIENT_KEY (sealed under the client's handshake
 * key) is attacked too; STOP_FINAL: the client is shut down while it
 * waits for DONE_CONF (its final COMPLETE sent): it must finish the
 * session (files in place) and send no ABORT. V4: the whole transfer as
 * a UFTP 4 session. */
enum mode { FULL, SRV_ABORT, CL_ABORT, AUTH, STOP_FINAL, V4 };

struct world {
    uint8_t keytype;
    enum mode mode;
    bool stopped, client_ok;
    struct uft_server *srv;
    struct uft_client *cl;
    uft_ts now;
    uint8_t *src, *dst;
    bool committed, client_ended;
    struct queue to_cl, to_srv;
    bool tested_cl[32], tested_srv[32]; /* inner types attacked so far */
    unsigned attacks;                   /* mutated datagrams fed in */
    /* reordering: FILESEGs held back and released later */
    struct pkt old_seg, near_seg, late_cc;
    bool have_cc, cc_done;
    unsigned ccs_seen, cc_at;
    bool have_old, have_near, old_done, near_done;
    struct pkt reg; /* the first REGISTER, replayed in the data phase */
    bool have_reg, reg_done;
    unsigned segs_seen, srv_sealed, near_at, old_at;
};

static struct world *W;

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

/* ---------- storage and file source ---------- */

static int srv_read(void *ctx, void *handle, uint64_t off, uint8_t *buf, size_t len)
{
    struct world *w = ctx;
    (void)handle;
    assert_true(off + len <= FILE_LEN);
    memcpy(buf, w->src + off, len);
    return 0;
}

static void srv_event(void *ctx, const struct uft_event *ev)
{
    struct world *w = ctx;
    if (ev->type == UFT_EV_LOG && getenv("REPLAY_VERBOSE"))
        fprintf(stderr, "[%.3f] server: %s\n", (double)w->now / 1e9, ev->text);
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
    if (ev->type == UFT_EV_SESSION_END) {
        w->client_ended = true;
        w->client_ok = ev->status == 0;
    }
    if (ev->type == UFT_EV_LOG && getenv("REPLAY_VERBOSE"))
        fprintf(stderr, "[%.3f] client: %s\n", (double)w->now / 1e9, ev->text);
}

/* ---------- queues ---------- */

static void q_push(struct queue *q, const struct pkt *p)
{
    assert_true(q->n < QCAP);
    q->p[(q->head + q->n) % QCAP] = *p;
    q->n++;
}

static bool q_pop(struct queue *q, struct pkt *p)
{
    if (!q->n)
        return false;
    *p = q->p[q->head];
    q->head = (q->head + 1) % QCAP;
    q->n--;
    return true;
}

/* ---------- pulling ---------- */

static bool pull_one(struct world *w, bool server, struct pkt *p)
{
    struct uft_tx tx;
    ssize_t n;
    /* not reset: a client seals an ABORT when it queues it */
    n = server ? uft_server_pull(w->srv, w->now, p->b, sizeof p->b, &tx)
               : uft_client_pull(w->cl, w->now, p->b, sizeof p->b, &tx);
    assert_true(n >= 0);
    if (n == 0)
        return false;
    p->len = (size_t)n;
    p->func = p->b[1];
    if (p->b[1] == UFT_ENCRYPTED) {
        assert_true(last_sealed >= 0);
        p->func = (uint8_t)last_sealed;
        if (server)
            w->srv_sealed++;
    }
    return true;
}

/* Queue everything a node has due now. */
static void drain(struct world *w, bool server)
{
    struct pkt *p = malloc(sizeof *p);
    assert_non_null(p);
    while (pull_one(w, server, p))
        q_push(server ? &w->to_cl : &w->to_srv, p);
    free(p);
}

/* ---------- feeding and the attacks ---------- */

static const struct uft_peer FROM_SRV = {4, {10, 0, 0, 1}};
static const struct uft_peer FROM_CL = {4, {10, 0, 0, 2}};

struct counts {
    uint64_t dropped, unauth, replayed, stale;
};

static void counts_of(struct world *w, bool server, struct counts *c)
{
    memset(c, 0, sizeof *c);
    if (server) {
        struct uft_server_stats st;
        uft_server_stats(w->srv, &st);
        c->dropped = st.rx_dropped;
        c->unauth = st.rx_unauth;
        c->replayed = st.rx_replayed;
    } else {
        struct uft_client_stats st;
        uft_client_stats(w->cl, &st);
        c->dropped = st.rx_dropped;
        c->unauth = st.rx_unauth;
        c->replayed = st.rx_replayed;
        c->stale = st.rx_stale;
    }
}

static void feed(struct world *w, bool server, const uint8_t *b, size_t len)
{
    if (server)
        uft_server_feed(w->srv, w->now, b, len, &FROM_CL);
    else
        uft_client_feed(w->cl, w->now, b, len, &FROM_SRV);
}

enum reason { R_DROP, R_UNAUTH, R_REPLAY };

/* Feed a mutated datagram to the server (server) or the client; it must
 * be dropped, counted under why, and answered with nothing. */
static void attack(struct world *w, bool server, const uint8_t *b, size_t len, enum reason why,
                   const char *what, uint8_t func)
{
    struct counts a, z;
    struct pkt *out = malloc(sizeof *out);
    assert_non_null(out);
    counts_of(w, server, &a);
    feed(w, server, b, len);
    counts_of(w, server, &z);
    if (z.dropped != a.dropped + 1 || (why == R_UNAUTH && z.unauth != a.unauth + 1) ||
        (why == R_REPLAY && z.replayed != a.replayed + 1))
        fail_msg("%s: %s of type %u was not dropped as expected (dropped %llu->%llu, unauth "
                 "%llu->%llu, replayed %llu->%llu)",
                 server ? "server" : "client", what, func, (unsigned long long)a.dropped,
                 (unsigned long long)z.dropped, (unsigned long long)a.unauth,
                 (unsigned long long)z.unauth, (unsigned long long)a.replayed,
                 (unsigned long long)z.replayed);
    if (pull_one(w, server, out))
        fail_msg("%s answered %s of type %u with a datagram of type %u",
                 server ? "server" : "client", what, func, out->func);
    w->attacks++;
    free(out);
}

/* A different key of the session's type, and a fresh counter: the tag
 * the receiver computes cannot match. */
static void reseal(struct world *w, const struct pkt *p, uint8_t *b)
{
    uint8_t key[32], nonce[12] = {0}, plain[MAXPKT];
    size_t clen = p->len - 28 - 16;
    uint64_t ctr = 0;
    int i;
    memcpy(b, p->b, p->len);
    for (i = 0; i < 8; i++)
        ctr = ctr << 8 | b[16 + i];
    ctr += 100000;
    for (i = 0; i < 8; i++)
        b[16 + i] = (uint8_t)(ctr >> (56 - 8 * i));
    assert_int_equal(uft_crypto_ops()->random(key, sizeof key), 0);
    memset(plain, 0, clen);
    plain[0] = p->func;
    assert_int_equal(uft_crypto_ops()->seal(w->keytype, key, nonce, b, 28, plain, clen, b + 28), 0);
}

/* The mutations of an ENCRYPTED datagram, fed while its session is live. */
static void attack_sealed(struct world *w, bool server, const struct pkt *p)
{
    uint8_t b[MAXPKT];
    const uint8_t f = p->func;
    assert_true(p->len > 28 + 16);
    attack(w, server, p->b, p->len - 1, R_DROP, "a datagram one byte short", f);
    attack(w, server, p->b, 28 + 8, R_DROP, "a datagram cut inside the payload", f);
    memcpy(b, p->b, p->len);
    b[28] ^= 0x01;
    attack(w, server, b, p->len, R_UNAUTH, "a flipped ciphertext bit", f);
    memcpy(b, p->b, p->len);
    b[p->len - 1] ^= 0x80;
    attack(w, server, b, p->len, R_UNAUTH, "a flipped tag bit", f);
    memcpy(b, p->b, p->len);
    b[18] ^= 0x01; /* the IV counter is in the AAD: a moved counter breaks the tag */
    attack(w, server, b, p->len, R_UNAUTH, "a changed IV counter", f);
    reseal(w, p, b);
    attack(w, server, b, p->len, R_UNAUTH, "a datagram sealed under another key", f);
    /* a forged sequence number far ahead: refused, and it must not make
     * the genuine traffic that follows look stale */
    memcpy(b, p->b, p->len);
    b[2] ^= 0x70;
    attack(w, server, b, p->len, R_UNAUTH, "a sequence number pushed ahead", f);
    memcpy(b, p->b, p->len);
    b[4] = (uint8_t)(STRANGER >> 24), b[5] = (uint8_t)(STRANGER >> 16);
    b[6] = (uint8_t)(STRANGER >> 8), b[7] = (uint8_t)STRANGER;
    attack(w, server, b, p->len, R_DROP, "a datagram from a non-member", f);
}

/* KEYINFO is clear and signed: its signature is the part to attack. */
static void attack_keyinfo(struct world *w, const struct pkt *p)
{
    uint8_t b[MAXPKT], sig[600];
    size_t siglen = (size_t)p->b[18] << 8 | p->b[19], got = 0;
    void *other = NULL;
    int tries;
    const struct uft_crypto_ops *ops = uft_crypto_ops();
    assert_true(siglen > 0 && 28 + siglen <= p->len);
    attack(w, false, p->b, p->len - 1, R_DROP, "a KEYINFO one byte short", UFT_KEYINFO);
    memcpy(b, p->b, p->len);
    b[28 + siglen / 2] ^= 0x04;
    attack(w, false, b, p->len, R_UNAUTH, "a KEYINFO with a flipped signature bit", UFT_KEYINFO);
    memcpy(b, p->b, p->len);
    b[p->len - 5] ^= 0x01; /* inside the wrapped group master */
    attack(w, false, b, p->len, R_UNAUTH, "a KEYINFO with a changed entry", UFT_KEYINFO);
    /* signed by another P-256 key (DER lengths vary: sign until it fits) */
    assert_int_equal(ops->signkey_new_ec(UFT_CURVE_P256, &other), 0);
    memcpy(b, p->b, p->len);
    memset(b + 28, 0, siglen);
    for (tries = 0; tries < 200 && got != siglen; tries++)
        assert_int_equal(ops->sign(other, UFT_HASH_SHA256, b, p->len, sig, sizeof sig, &got), 0);
    ops->signkey_free(other);
    assert_int_equal(got, siglen);
    memcpy(b + 28, sig, siglen);
    attack(w, false, b, p->len, R_UNAUTH, "a KEYINFO signed with another key", UFT_KEYINFO);
    memcpy(b, p->b, p->len);
    b[4] = (uint8_t)(STRANGER >> 24), b[5] = (uint8_t)(STRANGER >> 16);
    b[6] = (uint8_t)(STRANGER >> 8), b[7] = (uint8_t)STRANGER;
    attack(w, false, b, p->len, R_DROP, "a KEYINFO from a non-member", UFT_KEYINFO);
}

/* After the genuine datagram: its exact copy again. */
static void attack_replay(struct world *w, bool server, const struct pkt *p, bool live)
{
    struct pkt *out;
    struct counts a, z;
    if (p->b[1] == UFT_ENCRYPTED) {
        /* a session that ended with the genuine one (ABORT, DONE_CONF)
         * drops the copy as foreign */
        attack(w, server, p->b, p->len, live ? R_REPLAY : R_DROP, "a replay", p->func);
        return;
    }
    out = malloc(sizeof *out);
    assert_non_null(out);
    counts_of(w, server, &a);
    feed(w, server, p->b, p->len);
    counts_of(w, server, &z);
    if (p->func == UFT_KEYINFO) {
        /* by design: answered with the KEYINFO_ACK again */
        assert_int_equal(z.dropped, a.dropped);
        assert_true(pull_one(w, false, out));
        assert_int_equal(out->func, UFT_KEYINFO_ACK);
        assert_false(pull_one(w, false, out));
    } else {
        /* a REGISTER in the announce phase: clients send it again until
         * their KEYINFO comes, so a copy is answered as a resent one (at
         * most with the KEYINFO again); it is replayed once more in the
         * data phase, where it must be dropped */
        assert_int_equal(p->func, UFT_REGISTER);
        while (pull_one(w, true, out)) {
            assert_int_equal(out->func, UFT_KEYINFO);
            q_push(&w->to_cl, out);
        }
        w->reg = *p;
        w->have_reg = true;
    }
    w->attacks++;
    free(out);
}

static bool session_live(struct world *w, bool server)
{
    int code;
    if (server)
        return !uft_server_done(w->srv, &code);
    return !w->client_ended;
}

/* Deliver one datagram; the first of each type is attacked around it. */
static void deliver(struct world *w, bool to_server, struct pkt *p)
{
    bool *tested = to_server ? w->tested_srv : w->tested_cl;
    bool first = p->func < 32 && !tested[p->func];
    if (first && p->func != UFT_ANNOUNCE && p->func != UFT_REG_CONF &&
        !(to_server && p->func == UFT_CLIENT_KEY && w->mode != AUTH)) {
        tested[p->func] = true;
        drain(w, to_server);
        if (p->b[1] == UFT_ENCRYPTED)
            attack_sealed(w, to_server, p);
        else if (p->func == UFT_KEYINFO && w->mode != V4)
            attack_keyinfo(w, p);
        feed(w, to_server, p->b, p->len);
        drain(w, to_server);
        attack_replay(w, to_server, p, session_live(w, to_server));
        return;
    }
    feed(w, to_server, p->b, p->len);
}

/* ---------- the run ---------- */

/* Hold back FILESEGs: the first until the server has sealed more than a
 * window's worth after it, the third for five more. */
static bool hold_back(struct world *w, const struct pkt *p)
{
    if (p->func == UFT_CONG_CTRL && ++w->ccs_seen == 2) {
        w->late_cc = *p;
        w->have_cc = true;
        w->cc_at = w->srv_sealed;
        return true;
    }
    if (p->func != UFT_FILESEG)
        return false;
    w->segs_seen++;
    if (w->segs_seen == 2 && !w->have_old) { /* the first one goes through to be attacked */
        w->old_seg = *p;
        w->have_old = true;
        w->old_at = w->srv_sealed;
        return true;
    }
    if (w->segs_seen == 4 && !w->have_near) {
        w->near_seg = *p;
        w->have_near = true;
        w->near_at = w->srv_sealed;
        return true;
    }
    return false;
}

static void release_held(struct world *w)
{
    struct uft_client_stats a, z;
    if (w->have_near && !w->near_done && w->srv_sealed >= w->near_at + 5) {
        uft_client_stats(w->cl, &a);
        feed(w, false, w->near_seg.b, w->near_seg.len);
        uft_client_stats(w->cl, &z);
        assert_int_equal(z.rx_dropped, a.rx_dropped);
        assert_int_equal(z.data_packets, a.data_packets + 1);
        w->near_done = true;
    }
    /* UFTP's rule: a control message more than 5 sequence numbers behind
     * the newest is dropped (FILESEG is exempt in ufcast) */
    if (w->have_cc && !w->cc_done && w->srv_sealed >= w->cc_at + 10) {
        uft_client_stats(w->cl, &a);
        feed(w, false, w->late_cc.b, w->late_cc.len);
        uft_client_stats(w->cl, &z);
        assert_int_equal(z.rx_dropped, a.rx_dropped + 1);
        assert_int_equal(z.rx_stale, a.rx_stale + 1);
        w->cc_done = true;
    }
    if (w->have_reg && !w->reg_done && w->near_done) {
        attack(w, true, w->reg.b, w->reg.len, R_DROP, "a REGISTER replayed in the data phase",
               UFT_REGISTER);
        w->reg_done = true;
    }
    if (w->have_old && !w->old_done && w->srv_sealed >= w->old_at + UFT_REPLAY_WINDOW + 50) {
        uft_client_stats(w->cl, &a);

        feed(w, false, w->old_seg.b, w->old_seg.len);
        uft_client_stats(w->cl, &z);
        assert_int_equal(z.rx_dropped, a.rx_dropped + 1);
        assert_int_equal(z.rx_replayed, a.rx_replayed + 1);
        assert_int_equal(z.data_packets, a.data_packets);
        w->old_done = true;
    }
}

static void step(struct world *w)
{
    struct pkt *p = malloc(sizeof *p);
    assert_non_null(p);
    drain(w, true);
    drain(w, false);
    while (q_pop(&w->to_cl, p)) {
        struct uft_client_stats st;
        if (w->mode == STOP_FINAL && p->func == UFT_DONE_CONF && !w->stopped) {
            struct pkt *out = malloc(sizeof *out);
            assert_non_null(out);
            w->stopped = true;
            uft_client_shutdown(w->cl, w->now);
            assert_true(w->client_ended && w->client_ok);
            assert_false(pull_one(w, false, out)); /* no ABORT */
            free(out);
            continue;
        }
        if (!hold_back(w, p))
            deliver(w, false, p);
        release_held(w);
        uft_client_stats(w->cl, &st);
        if ((w->mode == SRV_ABORT || w->mode == CL_ABORT) && !w->stopped &&
            st.data_packets >= 200) {
            w->stopped = true;
            if (w->mode == SRV_ABORT)
                uft_server_interrupt(w->srv, w->now);
            else
                uft_client_shutdown(w->cl, w->now);
        }
    }
    while (q_pop(&w->to_srv, p))
        deliver(w, true, p);
    free(p);
}

static void run_session(uint8_t keytype, enum mode mode)
{
    struct world w;
    uint32_t members[1] = {CL_ID};
    struct uft_server_file file = {
        .name = "data.bin", .ftype = UFT_FTYPE_REG, .size = FILE_LEN, .mtime = 1700000000};
    struct uft_server_cfg scfg;
    struct uft_client_cfg ccfg = {.client_id = CL_ID, .max_sessions = 2};
    struct uft_server_ops sops = {
        .ctx = &w, .event = srv_event, .read = srv_read, .crypto = &wrapped};
    struct uft_client_ops cops = {.ctx = &w,
                                  .event = cl_event,
                                  .file_begin = cl_begin,
                                  .file_write = cl_write,
                                  .file_end = cl_end,
                                  .crypto = &wrapped};
    struct uft_client_stats cst;
    struct uft_server_stats sst;
    int iter, code = -1;
    size_t i;

    memset(&w, 0, sizeof w);
    W = &w;
    wrapped = *uft_crypto_ops();
    wrapped.seal = seal_noting;
    w.keytype = keytype;
    w.mode = mode;
    w.src = malloc(FILE_LEN);
    w.dst = calloc(1, FILE_LEN);
    w.to_cl.p = malloc(QCAP * sizeof *w.to_cl.p);
    w.to_srv.p = malloc(QCAP * sizeof *w.to_srv.p);
    assert_true(w.src && w.dst && w.to_cl.p && w.to_srv.p);
    for (i = 0; i < FILE_LEN; i++)
        w.src[i] = (uint8_t)(i * 7 + (i >> 11));

    memset(&scfg, 0, sizeof scfg);
    scfg.version = mode == V4 ? UFT_VER4 : UFT_VER5;
    scfg.server_id = SRV_ID;
    scfg.group_id = 0x12345678;
    scfg.block_len = 1300;
    scfg.robust = 10;
    scfg.grtt_init = 20 * UFT_MSEC;
    scfg.grtt_min = 10 * UFT_MSEC;
    scfg.grtt_max = UFT_SEC;
    scfg.rate = 4000000;
    scfg.clients = members;
    scfg.n_clients = 1;
    scfg.keytype = keytype;
    scfg.hashtype = UFT_HASH_SHA256;
    scfg.curve = UFT_CURVE_P256;
    scfg.cc_type = UFT_CC_TFMCC;
    scfg.cc_init_rate = 4000000;
    scfg.wall_base_us = 1700000000000000ull;
    scfg.client_auth = mode == AUTH;
    assert_int_equal(uft_server_create(&scfg, &file, 1, &sops, 0, &w.srv), 0);
    assert_int_equal(uft_client_create(&ccfg, &cops, &w.cl), 0);

    for (iter = 0; iter < 2000000 && !uft_server_done(w.srv, &code); iter++) {
        uft_ts next;
        step(&w);
        next = uft_server_deadline(w.srv);
        if (uft_client_deadline(w.cl) < next)
            next = uft_client_deadline(w.cl);
        if (w.to_cl.n || w.to_srv.n || uft_server_done(w.srv, &code))
            continue;
        assert_true(next != UFT_NEVER);
        w.now = next > w.now ? next : w.now + 1;
    }
    assert_true(uft_server_done(w.srv, &code));
    /* deliver what is left (the final DONE_CONF or ABORT, and its attacks) */
    for (iter = 0; iter < 50 && !w.client_ended; iter++) {
        step(&w);
        w.now += 100 * UFT_MSEC;
    }
    if (mode == AUTH)
        assert_true(w.tested_srv[UFT_CLIENT_KEY]);
    if (mode == STOP_FINAL) {
        assert_true(w.stopped && w.client_ok && w.committed);
        assert_memory_equal(w.src, w.dst, FILE_LEN);
        goto out;
    }
    if (mode == SRV_ABORT || mode == CL_ABORT) {
        struct uft_server_dest d;
        assert_true(w.client_ended);
        assert_false(w.committed);
        assert_true(mode == SRV_ABORT ? w.tested_cl[UFT_ABORT] : w.tested_srv[UFT_ABORT]);
        assert_true(uft_server_dest(w.srv, 0, &d));
        assert_int_equal(d.fate, UFT_FATE_ABORTED);
        assert_int_equal(code, mode == SRV_ABORT ? UFT_EXIT_INTERRUPTED : UFT_EXIT_DROPPED);
        goto out;
    }
    assert_int_equal(code, 0);
    assert_true(w.committed);
    assert_memory_equal(w.src, w.dst, FILE_LEN);
    assert_true(w.near_done && w.old_done && w.reg_done && w.cc_done);
    /* every type the brief names was attacked on its side */
    {
        static const uint8_t cl_types[] = {UFT_KEYINFO, UFT_FILEINFO,  UFT_FILESEG,
                                           UFT_DONE,    UFT_DONE_CONF, UFT_CONG_CTRL};
        static const uint8_t srv_types[] = {UFT_REGISTER, UFT_KEYINFO_ACK, UFT_FILEINFO_ACK,
                                            UFT_STATUS,   UFT_COMPLETE,    UFT_CC_ACK};
        for (i = 0; i < sizeof cl_types; i++)
            if (!w.tested_cl[cl_types[i]])
                fail_msg("the client never received a type %u to attack", cl_types[i]);
        for (i = 0; i < sizeof srv_types; i++)
            if (!w.tested_srv[srv_types[i]])
                fail_msg("the server never received a type %u to attack", srv_types[i]);
    }
    uft_client_stats(w.cl, &cst);
    uft_server_stats(w.srv, &sst);
    print_message(
        "version 0x%02x, keytype %u: %u forged or replayed datagrams fed (all dropped but the "
        "KEYINFO answered by design); client dropped "
        "%llu (unauth %llu, replayed %llu, stale %llu), server dropped %llu (unauth "
        "%llu, replayed %llu)\n",
        mode == V4 ? UFT_VER4 : UFT_VER5, keytype, w.attacks, (unsigned long long)cst.rx_dropped,
        (unsigned long long)cst.rx_unauth, (unsigned long long)cst.rx_replayed,
        (unsigned long long)cst.rx_stale, (unsigned long long)sst.rx_dropped,
        (unsigned long long)sst.rx_unauth, (unsigned long long)sst.rx_replayed);
    assert_int_equal(cst.rx_stale, 1);
out:
    uft_client_free(w.cl);
    uft_server_free(w.srv);
    free(w.src);
    free(w.dst);
    free(w.to_cl.p);
    free(w.to_srv.p);
}

/* The window by itself: in order, out of order inside it, its edge, and
 * a jump further than its width. */
static void test_window(void **state)
{
    struct uft_replay r;
    uint64_t c;
    (void)state;
    memset(&r, 0, sizeof r);
    for (c = 1; c <= 3000; c += 2) { /* odd counters only: the even ones are "reordered" */
        assert_true(uft_replay_fresh(&r, c));
        uft_replay_mark(&r, c);
        assert_false(uft_replay_fresh(&r, c));
    }
    assert_true(uft_replay_fresh(&r, 2998));                          /* late, inside */
    assert_true(uft_replay_fresh(&r, 2999 - UFT_REPLAY_WINDOW + 1));  /* the last slot */
    assert_false(uft_replay_fresh(&r, 2999 - UFT_REPLAY_WINDOW + 2)); /* odd: seen */
    assert_false(uft_replay_fresh(&r, 2999 - UFT_REPLAY_WINDOW));     /* too old */
    assert_false(uft_replay_fresh(&r, 1));
    uft_replay_mark(&r, 2998);
    assert_false(uft_replay_fresh(&r, 2998));
    /* a jump wider than the window forgets everything below it */
    uft_replay_mark(&r, 2999 + 5 * UFT_REPLAY_WINDOW);
    assert_false(uft_replay_fresh(&r, 2999));
    assert_true(uft_replay_fresh(&r, 2999 + 5 * UFT_REPLAY_WINDOW - 1));
    assert_false(uft_replay_fresh(&r, 2999 + 5 * UFT_REPLAY_WINDOW));
    /* slots passed over by a short jump are cleared, not inherited */
    uft_replay_mark(&r, 2999 + 5 * UFT_REPLAY_WINDOW + 10);
    assert_true(uft_replay_fresh(&r, 2999 + 5 * UFT_REPLAY_WINDOW + 5));
}

static void test_gcm(void **state)
{
    (void)state;
    run_session(UFT_KEY_AES256_GCM, FULL);
}

static void test_gcm_server_abort(void **state)
{
    (void)state;
    run_session(UFT_KEY_AES256_GCM, SRV_ABORT);
}

static void test_gcm_client_abort(void **state)
{
    (void)state;
    run_session(UFT_KEY_AES256_GCM, CL_ABORT);
}

static void test_gcm_client_auth(void **state)
{
    (void)state;
    run_session(UFT_KEY_AES256_GCM, AUTH);
}

static void test_gcm_stop_final(void **state)
{
    (void)state;
    run_session(UFT_KEY_AES256_GCM, STOP_FINAL);
}

static void test_ccm(void **state)
{
    (void)state;
    run_session(UFT_KEY_AES128_CCM, FULL);
}

static void test_v4_gcm(void **state)
{
    (void)state;
    run_session(UFT_KEY_AES256_GCM, V4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_gcm),
        cmocka_unit_test(test_gcm_server_abort),
        cmocka_unit_test(test_gcm_client_abort),
        cmocka_unit_test(test_gcm_client_auth),
        cmocka_unit_test(test_gcm_stop_final),
        cmocka_unit_test(test_ccm),
        cmocka_unit_test(test_v4_gcm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
