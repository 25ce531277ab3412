/*
 * The pieces of UFTP 5's key schedule that every party computes the same
 * way, whichever side of a key exchange it stands on: the premaster from
 * an ECDH share, handshake and application keys from their contexts, the
 * KEYINFO_ACK verify data, the group master wrapped for one receiver,
 * nonces, ENCRYPTED framing and signatures over a label and contexts.
 * The numbers are UFTP 5.0.1's code, not its protocol.txt
 * (docs/protocol-notes.md): premaster = SHA-256(ECDH X); "UFTP5 " labels
 * with no length bytes; application secrets from H(S_ctx) and H(Ctx2);
 * the finished key from the client application secret; verify data =
 * HMAC(finished key, Ctx2 || GM); nonce = the 12-byte IV with the 64-bit
 * counter XORed into its last 8 bytes.
 *
 * First used by the proxy (proxy_sec.c), which is a client upstream and a
 * server downstream; server_sec.c and client_sec.c keep private copies of
 * some of these for now and can switch to them.
 *
 * Every function takes its cryptography through struct uft_crypto_ops;
 * secrets on the stack are wiped with ops->wipe before returning. All
 * return 0 or a negative uft_err (UFT_E_NOMEM, UFT_E_CRYPTO, UFT_E_AUTH
 * for a tag or signature that does not check, or the crypto layer's own
 * code), unless said otherwise.
 */
#ifndef UFT_SEC_COMMON_H
#define UFT_SEC_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/msg.h"
#include "core/secure.h"

enum { UFT_SEC_IV_LEN = 12, UFT_SEC_GM_LEN = 32, UFT_SEC_TAG_LEN = 16 };

/* Anti-replay window over one sender's IV counter. UFTP senders
 * pre-increment a 64-bit counter for every datagram they seal, and a
 * retransmission is sealed again with a new value, so a counter seen
 * twice under one key is a replay. The window remembers the last
 * UFT_REPLAY_WINDOW values below the highest seen; older ones are
 * refused as if replayed. Zero-initialise it when the key is set. */
enum { UFT_REPLAY_WINDOW = 1024 };
struct uft_replay {
    uint64_t top; /* highest counter accepted */
    uint64_t bits[UFT_REPLAY_WINDOW / 64];
};

/* Whether ctr may be opened (not seen, not older than the window). */
bool uft_replay_fresh(const struct uft_replay *r, uint64_t ctr);
/* Record ctr once a datagram with it has authenticated. */
void uft_replay_mark(struct uft_replay *r, uint64_t ctr);

/* A session's algorithms, as the ANNOUNCE's EXT_ENC_INFO names them. */
struct uft_sec_suite {
    const struct uft_crypto_ops *ops;
    uint8_t keytype, hashtype;
    size_t klen, hlen; /* key and hash lengths in bytes */
};

/* One direction's traffic key and IV. */
struct uft_sec_keys {
    uint8_t key[32];
    uint8_t iv[UFT_SEC_IV_LEN];
};

/* Fill s for UFTP 5: an AEAD key type (GCM/CCM) and SHA-256/384/512.
 * UFT_E_VALUE for anything else (CBC and SHA-1 are UFTP 4's). */
int uft_sec_suite_init(struct uft_sec_suite *s, const struct uft_crypto_ops *ops, uint8_t keytype,
                       uint8_t hashtype);

/* The nonce of message number ctr under iv. */
void uft_sec_nonce(const uint8_t *iv, uint64_t ctr, uint8_t *nonce);

/* premaster = SHA-256 of the ECDH secret of our key dh and the peer's EC
 * blob (always SHA-256 in UFTP 5, whatever the session hash). */
int uft_sec_premaster(const struct uft_crypto_ops *ops, const void *dh, const uint8_t *peer_blob,
                      size_t blob_len, uint8_t *premaster32);

/* Handshake keys from the premaster and Ctx1: "s hs traffic" for the
 * server (or proxy) side, "c hs traffic" for the client side. */
int uft_sec_hs_keys(const struct uft_sec_suite *s, const uint8_t *premaster32, const uint8_t *ctx1,
                    size_t ctx1_len, struct uft_sec_keys *srv, struct uft_sec_keys *cli);

/* The server's application keys from the group master and S_ctx. */
int uft_sec_server_app(const struct uft_sec_suite *s, const uint8_t *gm, const uint8_t *sctx,
                       size_t sctx_len, struct uft_sec_keys *out);

/* A client's application keys and its KEYINFO_ACK verify data (hlen
 * bytes into verify, which holds 64) from the group master and Ctx2. */
int uft_sec_client_app(const struct uft_sec_suite *s, const uint8_t *gm, const uint8_t *ctx2,
                       size_t ctx2_len, struct uft_sec_keys *out, uint8_t *verify);

/* A KEYINFO entry's 48 bytes: the group master sealed under one
 * receiver's server handshake keys with the KEYINFO's counter, the AAD
 * being "UFTP 5, group master" || its Ctx2. And the reverse (the opened
 * group master is exactly 32 bytes). */
int uft_sec_wrap_gm(const struct uft_sec_suite *s, const struct uft_sec_keys *shs, uint64_t ctr,
                    const uint8_t *ctx2, size_t ctx2_len, const uint8_t *gm, uint8_t *out48);
int uft_sec_unwrap_gm(const struct uft_sec_suite *s, const struct uft_sec_keys *shs, uint64_t ctr,
                      const uint8_t *ctx2, size_t ctx2_len, const uint8_t *in48, uint8_t *gm);

/* Seal m (its header from m->hdr, its body by m->hdr.func) as an
 * ENCRYPTED datagram with counter ctr: the outer header is m's with func
 * 18, the AAD the two headers as sent. Returns the datagram's length,
 * UFT_E_NOSPACE, or an encoder or crypto error. */
ssize_t uft_sec_seal(const struct uft_sec_suite *s, const struct uft_sec_keys *k, uint64_t ctr,
                     const struct uft_msg *m, uint8_t *buf, size_t cap);

/* Open a decoded ENCRYPTED datagram (outer, decoded from pkt) into plain
 * (cap bytes) and decode the message inside into inner, whose views
 * point into plain; inner->hdr is the outer header with the inner func.
 * UFT_E_AUTH when the tag does not check or the payload does not fit. */
int uft_sec_open(const struct uft_sec_suite *s, const struct uft_sec_keys *k, const uint8_t *pkt,
                 const struct uft_msg *outer, uint8_t *plain, size_t cap, struct uft_msg *inner);

/* Sign or verify label || parts[0] || ... with the session hash (the
 * form of CLIENT_KEY, PROXY_KEY and KEYINFO signatures). sign writes at
 * most cap bytes and the length into *sig_len. */
int uft_sec_sign_parts(const struct uft_crypto_ops *ops, const void *key, uint8_t hashtype,
                       const char *label, const struct uft_bytes *parts, size_t n, uint8_t *sig,
                       size_t cap, size_t *sig_len);
int uft_sec_verify_parts(const struct uft_crypto_ops *ops, const uint8_t *keyblob, size_t blob_len,
                         uint8_t hashtype, const char *label, const struct uft_bytes *parts,
                         size_t n, const uint8_t *sig, size_t sig_len);

#endif
