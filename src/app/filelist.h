/*
 * The server's file list: what uftp's operands (or its -i list) mean,
 * expanded into the entries the session sends, with the names clients
 * will see. Directories are walked (in name order, so runs repeat), empty
 * directories become directory entries, symbolic links are sent as links
 * unless -l, "@DELETE:path" and "@FREESPACE" are UFTP's meta entries; -E
 * strips base directories, -D renames, -X excludes.
 */
#ifndef UFT_FILELIST_H
#define UFT_FILELIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fl_entry {
    char *src;     /* local path to read; NULL for delete / free-space entries */
    char *name;    /* name sent to the clients */
    uint8_t ftype; /* enum uft_ftype */
    uint64_t size;
    int64_t mtime;
    char *link; /* link target for UFT_FTYPE_LINK */
};

struct fl_opts {
    bool follow_links;            /* -l */
    const char *dest_name;        /* -D */
    bool dest_is_dir;             /* -o */
    const char *const *base_dirs; /* -E */
    size_t n_base;
    const char *const *exclude; /* -X lines */
    size_t n_exclude;
    void (*warn)(void *ctx, const char *msg); /* skipped entries, with the reason */
    void *ctx;
};

struct fl_list {
    struct fl_entry *v;
    size_t n, cap;
};

/* Expand operands into list (appending). Returns 0, or a negative uft_err
 * for out-of-memory; unreadable or unsuitable paths are skipped with a
 * warning, as UFTP does. */
int filelist_build(const struct fl_opts *o, char *const *operands, size_t n, struct fl_list *list);
void filelist_free(struct fl_list *list);

/* Read a list file (one entry per line; "-" is stdin), dropping empty
 * lines and trailing CR/LF. *lines and its strings are freed with
 * filelist_free_lines(). Returns 0 or UFT_E_IO / UFT_E_NOMEM. */
int filelist_read_lines(const char *path, char ***lines, size_t *n);
void filelist_free_lines(char **lines, size_t n);

#endif
