/*
 * The proxy without I/O: UFTP's three proxies in one object.
 *
 *   server proxy   near the server: everything the server sends goes on
 *                  by unicast to one downstream address (fixed, or learnt
 *                  from an authenticated heartbeat), and everything from
 *                  downstream goes back to the server. A multicast tunnel.
 *   client proxy   near the receivers: what arrives from upstream is sent
 *                  again to the session's public (ANNOUNCE) or private
 *                  multicast address; the receivers' REGISTER,
 *                  FILEINFO_ACK, STATUS and COMPLETE are gathered for one
 *                  GRTT and go upstream as one message listing them.
 *   response proxy the server reaches the receivers itself; the proxy only
 *                  gathers their answers, which they send to it because
 *                  its PROXY_KEY told them where it is.
 *
 * Encrypted UFTP 5 sessions through a client or response proxy: towards
 * the server the proxy is a client (its own ECDH share, CLIENT_KEY when
 * asked, the group master from the server's KEYINFO, its upstream
 * messages sealed with its own key); towards its receivers it is a
 * server (a signed PROXY_KEY with its ECDH share, their CLIENT_KEYs
 * checked, the same group master in its own signed KEYINFO). The
 * server's own sealed traffic passes through unchanged. A receiver that
 * has not finished this by R GRTT (at least 1 s) after the ANNOUNCE (or
 * after its first REGISTER, if later) is aborted both ways. A server
 * proxy forwards encrypted sessions untouched. Encrypted UFTP 4 sessions
 * are refused with an ABORT upstream that says so.
 *
 * Heartbeats (HB_REQ / HB_RESP) keep NAT mappings open: a proxy answers
 * them, and sends its own to the -H hosts, signing the nonce when a server
 * proxy challenges it.
 */
#ifndef UFT_PROXY_H
#define UFT_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/secure.h"
#include "core/session.h"

enum uft_proxy_kind { UFT_PROXY_SERVER = 1, UFT_PROXY_CLIENT = 2, UFT_PROXY_RESPONSE = 3 };

struct uft_proxy_cfg {
    enum uft_proxy_kind kind;
    uint32_t proxy_id;
    /* server proxy: the downstream, fixed (-s host) ... */
    bool down_fixed;
    struct uft_peer down;
    /* ... or taken from an HB_REQ signed by the key with this SHA-1
     * fingerprint (-s fp=...) */
    bool down_by_fp;
    uint8_t down_fp[20];
    /* the receivers it serves (-C); n_clients 0 = any. client_fps: 20
     * bytes per entry, all zero = any key; a client proxy admits only
     * these, and with client authentication every proxy checks the key
     * of a receiver's CLIENT_KEY against them. Borrowed. */
    const uint32_t *clients;
    const uint8_t *client_fps;
    size_t n_clients;
    /* the servers whose encrypted sessions it carries (-S); n_servers 0 =
     * any. server_fps: 20 bytes per entry, all zero = any key. Borrowed. */
    const uint32_t *servers;
    const uint8_t *server_fps;
    size_t n_servers;
    /* heartbeats to send (-H) every hb_interval (-h; 0 = 20 s). Borrowed. */
    const struct uft_peer *hb_peers;
    size_t n_hb;
    uft_ts hb_interval;
    /* signs heartbeat nonces, PROXY_KEY, KEYINFO and the proxy's own
     * CLIENT_KEY; borrowed; NULL: an ephemeral ECDSA P-256 key is made
     * when needed */
    void *signkey;
    unsigned max_groups; /* 0 = 100, as UFTP */
};

struct uft_proxy_ops {
    void *ctx;
    uft_event_fn event;                  /* LOG, JOIN and LEAVE (a session's private group) */
    const struct uft_crypto_ops *crypto; /* NULL: no encrypted sessions, no signed heartbeats */
};

struct uft_proxy;

/* UFT_E_INVAL for a configuration that cannot work, UFT_E_NOMEM. */
int uft_proxy_create(const struct uft_proxy_cfg *cfg, const struct uft_proxy_ops *ops, uft_ts now,
                     struct uft_proxy **out);
void uft_proxy_free(struct uft_proxy *p);

/* A datagram from anyone. Malformed or unexpected ones are dropped and
 * counted; nothing unauthenticated is answered except heartbeats. */
void uft_proxy_feed(struct uft_proxy *p, uft_ts now, const uint8_t *pkt, size_t len,
                    const struct uft_peer *from);

/* The next datagram due: its length, 0 when none, or a negative uft_err
 * when cap is too small. tx->dst is UFT_DST_PEER (tx->peer) or
 * UFT_DST_GROUP (tx->group, the program adds the downstream port). */
ssize_t uft_proxy_pull(struct uft_proxy *p, uft_ts now, uint8_t *buf, size_t cap,
                       struct uft_tx *tx);

/* When pull next has something (UFT_NEVER: only a datagram can wake it). */
uft_ts uft_proxy_deadline(const struct uft_proxy *p);

struct uft_proxy_stats {
    uint64_t rx_packets, rx_dropped;
    /* of rx_dropped: sealed datagrams that the proxy opens (a receiver's,
     * the server's ABORT) refused for an IV counter seen before or older
     * than the replay window; a client proxy has still passed the
     * server's copy on, as it passes every datagram of the server's */
    uint64_t rx_replayed;
    uint64_t forwarded;  /* datagrams passed on unchanged */
    uint64_t aggregated; /* receiver answers gathered */
    uint64_t sent;       /* datagrams of the proxy's own */
    uint64_t queue_drops;
    uint32_t groups;
};
void uft_proxy_stats(const struct uft_proxy *p, struct uft_proxy_stats *st);

#endif
