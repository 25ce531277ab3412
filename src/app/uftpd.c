/*
 * uftpd: the UFTP client daemon. It listens on the public addresses,
 * answers servers through the core's client sessions, and stores files
 * through sys/store (names resolved beneath the destination, received
 * under a temporary name, renamed into place when complete; the session
 * temp directory -T with its restart records, and backups -A). It runs
 * the post-receive script (-s) when the store reports files in place.
 *
 * The loop: wait on the socket until the engine's next deadline, feed
 * every datagram, then send whatever the engine owes; reap finished
 * scripts whenever SIGCHLD said one ended.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/keys.h"
#include "app/uftpd_cli.h"
#include "core/client.h"
#include "core/err.h"
#include "core/msg.h"
#include "crypto/ops.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "sys/store.h"
#include "sys/udp.h"

#define MAX_PUB 20

struct daemon {
    struct uftpd_opts o;
    struct uft_log log;
    struct uft_store store;
    struct uft_client *client;
    int fd;
    unsigned ifindex;
    uint32_t if_ipv4;
    uint16_t port;
    FILE *status;
    bool status_to_log; /* -F @LOG: the log's FILE, which may roll over */
};

static volatile sig_atomic_t stop_signal, child_exited;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void on_child(int sig)
{
    (void)sig;
    child_exited = 1;
}

/* ---------- the post-receive script (-s) ---------- */

/* In the child: no inherited descriptors, /dev/null for the standard
 * ones (UFTP closes them), default signals, then the script itself. */
static void exec_script(const char *path, char **argv)
{
    sigset_t none;
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
    }
    close_range(3, ~0u, 0);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(path, argv);
    _exit(127);
}

/* Run `script -I GGGGGGGG path...` without a shell; reaped in the loop. */
static void run_script(struct daemon *d, uint32_t group, const char *const *paths, size_t n)
{
    char gid[16], **argv = calloc(n + 4, sizeof *argv);
    size_t i;
    pid_t pid;
    if (!argv) {
        uft_log_printf(&d->log, 0, "cannot run -s %s: out of memory", d->o.script);
        return;
    }
    snprintf(gid, sizeof gid, "%08X", group);
    argv[0] = (char *)d->o.script;
    argv[1] = (char *)"-I";
    argv[2] = gid;
    for (i = 0; i < n; i++)
        argv[3 + i] = (char *)paths[i];
    pid = fork();
    if (pid == 0)
        exec_script(d->o.script, argv);
    if (pid < 0)
        uft_log_printf(&d->log, 0, "cannot run -s %s for group %08X: %s", d->o.script, group,
                       strerror(errno));
    else
        uft_log_printf(&d->log, 3, "[%08X] running %s for %zu entries (pid %d)", group, d->o.script,
                       n, (int)pid);
    free(argv);
}

static void reap_children(struct daemon *d)
{
    int status;
    pid_t pid;
    if (!child_exited)
        return;
    child_exited = 0;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            continue;
        if (WIFEXITED(status))
            uft_log_printf(&d->log, 1, "script %s (pid %d) exited with status %d%s", d->o.script,
                           (int)pid, WEXITSTATUS(status),
                           WEXITSTATUS(status) == 127 ? ": check that it exists and is executable"
                                                      : "");
        else
            uft_log_printf(&d->log, 1, "script %s (pid %d) ended by signal %d", d->o.script,
                           (int)pid, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
}

/* The store put entries in place: log them and run the script. */
static void on_placed(void *ctx, uint32_t group, const char *const *paths, size_t n)
{
    struct daemon *d = ctx;
    size_t i;
    for (i = 0; i < n; i++)
        uft_log_printf(&d->log, 3, "[%08X] in place: %s", group, paths[i]);
    if (d->o.script)
        run_script(d, group, paths, n);
}

static void on_store_log(void *ctx, int level, const char *text)
{
    struct daemon *d = ctx;
    uft_log_write(&d->log, level, 0, 0, 0, text);
}

/* ---------- storage callbacks ---------- */

static int st_begin(void *ctx, const struct uft_rx_file *f, void **handle, uint64_t *free_bytes)
{
    struct daemon *d = ctx;
    struct uft_store_file *sf = NULL;
    int st;
    switch (f->ftype) {
    case UFT_FTYPE_REG:
        st = uft_store_begin(&d->store, f->name, f->size, f->mtime, f->group_id, f->file_id,
                             f->sync, f->preview, &sf);
        *handle = sf;
        break;
    case UFT_FTYPE_DIR:
        st = uft_store_mkdir(&d->store, f->group_id, f->name);
        break;
    case UFT_FTYPE_LINK:
        st = uft_store_symlink(&d->store, f->group_id, f->name, f->link);
        break;
    case UFT_FTYPE_DELETE:
        st = uft_store_delete(&d->store, f->group_id, f->name);
        break;
    case UFT_FTYPE_FREESPACE:
        *free_bytes = uft_store_free(&d->store);
        st = UFT_COMP_NORMAL;
        break;
    default:
        st = UFT_COMP_REJECTED;
        break;
    }
    if (st == UFT_COMP_REJECTED)
        uft_log_printf(&d->log, 1, "[%08X] rejected %s: %s", f->group_id, f->name,
                       d->store.last_error);
    return st;
}

static int st_write(void *ctx, void *h, uint64_t off, const uint8_t *p, size_t len)
{
    struct daemon *d = ctx;
    int rc = uft_store_write(&d->store, h, off, p, len);
    if (rc)
        uft_log_printf(&d->log, 0, "%s", d->store.last_error);
    return rc;
}

static void st_have(void *ctx, void *h, uint32_t block_len, uint32_t blocks, uint8_t *have)
{
    struct daemon *d = ctx;
    uft_store_file_have(&d->store, h, block_len, blocks, have);
}

static int st_end(void *ctx, void *h, bool commit)
{
    struct daemon *d = ctx;
    int rc = uft_store_end(&d->store, h, commit);
    if (rc)
        uft_log_printf(&d->log, 0, "%s", d->store.last_error);
    return rc;
}

/* ---------- events ---------- */

static void status_line(struct daemon *d, const struct uft_event *ev)
{
    static const char *words[] = {"copied", "skipped", "overwritten", "rejected"};
    FILE *out = d->status_to_log ? d->log.f : d->status;
    time_t now = time(NULL);
    struct tm tm;
    if (!out)
        return;
    localtime_r(&now, &tm);
    fprintf(out, "RESULT;%04d/%02d/%02d-%02d:%02d:%02d;%08X;%08X;%s;%lluKB;%s\n", tm.tm_year + 1900,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, 0u, ev->group_id,
            ev->text ? ev->text : "", (unsigned long long)(ev->count / 1024),
            ev->status >= 0 && ev->status <= 3 ? words[ev->status] : "unknown");
    fflush(out);
}

static void on_event(void *ctx, const struct uft_event *ev)
{
    struct daemon *d = ctx;
    struct uft_addr g;
    char line[300];
    switch (ev->type) {
    case UFT_EV_LOG:
        uft_log_write(&d->log, ev->level, ev->group_id, 0, ev->file_id, ev->text);
        break;
    case UFT_EV_JOIN:
    case UFT_EV_LEAVE:
        memset(&g, 0, sizeof g);
        if (ev->ipv6) {
            struct sockaddr_in6 *s = (struct sockaddr_in6 *)&g.ss;
            s->sin6_family = AF_INET6;
            memcpy(&s->sin6_addr, ev->addr, 16);
            g.len = sizeof *s;
        } else {
            struct sockaddr_in *s = (struct sockaddr_in *)&g.ss;
            s->sin_family = AF_INET;
            memcpy(&s->sin_addr, ev->addr, 4);
            g.len = sizeof *s;
        }
        if (ev->type == UFT_EV_JOIN && uft_udp_join(d->fd, &g, d->ifindex, d->if_ipv4) != 0 &&
            errno != EADDRINUSE)
            uft_log_printf(&d->log, 0, "cannot join %s: %s", uft_udp_format(&g, line, sizeof line),
                           strerror(errno));
        if (ev->type == UFT_EV_LEAVE)
            uft_udp_leave(d->fd, &g, d->ifindex, d->if_ipv4);
        break;
    case UFT_EV_FILE_RESULT:
        if (d->status || d->status_to_log)
            status_line(d, ev);
        snprintf(line, sizeof line, "File %u %s", ev->file_id,
                 ev->status == UFT_COMP_REJECTED  ? "rejected"
                 : ev->status == UFT_COMP_SKIPPED ? "skipped"
                                                  : "received");
        uft_log_write(&d->log, 2, ev->group_id, 0, ev->file_id, line);
        break;
    case UFT_EV_SESSION_END:
        snprintf(line, sizeof line, "Session %s%s%s", ev->status ? "failed" : "complete",
                 ev->text ? ": " : "", ev->text ? ev->text : "");
        uft_log_write(&d->log, ev->status ? 1 : 2, ev->group_id, 0, 0, line);
        uft_store_session_end(&d->store, ev->group_id, ev->status == 0);
        break;
    default:
        break;
    }
}

/* ---------- setup and loop ---------- */

static int setup_socket(struct daemon *d, char *err, size_t errlen)
{
    struct uft_udp_opts uo;
    char list[1024], *tok, *save = NULL;
    bool v6 = strchr(d->o.pub_addrs, ':') != NULL;
    memset(&uo, 0, sizeof uo);
    if (d->o.ifaces) {
        char first[256];
        snprintf(first, sizeof first, "%s", d->o.ifaces);
        first[strcspn(first, ",")] = '\0';
        d->ifindex = uft_udp_iface(first, &d->if_ipv4);
        if (!d->ifindex) {
            snprintf(err, errlen, "-I %s: no such interface", first);
            return UFT_E_VALUE;
        }
    }
    uo.family = v6 ? AF_INET6 : AF_INET;
    uo.port = d->port;
    uo.sockbuf = (int)d->o.sockbuf;
    uo.dscp = (int)d->o.dscp;
    uo.ifindex = d->ifindex;
    uo.if_ipv4 = d->if_ipv4;
    d->fd = uft_udp_open(&uo);
    if (d->fd < 0) {
        snprintf(err, errlen, "cannot open UDP port %u: %s", d->port, strerror(errno));
        return UFT_E_IO;
    }
    snprintf(list, sizeof list, "%s", d->o.pub_addrs);
    for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        struct uft_addr g;
        if (uft_udp_resolve(tok, d->port, AF_UNSPEC, &g) != 0 || !uft_udp_is_multicast(&g)) {
            snprintf(err, errlen, "-M %s: not a multicast address", tok);
            return UFT_E_VALUE;
        }
        if (uft_udp_join(d->fd, &g, d->ifindex, d->if_ipv4) != 0) {
            snprintf(err, errlen, "-M %s: cannot join: %s", tok, strerror(errno));
            return UFT_E_IO;
        }
    }
    return 0;
}

static int run(struct daemon *d)
{
    static uint8_t buf[10000];
    struct pollfd pfd = {d->fd, POLLIN, 0};
    bool shutting = false;
    for (;;) {
        uft_ts now = uft_clock_now_ns(), dl;
        struct uft_addr from;
        struct uft_tx tx;
        ssize_t n;
        int timeout_ms;
        reap_children(d);
        if (stop_signal && !shutting) {
            uft_log_printf(&d->log, 1, "Exiting on signal %d", (int)stop_signal);
            uft_client_shutdown(d->client, now);
            shutting = true;
        }
        while ((n = uft_client_pull(d->client, now, buf, sizeof buf, &tx)) > 0) {
            struct uft_addr to;
            uft_udp_from_peer(&tx.peer, &to);
            if (uft_udp_send(d->fd, buf, (size_t)n, &to) != 0)
                uft_log_printf(&d->log, 1, "send failed: %s", strerror(errno));
        }
        if (shutting)
            return 6;
        dl = uft_client_deadline(d->client);
        timeout_ms = dl == UFT_NEVER ? 1000 : dl <= now ? 0 : (int)((dl - now) / 1000000 + 1);
        if (timeout_ms > 1000)
            timeout_ms = 1000; /* notice signals */
        if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR)
            return 2;
        while ((n = uft_udp_recv(d->fd, buf, sizeof buf, &from)) > 0) {
            struct uft_peer p;
            uft_udp_to_peer(&from, &p);
            uft_client_feed(d->client, uft_clock_now_ns(), buf, (size_t)n, &p);
        }
    }
}

static int daemonize(struct daemon *d)
{
    pid_t pid = fork();
    if (pid < 0)
        return 5;
    if (pid > 0)
        _exit(0);
    setsid();
    if (chdir("/") != 0)
        return 5;
    if (d->o.pidfile) {
        FILE *p = fopen(d->o.pidfile, "w");
        if (!p) {
            uft_log_printf(&d->log, 0, "cannot write pid file %s: %s", d->o.pidfile,
                           strerror(errno));
            return 1;
        }
        fprintf(p, "%d\n", (int)getpid());
        fclose(p);
    }
    if (!freopen("/dev/null", "r", stdin) || !freopen("/dev/null", "w", stdout))
        return 5;
    /* stderr follows the log file, across roll-overs (-g/-n) too */
    uft_log_set_roll(&d->log, d->o.logfile,
                     d->o.log_max_mb > 0 ? (uint64_t)d->o.log_max_mb * 1000000u : 0,
                     (int)d->o.log_count, true);
    return 0;
}

/* Signals, and the priority (-N), once the process is the daemon. */
static void settle(struct daemon *d)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_child;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (d->o.nice && setpriority(PRIO_PROCESS, 0, (int)d->o.nice) != 0)
        uft_log_printf(&d->log, 1, "cannot set priority -N %ld: %s; running at priority %d",
                       d->o.nice, strerror(errno), getpriority(PRIO_PROCESS, 0));
}

/* The log (-L, -x), the status output (-F) and the store (-D, -T, -A). */
static int open_outputs(struct daemon *d)
{
    struct uft_store_cfg sc;
    if (uft_log_open(&d->log, d->o.foreground ? NULL : d->o.logfile, (int)d->o.log_level, true)) {
        fprintf(stderr, "uftpd: cannot open log file %s: %s\n", d->o.logfile, strerror(errno));
        return 4;
    }
    d->status_to_log = d->o.status_file && strcmp(d->o.status_file, "@LOG") == 0;
    if (d->o.status_file && !d->status_to_log && !(d->status = fopen(d->o.status_file, "ae"))) {
        fprintf(stderr, "uftpd: -F %s: %s\n", d->o.status_file, strerror(errno));
        return 1;
    }
    memset(&sc, 0, sizeof sc);
    sc.dirs = d->o.dest;
    sc.n_dirs = d->o.n_dest;
    sc.backups = d->o.backup;
    sc.n_backups = d->o.n_backup;
    sc.temp_dir = d->o.temp_dir;
    sc.move_each = d->o.move_each;
    sc.placed = on_placed;
    sc.log = on_store_log;
    sc.ctx = d;
    if (uft_store_open_cfg(&d->store, &sc) != 0) {
        fprintf(stderr, "uftpd: %s\n", d->store.last_error);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct daemon d;
    struct uft_client_cfg cfg;
    struct uft_client_ops ops;
    struct uft_signkey *signkey = NULL;
    char err[512], desc[160];
    int rc;
    memset(&d, 0, sizeof d);
    rc = uftpd_cli_parse(argc, argv, &d.o, err, sizeof err);
    if (rc == UFTPD_CLI_HELP) {
        uftpd_cli_usage(stdout);
        return 0;
    }
    if (rc != UFTPD_CLI_OK) {
        fprintf(stderr, "uftpd: %s\n", err);
        return 1;
    }
    if ((rc = open_outputs(&d)) != 0)
        return rc;
    d.port = (uint16_t)d.o.port;
    if (setup_socket(&d, err, sizeof err) != 0) {
        fprintf(stderr, "uftpd: %s\n", err);
        return 2;
    }
    memset(&cfg, 0, sizeof cfg);
    if ((rc = app_signing_key(d.o.keyfile, d.o.keygen, &signkey, desc, sizeof desc, err,
                              sizeof err)) != 0) {
        fprintf(stderr, "uftpd: %s\n", err);
        return rc;
    }
    if (desc[0])
        uft_log_printf(&d.log, 2, "Loaded signing key: %s", desc);
    cfg.signkey = signkey;
    cfg.client_id = d.o.uid ? d.o.uid : uft_udp_default_id();
    cfg.encrypted_only = d.o.encrypted_only;
    memset(&ops, 0, sizeof ops);
    ops.ctx = &d;
    ops.event = on_event;
    ops.file_begin = st_begin;
    ops.file_write = st_write;
    ops.file_end = st_end;
    ops.file_have = st_have;
    ops.crypto = uft_crypto_ops();
    if (uft_client_create(&cfg, &ops, &d.client) != 0) {
        fprintf(stderr, "uftpd: out of memory\n");
        return 5;
    }
    if (!d.o.foreground && (rc = daemonize(&d)) != 0)
        return rc;
    settle(&d);
    uft_log_printf(&d.log, 2, "ufcast uftpd listening on port %u as client 0x%08X", d.port,
                   cfg.client_id);
    rc = run(&d);
    uft_client_free(d.client);
    uft_signkey_free(signkey);
    uft_store_close(&d.store);
    if (d.status)
        fclose(d.status);
    return rc;
}
