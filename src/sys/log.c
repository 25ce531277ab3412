/*
 * UFTP-style log lines, and rolling the log file over by size. The FILE
 * stays the same object across a roll (freopen), so whoever holds it, such
 * as a status output sent to the log (-F @LOG), keeps writing to the
 * current file.
 */
#include "sys/log.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"

int uft_log_open(struct uft_log *l, const char *path, int level, bool timestamps)
{
    memset(l, 0, sizeof *l);
    l->level = level;
    l->timestamps = timestamps;
    l->f = path ? fopen(path, "ae") : stderr;
    if (!l->f)
        return UFT_E_IO;
    setvbuf(l->f, NULL, _IOLBF, 0);
    return 0;
}

int uft_log_set_roll(struct uft_log *l, const char *path, uint64_t max_bytes, int keep,
                     bool to_stderr)
{
    if (!l->f || l->f == stderr || !path || keep < 1 || strlen(path) + 8 > sizeof l->path)
        return UFT_E_INVAL;
    snprintf(l->path, sizeof l->path, "%s", path);
    l->max_bytes = max_bytes;
    l->keep = keep;
    l->to_stderr = to_stderr;
    if (to_stderr)
        dup2(fileno(l->f), STDERR_FILENO);
    return 0;
}

/* Roll when the file has grown past max_bytes. If the new file cannot be
 * opened, freopen has closed the old one: logging stops rather than
 * writing to an unknown place, and the failure goes to stderr. */
static void maybe_roll(struct uft_log *l)
{
    char from[sizeof l->path + 24], to[sizeof l->path + 24];
    struct stat sb;
    int i;
    if (!l->max_bytes || fstat(fileno(l->f), &sb) != 0 || (uint64_t)sb.st_size <= l->max_bytes)
        return;
    snprintf(to, sizeof to, "%s.%d", l->path, l->keep);
    unlink(to);
    for (i = l->keep - 1; i >= 1; i--) {
        snprintf(from, sizeof from, "%s.%d", l->path, i);
        snprintf(to, sizeof to, "%s.%d", l->path, i + 1);
        rename(from, to);
    }
    snprintf(to, sizeof to, "%s.1", l->path);
    rename(l->path, to);
    if (!freopen(l->path, "ae", l->f)) {
        int e = errno;
        l->f = NULL;
        fprintf(stderr, "cannot open log file %s after rolling it over: %s\n", l->path,
                strerror(e));
        return;
    }
    setvbuf(l->f, NULL, _IOLBF, 0);
    if (l->to_stderr)
        dup2(fileno(l->f), STDERR_FILENO);
}

static void stamp(FILE *f)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    fprintf(f, "%04d/%02d/%02d %02d:%02d:%02d.%06ld: ", tm.tm_year + 1900, tm.tm_mon + 1,
            tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)tv.tv_usec);
}

/* One line of text. Names from the network can hold anything, so a
 * control byte is written as \xHH: a name cannot end a log line early,
 * forge the next one, or send escape sequences to a terminal. */
static void put_text(FILE *f, const char *text)
{
    const unsigned char *p;
    for (p = (const unsigned char *)text; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\x%02X", *p);
        else
            putc(*p, f);
    }
    putc('\n', f);
}

void uft_log_write(struct uft_log *l, int level, uint32_t group, uint8_t inst, uint16_t file,
                   const char *text)
{
    if (!l->f || level > l->level)
        return;
    if (l->timestamps)
        stamp(l->f);
    if (group)
        fprintf(l->f, "[%08X/%02X:%X]: ", group, inst, file);
    put_text(l->f, text);
    maybe_roll(l);
}

void uft_log_printf(struct uft_log *l, int level, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    if (!l->f || level > l->level)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    uft_log_write(l, level, 0, 0, 0, text);
}
