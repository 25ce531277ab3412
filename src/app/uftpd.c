/*
 * uftpd: the UFTP client daemon. It listens on the public addresses,
 * answers servers through the core's client sessions, and stores files
 * through sys/store (names resolved beneath the destination, received
 * under a temporary name, renamed into place when complete; the session
 * temp directory -T with its restart records, and backups -A). It runs
 * the post-receive script (-s) when the store reports files in place.
 *
 * Proxies: the -S server list names each server's proxy, -R the
 * proxies' addresses and key fingerprints, -H the proxies to send
 * heartbeats to and -r UFTP 4's response proxy; the engine does the
 * protocol, this file resolves the names.
 *
 * The loop: wait on the socket until the engine's next deadline, feed
 * every datagram, then send whatever the engine owes; reap finished
 * scripts whenever SIGCHLD said one ended.
 *
 * ufcast adds JSON status lines (--json) and, in the foreground on a
 * terminal, a progress line per file being received; both come from the
 * storage callbacks (bytes written) and the session's events.
 *
 * The body is uftpd_run() (apprun.h): uftpd_main.c's main() and the library
 * API (src/lib/ufcast.c) both call it.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/apprun.h"
#include "app/daemon.h"
#include "app/hostlist.h"
#include "app/jsonev.h"
#include "app/keys.h"
#include "app/progress.h"
#include "app/uftpd_cli.h"
#include "core/client.h"
#include "core/err.h"
#include "core/msg.h"
#include "crypto/crypto.h"
#include "crypto/ops.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/store.h"
#include "sys/udp.h"

#define MAX_PUB    20
#define MAX_IFACES 32

/* A file being received, for --json and the progress lines. */
struct rx_file {
    uint32_t group_id;
    uint8_t inst;
    uint16_t file_id;
    char *name;
    uint64_t size, got; /* got: bytes written (or already there, on a restart) */
    uft_ts start;
    void *handle; /* the store's, while it is open */
    struct progress_rate rate;
};

struct daemon {
    struct uftpd_opts o;
    struct uft_log log;
    struct uft_store store;
    struct uft_client *client;
    int fd;
    unsigned ifindex[MAX_IFACES]; /* -I, or every multicast interface */
    uint32_t if_ipv4[MAX_IFACES];
    size_t n_ifaces;
    struct hostlist_server *servers; /* -S */
    struct uft_server_entry *entries;
    size_t n_servers;
    struct hostlist_proxy *proxies; /* -R */
    struct uft_proxy_entry *proxy_entries;
    size_t n_proxies;
    struct uft_addr *hb_addrs; /* -H */
    struct uft_peer *hb_peers;
    size_t n_hb;
    struct uft_addr v4_proxy; /* -r */
    bool has_v4_proxy, v4_has_fp;
    uint8_t v4_fp[20];
    uint16_t port;
    FILE *status;
    bool status_to_log;  /* -F @LOG: the log's FILE, which may roll over */
    struct jsonev *json; /* --json */
    bool json_warned;
    struct progress *prog; /* -d on a terminal */
    struct rx_file *rx;    /* files being received, in every session */
    size_t n_rx, cap_rx;
    const struct app_hooks *hooks; /* NULL: the program (main) */
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

/* ---------- files being received ---------- */

static struct rx_file *rx_by_handle(struct daemon *d, const void *h)
{
    size_t i;
    for (i = 0; h && i < d->n_rx; i++)
        if (d->rx[i].handle == h)
            return &d->rx[i];
    return NULL;
}

static struct rx_file *rx_by_id(struct daemon *d, uint32_t group, uint8_t inst, uint16_t file_id)
{
    size_t i;
    for (i = 0; i < d->n_rx; i++)
        if (d->rx[i].group_id == group && d->rx[i].inst == inst && d->rx[i].file_id == file_id)
            return &d->rx[i];
    return NULL;
}

static struct rx_file *rx_of_group(struct daemon *d, uint32_t group, uint8_t inst)
{
    size_t i;
    for (i = 0; i < d->n_rx; i++)
        if (d->rx[i].group_id == group && d->rx[i].inst == inst)
            return &d->rx[i];
    return NULL;
}

static void rx_remove(struct daemon *d, struct rx_file *r)
{
    free(r->name);
    *r = d->rx[--d->n_rx];
}

/* A file begins: remember it (only for --json or progress lines). */
static void rx_begin(struct daemon *d, const struct uft_rx_file *f, void *handle)
{
    struct rx_file *r = rx_by_id(d, f->group_id, f->group_inst, f->file_id);
    if (!d->json && !d->prog)
        return;
    if (r)
        rx_remove(d, r); /* the server started that file afresh */
    if (d->n_rx == d->cap_rx) {
        size_t cap = d->cap_rx ? 2 * d->cap_rx : 8;
        struct rx_file *v = realloc(d->rx, cap * sizeof *v);
        if (!v)
            return; /* then no figures for it: the transfer goes on */
        d->rx = v;
        d->cap_rx = cap;
    }
    r = &d->rx[d->n_rx];
    memset(r, 0, sizeof *r);
    if (!(r->name = strdup(f->name)))
        return;
    d->n_rx++;
    r->group_id = f->group_id;
    r->inst = f->group_inst;
    r->file_id = f->file_id;
    r->size = f->size;
    r->start = uft_clock_now_ns();
    r->handle = handle;
    if (d->json)
        jsonev_file_start(d->json, f->group_id, f->file_id, f->name, f->ftype, f->size);
}

/* A file's result, or (ev NULL) the end of its session before one. */
static void rx_done(struct daemon *d, struct rx_file *r, const struct uft_event *ev,
                    uint32_t server_id)
{
    struct jsonev_file_done f;
    if (d->json) {
        memset(&f, 0, sizeof f);
        f.group_id = r->group_id;
        f.server_id = server_id;
        f.file_id = r->file_id;
        f.name = r->name;
        f.status = ev ? ev->status : UFT_RESULT_ABORTED;
        f.size = r->size;
        f.bytes =
            ev && (ev->status == UFT_COMP_NORMAL || ev->status == UFT_COMP_OVERWRITE) ? r->size : 0;
        f.seconds = (double)(uft_clock_now_ns() - r->start) / 1e9;
        jsonev_file_done(d->json, &f);
    }
    rx_remove(d, r);
}

/* One line per file being received (three at most, then a count). */
static void draw_progress(struct daemon *d, uft_ts now)
{
    char lines[PROGRESS_MAX_LINES][PROGRESS_LINE_CAP], name[256], a[24], b[24], r[24], eta[16];
    const char *ptr[PROGRESS_MAX_LINES];
    size_t i, n = 0, receiving = 0;
    for (i = 0; i < d->n_rx; i++) {
        struct rx_file *f = &d->rx[i];
        double bps;
        if (!f->handle)
            continue;
        receiving++;
        bps = progress_rate_update(&f->rate, now, f->got);
        if (n == PROGRESS_MAX_LINES - 1)
            continue;
        progress_fmt_name(name, sizeof name, f->name, 40);
        progress_fmt_bytes(a, sizeof a, (double)f->got);
        progress_fmt_bytes(b, sizeof b, (double)f->size);
        progress_fmt_bytes(r, sizeof r, bps);
        progress_fmt_eta(eta, sizeof eta,
                         bps > 0 && f->got <= f->size ? (double)(f->size - f->got) / bps : -1);
        snprintf(lines[n], sizeof lines[n], "[%08X] %s  %3.0f%%  %s / %s  %s/s  ETA %s",
                 f->group_id, name, f->size ? 100.0 * (double)f->got / (double)f->size : 100.0, a,
                 b, r, eta);
        ptr[n] = lines[n];
        n++;
    }
    if (receiving > n) {
        snprintf(lines[n], sizeof lines[n], "and %zu more file(s)", receiving - n);
        ptr[n] = lines[n];
        n++;
    }
    progress_show(d->prog, now, ptr, n);
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
    rx_begin(d, f, f->ftype == UFT_FTYPE_REG ? *handle : NULL);
    return st;
}

static int st_write(void *ctx, void *h, uint64_t off, const uint8_t *p, size_t len)
{
    struct daemon *d = ctx;
    int rc = uft_store_write(&d->store, h, off, p, len);
    struct rx_file *r;
    if (rc)
        uft_log_printf(&d->log, 0, "%s", d->store.last_error);
    else if ((r = rx_by_handle(d, h)) != NULL)
        r->got += len;
    return rc;
}

/* Read back for FEC decoding and the file-hash check. */
static int st_read(void *ctx, void *h, uint64_t off, uint8_t *p, size_t len)
{
    struct daemon *d = ctx;
    int rc = uft_store_read(&d->store, h, off, p, len);
    if (rc)
        uft_log_printf(&d->log, 1, "%s", d->store.last_error);
    return rc;
}

static void st_have(void *ctx, void *h, uint32_t block_len, uint32_t blocks, uint8_t *have)
{
    struct daemon *d = ctx;
    struct rx_file *r;
    uint32_t i, n = 0;
    uft_store_file_have(&d->store, h, block_len, blocks, have);
    if ((r = rx_by_handle(d, h)) == NULL)
        return;
    for (i = 0; i < blocks; i++)
        n += (have[i / 8] >> (i % 8)) & 1;
    r->got = (uint64_t)n * block_len < r->size ? (uint64_t)n * block_len : r->size;
}

static int st_end(void *ctx, void *h, bool commit)
{
    struct daemon *d = ctx;
    struct rx_file *r = rx_by_handle(d, h);
    int rc = uft_store_end(&d->store, h, commit);
    if (r)
        r->handle = NULL;
    if (rc)
        uft_log_printf(&d->log, 0, "%s", d->store.last_error);
    return rc;
}

/* ---------- events ---------- */

/* "YYYY/MM/DD-HH:MM:SS", local time, as UFTP's status lines have it. */
static const char *status_time(char *buf, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(buf, cap, "%Y/%m/%d-%H:%M:%S", &tm);
    return buf;
}

static void status_line(struct daemon *d, const struct uft_event *ev)
{
    static const char *words[] = {"copied", "skipped", "overwritten", "rejected"};
    FILE *out = d->status_to_log ? d->log.f : d->status;
    char stamp[32];
    if (!out)
        return;
    fprintf(out, "RESULT;%s;%08X;%08X;%s;%lluKB;%s\n", status_time(stamp, sizeof stamp),
            ev->server_id, ev->group_id, ev->text ? ev->text : "",
            (unsigned long long)(ev->count / 1024),
            ev->status >= 0 && ev->status <= 3 ? words[ev->status] : "unknown");
    fflush(out);
}

/* With -o, the sources a group is joined from: every server of -S, every
 * proxy of -R (a proxy sends PROXY_KEY and KEYINFO to the groups), and
 * the -r proxy. NULL past the last. */
static const struct uft_addr *ssm_source(const struct daemon *d, size_t k)
{
    if (k < d->n_servers)
        return &d->servers[k].addr;
    k -= d->n_servers;
    if (k < d->n_proxies)
        return &d->proxies[k].addr;
    k -= d->n_proxies;
    return k == 0 && d->has_v4_proxy ? &d->v4_proxy : NULL;
}

/* Join or leave group g on every interface: any-source, or with -o one
 * (S,G) per source of g's family (ssm_source). 0, or UFT_E_IO when a
 * join failed on every interface (errno from the last). */
static int membership(struct daemon *d, const struct uft_addr *g, bool join)
{
    const struct uft_addr *src;
    size_t i, k, ok = 0, tried = 0;
    for (i = 0; i < d->n_ifaces; i++) {
        if (!d->o.ssm) {
            int rc = join ? uft_udp_join(d->fd, g, d->ifindex[i], d->if_ipv4[i])
                          : uft_udp_leave(d->fd, g, d->ifindex[i], d->if_ipv4[i]);
            tried++;
            ok += rc == 0 || errno == EADDRINUSE;
            continue;
        }
        for (k = 0; (src = ssm_source(d, k)) != NULL; k++) {
            if (src->ss.ss_family != g->ss.ss_family)
                continue;
            tried++;
            ok +=
                uft_udp_join_source(d->fd, g, src, d->ifindex[i], join) == 0 || errno == EADDRINUSE;
        }
    }
    return tried && !ok ? UFT_E_IO : 0;
}

static void addr_of(const struct uft_event *ev, struct uft_addr *g)
{
    memset(g, 0, sizeof *g);
    if (ev->ipv6) {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&g->ss;
        s->sin6_family = AF_INET6;
        memcpy(&s->sin6_addr, ev->addr, 16);
        g->len = sizeof *s;
    } else {
        struct sockaddr_in *s = (struct sockaddr_in *)&g->ss;
        s->sin_family = AF_INET;
        memcpy(&s->sin_addr, ev->addr, 4);
        g->len = sizeof *s;
    }
}

/* -F: "CONNECT;time;SERVERID;GROUPID;server_ip;server_name", UFTP's line
 * for an accepted session (the name is the address: no DNS lookups). */
static void connect_line(struct daemon *d, const struct uft_event *ev)
{
    FILE *out = d->status_to_log ? d->log.f : d->status;
    struct uft_addr a;
    char host[80], stamp[32];
    if (!out || !ev->peer)
        return;
    uft_udp_from_peer(ev->peer, &a);
    uft_udp_format_host(&a, host, sizeof host);
    fprintf(out, "CONNECT;%s;%08X;%08X;%s;%s\n", status_time(stamp, sizeof stamp), ev->server_id,
            ev->group_id, host, host);
    fflush(out);
}

static void on_event(void *ctx, const struct uft_event *ev)
{
    struct daemon *d = ctx;
    struct uft_addr g;
    struct rx_file *r;
    char line[300];
    switch (ev->type) {
    case UFT_EV_LOG:
        uft_log_write(&d->log, ev->level, ev->group_id, ev->group_inst, ev->file_id, ev->text);
        break;
    case UFT_EV_SESSION_START:
        connect_line(d, ev);
        if (d->json && ev->peer) {
            struct uft_addr a;
            uft_udp_from_peer(ev->peer, &a);
            jsonev_rx_session_start(d->json, ev->group_id, ev->server_id,
                                    uft_udp_format_host(&a, line, sizeof line));
        }
        break;
    case UFT_EV_JOIN:
    case UFT_EV_LEAVE:
        addr_of(ev, &g);
        if (membership(d, &g, ev->type == UFT_EV_JOIN) != 0 && ev->type == UFT_EV_JOIN)
            uft_log_printf(&d->log, 0, "cannot join %s: %s", uft_udp_format(&g, line, sizeof line),
                           strerror(errno));
        break;
    case UFT_EV_FILE_RESULT:
        if (d->status || d->status_to_log)
            status_line(d, ev);
        snprintf(line, sizeof line, "File %u %s", ev->file_id,
                 ev->status == UFT_COMP_REJECTED  ? "rejected"
                 : ev->status == UFT_COMP_SKIPPED ? "skipped"
                                                  : "received");
        uft_log_write(&d->log, 2, ev->group_id, ev->group_inst, ev->file_id, line);
        if ((r = rx_by_id(d, ev->group_id, ev->group_inst, ev->file_id)) != NULL)
            rx_done(d, r, ev, ev->server_id);
        break;
    case UFT_EV_SESSION_FINAL:
        uft_store_session_final(&d->store, ev->group_id);
        break;
    case UFT_EV_SESSION_END:
        if (ev->status)
            snprintf(line, sizeof line, "Session failed%s%s", ev->text ? ": " : "",
                     ev->text ? ev->text : "");
        else
            snprintf(line, sizeof line, "Session complete");
        uft_log_write(&d->log, ev->status ? 1 : 2, ev->group_id, ev->group_inst, 0, line);
        uft_store_session_end(&d->store, ev->group_id, ev->status == 0);
        while ((r = rx_of_group(d, ev->group_id, ev->group_inst)) != NULL)
            rx_done(d, r, NULL, ev->server_id);
        if (d->json)
            jsonev_rx_session_end(d->json, ev->group_id, ev->server_id, ev->status == 0,
                                  ev->status ? ev->text : NULL);
        break;
    default:
        break;
    }
    if (d->json && !d->json_warned && jsonev_error(d->json)) {
        d->json_warned = true;
        uft_log_printf(&d->log, 0, "--json %s: cannot write (%s); no more JSON lines",
                       d->o.json_file, strerror(jsonev_error(d->json)));
    }
}

/* ---------- setup and loop ---------- */

/* -I: the interfaces named, or every multicast interface. */
static int setup_ifaces(struct daemon *d, char *err, size_t errlen)
{
    char list[1024], *tok, *save = NULL;
    if (!d->o.ifaces) {
        d->n_ifaces = uft_udp_ifaces(d->ifindex, d->if_ipv4, MAX_IFACES);
        if (d->n_ifaces == 0) { /* none up yet: let the kernel choose */
            d->ifindex[0] = 0;
            d->if_ipv4[0] = 0;
            d->n_ifaces = 1;
        }
        return 0;
    }
    snprintf(list, sizeof list, "%s", d->o.ifaces);
    for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (d->n_ifaces == MAX_IFACES) {
            snprintf(err, errlen, "-I: more than %d interfaces", MAX_IFACES);
            return UFT_E_VALUE;
        }
        d->ifindex[d->n_ifaces] = uft_udp_iface(tok, &d->if_ipv4[d->n_ifaces]);
        if (!d->ifindex[d->n_ifaces]) {
            snprintf(err, errlen, "-I %s: no such interface (give a name or one of its addresses)",
                     tok);
            return UFT_E_VALUE;
        }
        d->n_ifaces++;
    }
    return 0;
}

/* -S: the servers this daemon answers; with -o, their addresses are the
 * sources it joins. */
static int setup_servers(struct daemon *d, char *err, size_t errlen)
{
    size_t i;
    if (!d->o.server_list)
        return 0;
    if (hostlist_read_servers(d->o.server_list, &d->servers, &d->n_servers, err, errlen) != 0)
        return UFT_E_VALUE;
    d->entries = calloc(d->n_servers, sizeof *d->entries);
    if (!d->entries) {
        snprintf(err, errlen, "out of memory");
        return UFT_E_NOMEM;
    }
    for (i = 0; i < d->n_servers; i++)
        d->entries[i] = d->servers[i].e;
    return 0;
}

/* -S entries name proxies by ID; with -o each must be in -R, whose
 * address is the source to join from (as UFTP requires). */
static int check_proxy_ids(struct daemon *d, char *err, size_t errlen)
{
    size_t i, k;
    for (i = 0; d->o.ssm && i < d->n_servers; i++) {
        uint32_t id = d->entries[i].proxy_id;
        for (k = 0; id && k < d->n_proxies && d->proxy_entries[k].proxy_id != id; k++)
            ;
        if (id && k == d->n_proxies) {
            snprintf(err, errlen,
                     "-S %s: server %08X goes through proxy %08X, which -o needs in the -R list",
                     d->o.server_list, d->entries[i].server_id, id);
            return UFT_E_VALUE;
        }
    }
    return 0;
}

/* -R, -H and -r: the proxies. */
static int setup_proxies(struct daemon *d, char *err, size_t errlen)
{
    size_t i;
    if (d->o.proxy_list) {
        if (hostlist_read_proxies(d->o.proxy_list, &d->proxies, &d->n_proxies, err, errlen) != 0)
            return UFT_E_VALUE;
        d->proxy_entries = calloc(d->n_proxies + 1, sizeof *d->proxy_entries);
        if (!d->proxy_entries)
            return UFT_E_NOMEM;
        for (i = 0; i < d->n_proxies; i++)
            d->proxy_entries[i] = d->proxies[i].e;
    }
    if (d->o.hb_hosts) {
        if (hostlist_parse_hosts(d->o.hb_hosts, 1044, &d->hb_addrs, &d->n_hb, err, errlen) != 0)
            return UFT_E_VALUE;
        d->hb_peers = calloc(d->n_hb, sizeof *d->hb_peers);
        if (!d->hb_peers)
            return UFT_E_NOMEM;
        for (i = 0; i < d->n_hb; i++)
            uft_udp_to_peer(&d->hb_addrs[i], &d->hb_peers[i]);
    }
    if (d->o.v4_proxy) {
        if (hostlist_parse_proxy4(d->o.v4_proxy, d->port, &d->v4_proxy, &d->v4_has_fp, d->v4_fp,
                                  err, errlen) != 0)
            return UFT_E_VALUE;
        d->has_v4_proxy = true;
    }
    return check_proxy_ids(d, err, errlen);
}

/* An IPv6 socket (dual-stack) when any -M group, -H host or the -r proxy
 * is IPv6. */
static bool wants_v6(const struct daemon *d)
{
    size_t i;
    for (i = 0; i < d->n_hb; i++)
        if (d->hb_addrs[i].ss.ss_family == AF_INET6)
            return true;
    return strchr(d->o.pub_addrs, ':') != NULL ||
           (d->has_v4_proxy && d->v4_proxy.ss.ss_family == AF_INET6);
}

static int setup_socket(struct daemon *d, char *err, size_t errlen)
{
    struct uft_udp_opts uo;
    char list[1024], *tok, *save = NULL;
    bool v6;
    int rc;
    if ((rc = setup_ifaces(d, err, errlen)) != 0 || (rc = setup_servers(d, err, errlen)) != 0 ||
        (rc = setup_proxies(d, err, errlen)) != 0)
        return rc;
    v6 = wants_v6(d);
    memset(&uo, 0, sizeof uo);
    uo.family = v6 ? AF_INET6 : AF_INET;
    uo.port = d->port;
    uo.sockbuf = (int)d->o.sockbuf;
    uo.dscp = (int)d->o.dscp;
    if (d->o.ifaces) { /* replies leave by the first one named */
        uo.ifindex = d->ifindex[0];
        uo.if_ipv4 = d->if_ipv4[0];
    }
    d->fd = uft_udp_open(&uo);
    if (d->fd < 0) {
        snprintf(err, errlen, "-p %u: cannot open the UDP port: %s", d->port, strerror(errno));
        return UFT_E_IO;
    }
    uft_udp_enable_gro(d->fd); /* a GSO sender's run of blocks arrives as one read */
    snprintf(list, sizeof list, "%s", d->o.pub_addrs);
    for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        struct uft_addr g;
        if (uft_udp_resolve(tok, d->port, AF_UNSPEC, &g) != 0 || !uft_udp_is_multicast(&g)) {
            snprintf(err, errlen, "-M %s: not a multicast address", tok);
            return UFT_E_VALUE;
        }
        if (d->o.ssm && !uft_udp_is_ssm(&g)) {
            snprintf(err, errlen, "-M %s: -o needs source-specific addresses (232.x.x.x, ff3x::)",
                     tok);
            return UFT_E_VALUE;
        }
        if (membership(d, &g, true) != 0) {
            snprintf(err, errlen, "-M %s: cannot join: %s", tok, strerror(errno));
            return UFT_E_IO;
        }
    }
    return 0;
}

/* One form per address, so the engine can compare sources with -H and -r
 * hosts byte for byte: an IPv4-mapped IPv6 source (a dual-stack socket)
 * becomes plain IPv4 (sending maps it back), and the IPv6 flow label is
 * dropped. */
static void canonical(struct uft_addr *a)
{
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;
    struct sockaddr_in s4;
    if (a->ss.ss_family != AF_INET6)
        return;
    s6->sin6_flowinfo = 0;
    if (!IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
        return;
    memset(&s4, 0, sizeof s4);
    s4.sin_family = AF_INET;
    s4.sin_port = s6->sin6_port;
    memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
    memset(&a->ss, 0, sizeof a->ss);
    memcpy(&a->ss, &s4, sizeof s4);
    a->len = sizeof s4;
}

static void on_readable(void *ctx, int fd)
{
    static struct uft_udp_batch b;
    struct daemon *d = ctx;
    unsigned i, rounds = 0;
    /* a bounded number of batches, so timers still run under a flood */
    while (rounds++ < 64 && uft_udp_recv_batch(fd, &b) == 0 && b.n > 0) {
        uft_ts now = uft_clock_now_ns();
        for (i = 0; i < b.n; i++) {
            struct uft_peer p;
            if (i == 0 || b.src[i] != b.src[i - 1])
                canonical(&b.from[b.src[i]]);
            uft_udp_to_peer(&b.from[b.src[i]], &p);
            uft_client_feed(d->client, now, b.p[i], b.len[i], &p);
        }
    }
}

/* The engine's deadline, but at most a second away (a quarter of one
 * with progress lines to refresh): a signal that lands just before the
 * wait is then noticed within a second. */
static uft_ts wait_until(uft_ts deadline, uft_ts now, bool progress)
{
    uft_ts cap = progress ? PROGRESS_PERIOD_NS : 1000000000u;
    return deadline > now && deadline - now > cap ? now + cap : deadline;
}

static int run(struct daemon *d)
{
    static uint8_t buf[10000];
    struct uft_loop loop;
    bool shutting = false;
    int rc = 0;
    if (uft_loop_open(&loop) != 0 || uft_loop_add(&loop, d->fd, on_readable, d) != 0 ||
        app_hooks_watch(&loop, d->hooks) != 0) {
        uft_log_printf(&d->log, 0, "cannot set up the event loop: %s", strerror(errno));
        return 2;
    }
    for (;;) {
        uft_ts now = uft_clock_now_ns();
        struct uft_tx tx;
        ssize_t n;
        reap_children(d);
        if (app_stopping(d->hooks, stop_signal) && !shutting) {
            if (stop_signal)
                uft_log_printf(&d->log, 1, "Exiting on signal %d", (int)stop_signal);
            else
                uft_log_printf(&d->log, 2, "Exiting: stopped by the caller");
            uft_client_shutdown(d->client, now);
            shutting = true;
        }
        while ((n = uft_client_pull(d->client, now, buf, sizeof buf, &tx)) > 0) {
            struct uft_addr to;
            uft_udp_from_peer(&tx.peer, &to);
            if (uft_udp_send(d->fd, buf, (size_t)n, &to) != 0) {
                const char *why = strerror(errno);
                char where[80];
                uft_log_printf(&d->log, 1, "send to %s failed: %s",
                               uft_udp_format(&to, where, sizeof where), why);
            }
        }
        if (shutting) {
            rc = 6;
            break;
        }
        if (progress_due(d->prog, now))
            draw_progress(d, now);
        if (uft_loop_wait(&loop, wait_until(uft_client_deadline(d->client), now, d->prog != NULL)) <
            0) {
            uft_log_printf(&d->log, 0, "event loop failed: %s", strerror(errno));
            rc = 2;
            break;
        }
    }
    uft_loop_close(&loop);
    return rc;
}

/* Signals, and the priority (-N), once the process is the daemon. */
static void settle(struct daemon *d)
{
    struct sigaction sa;
    if (d->hooks)
        goto priority; /* the process is the library user's: its signals too */
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_child;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
priority:
    if (d->o.nice && setpriority(PRIO_PROCESS, 0, (int)d->o.nice) != 0)
        uft_log_printf(&d->log, 1, "cannot set priority -N %ld: %s; running at priority %d",
                       d->o.nice, strerror(errno), getpriority(PRIO_PROCESS, 0));
}

/* --user and --confine, last before the loop: writable stay -D, -A, -T
 * and, when the log rolls over (-g), the log's directory. */
static int confine(struct daemon *d)
{
    const char *dirs[2 * UFTPD_MAX_DIRS + 2];
    char logdir[4096];
    size_t n = 0, i;
    if (!d->o.user && !d->o.confine)
        return 0;
    if (d->hooks) {
        uft_log_printf(&d->log, 0,
                       "uftpd: --user and --confine act on the whole process; the "
                       "library does not take them");
        return 1;
    }
    for (i = 0; i < d->o.n_dest; i++)
        dirs[n++] = d->o.dest[i];
    for (i = 0; i < d->o.n_backup; i++)
        dirs[n++] = d->o.backup[i];
    if (d->o.temp_dir)
        dirs[n++] = d->o.temp_dir;
    if (!d->o.foreground && d->o.log_max_mb)
        dirs[n++] = app_log_dir(d->o.logfile, logdir, sizeof logdir);
    return app_confine(&d->log, "uftpd", d->o.user, d->o.confine, dirs, n, d->o.script != NULL);
}

/* The log (-L, -x), the status output (-F) and the store (-D, -T, -A). */
static int open_outputs(struct daemon *d)
{
    struct uft_store_cfg sc;
    if (uft_log_open(&d->log, d->o.foreground ? NULL : d->o.logfile, (int)d->o.log_level, true)) {
        fprintf(stderr, "uftpd: cannot open log file %s: %s\n", d->o.logfile, strerror(errno));
        return 4;
    }
    if (d->o.json_file && !(d->json = jsonev_open(d->o.json_file))) {
        fprintf(stderr, "uftpd: --json %s: %s\n", d->o.json_file, strerror(errno));
        return 1;
    }
    if (d->hooks && d->hooks->line) {
        if (!d->json && !(d->json = jsonev_new(NULL)))
            return 5;
        jsonev_set_sink(d->json, d->hooks->line, d->hooks->ctx);
    }
    /* progress lines share the terminal with the log: -d, and not -x 0;
     * not with JSON lines on the terminal, which would land inside them */
    if (!d->hooks && d->o.foreground && !d->o.no_progress && d->o.log_level > 0 &&
        !(d->o.json_file && strcmp(d->o.json_file, "-") == 0 && isatty(STDOUT_FILENO)) &&
        (d->prog = progress_new(STDERR_FILENO)) != NULL && progress_log_stream(d->prog))
        d->log.f = progress_log_stream(d->prog);
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
    sc.cache_bytes = (size_t)d->o.cache;
    sc.placed = on_placed;
    sc.log = on_store_log;
    sc.ctx = d;
    if (uft_store_open_cfg(&d->store, &sc) != 0) {
        fprintf(stderr, "uftpd: %s\n", d->store.last_error);
        return 1;
    }
    return 0;
}

/* The engine's view of -R, -H/-h and -r, and what the log says of them. */
static void configure_proxies(struct daemon *d, struct uft_client_cfg *cfg)
{
    char where[80];
    cfg->proxies = d->proxy_entries;
    cfg->n_proxies = d->n_proxies;
    cfg->hb_peers = d->hb_peers;
    cfg->n_hb_peers = d->n_hb;
    cfg->hb_interval = (uft_ts)d->o.hb_interval * UFT_SEC;
    if (d->n_hb) {
        uft_log_printf(&d->log, 2, "Sending heartbeats to %zu host(s), the first %s, every %ld s",
                       d->n_hb, uft_udp_format(&d->hb_addrs[0], where, sizeof where),
                       d->o.hb_interval);
        if (!d->o.keyfile)
            uft_log_printf(&d->log, 1,
                           "-H without -k: a proxy that checks heartbeats (fp=) cannot know this "
                           "run's ephemeral key; give -k with the key whose fingerprint it has");
    }
    if (d->has_v4_proxy) {
        uft_udp_to_peer(&d->v4_proxy, &cfg->v4_proxy);
        cfg->has_v4_proxy = true;
        cfg->v4_has_fp = d->v4_has_fp;
        memcpy(cfg->v4_fp, d->v4_fp, sizeof cfg->v4_fp);
        uft_log_printf(&d->log, 2, "UFTP 4 sessions reply through the response proxy %s",
                       uft_udp_format(&d->v4_proxy, where, sizeof where));
    }
}

int uftpd_run(int argc, char **argv, const struct app_hooks *hooks)
{
    struct daemon d;
    struct uft_client_cfg cfg;
    struct uft_client_ops ops;
    struct uft_signkey *signkey = NULL;
    char err[512], desc[160];
    int rc;
    memset(&d, 0, sizeof d);
    d.hooks = hooks;
    app_parse_lock();
    rc = uftpd_cli_parse(argc, argv, &d.o, err, sizeof err);
    app_parse_unlock();
    if (rc == UFTPD_CLI_HELP) {
        uftpd_cli_usage(stdout);
        return 0;
    }
    if (rc != UFTPD_CLI_OK) {
        fprintf(stderr, "uftpd: %s\n", err);
        return 1;
    }
    if (hooks && !d.o.foreground) {
        fprintf(stderr, "uftpd: the library runs the receiver in the foreground: pass -d\n");
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
    if (!cfg.client_id) {
        fprintf(stderr, "uftpd: no interface address to take an ID from: give one with -U\n");
        return 1;
    }
    cfg.encrypted_only = d.o.encrypted_only;
    cfg.servers = d.entries;
    cfg.n_servers = d.n_servers;
    configure_proxies(&d, &cfg);
    memset(&ops, 0, sizeof ops);
    ops.ctx = &d;
    ops.event = on_event;
    ops.file_begin = st_begin;
    ops.file_write = st_write;
    ops.file_end = st_end;
    ops.file_have = st_have;
    ops.crypto = uft_crypto_ops();
    ops.file_read = st_read;
    ops.hash_new = uft_crypto_sha256_new;
    ops.hash_update = uft_crypto_sha256_update;
    ops.hash_final = uft_crypto_sha256_final;
    cfg.no_fec = d.o.no_fec;
    if (uft_client_create(&cfg, &ops, &d.client) != 0) {
        fprintf(stderr, "uftpd: out of memory\n");
        return 5;
    }
    if (!d.o.foreground) {
        rc = app_daemonize(&d.log, d.o.pidfile, d.o.logfile, d.o.log_max_mb, d.o.log_count);
        if (rc != 0) {
            uft_client_free(d.client);
            return rc;
        }
    }
    settle(&d);
    if ((rc = confine(&d)) != 0) {
        uft_client_free(d.client);
        return rc;
    }
    uft_log_printf(&d.log, 2, "ufcast uftpd listening on port %u as client 0x%08X", d.port,
                   cfg.client_id);
    uft_store_recover(&d.store); /* -T: groups stopped between final COMPLETE and DONE_CONF */
    rc = run(&d);
    {
        struct uft_client_stats cs;
        uft_client_stats(d.client, &cs);
        uft_log_printf(&d.log, 2,
                       "Datagrams: %llu accepted, %llu dropped; sessions: %u complete, %u failed",
                       (unsigned long long)cs.rx_packets, (unsigned long long)cs.rx_dropped,
                       cs.sessions_ok, cs.sessions_failed);
    }
    uft_client_free(d.client);
    if (jsonev_close(d.json) != 0)
        uft_log_printf(&d.log, 0, "--json %s: not every line could be written", d.o.json_file);
    if (d.prog && d.log.f == progress_log_stream(d.prog))
        d.log.f = stderr; /* the progress stream goes with it */
    progress_free(d.prog);
    while (d.n_rx)
        rx_remove(&d, &d.rx[0]);
    free(d.rx);
    uft_signkey_free(signkey);
    uft_store_close(&d.store);
    free(d.servers);
    free(d.entries);
    free(d.proxies);
    free(d.proxy_entries);
    free(d.hb_addrs);
    free(d.hb_peers);
    if (d.status)
        fclose(d.status);
    close(d.fd);
    return rc;
}
