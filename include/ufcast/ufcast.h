/*
 * ufcast: send and receive files over UDP multicast with UFTP (protocol
 * versions 5 and 4) from your own program.
 *
 * A sender or receiver is an opaque object. Set options, either typed
 * (the common ones) or with UFTP's own option letters and values, exactly
 * as uftp(1) and uftpd(1) take them; add files; set an event callback;
 * then run it. A run blocks the calling thread until the session ends
 * (sender) or until it is stopped (receiver), and returns UFTP's exit
 * code. The events are the ones `--json` writes, one per JSON line, with
 * the same names and fields; the callback gets them decoded and as the
 * JSON line itself.
 *
 *   struct ufcast_sender *s = ufcast_sender_new();
 *   ufcast_sender_set_option(s, "R", "100000");  // -R 100000
 *   ufcast_sender_add_path(s, "/data/report.pdf");
 *   ufcast_sender_set_callback(s, on_event, ctx);
 *   int code = ufcast_sender_run(s);             // 0: every receiver has it
 *   ufcast_sender_free(s);
 *
 * Functions that return int return 0 on success or a negative errno value
 * (-EINVAL: a bad argument, -ENOMEM, -EBUSY: the object is running).
 * Strings passed in are copied. The library never sets signal handlers,
 * never forks and never exits; it logs as the programs do (to standard
 * error unless the option letters say otherwise: "x" for the level, "L"
 * for a file on the sender). Link with `pkg-config --libs ufcast`.
 */
#ifndef UFCAST_UFCAST_H
#define UFCAST_UFCAST_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(UFCAST_BUILDING)
#define UFCAST_API __attribute__((visibility("default")))
#else
#define UFCAST_API
#endif

/* The library's version, "MAJOR.MINOR.PATCH". */
UFCAST_API const char *ufcast_version(void);

/* ---------- events ---------- */

enum ufcast_event_type {
    UFCAST_EV_OTHER = 0,         /* an event newer than this header */
    UFCAST_EV_SESSION_START,     /* a session begins */
    UFCAST_EV_CLIENT_REGISTERED, /* sender: a receiver registered */
    UFCAST_EV_FILE_START,        /* a file begins */
    UFCAST_EV_FILE_DONE,         /* a file ended, for one receiver (status) */
    UFCAST_EV_PASS,              /* sender: a repair pass begins */
    UFCAST_EV_CLIENT_COMPLETE,   /* sender: a receiver finished the session */
    UFCAST_EV_CLIENT_FAILED,     /* sender: a receiver failed (status, reason) */
    UFCAST_EV_SESSION_END,       /* the session ended: the summary */
};

/* One event. Valid only during the callback. Fields an event does not
 * carry are 0 or NULL; uftp(1) and uftpd(1) (section JSON) list which
 * event carries which field. */
struct ufcast_event {
    enum ufcast_event_type type;
    const char *name;                    /* the JSON "event": "session_start", "file_done", ... */
    const char *json;                    /* the whole JSON line, as --json writes it */
    uint32_t group_id;                   /* "group" */
    uint32_t server_id;                  /* "server" */
    uint32_t client_id;                  /* "client" */
    uint32_t file_id;                    /* "file" */
    const char *file_name;               /* "name" (U+FFFD for bytes that are not UTF-8) */
    const char *status;                  /* "copy", "overwritten", "skipped", "rejected", "lost",
                                            "aborted", "mute" (sender); "complete" or "failed"
                                            (receiver's session_end) */
    const char *reason;                  /* why a receiver or session failed, when known */
    uint64_t size;                       /* file_start/file_done: the file's size */
    uint64_t bytes;                      /* file_done: bytes that arrived; session: total size */
    uint32_t pass;                       /* pass: 2 and up */
    int exit_code;                       /* sender's session_end: what ufcast_sender_run returns */
    uint64_t clients, completed, failed; /* sender's session_end */
};

/* Called on the thread that runs the session. It may call
 * ufcast_*_stop() but must not free the object. */
typedef void (*ufcast_event_fn)(void *ctx, const struct ufcast_event *ev);

/* ---------- sending ---------- */

struct ufcast_sender;

/* A new sender with UFTP's defaults, or NULL (out of memory). */
UFCAST_API struct ufcast_sender *ufcast_sender_new(void);

/* Free s, which must not be running (free it after its run returned).
 * NULL is ignored. */
UFCAST_API void ufcast_sender_free(struct ufcast_sender *s);

/* Any uftp(1) option: opt is its letter ("R", with or without the '-')
 * or a long option ("--json", "--no-progress"); value is its argument, or
 * NULL for options without one. Checked when the run starts (an unknown
 * option or bad value makes the run return 1 and log why). Setting the
 * same option twice keeps the last value. */
UFCAST_API int ufcast_sender_set_option(struct ufcast_sender *s, const char *opt,
                                        const char *value);

/* Typed setters for the common options. */
UFCAST_API int ufcast_sender_set_rate_kbps(struct ufcast_sender *s, uint32_t kbps); /* -R */
UFCAST_API int ufcast_sender_set_port(struct ufcast_sender *s, uint16_t port);      /* -p */
/* -M: where sessions are announced: a multicast group or a host */
UFCAST_API int ufcast_sender_set_address(struct ufcast_sender *s, const char *addr);
/* -I: the interface (name or address) to send on */
UFCAST_API int ufcast_sender_set_interface(struct ufcast_sender *s, const char *iface);
/* -Y: "none" (no encryption), "aes256-gcm", ... */
UFCAST_API int ufcast_sender_set_encryption(struct ufcast_sender *s, const char *keytype);
/* -H: the receivers of a closed group, "0x0A000001,0x0A000002" or "@file" */
UFCAST_API int ufcast_sender_set_receivers(struct ufcast_sender *s, const char *hosts);
UFCAST_API int ufcast_sender_set_id(struct ufcast_sender *s, uint32_t id);      /* -U */
UFCAST_API int ufcast_sender_set_log_level(struct ufcast_sender *s, int level); /* -x */

/* Add a file or directory (sent recursively) to send, as an operand. */
UFCAST_API int ufcast_sender_add_path(struct ufcast_sender *s, const char *path);

/* Events go to fn(ctx, ev); NULL: none. */
UFCAST_API int ufcast_sender_set_callback(struct ufcast_sender *s, ufcast_event_fn fn, void *ctx);

/* Send one session and return uftp's exit code: 0 every receiver got
 * every file; 1 bad options or files; 2 a socket could not be set up;
 * 7 no receiver registered; 8/9 some or all receivers failed; see
 * uftp(1). -EBUSY when already running, -ENOMEM. */
UFCAST_API int ufcast_sender_run(struct ufcast_sender *s);

/* End a running session as SIGINT ends uftp (receivers are aborted).
 * Safe from the callback and from any thread. */
UFCAST_API void ufcast_sender_stop(struct ufcast_sender *s);

/* ---------- receiving ---------- */

struct ufcast_receiver;

/* A new receiver with uftpd's defaults, or NULL (out of memory). */
UFCAST_API struct ufcast_receiver *ufcast_receiver_new(void);
/* Free r, which must not be running. NULL is ignored. */
UFCAST_API void ufcast_receiver_free(struct ufcast_receiver *r);

/* Any uftpd(1) option, as ufcast_sender_set_option. -d (foreground) is
 * always given; the receiver never becomes a daemon. */
UFCAST_API int ufcast_receiver_set_option(struct ufcast_receiver *r, const char *opt,
                                          const char *value);

UFCAST_API int ufcast_receiver_set_dest_dir(struct ufcast_receiver *r, const char *dir); /* -D */
UFCAST_API int ufcast_receiver_set_port(struct ufcast_receiver *r, uint16_t port);       /* -p */
UFCAST_API int ufcast_receiver_set_id(struct ufcast_receiver *r, uint32_t id);           /* -U */
/* -I: the interfaces to listen on, "eth0,10.0.0.2" */
UFCAST_API int ufcast_receiver_set_interface(struct ufcast_receiver *r, const char *ifaces);
UFCAST_API int ufcast_receiver_set_log_level(struct ufcast_receiver *r, int level); /* -x */
UFCAST_API int ufcast_receiver_set_callback(struct ufcast_receiver *r, ufcast_event_fn fn,
                                            void *ctx);

/* Stop by itself after n sessions ended (complete or failed); 0: run
 * until ufcast_receiver_stop(). */
UFCAST_API int ufcast_receiver_set_max_sessions(struct ufcast_receiver *r, unsigned n);

/* Receive until stopped or max_sessions ended. 0 when it stopped as
 * asked; otherwise uftpd's exit code (1 bad options, 2 the socket...).
 * -EBUSY when already running, -ENOMEM. */
UFCAST_API int ufcast_receiver_run(struct ufcast_receiver *r);

/* Make a run return soon (within a second; at once when idle). Safe
 * from the callback and from any thread; a stop before the run starts
 * makes it return at once. */
UFCAST_API void ufcast_receiver_stop(struct ufcast_receiver *r);

#ifdef __cplusplus
}
#endif

#endif
