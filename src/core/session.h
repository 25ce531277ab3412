/*
 * Types shared by the server and client sessions: peer addresses the core
 * only stores and echoes, where an outgoing datagram goes, and the events
 * a session reports to its owner (logs, status files, progress).
 *
 * Every session has the same shape (DESIGN.md): feed it a datagram with
 * its source and `now`; pull datagrams to send until it has none due; ask
 * for the next deadline; read its events through the callback.
 */
#ifndef UFT_SESSION_H
#define UFT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/timing.h"

/* A transport address as opaque bytes (a struct sockaddr_in/_in6 in the
 * programs, a node number in the simulator). The core copies and compares
 * it, nothing else. */
struct uft_peer {
    uint8_t len;
    uint8_t bytes[28];
};

/* Where a pulled datagram goes. */
enum uft_dst {
    UFT_DST_NONE = 0,
    UFT_DST_PUBLIC,  /* the public (announce) multicast address */
    UFT_DST_PRIVATE, /* the session's private multicast address */
    UFT_DST_PEER,    /* unicast to tx->peer */
    UFT_DST_GROUP,   /* a proxy's multicast to tx->group (the program adds the port) */
};

struct uft_tx {
    enum uft_dst dst;
    struct uft_peer peer; /* for UFT_DST_PEER */
    uint8_t group[16];    /* for UFT_DST_GROUP: 4 (IPv4) or 16 address bytes */
    bool group_v6;
};

enum uft_ev_type {
    UFT_EV_LOG = 1,           /* text at level */
    UFT_EV_CLIENT_REGISTERED, /* client_id registered */
    UFT_EV_CLIENT_ACTIVE,     /* client_id confirmed for the session */
    UFT_EV_FILE_START,        /* file_id starts (text = name) */
    UFT_EV_FILE_RESULT,       /* client_id finished file_id with status */
    UFT_EV_CLIENT_LOST,       /* client_id stopped answering */
    UFT_EV_CLIENT_ABORT,      /* client_id aborted (text = reason) */
    UFT_EV_PASS,              /* a new pass over file_id (count) */
    UFT_EV_SESSION_END,       /* the session is over (status = exit code) */
    UFT_EV_SESSION_START,     /* client: a server's session accepted (peer = its address) */
    UFT_EV_JOIN,              /* client: join the private group (addr) */
    UFT_EV_LEAVE,             /* client: leave it */
    UFT_EV_SESSION_FINAL,     /* client: every file is in and the final COMPLETE goes
                                 next; only the DONE_CONF is awaited */
};

/* Per-client outcome of a file, as the server reports it. Values 0..3 are
 * the COMPLETE statuses (enum uft_comp_status). */
enum {
    UFT_RESULT_LOST = 100,    /* never answered */
    UFT_RESULT_ABORTED = 101, /* aborted (by either side) */
};

struct uft_event {
    enum uft_ev_type type;
    int level; /* for UFT_EV_LOG: 0 (errors) .. 5 (debug) */
    uint32_t group_id;
    uint8_t group_inst;
    uint32_t client_id;
    uint32_t server_id; /* client events: the session's server */
    uint16_t file_id;
    int status;     /* FILE_RESULT: enum uft_comp_status or UFT_RESULT_*;
                       SESSION_END: the exit code */
    uint64_t count; /* bytes of the file, pass number */
    bool has_free;  /* FILE_RESULT: the client reported free_bytes */
    uint64_t free_bytes;
    uft_ts elapsed;              /* FILE_RESULT: time from file start to result */
    const char *text;            /* NUL-terminated, valid during the callback */
    const uint8_t *addr;         /* JOIN/LEAVE: 4 or 16 address bytes */
    const struct uft_peer *peer; /* SESSION_START: where the server's ANNOUNCE came from */
    bool ipv6;
};

typedef void (*uft_event_fn)(void *ctx, const struct uft_event *ev);

/* Exit codes, as UFTP's server documents them. */
enum uft_exit {
    UFT_EXIT_OK = 0,
    UFT_EXIT_PARAM = 1,
    UFT_EXIT_INTERRUPTED = 6,
    UFT_EXIT_NO_REGISTER = 7,
    UFT_EXIT_NO_FILEINFO = 8,
    UFT_EXIT_DROPPED = 9,
    UFT_EXIT_NO_FILES = 10,
};

#endif
