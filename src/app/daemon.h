/*
 * Becoming a daemon, as UFTP's daemons do, for uftpd and uftpproxyd.
 */
#ifndef UFT_APP_DAEMON_H
#define UFT_APP_DAEMON_H

#include "sys/log.h"

/* Fork (the parent exits 0), start a new session, work from /, write the
 * pid file (pidfile may be NULL), put standard input and output on
 * /dev/null, and let standard error follow the log file, which is rolled
 * past max_mb million bytes keeping count old ones (max_mb 0: never).
 * 0, or an exit code (1: the pid file, 5: fork or /dev/null) with the
 * reason logged. */
int app_daemonize(struct uft_log *log, const char *pidfile, const char *logfile, long max_mb,
                  long count);

#endif
