/*
 * JSON status output (--json FILE): one JSON object per line, one line per
 * event of a session, for scripts and monitoring. Every object has
 * "event" (its kind), "time" (UTC, ISO 8601 with milliseconds) and
 * "group" (the group ID as "0x%08X"); the other fields are listed with
 * each writer below and in uftp(1) and uftpd(1). IDs are strings in the
 * form "0x0A000001", as in the log; sizes and byte counts are integers;
 * durations are seconds with millisecond precision.
 *
 * File names are bytes from the file system or the network, not always
 * UTF-8, and JSON text must be. A name that is valid UTF-8 is written as
 * it is (JSON escapes quotes, backslashes and control characters); in
 * one that is not, each byte that does not belong to a valid UTF-8
 * sequence becomes U+FFFD in "name", and "name_hex" carries the exact
 * bytes as lowercase hex. Texts from the network (abort reasons) get the
 * same replacement, without the hex.
 *
 * The writer flushes each line, so `tail -f` sees events as they happen.
 * The core knows nothing of JSON; the programs map its events here.
 */
#ifndef UFT_APP_JSONEV_H
#define UFT_APP_JSONEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct jsonev;

/* Open path for appending, or standard output for "-". NULL with errno
 * set when the file cannot be opened (or ENOMEM). */
struct jsonev *jsonev_open(const char *path);

/* Write to f, which stays the caller's (not closed); f NULL: write
 * nowhere but to a sink (jsonev_set_sink). NULL: ENOMEM. */
struct jsonev *jsonev_new(FILE *f);

/* Also hand each line (without its newline, valid only during the call)
 * to fn(ctx, line): the library API's event callback. jsonev_new(NULL)
 * makes a writer with only a sink. */
typedef void (*jsonev_sink_fn)(void *ctx, const char *line);
void jsonev_set_sink(struct jsonev *j, jsonev_sink_fn fn, void *ctx);

/* Close the output (unless borrowed) and free j. 0, or -1 when any line
 * could not be written (disk full, a closed pipe). NULL is ignored. */
int jsonev_close(struct jsonev *j);

/* 0, or once a line could not be written the errno of that failure
 * (lines after it are dropped). */
int jsonev_error(const struct jsonev *j);

/* The word for a per-client file outcome: "copy", "overwritten",
 * "skipped", "rejected" (UFT_COMP_*), "lost", "aborted" (UFT_RESULT_*),
 * "unknown" for anything else. */
const char *jsonev_status_word(int status);

/* Length of the valid UTF-8 sequence (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) that starts at p (n > 0 bytes
 * left), or 0 when p[0] starts none. Shared with the progress lines. */
size_t jsonev_utf8_len(const unsigned char *p, size_t n);

/* The word for a file type (enum uft_ftype): "file", "dir", "link",
 * "delete", "freespace" or "unknown". */
const char *jsonev_type_word(int ftype);

/* ---- the sender (uftp) ---- */

struct jsonev_session {
    uint32_t group_id, server_id;
    int version;            /* protocol: 5 or 4 */
    const char *encryption; /* "none", or the cipher as -Y names it */
    uint64_t files;         /* entries to send */
    uint64_t bytes;         /* their total size */
};
/* "session_start": server, version, encryption, files, bytes. */
void jsonev_session_start(struct jsonev *j, const struct jsonev_session *s);

/* "client_registered": client. */
void jsonev_client_registered(struct jsonev *j, uint32_t group_id, uint32_t client_id);

/* "client_complete": client (it finished the whole session). */
void jsonev_client_complete(struct jsonev *j, uint32_t group_id, uint32_t client_id);

/* "client_failed": client, status ("lost" or "aborted"; "mute" when the
 * session ends with a client that never registered and no event said
 * so), reason (text, may be NULL: then omitted). */
void jsonev_client_failed(struct jsonev *j, uint32_t group_id, uint32_t client_id,
                          const char *status, const char *reason);

/* "file_start": file (its ID), name[, name_hex], type, size. */
void jsonev_file_start(struct jsonev *j, uint32_t group_id, uint16_t file_id, const char *name,
                       int ftype, uint64_t size);

struct jsonev_file_done {
    uint32_t group_id;
    uint32_t server_id; /* receiver: the session's server ("server"); sender: 0, omitted */
    uint32_t client_id; /* sender: the client ("client"); receiver: 0, omitted */
    uint16_t file_id;
    const char *name; /* NULL: omitted */
    int status;       /* UFT_COMP_* or UFT_RESULT_*, written as jsonev_status_word */
    uint64_t size;    /* the file's size */
    uint64_t bytes;   /* bytes that arrived (size for copy/overwritten, else 0) */
    double seconds;   /* from the file's start to this result */
    bool has_free;    /* the client reported its free space */
    uint64_t free_bytes;
};
/* "file_done": [server,] [client,] file, name[, name_hex], status, size,
 * bytes, seconds, bytes_per_second (bytes / seconds; 0 when seconds is
 * 0)[, free_bytes]. */
void jsonev_file_done(struct jsonev *j, const struct jsonev_file_done *f);

/* "pass": file, pass (2 and up: a repair pass begins). */
void jsonev_pass(struct jsonev *j, uint32_t group_id, uint16_t file_id, uint32_t pass);

struct jsonev_summary {
    uint32_t group_id;
    int exit_code;
    uint64_t clients;         /* receivers known (proxies are none) */
    uint64_t completed;       /* of them, finished the session */
    uint64_t failed;          /* of them, mute, lost or aborted */
    uint64_t files;           /* entries sent */
    uint64_t bytes;           /* their total size */
    uint64_t bytes_delivered; /* sum over receivers of bytes copied or overwritten */
    uint64_t data_packets;    /* data datagrams sent, repairs included */
    double seconds;           /* the whole session */
};
/* "session_end": exit, clients, completed, failed, files, bytes,
 * bytes_delivered, data_packets, seconds. The last line of a session. */
void jsonev_session_end(struct jsonev *j, const struct jsonev_summary *s);

/* ---- the receiver (uftpd) ---- */

/* "session_start": server, address (the server's, as text). */
void jsonev_rx_session_start(struct jsonev *j, uint32_t group_id, uint32_t server_id,
                             const char *address);

/* "session_end": server, status ("complete" or "failed")[, reason]. */
void jsonev_rx_session_end(struct jsonev *j, uint32_t group_id, uint32_t server_id, bool ok,
                           const char *reason);

#endif
