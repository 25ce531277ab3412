/*
 * The receiver's disk: every name from the network is resolved beneath a
 * destination directory, one component at a time, never following a
 * symbolic link, so no name or link can make ufcast write outside the
 * destination. Files are received into a temporary name beside their
 * destination and renamed into place only when complete, so a partial
 * file never looks finished.
 */
#ifndef UFT_STORE_H
#define UFT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UFT_STORE_MAX_DIRS 10

struct uft_store {
    int dir_fd[UFT_STORE_MAX_DIRS];
    const char *dir[UFT_STORE_MAX_DIRS];
    size_t n_dirs;
    uint64_t refused; /* names refused (unsafe or unusable) */
    char last_error[512];
};

/* An open incoming file. */
struct uft_store_file {
    int dir_fd;         /* the parent directory (owned) */
    int fd;             /* the temporary file */
    char tmp_name[320]; /* its name in dir_fd */
    char final_name[256];
    int64_t mtime;
    uint64_t size;
};

/* Open the destination directories (absolute paths). 0 or UFT_E_IO with
 * last_error naming the directory. */
int uft_store_open(struct uft_store *st, const char *const *dirs, size_t n);
void uft_store_close(struct uft_store *st);

/* The decision for a regular file and, when it is to be received, its
 * temporary file. sync: UFTP's sync mode (skip older or identical files).
 * Returns a COMPLETE status (UFT_COMP_*). On UFT_COMP_REJECTED,
 * st->last_error says why. */
int uft_store_begin(struct uft_store *st, const char *name, uint64_t size, int64_t mtime,
                    uint32_t group, uint16_t file_id, bool sync, bool preview,
                    struct uft_store_file **out);
int uft_store_write(struct uft_store *st, struct uft_store_file *f, uint64_t off,
                    const uint8_t *data, size_t len);
/* commit: set the mtime and rename into place; otherwise remove. Frees f. */
int uft_store_end(struct uft_store *st, struct uft_store_file *f, bool commit);

/* Directory, symbolic link, delete; each returns a COMPLETE status. */
int uft_store_mkdir(struct uft_store *st, const char *name);
int uft_store_symlink(struct uft_store *st, const char *name, const char *target);
int uft_store_delete(struct uft_store *st, const char *name);

/* Free bytes where relative names go. */
uint64_t uft_store_free(const struct uft_store *st);

#endif
