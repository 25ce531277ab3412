/*
 * Encrypted UFTP 5 sessions through a client or response proxy
 * (proxy_int.h). The proxy stands in the middle of two key exchanges.
 *
 * Upstream it is one more client of the server: an ECDH share of its own
 * on the server's curve and its own rand2 make its handshake keys (its
 * Ctx1 has an empty P_ctx); with client authentication it sends its own
 * CLIENT_KEY after each REGISTER; the server's KEYINFO gives it the group
 * master (GM), and from then on everything it sends up (KEYINFO_ACK,
 * FILEINFO_ACK, STATUS, COMPLETE, ABORT) is sealed with its application
 * key.
 *
 * Downstream it is the receivers' server: its PROXY_KEY carries its
 * signing key, a second ECDH share and a signature over S_ctx and P_ctx
 * (P_ctx = its ID and that PROXY_KEY with the signature zeroed); each
 * receiver's REGISTER gives that receiver's handshake keys; its
 * CLIENT_KEY is checked; once the server's REG_CONF names it and the GM
 * is known, the proxy's own signed KEYINFO gives it the same GM, and its
 * KEYINFO_ACK proves it. Receivers read the server's sealed traffic
 * themselves (the server's application key depends on GM and S_ctx
 * only), and seal their answers with their own application keys, which
 * the proxy opens before gathering them.
 *
 * Every sealed datagram the proxy opens passes a replay window
 * (sec_common.h) over its sender's IV counter: one per receiver, and one
 * for the server's ABORTs. A replay is dropped and counted.
 */
#include "core/proxy_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "core/err.h"
#include "core/sec_common.h"

#define CKEY_MAX     1020 /* a CLIENT_KEY body: hlen is one byte of words */
#define ABORT_SEALED (308 + UFT_SEC_TAG_LEN)

struct px_sec {
    struct uft_sec_suite su;
    bool client_auth, keyed;
    void *dh_up, *dh_down; /* ECDH keys towards the server and the receivers */
    uint8_t server_key[600];
    size_t server_key_len;
    uint8_t up_blob[160], down_blob[160], rand2[UFT_RAND_LEN];
    size_t up_blob_len, down_blob_len;
    uint8_t *sctx, *pctx, *ctx; /* ctx: our Ctx1 upstream, then Ctx2 */
    size_t sctx_len, pctx_len, ctx_len;
    uint8_t *ckey, *pkey; /* our CLIENT_KEY body, our signed PROXY_KEY body */
    size_t ckey_len, pkey_len, siglen;
    struct uft_sec_keys up_shs, up_chs, up_app, s_app;
    uint8_t verify[64], gm[UFT_SEC_GM_LEN];
    uint64_t ctr;                /* pre-incremented, for everything the proxy seals */
    struct uft_replay rp_server; /* the server's counters that the proxy opened */
};

struct px_csec {
    uint8_t *ctx; /* its Ctx1, grown into Ctx2 by its CLIENT_KEY */
    size_t ctx1_len, ctx_len;
    bool have_ctx2, have_app;
    struct uft_sec_keys shs, chs, app;
    uint8_t verify[64];
    struct uft_replay rp; /* its counters opened: one counter runs across its keys */
};

static const struct uft_crypto_ops *cops(const struct uft_proxy *p)
{
    return p->ops.crypto;
}

bool uft_pxs_keyed(const struct px_group *g)
{
    return g->sec && g->sec->keyed;
}

/* ---------- the session's start ---------- */

/* -S: an empty list admits every server; a listed one may pin its key. */
static bool server_ok(struct uft_proxy *p, uint32_t id, const struct uft_bytes *blob)
{
    static const uint8_t any[20];
    uint8_t fp[20];
    size_t i;
    if (!p->cfg.n_servers)
        return true;
    for (i = 0; i < p->cfg.n_servers && p->cfg.servers[i] != id; i++)
        ;
    if (i == p->cfg.n_servers)
        return false;
    if (!p->cfg.server_fps || memcmp(p->cfg.server_fps + 20 * i, any, 20) == 0)
        return true;
    return cops(p)->hash(UFT_HASH_SHA1, blob->p, blob->len, fp) == 0 &&
           memcmp(fp, p->cfg.server_fps + 20 * i, 20) == 0;
}

/* Check the ANNOUNCE's encryption header, its signature (UFT_E_AUTH when
 * it does not verify) and the server's key against -S (UFT_E_VALUE), and
 * keep S_ctx (the group, the server and EXT_ENC_INFO with its signature
 * zeroed). */
static int check_announce(struct uft_proxy *p, struct px_group *g, struct px_sec *x,
                          const struct uft_ext_enc_info *e, const uint8_t *pkt, size_t len,
                          const char **why)
{
    size_t ext_off = (size_t)(e->keyblob.p - pkt) - 44, ext_len, sig_off;
    struct uft_keyblob dhb;
    uint8_t *copy;
    int rc;
    *why = "Invalid extension size";
    ext_len = (size_t)pkt[ext_off + 1] * 4;
    if (ext_len != 44 + e->keyblob.len + e->dhblob.len + e->sig.len ||
        e->keyblob.len > sizeof x->server_key)
        return UFT_E_LENGTH;
    *why = "Unsupported encryption parameters";
    if (uft_blob_decode(e->dhblob.p, e->dhblob.len, &dhb) != 0 || dhb.type != UFT_BLOB_EC)
        return UFT_E_VALUE;
    if (!(copy = malloc(len)))
        return UFT_E_NOMEM;
    memcpy(copy, pkt, len);
    sig_off = (size_t)(e->sig.p - pkt);
    memset(copy + sig_off, 0, e->sig.len);
    *why = "Signature verification failed";
    rc =
        cops(p)->verify(e->keyblob.p, e->keyblob.len, e->hashtype, copy, len, e->sig.p, e->sig.len);
    if (rc != 0) {
        rc = UFT_E_AUTH;
    } else if (!server_ok(p, g->server_id, &e->keyblob)) {
        *why = "Failed to verify server key fingerprint";
        rc = UFT_E_VALUE;
    }
    if (rc == 0 && !(x->sctx = malloc(9 + ext_len)))
        rc = UFT_E_NOMEM;
    if (rc == 0) {
        uft_put_u32(x->sctx, g->group_id);
        x->sctx[4] = g->inst;
        uft_put_u32(x->sctx + 5, g->server_id);
        memcpy(x->sctx + 9, copy + ext_off, ext_len);
        x->sctx_len = 9 + ext_len;
        memcpy(x->server_key, e->keyblob.p, e->keyblob.len);
        x->server_key_len = e->keyblob.len;
    }
    free(copy);
    return rc;
}

/* Sign label || the given contexts with our key into sig (siglen bytes). */
static int sign_ctx(struct uft_proxy *p, struct px_sec *x, const char *label,
                    const struct uft_bytes *parts, size_t n, uint8_t *sig)
{
    size_t sl = 0;
    int rc = uft_sec_sign_parts(cops(p), uft_px_signkey(p), x->su.hashtype, label, parts, n, sig,
                                x->siglen, &sl);
    return rc ? rc : (sl == x->siglen ? 0 : UFT_E_CRYPTO);
}

/* Our CLIENT_KEY body (signed over "UFTP 5, CLIENT_KEY" || Ctx1), and
 * Ctx2 = Ctx1 || that body with its signature zeroed. */
static int own_client_key(struct uft_proxy *p, struct px_sec *x, const uint8_t *blob, size_t bl)
{
    struct uft_bytes part = {x->ctx, x->ctx_len};
    uint8_t sig[600], *nctx;
    struct uft_msg m;
    ssize_t n;
    int rc;
    if ((rc = sign_ctx(p, x, "UFTP 5, CLIENT_KEY", &part, 1, sig)))
        return rc;
    memset(&m, 0, sizeof m);
    m.hdr.version = UFT_VER5;
    m.hdr.func = UFT_CLIENT_KEY;
    m.u.client_key.keyblob.p = blob;
    m.u.client_key.keyblob.len = bl;
    m.u.client_key.sig.p = sig;
    m.u.client_key.sig.len = x->siglen;
    if (!(x->ckey = malloc(CKEY_MAX)) || !(nctx = realloc(x->ctx, x->ctx_len + CKEY_MAX)))
        return UFT_E_NOMEM;
    x->ctx = nctx;
    if ((n = uft_msg_encode_body(&m, x->ckey, CKEY_MAX)) < 0)
        return (int)n;
    x->ckey_len = (size_t)n;
    memcpy(x->ctx + x->ctx_len, x->ckey, x->ckey_len);
    memset(x->ctx + x->ctx_len + 8 + bl, 0, x->siglen);
    x->ctx_len += x->ckey_len;
    return 0;
}

/* Our keys towards the server: Ctx1 = S_ctx || proxy ID || our ECDH blob
 * || rand2 (no P_ctx), the handshake keys, and CLIENT_KEY if asked. */
static int up_keys(struct uft_proxy *p, struct px_sec *x, const struct uft_ext_enc_info *e,
                   const uint8_t *blob, size_t bl)
{
    uint8_t premaster[32];
    int rc;
    x->ctx_len = x->sctx_len + 4 + x->up_blob_len + UFT_RAND_LEN;
    if (!(x->ctx = malloc(x->ctx_len)))
        return UFT_E_NOMEM;
    memcpy(x->ctx, x->sctx, x->sctx_len);
    uft_put_u32(x->ctx + x->sctx_len, p->cfg.proxy_id);
    memcpy(x->ctx + x->sctx_len + 4, x->up_blob, x->up_blob_len);
    memcpy(x->ctx + x->sctx_len + 4 + x->up_blob_len, x->rand2, UFT_RAND_LEN);
    rc = uft_sec_premaster(cops(p), x->dh_up, e->dhblob.p, e->dhblob.len, premaster);
    if (rc == 0)
        rc = uft_sec_hs_keys(&x->su, premaster, x->ctx, x->ctx_len, &x->up_shs, &x->up_chs);
    cops(p)->wipe(premaster, sizeof premaster);
    if (rc == 0 && x->client_auth)
        rc = own_client_key(p, x, blob, bl);
    return rc;
}

/* PROXY_KEY: our signing key, our downstream ECDH share and a signature
 * over "UFTP 5, PROXY_KEY" || S_ctx || P_ctx, where P_ctx = our ID || this
 * body with the signature zeroed. The signature covers nothing that
 * changes, so one serves every copy. */
static int make_proxy_key(struct uft_proxy *p, struct px_sec *x, const uint8_t *blob, size_t bl)
{
    struct uft_bytes parts[2];
    struct uft_msg m;
    uint8_t sig[600] = {0};
    ssize_t n;
    int rc;
    memset(&m, 0, sizeof m);
    m.hdr.version = UFT_VER5;
    m.hdr.func = UFT_PROXY_KEY;
    m.u.proxy_key.keyblob.p = blob;
    m.u.proxy_key.keyblob.len = bl;
    m.u.proxy_key.dhblob.p = x->down_blob;
    m.u.proxy_key.dhblob.len = x->down_blob_len;
    m.u.proxy_key.sig.p = sig;
    m.u.proxy_key.sig.len = x->siglen;
    if (!(x->pkey = malloc(CKEY_MAX)) || !(x->pctx = malloc(4 + CKEY_MAX)))
        return UFT_E_NOMEM;
    if ((n = uft_msg_encode_body(&m, x->pkey, CKEY_MAX)) < 0)
        return (int)n;
    x->pkey_len = (size_t)n;
    uft_put_u32(x->pctx, p->cfg.proxy_id);
    memcpy(x->pctx + 4, x->pkey, x->pkey_len);
    x->pctx_len = 4 + x->pkey_len;
    parts[0].p = x->sctx;
    parts[0].len = x->sctx_len;
    parts[1].p = x->pctx;
    parts[1].len = x->pctx_len;
    if ((rc = sign_ctx(p, x, "UFTP 5, PROXY_KEY", parts, 2, sig)))
        return rc;
    memcpy(x->pkey + 8 + bl + x->down_blob_len, sig, x->siglen);
    return 0;
}

static int new_keys(struct uft_proxy *p, struct px_sec *x, const struct uft_ext_enc_info *e)
{
    const struct uft_crypto_ops *c = cops(p);
    struct uft_keyblob dhb;
    uint8_t blob[600];
    size_t bl = 0;
    void *key = uft_px_signkey(p);
    int rc;
    if (!key || uft_blob_decode(e->dhblob.p, e->dhblob.len, &dhb) != 0)
        return UFT_E_CRYPTO;
    x->siglen = c->signkey_siglen(key);
    if ((rc = c->signkey_blob(key, blob, sizeof blob, &bl)) || x->siglen == 0 || x->siglen > 600 ||
        8 + bl + sizeof x->down_blob + x->siglen > CKEY_MAX ||
        (rc = c->ecdh_new(dhb.ec_curve, &x->dh_up)) ||
        (rc = c->ecdh_blob(x->dh_up, x->up_blob, sizeof x->up_blob, &x->up_blob_len)) ||
        (rc = c->ecdh_new(dhb.ec_curve, &x->dh_down)) ||
        (rc = c->ecdh_blob(x->dh_down, x->down_blob, sizeof x->down_blob, &x->down_blob_len)) ||
        (rc = c->random(x->rand2, sizeof x->rand2)) || (rc = up_keys(p, x, e, blob, bl)))
        return rc ? rc : UFT_E_CRYPTO;
    return make_proxy_key(p, x, blob, bl);
}

int uft_pxs_announce(struct uft_proxy *p, struct px_group *g, const struct uft_msg *m,
                     const uint8_t *pkt, size_t len, const char **why)
{
    const struct uft_ext_enc_info *e = &m->u.announce.enc;
    struct px_sec *x;
    int rc;
    *why = "Proxy has no cryptography";
    if (!cops(p))
        return UFT_E_INVAL;
    if (!(x = calloc(1, sizeof *x)))
        return UFT_E_NOMEM;
    g->sec = x;
    *why = "Keytype or hashtype invalid or not supported here";
    if ((rc = uft_sec_suite_init(&x->su, cops(p), e->keytype, e->hashtype)) ||
        (rc = check_announce(p, g, x, e, pkt, len, why)))
        goto fail;
    x->client_auth = (e->flags & UFT_ENC_CLIENT_AUTH) != 0;
    *why = "Proxy key setup failed";
    if ((rc = new_keys(p, x, e))) {
        rc = rc == UFT_E_AUTH ? UFT_E_CRYPTO : rc; /* UFT_E_AUTH: a bad signature only */
        goto fail;
    }
    uft_px_log(p, g, 2, "Encrypted session: key type %u, hash type %u%s", e->keytype, e->hashtype,
               x->client_auth ? ", client authentication" : "");
    return 0;
fail:
    uft_pxs_free(p, g);
    return rc;
}

/* ---------- upstream: the proxy as a client ---------- */

void uft_pxs_send_proxy_key(struct uft_proxy *p, struct px_group *g)
{
    struct px_sec *x = g->sec;
    struct uft_hdr h;
    struct uft_wr w;
    uint8_t buf[UFT_HDR_LEN + CKEY_MAX];
    memset(&h, 0, sizeof h);
    h.version = g->version;
    h.func = UFT_PROXY_KEY;
    h.seq = g->ann_seq; /* as proxy.c's unencrypted PROXY_KEY, for the same reason */
    h.src_id = p->cfg.proxy_id;
    h.group_id = g->group_id;
    h.group_inst = g->inst;
    h.grtt = g->grtt_q;
    h.gsize = g->gsize_q;
    uft_wr_init(&w, buf, sizeof buf);
    if (uft_hdr_encode(&w, &h) == 0 && uft_wr_bytes(&w, x->pkey, x->pkey_len) == 0) {
        p->st.sent++;
        uft_px_send_group(p, g, buf, w.len, true);
    }
}

void uft_pxs_register_fill(const struct px_group *g, struct uft_msg *m)
{
    memcpy(m->u.reg.rand2, g->sec->rand2, UFT_RAND_LEN);
    m->u.reg.keyinfo.p = g->sec->up_blob;
    m->u.reg.keyinfo.len = g->sec->up_blob_len;
}

/* Seal m with keys k and queue it to the server. */
static void send_sealed(struct uft_proxy *p, struct px_group *g, struct uft_msg *m,
                        const struct uft_sec_keys *k)
{
    uint8_t buf[UFT_HDR_LEN + UFT_ENC_HDR_LEN + 9216];
    struct uft_tx tx;
    ssize_t n;
    m->hdr.version = g->version;
    m->hdr.seq = g->up_seq++;
    m->hdr.src_id = p->cfg.proxy_id;
    m->hdr.group_id = g->group_id;
    m->hdr.group_inst = g->inst;
    n = uft_sec_seal(&g->sec->su, k, ++g->sec->ctr, m, buf, sizeof buf);
    if (n < 0) {
        uft_px_log(p, g, 0, "Cannot seal %s: %s", uft_msg_name(m->hdr.func), uft_strerror((int)n));
        return;
    }
    memset(&tx, 0, sizeof tx);
    tx.dst = UFT_DST_PEER;
    tx.peer = g->up;
    p->st.sent++;
    uft_px_queue(p, buf, (size_t)n, &tx);
}

void uft_pxs_registered_up(struct uft_proxy *p, struct px_group *g)
{
    struct px_sec *x = g->sec;
    struct uft_msg m;
    if (!x->client_auth || uft_msg_decode_body(g->version, x->ckey, x->ckey_len, &m) != 0)
        return;
    send_sealed(p, g, &m, &x->up_chs);
}

ssize_t uft_pxs_seal_up(struct uft_proxy *p, struct px_group *g, const struct uft_msg *m,
                        uint8_t *buf, size_t cap)
{
    (void)p;
    return uft_sec_seal(&g->sec->su, &g->sec->up_app, ++g->sec->ctr, m, buf, cap);
}

static void send_keyinfo_ack(struct uft_proxy *p, struct px_group *g)
{
    struct uft_msg m;
    memset(&m, 0, sizeof m);
    m.hdr.func = UFT_KEYINFO_ACK;
    m.u.keyinfo_ack.verify.p = g->sec->verify;
    m.u.keyinfo_ack.verify.len = g->sec->su.hlen;
    send_sealed(p, g, &m, &g->sec->up_app);
    uft_px_log(p, g, 2, "KEYINFO_ACK sent");
}

/* ---------- downstream: the proxy as its receivers' server ---------- */

/* The receiver's application keys and verify data, once GM is known. */
static int client_app(struct px_sec *x, struct px_csec *k)
{
    int rc;
    if (k->have_app)
        return 0;
    rc = uft_sec_client_app(&x->su, x->gm, k->ctx, k->ctx_len, &k->app, k->verify);
    k->have_app = rc == 0;
    return rc;
}

/* One signed KEYINFO with entries for n receivers, to the private group.
 * The signature covers "UFTP 5, KEYINFO" || S_ctx || P_ctx || the
 * datagram with the signature zeroed. */
static void send_keyinfo_packet(struct uft_proxy *p, struct px_group *g, const uint8_t *keys,
                                size_t n, uint64_t ctr)
{
    struct px_sec *x = g->sec;
    uint8_t buf[UFT_HDR_LEN + 12 + 600 + 8800], sig[600] = {0};
    struct uft_bytes parts[3];
    struct uft_msg m;
    ssize_t len;
    memset(&m, 0, sizeof m);
    m.hdr.version = g->version;
    m.hdr.func = UFT_KEYINFO;
    m.hdr.src_id = p->cfg.proxy_id;
    m.hdr.group_id = g->group_id;
    m.hdr.group_inst = g->inst;
    m.hdr.grtt = g->grtt_q;
    m.hdr.gsize = g->gsize_q;
    m.u.keyinfo.iv_ctr = ctr;
    m.u.keyinfo.sig.p = sig;
    m.u.keyinfo.sig.len = x->siglen;
    m.u.keyinfo.keys.p = keys;
    m.u.keyinfo.keys.n = n;
    if ((len = uft_msg_encode(&m, buf, sizeof buf)) < 0)
        return;
    parts[0].p = x->sctx;
    parts[0].len = x->sctx_len;
    parts[1].p = x->pctx;
    parts[1].len = x->pctx_len;
    parts[2].p = buf;
    parts[2].len = (size_t)len;
    if (sign_ctx(p, x, "UFTP 5, KEYINFO", parts, 3, sig) != 0) {
        uft_px_log(p, g, 0, "Cannot sign KEYINFO");
        return;
    }
    memcpy(buf + UFT_HDR_LEN + 12, sig, x->siglen); /* after func, hlen, siglen, counter */
    p->st.sent++;
    uft_px_send_group(p, g, buf, (size_t)len, false);
}

/* KEYINFO for every confirmed receiver (only those in ids, if given):
 * the group master sealed under each one's handshake keys, one counter
 * value per datagram. */
static void send_keyinfo(struct uft_proxy *p, struct px_group *g, const struct uft_ids *ids)
{
    struct px_sec *x = g->sec;
    uint8_t keys[8800];
    size_t i, k, n = 0, max = g->blocksize / UFT_DESTKEY_LEN, sent = 0;
    if (max == 0 || max > sizeof keys / UFT_DESTKEY_LEN)
        max = sizeof keys / UFT_DESTKEY_LEN;
    for (i = 0; i < g->n_clients; i++) {
        struct px_client *c = &g->clients[i];
        uint8_t *e = keys + n * UFT_DESTKEY_LEN;
        bool listed = !ids;
        for (k = 0; ids && k < ids->n && !listed; k++)
            listed = uft_ids_get(ids, k) == c->id;
        if (c->state != PXC_CONF || !listed || !c->sec || client_app(x, c->sec) != 0)
            continue;
        if (n == 0)
            x->ctr++;
        uft_put_u32(e, c->id);
        if (uft_sec_wrap_gm(&x->su, &c->sec->shs, x->ctr, c->sec->ctx, c->sec->ctx_len, x->gm,
                            e + 4) != 0)
            continue;
        if (++n == max) {
            send_keyinfo_packet(p, g, keys, n, x->ctr);
            sent += n;
            n = 0;
        }
    }
    if (n)
        send_keyinfo_packet(p, g, keys, n, x->ctr);
    if (n + sent)
        uft_px_log(p, g, 2, "KEYINFO sent for %zu client(s)", n + sent);
}

static bool any_conf(const struct px_group *g)
{
    size_t i;
    for (i = 0; i < g->n_clients; i++)
        if (g->clients[i].state == PXC_CONF)
            return true;
    return false;
}

/* ---------- from the server ---------- */

/* The server's KEYINFO names the proxy: check its signature, unwrap GM,
 * derive the application keys, answer, and give the confirmed receivers
 * their KEYINFO. A repeat is answered with the ACK again. */
static void server_keyinfo(struct uft_proxy *p, struct px_group *g, const struct uft_msg *m,
                           const uint8_t *pkt, size_t len, uft_ts now)
{
    struct px_sec *x = g->sec;
    const struct uft_keyinfo *k = &m->u.keyinfo;
    struct uft_bytes parts[2];
    uint8_t *copy;
    size_t i;
    int rc;
    for (i = 0; i < k->keys.n && uft_destkeys_id(&k->keys, i) != p->cfg.proxy_id; i++)
        ;
    if (i == k->keys.n)
        return;
    if (x->keyed) {
        send_keyinfo_ack(p, g);
        return;
    }
    if (!(copy = malloc(len)))
        return;
    memcpy(copy, pkt, len);
    memset(copy + (k->sig.p - pkt), 0, k->sig.len);
    parts[0].p = x->sctx;
    parts[0].len = x->sctx_len;
    parts[1].p = copy;
    parts[1].len = len;
    rc = uft_sec_verify_parts(cops(p), x->server_key, x->server_key_len, x->su.hashtype,
                              "UFTP 5, KEYINFO", parts, 2, k->sig.p, k->sig.len);
    free(copy);
    if (rc) {
        p->st.rx_dropped++;
        uft_px_log(p, g, 1, "Rejecting KEYINFO from the server: signature does not verify");
        return;
    }
    if (uft_sec_unwrap_gm(&x->su, &x->up_shs, k->iv_ctr, x->ctx, x->ctx_len,
                          uft_destkeys_master(&k->keys, i), x->gm) != 0 ||
        uft_sec_server_app(&x->su, x->gm, x->sctx, x->sctx_len, &x->s_app) != 0 ||
        uft_sec_client_app(&x->su, x->gm, x->ctx, x->ctx_len, &x->up_app, x->verify) != 0) {
        uft_px_log(p, g, 0, "Decrypt failed for group master");
        uft_px_abort_up(p, g, 0, "Decrypt failed for group master");
        uft_px_abort_down(p, g, 0, "Decrypt failed for group master");
        g->refused = true;
        return;
    }
    x->keyed = true;
    uft_px_log(p, g, 2, "Received KEYINFO");
    send_keyinfo_ack(p, g);
    send_keyinfo(p, g, NULL);
    g->keyinfo_at = any_conf(g) ? now + 2 * g->grtt : UFT_NEVER;
}

/* REG_CONF (never sealed) names the receivers the server took from our
 * REGISTER: they get our KEYINFO as soon as the group master is known. */
static void server_reg_conf(struct uft_proxy *p, struct px_group *g, const struct uft_msg *m,
                            uft_ts now)
{
    const struct uft_ids *ids = &m->u.reg_conf.ids;
    size_t i;
    for (i = 0; i < ids->n; i++) {
        struct px_client *c = uft_px_find_client(g, uft_ids_get(ids, i));
        if (c && (c->state == PXC_REGISTERED || c->state == PXC_CONF))
            c->state = PXC_CONF;
    }
    if (g->sec->keyed && any_conf(g)) {
        send_keyinfo(p, g, ids);
        g->keyinfo_at = now + 2 * g->grtt;
    }
}

bool uft_pxs_from_server(struct uft_proxy *p, struct px_group *g, const uint8_t *pkt, size_t len,
                         uft_ts now)
{
    struct uft_msg m;
    if (pkt[1] != UFT_KEYINFO && pkt[1] != UFT_REG_CONF)
        return false;
    if (uft_msg_decode(pkt, len, &m) != 0) {
        p->st.rx_dropped++;
        return true;
    }
    if (m.hdr.func == UFT_KEYINFO)
        server_keyinfo(p, g, &m, pkt, len, now);
    else
        server_reg_conf(p, g, &m, now);
    return true;
}

int uft_pxs_server_abort(struct uft_proxy *p, struct px_group *g, const uint8_t *pkt, size_t len,
                         struct uft_msg *m)
{
    struct uft_msg outer;
    int rc;
    if (!uft_pxs_keyed(g))
        return UFT_E_TYPE;
    if ((rc = uft_msg_decode(pkt, len, &outer)) != 0)
        return rc;
    if (outer.u.encrypted.payload.len != ABORT_SEALED)
        return UFT_E_TYPE;
    /* the window sees only the datagrams opened here, a few of the
     * server's counters; they still rise, so a replay is all it refuses */
    if (!uft_replay_fresh(&g->sec->rp_server, outer.u.encrypted.iv_ctr)) {
        p->st.rx_dropped++;
        p->st.rx_replayed++;
        return UFT_E_REPLAY;
    }
    if ((rc = uft_sec_open(&g->sec->su, &g->sec->s_app, pkt, &outer, p->plain, sizeof p->plain,
                           m)) != 0)
        return rc;
    uft_replay_mark(&g->sec->rp_server, outer.u.encrypted.iv_ctr);
    return m->hdr.func == UFT_ABORT ? 0 : UFT_E_TYPE;
}

/* ---------- from the receivers ---------- */

/* A receiver's REGISTER: its handshake keys from its ECDH share on the
 * server's curve, with Ctx1 = S_ctx || P_ctx || its ID || its share ||
 * its rand2. */
static int client_keys(struct uft_proxy *p, struct px_group *g, struct px_client *c,
                       const struct uft_register *r)
{
    struct px_sec *x = g->sec;
    struct uft_keyblob mine, theirs;
    struct px_csec *k;
    uint8_t premaster[32];
    size_t n;
    int rc;
    if (uft_blob_decode(r->keyinfo.p, r->keyinfo.len, &theirs) != 0 ||
        uft_blob_decode(x->down_blob, x->down_blob_len, &mine) != 0 || theirs.type != UFT_BLOB_EC ||
        theirs.ec_curve != mine.ec_curve)
        return UFT_E_VALUE;
    n = x->sctx_len + x->pctx_len + 4 + r->keyinfo.len + UFT_RAND_LEN;
    if (!(k = calloc(1, sizeof *k)) || !(k->ctx = malloc(n + CKEY_MAX))) {
        free(k);
        return UFT_E_NOMEM;
    }
    memcpy(k->ctx, x->sctx, x->sctx_len);
    memcpy(k->ctx + x->sctx_len, x->pctx, x->pctx_len);
    uft_put_u32(k->ctx + x->sctx_len + x->pctx_len, c->id);
    memcpy(k->ctx + n - UFT_RAND_LEN - r->keyinfo.len, r->keyinfo.p, r->keyinfo.len);
    memcpy(k->ctx + n - UFT_RAND_LEN, r->rand2, UFT_RAND_LEN);
    k->ctx1_len = k->ctx_len = n;
    c->sec = k;
    rc = uft_sec_premaster(cops(p), x->dh_down, r->keyinfo.p, r->keyinfo.len, premaster);
    if (rc == 0)
        rc = uft_sec_hs_keys(&x->su, premaster, k->ctx, n, &k->shs, &k->chs);
    cops(p)->wipe(premaster, sizeof premaster);
    k->have_ctx2 = !x->client_auth; /* Ctx2 = Ctx1 */
    return rc;
}

/* Whether a receiver's REGISTER brings another key share or rand2 than
 * the keys the proxy made for it: it started over (a new process). A
 * REGISTER sent again carries the same ones. */
static bool new_share(const struct px_group *g, const struct px_client *c,
                      const struct uft_register *r)
{
    const struct px_csec *k = c->sec;
    size_t at = g->sec->sctx_len + g->sec->pctx_len + 4; /* the share's place in Ctx1 */
    return k->ctx1_len != at + r->keyinfo.len + UFT_RAND_LEN ||
           memcmp(k->ctx + at, r->keyinfo.p, r->keyinfo.len) != 0 ||
           memcmp(k->ctx + at + r->keyinfo.len, r->rand2, UFT_RAND_LEN) != 0;
}

static void on_register(struct uft_proxy *p, struct px_group *g, const struct uft_msg *m,
                        uft_ts now)
{
    uint32_t id = m->hdr.src_id;
    struct px_client *c = uft_px_add_client(p, g, id, now);
    int rc;
    if (!c || c->state == PXC_REFUSED) {
        p->st.rx_dropped++;
        return;
    }
    if (c->sec && new_share(g, c, &m->u.reg)) {
        /* as the server does: new keys, and the key exchange from its
         * start (CLIENT_KEY, registration upstream, our KEYINFO) */
        uft_px_log(p, g, 2, "REGISTER from %08X with a new key share: it started over", id);
        uft_pxs_free_client(p, c);
        c->state = PXC_MUTE;
    }
    if (!c->sec && (rc = client_keys(p, g, c, &m->u.reg)) != 0) {
        uft_px_log(p, g, 1, "Rejecting REGISTER from %08X: its key share does not work (%s)", id,
                   uft_strerror(rc));
        uft_px_drop_client(p, g, id);
        return;
    }
    c->reg_us = uft_msg_tstamp_us(g->version, m->u.reg.tstamp_hi, m->u.reg.tstamp_lo);
    c->reg_rx = now;
    if (c->state == PXC_MUTE && c->sec->have_ctx2)
        c->state = PXC_REGISTERED;
    uft_px_log(p, g, 3, "Received REGISTER from %08X", id);
    if (c->state != PXC_MUTE) {
        p->st.aggregated++;
        uft_px_gather(p, g, m, now);
    }
}

/* -C: a listed receiver may pin its key; with a list, an unlisted one is
 * refused, as UFTP does. */
static bool client_fp_ok(struct uft_proxy *p, uint32_t id, const struct uft_bytes *blob)
{
    static const uint8_t any[20];
    uint8_t fp[20];
    size_t i;
    if (!p->cfg.n_clients)
        return true;
    for (i = 0; i < p->cfg.n_clients && p->cfg.clients[i] != id; i++)
        ;
    if (i == p->cfg.n_clients)
        return false;
    if (!p->cfg.client_fps || memcmp(p->cfg.client_fps + 20 * i, any, 20) == 0)
        return true;
    return cops(p)->hash(UFT_HASH_SHA1, blob->p, blob->len, fp) == 0 &&
           memcmp(fp, p->cfg.client_fps + 20 * i, 20) == 0;
}

/* A receiver's CLIENT_KEY (it arrived under its handshake key; its body
 * is in p->plain): the key is the one -C pins, the signature covers
 * "UFTP 5, CLIENT_KEY" || its Ctx1; Ctx2 = Ctx1 || the body with the
 * signature zeroed. Then its registration goes up. */
static void on_client_key(struct uft_proxy *p, struct px_group *g, struct px_client *c,
                          const struct uft_msg *m, uft_ts now)
{
    const struct uft_client_key *ck = &m->u.client_key;
    struct px_csec *k = c->sec;
    size_t blen = (size_t)p->plain[1] * 4;
    struct uft_bytes part = {k->ctx, k->ctx1_len};
    struct uft_msg reg;
    if (k->have_ctx2 || blen > CKEY_MAX || blen < 8 + ck->keyblob.len + ck->sig.len)
        return;
    if (!client_fp_ok(p, c->id, &ck->keyblob)) {
        /* told once; what it sends later in this session is ignored */
        uft_px_log(p, g, 1,
                   "Rejecting CLIENT_KEY from %08X: failed to verify client key "
                   "fingerprint (-C)",
                   c->id);
        uft_px_abort_down(p, g, c->id, "Failed to verify client key fingerprint");
        uft_pxs_free_client(p, c);
        c->state = PXC_REFUSED;
        return;
    }
    if (uft_sec_verify_parts(cops(p), ck->keyblob.p, ck->keyblob.len, g->sec->su.hashtype,
                             "UFTP 5, CLIENT_KEY", &part, 1, ck->sig.p, ck->sig.len) != 0) {
        uft_px_log(p, g, 1, "Rejecting CLIENT_KEY from %08X: signature does not verify", c->id);
        return;
    }
    memcpy(k->ctx + k->ctx1_len, p->plain, blen);
    memset(k->ctx + k->ctx1_len + 8 + ck->keyblob.len, 0, ck->sig.len);
    k->ctx_len = k->ctx1_len + blen;
    k->have_ctx2 = true;
    c->state = PXC_REGISTERED;
    uft_px_log(p, g, 3, "Received CLIENT_KEY from %08X", c->id);
    /* its REGISTER goes up now, with its time moved on by the wait */
    memset(&reg, 0, sizeof reg);
    reg.hdr = m->hdr;
    reg.hdr.func = UFT_REGISTER;
    uft_msg_tstamp_set(g->version, c->reg_us + (now - c->reg_rx) / 1000, &reg.u.reg.tstamp_hi,
                       &reg.u.reg.tstamp_lo);
    p->st.aggregated++;
    uft_px_gather(p, g, &reg, now);
}

static void on_keyinfo_ack(struct uft_proxy *p, struct px_group *g, struct px_client *c,
                           const struct uft_msg *m)
{
    const struct uft_bytes *v = &m->u.keyinfo_ack.verify;
    if (!c->sec->have_app || v->len < g->sec->su.hlen ||
        memcmp(v->p, c->sec->verify, g->sec->su.hlen) != 0) {
        uft_px_log(p, g, 1, "Rejecting KEYINFO_ACK from %08X: verify data mismatch", c->id);
        return;
    }
    uft_px_log(p, g, 3, "Received KEYINFO_ACK%s from %08X", c->state == PXC_READY ? "+" : "",
               c->id);
    c->state = PXC_READY;
}

/* A sealed datagram from a receiver: under its client handshake key
 * while its CLIENT_KEY is due (and then only that), else under its
 * application key. A counter its window has seen is a replay. */
static void on_sealed(struct uft_proxy *p, struct px_group *g, const struct uft_msg *outer,
                      const uint8_t *pkt, uft_ts now)
{
    struct px_client *c = uft_px_find_client(g, outer->hdr.src_id);
    const struct uft_sec_keys *k = NULL;
    uint64_t ctr = outer->u.encrypted.iv_ctr;
    struct uft_msg m;
    bool hs = false;
    if (c && c->sec) {
        if (!uft_replay_fresh(&c->sec->rp, ctr)) {
            p->st.rx_dropped++;
            p->st.rx_replayed++;
            return;
        }
        hs = !c->sec->have_ctx2;
        k = hs ? &c->sec->chs : c->sec->have_app ? &c->sec->app : NULL;
    }
    if (!k || uft_sec_open(&g->sec->su, k, pkt, outer, p->plain, sizeof p->plain, &m) != 0) {
        p->st.rx_dropped++;
        return;
    }
    uft_replay_mark(&c->sec->rp, ctr);
    if (hs != (m.hdr.func == UFT_CLIENT_KEY)) {
        p->st.rx_dropped++;
        return;
    }
    switch (m.hdr.func) {
    case UFT_CLIENT_KEY:
        on_client_key(p, g, c, &m, now);
        break;
    case UFT_KEYINFO_ACK:
        on_keyinfo_ack(p, g, c, &m);
        break;
    case UFT_FILEINFO_ACK:
    case UFT_STATUS:
    case UFT_COMPLETE:
        p->st.aggregated++;
        uft_px_gather(p, g, &m, now);
        break;
    case UFT_ABORT:
        uft_px_client_abort(p, g, &m);
        break;
    default:
        /* CC_ACK among them: sealed under the receiver's key, it would
         * mean nothing to the server (as with UFTP's proxies) */
        p->st.rx_dropped++;
        break;
    }
}

void uft_pxs_from_client(struct uft_proxy *p, struct px_group *g, const uint8_t *pkt, size_t len,
                         uft_ts now)
{
    struct px_client *c;
    struct uft_msg m;
    if (uft_msg_decode(pkt, len, &m) != 0) {
        p->st.rx_dropped++;
        return;
    }
    switch (m.hdr.func) {
    case UFT_REGISTER:
        on_register(p, g, &m, now);
        break;
    case UFT_ENCRYPTED:
        on_sealed(p, g, &m, pkt, now);
        break;
    case UFT_ABORT:
        /* a receiver without keys yet aborts in clear */
        if ((c = uft_px_find_client(g, m.hdr.src_id)) && c->state != PXC_REFUSED)
            uft_px_client_abort(p, g, &m);
        else
            p->st.rx_dropped++;
        break;
    default:
        p->st.rx_dropped++; /* unsealed answers in an encrypted session */
        break;
    }
}

/* ---------- timers ---------- */

/* Receivers not READY by their deadline are aborted both ways. */
static void expire(struct uft_proxy *p, struct px_group *g, uft_ts now)
{
    static const char why[] = "Client not fully registered at proxy";
    uft_ts next = UFT_NEVER;
    size_t i = 0;
    while (i < g->n_clients) {
        struct px_client *c = &g->clients[i];
        uint32_t id = c->id;
        if (c->state == PXC_READY || c->state == PXC_REFUSED) {
            i++;
        } else if (c->deadline > now) {
            next = c->deadline < next ? c->deadline : next;
            i++;
        } else {
            uft_px_log(p, g, 1, "Client %08X not fully registered in time; aborting it", id);
            uft_px_abort_down(p, g, id, why);
            uft_px_abort_up(p, g, id, why);
            uft_px_drop_client(p, g, id); /* the last one moves into slot i */
        }
    }
    g->expire_at = next;
}

void uft_pxs_service(struct uft_proxy *p, struct px_group *g, uft_ts now)
{
    if (g->keyinfo_at <= now) {
        g->keyinfo_at = UFT_NEVER;
        if (uft_pxs_keyed(g) && any_conf(g)) {
            send_keyinfo(p, g, NULL);
            g->keyinfo_at = now + 2 * g->grtt;
        }
    }
    if (g->expire_at <= now)
        expire(p, g, now);
}

void uft_pxs_free_client(struct uft_proxy *p, struct px_client *c)
{
    struct px_csec *k = c->sec;
    if (!k)
        return;
    if (k->ctx) {
        cops(p)->wipe(k->ctx, k->ctx_len);
        free(k->ctx);
    }
    cops(p)->wipe(k, sizeof *k);
    free(k);
    c->sec = NULL;
}

void uft_pxs_free(struct uft_proxy *p, struct px_group *g)
{
    struct px_sec *x = g->sec;
    if (!x)
        return;
    if (x->dh_up)
        cops(p)->ecdh_free(x->dh_up);
    if (x->dh_down)
        cops(p)->ecdh_free(x->dh_down);
    free(x->sctx);
    free(x->pctx);
    free(x->ctx);
    free(x->ckey);
    free(x->pkey);
    cops(p)->wipe(x, sizeof *x);
    free(x);
    g->sec = NULL;
}
