/*
 * The receiving side without I/O: one object per daemon, holding up to
 * max_sessions UFTP sessions (one per group ID and instance) at once. It
 * answers ANNOUNCEs, registers, receives files into storage callbacks,
 * sends STATUS with NAKs at the protocol's times, and reports COMPLETE.
 *
 * Proxies: a server listed with a proxy ID is reached through that proxy
 * (UFTP 5's response and client proxies): the session waits for the
 * proxy's PROXY_KEY, then registers with the proxy and sends every reply
 * there. Heartbeats (HB_REQ) keep a NAT or firewall mapping open towards
 * server proxies, answering their challenge with a signed HB_REQ.
 *
 * Not yet here: ECN marks (the feed carries no TOS byte yet).
 */
#ifndef UFT_CLIENT_H
#define UFT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/secure.h"
#include "core/session.h"

struct uft_client;

/* One line of uftpd's server list (-S). */
struct uft_server_entry {
    uint32_t server_id;
    uint32_t proxy_id; /* 0: the server is reached directly */
    bool has_fp;
    uint8_t fp[20]; /* SHA-1 of the server's signing key blob */
};

/* One line of uftpd's proxy list (-R). */
struct uft_proxy_entry {
    uint32_t proxy_id;
    bool has_fp;
    uint8_t fp[20]; /* SHA-1 of the proxy's signing key blob */
};

struct uft_client_cfg {
    uint32_t client_id;
    /* -S: when n_servers > 0, only these servers are answered; another
     * gets ABORT "Server not in server list". With has_fp, an encrypted
     * session's signing key must have that fingerprint. Borrowed. */
    const struct uft_server_entry *servers;
    size_t n_servers;
    unsigned max_sessions; /* 0 = 100, as UFTP */
    bool encrypted_only;   /* -E: ignore unencrypted sessions */
    void *signkey;         /* for client authentication (-k); borrowed. NULL: an
                              ephemeral ECDSA P-256 key is made when a server asks */
    /* -R: proxies named by servers' proxy IDs; with has_fp, a proxy's
     * PROXY_KEY must carry a key with that fingerprint. A proxy ID that is
     * not listed is accepted without a fingerprint check. Borrowed. */
    const struct uft_proxy_entry *proxies;
    size_t n_proxies;
    /* -H / -h: send HB_REQ to each of these every hb_interval (0 = 20 s);
     * a challenge is answered with an HB_REQ signed with signkey. The
     * peers are compared byte for byte with the sources of HB_RESPs, so
     * give them in the form the feed reports. Borrowed. */
    const struct uft_peer *hb_peers;
    size_t n_hb_peers;
    uft_ts hb_interval;
    /* -r: UFTP 4 response proxy. Its key is asked for with KEY_REQ until a
     * v4 PROXY_KEY from exactly this peer arrives (checked against v4_fp
     * when v4_has_fp); every reply of a UFTP 4 session then goes there. */
    bool has_v4_proxy;
    struct uft_peer v4_proxy;
    bool v4_has_fp;
    uint8_t v4_fp[20];
    /* --no-fec: never answer a server's FEC_INFO, so it sends this client
     * no parity and no file hash (client_fec.c); FEC needs ops.file_read
     * too, the hash check ops.hash_new. */
    bool no_fec;
};

/* What the storage layer is asked to do with one FILEINFO. */
struct uft_rx_file {
    uint32_t group_id;
    uint8_t group_inst;
    uint16_t file_id;
    uint8_t ftype;    /* enum uft_ftype */
    const char *name; /* from the network: the storage must check it */
    const char *link; /* symlink target, for UFT_FTYPE_LINK */
    uint64_t size;
    int64_t mtime;
    bool sync, preview; /* the session's sync / sync-preview mode */
};

struct uft_client_ops {
    void *ctx;
    uft_event_fn event;
    /* Decide on and prepare for a file. Returns the COMPLETE status:
     * UFT_COMP_NORMAL or UFT_COMP_OVERWRITE to receive a regular file
     * (then *handle is set, unless in preview), UFT_COMP_SKIPPED or
     * UFT_COMP_REJECTED to answer at once. Directories, links and deletes
     * are carried out here and answered with their status; FREESPACE
     * fills *free_bytes. */
    int (*file_begin)(void *ctx, const struct uft_rx_file *f, void **handle, uint64_t *free_bytes);
    /* Write one block. 0 or a negative uft_err (the session is aborted). */
    int (*file_write)(void *ctx, void *handle, uint64_t off, const uint8_t *data, size_t len);
    /* Finish a file: commit moves it into place, otherwise it is
     * discarded; never leaves a partial file under the final name. */
    int (*file_end)(void *ctx, void *handle, bool commit);
    /* Optional (NULL: none). A restarted transfer: set bit i of have (LSB
     * first, blocks of block_len bytes) for every block of the file behind
     * handle that is already stored from an earlier session. The client
     * then asks only for the rest and tells the server so (PARTIAL). */
    void (*file_have)(void *ctx, void *handle, uint32_t block_len, uint32_t blocks, uint8_t *have);
    /* Optional: cryptography for encrypted (UFTP 5) sessions; NULL means
     * encrypted announcements are refused with an ABORT. */
    const struct uft_crypto_ops *crypto;
    /* Optional (NULL: no FEC, no hash check): read back len bytes at off
     * of the file being received, as written so far. 0 or a negative
     * uft_err. */
    int (*file_read)(void *ctx, void *handle, uint64_t off, uint8_t *buf, size_t len);
    /* Optional (NULL: no hash check): SHA-256, as in struct
     * uft_server_ops. With these and file_read, a file whose server sent
     * its hash is read back and checked before file_end commits it; a
     * mismatch discards it and reports it failed (COMPLETE status
     * REJECTED). */
    void *(*hash_new)(void *ctx);
    void (*hash_update)(void *ctx, void *state, const uint8_t *data, size_t len);
    void (*hash_final)(void *ctx, void *state, uint8_t *out);
};

int uft_client_create(const struct uft_client_cfg *cfg, const struct uft_client_ops *ops,
                      struct uft_client **out);
void uft_client_free(struct uft_client *c);

/* A datagram received on any of the client's sockets or groups. */
void uft_client_feed(struct uft_client *c, uft_ts now, const uint8_t *pkt, size_t len,
                     const struct uft_peer *from);

/* The next datagram due (its length), 0 when none, negative on error. */
ssize_t uft_client_pull(struct uft_client *c, uft_ts now, uint8_t *buf, size_t cap,
                        struct uft_tx *tx);

uft_ts uft_client_deadline(const struct uft_client *c);

/* Abort every session ("Client shutting down"); pull the ABORTs, then
 * free. Partial files are discarded. A session that already sent its
 * final COMPLETE is finished instead, as if its DONE_CONF never came. */
void uft_client_shutdown(struct uft_client *c, uft_ts now);

struct uft_client_stats {
    uint64_t rx_packets, rx_dropped, tx_packets;
    /* of rx_dropped: more than 5 sequence numbers behind the newest
     * (UFTP's rule), a tag or signature that does not check, an IV
     * counter seen before or older than the replay window */
    uint64_t rx_stale, rx_unauth, rx_replayed;
    uint64_t data_packets, dup_packets; /* FILESEG received, of them duplicates */
    uint64_t status_sent, naks_sent;    /* STATUS messages and NAK bits in them */
    uint32_t sessions;                  /* active now */
    uint32_t sessions_ok, sessions_failed;
    uint64_t hb_sent, hb_auth_sent; /* HB_REQ sent, of them signed answers to challenges */
    uint64_t hb_ok, hb_failed;      /* HB_RESP received: accepted, refused */
    uint64_t parity_packets;        /* FEC_PARITY received and looked at */
    uint64_t fec_recovered;         /* blocks rebuilt from parity */
    uint64_t parity_dropped;        /* rows dropped: memory cap, or unusable */
    uint64_t hash_ok, hash_bad;     /* files checked against the server's hash */
};
void uft_client_stats(const struct uft_client *c, struct uft_client_stats *st);

#endif
