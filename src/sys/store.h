/*
 * The receiver's disk: every name from the network is resolved beneath a
 * destination directory, one component at a time, never following a
 * symbolic link, so no name or link can make ufcast write outside the
 * destination. Files are received into a temporary name beside their
 * destination and renamed into place only when complete, so a partial
 * file never looks finished.
 *
 * Options of uftpd that act here:
 *  - a session temp directory (-T): a session's files are received in
 *    <T>/_group_GGGGGGGG/ and moved to the (single) destination when the
 *    session completes: whole top-level entries, merging directories, or
 *    each file as it completes (-i). A session that fails keeps its
 *    partial files and writes <T>/_group_GGGGGGGG_restart, so a later
 *    session with the same group ID resumes them (see store_session.c for
 *    the record's format);
 *  - backups (-A): a file about to be replaced or deleted is first kept
 *    under <A_i>/YYYYMMDD/HHMMSS/<path beneath D_i>.
 */
#ifndef UFT_STORE_H
#define UFT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UFT_STORE_MAX_DIRS 10

/* Told when entries land in a destination directory: each file as it is
 * committed (without -T, or with -T and -i), or every top-level entry of a
 * -T session when it completes. Paths are absolute, valid during the call. */
typedef void (*uft_store_placed_fn)(void *ctx, uint32_t group, const char *const *paths, size_t n);

/* Told about problems no return value carries: a move at the end of a
 * session, a backup, a restart record that cannot be read or written.
 * level: 0 errors, 1 warnings, 2 information (as uft_log). */
typedef void (*uft_store_log_fn)(void *ctx, int level, const char *text);

struct uft_store_cfg {
    const char *const *dirs;    /* -D: absolute destination directories */
    size_t n_dirs;              /* 1..UFT_STORE_MAX_DIRS */
    const char *const *backups; /* -A: one per destination, or NULL */
    size_t n_backups;           /* 0 or n_dirs */
    const char *temp_dir;       /* -T: absolute, or NULL; needs n_dirs == 1 */
    bool move_each;             /* -i: with -T, move each file as it completes */
    uint64_t refresh_ns;        /* -T: rewrite the restart record this often
                                   while receiving; 0: every 5 s */
    size_t cache_bytes;         /* -c: gather writes up to this size; 0: 1 MiB */
    uft_store_placed_fn placed; /* optional */
    uft_store_log_fn log;       /* optional */
    void *ctx;                  /* for placed and log */
};

struct uft_store_sess;
struct uft_store_file; /* an open incoming file (opaque) */

/* Fields are the store's own; callers read refused and last_error. */
struct uft_store {
    int dir_fd[UFT_STORE_MAX_DIRS];
    const char *dir[UFT_STORE_MAX_DIRS];
    size_t n_dirs;
    int backup_fd[UFT_STORE_MAX_DIRS];
    const char *backup[UFT_STORE_MAX_DIRS];
    size_t n_backups;
    int temp_fd; /* -T, or -1 */
    const char *temp_dir;
    bool move_each;
    uint64_t refresh_ns;
    size_t cache_bytes;
    uft_store_placed_fn placed;
    uft_store_log_fn log;
    void *ctx;
    struct uft_store_sess *sessions; /* one per group ID seen, until its end */
    uint64_t refused;                /* names refused (unsafe or unusable) */
    int last_errno;
    char last_error[512];
};

/* Open the destination directories (absolute paths), nothing else
 * configured. 0, UFT_E_INVAL or UFT_E_IO with last_error naming the
 * directory. The strings must outlive the store. */
int uft_store_open(struct uft_store *st, const char *const *dirs, size_t n);

/* Open with every option. The -T, -A and -D directories must exist; -T
 * must be on the same file system as the destination (checked by moving
 * a probe file). 0, UFT_E_INVAL or UFT_E_IO with last_error saying which
 * directory and what to do. The strings must outlive the store. */
int uft_store_open_cfg(struct uft_store *st, const struct uft_store_cfg *cfg);

/* Close the directories and forget every session without touching the
 * disk. Files still open must have been ended first. */
void uft_store_close(struct uft_store *st);

/* The decision for a regular file and, when it is to be received, its
 * temporary file. sync: UFTP's sync mode (skip older or identical files).
 * With -T, a file a failed session of the same group left behind (same
 * name and size) is resumed; uft_store_file_have then reports its blocks.
 * Returns a COMPLETE status (UFT_COMP_*). On UFT_COMP_REJECTED,
 * st->last_error says why. */
int uft_store_begin(struct uft_store *st, const char *name, uint64_t size, int64_t mtime,
                    uint32_t group, uint16_t file_id, bool sync, bool preview,
                    struct uft_store_file **out);

/* The engine's block layout of f: set bit i of have (LSB first) for every
 * block already stored by an earlier session; from now on the store
 * tracks the blocks written, for the restart record. */
void uft_store_file_have(struct uft_store *st, struct uft_store_file *f, uint32_t block_len,
                         uint32_t blocks, uint8_t *have);

/* Write data at off. 0, UFT_E_NOSPACE (disk full) or UFT_E_IO, with
 * last_error naming the file. */
int uft_store_write(struct uft_store *st, struct uft_store_file *f, uint64_t off,
                    const uint8_t *data, size_t len);

/* Read back len bytes at off of what was written to f so far (for FEC
 * decoding and the file-hash check). 0, or UFT_E_IO with last_error
 * naming the file (a short read is an error). */
int uft_store_read(struct uft_store *st, struct uft_store_file *f, uint64_t off, uint8_t *buf,
                   size_t len);

/* commit: set the mtime, keep any file it replaces (-A), and rename it
 * into place (with -T -i: into the destination). Otherwise the partial
 * file is removed, or with -T kept for a restart. Frees f. 0 or
 * UFT_E_IO with last_error; on error nothing stands under the final name
 * that was not there before. */
int uft_store_end(struct uft_store *st, struct uft_store_file *f, bool commit);

/* Directory, symbolic link, delete (kept first with -A); each returns a
 * COMPLETE status, with last_error set on UFT_COMP_REJECTED. */
int uft_store_mkdir(struct uft_store *st, uint32_t group, const char *name);
int uft_store_symlink(struct uft_store *st, uint32_t group, const char *name, const char *target);
int uft_store_delete(struct uft_store *st, uint32_t group, const char *name);

/* The session of group has ended (ok: completed). With -T: on success its
 * files are moved to the destination and its directory and restart record
 * removed; on failure the partial files stay and the restart record is
 * written. While a file of the group is still open (another instance of
 * it, such as a restart that began before this one timed out), only the
 * record is written and the last instance to end does the rest. Problems
 * go to the log callback. Unknown groups are ignored. */
void uft_store_session_end(struct uft_store *st, uint32_t group, bool ok);

/* -T: every file of group is in and the session's final COMPLETE goes
 * next. A marker, synced, says so in the temp directory: when uftpd is
 * stopped before the DONE_CONF (SIGKILL, a crash, a power cut), the server
 * still counts this client as done and never sends the group again, so
 * uft_store_recover moves the files into place at the next start, as the
 * DONE_CONF would have. The session's end removes the marker. */
void uft_store_session_final(struct uft_store *st, uint32_t group);

/* -T, at start: finish every group whose marker is there (its files into
 * the destination, its directory and restart record removed). Each is
 * logged. Returns how many groups were finished. */
int uft_store_recover(struct uft_store *st);

/* Free bytes where relative names go. */
uint64_t uft_store_free(const struct uft_store *st);

#endif
