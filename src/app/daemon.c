/* Becoming a daemon (daemon.h). */
#include "app/daemon.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sys/confine.h"

int app_daemonize(struct uft_log *log, const char *pidfile, const char *logfile, long max_mb,
                  long count)
{
    pid_t pid = fork();
    if (pid < 0) {
        uft_log_printf(log, 0, "cannot become a daemon: fork: %s", strerror(errno));
        return 5;
    }
    if (pid > 0)
        _exit(0);
    setsid();
    if (chdir("/") != 0)
        return 5;
    if (pidfile) {
        FILE *p = fopen(pidfile, "w");
        if (!p) {
            uft_log_printf(log, 0, "cannot write pid file %s: %s", pidfile, strerror(errno));
            return 1;
        }
        fprintf(p, "%d\n", (int)getpid());
        fclose(p);
    }
    if (!freopen("/dev/null", "r", stdin) || !freopen("/dev/null", "w", stdout))
        return 5;
    /* stderr follows the log file, across roll-overs (-g/-n) too */
    uft_log_set_roll(log, logfile, max_mb > 0 ? (uint64_t)max_mb * 1000000u : 0, (int)count, true);
    return 0;
}

static void confine_note(void *ctx, int level, const char *text)
{
    uft_log_printf(ctx, level, "%s", text);
}

int app_confine(struct uft_log *log, const char *prog, const char *user, bool confine,
                const char *const *write_dirs, size_t n_write_dirs, bool allow_exec)
{
    struct uft_confine_cfg c = {user, confine, write_dirs, n_write_dirs, allow_exec};
    char err[512];
    if (!user && !confine)
        return 0;
    if (uft_confine_apply(&c, confine_note, log, err, sizeof err) == 0)
        return 0;
    uft_log_printf(log, 0, "%s: %s", prog, err);
    return 1;
}
