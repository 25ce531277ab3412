/*
 * The client's side of UFTP 5's encryption: verify the server's signed
 * ANNOUNCE, send an ECDH share, unwrap the group master from KEYINFO,
 * derive the traffic keys, prove it with KEYINFO_ACK, and from then on
 * open the server's ENCRYPTED datagrams and seal our replies. The
 * session's receive filter (uft_csec_filter) drops whatever must not
 * arrive in clear.
 *
 * The key schedule is UFTP 5.0.1's code (docs/protocol-notes.md), which
 * differs from its protocol.txt: premaster = SHA-256(ECDH X); handshake
 * secrets from H(Ctx1); application secrets "s app traffic" / "c app
 * traffic" from H(S_ctx) / H(Ctx2); finished key from the client app
 * secret; verify data = HMAC(finished key, Ctx2 || GM) without an inner
 * hash; nonces = the 12-byte IV with the 64-bit counter XORed into its
 * last 8 bytes.
 *
 * With client authentication the client also sends CLIENT_KEY (its public
 * key and a signature over "UFTP 5, CLIENT_KEY" || Ctx1) under the client
 * handshake key, and Ctx2 = Ctx1 || that CLIENT_KEY with its signature
 * zeroed takes Ctx1's place from then on.
 *
 * UFTP 4 (0x40) sessions, as UFTP 5 clients join them: ECDH key exchange
 * with an AEAD cipher only (an RSA key exchange or a CBC cipher is refused
 * with an ABORT). The premaster is SHA-1 of the shared secret; keys come
 * from UFTP 4's PRF (prf4); the group master arrives AES-CBC wrapped;
 * nonces are (salt XOR sender ID) || counter; CLIENT_KEY goes in clear.
 *
 * Through a UFTP 5 proxy, the proxy's PROXY_KEY supplies the ECDH key
 * that the key share is made with, and the proxy signs the KEYINFO; its
 * body (signature zeroed, after the proxy's ID) is P_ctx, which goes into
 * Ctx1 after S_ctx and into the PROXY_KEY and KEYINFO signatures. The
 * group master is the server's, so the server's traffic keys still come
 * from S_ctx. Through a UFTP 4 response proxy (-r), the key share is made
 * with the proxy's ECDH key from its v4 PROXY_KEY.
 */
#include "core/client_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "core/err.h"
#include "core/sec_common.h"

#define CTX_MAX  1536
#define PCTX_MAX 1300

struct uft_csec {
    uint8_t keytype, hashtype, curve;
    size_t hlen, klen;
    uint8_t sctx[CTX_MAX], ctx1[CTX_MAX + PCTX_MAX + 1100]; /* ctx1 grows into Ctx2 */
    size_t sctx_len, ctx1_len;
    uint8_t pctx[PCTX_MAX]; /* P_ctx: empty without a proxy */
    size_t pctx_len;
    uint8_t signer[600]; /* who signs KEYINFO: the server's key blob, or the proxy's */
    size_t signer_len;
    uint8_t ckey[1100]; /* our CLIENT_KEY body, when the server asks for it */
    size_t ckey_len;
    uint8_t c_hs_key[32], c_hs_iv[12];
    uint8_t dh[160];
    size_t dh_len;
    uint8_t rand2[UFT_RAND_LEN];
    uint8_t s_hs_key[32], s_hs_iv[12];
    uint8_t s_app_key[32], s_app_iv[12], c_app_key[32], c_app_iv[12];
    uint8_t verify[64];
    bool keyed, client_auth;
    uint64_t ctr; /* our IV counter, pre-incremented */
    /* the IV counters opened, one window per sender (window()) */
    struct uft_replay rp_server, rp_proxy;
    /* UFTP 4 (0x40) sessions: TLS-1.2-like PRF keys, 4-byte salts, one key
     * for both directions */
    bool v4;
    uint32_t group_id;
    uint8_t rand1[UFT_RAND_LEN], premaster4[20], mcast[16];
    size_t mcast_len;
    uint8_t hs_salt[4], app_salt[4];
    uint8_t blob[500]; /* our signing key blob, with client authentication */
    size_t blob_len;
};

static const struct uft_crypto_ops *ops(const struct uft_client *c)
{
    return c->ops.crypto;
}

static void wipe(struct uft_client *c, void *p, size_t n)
{
    ops(c)->wipe(p, n);
}

/* key and iv from a traffic secret */
static int key_iv(struct uft_client *c, struct uft_csec *x, const uint8_t *secret, uint8_t *key,
                  uint8_t *iv)
{
    int rc = ops(c)->expand_label(x->hashtype, secret, "key", NULL, 0, key, x->klen);
    return rc ? rc : ops(c)->expand_label(x->hashtype, secret, "iv", NULL, 0, iv, 12);
}

static void nonce_of(const uint8_t *iv, uint64_t ctr, uint8_t *nonce)
{
    int i;
    memcpy(nonce, iv, 12);
    for (i = 0; i < 8; i++)
        nonce[4 + i] ^= (uint8_t)(ctr >> (56 - 8 * i));
}

/* UFTP 4's nonce: (salt XOR the sender's ID) || counter, big-endian. */
static void nonce4(const uint8_t *salt, uint32_t src_id, uint64_t ctr, uint8_t *nonce)
{
    int i;
    uft_put_u32(nonce, src_id);
    for (i = 0; i < 4; i++)
        nonce[i] ^= salt[i];
    uft_put_u32(nonce + 4, (uint32_t)(ctr >> 32));
    uft_put_u32(nonce + 8, (uint32_t)ctr);
}

/* UFTP 4's PRF. With S = label || seed: A = HMAC(S), block = HMAC(A || S),
 * and each later A is HMAC(previous A || S), which is the previous block.
 * Only the first block matches TLS 1.2's P_hash; this is what is on the
 * wire. */
static int prf4(struct uft_client *c, uint8_t ht, const uint8_t *secret, size_t secret_len,
                const char *label, const uint8_t *seed, size_t seed_len, uint8_t *out,
                size_t out_len)
{
    uint8_t in[64 + 160], blk[64];
    size_t hl = ops(c)->hash_len(ht), ll = strlen(label), sl = ll + seed_len, got = 0, in_len;
    int rc = 0;
    if (!hl || sl > 160)
        return UFT_E_VALUE;
    memcpy(in, label, ll);
    memcpy(in + ll, seed, seed_len);
    in_len = sl;
    while (got < out_len) {
        /* in = A || S after the first round; A = HMAC(in) */
        if ((rc = ops(c)->hmac(ht, secret, secret_len, in, in_len, blk)))
            break;
        memmove(in + hl, in + in_len - sl, sl);
        memcpy(in, blk, hl);
        in_len = hl + sl;
        if ((rc = ops(c)->hmac(ht, secret, secret_len, in, in_len, blk)))
            break;
        memcpy(out + got, blk, out_len - got < hl ? out_len - got : hl);
        got += hl;
    }
    wipe(c, blk, sizeof blk);
    wipe(c, in, sizeof in);
    return rc;
}

/* group ID || private address || rand1 || rand2 || premaster: what a v4
 * CLIENT_KEY signs and what the v4 verify data starts with. */
static size_t v4_base(const struct uft_csec *x, uint8_t *out)
{
    size_t n = 0;
    uft_put_u32(out, x->group_id);
    n += 4;
    memcpy(out + n, x->mcast, x->mcast_len);
    n += x->mcast_len;
    memcpy(out + n, x->rand1, UFT_RAND_LEN);
    n += UFT_RAND_LEN;
    memcpy(out + n, x->rand2, UFT_RAND_LEN);
    n += UFT_RAND_LEN;
    memcpy(out + n, x->premaster4, sizeof x->premaster4);
    return n + sizeof x->premaster4;
}

/* v4 handshake key and salt: master = PRF(premaster, "master secret",
 * rand1 || rand2); the key block skips hash_len bytes (an unused MAC key). */
static int v4_handshake(struct uft_client *c, struct uft_csec *x, const uint8_t *shared,
                        size_t slen)
{
    uint8_t seed[2 * UFT_RAND_LEN], master[48], kb[64 + 32 + 4];
    int rc;
    memcpy(seed, x->rand1, UFT_RAND_LEN);
    memcpy(seed + UFT_RAND_LEN, x->rand2, UFT_RAND_LEN);
    if ((rc = ops(c)->hash(UFT_HASH_SHA1, shared, slen, x->premaster4)) ||
        (rc = prf4(c, x->hashtype, x->premaster4, sizeof x->premaster4, "master secret", seed,
                   sizeof seed, master, sizeof master)) ||
        (rc = prf4(c, x->hashtype, master, sizeof master, "key expansion", seed, sizeof seed, kb,
                   x->hlen + x->klen + 4)))
        goto out;
    memcpy(x->s_hs_key, kb + x->hlen, x->klen);
    memcpy(x->hs_salt, kb + x->hlen + x->klen, 4);
out:
    wipe(c, master, sizeof master);
    wipe(c, kb, sizeof kb);
    return rc;
}

/* v4 CLIENT_KEY (sent in clear): our blob, signed over v4_base. */
static int v4_client_key(struct uft_client *c, struct uft_csec *x)
{
    uint8_t msg[4 + 16 + 2 * UFT_RAND_LEN + 20], sig[600];
    size_t sl;
    struct uft_msg m;
    ssize_t len;
    int rc;
    if ((rc = ops(c)->signkey_blob(c->signkey, x->blob, sizeof x->blob, &x->blob_len)) ||
        (rc = ops(c)->sign(c->signkey, x->hashtype, msg, v4_base(x, msg), sig, sizeof sig, &sl)))
        return rc;
    memset(&m, 0, sizeof m);
    m.hdr.version = UFT_VER4;
    m.hdr.func = UFT_CLIENT_KEY;
    m.u.client_key.keyblob.p = x->blob;
    m.u.client_key.keyblob.len = x->blob_len;
    m.u.client_key.sig.p = sig;
    m.u.client_key.sig.len = sl;
    len = uft_msg_encode_body(&m, x->ckey, sizeof x->ckey);
    if (len < 0)
        return (int)len;
    x->ckey_len = (size_t)len;
    return 0;
}

static bool supported(const struct uft_ext_enc_info *e)
{
    return (e->keytype >= UFT_KEY_AES128_GCM && e->keytype <= UFT_KEY_AES256_CCM) &&
           (e->hashtype >= UFT_HASH_SHA256 && e->hashtype <= UFT_HASH_SHA512);
}

/* CLIENT_KEY: our key blob and a signature over "UFTP 5, CLIENT_KEY" ||
 * Ctx1. Ctx1 then becomes Ctx2 by appending the body with the signature
 * zeroed. */
static int client_key(struct uft_client *c, struct uft_csec *x)
{
    uint8_t blob[500], sig[600], *msg;
    size_t bl, sl, n;
    struct uft_msg m;
    ssize_t len;
    int rc;
    if ((rc = ops(c)->signkey_blob(c->signkey, blob, sizeof blob, &bl)))
        return rc;
    n = 18 + x->ctx1_len;
    msg = malloc(n);
    if (!msg)
        return UFT_E_NOMEM;
    memcpy(msg, "UFTP 5, CLIENT_KEY", 18);
    memcpy(msg + 18, x->ctx1, x->ctx1_len);
    rc = ops(c)->sign(c->signkey, x->hashtype, msg, n, sig, sizeof sig, &sl);
    free(msg);
    if (rc)
        return rc;
    memset(&m, 0, sizeof m);
    m.hdr.version = UFT_VER5;
    m.hdr.func = UFT_CLIENT_KEY;
    m.u.client_key.keyblob.p = blob;
    m.u.client_key.keyblob.len = bl;
    m.u.client_key.sig.p = sig;
    m.u.client_key.sig.len = sl;
    len = uft_msg_encode_body(&m, x->ckey, sizeof x->ckey);
    if (len < 0 || x->ctx1_len + (size_t)len > sizeof x->ctx1)
        return UFT_E_VALUE;
    x->ckey_len = (size_t)len;
    memcpy(x->ctx1 + x->ctx1_len, x->ckey, x->ckey_len);
    memset(x->ctx1 + x->ctx1_len + 8 + bl, 0, sl); /* Ctx2 has the signature zeroed */
    x->ctx1_len += x->ckey_len;
    return 0;
}

bool uft_csec_wants_client_key(const struct csession *s)
{
    return s->sec && s->sec->ckey_len > 0;
}

ssize_t uft_csec_client_key(struct uft_client *c, struct csession *s, const struct uft_msg *hdr,
                            uint8_t *buf, size_t cap)
{
    struct uft_csec *x = s->sec;
    uint8_t nonce[12];
    struct uft_hdr h = hdr->hdr;
    struct uft_wr w;
    int rc;
    if (UFT_HDR_LEN + UFT_ENC_HDR_LEN + x->ckey_len + 16 > cap)
        return UFT_E_NOSPACE;
    if (x->v4) {
        /* UFTP 4 sends CLIENT_KEY in clear */
        uft_wr_init(&w, buf, cap);
        if ((rc = uft_hdr_encode(&w, &h)) || (rc = uft_wr_bytes(&w, x->ckey, x->ckey_len)))
            return rc;
        return (ssize_t)w.len;
    }
    h.func = UFT_ENCRYPTED;
    x->ctr++;
    uft_wr_init(&w, buf, cap);
    if ((rc = uft_hdr_encode(&w, &h)) || (rc = uft_wr_u64(&w, x->ctr)) ||
        (rc = uft_wr_u16(&w, 0)) || (rc = uft_wr_u16(&w, (uint16_t)(x->ckey_len + 16))))
        return rc;
    nonce_of(x->c_hs_iv, x->ctr, nonce);
    rc = ops(c)->seal(x->keytype, x->c_hs_key, nonce, buf, UFT_HDR_LEN + UFT_ENC_HDR_LEN, x->ckey,
                      x->ckey_len, buf + w.len);
    return rc ? rc : (ssize_t)(w.len + x->ckey_len + 16);
}

/* Our ECDH share with the peer's key (the server's or the proxy's), then
 * Ctx1 = S_ctx || P_ctx || client ID || our share || rand2, the handshake
 * keys from it, and CLIENT_KEY when the server asks for it. */
static int handshake(struct uft_client *c, struct uft_csec *x, const uint8_t *peer_dh,
                     size_t peer_dh_len, bool client_auth, const char **why)
{
    uint8_t shared[80], premaster[32], h[64], prk[64], secret[64], zeros[64] = {0};
    size_t slen, n;
    void *dh = NULL;
    int rc;
    if ((rc = ops(c)->ecdh_new(x->curve, &dh)) ||
        (rc = ops(c)->ecdh_blob(dh, x->dh, sizeof x->dh, &x->dh_len)) ||
        (rc = ops(c)->ecdh_derive(dh, peer_dh, peer_dh_len, shared, sizeof shared, &slen)) ||
        (rc = ops(c)->random(x->rand2, sizeof x->rand2)) ||
        (rc = ops(c)->hash(UFT_HASH_SHA256, shared, slen, premaster))) {
        *why = "Key exchange failed";
        goto out;
    }
    memcpy(x->ctx1, x->sctx, x->sctx_len);
    memcpy(x->ctx1 + x->sctx_len, x->pctx, x->pctx_len);
    n = x->sctx_len + x->pctx_len;
    uft_put_u32(x->ctx1 + n, c->cfg.client_id);
    memcpy(x->ctx1 + n + 4, x->dh, x->dh_len);
    memcpy(x->ctx1 + n + 4 + x->dh_len, x->rand2, UFT_RAND_LEN);
    x->ctx1_len = n + 4 + x->dh_len + UFT_RAND_LEN;
    if ((rc = ops(c)->hmac(x->hashtype, zeros, x->hlen, premaster, 32, prk)) ||
        (rc = ops(c)->hash(x->hashtype, x->ctx1, x->ctx1_len, h)) ||
        (rc =
             ops(c)->expand_label(x->hashtype, prk, "s hs traffic", h, x->hlen, secret, x->hlen)) ||
        (rc = key_iv(c, x, secret, x->s_hs_key, x->s_hs_iv)) ||
        (rc =
             ops(c)->expand_label(x->hashtype, prk, "c hs traffic", h, x->hlen, secret, x->hlen)) ||
        (rc = key_iv(c, x, secret, x->c_hs_key, x->c_hs_iv)))
        *why = "Key derivation failed";
    if (rc == 0 && client_auth && (rc = client_key(c, x)) != 0)
        *why = "Could not sign CLIENT_KEY";
out:
    if (dh)
        ops(c)->ecdh_free(dh);
    wipe(c, shared, sizeof shared);
    wipe(c, premaster, sizeof premaster);
    wipe(c, prk, sizeof prk);
    wipe(c, secret, sizeof secret);
    return rc;
}

/* A UFTP 4 session: PRF keys from an ECDH with the server's key, or with
 * the -r response proxy's. */
static int announce_v4(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                       struct uft_csec *x, const char **why)
{
    const struct uft_ext_enc_info *e = &m->u.announce.enc;
    const uint8_t *peer = e->dhblob.p;
    size_t peer_len = e->dhblob.len, slen;
    struct uft_keyblob pb;
    uint8_t shared[80];
    void *dh = NULL;
    int rc;
    if (c->cfg.has_v4_proxy) {
        if (!c->v4p.have) {
            *why = "Response proxy set but haven't gotten key yet";
            return UFT_E_VALUE;
        }
        peer = c->v4p.dh;
        peer_len = c->v4p.dh_len;
        if (uft_blob_decode(peer, peer_len, &pb) != 0)
            return UFT_E_VALUE;
        x->curve = pb.ec_curve;
    }
    x->v4 = true;
    x->group_id = m->hdr.group_id;
    memcpy(x->rand1, e->rand1, UFT_RAND_LEN);
    x->mcast_len = s->v6 ? 16 : 4;
    memcpy(x->mcast, s->priv, x->mcast_len);
    if ((rc = ops(c)->ecdh_new(x->curve, &dh)) ||
        (rc = ops(c)->ecdh_blob(dh, x->dh, sizeof x->dh, &x->dh_len)) ||
        (rc = ops(c)->ecdh_derive(dh, peer, peer_len, shared, sizeof shared, &slen)) ||
        (rc = ops(c)->random(x->rand2, sizeof x->rand2)) || (rc = v4_handshake(c, x, shared, slen)))
        *why = "Key exchange failed";
    if (dh)
        ops(c)->ecdh_free(dh);
    wipe(c, shared, sizeof shared);
    if (rc == 0 && (e->flags & UFT_ENC_CLIENT_AUTH) && (rc = v4_client_key(c, x)) != 0)
        *why = "Could not sign CLIENT_KEY";
    return rc;
}

/* The parameters, the fingerprint and the signature of an encrypted
 * ANNOUNCE; on success *sig_zeroed is the datagram with its signature
 * zeroed (the caller frees it). */
static int check_announce(struct uft_client *c, const struct uft_msg *m, const uint8_t *pkt,
                          size_t len, const uint8_t *want_fp, uint8_t **sig_zeroed,
                          const char **why)
{
    const struct uft_ext_enc_info *e = &m->u.announce.enc;
    struct uft_keyblob dhb;
    uint8_t *copy, fp[20];
    if (m->hdr.version == UFT_VER4 &&
        ((e->keyex_sig & 0x0f) != 3 || ((e->keyex_sig >> 4) != 2 && (e->keyex_sig >> 4) != 3))) {
        /* as UFTP 5 clients: ECDH key exchange and an AEAD cipher only */
        *why = "UFTP 4 encryption needs ECDH key exchange (server -e ecdh_ecdsa or ecdh_rsa)";
        return UFT_E_VALUE;
    }
    if (!supported(e) || uft_blob_decode(e->dhblob.p, e->dhblob.len, &dhb) ||
        dhb.type != UFT_BLOB_EC || e->keyblob.len > 600) {
        *why = "Unsupported encryption parameters";
        return UFT_E_VALUE;
    }
    if (want_fp && (ops(c)->hash(UFT_HASH_SHA1, e->keyblob.p, e->keyblob.len, fp) != 0 ||
                    memcmp(fp, want_fp, sizeof fp) != 0)) {
        *why = "Failed to verify server key fingerprint";
        return UFT_E_AUTH;
    }
    if ((e->flags & UFT_ENC_CLIENT_AUTH) && !uft_cl_signkey(c)) {
        *why = "Could not make a signing key for client authentication";
        return UFT_E_CRYPTO;
    }
    /* The signature covers the whole datagram with its own bytes zeroed. */
    copy = malloc(len);
    if (!copy)
        return UFT_E_NOMEM;
    memcpy(copy, pkt, len);
    memset(copy + (e->sig.p - pkt), 0, e->sig.len);
    if (ops(c)->verify(e->keyblob.p, e->keyblob.len, e->hashtype, copy, len, e->sig.p,
                       e->sig.len) != 0) {
        free(copy);
        *why = "ANNOUNCE signature did not verify";
        return UFT_E_AUTH;
    }
    *sig_zeroed = copy;
    return 0;
}

int uft_csec_announce(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                      const uint8_t *pkt, size_t len, const uint8_t *want_fp, const char **why)
{
    const struct uft_ext_enc_info *e = &m->u.announce.enc;
    struct uft_csec *x;
    struct uft_keyblob dhb;
    uint8_t *copy = NULL;
    size_t ext_off, ext_len;
    int rc;
    *why = NULL;
    if (!ops(c)) {
        *why = "Encrypted sessions are not supported by this client";
        return UFT_E_VALUE;
    }
    if ((rc = check_announce(c, m, pkt, len, want_fp, &copy, why)) != 0)
        return rc;
    x = calloc(1, sizeof *x);
    if (!x) {
        free(copy);
        return UFT_E_NOMEM;
    }
    s->sec = x;
    uft_blob_decode(e->dhblob.p, e->dhblob.len, &dhb);
    x->keytype = e->keytype;
    x->hashtype = e->hashtype;
    x->curve = dhb.ec_curve;
    x->hlen = ops(c)->hash_len(e->hashtype);
    x->klen = ops(c)->key_len(e->keytype);
    memcpy(x->signer, e->keyblob.p, e->keyblob.len);
    x->signer_len = e->keyblob.len;
    if (m->hdr.version == UFT_VER4) {
        free(copy);
        return announce_v4(c, s, m, x, why);
    }
    /* S_ctx = group ID, instance, server ID, EXT_ENC_INFO with the
     * signature zeroed */
    ext_off = (size_t)(e->keyblob.p - pkt) - 44;
    ext_len = 44 + e->keyblob.len + e->dhblob.len + e->sig.len;
    if (9 + ext_len > CTX_MAX) {
        free(copy);
        *why = "Encryption header too large";
        return UFT_E_VALUE;
    }
    uft_put_u32(x->sctx, m->hdr.group_id);
    x->sctx[4] = m->hdr.group_inst;
    uft_put_u32(x->sctx + 5, m->hdr.src_id);
    memcpy(x->sctx + 9, copy + ext_off, ext_len);
    x->sctx_len = 9 + ext_len;
    free(copy);
    x->client_auth = e->flags & UFT_ENC_CLIENT_AUTH;
    if (s->phase == C_PREREGISTER)
        return 0; /* the key share waits for the proxy's key */
    return handshake(c, x, e->dhblob.p, e->dhblob.len, x->client_auth, why);
}

int uft_csec_proxy_key(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                       const uint8_t *pkt, size_t len, const char **why)
{
    const struct uft_proxy_key *k = &m->u.proxy_key;
    struct uft_csec *x = s->sec;
    struct uft_keyblob dhb;
    uint8_t *msg;
    size_t n, body = len - UFT_HDR_LEN;
    int rc;
    *why = NULL;
    if (4 + body > PCTX_MAX || k->keyblob.len > sizeof x->signer ||
        uft_blob_decode(k->dhblob.p, k->dhblob.len, &dhb) != 0 || dhb.type != UFT_BLOB_EC) {
        *why = "unusable keys";
        return UFT_E_VALUE;
    }
    /* P_ctx = proxy ID || the PROXY_KEY body with its signature zeroed */
    uft_put_u32(x->pctx, m->hdr.src_id);
    memcpy(x->pctx + 4, pkt + UFT_HDR_LEN, body);
    memset(x->pctx + 4 + (size_t)(k->sig.p - pkt - UFT_HDR_LEN), 0, k->sig.len);
    x->pctx_len = 4 + body;
    n = 17 + x->sctx_len + x->pctx_len;
    msg = malloc(n);
    if (!msg)
        return UFT_E_NOMEM;
    memcpy(msg, "UFTP 5, PROXY_KEY", 17);
    memcpy(msg + 17, x->sctx, x->sctx_len);
    memcpy(msg + 17 + x->sctx_len, x->pctx, x->pctx_len);
    rc = ops(c)->verify(k->keyblob.p, k->keyblob.len, x->hashtype, msg, n, k->sig.p, k->sig.len);
    free(msg);
    if (rc) {
        x->pctx_len = 0;
        *why = "its signature did not verify";
        return UFT_E_AUTH;
    }
    memcpy(x->signer, k->keyblob.p, k->keyblob.len);
    x->signer_len = k->keyblob.len;
    x->curve = dhb.ec_curve;
    return handshake(c, x, k->dhblob.p, k->dhblob.len, x->client_auth, why);
}

void uft_csec_register(const struct csession *s, struct uft_msg *m)
{
    if (!s->sec)
        return;
    memcpy(m->u.reg.rand2, s->sec->rand2, UFT_RAND_LEN);
    m->u.reg.keyinfo.p = s->sec->dh;
    m->u.reg.keyinfo.len = s->sec->dh_len;
}

/* The group master arrived: derive every application key and the
 * verify data. Ctx2 = Ctx1 without client authentication. */
static int app_keys(struct uft_client *c, struct uft_csec *x, const uint8_t *gm)
{
    uint8_t zeros[64] = {0}, prk[64], h[64], secret[64], fin[64], buf[sizeof x->ctx1 + 32];
    int rc;
    if ((rc = ops(c)->hmac(x->hashtype, zeros, x->hlen, gm, 32, prk)) ||
        (rc = ops(c)->hash(x->hashtype, x->sctx, x->sctx_len, h)) ||
        (rc = ops(c)->expand_label(x->hashtype, prk, "s app traffic", h, x->hlen, secret,
                                   x->hlen)) ||
        (rc = key_iv(c, x, secret, x->s_app_key, x->s_app_iv)) ||
        (rc = ops(c)->hash(x->hashtype, x->ctx1, x->ctx1_len, h)) ||
        (rc = ops(c)->expand_label(x->hashtype, prk, "c app traffic", h, x->hlen, secret,
                                   x->hlen)) ||
        (rc = key_iv(c, x, secret, x->c_app_key, x->c_app_iv)) ||
        (rc = ops(c)->expand_label(x->hashtype, secret, "finished", NULL, 0, fin, x->hlen)))
        goto out;
    memcpy(buf, x->ctx1, x->ctx1_len);
    memcpy(buf + x->ctx1_len, gm, 32);
    rc = ops(c)->hmac(x->hashtype, fin, x->hlen, buf, x->ctx1_len + 32, x->verify);
out:
    wipe(c, prk, sizeof prk);
    wipe(c, secret, sizeof secret);
    wipe(c, fin, sizeof fin);
    wipe(c, buf, sizeof buf);
    return rc;
}

/* v4 KEYINFO: the group master is AES-CBC under the handshake key with
 * IV salt || server ID || counter, 47 bytes after padding; GM = 0x40 ||
 * them. The application key and salt come from PRF(GM, "key expansion",
 * rand1); the verify data is PRF(GM, "client finished", H(v4_base ||
 * [our key blob] || GM)), 12 bytes. UFTP 4 does not sign KEYINFO. */
static int v4_keyinfo(struct uft_client *c, struct uft_csec *x, uint32_t server_id, uint64_t ctr,
                      const uint8_t *wrapped)
{
    uint8_t iv[16], plain[48], gm[48], kb[64 + 32 + 4], vd[4 + 16 + 64 + 20 + 500 + 48], h[64];
    size_t n = 0, vl;
    int rc;
    memcpy(iv, x->hs_salt, 4);
    uft_put_u32(iv + 4, server_id);
    uft_put_u32(iv + 8, (uint32_t)(ctr >> 32));
    uft_put_u32(iv + 12, (uint32_t)ctr);
    if (!ops(c)->cbc_decrypt ||
        ops(c)->cbc_decrypt(x->s_hs_key, x->klen, iv, wrapped, UFT_ENC_MASTER_LEN, plain, &n) !=
            0 ||
        n != 47) {
        wipe(c, plain, sizeof plain);
        return UFT_E_AUTH;
    }
    gm[0] = UFT_VER4;
    memcpy(gm + 1, plain, 47);
    wipe(c, plain, sizeof plain);
    vl = v4_base(x, vd);
    if (x->ckey_len) {
        memcpy(vd + vl, x->blob, x->blob_len);
        vl += x->blob_len;
    }
    memcpy(vd + vl, gm, sizeof gm);
    vl += sizeof gm;
    if ((rc = prf4(c, x->hashtype, gm, sizeof gm, "key expansion", x->rand1, UFT_RAND_LEN, kb,
                   x->hlen + x->klen + 4)) ||
        (rc = ops(c)->hash(x->hashtype, vd, vl, h)) ||
        (rc = prf4(c, x->hashtype, gm, sizeof gm, "client finished", h, x->hlen, x->verify, 12)))
        goto out;
    memcpy(x->s_app_key, kb + x->hlen, x->klen);
    memcpy(x->c_app_key, kb + x->hlen, x->klen);
    memcpy(x->app_salt, kb + x->hlen + x->klen, 4);
    x->keyed = true;
    rc = 1;
out:
    wipe(c, gm, sizeof gm);
    wipe(c, kb, sizeof kb);
    wipe(c, vd, sizeof vd);
    return rc;
}

int uft_csec_keyinfo(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                     const uint8_t *pkt, size_t len)
{
    const struct uft_keyinfo *k = &m->u.keyinfo;
    struct uft_csec *x = s->sec;
    uint8_t nonce[12], gm[48], aad[20 + sizeof x->ctx1], *sigmsg;
    size_t i, n;
    int rc;
    if (!x)
        return 0;
    for (i = 0; i < k->keys.n; i++)
        if (uft_destkeys_id(&k->keys, i) == c->cfg.client_id)
            break;
    if (i == k->keys.n)
        return 0;
    if (x->keyed)
        return 0; /* a repeat: the caller resends the ACK */
    if (x->v4)
        return v4_keyinfo(c, x, m->hdr.src_id, k->iv_ctr, uft_destkeys_master(&k->keys, i));
    /* signature over "UFTP 5, KEYINFO" || S_ctx || P_ctx || the datagram
     * with the signature zeroed, by the server or, through a proxy, by the
     * proxy (which sends its own KEYINFO with the same group master) */
    n = 15 + x->sctx_len + x->pctx_len + len;
    sigmsg = malloc(n);
    if (!sigmsg)
        return UFT_E_NOMEM;
    memcpy(sigmsg, "UFTP 5, KEYINFO", 15);
    memcpy(sigmsg + 15, x->sctx, x->sctx_len);
    memcpy(sigmsg + 15 + x->sctx_len, x->pctx, x->pctx_len);
    memcpy(sigmsg + n - len, pkt, len);
    memset(sigmsg + n - len + (k->sig.p - pkt), 0, k->sig.len);
    rc = ops(c)->verify(x->signer, x->signer_len, x->hashtype, sigmsg, n, k->sig.p, k->sig.len);
    free(sigmsg);
    if (rc)
        return UFT_E_AUTH;
    memcpy(aad, "UFTP 5, group master", 20);
    memcpy(aad + 20, x->ctx1, x->ctx1_len);
    nonce_of(x->s_hs_iv, k->iv_ctr, nonce);
    rc = ops(c)->open(x->keytype, x->s_hs_key, nonce, aad, 20 + x->ctx1_len,
                      uft_destkeys_master(&k->keys, i), UFT_ENC_MASTER_LEN, gm);
    if (rc)
        return UFT_E_AUTH;
    rc = app_keys(c, x, gm);
    wipe(c, gm, sizeof gm);
    if (rc)
        return rc;
    x->keyed = true;
    return 1;
}

void uft_csec_keyinfo_ack(const struct csession *s, struct uft_msg *m)
{
    m->u.keyinfo_ack.verify.p = s->sec->verify;
    m->u.keyinfo_ack.verify.len = s->sec->v4 ? 12 : s->sec->hlen;
}

bool uft_csec_keyed(const struct csession *s)
{
    return s->sec && s->sec->keyed;
}

/* The replay window of m's sender. A session takes datagrams from its
 * server and from its proxy only (client.c), and every sender counts on
 * its own: UFTP 4's nonce holds the sender's ID, and a proxy's KEYINFO
 * carries the proxy's counter, not the server's. UFTP's proxies seal
 * nothing downstream, but if one did, its counter would run apart from
 * the server's and a shared window would refuse the slower one as too
 * old: so the proxy's sealed datagrams, in either version, get a window
 * of their own rather than none. */
static struct uft_replay *window(const struct csession *s, struct uft_csec *x,
                                 const struct uft_msg *m)
{
    return m->hdr.src_id == s->server_id ? &x->rp_server : &x->rp_proxy;
}

int uft_csec_open(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                  const uint8_t *pkt, size_t len, uint8_t *buf, size_t cap, struct uft_msg *inner)
{
    const struct uft_encrypted *e = &m->u.encrypted;
    struct uft_csec *x = s->sec;
    struct uft_replay *rp;
    uint8_t nonce[12];
    size_t plen;
    int rc;
    (void)len;
    if (!x || !x->keyed || e->payload.len < 16 || e->payload.len - 16 > cap)
        return UFT_E_AUTH;
    plen = e->payload.len - 16;
    rp = window(s, x, m);
    if (!uft_replay_fresh(rp, e->iv_ctr))
        return UFT_E_REPLAY;
    if (x->v4)
        nonce4(x->app_salt, m->hdr.src_id, e->iv_ctr, nonce);
    else
        nonce_of(x->s_app_iv, e->iv_ctr, nonce);
    /* AAD: the datagram's two headers exactly as sent */
    rc = ops(c)->open(x->keytype, x->s_app_key, nonce, pkt, UFT_HDR_LEN + UFT_ENC_HDR_LEN,
                      e->payload.p, e->payload.len, buf);
    if (rc)
        return rc;
    uft_replay_mark(rp, e->iv_ctr);
    rc = uft_msg_decode_body(m->hdr.version, buf, plen, inner);
    if (rc)
        return rc;
    inner->hdr = m->hdr;
    inner->hdr.func = buf[0];
    return 0;
}

ssize_t uft_csec_seal(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                      uint8_t *buf, size_t cap)
{
    struct uft_csec *x = s->sec;
    /* a STATUS carries up to 8,193 bytes of NAKs (65,536 blocks in a
     * section at -b 8800): 2048 here once made a receiver of a large
     * encrypted file unable to NAK at all */
    uint8_t body[10000], nonce[12];
    struct uft_msg outer;
    struct uft_wr w;
    ssize_t blen = uft_msg_encode_body(m, body, sizeof body);
    int rc;
    if (blen < 0)
        return blen;
    if (UFT_HDR_LEN + UFT_ENC_HDR_LEN + (size_t)blen + 16 > cap)
        return UFT_E_NOSPACE;
    memset(&outer, 0, sizeof outer);
    outer.hdr = m->hdr;
    outer.hdr.func = UFT_ENCRYPTED;
    x->ctr++;
    uft_wr_init(&w, buf, cap);
    if ((rc = uft_hdr_encode(&w, &outer.hdr)) || (rc = uft_wr_u64(&w, x->ctr)) ||
        (rc = uft_wr_u16(&w, 0)) || (rc = uft_wr_u16(&w, (uint16_t)(blen + 16))))
        return rc;
    if (x->v4)
        nonce4(x->app_salt, m->hdr.src_id, x->ctr, nonce);
    else
        nonce_of(x->c_app_iv, x->ctr, nonce);
    rc = ops(c)->seal(x->keytype, x->c_app_key, nonce, buf, UFT_HDR_LEN + UFT_ENC_HDR_LEN, body,
                      (size_t)blen, buf + w.len);
    if (rc)
        return rc;
    return (ssize_t)(w.len + (size_t)blen + 16);
}

void uft_csec_free(struct uft_client *c, struct csession *s)
{
    if (!s->sec)
        return;
    if (ops(c))
        wipe(c, s->sec, sizeof *s->sec);
    free(s->sec);
    s->sec = NULL;
}

bool uft_csec_filter(struct uft_client *c, struct csession *s, struct uft_msg *m,
                     const uint8_t *pkt, size_t len, uft_ts now)
{
    struct uft_msg inner;
    int rc;
    switch (m->hdr.func) {
    case UFT_ENCRYPTED:
        rc = uft_csec_open(c, s, m, pkt, len, c->plain, 10000, &inner);
        if (rc != 0) {
            c->st.rx_dropped++;
            if (rc == UFT_E_REPLAY)
                c->st.rx_replayed++;
            else
                c->st.rx_unauth++;
            return false;
        }
        *m = inner;
        return true;
    case UFT_KEYINFO:
        rc = uft_csec_keyinfo(c, s, m, pkt, len);
        if (rc < 0) {
            c->st.rx_dropped++;
            c->st.rx_unauth++;
            uft_cl_log(c, s, 1, "Dropped a KEYINFO that did not verify");
            return false;
        }
        if (rc == 1) {
            uft_cl_log(c, s, 2, "Received the group keys");
            s->phase = C_MIDGROUP;
        }
        if (uft_csec_keyed(s)) {
            size_t i;
            for (i = 0; i < m->u.keyinfo.keys.n; i++)
                if (uft_destkeys_id(&m->u.keyinfo.keys, i) == c->cfg.client_id)
                    s->owe_kiack = true;
        }
        s->last_rx = now;
        c->st.rx_packets++;
        return false;
    case UFT_ABORT:
        /* before the keys an ABORT can only be in clear; after them a clear
         * one could come from anyone, so (as UFTP) only a sealed one counts */
        if (uft_csec_keyed(s)) {
            c->st.rx_dropped++;
            return false;
        }
        return true;
    case UFT_REG_CONF:
        return true; /* REG_CONF only confirms, and is never encrypted */
    default:
        c->st.rx_dropped++; /* session traffic must be encrypted */
        return false;
    }
}
