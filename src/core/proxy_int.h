/*
 * Internals of the proxy, shared by proxy.c (sessions, forwarding,
 * heartbeats) and proxy_agg.c (gathering receivers' answers). Not a
 * public interface.
 */
#ifndef UFT_PROXY_INT_H
#define UFT_PROXY_INT_H

#include "core/msg.h"
#include "core/proxy.h"

#define PX_MAX_PEND    10   /* aggregate messages in the making per session, as UFTP */
#define PX_MAX_CLIENTS 1000 /* receivers per session, as UFTP */
#define PX_QUEUE       512  /* datagrams waiting to be pulled */

/* One aggregate message being gathered. */
struct px_pending {
    uint8_t func; /* 0: free */
    uint16_t file_id, section;
    uint8_t comp_status;
    bool partial;     /* FILEINFO_ACK: every receiver so far said PARTIAL */
    uint64_t echo_us; /* the first receiver's echoed server time */
    uft_ts echo_rx;   /* when that answer arrived */
    uint32_t *ids;    /* receivers in this message (blocksize / 4 at most) */
    size_t n_ids;
    uint8_t *naks; /* STATUS: blocksize bytes, the union of their NAKs */
};

struct px_group {
    bool used;
    bool refused; /* a session this proxy cannot carry: its packets are dropped */
    uint32_t group_id;
    uint8_t inst, version;
    uint32_t server_id;
    struct uft_peer up; /* where the ANNOUNCE came from */
    bool v6, joined;
    uint8_t pub[16], priv[16];
    uint16_t blocksize;
    uint8_t robust;
    uft_ts grtt;
    uint8_t grtt_q, gsize_q; /* the server's, for the proxy's own downstream messages */
    uint32_t *clients;       /* receivers that registered through this proxy */
    size_t n_clients, cap_clients;
    struct px_pending pend[PX_MAX_PEND];
    uft_ts flush_at; /* pending answers go up then (UFT_NEVER: none) */
    uft_ts idle_at;  /* the session is forgotten then, if nothing is pending */
    uint16_t up_seq;
};

struct px_out {
    uint8_t *buf;
    size_t len;
    struct uft_tx tx;
};

struct uft_proxy {
    struct uft_proxy_cfg cfg;
    struct uft_proxy_ops ops;
    struct px_group *groups;
    unsigned n_groups;
    struct px_out q[PX_QUEUE];
    size_t q_head, q_len;
    bool have_down;
    struct uft_peer down;
    uint32_t down_nonce; /* the challenge a heartbeat must sign (-s fp=) */
    void *own_key;       /* ephemeral heartbeat key when cfg.signkey is NULL */
    uft_ts next_hb;
    struct uft_proxy_stats st;
};

/* proxy.c */
void uft_px_log(struct uft_proxy *p, const struct px_group *g, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Queue a copy of a datagram; false (counted) when the queue is full. */
bool uft_px_queue(struct uft_proxy *p, const uint8_t *pkt, size_t len, const struct uft_tx *tx);
/* Encode m and queue it to the session's upstream. */
void uft_px_send_up(struct uft_proxy *p, struct px_group *g, struct uft_msg *m);

/* proxy_agg.c */
/* A receiver's REGISTER, FILEINFO_ACK, STATUS or COMPLETE (decoded). */
void uft_px_gather(struct uft_proxy *p, struct px_group *g, const struct uft_msg *m, uft_ts now);
/* Send every pending aggregate message upstream. */
void uft_px_flush(struct uft_proxy *p, struct px_group *g, uft_ts now);
bool uft_px_has_client(const struct px_group *g, uint32_t id);
void uft_px_drop_client(struct px_group *g, uint32_t id);
void uft_px_free_pending(struct px_group *g);

#endif
