/*
 * The sending side of one UFTP session, without I/O: announce, register,
 * then for each file FILEINFO, data passes with NAK repair, and at the
 * end the completion exchange. It reads file data and reports progress
 * through callbacks; the caller owns sockets and clocks.
 *
 * Encryption is UFTP 5's (ECDH, AES-GCM or CCM, an ECDSA or RSA signing
 * key, optional client authentication) or, in a version 4 session, UFTP
 * 4's (ECDH or RSA key exchange, AES-GCM/CCM or AES-CBC with HMAC or
 * signatures). Proxies (UFTP's uftpproxyd) answer for the clients behind
 * them: a REGISTER, FILEINFO_ACK or COMPLETE that lists client IDs comes
 * from a proxy, which does the key exchange with the server in its
 * clients' place; proxies never count as receivers. Restart files are the
 * program's (app/restart.h); the session gives it the group instance and
 * the failed clients with their proxies.
 */
#ifndef UFT_SERVER_H
#define UFT_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/secure.h"
#include "core/session.h"

struct uft_server;

struct uft_server_cfg {
    uint8_t version; /* UFT_VER5 (default when 0) or UFT_VER4 */
    uint32_t server_id;
    uint32_t group_id;
    uint8_t group_inst;
    uint16_t block_len;                   /* 512..8800 */
    uint8_t robust;                       /* 10..50; 0 = 20 */
    uft_ts grtt_init, grtt_min, grtt_max; /* 0 = UFTP's defaults */
    /* data due within this much after now goes out at once, so a fast
     * pace wakes the sender less often (0: exactly on time) */
    uft_ts burst_ns;
    int64_t rate;  /* bytes per second; -1 = unpaced */
    uint8_t flags; /* UFT_ANN_SYNC / UFT_ANN_PREVIEW */
    bool ipv6;
    uint8_t pub_addr[16], priv_addr[16];
    const uint32_t *clients; /* closed group; NULL/0 = open group */
    size_t n_clients;
    uint16_t max_passes;  /* 0 = 65535 */
    uint8_t max_nak_pct;  /* 0 with max_nak_cnt 0 = no limit (100) */
    uint16_t max_nak_cnt; /* 0 = 1 */
    bool quit_on_error;
    uint16_t max_time_pct;     /* -W: % of size/rate a file may take (fixed rate); 0 = none */
    uint64_t wall_base_us;     /* wall-clock microseconds at now == 0 */
    uint8_t keytype;           /* UFT_KEY_NONE, or an AES-GCM/CCM type (v4 also AES-CBC) */
    uint8_t hashtype;          /* with a key type: UFT_HASH_SHA256/384/512 (v4 also SHA1) */
    uint8_t keyex;             /* v4: UFT_KEYEX_RSA or _ECDH_RSA (an RSA signkey), _ECDH_ECDSA
                                  (EC); 0 = ECDH, signed as signkey is */
    uint8_t sigtype;           /* v4 with AES-CBC: UFT_SIG_HMAC (also 0) or UFT_SIG_KEYEX
                                  (needs client_auth) */
    uint8_t curve;             /* with a key type: the ECDH curve, UFT_CURVE_* */
    void *signkey;             /* with a key type: the caller's signing key (-k), or NULL for an
                                  ephemeral ECDSA P-256 key; borrowed */
    bool client_auth;          /* with a key type: clients must send CLIENT_KEY (-c) */
    const uint8_t *client_fps; /* with client_auth: 20-byte SHA-1 key fingerprints, one per
                                  clients[] entry, all zero = any key; NULL = none */
    const uint32_t *proxies;   /* -j: proxies that may register clients; with clients or
                                  alone they make the group closed, as in UFTP */
    const uint8_t *proxy_fps;  /* with client_auth: 20 bytes per proxies[] entry, as
                                  client_fps; NULL = none */
    size_t n_proxies;          /* entries in proxies[] */
    uint8_t cc_type;           /* UFT_CC_NONE (fixed rate) or UFT_CC_TFMCC */
    int64_t cc_min_rate, cc_init_rate, cc_max_rate; /* TFMCC bounds, bytes/s; 0 = unset */
    /* Forward error correction for clients that ask for it (FEC_HELLO;
     * server_fec.c): fec_k data blocks per group (1..255; 0 = no FEC),
     * fec_m parity rows per group after each section of the first pass
     * (proactive; fec_k + fec_m <= 255), and with fec_reactive the NAKs of
     * capable clients are answered with new parity rows instead of the
     * blocks they lack. Plain UFTP clients never see any of it. */
    uint8_t fec_k, fec_m;
    bool fec_reactive;
};

/* One entry of the file list, in sending order. The strings and handle
 * must outlive the server. */
struct uft_server_file {
    const char *name; /* name on the clients, relative or absolute */
    uint8_t ftype;    /* enum uft_ftype */
    uint64_t size;    /* regular files */
    int64_t mtime;    /* seconds since the epoch */
    const char *link; /* symlink target (UFT_FTYPE_LINK) */
    void *handle;     /* passed to ops.read */
};

struct uft_server_ops {
    void *ctx;
    uft_event_fn event;
    /* Read len bytes at off of the file behind handle into buf. 0 or a
     * negative uft_err (the file is then abandoned for every client). */
    int (*read)(void *ctx, void *handle, uint64_t off, uint8_t *buf, size_t len);
    /* Cryptography, needed when cfg.keytype is set. */
    const struct uft_crypto_ops *crypto;
    /* Optional (NULL: no FILE_HASH): SHA-256 of each regular file, made
     * while the first pass reads it and sent to capable clients before
     * its DONE. hash_new returns a state or NULL (out of memory);
     * hash_final writes 32 bytes to out (NULL: discard) and frees the state. */
    void *(*hash_new)(void *ctx);
    void (*hash_update)(void *ctx, void *state, const uint8_t *data, size_t len);
    void (*hash_final)(void *ctx, void *state, uint8_t *out);
};

/* Create a session that starts announcing at now. Copies cfg and the file
 * array (not the strings). UFT_E_INVAL for a bad configuration (with an
 * UFT_EV_LOG event naming it), UFT_E_NOMEM. */
int uft_server_create(const struct uft_server_cfg *cfg, const struct uft_server_file *files,
                      size_t n_files, const struct uft_server_ops *ops, uft_ts now,
                      struct uft_server **out);
void uft_server_free(struct uft_server *s);

/* A datagram from a client (or anyone). Malformed or foreign packets are
 * dropped and counted. */
void uft_server_feed(struct uft_server *s, uft_ts now, const uint8_t *pkt, size_t len,
                     const struct uft_peer *from);

/* The next datagram due at now: its length (written to buf) and where it
 * goes; 0 when nothing is due; negative uft_err if cap is too small. */
ssize_t uft_server_pull(struct uft_server *s, uft_ts now, uint8_t *buf, size_t cap,
                        struct uft_tx *tx);

/* When pull next has something to send (UFT_NEVER once finished). */
uft_ts uft_server_deadline(const struct uft_server *s);

/* The user stopped the server (a signal): every client that has not
 * finished the session is aborted ("Server quit, aborting all", sent by
 * the next pulls) and counts as failed; the session ends with
 * UFT_EXIT_INTERRUPTED. */
void uft_server_interrupt(struct uft_server *s, uft_ts now);

/* True once the session is over; *exit_code gets UFTP's exit code. */
bool uft_server_done(const struct uft_server *s, int *exit_code);

/* A known destination: a client, or a proxy that answers for some. */
struct uft_server_dest {
    uint32_t id;
    bool failed;       /* it never registered, was lost or aborted (UFTP's restart
                          file lists the failed clients) */
    bool is_proxy;     /* a proxy: never a receiver itself */
    uint32_t proxy_id; /* a client behind a proxy: that proxy's ID; 0 = direct */
    enum { UFT_FATE_OK, UFT_FATE_MUTE, UFT_FATE_LOST, UFT_FATE_ABORTED } fate;
};

/* The i-th known destination (0 <= i) into *out: false past the last. */
bool uft_server_dest(const struct uft_server *s, size_t i, struct uft_server_dest *out);

/* Counters for tests and status output. */
struct uft_server_stats {
    uint64_t data_packets;    /* FILESEG sent */
    uint64_t ctrl_packets;    /* everything else sent */
    uint64_t rx_packets;      /* accepted from clients */
    uint64_t rx_dropped;      /* malformed, foreign or out of phase */
    uint64_t rx_unauth;       /* of them: a tag that does not check */
    uint64_t rx_replayed;     /* of them: an IV counter seen before or older than the window */
    uint32_t passes;          /* passes over the last regular file */
    uint32_t clients;         /* known clients */
    int64_t paced_rate;       /* -R -1: the rate learnt from NAKs, bytes/s; 0 = none */
    uint64_t parity_packets;  /* FEC_PARITY sent (also counted in data_packets) */
    uint64_t parity_reactive; /* of them: rows sent for NAKs */
    uint64_t fec_clients;     /* FEC_HELLOs accepted (once per client and file) */
};
void uft_server_stats(const struct uft_server *s, struct uft_server_stats *st);

/* Where the sending of the current file stands, for progress displays.
 * Reads only; costs one look at each destination (for lagging). */
struct uft_server_progress {
    uint16_t file_id; /* the file being sent; 0 in the announce and completion phases */
    uint32_t pass;    /* its data pass, from 1; 0 before its data starts */
    uint32_t block;   /* the next block this pass sends (blocks: the pass is out) */
    uint32_t blocks;  /* blocks in the file */
    uint32_t lagging; /* receivers still on the file once its first pass is out */
};
void uft_server_progress(const struct uft_server *s, struct uft_server_progress *p);

#endif
