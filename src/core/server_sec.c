/*
 * The server's side of UFTP 5's encryption. At start: a random group
 * master (GM) and rand1, an ephemeral ECDH key, an ephemeral ECDSA
 * signing key (UFTP's default without -k), and the application keys from
 * GM. Each ANNOUNCE is signed whole. A REGISTER's ECDH share gives that
 * client's handshake keys; KEYINFO carries GM wrapped for each client
 * (AEAD under its handshake key) and is signed; a KEYINFO_ACK whose verify
 * data matches makes the client active. From then on group messages are
 * sealed with the server's application key and each client's with its
 * own. The key schedule is the one client_sec.c follows.
 *
 * The entry points (server_int.h) serve both versions: in a UFTP 4
 * session (0x40) each hands over to server_sec4.c, which has UFTP 4's key
 * schedule; what the two share (the signing key, rand1, the ANNOUNCE's
 * signature, the KEYINFO cursor) stays here.
 */
#include "core/server_sec.h"

#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "core/err.h"

static void nonce_of(const uint8_t *iv, uint64_t ctr, uint8_t *nonce)
{
    int i;
    memcpy(nonce, iv, 12);
    for (i = 0; i < 8; i++)
        nonce[4 + i] ^= (uint8_t)(ctr >> (56 - 8 * i));
}

static int key_iv(struct uft_ssec *x, const uint8_t *secret, uint8_t *key, uint8_t *iv)
{
    int rc = x->ops->expand_label(x->hashtype, secret, "key", NULL, 0, key, x->klen);
    return rc ? rc : x->ops->expand_label(x->hashtype, secret, "iv", NULL, 0, iv, 12);
}

/* EXT_ENC_INFO as it goes out (signature bytes zeroed) into buf. */
static size_t enc_info_bytes(struct uft_server *s, uint8_t *buf)
{
    struct uft_ssec *x = s->sec;
    size_t total = 44 + x->keyblob_len + x->dhblob_len + x->siglen;
    buf[0] = UFT_EXT_ENC_INFO;
    buf[1] = (uint8_t)(total / 4);
    buf[2] = s->cfg.client_auth ? UFT_ENC_CLIENT_AUTH : 0;
    buf[3] = 0;
    buf[4] = x->keytype;
    buf[5] = x->hashtype;
    uft_put_u16(buf + 6, (uint16_t)x->keyblob_len);
    uft_put_u16(buf + 8, (uint16_t)x->dhblob_len);
    uft_put_u16(buf + 10, (uint16_t)x->siglen);
    memcpy(buf + 12, x->rand1, UFT_RAND_LEN);
    memcpy(buf + 44, x->keyblob, x->keyblob_len);
    memcpy(buf + 44 + x->keyblob_len, x->dhblob, x->dhblob_len);
    memset(buf + 44 + x->keyblob_len + x->dhblob_len, 0, x->siglen);
    return total;
}

/* UFTP 5: the ECDH key, S_ctx, and the server's application keys, which
 * come from GM and S_ctx alone. */
static int init5(struct uft_server *s, struct uft_ssec *x)
{
    const struct uft_crypto_ops *ops = x->ops;
    uint8_t zeros[64] = {0}, h[64], secret[64];
    int rc;
    if (x->keytype < UFT_KEY_AES128_GCM || x->keytype > UFT_KEY_AES256_CCM ||
        x->hashtype < UFT_HASH_SHA256)
        return UFT_E_INVAL; /* CBC and SHA-1 are UFTP 4's only */
    if ((rc = ops->random(x->gm, sizeof x->gm)) || (rc = ops->ecdh_new(x->curve, &x->dh)) ||
        (rc = ops->ecdh_blob(x->dh, x->dhblob, sizeof x->dhblob, &x->dhblob_len)))
        return rc;
    x->siglen = ops->signkey_siglen(x->sign);
    /* S_ctx = group ID, instance, server ID, EXT_ENC_INFO (signature zeroed) */
    uft_put_u32(x->sctx, s->cfg.group_id);
    x->sctx[4] = s->cfg.group_inst;
    uft_put_u32(x->sctx + 5, s->cfg.server_id);
    x->sctx_len = 9 + enc_info_bytes(s, x->sctx + 9);
    if ((rc = ops->hmac(x->hashtype, zeros, x->hlen, x->gm, 32, x->prk_app)) ||
        (rc = ops->hash(x->hashtype, x->sctx, x->sctx_len, h)) ||
        (rc = ops->expand_label(x->hashtype, x->prk_app, "s app traffic", h, x->hlen, secret,
                                x->hlen)) ||
        (rc = key_iv(x, secret, x->s_app_key, x->s_app_iv)))
        goto out;
out:
    ops->wipe(secret, sizeof secret);
    return rc;
}

int uft_ssec_init(struct uft_server *s)
{
    const struct uft_crypto_ops *ops = s->ops.crypto;
    struct uft_ssec *x;
    int rc;
    if (!ops)
        return UFT_E_INVAL;
    x = calloc(1, sizeof *x);
    if (!x)
        return UFT_E_NOMEM;
    s->sec = x;
    x->ops = ops;
    x->v4 = s->cfg.version == UFT_VER4;
    x->keytype = s->cfg.keytype;
    x->hashtype = s->cfg.hashtype ? s->cfg.hashtype : UFT_HASH_SHA256;
    x->curve = s->cfg.curve ? s->cfg.curve : UFT_CURVE_P256;
    x->hlen = ops->hash_len(x->hashtype);
    x->klen = ops->key_len(x->keytype);
    if (!x->hlen || !x->klen)
        return UFT_E_INVAL;
    if ((rc = ops->random(x->rand1, sizeof x->rand1)) ||
        (!s->cfg.signkey && (rc = ops->signkey_new_ec(UFT_CURVE_P256, &x->sign))))
        return rc;
    x->own_sign = !s->cfg.signkey;
    if (s->cfg.signkey)
        x->sign = s->cfg.signkey;
    if ((rc = ops->signkey_blob(x->sign, x->keyblob, sizeof x->keyblob, &x->keyblob_len)))
        return rc;
    return x->v4 ? uft_ssec4_init(s, x) : init5(s, x);
}

void uft_ssec_free(struct uft_server *s)
{
    struct uft_ssec *x = s->sec;
    size_t i;
    for (i = 0; i < s->n_dests; i++) {
        if (s->dests[i].sec && x)
            x->ops->wipe(s->dests[i].sec, sizeof *s->dests[i].sec);
        free(s->dests[i].sec);
        s->dests[i].sec = NULL;
    }
    if (!x)
        return;
    if (x->dh)
        x->ops->ecdh_free(x->dh);
    if (x->sign && x->own_sign)
        x->ops->signkey_free(x->sign);
    x->ops->wipe(x, sizeof *x);
    free(x);
    s->sec = NULL;
}

void uft_ssec_announce(struct uft_server *s, struct uft_msg *m)
{
    struct uft_ssec *x = s->sec;
    static const uint8_t zero_sig[600]; /* RSA-3072 signatures are 384 bytes */
    struct uft_ext_enc_info *e = &m->u.announce.enc;
    m->u.announce.has_enc = true;
    e->flags = s->cfg.client_auth ? UFT_ENC_CLIENT_AUTH : 0;
    e->keyex_sig = x->v4 ? (uint8_t)(x->keyex << 4 | x->sigtype) : 0;
    e->keytype = x->keytype;
    e->hashtype = x->hashtype;
    memcpy(e->rand1, x->rand1, UFT_RAND_LEN);
    e->keyblob.p = x->keyblob;
    e->keyblob.len = x->keyblob_len;
    e->dhblob.p = x->dhblob;
    e->dhblob.len = x->dhblob_len;
    e->sig.p = zero_sig;
    e->sig.len = x->siglen;
}

int uft_ssec_sign_announce(struct uft_server *s, uint8_t *pkt, size_t len)
{
    struct uft_ssec *x = s->sec;
    struct uft_msg m;
    size_t off, n;
    uint8_t sig[600];
    int rc;
    if (x->siglen == 0)
        return 0; /* UFTP 4's RSA key exchange signs no ANNOUNCE */
    if ((rc = uft_msg_decode(pkt, len, &m)) || !m.u.announce.has_enc)
        return rc ? rc : UFT_E_INVAL;
    off = (size_t)(m.u.announce.enc.sig.p - pkt);
    if ((rc = x->ops->sign(x->sign, x->hashtype, pkt, len, sig, sizeof sig, &n)))
        return rc;
    if (n != x->siglen)
        return UFT_E_CRYPTO;
    memcpy(pkt + off, sig, n);
    return 0;
}

/* The client's application keys and its KEYINFO_ACK verify data, from
 * Ctx2 (= Ctx1 without client authentication). */
static int app_keys(struct uft_ssec *x, struct uft_sdest *k)
{
    uint8_t h[64], secret[64], fin[64], *buf;
    int rc;
    buf = malloc(k->ctx1_len + 32);
    if (!buf)
        return UFT_E_NOMEM;
    memcpy(buf, k->ctx1, k->ctx1_len);
    memcpy(buf + k->ctx1_len, x->gm, 32);
    if ((rc = x->ops->hash(x->hashtype, k->ctx1, k->ctx1_len, h)) ||
        (rc = x->ops->expand_label(x->hashtype, x->prk_app, "c app traffic", h, x->hlen, secret,
                                   x->hlen)) ||
        (rc = key_iv(x, secret, k->c_app_key, k->c_app_iv)) ||
        (rc = x->ops->expand_label(x->hashtype, secret, "finished", NULL, 0, fin, x->hlen)) ||
        (rc = x->ops->hmac(x->hashtype, fin, x->hlen, buf, k->ctx1_len + 32, k->verify)))
        goto out;
out:
    x->ops->wipe(secret, sizeof secret);
    x->ops->wipe(fin, sizeof fin);
    x->ops->wipe(buf, k->ctx1_len + 32);
    free(buf);
    return rc;
}

int uft_ssec_register(struct uft_server *s, struct dest *d, const struct uft_msg *m)
{
    struct uft_ssec *x = s->sec;
    const struct uft_register *r = &m->u.reg;
    struct uft_sdest *k;
    uint8_t shared[80], premaster[32], zeros[64] = {0}, prk[64], h[64], secret[64];
    size_t slen;
    int rc;
    if (!d->sec && !(d->sec = calloc(1, sizeof *d->sec)))
        return UFT_E_NOMEM;
    if (x->v4)
        return uft_ssec4_register(s, d, m);
    k = d->sec;
    if (r->keyinfo.len == 0 || x->sctx_len + 4 + r->keyinfo.len + UFT_RAND_LEN > CTX_MAX)
        return UFT_E_VALUE;
    if ((rc = x->ops->ecdh_derive(x->dh, r->keyinfo.p, r->keyinfo.len, shared, sizeof shared,
                                  &slen)) ||
        (rc = x->ops->hash(UFT_HASH_SHA256, shared, slen, premaster)))
        return rc;
    /* a REGISTER sent again carries the same share and rand2; a new one
     * (the client started over) brings new keys and a counter from 1 */
    if (k->ctx1_len < x->sctx_len + 4 + r->keyinfo.len + UFT_RAND_LEN ||
        memcmp(k->ctx1 + x->sctx_len + 4, r->keyinfo.p, r->keyinfo.len) != 0 ||
        memcmp(k->ctx1 + x->sctx_len + 4 + r->keyinfo.len, r->rand2, UFT_RAND_LEN) != 0)
        memset(&k->rp, 0, sizeof k->rp);
    memcpy(k->ctx1, x->sctx, x->sctx_len);
    uft_put_u32(k->ctx1 + x->sctx_len, d->id);
    memcpy(k->ctx1 + x->sctx_len + 4, r->keyinfo.p, r->keyinfo.len);
    memcpy(k->ctx1 + x->sctx_len + 4 + r->keyinfo.len, r->rand2, UFT_RAND_LEN);
    k->ctx1_len = x->sctx_len + 4 + r->keyinfo.len + UFT_RAND_LEN;
    if ((rc = x->ops->hmac(x->hashtype, zeros, x->hlen, premaster, 32, prk)) ||
        (rc = x->ops->hash(x->hashtype, k->ctx1, k->ctx1_len, h)) ||
        (rc =
             x->ops->expand_label(x->hashtype, prk, "s hs traffic", h, x->hlen, secret, x->hlen)) ||
        (rc = key_iv(x, secret, k->s_hs_key, k->s_hs_iv)) ||
        (rc =
             x->ops->expand_label(x->hashtype, prk, "c hs traffic", h, x->hlen, secret, x->hlen)) ||
        (rc = key_iv(x, secret, k->c_hs_key, k->c_hs_iv)))
        goto out;
    k->need_ckey = s->cfg.client_auth;
    if (!k->need_ckey)
        rc = app_keys(x, k);
out:
    x->ops->wipe(shared, sizeof shared);
    x->ops->wipe(premaster, sizeof premaster);
    x->ops->wipe(prk, sizeof prk);
    x->ops->wipe(secret, sizeof secret);
    return rc;
}

int uft_ssec_client_key(struct uft_server *s, struct dest *d, const struct uft_msg *m,
                        const char **why)
{
    struct uft_ssec *x = s->sec;
    struct uft_sdest *k = d->sec;
    const struct uft_client_key *ck = &m->u.client_key;
    const uint8_t *body;
    uint8_t fp[64], *msg;
    size_t blen, n;
    int rc;
    *why = "Invalid CLIENT_KEY";
    if (!k || !k->need_ckey || ck->keyblob.len == 0 || ck->sig.len == 0)
        return UFT_E_VALUE;
    if (x->v4)
        return uft_ssec4_client_key(s, d, m, why);
    /* the body as it came: func, hlen, reserved, lengths, blob, signature */
    body = ck->keyblob.p - 8;
    blen = (size_t)body[1] * 4;
    if (blen < 8 + ck->keyblob.len + ck->sig.len || k->ctx1_len + blen > sizeof k->ctx1)
        return UFT_E_VALUE;
    if (d->fp) {
        static const uint8_t none[20];
        if (memcmp(d->fp, none, 20) != 0 &&
            (x->ops->hash(UFT_HASH_SHA1, ck->keyblob.p, ck->keyblob.len, fp) != 0 ||
             memcmp(fp, d->fp, 20) != 0)) {
            *why = "Client key fingerprint does not match";
            return UFT_E_AUTH;
        }
    }
    n = 18 + k->ctx1_len;
    if (!(msg = malloc(n)))
        return UFT_E_NOMEM;
    memcpy(msg, "UFTP 5, CLIENT_KEY", 18);
    memcpy(msg + 18, k->ctx1, k->ctx1_len);
    rc =
        x->ops->verify(ck->keyblob.p, ck->keyblob.len, x->hashtype, msg, n, ck->sig.p, ck->sig.len);
    free(msg);
    if (rc) {
        *why = "CLIENT_KEY signature does not verify";
        return UFT_E_AUTH;
    }
    /* Ctx2 = Ctx1 || the CLIENT_KEY body with its signature zeroed */
    memcpy(k->ctx1 + k->ctx1_len, body, blen);
    memset(k->ctx1 + k->ctx1_len + 8 + ck->keyblob.len, 0, ck->sig.len);
    k->ctx1_len += blen;
    k->need_ckey = false;
    if ((rc = app_keys(x, k)) != 0)
        *why = "Key derivation failed";
    return rc;
}

void uft_ssec_owe_keyinfo(struct uft_server *s)
{
    s->sec->keyinfo_owed = true;
    s->sec->keyinfo_all = true;
    s->sec->keyinfo_cursor = 0;
}

void uft_ssec_owe_keyinfo_for(struct uft_server *s, struct dest *d)
{
    struct uft_ssec *x = s->sec;
    size_t i = (size_t)(d - s->dests);
    if (!d->sec)
        return;
    d->sec->keyinfo_due = true;
    if (!x->keyinfo_owed) {
        x->keyinfo_owed = true;
        x->keyinfo_all = false;
        x->keyinfo_cursor = i;
    } else if (i < x->keyinfo_cursor) {
        x->keyinfo_cursor = i; /* the one being pulled has passed it */
    }
}

bool uft_ssec_keyinfo_lists(struct uft_ssec *x, struct dest *d)
{
    if (d->state != D_REGISTERED || !d->sec || !(x->keyinfo_all || d->sec->keyinfo_due))
        return false;
    d->sec->keyinfo_due = false;
    return true;
}

bool uft_ssec_keyinfo_owed(const struct uft_server *s)
{
    return s->sec && s->sec->keyinfo_owed;
}

/* KEYINFO: one counter value per packet; each listed client's entry is GM
 * sealed with its handshake key, the AAD "UFTP 5, group master" || Ctx2. */
ssize_t uft_ssec_pull_keyinfo(struct uft_server *s, uint8_t *buf, size_t cap, struct uft_tx *tx)
{
    struct uft_ssec *x = s->sec;
    uint8_t keys[8800], sig[600], aad[CTX_MAX + 32], nonce[12], *msg;
    size_t max = s->cfg.block_len / UFT_DESTKEY_LEN, n = 0, mlen, slen;
    struct uft_msg m;
    ssize_t len;
    int rc;
    if (x->v4)
        return uft_ssec4_pull_keyinfo(s, buf, cap, tx);
    if (max > sizeof keys / UFT_DESTKEY_LEN)
        max = sizeof keys / UFT_DESTKEY_LEN;
    x->ctr++;
    while (x->keyinfo_cursor < s->n_dests && n < max) {
        struct dest *d = &s->dests[x->keyinfo_cursor++];
        uint8_t *e = keys + n * UFT_DESTKEY_LEN;
        if (!uft_ssec_keyinfo_lists(x, d))
            continue;
        uft_put_u32(e, d->id);
        memcpy(aad, "UFTP 5, group master", 20);
        memcpy(aad + 20, d->sec->ctx1, d->sec->ctx1_len);
        nonce_of(d->sec->s_hs_iv, x->ctr, nonce);
        if (x->ops->seal(x->keytype, d->sec->s_hs_key, nonce, aad, 20 + d->sec->ctx1_len, x->gm, 32,
                         e + 4) != 0)
            continue;
        n++;
    }
    if (x->keyinfo_cursor >= s->n_dests)
        x->keyinfo_owed = false;
    if (n == 0)
        return 0;
    memset(&m, 0, sizeof m);
    uft_srv_fill_hdr(s, &m, UFT_KEYINFO);
    m.u.keyinfo.iv_ctr = x->ctr;
    memset(sig, 0, x->siglen);
    m.u.keyinfo.sig.p = sig;
    m.u.keyinfo.sig.len = x->siglen;
    m.u.keyinfo.keys.p = keys;
    m.u.keyinfo.keys.n = n;
    len = uft_srv_finish_tx(s, &m, buf, cap, tx, UFT_DST_PRIVATE);
    if (len < 0)
        return len;
    /* sign "UFTP 5, KEYINFO" || S_ctx || P_ctx (none) || the packet */
    mlen = 15 + x->sctx_len + (size_t)len;
    msg = malloc(mlen);
    if (!msg)
        return UFT_E_NOMEM;
    memcpy(msg, "UFTP 5, KEYINFO", 15);
    memcpy(msg + 15, x->sctx, x->sctx_len);
    memcpy(msg + 15 + x->sctx_len, buf, (size_t)len);
    rc = x->ops->sign(x->sign, x->hashtype, msg, mlen, sig, sizeof sig, &slen);
    free(msg);
    if (rc || slen != x->siglen)
        return UFT_E_CRYPTO;
    memcpy(buf + UFT_HDR_LEN + 12, sig, slen); /* after func, hlen, siglen, ivctr */
    return len;
}

bool uft_ssec_check_ack(struct uft_server *s, struct dest *d, const struct uft_msg *m)
{
    const struct uft_keyinfo_ack *a = &m->u.keyinfo_ack;
    size_t n = s->sec->v4 ? 12 : s->sec->hlen; /* UFTP 4's verify data is 12 bytes */
    return d->sec && !d->sec->need_ckey && a->verify.len >= n &&
           memcmp(a->verify.p, d->sec->verify, n) == 0;
}

int uft_ssec_open(struct uft_server *s, struct dest *d, const struct uft_msg *m, const uint8_t *pkt,
                  struct uft_msg *inner)
{
    struct uft_ssec *x = s->sec;
    const struct uft_encrypted *e = &m->u.encrypted;
    static uint8_t plain[10000];
    uint8_t nonce[12];
    int rc;
    if (x->v4)
        return uft_ssec4_open(s, d, m, pkt, inner);
    if (!d->sec || e->payload.len < 16 || e->payload.len - 16 > sizeof plain)
        return UFT_E_AUTH;
    if (!uft_replay_fresh(&d->sec->rp, e->iv_ctr))
        return UFT_E_REPLAY;
    /* before its CLIENT_KEY a client has only its handshake key */
    nonce_of(d->sec->need_ckey ? d->sec->c_hs_iv : d->sec->c_app_iv, e->iv_ctr, nonce);
    rc = x->ops->open(x->keytype, d->sec->need_ckey ? d->sec->c_hs_key : d->sec->c_app_key, nonce,
                      pkt, UFT_HDR_LEN + UFT_ENC_HDR_LEN, e->payload.p, e->payload.len, plain);
    if (rc)
        return rc;
    uft_replay_mark(&d->sec->rp, e->iv_ctr);
    rc = uft_msg_decode_body(m->hdr.version, plain, e->payload.len - 16, inner);
    if (rc)
        return rc;
    if (d->sec->need_ckey && plain[0] != UFT_CLIENT_KEY)
        return UFT_E_AUTH; /* the handshake key carries nothing else */
    inner->hdr = m->hdr;
    inner->hdr.func = plain[0];
    return 0;
}

ssize_t uft_ssec_seal(struct uft_server *s, uint8_t *buf, size_t len, size_t cap)
{
    struct uft_ssec *x = s->sec;
    uint8_t body[10000], nonce[12];
    size_t blen = len - UFT_HDR_LEN;
    struct uft_wr w;
    int rc;
    if (x->v4)
        return uft_ssec4_seal(s, buf, len, cap);
    if (len < UFT_HDR_LEN || blen > sizeof body || UFT_HDR_LEN + UFT_ENC_HDR_LEN + blen + 16 > cap)
        return UFT_E_NOSPACE;
    memcpy(body, buf + UFT_HDR_LEN, blen);
    buf[1] = UFT_ENCRYPTED;
    x->ctr++;
    uft_wr_init(&w, buf + UFT_HDR_LEN, cap - UFT_HDR_LEN);
    if ((rc = uft_wr_u64(&w, x->ctr)) || (rc = uft_wr_u16(&w, 0)) ||
        (rc = uft_wr_u16(&w, (uint16_t)(blen + 16))))
        return rc;
    nonce_of(x->s_app_iv, x->ctr, nonce);
    rc = x->ops->seal(x->keytype, x->s_app_key, nonce, buf, UFT_HDR_LEN + UFT_ENC_HDR_LEN, body,
                      blen, buf + UFT_HDR_LEN + UFT_ENC_HDR_LEN);
    x->ops->wipe(body, blen);
    return rc ? rc : (ssize_t)(UFT_HDR_LEN + UFT_ENC_HDR_LEN + blen + 16);
}
