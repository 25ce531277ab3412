/* src/crypto's functions as the core's struct uft_crypto_ops. */
#include "crypto/ops.h"

#include "crypto/crypto.h"

static int ecdh_new(uint8_t curve, void **key)
{
    struct uft_ecdh *k;
    int rc = uft_ecdh_new(curve, &k);
    *key = k;
    return rc;
}

static int ecdh_blob(const void *key, uint8_t *buf, size_t cap, size_t *len)
{
    return uft_ecdh_blob(key, buf, cap, len);
}

static int ecdh_derive(const void *key, const uint8_t *peer, size_t plen, uint8_t *secret,
                       size_t cap, size_t *len)
{
    return uft_ecdh_derive(key, peer, plen, secret, cap, len);
}

static void ecdh_free(void *key)
{
    uft_ecdh_free(key);
}

static int signkey_new_ec(uint8_t curve, void **key)
{
    struct uft_signkey *k;
    int rc = uft_signkey_new_ec(curve, &k);
    *key = k;
    return rc;
}

static int signkey_blob(const void *key, uint8_t *buf, size_t cap, size_t *len)
{
    return uft_signkey_blob(key, buf, cap, len);
}

static size_t signkey_siglen(const void *key)
{
    return uft_signkey_siglen(key);
}

static int sign(const void *key, uint8_t hashtype, const void *msg, size_t len, uint8_t *sig,
                size_t cap, size_t *sig_len)
{
    return uft_crypto_sign(key, hashtype, msg, len, sig, cap, sig_len);
}

static void signkey_free(void *key)
{
    uft_signkey_free(key);
}

static int rsa_decrypt(const void *key, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                       size_t *out_len)
{
    return uft_crypto_rsa_decrypt(key, in, len, out, cap, out_len);
}

static const struct uft_crypto_ops ossl_ops = {
    .random = uft_crypto_random,
    .hash_len = uft_crypto_hash_len,
    .key_len = uft_crypto_key_len,
    .hash = uft_crypto_hash,
    .hmac = uft_crypto_hmac,
    .expand_label = uft_crypto_expand_label,
    .ecdh_new = ecdh_new,
    .ecdh_blob = ecdh_blob,
    .ecdh_derive = ecdh_derive,
    .ecdh_free = ecdh_free,
    .verify = uft_crypto_verify,
    .seal = uft_crypto_seal,
    .open = uft_crypto_open,
    .wipe = uft_crypto_wipe,
    .signkey_new_ec = signkey_new_ec,
    .signkey_blob = signkey_blob,
    .signkey_siglen = signkey_siglen,
    .sign = sign,
    .signkey_free = signkey_free,
    .cbc_decrypt = uft_crypto_cbc_decrypt,
    .cbc_encrypt = uft_crypto_cbc_encrypt,
    .rsa_decrypt = rsa_decrypt,
};

const struct uft_crypto_ops *uft_crypto_ops(void)
{
    return &ossl_ops;
}
