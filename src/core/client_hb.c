/*
 * Heartbeats (uftpd -H / -h): an HB_REQ to every listed proxy each
 * interval, so that a NAT or firewall in front of this client keeps the
 * mapping a server proxy sends through, and so that a server proxy run
 * with "fp=" learns where its downstream is.
 *
 * The plain HB_REQ carries nothing (nonce 0, no key). A proxy that wants
 * proof answers HB_RESP CHALLENGE with a nonce; the answer is an HB_REQ
 * with that nonce, our signing key blob and a signature of the nonce's 4
 * bytes with SHA-1 (UFTP's choice, whatever the session hash is). Only an
 * HB_RESP from a listed address is looked at, and at most MAX_ANSWERS
 * signed answers go to one proxy per round, so a stream of challenges
 * cannot make us sign and send without bound.
 */
#include "core/client_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

#define HB_DEFAULT  (20 * UFT_SEC)
#define MAX_ANSWERS 4

void *uft_cl_signkey(struct uft_client *c)
{
    /* UFTP's default without -k: an ephemeral ECDSA P-256 key */
    if (!c->signkey && c->ops.crypto &&
        c->ops.crypto->signkey_new_ec(UFT_CURVE_P256, &c->signkey) == 0)
        c->own_signkey = true;
    return c->signkey;
}

bool uft_cl_peer_eq(const struct uft_peer *a, const struct uft_peer *b)
{
    return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

int uft_chb_init(struct uft_client *c)
{
    if (!c->cfg.n_hb_peers)
        return 0;
    if (!c->cfg.hb_interval)
        c->cfg.hb_interval = HB_DEFAULT;
    c->hb = calloc(c->cfg.n_hb_peers, sizeof *c->hb);
    return c->hb ? 0 : UFT_E_NOMEM;
}

static void verdict(struct uft_client *c, size_t i, uint8_t auth)
{
    static const char *const what[] = {
        [UFT_HB_AUTH_FAILED] = "authentication failed (is -k the key that the proxy's fp= names?)",
        [UFT_HB_AUTH_OK] = "authenticated",
        [UFT_HB_AUTH_CHALLENGE] = "challenged",
    };
    struct hb_target *t = &c->hb[i];
    if (auth == UFT_HB_AUTH_OK)
        c->st.hb_ok++;
    else if (auth == UFT_HB_AUTH_FAILED)
        c->st.hb_failed++;
    /* log a change at level 2 (failures at 1), a repeat only at 4 */
    uft_cl_log(c, NULL,
               t->last == auth + 1          ? 4
               : auth == UFT_HB_AUTH_FAILED ? 1
                                            : 2,
               "Heartbeat to -H host %zu: %s", i + 1, what[auth]);
    t->last = (uint8_t)(auth + 1);
}

void uft_chb_feed(struct uft_client *c, const struct uft_msg *m, const struct uft_peer *from)
{
    size_t i;
    for (i = 0; i < c->cfg.n_hb_peers; i++)
        if (uft_cl_peer_eq(from, &c->cfg.hb_peers[i]))
            break;
    if (i == c->cfg.n_hb_peers || m->u.hb_resp.auth > UFT_HB_AUTH_CHALLENGE) {
        c->st.rx_dropped++;
        return;
    }
    c->st.rx_packets++;
    verdict(c, i, m->u.hb_resp.auth);
    if (m->u.hb_resp.auth == UFT_HB_AUTH_CHALLENGE && c->hb[i].answers < MAX_ANSWERS) {
        c->hb[i].owe_auth = true;
        c->hb[i].nonce = m->u.hb_resp.nonce;
    }
}

/* The signed answer to target i's challenge. */
static ssize_t signed_req(struct uft_client *c, size_t i, uint8_t *buf, size_t cap)
{
    const struct uft_crypto_ops *ops = c->ops.crypto;
    uint8_t blob[600], sig[600], nonce[4];
    size_t bl, sl;
    struct uft_msg m;
    void *key = uft_cl_signkey(c);
    if (!key || ops->signkey_blob(key, blob, sizeof blob, &bl) != 0)
        return UFT_E_CRYPTO;
    uft_put_u32(nonce, c->hb[i].nonce);
    if (ops->sign(key, UFT_HASH_SHA1, nonce, sizeof nonce, sig, sizeof sig, &sl) != 0)
        return UFT_E_CRYPTO;
    memset(&m, 0, sizeof m);
    m.hdr.version = UFT_VER5;
    m.hdr.func = UFT_HB_REQ;
    m.hdr.src_id = c->cfg.client_id;
    m.u.hb_req.nonce = c->hb[i].nonce;
    m.u.hb_req.keyblob.p = blob;
    m.u.hb_req.keyblob.len = bl;
    m.u.hb_req.sig.p = sig;
    m.u.hb_req.sig.len = sl;
    return uft_msg_encode(&m, buf, cap);
}

ssize_t uft_chb_pull(struct uft_client *c, uft_ts now, uint8_t *buf, size_t cap, struct uft_tx *tx)
{
    struct uft_msg m;
    size_t i;
    for (i = 0; i < c->cfg.n_hb_peers; i++) {
        if (!c->hb[i].owe_auth)
            continue;
        c->hb[i].owe_auth = false;
        c->hb[i].answers++;
        tx->dst = UFT_DST_PEER;
        tx->peer = c->cfg.hb_peers[i];
        c->st.hb_sent++;
        c->st.hb_auth_sent++;
        uft_cl_log(c, NULL, 3, "Sending a signed HB_REQ to -H host %zu", i + 1);
        return c->ops.crypto ? signed_req(c, i, buf, cap) : UFT_E_CRYPTO;
    }
    if (!c->cfg.n_hb_peers || now < c->hb_next)
        return 0;
    /* one round: a plain HB_REQ to each target in turn */
    i = c->hb_cursor++;
    if (c->hb_cursor == c->cfg.n_hb_peers) {
        size_t k;
        c->hb_cursor = 0;
        c->hb_next = now + c->cfg.hb_interval;
        for (k = 0; k < c->cfg.n_hb_peers; k++)
            c->hb[k].answers = 0;
    }
    memset(&m, 0, sizeof m);
    m.hdr.version = UFT_VER5;
    m.hdr.func = UFT_HB_REQ;
    m.hdr.src_id = c->cfg.client_id;
    tx->dst = UFT_DST_PEER;
    tx->peer = c->cfg.hb_peers[i];
    c->st.hb_sent++;
    uft_cl_log(c, NULL, 4, "Sending HB_REQ to -H host %zu", i + 1);
    return uft_msg_encode(&m, buf, cap);
}

uft_ts uft_chb_deadline(const struct uft_client *c)
{
    size_t i;
    if (!c->cfg.n_hb_peers)
        return UFT_NEVER;
    for (i = 0; i < c->cfg.n_hb_peers; i++)
        if (c->hb[i].owe_auth)
            return 0;
    return c->hb_next;
}
