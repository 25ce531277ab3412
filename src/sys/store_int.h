/*
 * Inside sys/store: what store.c (names, files, directories) and
 * store_session.c (sessions, -T moves, backups, restart records) share.
 * Nothing outside these two files includes it.
 */
#ifndef UFT_STORE_INT_H
#define UFT_STORE_INT_H

#include "sys/store.h"

#define STORE_MAX_NAME 300 /* UFTP's limit on a network name */
#define STORE_REL_CAP  400 /* a backup path: date, time and a network name */

/* States of a file a -T session remembers for a restart. */
enum store_state {
    ST_PARTIAL = 'P', /* part received, under its temporary name */
    ST_DONE = 'D',    /* complete, in the session directory */
    ST_PLACED = 'M',  /* complete and moved to the destination (-i) */
};

/* One file of a session's restart record. */
struct store_entry {
    char name[STORE_MAX_NAME + 1]; /* the network name */
    enum store_state state;
    uint16_t tmp_fid; /* ST_PARTIAL: the file ID in its temporary name */
    uint64_t size;
    uint32_t block_len, blocks; /* ST_PARTIAL: the blocks of have */
    uint8_t *have;              /* ST_PARTIAL: (blocks + 7) / 8 bytes; owned */
};

/* What the store knows about one group ID. */
struct uft_store_sess {
    struct uft_store_sess *next;
    uint32_t group;
    int64_t start;              /* wall-clock seconds of its first file (backup names) */
    int dir_fd;                 /* -T: <T>/_group_GGGGGGGG (O_PATH); -1 without -T */
    struct store_entry *ent;    /* -T: files a restart can reuse */
    size_t n_ent, cap_ent;      /* used and allocated entries */
    struct uft_store_file *cur; /* the file being received, for the periodic record */
    unsigned open_files;        /* handles out; two instances of a group can overlap */
    uint64_t record_at_ns;      /* monotonic time of the last record written */
};

struct uft_store_file {
    struct uft_store_sess *sess;
    int dir_fd;         /* the parent directory (owned) */
    int fd;             /* the temporary file; -1 once closed or when complete */
    char tmp_name[320]; /* its name in dir_fd */
    char final_name[256];
    char name[STORE_MAX_NAME + 1]; /* the network name */
    const char *rel;               /* name relative to its destination (into name) */
    size_t root;                   /* index of its destination directory */
    uint16_t tmp_fid;
    int64_t mtime;
    uint64_t size;
    bool complete;              /* -T restart: already received earlier */
    struct store_entry resume;  /* -T restart: what the earlier session had */
    uint32_t block_len, blocks; /* from file_have; 0 when never told */
    uint8_t *have;              /* blocks written, (blocks + 7) / 8 bytes; owned */
    uint32_t have_count;
    /* -c: blocks gathered into one pwrite; wlen bytes at woff not yet on disk */
    uint8_t *wbuf;
    size_t wcap, wlen;
    uint64_t woff;
};

/* Write out the gathered blocks of f (and only then count them as
 * stored). 0, or UFT_E_NOSPACE / UFT_E_IO with st->last_error. */
int uft_store_flush(struct uft_store *st, struct uft_store_file *f);

/* Record a failure in st->last_error (and st->last_errno = e); returns rc. */
int uft_store_fail(struct uft_store *st, int rc, int e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Pass a message to the configured log callback, if any. */
void uft_store_note(struct uft_store *st, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A short hint on what to do about errno e ("" when there is none). */
const char *uft_store_hint(int e);

/* Walk rel beneath the directory root, one component at a time without
 * following links, creating missing directories (0755) when create is set.
 * *dir gets an O_PATH fd of the parent (owned by the caller), base its
 * last component. shown names the path in messages. 0, UFT_E_VALUE (an
 * unsafe or unusable name) or UFT_E_IO; st->last_errno tells ENOENT apart. */
int uft_store_resolve(struct uft_store *st, int root, const char *rel, const char *shown,
                      bool create, int *dir, char *base, size_t base_cap);

/* Remove an entry, and everything below a directory, without following
 * links. 0 or -1 with errno. */
int uft_store_remove_tree(int dir, const char *base, int depth);

/* The session of group, made on first use (its -T directory opened and
 * its restart record read). NULL with last_error set when -T fails. */
struct uft_store_sess *uft_store_sess_get(struct uft_store *st, uint32_t group);

/* Forget every session (frees memory, touches no file). */
void uft_store_sess_free_all(struct uft_store *st);

/* -T restart: take up entry e for f (whose dir_fd and final_name are
 * set): a partial file is reopened under its old temporary name and its
 * bitmap kept in f->resume; a complete one marks f->complete. 0, or -1
 * when e no longer matches the disk (e is then dropped; receive anew). */
int uft_store_resume(struct uft_store *st, struct uft_store_file *f, struct store_entry *e);

/* -T restart: the entry for name and size, or NULL. */
struct store_entry *uft_store_sess_find(struct uft_store_sess *s, const char *name, uint64_t size);

/* -T: remember an entry (copied; have ownership moves in), replacing
 * any entry of the same name. 0 or UFT_E_NOMEM (have is then not taken). */
int uft_store_sess_add(struct uft_store_sess *s, const struct store_entry *e);

/* -T: drop entry i (frees its bitmap). */
void uft_store_sess_drop(struct uft_store_sess *s, size_t i);

/* -T: write the restart record when refresh_ns has passed since the last
 * one (always when force). Failures are logged, not returned. */
void uft_store_record_refresh(struct uft_store *st, struct uft_store_sess *s, bool force);

/* -A: keep what stands at base in dir (a file, link or, when is_delete, a
 * directory) under <A_root>/YYYYMMDD/HHMMSS/<rel>. Nothing there: 0. The
 * entry is still in place afterwards unless it was a directory. 0 or
 * UFT_E_IO with last_error naming both paths. */
int uft_store_backup(struct uft_store *st, struct uft_store_sess *s, size_t root, const char *rel,
                     int dir, const char *base, bool is_delete);

#endif
