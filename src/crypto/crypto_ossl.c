/*
 * OpenSSL 3 implementation of crypto.h, through EVP and OSSL_PARAM only
 * (no deprecated low-level APIs). UFTP's own formats are converted here:
 * EC blobs are X||Y (SEC1 without the 0x04 byte), ECDSA signatures are
 * rlen, slen, r, s (not DER), RSA blobs are exponent and modulus.
 */
#include "crypto/crypto.h"

#include <limits.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/pem.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/blob.h"
#include "core/err.h"
#include "core/msg.h"

struct uft_ecdh {
    EVP_PKEY *key;
    uint8_t curve;
};

int uft_crypto_random(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        int n = len > INT_MAX ? INT_MAX : (int)len;
        if (RAND_bytes(p, n) != 1)
            return UFT_E_CRYPTO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void uft_crypto_wipe(void *p, size_t len)
{
    OPENSSL_cleanse(p, len);
}

static const EVP_MD *md_of(uint8_t hashtype)
{
    switch (hashtype) {
    case UFT_HASH_SHA1:
        return EVP_sha1();
    case UFT_HASH_SHA256:
        return EVP_sha256();
    case UFT_HASH_SHA384:
        return EVP_sha384();
    case UFT_HASH_SHA512:
        return EVP_sha512();
    default:
        return NULL;
    }
}

/* HMACs also take hash type 1, MD5, which only UFTP 4's PRF with SHA-1
 * uses (TLS 1.1's MD5/SHA-1 PRF); nothing hashes or signs with it. */
static const EVP_MD *hmac_md_of(uint8_t hashtype)
{
    return hashtype == 1 ? EVP_md5() : md_of(hashtype);
}

size_t uft_crypto_hash_len(uint8_t hashtype)
{
    const EVP_MD *md = hmac_md_of(hashtype);
    return md ? (size_t)EVP_MD_get_size(md) : 0;
}

int uft_crypto_hash(uint8_t hashtype, const void *data, size_t len, uint8_t *out)
{
    const EVP_MD *md = md_of(hashtype);
    unsigned int n;
    if (!md)
        return UFT_E_VALUE;
    return EVP_Digest(data, len, out, &n, md, NULL) == 1 ? 0 : UFT_E_CRYPTO;
}

void *uft_crypto_sha256_new(void *ctx)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    (void)ctx;
    if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(c);
        c = NULL;
    }
    return c;
}

void uft_crypto_sha256_update(void *ctx, void *state, const uint8_t *data, size_t len)
{
    (void)ctx;
    if (state)
        (void)EVP_DigestUpdate(state, data, len);
}

void uft_crypto_sha256_final(void *ctx, void *state, uint8_t *out)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    (void)ctx;
    if (!state)
        return;
    if (out && EVP_DigestFinal_ex(state, md, &n) == 1 && n == 32)
        memcpy(out, md, 32);
    else if (out)
        memset(out, 0, 32); /* matches no file's hash: the check fails safe */
    EVP_MD_CTX_free(state);
}

int uft_crypto_hmac(uint8_t hashtype, const uint8_t *key, size_t key_len, const void *data,
                    size_t len, uint8_t *out)
{
    const EVP_MD *md = hmac_md_of(hashtype);
    unsigned int n;
    if (!md || key_len > INT_MAX)
        return UFT_E_VALUE;
    return HMAC(md, key, (int)key_len, data, len, out, &n) ? 0 : UFT_E_CRYPTO;
}

int uft_crypto_expand_label(uint8_t hashtype, const uint8_t *secret, const char *label,
                            const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t out_len)
{
    size_t h = uft_crypto_hash_len(hashtype), llen = strlen(label), done = 0;
    uint8_t t[64], buf[64 + 512 + 1];
    size_t tlen = 0, info_len = 6 + llen + ctx_len;
    uint8_t counter = 1;
    int rc = 0;
    if (!h || info_len + h + 1 > sizeof buf)
        return UFT_E_VALUE;
    /* T(n) = HMAC(PRK, T(n-1) | info | n), info = "UFTP5 " label ctx */
    while (done < out_len && rc == 0) {
        size_t k = 0, take;
        memcpy(buf, t, tlen);
        k += tlen;
        memcpy(buf + k, "UFTP5 ", 6);
        k += 6;
        memcpy(buf + k, label, llen);
        k += llen;
        if (ctx_len)
            memcpy(buf + k, ctx, ctx_len);
        k += ctx_len;
        buf[k++] = counter++;
        rc = uft_crypto_hmac(hashtype, secret, h, buf, k, t);
        tlen = h;
        take = out_len - done < h ? out_len - done : h;
        memcpy(out + done, t, take);
        done += take;
    }
    uft_crypto_wipe(t, sizeof t);
    uft_crypto_wipe(buf, sizeof buf);
    return rc;
}

static const char *curve_name(uint8_t curve)
{
    switch (curve) {
    case UFT_CURVE_P256:
        return "prime256v1";
    case UFT_CURVE_P384:
        return "secp384r1";
    case UFT_CURVE_P521:
        return "secp521r1";
    default:
        return NULL;
    }
}

/* An EC public key from a UFTP blob (X||Y). */
static EVP_PKEY *ec_from_blob(uint8_t curve, const uint8_t *xy, size_t len)
{
    const char *name = curve_name(curve);
    uint8_t pt[1 + 132];
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *key = NULL;
    OSSL_PARAM params[3];
    if (!name || len + 1 > sizeof pt)
        return NULL;
    pt[0] = 0x04;
    memcpy(pt + 1, xy, len);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)name, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, len + 1);
    params[2] = OSSL_PARAM_construct_end();
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    return key;
}

static EVP_PKEY *rsa_from_blob(uint32_t exponent, const uint8_t *mod, size_t len)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *n = BN_bin2bn(mod, (int)len, NULL), *e = BN_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *key = NULL;
    if (!bld || !n || !e || !BN_set_word(e, exponent) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
        !(params = OSSL_PARAM_BLD_to_param(bld)))
        goto out;
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return key;
}

int uft_ecdh_new(uint8_t curve, struct uft_ecdh **out)
{
    const char *name = curve_name(curve);
    struct uft_ecdh *k;
    *out = NULL;
    if (!name)
        return UFT_E_VALUE;
    k = calloc(1, sizeof *k);
    if (!k)
        return UFT_E_NOMEM;
    k->curve = curve;
    k->key = EVP_EC_gen(name);
    if (!k->key) {
        free(k);
        return UFT_E_CRYPTO;
    }
    *out = k;
    return 0;
}

/* The public point is computed here and imported with the scalar: a key
 * imported from the scalar alone could derive, but would have no public
 * key to put in a blob. */
int uft_ecdh_from_private(uint8_t curve, const uint8_t *priv, size_t len, struct uft_ecdh **out)
{
    const char *name = curve_name(curve);
    EC_GROUP *group = NULL;
    EC_POINT *pub = NULL;
    BIGNUM *d = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *key = NULL;
    uint8_t pt[1 + 132];
    size_t ptlen;
    int rc = UFT_E_CRYPTO;
    *out = NULL;
    if (!name || len != uft_curve_coord_len(curve) || len > INT_MAX)
        return UFT_E_VALUE;
    group = EC_GROUP_new_by_curve_name(OBJ_sn2nid(name));
    d = BN_secure_new();
    pub = group ? EC_POINT_new(group) : NULL;
    bld = OSSL_PARAM_BLD_new();
    if (!group || !d || !pub || !bld || !BN_bin2bn(priv, (int)len, d))
        goto out;
    if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(group)) >= 0) {
        rc = UFT_E_VALUE;
        goto out;
    }
    if (EC_POINT_mul(group, pub, d, NULL, NULL, NULL) != 1 ||
        !(ptlen =
              EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED, pt, sizeof pt, NULL)) ||
        !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, name, 0) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, ptlen) ||
        !(params = OSSL_PARAM_BLD_to_param(bld)))
        goto out;
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) != 1)
        goto out;
    if (!(*out = calloc(1, sizeof **out))) {
        rc = UFT_E_NOMEM;
        goto out;
    }
    (*out)->key = key;
    (*out)->curve = curve;
    key = NULL;
    rc = 0;
out:
    EVP_PKEY_free(key);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params); /* clears its secure part, the scalar */
    OSSL_PARAM_BLD_free(bld);
    EC_POINT_free(pub);
    BN_clear_free(d);
    EC_GROUP_free(group);
    return rc;
}

int uft_ecdh_blob(const struct uft_ecdh *k, uint8_t *buf, size_t cap, size_t *len)
{
    uint8_t pt[1 + 132];
    size_t n = 0;
    struct uft_keyblob b;
    ssize_t w;
    if (EVP_PKEY_get_octet_string_param(k->key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof pt,
                                        &n) != 1 ||
        n < 3 || pt[0] != 0x04)
        return UFT_E_CRYPTO;
    memset(&b, 0, sizeof b);
    b.type = UFT_BLOB_EC;
    b.ec_curve = k->curve;
    b.ec_point.p = pt + 1;
    b.ec_point.len = n - 1;
    w = uft_blob_encode(&b, buf, cap);
    if (w < 0)
        return (int)w;
    *len = (size_t)w;
    return 0;
}

int uft_ecdh_derive(const struct uft_ecdh *k, const uint8_t *peer_blob, size_t blob_len,
                    uint8_t *secret, size_t cap, size_t *len)
{
    struct uft_keyblob b;
    EVP_PKEY *peer;
    EVP_PKEY_CTX *ctx;
    int rc = UFT_E_CRYPTO;
    if (uft_blob_decode(peer_blob, blob_len, &b) != 0 || b.type != UFT_BLOB_EC ||
        b.ec_curve != k->curve)
        return UFT_E_VALUE;
    peer = ec_from_blob(b.ec_curve, b.ec_point.p, b.ec_point.len);
    if (!peer)
        return UFT_E_VALUE;
    ctx = EVP_PKEY_CTX_new(k->key, NULL);
    *len = cap;
    if (ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, peer) == 1 &&
        EVP_PKEY_derive(ctx, secret, len) == 1)
        rc = 0;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer);
    return rc;
}

void uft_ecdh_free(struct uft_ecdh *k)
{
    if (k) {
        EVP_PKEY_free(k->key);
        free(k);
    }
}

/* UFTP's ECDSA r/s form to DER for OpenSSL. UFTP 5 grows r or s with
 * leading zeros until they fill the signature; UFTP 4 (encrypt_openssl.c,
 * create_ECDSA_sig) writes both at their minimal length and leaves zeros
 * after s, so about one signature in 128 is shorter than its field. Both
 * forms are read. */
static int ecdsa_to_der(const uint8_t *sig, size_t len, uint8_t *der, size_t cap, size_t *out)
{
    struct uft_ecdsa_sig s;
    ECDSA_SIG *es;
    BIGNUM *r, *sv;
    unsigned char *p = der;
    size_t used, i;
    int n;
    if (len < 4)
        return UFT_E_VALUE;
    used = 4 + ((size_t)sig[0] << 8 | sig[1]) + ((size_t)sig[2] << 8 | sig[3]);
    for (i = used; i < len; i++)
        if (sig[i] != 0)
            return UFT_E_VALUE;
    if (used > len || uft_ecdsa_sig_decode(sig, used, &s) != 0)
        return UFT_E_VALUE;
    es = ECDSA_SIG_new();
    r = BN_bin2bn(s.r.p, (int)s.r.len, NULL);
    sv = BN_bin2bn(s.s.p, (int)s.s.len, NULL);
    if (!es || !r || !sv || ECDSA_SIG_set0(es, r, sv) != 1) {
        ECDSA_SIG_free(es);
        BN_free(r);
        BN_free(sv);
        return UFT_E_CRYPTO;
    }
    n = i2d_ECDSA_SIG(es, NULL);
    if (n <= 0 || (size_t)n > cap) {
        ECDSA_SIG_free(es);
        return UFT_E_CRYPTO;
    }
    i2d_ECDSA_SIG(es, &p);
    ECDSA_SIG_free(es);
    *out = (size_t)n;
    return 0;
}

int uft_crypto_verify(const uint8_t *keyblob, size_t blob_len, uint8_t hashtype, const void *msg,
                      size_t msg_len, const uint8_t *sig, size_t sig_len)
{
    struct uft_keyblob b;
    const EVP_MD *md = md_of(hashtype);
    uint8_t digest[64], der[300];
    size_t dlen = uft_crypto_hash_len(hashtype), derlen = 0;
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    int rc = UFT_E_AUTH;
    if (!md || uft_blob_decode(keyblob, blob_len, &b) != 0 ||
        uft_crypto_hash(hashtype, msg, msg_len, digest) != 0)
        return UFT_E_VALUE;
    if (b.type == UFT_BLOB_RSA)
        key = rsa_from_blob(b.rsa_exponent, b.rsa_modulus.p, b.rsa_modulus.len);
    else
        key = ec_from_blob(b.ec_curve, b.ec_point.p, b.ec_point.len);
    if (!key)
        return UFT_E_VALUE;
    ctx = EVP_PKEY_CTX_new(key, NULL);
    if (!ctx || EVP_PKEY_verify_init(ctx) != 1 || EVP_PKEY_CTX_set_signature_md(ctx, md) != 1)
        goto out;
    if (b.type == UFT_BLOB_RSA) {
        if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
            EVP_PKEY_verify(ctx, sig, sig_len, digest, dlen) == 1)
            rc = 0;
    } else if (ecdsa_to_der(sig, sig_len, der, sizeof der, &derlen) == 0 &&
               EVP_PKEY_verify(ctx, der, derlen, digest, dlen) == 1) {
        rc = 0;
    }
out:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    return rc;
}

size_t uft_crypto_key_len(uint8_t keytype)
{
    switch (keytype) {
    case UFT_KEY_AES128_CBC:
    case UFT_KEY_AES128_GCM:
    case UFT_KEY_AES128_CCM:
        return 16;
    case UFT_KEY_AES256_CBC:
    case UFT_KEY_AES256_GCM:
    case UFT_KEY_AES256_CCM:
        return 32;
    default:
        return 0;
    }
}

static const EVP_CIPHER *cipher_of(uint8_t keytype, int *ccm)
{
    *ccm = keytype == UFT_KEY_AES128_CCM || keytype == UFT_KEY_AES256_CCM;
    switch (keytype) {
    case UFT_KEY_AES128_GCM:
        return EVP_aes_128_gcm();
    case UFT_KEY_AES256_GCM:
        return EVP_aes_256_gcm();
    case UFT_KEY_AES128_CCM:
        return EVP_aes_128_ccm();
    case UFT_KEY_AES256_CCM:
        return EVP_aes_256_ccm();
    default:
        return NULL;
    }
}

/*
 * One cipher context per thread for sealing and one for opening, each kept
 * with the key type and key it was set up for. A packet under the same key
 * then only sets its nonce: no context allocation, no cipher fetch and no
 * key schedule per packet, which together cost about as much as the
 * cipher itself at 1300 bytes (design.md: one EVP context per key,
 * reused). A session seals with one key and opens with another, so one
 * context per direction is enough; a packet under another key sets the
 * context up again, as every packet did before. After any failure the
 * context is set up afresh. The last key and its schedule stay in this
 * thread's memory until another key replaces them, as they would in any
 * context kept per key.
 */
struct aead_slot {
    EVP_CIPHER_CTX *ctx;
    uint8_t keytype; /* 0: not set up */
    uint8_t key[32];
};
static _Thread_local struct aead_slot aead_slots[2]; /* [enc] */

/* The slot's context ready for a packet under keytype (cipher c) and key
 * with this nonce; for CCM the tag length set, and the tag to check when
 * opening. */
static int slot_ready(struct aead_slot *sl, int enc, const EVP_CIPHER *c, uint8_t keytype,
                      const uint8_t *key, const uint8_t *nonce, int ccm, const uint8_t *tag)
{
    size_t klen = uft_crypto_key_len(keytype);
    if (sl->keytype == keytype && CRYPTO_memcmp(sl->key, key, klen) == 0) {
        if (ccm && EVP_CIPHER_CTX_ctrl(sl->ctx, EVP_CTRL_AEAD_SET_TAG, 16, (void *)tag) != 1)
            return -1;
        return EVP_CipherInit_ex(sl->ctx, NULL, NULL, NULL, nonce, enc) == 1 ? 0 : -1;
    }
    sl->keytype = 0;
    if (!sl->ctx && !(sl->ctx = EVP_CIPHER_CTX_new()))
        return -1;
    if (EVP_CipherInit_ex(sl->ctx, c, NULL, NULL, NULL, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(sl->ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1)
        return -1;
    if (ccm && EVP_CIPHER_CTX_ctrl(sl->ctx, EVP_CTRL_AEAD_SET_TAG, 16, (void *)tag) != 1)
        return -1;
    if (EVP_CipherInit_ex(sl->ctx, NULL, NULL, key, nonce, enc) != 1)
        return -1;
    memcpy(sl->key, key, klen);
    sl->keytype = keytype;
    return 0;
}

static int aead(int enc, uint8_t keytype, const uint8_t *key, const uint8_t *nonce,
                const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *out)
{
    struct aead_slot *sl = &aead_slots[enc ? 1 : 0];
    int ccm, n, rc = enc ? UFT_E_CRYPTO : UFT_E_AUTH;
    const EVP_CIPHER *c = cipher_of(keytype, &ccm);
    const uint8_t *tag;
    size_t plen;
    if (!c || (!enc && len < 16) || len > INT_MAX || aad_len > INT_MAX)
        return UFT_E_VALUE;
    plen = enc ? len : len - 16;
    tag = enc ? NULL : in + plen; /* sealing writes its tag at out + len */
    if (slot_ready(sl, enc, c, keytype, key, nonce, ccm, tag) != 0)
        goto out;
    if (ccm && EVP_CipherUpdate(sl->ctx, NULL, &n, NULL, (int)plen) != 1)
        goto out;
    if (aad_len && EVP_CipherUpdate(sl->ctx, NULL, &n, aad, (int)aad_len) != 1)
        goto out;
    if (EVP_CipherUpdate(sl->ctx, out, &n, in, (int)plen) != 1)
        goto out;
    if (!enc && !ccm && EVP_CIPHER_CTX_ctrl(sl->ctx, EVP_CTRL_AEAD_SET_TAG, 16, (void *)tag) != 1)
        goto out;
    if (!ccm && EVP_CipherFinal_ex(sl->ctx, out + n, &n) != 1)
        goto out;
    if (enc && EVP_CIPHER_CTX_ctrl(sl->ctx, EVP_CTRL_AEAD_GET_TAG, 16, out + len) != 1)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        sl->keytype = 0; /* set up afresh next time */
    return rc;
}

int uft_crypto_seal(uint8_t keytype, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                    size_t aad_len, const uint8_t *in, size_t len, uint8_t *out)
{
    return aead(1, keytype, key, nonce, aad, aad_len, in, len, out);
}

int uft_crypto_open(uint8_t keytype, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                    size_t aad_len, const uint8_t *in, size_t len, uint8_t *out)
{
    int rc = aead(0, keytype, key, nonce, aad, aad_len, in, len, out);
    /* GCM decrypts before it checks the tag: leave no unauthenticated bytes */
    if (rc != 0 && len > 16)
        OPENSSL_cleanse(out, len - 16);
    return rc;
}

static const EVP_CIPHER *cbc_of(size_t key_len)
{
    return key_len == 16 ? EVP_aes_128_cbc() : key_len == 32 ? EVP_aes_256_cbc() : NULL;
}

int uft_crypto_cbc_decrypt(const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *in,
                           size_t len, uint8_t *out, size_t *out_len)
{
    const EVP_CIPHER *c = cbc_of(key_len);
    EVP_CIPHER_CTX *ctx;
    int n = 0, m = 0, rc = UFT_E_AUTH;
    if (!c || len == 0 || len % 16 || len > INT_MAX)
        return UFT_E_VALUE;
    ctx = EVP_CIPHER_CTX_new();
    if (ctx && EVP_DecryptInit_ex(ctx, c, NULL, key, iv) == 1 &&
        EVP_DecryptUpdate(ctx, out, &n, in, (int)len) == 1 &&
        EVP_DecryptFinal_ex(ctx, out + n, &m) == 1) {
        *out_len = (size_t)n + (size_t)m;
        rc = 0;
    }
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

int uft_crypto_cbc_encrypt(const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *in,
                           size_t len, uint8_t *out, size_t *out_len)
{
    const EVP_CIPHER *c = cbc_of(key_len);
    EVP_CIPHER_CTX *ctx;
    int n = 0, m = 0, rc = UFT_E_CRYPTO;
    if (!c || len > INT_MAX - 16)
        return UFT_E_VALUE;
    ctx = EVP_CIPHER_CTX_new();
    if (ctx && EVP_EncryptInit_ex(ctx, c, NULL, key, iv) == 1 &&
        EVP_EncryptUpdate(ctx, out, &n, in, (int)len) == 1 &&
        EVP_EncryptFinal_ex(ctx, out + n, &m) == 1) {
        *out_len = (size_t)n + (size_t)m;
        rc = 0;
    }
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

struct uft_signkey {
    EVP_PKEY *key;
    uint8_t curve; /* 0 for RSA */
};

int uft_signkey_new_ec(uint8_t curve, struct uft_signkey **out)
{
    const char *name = curve_name(curve);
    struct uft_signkey *k;
    *out = NULL;
    if (!name)
        return UFT_E_VALUE;
    k = calloc(1, sizeof *k);
    if (!k)
        return UFT_E_NOMEM;
    k->curve = curve;
    k->key = EVP_EC_gen(name);
    if (!k->key) {
        free(k);
        return UFT_E_CRYPTO;
    }
    *out = k;
    return 0;
}

int uft_signkey_new_rsa(unsigned bits, struct uft_signkey **out)
{
    struct uft_signkey *k;
    *out = NULL;
    if (bits < 1024 || bits > 3072)
        return UFT_E_VALUE;
    k = calloc(1, sizeof *k);
    if (!k)
        return UFT_E_NOMEM;
    k->key = EVP_RSA_gen(bits);
    if (!k->key) {
        free(k);
        return UFT_E_CRYPTO;
    }
    *out = k;
    return 0;
}

static uint8_t curve_of_key(EVP_PKEY *key)
{
    char name[64];
    size_t n;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &n) != 1)
        return 0;
    if (strcmp(name, "prime256v1") == 0 || strcmp(name, "P-256") == 0)
        return UFT_CURVE_P256;
    if (strcmp(name, "secp384r1") == 0 || strcmp(name, "P-384") == 0)
        return UFT_CURVE_P384;
    if (strcmp(name, "secp521r1") == 0 || strcmp(name, "P-521") == 0)
        return UFT_CURVE_P521;
    return 0;
}

int uft_signkey_load(const char *path, struct uft_signkey **out)
{
    struct uft_signkey *k;
    FILE *f = fopen(path, "r");
    EVP_PKEY *key;
    *out = NULL;
    if (!f)
        return UFT_E_IO;
    key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!key)
        return UFT_E_VALUE;
    k = calloc(1, sizeof *k);
    if (!k) {
        EVP_PKEY_free(key);
        return UFT_E_NOMEM;
    }
    k->key = key;
    if (EVP_PKEY_is_a(key, "EC")) {
        k->curve = curve_of_key(key);
        if (!k->curve) {
            uft_signkey_free(k);
            return UFT_E_VALUE; /* not a curve UFTP uses */
        }
    } else if (!EVP_PKEY_is_a(key, "RSA")) {
        uft_signkey_free(k);
        return UFT_E_VALUE;
    }
    *out = k;
    return 0;
}

int uft_signkey_write(const struct uft_signkey *k, const char *path)
{
    OSSL_ENCODER_CTX *ectx;
    unsigned char *data = NULL;
    size_t len = 0;
    int fd, rc = UFT_E_CRYPTO, saved;
    ectx = OSSL_ENCODER_CTX_new_for_pkey(k->key, OSSL_KEYMGMT_SELECT_KEYPAIR, "PEM",
                                         "type-specific", NULL);
    if (!ectx || OSSL_ENCODER_to_data(ectx, &data, &len) != 1) {
        OSSL_ENCODER_CTX_free(ectx);
        return UFT_E_CRYPTO;
    }
    OSSL_ENCODER_CTX_free(ectx);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = UFT_E_IO;
    } else {
        rc = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0 ? 0 : UFT_E_IO;
        saved = errno;
        close(fd);
        errno = saved;
    }
    OPENSSL_clear_free(data, len);
    return rc;
}

int uft_signkey_blob(const struct uft_signkey *k, uint8_t *buf, size_t cap, size_t *len)
{
    struct uft_ecdh view;
    if (!k->curve) {
        BIGNUM *n = NULL, *e = NULL;
        uint8_t mod[400];
        struct uft_keyblob b;
        ssize_t w = UFT_E_CRYPTO;
        int nl;
        if (EVP_PKEY_get_bn_param(k->key, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
            EVP_PKEY_get_bn_param(k->key, OSSL_PKEY_PARAM_RSA_E, &e) == 1 &&
            (nl = BN_num_bytes(n)) > 0 && (size_t)nl <= sizeof mod) {
            BN_bn2bin(n, mod);
            memset(&b, 0, sizeof b);
            b.type = UFT_BLOB_RSA;
            b.rsa_exponent = (uint32_t)BN_get_word(e);
            b.rsa_modulus.p = mod;
            b.rsa_modulus.len = (size_t)nl;
            w = uft_blob_encode(&b, buf, cap);
        }
        BN_free(n);
        BN_free(e);
        if (w < 0)
            return (int)w;
        *len = (size_t)w;
        return 0;
    }
    view.key = k->key;
    view.curve = k->curve;
    return uft_ecdh_blob(&view, buf, cap, len);
}

int uft_signkey_fingerprint(const struct uft_signkey *k, char *out, size_t cap)
{
    uint8_t blob[500], h[20];
    size_t len, i;
    int rc;
    if ((rc = uft_signkey_blob(k, blob, sizeof blob, &len)) ||
        (rc = uft_crypto_hash(UFT_HASH_SHA1, blob, len, h)))
        return rc;
    if (cap < 60)
        return UFT_E_NOSPACE;
    for (i = 0; i < 20; i++)
        snprintf(out + 3 * i, cap - 3 * i, i < 19 ? "%02X:" : "%02X", h[i]);
    return 0;
}

void uft_signkey_describe(const struct uft_signkey *k, char *out, size_t cap)
{
    if (k->curve)
        snprintf(out, cap, "ECDSA, curve %s", curve_name(k->curve));
    else
        snprintf(out, cap, "RSA, %d bits", EVP_PKEY_get_bits(k->key));
}

size_t uft_signkey_siglen(const struct uft_signkey *k)
{
    return k->curve ? 4 + 2 * uft_curve_coord_len(k->curve) : (size_t)EVP_PKEY_get_size(k->key);
}

int uft_crypto_sign(const struct uft_signkey *k, uint8_t hashtype, const void *msg, size_t len,
                    uint8_t *sig, size_t cap, size_t *sig_len)
{
    const EVP_MD *md = md_of(hashtype);
    uint8_t digest[64], der[300];
    size_t dlen = uft_crypto_hash_len(hashtype), derlen = sizeof der;
    EVP_PKEY_CTX *ctx;
    int rc = UFT_E_CRYPTO;
    if (!md || uft_crypto_hash(hashtype, msg, len, digest) != 0)
        return UFT_E_VALUE;
    ctx = EVP_PKEY_CTX_new(k->key, NULL);
    if (!ctx || EVP_PKEY_sign_init(ctx) != 1 || EVP_PKEY_CTX_set_signature_md(ctx, md) != 1)
        goto out;
    if (!k->curve) {
        *sig_len = cap;
        if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
            EVP_PKEY_sign(ctx, sig, sig_len, digest, dlen) == 1)
            rc = 0;
    } else if (EVP_PKEY_sign(ctx, der, &derlen, digest, dlen) == 1) {
        const unsigned char *p = der;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
        const BIGNUM *r, *s;
        uint8_t rb[66], sb[66];
        int rl, sl;
        ssize_t n;
        if (es) {
            ECDSA_SIG_get0(es, &r, &s);
            rl = BN_bn2bin(r, rb);
            sl = BN_bn2bin(s, sb);
            n = uft_ecdsa_sig_encode(rb, (size_t)rl, sb, (size_t)sl, uft_curve_coord_len(k->curve),
                                     sig, cap);
            ECDSA_SIG_free(es);
            if (n > 0) {
                *sig_len = (size_t)n;
                rc = 0;
            }
        }
    }
out:
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

void uft_signkey_free(struct uft_signkey *k)
{
    if (k) {
        EVP_PKEY_free(k->key);
        free(k);
    }
}

/* UFTP 4 pads its RSA key exchange with OAEP (SHA-1) from 768-bit moduli
 * up and with PKCS#1 v1.5 below (encrypt_openssl.c, RSA_encrypt). */
static int rsa_padding(const EVP_PKEY *key)
{
    return EVP_PKEY_get_bits(key) < 768 ? RSA_PKCS1_PADDING : RSA_PKCS1_OAEP_PADDING;
}

int uft_crypto_rsa_encrypt(const uint8_t *keyblob, size_t blob_len, const uint8_t *in, size_t len,
                           uint8_t *out, size_t cap, size_t *out_len)
{
    struct uft_keyblob b;
    EVP_PKEY *key;
    EVP_PKEY_CTX *ctx;
    int rc = UFT_E_CRYPTO;
    if (uft_blob_decode(keyblob, blob_len, &b) != 0 || b.type != UFT_BLOB_RSA)
        return UFT_E_VALUE;
    key = rsa_from_blob(b.rsa_exponent, b.rsa_modulus.p, b.rsa_modulus.len);
    if (!key)
        return UFT_E_VALUE;
    ctx = EVP_PKEY_CTX_new(key, NULL);
    *out_len = cap;
    if (ctx && EVP_PKEY_encrypt_init(ctx) == 1 &&
        EVP_PKEY_CTX_set_rsa_padding(ctx, rsa_padding(key)) == 1 &&
        EVP_PKEY_encrypt(ctx, out, out_len, in, len) == 1)
        rc = 0;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    return rc;
}

int uft_crypto_rsa_decrypt(const struct uft_signkey *k, const uint8_t *in, size_t len, uint8_t *out,
                           size_t cap, size_t *out_len)
{
    EVP_PKEY_CTX *ctx;
    uint8_t buf[512];
    size_t n = sizeof buf;
    int rc = UFT_E_AUTH;
    if (k->curve)
        return UFT_E_VALUE;
    ctx = EVP_PKEY_CTX_new(k->key, NULL);
    /* into a buffer of the modulus size first: OpenSSL wants room for it */
    if (ctx && EVP_PKEY_decrypt_init(ctx) == 1 &&
        EVP_PKEY_CTX_set_rsa_padding(ctx, rsa_padding(k->key)) == 1 &&
        EVP_PKEY_decrypt(ctx, buf, &n, in, len) == 1) {
        if (n <= cap) {
            memcpy(out, buf, n);
            *out_len = n;
            rc = 0;
        } else {
            rc = UFT_E_NOSPACE;
        }
    }
    OPENSSL_cleanse(buf, sizeof buf);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}
