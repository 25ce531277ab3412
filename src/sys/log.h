/*
 * Log lines in UFTP's format: "YYYY/MM/DD HH:MM:SS.uuuuuu: " then, inside
 * a session, "[GGGGGGGG/II:FFFF]: ", then the text. Levels 0..5 as UFTP's
 * -x. To stderr or to a file.
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
};

/* Open path for appending (NULL: stderr). 0 or UFT_E_IO. */
int uft_log_open(struct uft_log *l, const char *path, int level, bool timestamps);

/* One line; group 0 means "not in a session". */
void uft_log_write(struct uft_log *l, int level, uint32_t group, uint8_t inst, uint16_t file,
                   const char *text);

void uft_log_printf(struct uft_log *l, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
