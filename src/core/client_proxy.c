/*
 * Sessions that go through a proxy, on the client's side.
 *
 * UFTP 5: a server listed in -S with a proxy ID is reached through that
 * proxy (a response proxy next to the server, or a client proxy next to
 * us). The session starts in C_PREREGISTER and waits for the proxy's
 * PROXY_KEY, sent to the public address after each ANNOUNCE. Its source
 * address becomes the session's reply address: REGISTER, CLIENT_KEY and
 * every later reply go there. In an encrypted session the PROXY_KEY
 * carries the proxy's signing key (checked against -R's fingerprint) and
 * an ECDH key that takes the server's place in the key exchange
 * (client_sec.c). The give-up time is the REGISTER's, as in UFTP.
 *
 * UFTP 4 (-r): one response proxy for every v4 session. Its keys are
 * asked for with KEY_REQ every 5 s until a v4 PROXY_KEY from exactly that
 * address arrives with a valid SHA-1 signature over its nonce; v4
 * sessions then send every reply there and make their key share with the
 * proxy's ECDH key.
 *
 * A PROXY_KEY that does not verify is dropped without an answer: only a
 * key with the wrong fingerprint ends the session, with UFTP's ABORT.
 */
#include "core/client_int.h"

#include <string.h>

#include "core/blob.h"
#include "core/err.h"

#define KEY_REQ_INTERVAL (5 * UFT_SEC)

static const struct uft_proxy_entry *find_proxy(const struct uft_client *c, uint32_t id)
{
    size_t i;
    for (i = 0; i < c->cfg.n_proxies; i++)
        if (c->cfg.proxies[i].proxy_id == id)
            return &c->cfg.proxies[i];
    return NULL;
}

void uft_cproxy_session(struct uft_client *c, struct csession *s,
                        const struct uft_server_entry *srv)
{
    s->proxy_id = srv ? srv->proxy_id : 0;
    s->phase = C_REGISTERED;
    if (s->version == UFT_VER5 && s->proxy_id) {
        s->phase = C_PREREGISTER;
        uft_cl_log(c, s, 2, "Server %08X goes through proxy %08X: waiting for its PROXY_KEY",
                   s->server_id, s->proxy_id);
    } else if (s->version == UFT_VER4 && c->cfg.has_v4_proxy) {
        s->reply = c->cfg.v4_proxy;
    }
}

static bool fingerprint_ok(struct uft_client *c, const struct uft_proxy_entry *p,
                           const struct uft_bytes *blob)
{
    uint8_t fp[20];
    if (!p || !p->has_fp)
        return true;
    return c->ops.crypto && c->ops.crypto->hash(UFT_HASH_SHA1, blob->p, blob->len, fp) == 0 &&
           memcmp(fp, p->fp, sizeof fp) == 0;
}

void uft_cproxy_key(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                    const uint8_t *pkt, size_t len, const struct uft_peer *from, uft_ts now)
{
    const struct uft_proxy_key *k = &m->u.proxy_key;
    const char *why = NULL;
    if (s->phase != C_PREREGISTER || m->hdr.src_id != s->proxy_id) {
        /* the proxy repeats its key after every ANNOUNCE: nothing to do */
        c->st.rx_packets++;
        return;
    }
    if (s->sec) {
        if (!k->keyblob.len || !k->dhblob.len || !k->sig.len) {
            c->st.rx_dropped++;
            uft_cl_log(c, s, 1, "Dropped a PROXY_KEY without keys in an encrypted session");
            return;
        }
        if (!fingerprint_ok(c, find_proxy(c, s->proxy_id), &k->keyblob)) {
            uft_cl_abort(c, s, "Failed to verify proxy key fingerprint");
            return;
        }
        if (uft_csec_proxy_key(c, s, m, pkt, len, &why) != 0) {
            c->st.rx_dropped++;
            uft_cl_log(c, s, 1, "Dropped a PROXY_KEY from %08X: %s", s->proxy_id,
                       why ? why : "it did not verify");
            return;
        }
    }
    c->st.rx_packets++;
    s->reply = *from;
    s->phase = C_REGISTERED;
    s->owe_register = true;
    s->next_register = now + uft_tm_register_resend(s->grtt);
    s->last_rx = now;
    uft_cl_log(c, s, 2, "Received PROXY_KEY from proxy %08X; registering through it", s->proxy_id);
}

/* ---------- UFTP 4's response proxy (-r) ---------- */

void uft_cproxy_v4_key(struct uft_client *c, const struct uft_msg *m, const struct uft_peer *from)
{
    const struct uft_proxy_key *k = &m->u.proxy_key;
    const struct uft_crypto_ops *ops = c->ops.crypto;
    uint8_t nonce[4], fp[20];
    struct uft_keyblob dh;
    if (!c->cfg.has_v4_proxy || !uft_cl_peer_eq(from, &c->cfg.v4_proxy) || !ops) {
        c->st.rx_dropped++;
        return;
    }
    if (!k->keyblob.len || !k->dhblob.len || k->keyblob.len > sizeof c->v4p.key ||
        k->dhblob.len > sizeof c->v4p.dh || uft_blob_decode(k->dhblob.p, k->dhblob.len, &dh) ||
        dh.type != UFT_BLOB_EC) {
        /* UFTP 4's proxy sends no ECDH key unless run with -e; say so once */
        c->st.rx_dropped++;
        uft_cl_log(c, NULL, c->v4p.warned ? 4 : 1,
                   "The -r proxy's UFTP 4 PROXY_KEY has no usable ECDH key; encrypted UFTP 4 "
                   "sessions need that proxy run with -e CURVE");
        c->v4p.warned = true;
        return;
    }
    if (c->cfg.v4_has_fp && (ops->hash(UFT_HASH_SHA1, k->keyblob.p, k->keyblob.len, fp) != 0 ||
                             memcmp(fp, c->cfg.v4_fp, sizeof fp) != 0)) {
        c->st.rx_dropped++;
        uft_cl_log(c, NULL, 1, "Failed to verify the -r proxy's key fingerprint");
        return;
    }
    uft_put_u32(nonce, k->nonce);
    if (ops->verify(k->keyblob.p, k->keyblob.len, UFT_HASH_SHA1, nonce, sizeof nonce, k->sig.p,
                    k->sig.len) != 0) {
        c->st.rx_dropped++;
        uft_cl_log(c, NULL, 1, "Dropped a UFTP 4 PROXY_KEY whose signature did not verify");
        return;
    }
    c->st.rx_packets++;
    if (!c->v4p.have)
        uft_cl_log(c, NULL, 2, "Received the -r proxy's UFTP 4 keys");
    memcpy(c->v4p.key, k->keyblob.p, k->keyblob.len);
    c->v4p.key_len = k->keyblob.len;
    memcpy(c->v4p.dh, k->dhblob.p, k->dhblob.len);
    c->v4p.dh_len = k->dhblob.len;
    c->v4p.have = true;
}

bool uft_cproxy_v4_ready(struct uft_client *c, const struct uft_msg *m, uft_ts now)
{
    uft_ts soon;
    if (m->hdr.version != UFT_VER4 || !m->u.announce.has_enc || !c->cfg.has_v4_proxy || c->v4p.have)
        return true;
    /* UFTP ABORTs here ("Response proxy set but haven't gotten key yet"),
     * which loses the whole session; asking again now (at most once a
     * second) lets a later ANNOUNCE of the same session through. */
    soon = c->keyreq_last + UFT_SEC > now ? c->keyreq_last + UFT_SEC : now;
    if (soon < c->keyreq_next)
        c->keyreq_next = soon;
    uft_cl_log(c, NULL, 2, "Group %08X waits for the -r proxy's key", m->hdr.group_id);
    return false;
}

ssize_t uft_cproxy_pull(struct uft_client *c, uft_ts now, uint8_t *buf, size_t cap,
                        struct uft_tx *tx)
{
    struct uft_msg m;
    if (!c->cfg.has_v4_proxy || c->v4p.have || now < c->keyreq_next)
        return 0;
    c->keyreq_last = now;
    c->keyreq_next = now + KEY_REQ_INTERVAL;
    memset(&m, 0, sizeof m);
    m.hdr.version = UFT_VER4;
    m.hdr.func = UFT_KEY_REQ;
    m.hdr.src_id = c->cfg.client_id;
    tx->dst = UFT_DST_PEER;
    tx->peer = c->cfg.v4_proxy;
    uft_cl_log(c, NULL, 4, "Sending KEY_REQ to the -r proxy");
    return uft_msg_encode(&m, buf, cap);
}

uft_ts uft_cproxy_deadline(const struct uft_client *c)
{
    if (!c->cfg.has_v4_proxy || c->v4p.have)
        return UFT_NEVER;
    return c->keyreq_next;
}
