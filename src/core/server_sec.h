/*
 * The server's encryption state, shared by server_sec.c (UFTP 5's key
 * schedule, and the entry points server.c calls) and server_sec4.c (UFTP
 * 4's). Not a public interface: server.c sees these types only as
 * pointers.
 */
#ifndef UFT_SERVER_SEC_H
#define UFT_SERVER_SEC_H

#include "core/sec_common.h"
#include "core/server_int.h"

#define CTX_MAX 1536

struct uft_ssec {
    const struct uft_crypto_ops *ops;
    uint8_t keytype, hashtype, curve;
    size_t hlen, klen;
    void *dh, *sign; /* dh is NULL with UFTP 4's RSA key exchange */
    bool own_sign;   /* made here (ephemeral), not the caller's -k key */
    uint8_t gm[32], rand1[UFT_RAND_LEN];
    uint8_t keyblob[600], dhblob[200];
    size_t keyblob_len, dhblob_len, siglen; /* siglen: the ANNOUNCE's signature */
    uint8_t sctx[CTX_MAX];
    size_t sctx_len;
    uint8_t s_app_key[32], s_app_iv[12]; /* v4: the group key, both directions */
    uint8_t prk_app[64];
    uint64_t ctr; /* our IV counter, pre-incremented; KEYINFO shares it */
    bool keyinfo_owed;
    bool keyinfo_all; /* the owed KEYINFO is a round's: it lists every REGISTERED
                         dest, not only those with keyinfo_due */
    size_t keyinfo_cursor;
    /* UFTP 4 (0x40) */
    bool v4;
    uint8_t keyex, sigtype; /* UFT_KEYEX_*, UFT_SIG_* */
    uint8_t gm4[48];        /* 0x40 || 47 random bytes */
    uint8_t app_salt[4], app_hmac[64];
    uint8_t priv[16]; /* the private multicast address (zero for unicast) */
    size_t priv_len;
};

struct uft_sdest {
    uint8_t ctx1[CTX_MAX + 1100]; /* Ctx1, grown into Ctx2 by a CLIENT_KEY */
    size_t ctx1_len;
    bool need_ckey;                    /* client authentication: no CLIENT_KEY yet */
    bool keyinfo_due;                  /* registered (again) since the last KEYINFO for it */
    uint8_t s_hs_key[32], s_hs_iv[12]; /* v4: the handshake key, one for both ways */
    uint8_t c_hs_key[32], c_hs_iv[12];
    uint8_t c_app_key[32], c_app_iv[12];
    uint8_t verify[64];   /* v4: 12 bytes */
    struct uft_replay rp; /* the client's IV counters opened; reset when it starts over */
    /* UFTP 4 */
    uint8_t rand2[UFT_RAND_LEN], premaster[48];
    size_t premaster_len; /* 20 (SHA-1 of the ECDH secret) or 48 (RSA) */
    uint8_t hs_salt[4];
    uint8_t cblob[600]; /* the client's signing key (client authentication) */
    size_t cblob_len;
};

/* UFTP 4 (server_sec4.c), called by the uft_ssec_* entry points when the
 * session is 0x40. Same contracts as those (server_int.h). */
int uft_ssec4_init(struct uft_server *s, struct uft_ssec *x);
int uft_ssec4_register(struct uft_server *s, struct dest *d, const struct uft_msg *m);
int uft_ssec4_client_key(struct uft_server *s, struct dest *d, const struct uft_msg *m,
                         const char **why);
/* Whether the KEYINFO being pulled lists d (and it is then no longer
 * due). Shared by both versions' KEYINFO. */
bool uft_ssec_keyinfo_lists(struct uft_ssec *x, struct dest *d);
ssize_t uft_ssec4_pull_keyinfo(struct uft_server *s, uint8_t *buf, size_t cap, struct uft_tx *tx);
int uft_ssec4_open(struct uft_server *s, struct dest *d, const struct uft_msg *m,
                   const uint8_t *pkt, struct uft_msg *inner);
ssize_t uft_ssec4_seal(struct uft_server *s, uint8_t *buf, size_t len, size_t cap);

#endif
