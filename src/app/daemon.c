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
    int ready[2];
    char ok = 1;
    pid_t pid;
    /* The parent returns to the shell only once the daemon has written its
     * pid file (as a Type=forking unit, or 'uftpd && cat pidfile', expect),
     * with exit 0, or 1 when the daemon failed before that. */
    if (pipe(ready) != 0) {
        uft_log_printf(log, 0, "cannot become a daemon: pipe: %s", strerror(errno));
        return 5;
    }
    pid = fork();
    if (pid < 0) {
        uft_log_printf(log, 0, "cannot become a daemon: fork: %s", strerror(errno));
        return 5;
    }
    if (pid > 0) {
        char c = 0;
        ssize_t n;
        close(ready[1]);
        do
            n = read(ready[0], &c, 1);
        while (n < 0 && errno == EINTR);
        _exit(n == 1 && c == 1 ? 0 : 1);
    }
    close(ready[0]);
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
    if (write(ready[1], &ok, 1) != 1) { /* the parent is gone: nobody waits */
    }
    close(ready[1]);
    /* stderr follows the log file, across roll-overs (-g/-n) too */
    uft_log_set_roll(log, logfile, max_mb > 0 ? (uint64_t)max_mb * 1000000u : 0, (int)count, true);
    return 0;
}

static void confine_note(void *ctx, int level, const char *text)
{
    uft_log_printf(ctx, level, "%s", text);
}

const char *app_log_dir(const char *logfile, char *buf, size_t cap)
{
    char *slash;
    snprintf(buf, cap, "%s", logfile);
    slash = strrchr(buf, '/');
    if (!slash)
        return ".";
    slash[slash == buf] = '\0'; /* "/x.log" keeps its "/" */
    return buf;
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
