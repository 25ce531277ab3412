/*
 * The server's restart file (uftp -f writes it, uftp -F reads it): the
 * group ID and instance of a session that some clients failed, the file
 * operands it was given, and those clients. The layout is UFTP 5's on
 * little-endian 64-bit Linux, so a file written by either program
 * resumes in the other:
 *
 *   header  12 bytes: group ID (u32), instance (u8), 3 zero bytes,
 *           file count (i32)
 *   files   count x 300 bytes: each operand, NUL-padded
 *   hosts   156 bytes each, to the end: name (80, NUL-padded), ID (4,
 *           network order), has-fingerprint (i32), fingerprint (64;
 *           SHA-1 in the first 20), is-proxy (i32)
 *
 * Integers other than the host ID are little-endian.
 */
#ifndef UFT_APP_RESTART_H
#define UFT_APP_RESTART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RESTART_NAME_LEN  300
#define RESTART_MAX_FILES 10000
#define RESTART_MAX_HOSTS 100000

struct restart_host {
    uint32_t id;
    bool has_fp;
    uint8_t fp[20];
    bool is_proxy; /* a proxy whose clients failed (uftp -j) */
};

struct restart_info {
    uint32_t group_id;
    uint8_t group_inst;
    char **files; /* count entries, each NUL-terminated; owned */
    size_t n_files;
    struct restart_host *hosts; /* owned */
    size_t n_hosts;
};

/* Write `_group_GGGGGGGG_restart` in the working directory (through a
 * temporary name, so a reader never sees half a file). path gets its
 * name. 0, or -1 with err naming the file and the reason. */
int restart_write(const struct restart_info *ri, char *path, size_t pathlen, char *err,
                  size_t errlen);

/* Read a restart file into ri (free with restart_free). 0, or -1 with
 * err naming the file and what is wrong with it. */
int restart_read(const char *path, struct restart_info *ri, char *err, size_t errlen);

void restart_free(struct restart_info *ri);

#endif
