/*
 * What the sessions need from cryptography, as callbacks (the core does
 * no cryptography itself and links no crypto library). The programs fill
 * this with src/crypto's functions; tests may fill it with anything.
 * Types and numbers as in crypto/crypto.h; hash_len and hmac also take
 * hash type 1 (MD5), which UFTP 4's PRF with SHA-1 needs.
 */
#ifndef UFT_SECURE_H
#define UFT_SECURE_H

#include <stddef.h>
#include <stdint.h>

struct uft_crypto_ops {
    int (*random)(void *buf, size_t len);
    size_t (*hash_len)(uint8_t hashtype);
    size_t (*key_len)(uint8_t keytype);
    int (*hash)(uint8_t hashtype, const void *data, size_t len, uint8_t *out);
    int (*hmac)(uint8_t hashtype, const uint8_t *key, size_t key_len, const void *data, size_t len,
                uint8_t *out);
    int (*expand_label)(uint8_t hashtype, const uint8_t *secret, const char *label,
                        const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t out_len);
    int (*ecdh_new)(uint8_t curve, void **key);
    int (*ecdh_blob)(const void *key, uint8_t *buf, size_t cap, size_t *len);
    int (*ecdh_derive)(const void *key, const uint8_t *peer_blob, size_t blob_len, uint8_t *secret,
                       size_t cap, size_t *len);
    void (*ecdh_free)(void *key);
    int (*verify)(const uint8_t *keyblob, size_t blob_len, uint8_t hashtype, const void *msg,
                  size_t msg_len, const uint8_t *sig, size_t sig_len);
    int (*seal)(uint8_t keytype, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                size_t aad_len, const uint8_t *in, size_t len, uint8_t *out);
    int (*open)(uint8_t keytype, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                size_t aad_len, const uint8_t *in, size_t len, uint8_t *out);
    void (*wipe)(void *p, size_t len);
    /* signing (the server) */
    int (*signkey_new_ec)(uint8_t curve, void **key);
    int (*signkey_blob)(const void *key, uint8_t *buf, size_t cap, size_t *len);
    size_t (*signkey_siglen)(const void *key);
    int (*sign)(const void *key, uint8_t hashtype, const void *msg, size_t len, uint8_t *sig,
                size_t cap, size_t *sig_len);
    void (*signkey_free)(void *key);
    /* UFTP 4: AES-CBC decryption with PKCS#7 padding (the KEYINFO group master) */
    int (*cbc_decrypt)(const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *in,
                       size_t len, uint8_t *out, size_t *out_len);
    /* UFTP 4 (the server): AES-CBC encryption with PKCS#7 padding, to wrap
     * the group master and to seal with a CBC key type; out holds len + 16 */
    int (*cbc_encrypt)(const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *in,
                       size_t len, uint8_t *out, size_t *out_len);
    /* UFTP 4's RSA key exchange (the server): the premaster a client
     * encrypted to our RSA signing key */
    int (*rsa_decrypt)(const void *key, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                       size_t *out_len);
};

#endif
