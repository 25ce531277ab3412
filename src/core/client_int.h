/*
 * Internals of the client, shared by client.c (sessions), client_sec.c
 * (encryption), client_cc.c (TFMCC feedback), client_proxy.c (sessions
 * through proxies) and client_hb.c (heartbeats). Not a public interface.
 */
#ifndef UFT_CLIENT_INT_H
#define UFT_CLIENT_INT_H

#include "core/client.h"
#include "core/layout.h"
#include "core/msg.h"
#include "core/secure.h"
#include "core/tfmcc.h"

struct uft_csec;

#define MAX_PENDING_ABORTS 16

/* C_PREREGISTER: a UFTP 5 session through a proxy, waiting for its
 * PROXY_KEY before the REGISTER. */
enum cphase { C_FREE = 0, C_PREREGISTER, C_REGISTERED, C_MIDGROUP, C_RECEIVING, C_FINAL };

struct csession {
    enum cphase phase;
    uint8_t version;
    uint32_t group_id, server_id;
    uint8_t inst, robust, flags;
    uint16_t block_len;
    uint16_t seq;
    bool seq_seen;
    uint16_t max_seq;
    struct uft_peer server; /* where the ANNOUNCE came from */
    struct uft_peer reply;  /* where replies go: the server, or its proxy */
    uint32_t proxy_id;      /* -S: the server's proxy, 0 when reached directly */
    uint8_t priv[16];
    bool v6, joined;
    uft_ts grtt, last_rx, start;

    /* REGISTER */
    uint64_t echo_us; /* server timestamp being echoed */
    uft_ts echo_rx;   /* when it arrived */
    uft_ts next_register, giveup_at;
    bool owe_register;

    /* the current file */
    uint16_t file_id;
    char file_name[1024]; /* the current file's name as the server sent it */
    uint8_t ftype;
    struct uft_layout lay;
    void *handle;
    uint8_t *got;
    uint32_t got_count;
    uint8_t status; /* COMPLETE status to report */
    bool partial;   /* resumed: some blocks came from an earlier session */
    bool file_done, have_free;
    uint64_t free_bytes;
    bool owe_ack, owe_complete;
    uint64_t fi_echo_us;
    uft_ts fi_rx;

    /* NAK reporting */
    uint32_t top_section;      /* highest section seen so far + 1 */
    uint32_t reported;         /* sections below this were reported (new-section trigger) */
    uint32_t nak_from, nak_to; /* report sections [nak_from, nak_to] when nak_at passes */
    uft_ts nak_at;
    bool status_owed;
    uint32_t status_cursor;

    /* end of session */
    bool owe_final;
    uft_ts final_resend, final_giveup;

    /* encryption (UFTP 5): set up at the ANNOUNCE, keyed at KEYINFO */
    struct uft_csec *sec;
    bool owe_kiack;
    bool owe_ckey; /* CLIENT_KEY after each REGISTER */

    /* FEC and the file hash (client_fec.c): NULL unless the server's
     * FEC_INFO for the current file was taken */
    struct uft_cfec *fec;
    bool owe_fec_hello;

    /* TFMCC feedback (cc_type == UFT_CC_TFMCC) */
    uint8_t cc_type;
    struct uft_tfmcc_rx *cc;
    int64_t gsize;
    bool owe_cc_ack;
};

struct pending_abort {
    uint8_t version;
    uint32_t group_id;
    uint8_t inst;
    struct uft_peer peer;
    char text[80];
    /* a keyed session's ABORT, sealed when queued (the keys go with the
     * session); 0: send it in clear */
    uint8_t sealed[UFT_HDR_LEN + UFT_ENC_HDR_LEN + 308 + 16];
    size_t sealed_len;
};

/* One heartbeat target (-H). */
struct hb_target {
    bool owe_auth;   /* answer a challenge with a signed HB_REQ */
    uint32_t nonce;  /* the challenge's */
    uint8_t answers; /* signed answers since the last round (bounded) */
    uint8_t last;    /* the last HB_RESP verdict, UFT_HB_AUTH_* + 1; 0: none */
};

/* The UFTP 4 response proxy's keys (-r), from its PROXY_KEY. */
struct v4_proxy_keys {
    bool have, warned;
    uint8_t key[600]; /* signing key blob */
    size_t key_len;
    uint8_t dh[160]; /* ECDH key blob */
    size_t dh_len;
};

struct uft_client {
    struct uft_client_cfg cfg;
    struct uft_client_ops ops;
    struct csession *sess;
    struct pending_abort aborts[MAX_PENDING_ABORTS];
    size_t n_aborts;
    uint8_t *scratch;
    uint8_t *plain; /* decrypted datagram bodies */
    void *signkey;  /* for client authentication: cfg's, or an ephemeral one */
    bool own_signkey;
    struct uft_client_stats st;
    /* heartbeats (client_hb.c) */
    struct hb_target *hb;
    uft_ts hb_next;   /* the next round of plain HB_REQs */
    size_t hb_cursor; /* the next target of the current round */
    /* the UFTP 4 response proxy (client_proxy.c) */
    struct v4_proxy_keys v4p;
    uft_ts keyreq_next, keyreq_last;
    /* -S refusals: answered at most once a second (refuse_unlisted) */
    uft_ts refuse_quiet_until;
    uint64_t refused_quietly;
};

/* Shared helpers of client.c. */
void uft_cl_log(struct uft_client *c, const struct csession *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* ABORT the session towards its reply address with reason why, and end it. */
void uft_cl_abort(struct uft_client *c, struct csession *s, const char *why);
/* The signing key (cfg's, or an ephemeral ECDSA P-256 one made now);
 * NULL when there is no crypto or making one failed. */
void *uft_cl_signkey(struct uft_client *c);
bool uft_cl_peer_eq(const struct uft_peer *a, const struct uft_peer *b);

/* Every block of the current file is in (client.c): check, commit and
 * owe the COMPLETE. */
void uft_cl_file_finished(struct uft_client *c, struct csession *s);

/* FEC and file hashes (client_fec.c). */
/* FEC_INFO, FEC_PARITY or FILE_HASH for session s. */
void uft_cfec_feed(struct uft_client *c, struct csession *s, const struct uft_msg *m, uft_ts now);
/* Before the file is committed: 0 to go on (no hash, or it matches),
 * 1 to wait for the hash, UFT_E_AUTH when the file on disk does not
 * match it (or cannot be read back). */
int uft_cfec_check(struct uft_client *c, struct csession *s);
/* A DONE for the current file while every block is in: true when the
 * hash has been waited for long enough (the file is then committed
 * unchecked). */
bool uft_cfec_done_wait(struct uft_client *c, struct csession *s);
/* Fill an FEC_HELLO. */
void uft_cfec_hello(struct csession *s, struct uft_msg *m);
/* Free the file's FEC state. */
void uft_cfec_free(struct csession *s);

/* TFMCC feedback (client_cc.c). */
/* The session's feedback state when the ANNOUNCE asks for TFMCC (in m,
 * len bytes). False when out of memory. */
bool uft_ccfb_setup(struct csession *s, const struct uft_msg *m, size_t len, uft_ts now);
/* A feedback round announced in CONG_CTRL or FILESEG (quantized rate). */
void uft_ccfb_round(struct uft_client *c, struct csession *s, uint16_t cc_seq, uint16_t cc_rate,
                    uft_ts now);
/* A CONG_CTRL: our RTT, whether we are the CLR (then a CC_ACK is owed). */
void uft_ccfb_cong_ctrl(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                        uft_ts now);
/* Fill the EXT_TFMCC_ACK_INFO of a STATUS or CC_ACK. */
void uft_ccfb_ack(struct uft_client *c, struct csession *s, struct uft_ext_tfmcc_ack *a,
                  uft_ts now);

/* Sessions through proxies (client_proxy.c). */
/* At a new session's ANNOUNCE: its proxy from the server list, the phase
 * (C_PREREGISTER when it must wait for a PROXY_KEY) and its reply
 * address. */
void uft_cproxy_session(struct uft_client *c, struct csession *s,
                        const struct uft_server_entry *srv);
/* A PROXY_KEY addressed to session s, from the peer from. */
void uft_cproxy_key(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                    const uint8_t *pkt, size_t len, const struct uft_peer *from, uft_ts now);
/* Whether a new session's ANNOUNCE can be answered: false for an
 * encrypted UFTP 4 session while the -r proxy's keys are missing (a
 * KEY_REQ then goes out soon, and a later ANNOUNCE gets through). */
bool uft_cproxy_v4_ready(struct uft_client *c, const struct uft_msg *m, uft_ts now);
/* A UFTP 4 PROXY_KEY (not tied to a session). */
void uft_cproxy_v4_key(struct uft_client *c, const struct uft_msg *m, const struct uft_peer *from);
/* The next KEY_REQ to the UFTP 4 response proxy, if one is due. */
ssize_t uft_cproxy_pull(struct uft_client *c, uft_ts now, uint8_t *buf, size_t cap,
                        struct uft_tx *tx);
uft_ts uft_cproxy_deadline(const struct uft_client *c);

/* Heartbeats (client_hb.c). */
int uft_chb_init(struct uft_client *c);
void uft_chb_feed(struct uft_client *c, const struct uft_msg *m, const struct uft_peer *from);
ssize_t uft_chb_pull(struct uft_client *c, uft_ts now, uint8_t *buf, size_t cap, struct uft_tx *tx);
uft_ts uft_chb_deadline(const struct uft_client *c);

/* Encryption glue (client_sec.c). */
/* An encrypted ANNOUNCE: verify it (and, when want_fp is not NULL, that
 * the server's signing key has that SHA-1 fingerprint) and prepare our
 * key share, with the server's ECDH key, or for a UFTP 4 session with -r
 * the v4 response proxy's. A UFTP 5 session in C_PREREGISTER stops
 * before the key share: uft_csec_proxy_key() makes it with the proxy's
 * key. 0, or a negative uft_err with *why set (the session is refused). */
int uft_csec_announce(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                      const uint8_t *pkt, size_t len, const uint8_t *want_fp, const char **why);
/* A UFTP 5 PROXY_KEY (keys present, fingerprint already checked):
 * verify its signature over "UFTP 5, PROXY_KEY" || S_ctx || P_ctx, then
 * make the key share with the proxy's ECDH key; the proxy's key signs
 * the KEYINFO from then on. 0, or a negative uft_err with *why set. */
int uft_csec_proxy_key(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                       const uint8_t *pkt, size_t len, const char **why);
/* Client authentication: whether this session sends CLIENT_KEY, and the
 * sealed CLIENT_KEY datagram (header fields from hdr). */
bool uft_csec_wants_client_key(const struct csession *s);
ssize_t uft_csec_client_key(struct uft_client *c, struct csession *s, const struct uft_msg *hdr,
                            uint8_t *buf, size_t cap);
/* Our key share for the REGISTER. */
void uft_csec_register(const struct csession *s, struct uft_msg *m);
/* A KEYINFO: our group master, if it lists us. 1 when keyed now, 0 when
 * not for us or a repeat, negative on a bad one. */
int uft_csec_keyinfo(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                     const uint8_t *pkt, size_t len);
/* The KEYINFO_ACK body. */
void uft_csec_keyinfo_ack(const struct csession *s, struct uft_msg *m);
/* Decrypt an ENCRYPTED datagram from the server into inner (its body in
 * buf). 0 or negative (dropped). */
int uft_csec_open(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                  const uint8_t *pkt, size_t len, uint8_t *buf, size_t cap, struct uft_msg *inner);
/* The receive filter of an encrypted session: open an ENCRYPTED
 * datagram into *m, take a KEYINFO (phase and KEYINFO_ACK), pass a clear
 * ABORT or REG_CONF, and drop whatever else arrives in clear. False when
 * m was consumed or dropped. */
bool uft_csec_filter(struct uft_client *c, struct csession *s, struct uft_msg *m,
                     const uint8_t *pkt, size_t len, uft_ts now);
/* Encrypt a reply into buf; its datagram length or negative. */
ssize_t uft_csec_seal(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                      uint8_t *buf, size_t cap);
bool uft_csec_keyed(const struct csession *s);
void uft_csec_free(struct uft_client *c, struct csession *s);

#endif
