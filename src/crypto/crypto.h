/*
 * The cryptographic interface the rest of ufcast uses. crypto_ossl.c
 * implements it with OpenSSL 3 and is the only file that includes OpenSSL
 * headers. The core never calls it directly: sessions get these functions
 * through struct uft_crypto_ops (core/secure.h), so a simulator or a test
 * can replace them.
 *
 * Hash, key and curve numbers are UFTP's (enum uft_hashtype, uft_keytype,
 * UFT_CURVE_*). Public keys travel as UFTP key blobs (core/blob.h).
 * Every function returns 0 or a negative uft_err; UFT_E_AUTH means a
 * signature or tag did not verify.
 */
#ifndef UFT_CRYPTO_H
#define UFT_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* Fill buf with len bytes from the system's CSPRNG. */
int uft_crypto_random(void *buf, size_t len);

/* Overwrite len bytes at p with zeros in a way the compiler keeps. */
void uft_crypto_wipe(void *p, size_t len);

/* Digest length of a hash type (0 when unknown). Type 1 (MD5) is known
 * here and to uft_crypto_hmac only: UFTP 4's PRF with SHA-1 is TLS 1.1's
 * MD5/SHA-1 one. */
size_t uft_crypto_hash_len(uint8_t hashtype);

/* out = H(data); out holds uft_crypto_hash_len bytes. */
int uft_crypto_hash(uint8_t hashtype, const void *data, size_t len, uint8_t *out);

/* SHA-256 a piece at a time, for the file hashes of ufcast's FEC
 * extension; the signatures are those of the hash ops of struct
 * uft_server_ops and uft_client_ops (ctx is not used). new returns NULL
 * when out of memory; update on a NULL state does nothing; final writes
 * 32 bytes to out (NULL: none) and frees the state. */
void *uft_crypto_sha256_new(void *ctx);
void uft_crypto_sha256_update(void *ctx, void *state, const uint8_t *data, size_t len);
void uft_crypto_sha256_final(void *ctx, void *state, uint8_t *out);

/* out = HMAC-H(key, data). */
int uft_crypto_hmac(uint8_t hashtype, const uint8_t *key, size_t key_len, const void *data,
                    size_t len, uint8_t *out);

/* HKDF-Expand (RFC 5869) with UFTP 5's label: info = "UFTP5 " label ctx,
 * with no length prefixes. out_len bytes to out. */
int uft_crypto_expand_label(uint8_t hashtype, const uint8_t *secret, const char *label,
                            const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t out_len);

/* An ephemeral ECDH key. */
struct uft_ecdh;
int uft_ecdh_new(uint8_t curve, struct uft_ecdh **out);
/* The key with a given private scalar, for tests and tools (known-answer
 * vectors, reproducing a capture); sessions make theirs with uft_ecdh_new.
 * priv is big-endian and exactly the curve's coordinate size (32, 48 or 66
 * bytes, leading zeros kept); 0 < priv < the group order. The caller keeps
 * priv and wipes it. UFT_E_VALUE for an unknown curve, another length or
 * a scalar out of range; UFT_E_NOMEM; UFT_E_CRYPTO. */
int uft_ecdh_from_private(uint8_t curve, const uint8_t *priv, size_t len, struct uft_ecdh **out);
/* Its public key as a UFTP EC blob; *len gets the blob length.
 * UFT_E_NOSPACE when cap is too small. */
int uft_ecdh_blob(const struct uft_ecdh *k, uint8_t *buf, size_t cap, size_t *len);
/* The shared secret (the X coordinate) with the peer's EC blob. */
int uft_ecdh_derive(const struct uft_ecdh *k, const uint8_t *peer_blob, size_t blob_len,
                    uint8_t *secret, size_t cap, size_t *len);
void uft_ecdh_free(struct uft_ecdh *k);

/* A private signing key (RSA or EC). */
struct uft_signkey;
/* A new EC signing key on a curve (UFTP's default is an ephemeral P-256). */
int uft_signkey_new_ec(uint8_t curve, struct uft_signkey **out);
/* A new RSA signing key (1024..3072 bits, exponent 65537). */
int uft_signkey_new_rsa(unsigned bits, struct uft_signkey **out);
/* Load a PEM private key (RSA or EC on a UFTP curve; PKCS#1, SEC1 or
 * PKCS#8), as UFTP's -k takes it. UFT_E_IO (errno) or UFT_E_VALUE. */
int uft_signkey_load(const char *path, struct uft_signkey **out);
/* Write a new key file: created with O_EXCL and O_NOFOLLOW, mode 0600, in
 * the key type's traditional PEM form. Refuses to overwrite (UFT_E_IO,
 * errno EEXIST). */
int uft_signkey_write(const struct uft_signkey *k, const char *path);
/* SHA-1 fingerprint of the public key blob, as UFTP prints and lists it:
 * uppercase hex pairs joined by ':' (60 characters). */
int uft_signkey_fingerprint(const struct uft_signkey *k, char *out, size_t cap);
/* "RSA, 2048 bits" or "ECDSA, curve prime256v1". */
void uft_signkey_describe(const struct uft_signkey *k, char *out, size_t cap);
/* Its public key as a UFTP blob. */
int uft_signkey_blob(const struct uft_signkey *k, uint8_t *buf, size_t cap, size_t *len);
/* Signature length it makes (ECDSA: 4 + 2 * coordinate; RSA: modulus). */
size_t uft_signkey_siglen(const struct uft_signkey *k);
/* Sign H(msg) in UFTP's form (RSA PKCS#1 v1.5, or ECDSA rlen/slen/r/s). */
int uft_crypto_sign(const struct uft_signkey *k, uint8_t hashtype, const void *msg, size_t len,
                    uint8_t *sig, size_t cap, size_t *sig_len);
void uft_signkey_free(struct uft_signkey *k);

/* Verify sig (UFTP's RSA PKCS#1 v1.5 or ECDSA r/s form) over H(msg) with
 * the public key in a UFTP key blob. */
int uft_crypto_verify(const uint8_t *keyblob, size_t blob_len, uint8_t hashtype, const void *msg,
                      size_t msg_len, const uint8_t *sig, size_t sig_len);

/* AES-GCM / AES-CCM with a 12-byte nonce and a 16-byte tag after the
 * ciphertext. Seal: out gets len + 16 bytes. Open: in is ciphertext and
 * tag (len includes the tag); out gets len - 16 bytes; UFT_E_AUTH when
 * the tag does not match. */
int uft_crypto_seal(uint8_t keytype, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                    size_t aad_len, const uint8_t *in, size_t len, uint8_t *out);
int uft_crypto_open(uint8_t keytype, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                    size_t aad_len, const uint8_t *in, size_t len, uint8_t *out);

/* AES-CBC (128 or 256 by key_len) with PKCS#7 padding, as UFTP 4 wraps
 * the group master in KEYINFO and seals messages with its CBC key types.
 * Decrypt: len a non-zero multiple of 16, out needs len bytes, UFT_E_AUTH
 * when the padding is wrong. Encrypt: out needs len + 16 bytes (at most;
 * *out_len gets the padded length). */
int uft_crypto_cbc_decrypt(const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *in,
                           size_t len, uint8_t *out, size_t *out_len);
int uft_crypto_cbc_encrypt(const uint8_t *key, size_t key_len, const uint8_t *iv, const uint8_t *in,
                           size_t len, uint8_t *out, size_t *out_len);

/* UFTP 4's RSA key exchange: the client encrypts its premaster to the
 * server's RSA key (a UFTP blob), the server decrypts it with its signing
 * key. OAEP with SHA-1 for moduli of 768 bits and more, PKCS#1 v1.5 below,
 * as UFTP 4 does. Encrypt writes the modulus size (cap at least that);
 * decrypt UFT_E_AUTH when the padding does not check, UFT_E_VALUE for an
 * EC key, UFT_E_NOSPACE when the plaintext exceeds cap. */
int uft_crypto_rsa_encrypt(const uint8_t *keyblob, size_t blob_len, const uint8_t *in, size_t len,
                           uint8_t *out, size_t cap, size_t *out_len);
int uft_crypto_rsa_decrypt(const struct uft_signkey *k, const uint8_t *in, size_t len, uint8_t *out,
                           size_t cap, size_t *out_len);

/* Key length of a symmetric key type, AEAD or v4's CBC (16 or 32; 0 when
 * unknown). */
size_t uft_crypto_key_len(uint8_t keytype);

#endif
