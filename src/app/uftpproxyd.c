/*
 * uftpproxyd: UFTP's proxy daemon (server, client or response proxy) over
 * the core's proxy session. One UDP socket on -p carries both directions;
 * a client proxy multicasts downstream to port -q, a response proxy's
 * PROXY_KEY goes to port -p, and the public and private groups are
 * joined on every -I interface (a client proxy joins none: it hears its
 * server proxy by unicast).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "app/daemon.h"
#include "app/filelist.h"
#include "app/hostlist.h"
#include "app/keys.h"
#include "app/mcast.h"
#include "app/uftpproxyd_cli.h"
#include "core/err.h"
#include "core/proxy.h"
#include "crypto/ops.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/udp.h"

#define MAX_HB 100

struct proxyd {
    struct uftpproxyd_opts o;
    struct uft_log log;
    struct app_mcast mc;
    struct uft_proxy *proxy;
    struct uft_peer hb[MAX_HB];
    size_t n_hb;
    size_t n_servers; /* -S */
    struct uft_addr *sources;
    uint32_t *server_ids; /* 20 fingerprint bytes each, zero where none is given */
    uint8_t *server_fps;
    uint32_t *clients; /* -C */
    uint8_t *client_fps;
    size_t n_clients;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void on_event(void *ctx, const struct uft_event *ev)
{
    struct proxyd *d = ctx;
    struct uft_addr g;
    char where[80];
    switch (ev->type) {
    case UFT_EV_LOG:
        uft_log_write(&d->log, ev->level, ev->group_id, ev->group_inst, 0, ev->text);
        break;
    case UFT_EV_JOIN:
    case UFT_EV_LEAVE:
        app_mcast_addr(ev->addr, ev->ipv6, (uint16_t)d->o.port, &g);
        if (app_mcast_membership(&d->mc, &g, ev->type == UFT_EV_JOIN) != 0 &&
            ev->type == UFT_EV_JOIN)
            uft_log_printf(&d->log, 0, "cannot join %s: %s",
                           uft_udp_format(&g, where, sizeof where), strerror(errno));
        break;
    default:
        break;
    }
}

/* host[:port] or [v6]:port, default port 1044. */
static int parse_hostport(const char *s, uint16_t def_port, struct uft_addr *out)
{
    char host[256];
    const char *port = NULL;
    long p = def_port;
    if (s[0] == '[') {
        const char *e = strchr(s, ']');
        if (!e || (size_t)(e - s - 1) >= sizeof host)
            return -1;
        memcpy(host, s + 1, (size_t)(e - s - 1));
        host[e - s - 1] = '\0';
        if (e[1] == ':')
            port = e + 2;
    } else {
        snprintf(host, sizeof host, "%s", s);
        if (strchr(host, ':') && strchr(host, ':') == strrchr(host, ':')) {
            port = strchr(s, ':') + 1;
            host[strcspn(host, ":")] = '\0';
        }
    }
    if (port) {
        char *end;
        p = strtol(port, &end, 10);
        if (*end || p < 1 || p > 65535)
            return -1;
    }
    return uft_udp_resolve(host, (uint16_t)p, AF_UNSPEC, out);
}

/* Cut s at the first '|' (s then holds the field, trimmed); the rest, or
 * NULL when there is none. */
static char *field(char *s)
{
    char *bar = strchr(s, '|'), *e;
    if (bar)
        *bar = '\0';
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return bar ? bar + 1 : NULL;
}

/* One line of the proxy's -S list: "ServerID|IP[|fingerprint]" (uftpd's
 * list has a ProxyID field as well; the proxy's has none). */
static int server_line(char *id_s, size_t i, struct proxyd *d, char *err, size_t errlen)
{
    const char *path = d->o.server_list;
    char *ip = field(id_s), *fp = ip ? field(ip) : NULL, *end;
    unsigned long id = 0;
    bool ok = ip && (!fp || !field(fp));
    if (ok) {
        errno = 0;
        id = strtoul(id_s, &end, 16);
        ok = *id_s && !*end && !errno && id != 0 && id <= 0xffffffffUL;
    }
    if (!ok) {
        snprintf(err, errlen, "-S %s line %zu: want ServerID|IP[|fingerprint], the ID in hex", path,
                 i + 1);
        return -1;
    }
    ip += strspn(ip, " \t");
    if (uft_udp_resolve(ip, 0, AF_UNSPEC, &d->sources[d->n_servers]) != 0) {
        snprintf(err, errlen, "-S %s line %zu: cannot resolve server address '%s'", path, i + 1,
                 ip);
        return -1;
    }
    if (fp && *(fp += strspn(fp, " \t")) &&
        app_parse_fingerprint(fp, d->server_fps + 20 * d->n_servers) != 0) {
        snprintf(err, errlen, "-S %s line %zu: the fingerprint must be 20 hex pairs joined by ':'",
                 path, i + 1);
        return -1;
    }
    d->server_ids[d->n_servers++] = (uint32_t)id;
    return 0;
}

static int read_servers(struct proxyd *d, char *err, size_t errlen)
{
    char **lines = NULL;
    size_t n = 0, i;
    int rc = 0;
    if (filelist_read_lines(d->o.server_list, &lines, &n) != 0) {
        snprintf(err, errlen, "-S %s: %s", d->o.server_list, strerror(errno));
        return -1;
    }
    d->sources = calloc(n + 1, sizeof *d->sources);
    d->server_ids = calloc(n + 1, sizeof *d->server_ids);
    d->server_fps = calloc(n + 1, 20);
    if (!d->sources || !d->server_ids || !d->server_fps) {
        snprintf(err, errlen, "-S %s: out of memory", d->o.server_list);
        rc = -1;
    }
    for (i = 0; rc == 0 && i < n; i++) {
        char *p = lines[i] + strspn(lines[i], " \t");
        p[strcspn(p, "#")] = '\0';
        if (*p)
            rc = server_line(p, i, d, err, errlen);
    }
    if (rc == 0 && d->n_servers == 0) {
        snprintf(err, errlen, "-S %s: lists no server", d->o.server_list);
        rc = -1;
    }
    filelist_free_lines(lines, n);
    return rc;
}

static int setup_lists(struct proxyd *d, struct uft_proxy_cfg *cfg, char *err, size_t errlen)
{
    char buf[4096], *tok, *save = NULL;
    if (d->o.hb_hosts) {
        snprintf(buf, sizeof buf, "%s", d->o.hb_hosts);
        for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            struct uft_addr a;
            if (d->n_hb == MAX_HB || parse_hostport(tok, 1044, &a) != 0) {
                snprintf(err, errlen, "-H %s: cannot resolve (host[:port] or [v6]:port)", tok);
                return -1;
            }
            uft_udp_to_peer(&a, &d->hb[d->n_hb++]);
        }
    }
    if (d->o.client_list) {
        char spec[4100];
        snprintf(spec, sizeof spec, "@%s", d->o.client_list);
        if (hostlist_parse_clients(spec, &d->clients, &d->client_fps, &d->n_clients, err, errlen) !=
            0)
            return -1;
    }
    if (d->o.server_list && read_servers(d, err, errlen) != 0)
        return -1;
    cfg->hb_peers = d->hb;
    cfg->n_hb = d->n_hb;
    cfg->hb_interval = (uft_ts)d->o.hb_interval * UFT_SEC;
    cfg->clients = d->clients;
    cfg->client_fps = d->client_fps;
    cfg->n_clients = d->n_clients;
    cfg->servers = d->server_ids;
    cfg->server_fps = d->server_fps;
    cfg->n_servers = d->n_servers;
    return 0;
}

static int setup_mode(struct proxyd *d, struct uft_proxy_cfg *cfg, char *err, size_t errlen)
{
    cfg->kind = d->o.client     ? UFT_PROXY_CLIENT
                : d->o.response ? UFT_PROXY_RESPONSE
                                : UFT_PROXY_SERVER;
    if (cfg->kind != UFT_PROXY_SERVER)
        return 0;
    if (strncmp(d->o.server_dest, "fp=", 3) == 0) {
        if (app_parse_fingerprint(d->o.server_dest + 3, cfg->down_fp) != 0) {
            snprintf(err, errlen, "-s %s: the fingerprint must be 20 hex pairs joined by ':'",
                     d->o.server_dest);
            return -1;
        }
        cfg->down_by_fp = true;
    } else {
        struct uft_addr a;
        if (uft_udp_resolve(d->o.server_dest, (uint16_t)d->o.dest_port, AF_UNSPEC, &a) != 0) {
            snprintf(err, errlen, "-s %s: cannot resolve the downstream host", d->o.server_dest);
            return -1;
        }
        uft_udp_to_peer(&a, &cfg->down);
        cfg->down_fixed = true;
    }
    return 0;
}

static int open_socket(struct proxyd *d, char *err, size_t errlen)
{
    struct uft_udp_opts uo;
    char list[1024], *tok, *save = NULL;
    bool v6 = strchr(d->o.pub_addrs, ':') != NULL ||
              (d->o.server_dest && strchr(d->o.server_dest, ':') && !d->o.client);
    memset(&uo, 0, sizeof uo);
    uo.family = v6 ? AF_INET6 : AF_INET;
    uo.port = (uint16_t)d->o.port;
    uo.sockbuf = (int)d->o.sockbuf;
    uo.ttl = (int)d->o.ttl;
    uo.dscp = (int)d->o.dscp;
    if (d->o.out_iface && !(uo.ifindex = uft_udp_iface(d->o.out_iface, &uo.if_ipv4))) {
        snprintf(err, errlen, "-O %s: no such interface", d->o.out_iface);
        return -1;
    }
    d->mc.fd = uft_udp_open(&uo);
    if (d->mc.fd < 0) {
        snprintf(err, errlen, "-p %ld: cannot open the UDP port: %s", d->o.port, strerror(errno));
        return -1;
    }
    d->mc.ssm = d->o.ssm;
    d->mc.sources = d->sources;
    d->mc.n_sources = d->n_servers;
    if (app_mcast_ifaces(&d->mc, d->o.ifaces, err, errlen) != 0)
        return -1;
    if (d->o.client)
        return 0; /* a client proxy hears its server proxy by unicast */
    snprintf(list, sizeof list, "%s", d->o.pub_addrs);
    for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        struct uft_addr g;
        if (uft_udp_resolve(tok, (uint16_t)d->o.port, AF_UNSPEC, &g) != 0 ||
            !uft_udp_is_multicast(&g) || (d->o.ssm && !uft_udp_is_ssm(&g))) {
            snprintf(err, errlen, "-M %s: not a%s multicast address", tok,
                     d->o.ssm ? " source-specific" : "");
            return -1;
        }
        if (app_mcast_membership(&d->mc, &g, true) != 0) {
            snprintf(err, errlen, "-M %s: cannot join: %s", tok, strerror(errno));
            return -1;
        }
    }
    return 0;
}

static void on_readable(void *ctx, int fd)
{
    static uint8_t buf[10000];
    struct proxyd *d = ctx;
    struct uft_addr from;
    ssize_t n;
    while ((n = uft_udp_recv(fd, buf, sizeof buf, &from)) > 0) {
        struct uft_peer p;
        uft_udp_to_peer(&from, &p);
        uft_proxy_feed(d->proxy, uft_clock_now_ns(), buf, (size_t)n, &p);
    }
}

static void send_due(struct proxyd *d, uft_ts now)
{
    static uint8_t buf[10000];
    /* a client proxy multicasts to its receivers' port, a response
     * proxy's PROXY_KEY goes to the port the receivers listen on (-p) */
    uint16_t gport = (uint16_t)(d->o.client ? d->o.dest_port : d->o.port);
    struct uft_tx tx;
    ssize_t n;
    while ((n = uft_proxy_pull(d->proxy, now, buf, sizeof buf, &tx)) > 0) {
        struct uft_addr to;
        if (tx.dst == UFT_DST_GROUP)
            app_mcast_addr(tx.group, tx.group_v6, gport, &to);
        else
            uft_udp_from_peer(&tx.peer, &to);
        if (uft_udp_send(d->mc.fd, buf, (size_t)n, &to) != 0) {
            const char *why = strerror(errno);
            char where[80];
            uft_log_printf(&d->log, 1, "send to %s failed: %s",
                           uft_udp_format(&to, where, sizeof where), why);
        }
    }
}

static int run(struct proxyd *d)
{
    struct uft_loop loop;
    int rc = 6;
    if (uft_loop_open(&loop) != 0 || uft_loop_add(&loop, d->mc.fd, on_readable, d) != 0) {
        uft_log_printf(&d->log, 0, "cannot set up the event loop: %s", strerror(errno));
        return 2;
    }
    while (!stop_signal) {
        uft_ts now = uft_clock_now_ns(), dl;
        send_due(d, now);
        dl = uft_proxy_deadline(d->proxy);
        if (dl > now && dl - now > UFT_SEC)
            dl = now + UFT_SEC; /* notice a signal that lands before the wait */
        if (uft_loop_wait(&loop, dl) < 0) {
            uft_log_printf(&d->log, 0, "event loop failed: %s", strerror(errno));
            rc = 2;
            break;
        }
    }
    if (stop_signal)
        uft_log_printf(&d->log, 1, "Exiting on signal %d", (int)stop_signal);
    uft_loop_close(&loop);
    return rc;
}

static int start(struct proxyd *d, struct uft_signkey **key)
{
    struct uft_proxy_cfg cfg;
    struct uft_proxy_ops ops;
    char err[512], desc[160] = "", first_key[1024], first_gen[256];
    int rc;
    memset(&cfg, 0, sizeof cfg);
    if (setup_mode(d, &cfg, err, sizeof err) || setup_lists(d, &cfg, err, sizeof err)) {
        fprintf(stderr, "uftpproxyd: %s\n", err);
        return 1;
    }
    if (open_socket(d, err, sizeof err)) {
        fprintf(stderr, "uftpproxyd: %s\n", err);
        return 2;
    }
    /* -k and -K take lists; UFTP 5 signs with the first */
    snprintf(first_key, sizeof first_key, "%s", d->o.keyfile ? d->o.keyfile : "");
    first_key[strcspn(first_key, ",")] = '\0';
    snprintf(first_gen, sizeof first_gen, "%s", d->o.keygen ? d->o.keygen : "");
    first_gen[strcspn(first_gen, ",")] = '\0';
    if ((rc = app_signing_key(first_key[0] ? first_key : NULL, first_gen[0] ? first_gen : NULL, key,
                              desc, sizeof desc, err, sizeof err)) != 0) {
        fprintf(stderr, "uftpproxyd: %s\n", err);
        return rc;
    }
    if (desc[0])
        uft_log_printf(&d->log, 2, "Loaded signing key: %s", desc);
    cfg.signkey = *key;
    cfg.proxy_id = d->o.uid ? d->o.uid : uft_udp_default_id();
    if (!cfg.proxy_id) {
        fprintf(stderr, "uftpproxyd: no interface address to take an ID from: give one with -U\n");
        return 1;
    }
    memset(&ops, 0, sizeof ops);
    ops.ctx = d;
    ops.event = on_event;
    ops.crypto = uft_crypto_ops();
    if (uft_proxy_create(&cfg, &ops, uft_clock_now_ns(), &d->proxy) != 0) {
        fprintf(stderr, "uftpproxyd: cannot start the proxy (out of memory)\n");
        return 5;
    }
    uft_log_printf(&d->log, 2, "ufcast uftpproxyd: %s proxy 0x%08X on port %ld",
                   d->o.client     ? "client"
                   : d->o.response ? "response"
                                   : "server",
                   cfg.proxy_id, d->o.port);
    return 0;
}

/* --user and --confine, last before the loop: a proxy writes no files
 * once started, except its log's directory when the log rolls (-g). */
static int confine(struct proxyd *d)
{
    const char *dirs[1];
    char logdir[4096];
    size_t n = 0;
    if (!d->o.foreground && d->o.log_max_mb)
        dirs[n++] = app_log_dir(d->o.logfile, logdir, sizeof logdir);
    return app_confine(&d->log, "uftpproxyd", d->o.user, d->o.confine, dirs, n, false);
}

int main(int argc, char **argv)
{
    struct proxyd d;
    struct uft_signkey *key = NULL;
    char err[512];
    int rc;
    memset(&d, 0, sizeof d);
    d.mc.fd = -1;
    rc = uftpproxyd_cli_parse(argc, argv, &d.o, err, sizeof err);
    if (rc == UFTPPROXYD_CLI_HELP) {
        uftpproxyd_cli_usage(stdout);
        return 0;
    }
    if (rc != UFTPPROXYD_CLI_OK) {
        fprintf(stderr, "uftpproxyd: %s\n", err);
        return 1;
    }
    if (uft_log_open(&d.log, d.o.foreground ? NULL : d.o.logfile, (int)d.o.log_level, true)) {
        fprintf(stderr, "uftpproxyd: -L %s: %s\n", d.o.logfile, strerror(errno));
        return 4;
    }
    if ((rc = start(&d, &key)) == 0 &&
        (d.o.foreground || (rc = app_daemonize(&d.log, d.o.pidfile, d.o.logfile, d.o.log_max_mb,
                                               d.o.log_count)) == 0)) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        signal(SIGPIPE, SIG_IGN);
        if (d.o.nice && setpriority(PRIO_PROCESS, 0, (int)d.o.nice) != 0)
            uft_log_printf(&d.log, 1, "cannot set priority -N %ld: %s", d.o.nice, strerror(errno));
        if ((rc = confine(&d)) == 0)
            rc = run(&d);
    }
    uft_proxy_free(d.proxy);
    uft_signkey_free(key);
    free(d.sources);
    free(d.server_ids);
    free(d.server_fps);
    free(d.clients);
    free(d.client_fps);
    return rc;
}
