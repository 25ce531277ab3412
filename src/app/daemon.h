/*
 * Becoming a daemon, as UFTP's daemons do, for uftpd and uftpproxyd.
 */
#ifndef UFT_APP_DAEMON_H
#define UFT_APP_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#include "sys/log.h"

/* Fork (the parent exits 0), start a new session, work from /, write the
 * pid file (pidfile may be NULL), put standard input and output on
 * /dev/null, and let standard error follow the log file, which is rolled
 * past max_mb million bytes keeping count old ones (max_mb 0: never).
 * 0, or an exit code (1: the pid file, 5: fork or /dev/null) with the
 * reason logged. */
int app_daemonize(struct uft_log *log, const char *pidfile, const char *logfile, long max_mb,
                  long count);

/* --user and --confine (sys/confine.h), once sockets are bound and the
 * log and pid files are open: write_dirs are the trees the daemon may
 * write, allow_exec keeps execve for a -s script. What was applied or
 * left out goes to the log. 0, or exit code 1 with the reason on stderr
 * and in the log. */
int app_confine(struct uft_log *log, const char *prog, const char *user, bool confine,
                const char *const *write_dirs, size_t n_write_dirs, bool allow_exec);

/* The directory of logfile, where a rolling log (-g) writes its old
 * copies: in buf, or "." for a bare file name. */
const char *app_log_dir(const char *logfile, char *buf, size_t cap);

#endif
