/*
 * Log lines in UFTP's format: "YYYY/MM/DD HH:MM:SS.uuuuuu: " then, inside
 * a session, "[GGGGGGGG/II:FFFF]: ", then the text. Levels 0..5 as UFTP's
 * -x. To stderr or to a file, which can be rolled over by size (-g/-n).
 */
#ifndef UFT_LOG_H
#define UFT_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct uft_log {
    FILE *f;
    int level;
    bool timestamps;
    /* rolling (uft_log_set_roll); zero: never */
    char path[4096];
    uint64_t max_bytes;
    int keep;
    bool to_stderr; /* the file is also the process's stderr */
};

/* Open path for appending (NULL: stderr). 0 or UFT_E_IO (errno set). */
int uft_log_open(struct uft_log *l, const char *path, int level, bool timestamps);

/* Roll the log file over (UFTP's -g/-n): after a write that leaves it
 * larger than max_bytes, path.<keep> is deleted, path.<i> renamed to
 * path.<i+1> from keep-1 down to 1, path renamed to path.1 and path
 * opened anew. l must have been opened on path; a log on stderr is never
 * rolled. When to_stderr is set, stderr is pointed at the file now and
 * at every new file, so stray messages land in the current log. 0, or
 * UFT_E_INVAL (no file, or keep < 1). */
int uft_log_set_roll(struct uft_log *l, const char *path, uint64_t max_bytes, int keep,
                     bool to_stderr);

/* One line; group 0 means "not in a session". */
void uft_log_write(struct uft_log *l, int level, uint32_t group, uint8_t inst, uint16_t file,
                   const char *text);

/* A formatted line outside any session (at most 1023 bytes of text). */
void uft_log_printf(struct uft_log *l, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
