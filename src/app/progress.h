/*
 * Live progress on a terminal: a few lines at the bottom of stderr,
 * redrawn in place at most four times a second, that share the terminal
 * with the log. The log writes through a stream that clears the lines
 * before each write, so a log line never lands in the middle of them;
 * they come back at the next refresh. The programs decide what the lines
 * say (from their session's events and counters); this file draws them
 * and offers the small formatting helpers they share (sizes, rates, ETA,
 * names from the network made safe to print).
 */
#ifndef UFT_APP_PROGRESS_H
#define UFT_APP_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/timing.h"

#define PROGRESS_MAX_LINES 4
#define PROGRESS_LINE_CAP  512
#define PROGRESS_PERIOD_NS 250000000u /* at most four refreshes a second */

struct progress;

/* A progress area on the terminal behind fd (normally 2). NULL when fd
 * is not a terminal, or when out of memory: the caller then shows
 * nothing. */
struct progress *progress_new(int fd);

/* Clear the lines and free p (and its log stream: the caller stops using
 * it first). NULL is ignored. */
void progress_free(struct progress *p);

/* The stream the log should write to while p exists: it writes to p's
 * terminal, clearing the lines first. Line-buffered; owned by p. NULL
 * when it cannot be made (the log then keeps its own stream). */
FILE *progress_log_stream(struct progress *p);

/* True when a refresh is due at now (PROGRESS_PERIOD_NS since the last). */
bool progress_due(const struct progress *p, uft_ts now);

/* Replace the lines with lines[0..n) (n <= PROGRESS_MAX_LINES; more are
 * ignored) and draw them, each cut to the terminal's width. */
void progress_show(struct progress *p, uft_ts now, const char *const *lines, size_t n);

/* Take the lines off the terminal (the next progress_show draws them). */
void progress_clear(struct progress *p);

/* A smoothed rate from a growing counter, sampled at each refresh. */
struct progress_rate {
    uft_ts at;
    uint64_t last;
    double per_sec;
    bool primed;
};

/* Feed the counter's value at now; returns the rate per second
 * (exponentially smoothed over about a second; 0 until two samples). */
double progress_rate_update(struct progress_rate *r, uft_ts now, uint64_t value);

/* "937 B", "12.3 KiB", "4.50 MiB", "1.07 GiB", ... into buf. */
void progress_fmt_bytes(char *buf, size_t cap, double bytes);

/* "0:42", "12:05", "3:02:11" for seconds; "--:--" when unknown (< 0 or
 * more than 99 hours). */
void progress_fmt_eta(char *buf, size_t cap, double seconds);

/* name made safe to print on a terminal line: control characters and
 * bytes outside valid UTF-8 become '?', and a name longer than max_cols
 * columns keeps its end behind "...". */
void progress_fmt_name(char *buf, size_t cap, const char *name, size_t max_cols);

#endif
