/*
 * Internals of the proxy, shared by proxy.c (sessions, forwarding,
 * heartbeats), proxy_agg.c (gathering receivers' answers) and
 * proxy_sec.c (the key exchanges of encrypted sessions). Not a public
 * interface.
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

/* Where a receiver stands. Unencrypted sessions use REGISTERED only. */
enum px_cstate {
    PXC_MUTE,       /* encrypted: keys made from its REGISTER, its CLIENT_KEY is due */
    PXC_REGISTERED, /* its registration goes upstream */
    PXC_CONF,       /* encrypted: the server confirmed it (REG_CONF); our KEYINFO is due */
    PXC_READY,      /* encrypted: its KEYINFO_ACK checked */
    PXC_REFUSED,    /* encrypted: its key failed -C; ignored for the rest of the session */
};

struct px_csec; /* a receiver's keys (proxy_sec.c) */

/* A receiver that registered through this proxy. */
struct px_client {
    uint32_t id;
    uint8_t state;   /* enum px_cstate */
    uft_ts deadline; /* encrypted: aborted both ways unless READY by then */
    uint64_t reg_us; /* its REGISTER's echoed server time, and when it came: */
    uft_ts reg_rx;   /* with client authentication it goes up at its CLIENT_KEY */
    struct px_csec *sec;
};

struct px_sec; /* the session's keys (proxy_sec.c) */

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
    uint8_t grtt_q, gsize_q;   /* the server's, for the proxy's own downstream messages */
    struct px_client *clients; /* receivers that registered through this proxy */
    size_t n_clients, cap_clients;
    struct px_pending pend[PX_MAX_PEND];
    uft_ts flush_at; /* pending answers go up then (UFT_NEVER: none) */
    uft_ts idle_at;  /* the session is forgotten then, if nothing is pending */
    uint16_t up_seq, down_seq;
    uint16_t ann_seq; /* the last ANNOUNCE's: our PROXY_KEY carries it */
    /* encrypted sessions (client and response proxies) */
    struct px_sec *sec; /* NULL: unencrypted */
    uft_ts setup_end;   /* R GRTT (at least 1 s) after the first ANNOUNCE */
    uft_ts keyinfo_at;  /* our KEYINFO goes again then (UFT_NEVER: none due) */
    uft_ts expire_at;   /* the earliest deadline of a receiver not READY */
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
    uint8_t plain[9216]; /* a decrypted datagram being handled */
};

/* proxy.c */
void uft_px_log(struct uft_proxy *p, const struct px_group *g, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Queue a copy of a datagram; false (counted) when the queue is full. */
bool uft_px_queue(struct uft_proxy *p, const uint8_t *pkt, size_t len, const struct uft_tx *tx);
/* Encode m and queue it to the session's upstream, sealed with the
 * proxy's application key once an encrypted session has one. */
void uft_px_send_up(struct uft_proxy *p, struct px_group *g, struct uft_msg *m);
/* Queue a datagram to the session's public or private multicast group. */
void uft_px_send_group(struct uft_proxy *p, const struct px_group *g, const uint8_t *pkt,
                       size_t len, bool public_addr);
/* ABORT for the whole session (host 0) or one receiver, upstream (sealed
 * once keyed) or downstream (in clear, to the private group). */
void uft_px_abort_up(struct uft_proxy *p, struct px_group *g, uint32_t host, const char *text);
void uft_px_abort_down(struct uft_proxy *p, struct px_group *g, uint32_t host, const char *text);
/* A receiver's ABORT: it goes up as the proxy's, naming the receiver. */
void uft_px_client_abort(struct uft_proxy *p, struct px_group *g, const struct uft_msg *m);
/* The signing key: -k, or an ephemeral ECDSA P-256 key made on first
 * use; NULL without a crypto layer or when making it failed. */
void *uft_px_signkey(struct uft_proxy *p);

/* proxy_agg.c */
/* A receiver's REGISTER, FILEINFO_ACK, STATUS or COMPLETE (decoded). */
void uft_px_gather(struct uft_proxy *p, struct px_group *g, const struct uft_msg *m, uft_ts now);
/* Send every pending aggregate message upstream. */
void uft_px_flush(struct uft_proxy *p, struct px_group *g, uft_ts now);
bool uft_px_has_client(const struct px_group *g, uint32_t id);
struct px_client *uft_px_find_client(struct px_group *g, uint32_t id);
/* Add a receiver (or find it): NULL, logged, when -C refuses it or the
 * session is full. */
struct px_client *uft_px_add_client(struct uft_proxy *p, struct px_group *g, uint32_t id,
                                    uft_ts now);
void uft_px_drop_client(struct uft_proxy *p, struct px_group *g, uint32_t id);
void uft_px_free_pending(struct px_group *g);
void uft_px_free_clients(struct uft_proxy *p, struct px_group *g);

/* proxy_sec.c: encrypted sessions through client and response proxies */
/* The first ANNOUNCE of an encrypted session: check it, make the keys.
 * 0; UFT_E_AUTH when its signature does not verify (unauthenticated:
 * drop it); or another negative uft_err with *why the text for an ABORT
 * upstream. */
int uft_pxs_announce(struct uft_proxy *p, struct px_group *g, const struct uft_msg *m,
                     const uint8_t *pkt, size_t len, const char **why);
/* Queue the signed PROXY_KEY to the public group. */
void uft_pxs_send_proxy_key(struct uft_proxy *p, struct px_group *g);
/* Our key share and rand2 into an upstream REGISTER; after it went, our
 * CLIENT_KEY when the server asks for client authentication. */
void uft_pxs_register_fill(const struct px_group *g, struct uft_msg *m);
void uft_pxs_registered_up(struct uft_proxy *p, struct px_group *g);
/* True when upstream messages go sealed (the group master is known). */
bool uft_pxs_keyed(const struct px_group *g);
/* Seal m upstream with our application key. Length or negative uft_err. */
ssize_t uft_pxs_seal_up(struct uft_proxy *p, struct px_group *g, const struct uft_msg *m,
                        uint8_t *buf, size_t cap);
/* A datagram from the server of an encrypted session: true when it is
 * the proxy's (KEYINFO, REG_CONF) and must not travel down. */
bool uft_pxs_from_server(struct uft_proxy *p, struct px_group *g, const uint8_t *pkt, size_t len,
                         uft_ts now);
/* An ENCRYPTED datagram from the server that is an ABORT: 0 and the
 * ABORT in m (its views in p->plain); otherwise a negative uft_err,
 * UFT_E_REPLAY (counted) for a counter the server's window has seen.
 * Only datagrams of an ABORT's size are opened. */
int uft_pxs_server_abort(struct uft_proxy *p, struct px_group *g, const uint8_t *pkt, size_t len,
                         struct uft_msg *m);
/* A datagram from a receiver of an encrypted session. */
void uft_pxs_from_client(struct uft_proxy *p, struct px_group *g, const uint8_t *pkt, size_t len,
                         uft_ts now);
/* Timers: KEYINFO resends and receivers that did not finish in time. */
void uft_pxs_service(struct uft_proxy *p, struct px_group *g, uft_ts now);
void uft_pxs_free(struct uft_proxy *p, struct px_group *g);
void uft_pxs_free_client(struct uft_proxy *p, struct px_client *c);

#endif
