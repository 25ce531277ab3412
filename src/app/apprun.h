/*
 * The programs' bodies as functions. uftp and uftpd are each a run
 * function in the uft_app library: their main() calls it with no hooks,
 * and the library API (src/lib, include/ufcast) calls it with hooks that
 * replace what only a whole process may do: signals, a terminal, becoming
 * a daemon. One body, so the programs and the library cannot drift.
 */
#ifndef UFT_APP_APPRUN_H
#define UFT_APP_APPRUN_H

#include <stdatomic.h>

#include "sys/loop.h"

/* Each JSON event line, exactly as --json writes it (without the
 * newline); line is valid only during the call. */
typedef void (*app_line_fn)(void *ctx, const char *line);

struct app_hooks {
    app_line_fn line; /* NULL: no events */
    void *ctx;
    /* Set nonzero (from line or another thread) to end the run as
     * SIGTERM ends the program; the loop looks at it at least once a
     * second, at once when wake_fd (an eventfd, -1: none) is written. */
    atomic_int *stop;
    int wake_fd;
};

/* Run uftp (the sender) with argv as its command line: parse, send one
 * session, and return UFTP's exit code. hooks NULL: the program, which
 * handles SIGINT/SIGTERM itself; otherwise no signal handler is set and
 * the hooks stand in, and no progress lines are drawn. */
int uftp_run(int argc, char **argv, const struct app_hooks *hooks);

/* Run uftpd (the receiver) likewise until stopped; returns its exit code
 * (6 when stopped, as for a signal). With hooks the caller must pass -d:
 * a library never forks itself into a daemon. */
int uftpd_run(int argc, char **argv, const struct app_hooks *hooks);

/* Whether the run should end: a signal arrived (programs) or the hooks'
 * stop was set (library). */
static inline int app_stopping(const struct app_hooks *h, int signalled)
{
    return signalled || (h && h->stop && atomic_load(h->stop));
}

/* Add the hooks' wake_fd (if any) to l, drained when it fires. 0 or -1
 * with errno set, as uft_loop_add. */
int app_hooks_watch(struct uft_loop *l, const struct app_hooks *h);

/* Held around the command-line parse (getopt's state is global). */
void app_parse_lock(void);
void app_parse_unlock(void);

#endif
