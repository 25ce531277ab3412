/* UFTP-style log lines. */
#include "sys/log.h"

#include <stdarg.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "core/err.h"

int uft_log_open(struct uft_log *l, const char *path, int level, bool timestamps)
{
    l->level = level;
    l->timestamps = timestamps;
    l->f = path ? fopen(path, "a") : stderr;
    if (!l->f)
        return UFT_E_IO;
    setvbuf(l->f, NULL, _IOLBF, 0);
    return 0;
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

void uft_log_write(struct uft_log *l, int level, uint32_t group, uint8_t inst, uint16_t file,
                   const char *text)
{
    if (!l->f || level > l->level)
        return;
    if (l->timestamps)
        stamp(l->f);
    if (group)
        fprintf(l->f, "[%08X/%02X:%X]: ", group, inst, file);
    fprintf(l->f, "%s\n", text);
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
