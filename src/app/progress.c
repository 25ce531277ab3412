/*
 * Progress lines on a terminal. The lines sit below everything else; the
 * cursor stays at the end of the last one (no newline), so clearing them
 * is: back to column 0, up to the first line, erase to the end of the
 * screen. Lines are cut to the terminal's width, because a line that
 * wrapped would take more rows than the clear goes up. The log reaches
 * the terminal through a stdio cookie stream, which clears the lines
 * before passing each write on; sys/log needs to know nothing of this.
 */
#include "app/progress.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "app/jsonev.h"

struct progress {
    int fd;
    FILE *log;
    char lines[PROGRESS_MAX_LINES][PROGRESS_LINE_CAP];
    size_t n_lines;
    size_t drawn;   /* lines on the terminal now */
    bool mid_line;  /* the last write through the log did not end a line */
    uft_ts last_at; /* last refresh */
    bool shown;     /* progress_show was called at least once */
};

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* a terminal that is gone: nothing better to do */
        buf += n;
        len -= (size_t)n;
    }
}

/* The escape sequence that removes the drawn lines, into buf. */
static size_t clear_seq(const struct progress *p, char *buf, size_t cap)
{
    size_t k = (size_t)snprintf(buf, cap, "\r");
    if (p->drawn > 1)
        k += (size_t)snprintf(buf + k, cap - k, "\033[%zuA", p->drawn - 1);
    k += (size_t)snprintf(buf + k, cap - k, "\033[J");
    return k;
}

void progress_clear(struct progress *p)
{
    char buf[32];
    if (!p || !p->drawn)
        return;
    write_all(p->fd, buf, clear_seq(p, buf, sizeof buf));
    p->drawn = 0;
}

static ssize_t log_write(void *cookie, const char *buf, size_t len)
{
    struct progress *p = cookie;
    progress_clear(p);
    write_all(p->fd, buf, len);
    if (len)
        p->mid_line = buf[len - 1] != '\n';
    return (ssize_t)len;
}

struct progress *progress_new(int fd)
{
    static const cookie_io_functions_t io = {.write = log_write};
    struct progress *p;
    if (!isatty(fd) || !(p = calloc(1, sizeof *p)))
        return NULL;
    p->fd = fd;
    if ((p->log = fopencookie(p, "w", io)) != NULL)
        setvbuf(p->log, NULL, _IOLBF, 0);
    return p;
}

void progress_free(struct progress *p)
{
    if (!p)
        return;
    if (p->log)
        fclose(p->log);
    progress_clear(p);
    free(p);
}

FILE *progress_log_stream(struct progress *p)
{
    return p ? p->log : NULL;
}

bool progress_due(const struct progress *p, uft_ts now)
{
    return p && (!p->shown || now - p->last_at >= PROGRESS_PERIOD_NS);
}

static size_t term_cols(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

/* Copy src into out, at most cols columns. A character beyond ASCII may
 * be wide, so it counts as two columns: a cut line never wraps. */
static size_t cut(char *out, size_t cap, const char *src, size_t cols)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t n = strlen(src), i = 0, k = 0, used = 0;
    while (i < n) {
        size_t len = jsonev_utf8_len(s + i, n - i), w = s[i] < 0x80 ? 1 : 2;
        if (len == 0 || s[i] < 0x20 || s[i] == 0x7f)
            len = 1, w = 1; /* progress_fmt_name made these '?' already */
        if (used + w > cols || k + len >= cap)
            break;
        memcpy(out + k, s + i, len);
        k += len;
        i += len;
        used += w;
    }
    out[k] = '\0';
    return k;
}

void progress_show(struct progress *p, uft_ts now, const char *const *lines, size_t n)
{
    char buf[PROGRESS_MAX_LINES * (PROGRESS_LINE_CAP + 1) + 32];
    size_t i, k = 0, cols;
    if (!p)
        return;
    p->last_at = now;
    p->shown = true;
    if (n > PROGRESS_MAX_LINES)
        n = PROGRESS_MAX_LINES;
    for (i = 0; i < n; i++)
        snprintf(p->lines[i], sizeof p->lines[i], "%s", lines[i]);
    p->n_lines = n;
    if (p->mid_line)
        return; /* the log is in the middle of a line: wait for its end */
    cols = term_cols(p->fd) - 1;
    if (p->drawn)
        k = clear_seq(p, buf, sizeof buf);
    for (i = 0; i < n; i++) {
        if (i)
            buf[k++] = '\n';
        k += cut(buf + k, sizeof buf - k, p->lines[i], cols);
    }
    write_all(p->fd, buf, k);
    p->drawn = n;
}

double progress_rate_update(struct progress_rate *r, uft_ts now, uint64_t value)
{
    double dt, inst, w;
    if (!r->primed || value < r->last || now <= r->at) {
        if (!r->primed || value < r->last)
            r->per_sec = 0;
        r->primed = true;
        r->at = now;
        r->last = value;
        return r->per_sec;
    }
    dt = (double)(now - r->at) / 1e9;
    inst = (double)(value - r->last) / dt;
    /* weight by elapsed time: about a one-second memory at any refresh rate */
    w = dt >= 1.0 ? 1.0 : dt;
    r->per_sec = r->per_sec > 0 ? (1 - w) * r->per_sec + w * inst : inst;
    r->at = now;
    r->last = value;
    return r->per_sec;
}

void progress_fmt_bytes(char *buf, size_t cap, double bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    size_t u = 0;
    while (bytes >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        bytes /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%.0f B", bytes);
    else
        snprintf(buf, cap,
                 bytes < 10    ? "%.2f %s"
                 : bytes < 100 ? "%.1f %s"
                               : "%.0f %s",
                 bytes, units[u]);
}

void progress_fmt_eta(char *buf, size_t cap, double seconds)
{
    unsigned long s;
    if (!(seconds >= 0) || seconds > 99 * 3600.0) {
        snprintf(buf, cap, "--:--");
        return;
    }
    s = (unsigned long)lround(seconds);
    if (s >= 3600)
        snprintf(buf, cap, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, cap, "%lu:%02lu", s / 60, s % 60);
}

void progress_fmt_name(char *buf, size_t cap, const char *name, size_t max_cols)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t n = strlen(name), i, k = 0, cols = 0, start = 0;
    if (cap == 0)
        return;
    /* columns of each character, to find where the kept tail begins */
    for (i = 0; i < n;) {
        size_t len = jsonev_utf8_len(s + i, n - i);
        i += len && s[i] >= 0x20 && s[i] != 0x7f ? len : 1;
        cols++;
    }
    if (cols > max_cols && max_cols > 3) {
        size_t skip = cols - (max_cols - 3);
        k = (size_t)snprintf(buf, cap, "...");
        for (i = 0; i < n && skip > 0; skip--) {
            size_t len = jsonev_utf8_len(s + i, n - i);
            i += len && s[i] >= 0x20 && s[i] != 0x7f ? len : 1;
        }
        start = i;
    }
    for (i = start; i < n && k + 4 < cap;) {
        size_t len = jsonev_utf8_len(s + i, n - i);
        if (len == 0 || s[i] < 0x20 || s[i] == 0x7f) {
            buf[k++] = '?';
            i++;
            continue;
        }
        memcpy(buf + k, s + i, len);
        k += len;
        i += len;
    }
    buf[k < cap ? k : cap - 1] = '\0';
}
