/*
 * UFTP 5's key schedule, the parts both ends of an exchange share
 * (sec_common.h). Derivations are written once here so that a party that
 * plays both roles, as the proxy does, computes each value one way.
 */
#include "core/sec_common.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/wire.h"

#define GM_LABEL   "UFTP 5, group master"
#define GM_LBL_LEN 20

int uft_sec_suite_init(struct uft_sec_suite *s, const struct uft_crypto_ops *ops, uint8_t keytype,
                       uint8_t hashtype)
{
    memset(s, 0, sizeof *s);
    if (!ops || keytype < UFT_KEY_AES128_GCM || keytype > UFT_KEY_AES256_CCM ||
        hashtype < UFT_HASH_SHA256 || hashtype > UFT_HASH_SHA512)
        return UFT_E_VALUE;
    s->ops = ops;
    s->keytype = keytype;
    s->hashtype = hashtype;
    s->klen = ops->key_len(keytype);
    s->hlen = ops->hash_len(hashtype);
    if (!s->klen || s->klen > 32 || !s->hlen || s->hlen > 64)
        return UFT_E_VALUE;
    return 0;
}

void uft_sec_nonce(const uint8_t *iv, uint64_t ctr, uint8_t *nonce)
{
    int i;
    memcpy(nonce, iv, UFT_SEC_IV_LEN);
    for (i = 0; i < 8; i++)
        nonce[4 + i] ^= (uint8_t)(ctr >> (56 - 8 * i));
}

/* The window is a ring of bits indexed by ctr modulo its size; moving the
 * top forward clears the slots of the counters skipped over. */
bool uft_replay_fresh(const struct uft_replay *r, uint64_t ctr)
{
    uint64_t slot = ctr % UFT_REPLAY_WINDOW;
    if (ctr > r->top)
        return true;
    if (r->top - ctr >= UFT_REPLAY_WINDOW)
        return false;
    return !(r->bits[slot / 64] & (1ull << (slot % 64)));
}

void uft_replay_mark(struct uft_replay *r, uint64_t ctr)
{
    uint64_t slot = ctr % UFT_REPLAY_WINDOW, c;
    if (ctr > r->top) {
        if (ctr - r->top >= UFT_REPLAY_WINDOW)
            memset(r->bits, 0, sizeof r->bits);
        else
            for (c = r->top + 1; c < ctr; c++)
                r->bits[(c % UFT_REPLAY_WINDOW) / 64] &= ~(1ull << (c % 64));
        r->top = ctr;
    }
    r->bits[slot / 64] |= 1ull << (slot % 64);
}

int uft_sec_premaster(const struct uft_crypto_ops *ops, const void *dh, const uint8_t *peer_blob,
                      size_t blob_len, uint8_t *premaster32)
{
    uint8_t shared[160];
    size_t n = 0;
    int rc = ops->ecdh_derive(dh, peer_blob, blob_len, shared, sizeof shared, &n);
    if (rc == 0)
        rc = ops->hash(UFT_HASH_SHA256, shared, n, premaster32);
    ops->wipe(shared, sizeof shared);
    return rc;
}

static int key_iv(const struct uft_sec_suite *s, const uint8_t *secret, struct uft_sec_keys *k)
{
    int rc = s->ops->expand_label(s->hashtype, secret, "key", NULL, 0, k->key, s->klen);
    return rc ? rc : s->ops->expand_label(s->hashtype, secret, "iv", NULL, 0, k->iv, 12);
}

/* PRK = Extract(zeros, ikm); secret = Expand-Label(PRK, label, H(ctx)). */
static int secret_of(const struct uft_sec_suite *s, const uint8_t *ikm, size_t ikm_len,
                     const char *label, const uint8_t *ctx, size_t ctx_len, uint8_t *secret)
{
    uint8_t zeros[64] = {0}, prk[64], h[64];
    int rc;
    if (!(rc = s->ops->hmac(s->hashtype, zeros, s->hlen, ikm, ikm_len, prk)) &&
        !(rc = s->ops->hash(s->hashtype, ctx, ctx_len, h)))
        rc = s->ops->expand_label(s->hashtype, prk, label, h, s->hlen, secret, s->hlen);
    s->ops->wipe(prk, sizeof prk);
    return rc;
}

int uft_sec_hs_keys(const struct uft_sec_suite *s, const uint8_t *premaster32, const uint8_t *ctx1,
                    size_t ctx1_len, struct uft_sec_keys *srv, struct uft_sec_keys *cli)
{
    uint8_t secret[64];
    int rc;
    if (!(rc = secret_of(s, premaster32, 32, "s hs traffic", ctx1, ctx1_len, secret)) &&
        !(rc = key_iv(s, secret, srv)) &&
        !(rc = secret_of(s, premaster32, 32, "c hs traffic", ctx1, ctx1_len, secret)))
        rc = key_iv(s, secret, cli);
    s->ops->wipe(secret, sizeof secret);
    return rc;
}

int uft_sec_server_app(const struct uft_sec_suite *s, const uint8_t *gm, const uint8_t *sctx,
                       size_t sctx_len, struct uft_sec_keys *out)
{
    uint8_t secret[64];
    int rc = secret_of(s, gm, UFT_SEC_GM_LEN, "s app traffic", sctx, sctx_len, secret);
    if (rc == 0)
        rc = key_iv(s, secret, out);
    s->ops->wipe(secret, sizeof secret);
    return rc;
}

int uft_sec_client_app(const struct uft_sec_suite *s, const uint8_t *gm, const uint8_t *ctx2,
                       size_t ctx2_len, struct uft_sec_keys *out, uint8_t *verify)
{
    uint8_t secret[64], fin[64], *buf;
    int rc;
    buf = malloc(ctx2_len + UFT_SEC_GM_LEN);
    if (!buf)
        return UFT_E_NOMEM;
    memcpy(buf, ctx2, ctx2_len);
    memcpy(buf + ctx2_len, gm, UFT_SEC_GM_LEN);
    if (!(rc = secret_of(s, gm, UFT_SEC_GM_LEN, "c app traffic", ctx2, ctx2_len, secret)) &&
        !(rc = key_iv(s, secret, out)) &&
        !(rc = s->ops->expand_label(s->hashtype, secret, "finished", NULL, 0, fin, s->hlen)))
        rc = s->ops->hmac(s->hashtype, fin, s->hlen, buf, ctx2_len + UFT_SEC_GM_LEN, verify);
    s->ops->wipe(secret, sizeof secret);
    s->ops->wipe(fin, sizeof fin);
    s->ops->wipe(buf, ctx2_len + UFT_SEC_GM_LEN);
    free(buf);
    return rc;
}

static uint8_t *gm_aad(const uint8_t *ctx2, size_t ctx2_len)
{
    uint8_t *aad = malloc(GM_LBL_LEN + ctx2_len);
    if (aad) {
        memcpy(aad, GM_LABEL, GM_LBL_LEN);
        memcpy(aad + GM_LBL_LEN, ctx2, ctx2_len);
    }
    return aad;
}

int uft_sec_wrap_gm(const struct uft_sec_suite *s, const struct uft_sec_keys *shs, uint64_t ctr,
                    const uint8_t *ctx2, size_t ctx2_len, const uint8_t *gm, uint8_t *out48)
{
    uint8_t nonce[UFT_SEC_IV_LEN], *aad = gm_aad(ctx2, ctx2_len);
    int rc;
    if (!aad)
        return UFT_E_NOMEM;
    uft_sec_nonce(shs->iv, ctr, nonce);
    rc = s->ops->seal(s->keytype, shs->key, nonce, aad, GM_LBL_LEN + ctx2_len, gm, UFT_SEC_GM_LEN,
                      out48);
    free(aad);
    return rc;
}

int uft_sec_unwrap_gm(const struct uft_sec_suite *s, const struct uft_sec_keys *shs, uint64_t ctr,
                      const uint8_t *ctx2, size_t ctx2_len, const uint8_t *in48, uint8_t *gm)
{
    uint8_t nonce[UFT_SEC_IV_LEN], *aad = gm_aad(ctx2, ctx2_len);
    int rc;
    if (!aad)
        return UFT_E_NOMEM;
    uft_sec_nonce(shs->iv, ctr, nonce);
    rc = s->ops->open(s->keytype, shs->key, nonce, aad, GM_LBL_LEN + ctx2_len, in48,
                      UFT_ENC_MASTER_LEN, gm);
    free(aad);
    return rc ? UFT_E_AUTH : 0;
}

ssize_t uft_sec_seal(const struct uft_sec_suite *s, const struct uft_sec_keys *k, uint64_t ctr,
                     const struct uft_msg *m, uint8_t *buf, size_t cap)
{
    uint8_t body[9216], nonce[UFT_SEC_IV_LEN];
    struct uft_hdr h = m->hdr;
    struct uft_wr w;
    ssize_t blen = uft_msg_encode_body(m, body, sizeof body);
    int rc;
    if (blen < 0)
        return blen;
    if (UFT_HDR_LEN + UFT_ENC_HDR_LEN + (size_t)blen + UFT_SEC_TAG_LEN > cap ||
        (size_t)blen + UFT_SEC_TAG_LEN > UINT16_MAX)
        return UFT_E_NOSPACE;
    h.func = UFT_ENCRYPTED;
    uft_wr_init(&w, buf, cap);
    if ((rc = uft_hdr_encode(&w, &h)) || (rc = uft_wr_u64(&w, ctr)) || (rc = uft_wr_u16(&w, 0)) ||
        (rc = uft_wr_u16(&w, (uint16_t)((size_t)blen + UFT_SEC_TAG_LEN))))
        return rc;
    uft_sec_nonce(k->iv, ctr, nonce);
    rc = s->ops->seal(s->keytype, k->key, nonce, buf, w.len, body, (size_t)blen, buf + w.len);
    s->ops->wipe(body, (size_t)blen);
    return rc ? rc : (ssize_t)(w.len + (size_t)blen + UFT_SEC_TAG_LEN);
}

int uft_sec_open(const struct uft_sec_suite *s, const struct uft_sec_keys *k, const uint8_t *pkt,
                 const struct uft_msg *outer, uint8_t *plain, size_t cap, struct uft_msg *inner)
{
    const struct uft_encrypted *e = &outer->u.encrypted;
    uint8_t nonce[UFT_SEC_IV_LEN];
    size_t plen;
    int rc;
    if (e->payload.len < UFT_SEC_TAG_LEN || e->payload.len - UFT_SEC_TAG_LEN > cap)
        return UFT_E_AUTH;
    plen = e->payload.len - UFT_SEC_TAG_LEN;
    uft_sec_nonce(k->iv, e->iv_ctr, nonce);
    if (s->ops->open(s->keytype, k->key, nonce, pkt, UFT_HDR_LEN + UFT_ENC_HDR_LEN, e->payload.p,
                     e->payload.len, plain) != 0)
        return UFT_E_AUTH;
    if (plen == 0)
        return UFT_E_TRUNC;
    if ((rc = uft_msg_decode_body(outer->hdr.version, plain, plen, inner)) != 0)
        return rc;
    inner->hdr = outer->hdr;
    inner->hdr.func = plain[0];
    return 0;
}

static int join_parts(const char *label, const struct uft_bytes *parts, size_t n, uint8_t **out,
                      size_t *len)
{
    size_t i, l = strlen(label), total = l;
    uint8_t *buf;
    for (i = 0; i < n; i++)
        total += parts[i].len;
    if (!(buf = malloc(total ? total : 1)))
        return UFT_E_NOMEM;
    memcpy(buf, label, l);
    for (i = 0; i < n; i++) {
        if (parts[i].len)
            memcpy(buf + l, parts[i].p, parts[i].len);
        l += parts[i].len;
    }
    *out = buf;
    *len = total;
    return 0;
}

int uft_sec_sign_parts(const struct uft_crypto_ops *ops, const void *key, uint8_t hashtype,
                       const char *label, const struct uft_bytes *parts, size_t n, uint8_t *sig,
                       size_t cap, size_t *sig_len)
{
    uint8_t *msg;
    size_t len;
    int rc = join_parts(label, parts, n, &msg, &len);
    if (rc)
        return rc;
    rc = ops->sign(key, hashtype, msg, len, sig, cap, sig_len);
    free(msg);
    return rc;
}

int uft_sec_verify_parts(const struct uft_crypto_ops *ops, const uint8_t *keyblob, size_t blob_len,
                         uint8_t hashtype, const char *label, const struct uft_bytes *parts,
                         size_t n, const uint8_t *sig, size_t sig_len)
{
    uint8_t *msg;
    size_t len;
    int rc = join_parts(label, parts, n, &msg, &len);
    if (rc)
        return rc;
    rc = ops->verify(keyblob, blob_len, hashtype, msg, len, sig, sig_len);
    free(msg);
    return rc ? UFT_E_AUTH : 0;
}
