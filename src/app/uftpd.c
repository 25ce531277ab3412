/*
 * uftpd: the UFTP client daemon. It listens on the public addresses,
 * answers servers through the core's client sessions, and stores files
 * through sys/store (names resolved beneath the destination, received
 * under a temporary name, renamed into place when complete).
 *
 * The loop: wait on the socket until the engine's next deadline, feed
 * every datagram, then send whatever the engine owes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
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
        st = uft_store_mkdir(&d->store, f->name);
        break;
    case UFT_FTYPE_LINK:
        st = uft_store_symlink(&d->store, f->name, f->link);
        break;
    case UFT_FTYPE_DELETE:
        st = uft_store_delete(&d->store, f->name);
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
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    fprintf(d->status, "RESULT;%04d/%02d/%02d-%02d:%02d:%02d;%08X;%08X;%s;%lluKB;%s\n",
            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, 0u,
            ev->group_id, ev->text ? ev->text : "", (unsigned long long)(ev->count / 1024),
            ev->status >= 0 && ev->status <= 3 ? words[ev->status] : "unknown");
    fflush(d->status);
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
        if (d->status)
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
        if (!p)
            return 1;
        fprintf(p, "%d\n", (int)getpid());
        fclose(p);
    }
    freopen("/dev/null", "r", stdin);
    freopen("/dev/null", "w", stdout);
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
    if (uft_log_open(&d.log, d.o.foreground ? NULL : d.o.logfile, (int)d.o.log_level, true)) {
        fprintf(stderr, "uftpd: cannot open log file %s: %s\n", d.o.logfile, strerror(errno));
        return 4;
    }
    if (d.o.status_file && strcmp(d.o.status_file, "@LOG") != 0 &&
        !(d.status = fopen(d.o.status_file, "a"))) {
        fprintf(stderr, "uftpd: -F %s: %s\n", d.o.status_file, strerror(errno));
        return 1;
    }
    if (d.o.status_file && !d.status)
        d.status = d.log.f;
    if (uft_store_open(&d.store, d.o.dest, d.o.n_dest) != 0) {
        fprintf(stderr, "uftpd: -D: %s\n", d.store.last_error);
        return 1;
    }
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
    ops.crypto = uft_crypto_ops();
    if (uft_client_create(&cfg, &ops, &d.client) != 0) {
        fprintf(stderr, "uftpd: out of memory\n");
        return 5;
    }
    if (!d.o.foreground && (rc = daemonize(&d)) != 0)
        return rc;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    uft_log_printf(&d.log, 2, "ufcast uftpd listening on port %u as client 0x%08X", d.port,
                   cfg.client_id);
    rc = run(&d);
    uft_client_free(d.client);
    uft_signkey_free(signkey);
    uft_store_close(&d.store);
    return rc;
}
