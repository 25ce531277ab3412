/*
 * The server's side of UFTP 4's encryption (sessions with header version
 * 0x40), as Debian's UFTP 4.10.2 clients expect it; client_sec.c is the
 * other half.
 *
 * At start: a 48-byte group master GM = 0x40 || 47 random bytes, rand1,
 * and one group key with its 4-byte salt (and HMAC key) from
 * PRF(GM, "key expansion", rand1). The group key seals the server's
 * messages and opens every client's. Key exchange: ECDH (the ANNOUNCE
 * carries our share and is signed whole with the RSA or ECDSA signing key)
 * or RSA (the client encrypts a 48-byte premaster to our RSA key; the
 * ANNOUNCE is not signed). Each REGISTER gives that client's premaster
 * (SHA-1 of the ECDH secret, or the decrypted one), its master secret and
 * its handshake key and salt. KEYINFO wraps GM[1..47] for each client with
 * AES-CBC under its handshake key and is not signed. With client
 * authentication a CLIENT_KEY comes in clear, signed over group ID, private
 * address, rand1, rand2 and premaster. The client proves its keys with 12
 * bytes of verify data in KEYINFO_ACK.
 *
 * Ciphers: AES-GCM/CCM with nonce (salt XOR sender ID) || counter, or
 * AES-CBC with IV salt || sender ID || counter and, between the ENCRYPTED
 * header and the ciphertext, an HMAC (the group HMAC key) or an RSA/ECDSA
 * signature over the whole datagram with that field zeroed.
 */
#include "core/server_sec.h"

#include <stdlib.h>
#include <string.h>

#include "core/blob.h"
#include "core/err.h"

#define VERIFY_LEN 12
#define PLAIN_MAX  10000
#define HASH_MD5   1 /* UFTP 4's number for MD5: only its SHA-1 PRF uses it */

/* UFTP 4's P_hash over S = label || seed: the first block is HMAC(HMAC(S)
 * || S), as in TLS 1.2, but each later block is HMAC(previous block || S),
 * not TLS's chain of A values. That is what 4.10.2 computes. */
static int p_hash(const struct uft_ssec *x, uint8_t ht, const uint8_t *secret, size_t secret_len,
                  const uint8_t *in, size_t sl, uint8_t *out, size_t out_len)
{
    uint8_t buf[64 + 160], blk[64];
    size_t hl = x->ops->hash_len(ht), done = 0, take;
    int rc;
    if (!hl || sl > 160)
        return UFT_E_VALUE;
    memcpy(buf + hl, in, sl);
    rc = x->ops->hmac(ht, secret, secret_len, in, sl, blk);
    while (rc == 0 && done < out_len) {
        memcpy(buf, blk, hl);
        if ((rc = x->ops->hmac(ht, secret, secret_len, buf, hl + sl, blk)))
            break;
        take = out_len - done < hl ? out_len - done : hl;
        memcpy(out + done, blk, take);
        done += take;
    }
    x->ops->wipe(buf, sizeof buf);
    x->ops->wipe(blk, sizeof blk);
    return rc;
}

/* UFTP 4's PRF: P_hash with the session hash, except with SHA-1, where it
 * is TLS 1.1's: P_MD5 over the first half of the secret XOR P_SHA1 over
 * the second (the halves share a byte when the length is odd). */
static int prf4(const struct uft_ssec *x, const uint8_t *secret, size_t secret_len,
                const char *label, const uint8_t *seed, size_t seed_len, uint8_t *out,
                size_t out_len)
{
    uint8_t in[160], sha[128];
    size_t ll = strlen(label), half = (secret_len + 1) / 2, i;
    int rc;
    if (ll + seed_len > sizeof in || out_len > sizeof sha)
        return UFT_E_VALUE;
    memcpy(in, label, ll);
    memcpy(in + ll, seed, seed_len);
    if (x->hashtype != UFT_HASH_SHA1)
        return p_hash(x, x->hashtype, secret, secret_len, in, ll + seed_len, out, out_len);
    if ((rc = p_hash(x, HASH_MD5, secret, half, in, ll + seed_len, out, out_len)) == 0 &&
        (rc = p_hash(x, UFT_HASH_SHA1, secret + secret_len - half, half, in, ll + seed_len, sha,
                     out_len)) == 0)
        for (i = 0; i < out_len; i++)
            out[i] ^= sha[i];
    x->ops->wipe(sha, sizeof sha);
    return rc;
}

/* A key block: an HMAC key (hash length), the cipher key, a 4-byte salt. */
static int key_block(const struct uft_ssec *x, const uint8_t *secret, size_t secret_len,
                     const uint8_t *seed, size_t seed_len, uint8_t *hmac_key, uint8_t *key,
                     uint8_t *salt)
{
    uint8_t kb[64 + 32 + 4];
    int rc =
        prf4(x, secret, secret_len, "key expansion", seed, seed_len, kb, x->hlen + x->klen + 4);
    if (rc == 0) {
        if (hmac_key)
            memcpy(hmac_key, kb, x->hlen);
        memcpy(key, kb + x->hlen, x->klen);
        memcpy(salt, kb + x->hlen + x->klen, 4);
    }
    x->ops->wipe(kb, sizeof kb);
    return rc;
}

static bool aead(uint8_t keytype)
{
    return keytype >= UFT_KEY_AES128_GCM && keytype <= UFT_KEY_AES256_CCM;
}

/* The key exchange: the caller's choice, else ECDH signed with whatever
 * the signing key is. 0 and a log line when the key does not fit it. */
static uint8_t pick_keyex(struct uft_server *s, const struct uft_ssec *x)
{
    bool rsa = x->keyblob[0] == UFT_BLOB_RSA;
    uint8_t want = s->cfg.keyex;
    if (!want)
        return rsa ? UFT_KEYEX_ECDH_RSA : UFT_KEYEX_ECDH_ECDSA;
    if (want > UFT_KEYEX_ECDH_ECDSA) {
        uft_srv_log(s, 0, "key exchange type %u is not one UFTP 4 has", want);
        return 0;
    }
    if (want == UFT_KEYEX_ECDH_ECDSA ? rsa : !rsa) {
        uft_srv_log(s, 0, "the %s key exchange needs %s signing key",
                    want == UFT_KEYEX_RSA        ? "RSA"
                    : want == UFT_KEYEX_ECDH_RSA ? "ECDH-RSA"
                                                 : "ECDH-ECDSA",
                    rsa ? "an EC" : "an RSA");
        return 0;
    }
    return want;
}

int uft_ssec4_init(struct uft_server *s, struct uft_ssec *x)
{
    const struct uft_crypto_ops *ops = x->ops;
    int rc;
    if ((!aead(x->keytype) && x->keytype != UFT_KEY_AES128_CBC &&
         x->keytype != UFT_KEY_AES256_CBC) ||
        x->hashtype < UFT_HASH_SHA1)
        return UFT_E_INVAL;
    if (!ops->cbc_encrypt || !(x->keyex = pick_keyex(s, x)) ||
        (x->keyex == UFT_KEYEX_RSA && !ops->rsa_decrypt))
        return UFT_E_INVAL;
    x->sigtype = aead(x->keytype) ? UFT_SIG_AUTHENC
                 : s->cfg.sigtype ? s->cfg.sigtype
                                  : UFT_SIG_HMAC;
    /* per-message signatures need every client's key */
    if (x->sigtype == UFT_SIG_KEYEX && !s->cfg.client_auth)
        return UFT_E_INVAL;
    x->priv_len = s->cfg.ipv6 ? 16 : 4;
    memcpy(x->priv, s->cfg.priv_addr, x->priv_len);
    if ((rc = ops->random(x->gm4, sizeof x->gm4)))
        return rc;
    x->gm4[0] = UFT_VER4;
    if (x->keyex != UFT_KEYEX_RSA) {
        if ((rc = ops->ecdh_new(x->curve, &x->dh)) ||
            (rc = ops->ecdh_blob(x->dh, x->dhblob, sizeof x->dhblob, &x->dhblob_len)))
            return rc;
        x->siglen = ops->signkey_siglen(x->sign);
    }
    return key_block(x, x->gm4, sizeof x->gm4, x->rand1, UFT_RAND_LEN, x->app_hmac, x->s_app_key,
                     x->app_salt);
}

/* group ID || private address || rand1 || rand2 || premaster: what a
 * CLIENT_KEY signs and what the verify data starts with. */
static size_t base(const struct uft_server *s, const struct uft_sdest *k, uint8_t *out)
{
    const struct uft_ssec *x = s->sec;
    size_t n = 0;
    uft_put_u32(out, s->cfg.group_id);
    n += 4;
    memcpy(out + n, x->priv, x->priv_len);
    n += x->priv_len;
    memcpy(out + n, x->rand1, UFT_RAND_LEN);
    n += UFT_RAND_LEN;
    memcpy(out + n, k->rand2, UFT_RAND_LEN);
    n += UFT_RAND_LEN;
    memcpy(out + n, k->premaster, k->premaster_len);
    return n + k->premaster_len;
}

/* KEYINFO_ACK's verify data: PRF(GM, "client finished", H(base || [the
 * client's key blob] || GM)), 12 bytes. */
static int verify_data(const struct uft_server *s, struct uft_sdest *k)
{
    const struct uft_ssec *x = s->sec;
    uint8_t vd[4 + 16 + 2 * UFT_RAND_LEN + 48 + sizeof k->cblob + 48], h[64];
    size_t n = base(s, k, vd);
    int rc;
    memcpy(vd + n, k->cblob, k->cblob_len);
    n += k->cblob_len;
    memcpy(vd + n, x->gm4, sizeof x->gm4);
    n += sizeof x->gm4;
    rc = x->ops->hash(x->hashtype, vd, n, h);
    if (rc == 0)
        rc = prf4(x, x->gm4, sizeof x->gm4, "client finished", h, x->hlen, k->verify, VERIFY_LEN);
    x->ops->wipe(vd, sizeof vd);
    return rc;
}

/* The premaster: SHA-1 of the ECDH secret, or the 48 bytes the client
 * encrypted to our RSA key. */
static int premaster(struct uft_ssec *x, struct uft_sdest *k, const struct uft_bytes *keyinfo)
{
    uint8_t shared[80];
    size_t n = 0;
    int rc;
    if (x->keyex == UFT_KEYEX_RSA) {
        rc = x->ops->rsa_decrypt(x->sign, keyinfo->p, keyinfo->len, k->premaster,
                                 sizeof k->premaster, &n);
        if (rc == 0 && n != sizeof k->premaster)
            rc = UFT_E_VALUE;
        k->premaster_len = n;
        return rc;
    }
    rc = x->ops->ecdh_derive(x->dh, keyinfo->p, keyinfo->len, shared, sizeof shared, &n);
    if (rc == 0)
        rc = x->ops->hash(UFT_HASH_SHA1, shared, n, k->premaster);
    k->premaster_len = 20;
    x->ops->wipe(shared, sizeof shared);
    return rc;
}

int uft_ssec4_register(struct uft_server *s, struct dest *d, const struct uft_msg *m)
{
    struct uft_ssec *x = s->sec;
    struct uft_sdest *k = d->sec;
    uint8_t seed[2 * UFT_RAND_LEN], master[48];
    int rc;
    if (m->u.reg.keyinfo.len == 0)
        return UFT_E_VALUE;
    /* a REGISTER sent again carries the same rand2; a new one (the client
     * started over) comes with a counter from 1 again, under the same
     * group key */
    if (memcmp(k->rand2, m->u.reg.rand2, UFT_RAND_LEN) != 0)
        memset(&k->rp, 0, sizeof k->rp);
    memcpy(k->rand2, m->u.reg.rand2, UFT_RAND_LEN);
    memcpy(seed, x->rand1, UFT_RAND_LEN);
    memcpy(seed + UFT_RAND_LEN, k->rand2, UFT_RAND_LEN);
    if ((rc = premaster(x, k, &m->u.reg.keyinfo)) ||
        (rc = prf4(x, k->premaster, k->premaster_len, "master secret", seed, sizeof seed, master,
                   sizeof master)) ||
        (rc =
             key_block(x, master, sizeof master, seed, sizeof seed, NULL, k->s_hs_key, k->hs_salt)))
        goto out;
    k->cblob_len = 0;
    k->need_ckey = s->cfg.client_auth;
    if (!k->need_ckey)
        rc = verify_data(s, k);
out:
    x->ops->wipe(master, sizeof master);
    return rc;
}

int uft_ssec4_client_key(struct uft_server *s, struct dest *d, const struct uft_msg *m,
                         const char **why)
{
    static const uint8_t none[20];
    struct uft_ssec *x = s->sec;
    struct uft_sdest *k = d->sec;
    const struct uft_client_key *ck = &m->u.client_key;
    uint8_t msg[4 + 16 + 2 * UFT_RAND_LEN + 48], fp[64];
    int rc;
    /* the client's key is of the server's kind: RSA with RSA, EC with ECDSA */
    if (ck->keyblob.len > sizeof k->cblob ||
        ck->keyblob.p[0] != (x->keyex == UFT_KEYEX_ECDH_ECDSA ? UFT_BLOB_EC : UFT_BLOB_RSA)) {
        *why = "CLIENT_KEY holds a key of the wrong type";
        return UFT_E_VALUE;
    }
    if (d->fp && memcmp(d->fp, none, 20) != 0 &&
        (x->ops->hash(UFT_HASH_SHA1, ck->keyblob.p, ck->keyblob.len, fp) != 0 ||
         memcmp(fp, d->fp, 20) != 0)) {
        *why = "Client key fingerprint does not match";
        return UFT_E_AUTH;
    }
    rc = x->ops->verify(ck->keyblob.p, ck->keyblob.len, x->hashtype, msg, base(s, k, msg),
                        ck->sig.p, ck->sig.len);
    x->ops->wipe(msg, sizeof msg);
    if (rc) {
        *why = "CLIENT_KEY signature does not verify";
        return UFT_E_AUTH;
    }
    memcpy(k->cblob, ck->keyblob.p, ck->keyblob.len);
    k->cblob_len = ck->keyblob.len;
    k->need_ckey = false;
    if ((rc = verify_data(s, k)) != 0)
        *why = "Key derivation failed";
    return rc;
}

/* A CBC IV: salt || sender ID || counter. */
static void cbc_iv(const uint8_t *salt, uint32_t id, uint64_t ctr, uint8_t *iv)
{
    memcpy(iv, salt, 4);
    uft_put_u32(iv + 4, id);
    uft_put_u32(iv + 8, (uint32_t)(ctr >> 32));
    uft_put_u32(iv + 12, (uint32_t)ctr);
}

/* An AEAD nonce: (salt XOR sender ID) || counter. */
static void nonce4(const uint8_t *salt, uint32_t id, uint64_t ctr, uint8_t *nonce)
{
    int i;
    uft_put_u32(nonce, id);
    for (i = 0; i < 4; i++)
        nonce[i] ^= salt[i];
    uft_put_u32(nonce + 4, (uint32_t)(ctr >> 32));
    uft_put_u32(nonce + 8, (uint32_t)ctr);
}

/* KEYINFO: one counter value per packet; each listed client's entry is
 * GM[1..47] under AES-CBC with its handshake key (48 bytes with the
 * padding). UFTP 4 neither signs nor encrypts KEYINFO itself. */
ssize_t uft_ssec4_pull_keyinfo(struct uft_server *s, uint8_t *buf, size_t cap, struct uft_tx *tx)
{
    struct uft_ssec *x = s->sec;
    uint8_t keys[8800], iv[16];
    size_t max = s->cfg.block_len / UFT_DESTKEY_LEN, n = 0, wl;
    struct uft_msg m;
    if (max > sizeof keys / UFT_DESTKEY_LEN)
        max = sizeof keys / UFT_DESTKEY_LEN;
    x->ctr++;
    while (x->keyinfo_cursor < s->n_dests && n < max) {
        struct dest *d = &s->dests[x->keyinfo_cursor++];
        uint8_t *e = keys + n * UFT_DESTKEY_LEN;
        if (!uft_ssec_keyinfo_lists(x, d))
            continue;
        uft_put_u32(e, d->id);
        cbc_iv(d->sec->hs_salt, s->cfg.server_id, x->ctr, iv);
        if (x->ops->cbc_encrypt(d->sec->s_hs_key, x->klen, iv, x->gm4 + 1, sizeof x->gm4 - 1, e + 4,
                                &wl) != 0 ||
            wl != UFT_ENC_MASTER_LEN)
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
    m.u.keyinfo.keys.p = keys;
    m.u.keyinfo.keys.n = n;
    return uft_srv_finish_tx(s, &m, buf, cap, tx, UFT_DST_PRIVATE);
}

static bool same(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint8_t d = 0;
    size_t i;
    for (i = 0; i < n; i++)
        d |= (uint8_t)(a[i] ^ b[i]);
    return d == 0;
}

/* The CBC forms' authenticator over the whole datagram, its own bytes
 * zeroed: an HMAC under the group HMAC key, or a signature. */
static int cbc_sig_check(struct uft_ssec *x, const struct uft_sdest *k, const uint8_t *pkt,
                         size_t len, const struct uft_bytes *sig)
{
    uint8_t *copy, mac[64];
    int rc;
    if (sig->len == 0 || (x->sigtype == UFT_SIG_HMAC && sig->len != x->hlen) ||
        (x->sigtype == UFT_SIG_KEYEX && k->cblob_len == 0))
        return UFT_E_AUTH;
    if (!(copy = malloc(len)))
        return UFT_E_NOMEM;
    memcpy(copy, pkt, len);
    memset(copy + (sig->p - pkt), 0, sig->len);
    if (x->sigtype == UFT_SIG_HMAC) {
        rc = x->ops->hmac(x->hashtype, x->app_hmac, x->hlen, copy, len, mac);
        if (rc == 0 && !same(mac, sig->p, x->hlen))
            rc = UFT_E_AUTH;
    } else {
        rc = x->ops->verify(k->cblob, k->cblob_len, x->hashtype, copy, len, sig->p, sig->len);
    }
    free(copy);
    return rc;
}

/* A client's ENCRYPTED, under the group key (a v4 client has no other).
 * Every client seals under the one group key, but with its own counter
 * and its ID in the nonce (or CBC IV), so each has its own replay window;
 * a proxy that answers for its clients seals under its own ID and is one
 * dest, with one window, like them. */
int uft_ssec4_open(struct uft_server *s, struct dest *d, const struct uft_msg *m,
                   const uint8_t *pkt, struct uft_msg *inner)
{
    struct uft_ssec *x = s->sec;
    const struct uft_encrypted *e = &m->u.encrypted;
    static uint8_t plain[PLAIN_MAX]; /* inner's fields point into it */
    size_t hl = UFT_HDR_LEN + UFT_ENC_HDR_LEN, plen = 0;
    uint8_t iv[16];
    int rc;
    if (!d->sec || d->sec->need_ckey || e->payload.len > sizeof plain)
        return UFT_E_AUTH;
    if (!uft_replay_fresh(&d->sec->rp, e->iv_ctr))
        return UFT_E_REPLAY;
    if (x->sigtype == UFT_SIG_AUTHENC) {
        if (e->sig.len != 0 || e->payload.len < 16)
            return UFT_E_AUTH;
        nonce4(x->app_salt, m->hdr.src_id, e->iv_ctr, iv);
        plen = e->payload.len - 16;
        rc = x->ops->open(x->keytype, x->s_app_key, iv, pkt, hl, e->payload.p, e->payload.len,
                          plain);
    } else {
        rc = cbc_sig_check(x, d->sec, pkt, hl + e->sig.len + e->payload.len, &e->sig);
        cbc_iv(x->app_salt, m->hdr.src_id, e->iv_ctr, iv);
        if (rc == 0)
            rc = x->ops->cbc_decrypt(x->s_app_key, x->klen, iv, e->payload.p, e->payload.len, plain,
                                     &plen);
    }
    if (rc)
        return rc;
    uft_replay_mark(&d->sec->rp, e->iv_ctr);
    rc = uft_msg_decode_body(m->hdr.version, plain, plen, inner);
    if (rc)
        return rc;
    inner->hdr = m->hdr;
    inner->hdr.func = plain[0];
    return 0;
}

/* Authenticate a sealed CBC datagram of len bytes in place. */
static int cbc_sign(struct uft_ssec *x, uint8_t *buf, size_t len, size_t siglen)
{
    uint8_t sig[600];
    size_t n = 0;
    int rc;
    if (x->sigtype == UFT_SIG_HMAC) {
        rc = x->ops->hmac(x->hashtype, x->app_hmac, x->hlen, buf, len, sig);
        n = x->hlen;
    } else {
        rc = x->ops->sign(x->sign, x->hashtype, buf, len, sig, sizeof sig, &n);
    }
    if (rc == 0 && n != siglen)
        rc = UFT_E_CRYPTO;
    if (rc == 0)
        memcpy(buf + UFT_HDR_LEN + UFT_ENC_HDR_LEN, sig, n);
    return rc;
}

ssize_t uft_ssec4_seal(struct uft_server *s, uint8_t *buf, size_t len, size_t cap)
{
    struct uft_ssec *x = s->sec;
    uint8_t body[PLAIN_MAX];
    size_t blen = len - UFT_HDR_LEN, hl = UFT_HDR_LEN + UFT_ENC_HDR_LEN, siglen = 0, clen = 0;
    uint8_t iv[16];
    int rc;
    if (x->sigtype == UFT_SIG_HMAC)
        siglen = x->hlen;
    else if (x->sigtype == UFT_SIG_KEYEX)
        siglen = x->ops->signkey_siglen(x->sign);
    if (len < UFT_HDR_LEN || blen > sizeof body || hl + siglen + blen + 16 > cap)
        return UFT_E_NOSPACE;
    memcpy(body, buf + UFT_HDR_LEN, blen);
    buf[1] = UFT_ENCRYPTED;
    x->ctr++;
    uft_put_u32(buf + UFT_HDR_LEN, (uint32_t)(x->ctr >> 32));
    uft_put_u32(buf + UFT_HDR_LEN + 4, (uint32_t)x->ctr);
    uft_put_u16(buf + UFT_HDR_LEN + 8, (uint16_t)siglen);
    memset(buf + hl, 0, siglen);
    if (x->sigtype == UFT_SIG_AUTHENC) {
        clen = blen + 16;
        uft_put_u16(buf + UFT_HDR_LEN + 10, (uint16_t)clen);
        nonce4(x->app_salt, s->cfg.server_id, x->ctr, iv);
        rc = x->ops->seal(x->keytype, x->s_app_key, iv, buf, hl, body, blen, buf + hl);
    } else {
        /* the payload length is known only after padding, and it is
         * under the authenticator, so encrypt first */
        cbc_iv(x->app_salt, s->cfg.server_id, x->ctr, iv);
        rc = x->ops->cbc_encrypt(x->s_app_key, x->klen, iv, body, blen, buf + hl + siglen, &clen);
        uft_put_u16(buf + UFT_HDR_LEN + 10, (uint16_t)clen);
        if (rc == 0)
            rc = cbc_sign(x, buf, hl + siglen + clen, siglen);
    }
    x->ops->wipe(body, blen);
    return rc ? rc : (ssize_t)(hl + siglen + clen);
}
