/*
 * uftp: the UFTP server. It expands its operands into the file list,
 * runs one session of the core's server over a UDP socket, prints UFTP's
 * log lines and status file, and exits with UFTP's exit codes. ufcast
 * adds JSON status lines (--json) and, on a terminal, live progress; both
 * follow the session's events, the progress lines also its counters.
 *
 * The body is uftp_run() (apprun.h): uftp_main.c's main() and the library
 * API (src/lib/ufcast.c) both call it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "app/apprun.h"
#include "app/filelist.h"
#include "app/hostlist.h"
#include "app/jsonev.h"
#include "app/keys.h"
#include "app/opt.h"
#include "app/progress.h"
#include "app/restart.h"
#include "app/uftp_status.h"
#include "app/uftp_cli.h"
#include "core/err.h"
#include "core/msg.h"
#include "core/server.h"
#include "crypto/crypto.h"
#include "crypto/ops.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/udp.h"

struct sender {
    struct uftp_opts o;
    struct uft_log log;
    struct fl_list files;
    struct uft_server_file *sfiles;
    int cur_fd; /* the file being read (one at a time) */
    size_t cur_idx;
    uint8_t *ra; /* read-ahead of cur_fd: ra_len bytes from ra_off */
    size_t ra_len;
    uint64_t ra_off, next_off; /* next_off: where the last block read ended */
    int fd;
    struct uft_addr pub, priv;
    FILE *status;
    uint16_t port;
    uint32_t clients_ok_files;
    char **operands; /* what the file list was built from (-i lines, operands, -F) */
    size_t n_operands;
    char **list_lines; /* -i's lines, owned */
    size_t n_list_lines;
    struct restart_info restart; /* -F */
    struct uft_server *srv;
    struct ustatus *ust; /* -S */
    const char **names;  /* file i+1's name on the receivers, for -S */
    uint64_t *sizes;     /* and its size */
    /* --json and the progress lines, from the session's events */
    struct jsonev *json;
    bool json_warned;
    struct progress *prog;
    struct progress_rate rate;
    uft_ts started_at;
    char *cur_name; /* the file being sent (FILE_START's name) */
    uint64_t cur_size;
    bool cur_reg;             /* it is a regular file */
    size_t n_started;         /* files started so far */
    uint64_t bytes_before;    /* sizes of the regular files before it */
    uint64_t total_bytes;     /* of every regular file */
    uint64_t bytes_delivered; /* copied or overwritten, summed over clients */
    uint32_t n_registered, n_file_done;
    uint32_t *failed_ids; /* clients reported failed, sorted: each is reported once */
    size_t n_failed, cap_failed;
    const struct app_hooks *hooks; /* NULL: the program (main) */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void warn_cb(void *ctx, const char *msg)
{
    struct sender *s = ctx;
    uft_log_printf(&s->log, 1, "%s", msg);
}

#define READ_AHEAD (1u << 20)

/* Make file i the open one: only one is open at a time, so ten thousand
 * files never run out of descriptors. */
static int open_file(struct sender *s, size_t i)
{
    if (s->cur_fd >= 0 && s->cur_idx == i)
        return 0;
    if (s->cur_fd >= 0)
        close(s->cur_fd);
    s->ra_len = 0;
    s->next_off = 0;
    s->cur_idx = i;
    s->cur_fd = open(s->files.v[i].src, O_RDONLY | O_CLOEXEC);
    if (s->cur_fd < 0) {
        uft_log_printf(&s->log, 0, "cannot read %s: %s", s->files.v[i].src, strerror(errno));
        return UFT_E_IO;
    }
    posix_fadvise(s->cur_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return 0;
}

static int read_at(struct sender *s, uint64_t off, uint8_t *buf, size_t len, size_t *got)
{
    *got = 0;
    while (*got < len) {
        ssize_t n = pread(s->cur_fd, buf + *got, len - *got, (off_t)(off + *got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            uft_log_printf(&s->log, 0, "cannot read %s: %s", s->files.v[s->cur_idx].src,
                           strerror(errno));
            return UFT_E_IO;
        }
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return 0;
}

/* A block of the file behind handle. The first pass reads in order, so
 * when a block follows the last one, a megabyte is read at once and the
 * next blocks are served from it; repairs jump about and read just their
 * block. */
static int read_block(void *ctx, void *handle, uint64_t off, uint8_t *buf, size_t len)
{
    struct sender *s = ctx;
    size_t i = (size_t)(uintptr_t)handle - 1, got;
    int rc = open_file(s, i);
    if (rc)
        return rc;
    if (s->ra_len && off >= s->ra_off && off + len <= s->ra_off + s->ra_len) {
        memcpy(buf, s->ra + (off - s->ra_off), len);
    } else if (s->ra && off == s->next_off) {
        if ((rc = read_at(s, off, s->ra, READ_AHEAD, &got)) != 0)
            return rc;
        s->ra_off = off;
        s->ra_len = got;
        if (got < len)
            goto short_file;
        memcpy(buf, s->ra, len);
    } else {
        if ((rc = read_at(s, off, buf, len, &got)) != 0)
            return rc;
        if (got < len)
            goto short_file;
    }
    s->next_off = off + len;
    return 0;
short_file:
    uft_log_printf(&s->log, 0, "%s is shorter than when the session began", s->files.v[i].src);
    return UFT_E_IO;
}

static const char *result_word(int st)
{
    switch (st) {
    case UFT_COMP_NORMAL:
        return "copy";
    case UFT_COMP_SKIPPED:
        return "skipped";
    case UFT_COMP_OVERWRITE:
        return "overwritten";
    case UFT_COMP_REJECTED:
        return "rejected";
    case UFT_RESULT_LOST:
        return "lost";
    case UFT_RESULT_ABORTED:
        return "aborted";
    default:
        return "Unknown";
    }
}

/* Note that client id failed: false when it was noted already. */
static bool note_failed(struct sender *s, uint32_t id)
{
    size_t lo = 0, hi = s->n_failed;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->failed_ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->n_failed && s->failed_ids[lo] == id)
        return false;
    if (s->n_failed == s->cap_failed) {
        size_t cap = s->cap_failed ? 2 * s->cap_failed : 16;
        uint32_t *v = realloc(s->failed_ids, cap * sizeof *v);
        if (!v)
            return true; /* report it; a second report is the lesser harm */
        s->failed_ids = v;
        s->cap_failed = cap;
    }
    memmove(s->failed_ids + lo + 1, s->failed_ids + lo, (s->n_failed - lo) * sizeof *s->failed_ids);
    s->failed_ids[lo] = id;
    s->n_failed++;
    return true;
}

static void file_done_json(struct sender *s, const struct uft_event *ev, uint64_t bytes)
{
    struct jsonev_file_done f;
    memset(&f, 0, sizeof f);
    f.group_id = ev->group_id;
    f.client_id = ev->client_id;
    f.file_id = ev->file_id;
    f.name = s->cur_name;
    f.status = ev->status;
    f.size = ev->count;
    f.bytes = bytes;
    f.seconds = (double)ev->elapsed / 1e9;
    f.has_free = ev->type == UFT_EV_FILE_RESULT && ev->has_free;
    f.free_bytes = ev->free_bytes;
    jsonev_file_done(s->json, &f);
}

/* The events as JSON lines and as the figures of the progress lines. */
static void watch_event(struct sender *s, const struct uft_event *ev)
{
    uint64_t bytes;
    switch (ev->type) {
    case UFT_EV_CLIENT_REGISTERED:
        s->n_registered++;
        if (s->json)
            jsonev_client_registered(s->json, ev->group_id, ev->client_id);
        break;
    case UFT_EV_FILE_START:
        if (s->n_started++ && s->cur_reg)
            s->bytes_before += s->cur_size;
        free(s->cur_name);
        s->cur_name = strdup(ev->text ? ev->text : "");
        s->cur_size = ev->count;
        s->cur_reg = ev->status == UFT_FTYPE_REG;
        s->n_file_done = 0;
        if (s->json)
            jsonev_file_start(s->json, ev->group_id, ev->file_id, ev->text ? ev->text : "",
                              ev->status, ev->count);
        break;
    case UFT_EV_FILE_RESULT:
        s->n_file_done++;
        bytes = ev->status == UFT_COMP_NORMAL || ev->status == UFT_COMP_OVERWRITE ? ev->count : 0;
        s->bytes_delivered += bytes;
        if (s->json)
            file_done_json(s, ev, bytes);
        break;
    case UFT_EV_CLIENT_LOST:
    case UFT_EV_CLIENT_ABORT:
        if (s->json && ev->file_id && s->cur_name)
            file_done_json(s, ev, 0);
        if (note_failed(s, ev->client_id) && s->json)
            jsonev_client_failed(s->json, ev->group_id, ev->client_id,
                                 jsonev_status_word(ev->status), ev->text);
        break;
    case UFT_EV_PASS:
        if (s->json)
            jsonev_pass(s->json, ev->group_id, ev->file_id, (uint32_t)ev->count);
        break;
    default:
        break;
    }
    if (s->json && !s->json_warned && jsonev_error(s->json)) {
        s->json_warned = true;
        uft_log_printf(&s->log, 0, "--json %s: cannot write (%s); no more JSON lines",
                       s->o.json_file, strerror(jsonev_error(s->json)));
    }
}

static void on_event(void *ctx, const struct uft_event *ev)
{
    struct sender *s = ctx;
    char line[512];
    switch (ev->type) {
    case UFT_EV_LOG:
        uft_log_write(&s->log, ev->level, ev->group_id, 0, ev->file_id, ev->text);
        break;
    case UFT_EV_FILE_START:
        snprintf(line, sizeof line, "Sending file %u: %s (%llu bytes)", ev->file_id, ev->text,
                 (unsigned long long)ev->count);
        uft_log_write(&s->log, 2, ev->group_id, 0, ev->file_id, line);
        break;
    case UFT_EV_FILE_RESULT:
    case UFT_EV_CLIENT_LOST:
    case UFT_EV_CLIENT_ABORT:
        snprintf(line, sizeof line, "Host: 0x%08X  Status: %s", ev->client_id,
                 result_word(ev->status));
        uft_log_write(&s->log, 2, ev->group_id, 0, ev->file_id, line);
        if (ev->type == UFT_EV_FILE_RESULT && ev->has_free) {
            snprintf(line, sizeof line, "  Free space on host: %llu bytes",
                     (unsigned long long)ev->free_bytes);
            uft_log_write(&s->log, 2, ev->group_id, 0, ev->file_id, line);
        }
        if (ev->type == UFT_EV_FILE_RESULT &&
            (ev->status == UFT_COMP_NORMAL || ev->status == UFT_COMP_OVERWRITE))
            s->clients_ok_files++;
        break;
    case UFT_EV_PASS:
        snprintf(line, sizeof line, "Starting pass %llu", (unsigned long long)ev->count);
        uft_log_write(&s->log, 2, ev->group_id, 0, ev->file_id, line);
        break;
    default:
        break;
    }
    ustatus_event(s->ust, s->srv, ev);
    watch_event(s, ev);
}

/* The progress lines: the file being sent, then the whole session. */
static void draw_progress(struct sender *s, uft_ts now)
{
    struct uft_server_progress sp;
    struct uft_server_stats st;
    char l1[PROGRESS_LINE_CAP], l2[PROGRESS_LINE_CAP], name[256], a[24], b[24], r[24], eta[16];
    char pass[32] = "";
    const char *lines[2] = {l1, l2};
    uint64_t sent = 0, done;
    double bps;
    uft_server_progress(s->srv, &sp);
    uft_server_stats(s->srv, &st);
    bps = progress_rate_update(&s->rate, now, st.data_packets * (uint64_t)s->o.block_len);
    if (sp.file_id && s->cur_name) {
        if (sp.pass > 1 || (sp.pass == 1 && sp.block >= sp.blocks))
            sent = s->cur_size; /* the first pass is out */
        else if (sp.pass == 1)
            sent = (uint64_t)sp.block * (uint64_t)s->o.block_len;
        if (sent > s->cur_size)
            sent = s->cur_size; /* the last block is short */
        progress_fmt_name(name, sizeof name, s->cur_name, 40);
        progress_fmt_bytes(a, sizeof a, (double)sent);
        progress_fmt_bytes(b, sizeof b, (double)s->cur_size);
        if (sp.pass > 1)
            snprintf(pass, sizeof pass, "  repair pass %u", sp.pass);
        snprintf(l1, sizeof l1, "file %zu/%zu %s  %3.0f%%  %s / %s%s", s->n_started, s->files.n,
                 name, s->cur_size ? 100.0 * (double)sent / (double)s->cur_size : 100.0, a, b,
                 pass);
    } else {
        snprintf(l1, sizeof l1, "%s",
                 s->n_started ? "completion: waiting for the receivers' last COMPLETE"
                              : "announcing: waiting for receivers to register");
    }
    done = s->bytes_before + (s->cur_reg ? sent : 0);
    if (!sp.file_id && s->n_started)
        done = s->total_bytes;
    progress_fmt_bytes(a, sizeof a, (double)done);
    progress_fmt_bytes(b, sizeof b, (double)s->total_bytes);
    progress_fmt_bytes(r, sizeof r, bps);
    progress_fmt_eta(eta, sizeof eta,
                     bps > 0 && done <= s->total_bytes ? (double)(s->total_bytes - done) / bps
                                                       : -1);
    snprintf(l2, sizeof l2,
             "total %3.0f%%  %s / %s  %s/s  ETA %s  receivers: %u registered, %u done, %zu "
             "failed, %u lagging",
             s->total_bytes ? 100.0 * (double)done / (double)s->total_bytes : 100.0, a, b, r, eta,
             s->n_registered, s->n_file_done, s->n_failed, sp.lagging);
    progress_show(s->prog, now, lines, 2);
}

/* -P: each 'x' is a random byte (IPv4) or 16-bit group (IPv6). */
static int private_addr(const char *spec, char *out, size_t cap)
{
    size_t i, k = 0;
    bool v6 = strchr(spec, ':') != NULL;
    for (i = 0; spec[i] && k + 6 < cap; i++) {
        if (spec[i] == 'x') {
            uint16_t r = 0;
            if (getrandom(&r, sizeof r, 0) != sizeof r)
                return -1;
            k += (size_t)snprintf(out + k, cap - k, v6 ? "%x" : "%u", v6 ? r : (r & 0xff));
        } else {
            out[k++] = spec[i];
        }
    }
    out[k] = '\0';
    return 0;
}

static int build_files(struct sender *s, char *err, size_t errlen)
{
    struct fl_opts fo;
    char **lines = NULL, **excl = NULL, *bases[10], *bbuf = NULL, *tok, *save = NULL;
    size_t nl = 0, nx = 0, nb = 0, i;
    int rc;
    memset(&fo, 0, sizeof fo);
    fo.follow_links = s->o.follow_links;
    fo.dest_name = s->o.dest_name;
    fo.dest_is_dir = s->o.dest_is_dir;
    fo.warn = warn_cb;
    fo.ctx = s;
    if (s->o.exclude_file && filelist_read_lines(s->o.exclude_file, &excl, &nx) != 0) {
        snprintf(err, errlen, "-X %s: %s", s->o.exclude_file, strerror(errno));
        return -1;
    }
    fo.exclude = (const char *const *)excl;
    fo.n_exclude = nx;
    if (s->o.base_dirs) {
        bbuf = strdup(s->o.base_dirs);
        for (tok = strtok_r(bbuf, ",", &save); tok && nb < 10; tok = strtok_r(NULL, ",", &save))
            bases[nb++] = tok;
        fo.base_dirs = (const char *const *)bases;
        fo.n_base = nb;
    }
    if (s->o.restart_file) {
        s->operands = s->restart.files;
        s->n_operands = s->restart.n_files;
    } else if (s->o.list_file) {
        if (filelist_read_lines(s->o.list_file, &lines, &nl) != 0) {
            snprintf(err, errlen, "-i %s: %s", s->o.list_file, strerror(errno));
            return -1;
        }
        s->operands = s->list_lines = lines;
        s->n_operands = s->n_list_lines = nl;
    } else {
        s->operands = s->o.files;
        s->n_operands = (size_t)s->o.n_files;
    }
    rc = filelist_build(&fo, s->operands, s->n_operands, &s->files);
    filelist_free_lines(excl, nx);
    free(bbuf);
    if (rc)
        return -1;
    s->sfiles = calloc(s->files.n + 1, sizeof *s->sfiles);
    s->ra = malloc(READ_AHEAD);
    if (!s->sfiles || !s->ra)
        return -1;
    for (i = 0; i < s->files.n; i++) {
        s->sfiles[i].name = s->files.v[i].name;
        s->sfiles[i].ftype = s->files.v[i].ftype;
        s->sfiles[i].size = s->files.v[i].size;
        s->sfiles[i].mtime = s->files.v[i].mtime;
        s->sfiles[i].link = s->files.v[i].link;
        s->sfiles[i].handle = (void *)(uintptr_t)(i + 1);
    }
    return 0;
}

static int setup_net(struct sender *s, struct uft_server_cfg *cfg, char *err, size_t errlen)
{
    struct uft_udp_opts uo;
    char priv[128];
    unsigned ifindex = 0;
    uint32_t if_ipv4 = 0;
    bool unicast;
    if (uft_udp_resolve(s->o.pub_addr, s->port, AF_UNSPEC, &s->pub) != 0) {
        snprintf(err, errlen, "-M %s: cannot resolve", s->o.pub_addr);
        return 1;
    }
    unicast = !uft_udp_is_multicast(&s->pub);
    if (private_addr(s->o.priv_addr, priv, sizeof priv) != 0 ||
        uft_udp_resolve(priv, s->port, s->pub.ss.ss_family, &s->priv) != 0 ||
        (!unicast && !uft_udp_is_multicast(&s->priv))) {
        snprintf(err, errlen, "-P %s: not a multicast address of the same family as -M",
                 s->o.priv_addr);
        return 1;
    }
    if (unicast)
        s->priv = s->pub; /* everything goes to the one host */
    if (s->o.iface && !(ifindex = uft_udp_iface(s->o.iface, &if_ipv4))) {
        snprintf(err, errlen, "-I %s: no such interface", s->o.iface);
        return 1;
    }
    memset(&uo, 0, sizeof uo);
    uo.family = s->pub.ss.ss_family;
    uo.port = (uint16_t)s->o.src_port;
    uo.sockbuf = (int)s->o.sockbuf;
    uo.ttl = (int)s->o.ttl;
    uo.dscp = (int)s->o.dscp;
    uo.ifindex = ifindex;
    uo.if_ipv4 = if_ipv4;
    s->fd = uft_udp_open(&uo);
    if (s->fd < 0) {
        snprintf(err, errlen, "cannot open a UDP socket: %s", strerror(errno));
        return 2;
    }
    cfg->ipv6 = s->pub.ss.ss_family == AF_INET6;
    if (!unicast) {
        if (cfg->ipv6) {
            memcpy(cfg->pub_addr, &((struct sockaddr_in6 *)&s->pub.ss)->sin6_addr, 16);
            memcpy(cfg->priv_addr, &((struct sockaddr_in6 *)&s->priv.ss)->sin6_addr, 16);
        } else {
            memcpy(cfg->pub_addr, &((struct sockaddr_in *)&s->pub.ss)->sin_addr, 4);
            memcpy(cfg->priv_addr, &((struct sockaddr_in *)&s->priv.ss)->sin_addr, 4);
        }
    }
    if (!s->o.uid)
        s->o.uid = if_ipv4 ? ntohl(if_ipv4) : uft_udp_default_id();
    if (!s->o.uid) {
        snprintf(err, errlen, "no interface address to take an ID from: give one with -U");
        return 1;
    }
    uft_log_printf(&s->log, 2, "Using private multicast address %s",
                   uft_udp_format(&s->priv, priv, sizeof priv));
    return 0;
}

static int configure(struct sender *s, struct uft_server_cfg *cfg, char *err, size_t errlen)
{
    const struct uftp_opts *o = &s->o;
    bool v4 = o->protocol == 4,
         cbc = o->keytype == UFT_KEY_AES128_CBC || o->keytype == UFT_KEY_AES256_CBC;
    bool rsa_gen = o->keygen && strncmp(o->keygen, "rsa:", 4) == 0;
    const char *v4_only = cbc                            ? "-Y aes128-cbc/aes256-cbc"
                          : o->hashtype == UFT_HASH_SHA1 ? "-h sha1"
                          : o->keyex                     ? "-e rsa/ecdh_rsa/ecdh_ecdsa"
                          : o->sigtype                   ? "-w hmac/keyex"
                                                         : NULL;
    uint32_t gid;
    memset(cfg, 0, sizeof *cfg);
    if (o->keytype != UFT_KEY_NONE && v4_only && !v4) {
        snprintf(err, errlen, "%s is UFTP 4's: add -V 4, or use UFTP 5's choices", v4_only);
        return 1;
    }
    if (o->keytype != UFT_KEY_NONE &&
        (o->keyex == UFT_KEYEX_RSA || o->keyex == UFT_KEYEX_ECDH_RSA) && !rsa_gen && !o->keyfile) {
        snprintf(err, errlen,
                 "-e %s needs an RSA server key: add -K rsa:BITS or -k an RSA key file",
                 o->keyex == UFT_KEYEX_RSA ? "rsa" : "ecdh_rsa");
        return 1;
    }
    if (o->keytype != UFT_KEY_NONE && o->keyex == UFT_KEYEX_ECDH_ECDSA && rsa_gen) {
        snprintf(err, errlen, "-e ecdh_ecdsa signs with an EC key: use -K ec:CURVE, not rsa:");
        return 1;
    }
    if (s->o.restart_file) {
        gid = s->restart.group_id; /* the same group, one instance later */
        cfg->group_inst = (uint8_t)(s->restart.group_inst + 1);
    } else if (getrandom(&gid, sizeof gid, 0) != sizeof gid) {
        return 1;
    }
    cfg->version = s->o.protocol == 4 ? UFT_VER4 : UFT_VER5;
    cfg->keytype = (uint8_t)s->o.keytype;
    /* UFTP 4's per-message signatures need every client's key: -w keyex implies -c */
    cfg->client_auth = s->o.keytype != UFT_KEY_NONE &&
                       (s->o.client_auth || (cbc && s->o.sigtype == UFT_SIG_KEYEX));
    cfg->hashtype = (uint8_t)s->o.hashtype;
    cfg->keyex = (uint8_t)s->o.keyex;
    cfg->sigtype = (uint8_t)s->o.sigtype;
    cfg->curve = (uint8_t)s->o.curve;
    cfg->group_id = gid ? gid : 1;
    cfg->block_len = (uint16_t)s->o.block_len;
    cfg->robust = (uint8_t)s->o.robust;
    cfg->grtt_init = (uft_ts)(s->o.grtt_init * 1e9);
    cfg->burst_ns = 1000000; /* wake at most about once a millisecond to send */
    cfg->grtt_min = (uft_ts)(s->o.grtt_min * 1e9);
    cfg->grtt_max = (uft_ts)(s->o.grtt_max * 1e9);
    cfg->rate = s->o.rate_kbps < 0 ? -1 : s->o.rate_kbps * 1024 / 8;
    cfg->flags =
        (uint8_t)((s->o.sync ? UFT_ANN_SYNC : 0) | (s->o.sync_preview ? UFT_ANN_PREVIEW : 0));
    cfg->max_passes = (uint16_t)s->o.max_passes;
    cfg->max_nak_pct = (uint8_t)s->o.max_nak_pct;
    cfg->max_nak_cnt = (uint16_t)s->o.nak_max_count;
    cfg->quit_on_error = s->o.quit_on_error;
    cfg->max_time_pct = (uint16_t)s->o.txweight;
    cfg->cc_type = (uint8_t)s->o.cc_type;
    cfg->cc_min_rate = s->o.cc_min_kbps * 1024 / 8;
    cfg->cc_init_rate = s->o.cc_init_kbps * 1024 / 8;
    cfg->cc_max_rate = s->o.cc_max_kbps * 1024 / 8;
    cfg->fec_k = (uint8_t)s->o.fec_k;
    cfg->fec_m = (uint8_t)s->o.fec_m;
    cfg->fec_reactive = s->o.fec_reactive;
    cfg->wall_base_us = uft_clock_wall_us() - uft_clock_now_ns() / 1000;
    return 0;
}

/* Datagrams from receivers: feed each to the session. */
static void on_readable(void *ctx, int fd)
{
    static uint8_t buf[10000];
    struct sender *s = ctx;
    struct uft_addr from;
    ssize_t n;
    while ((n = uft_udp_recv(fd, buf, sizeof buf, &from)) > 0) {
        struct uft_peer p;
        uft_udp_to_peer(&from, &p);
        uft_server_feed(s->srv, uft_clock_now_ns(), buf, (size_t)n, &p);
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

/* Datagrams that are due together and go to one address with one size
 * (blocks of a file, above all) leave in one UDP GSO send. */
struct txbatch {
    uint8_t buf[UFT_UDP_GSO_MAX + 10000];
    size_t len, seg; /* bytes held; the size of each datagram */
    unsigned n;      /* datagrams held */
    bool short_tail; /* the last one is shorter: nothing may follow it */
    struct uft_addr to;
};

static void flush_batch(struct sender *s, struct txbatch *b)
{
    if (!b->n)
        return;
    if (uft_udp_send_segs(s->fd, b->buf, b->len, b->seg, &b->to) != 0) {
        const char *why = strerror(errno);
        char where[80];
        uft_log_printf(&s->log, 1, "send to %s failed: %s",
                       uft_udp_format(&b->to, where, sizeof where), why);
    }
    b->len = b->n = 0;
    b->short_tail = false;
}

/* The datagram of n bytes just pulled to b->buf + b->len joins the batch,
 * or the batch goes out first and it starts the next. */
static void add_to_batch(struct sender *s, struct txbatch *b, size_t n, const struct uft_addr *to)
{
    bool joins = b->n && !b->short_tail && n <= b->seg && b->n < UFT_UDP_GSO_SEGS &&
                 b->len + n <= UFT_UDP_GSO_MAX && to->len == b->to.len &&
                 memcmp(&to->ss, &b->to.ss, to->len) == 0;
    if (!joins) {
        size_t at = b->len;
        flush_batch(s, b);
        memmove(b->buf, b->buf + at, n);
        b->seg = n;
        b->to = *to;
    }
    b->short_tail = n < b->seg;
    b->len += n;
    b->n++;
}

/* Send what is due, then sleep on the socket and the timer until the
 * session's next deadline; the loop's timer has nanosecond resolution,
 * so pacing needs no spinning. */
static int run(struct sender *s, struct uft_server *srv)
{
    static struct txbatch batch;
    struct uft_loop loop;
    int code = 0;
    s->srv = srv;
    if (uft_loop_open(&loop) != 0 || uft_loop_add(&loop, s->fd, on_readable, s) != 0 ||
        app_hooks_watch(&loop, s->hooks) != 0) {
        uft_log_printf(&s->log, 0, "cannot set up the event loop: %s", strerror(errno));
        return 2;
    }
    for (;;) {
        uft_ts now = uft_clock_now_ns();
        struct uft_tx tx;
        ssize_t n;
        if (app_stopping(s->hooks, stop_signal) && !uft_server_done(srv, &code)) {
            if (stop_signal)
                uft_log_printf(&s->log, 0, "Interrupted by signal %d, aborting all clients",
                               (int)stop_signal);
            else
                uft_log_printf(&s->log, 0, "Stopped by the caller, aborting all clients");
            uft_server_interrupt(srv, now);
        }
        while ((n = uft_server_pull(srv, now, batch.buf + batch.len, 10000, &tx)) > 0) {
            struct uft_addr to;
            if (tx.dst == UFT_DST_PUBLIC)
                to = s->pub;
            else if (tx.dst == UFT_DST_PRIVATE)
                to = s->priv;
            else
                uft_udp_from_peer(&tx.peer, &to);
            add_to_batch(s, &batch, (size_t)n, &to);
            now = uft_clock_now_ns();
        }
        flush_batch(s, &batch);
        if (uft_server_done(srv, &code))
            break;
        if (progress_due(s->prog, now))
            draw_progress(s, now);
        if (uft_loop_wait(&loop, wait_until(uft_server_deadline(srv), now, s->prog != NULL)) < 0) {
            uft_log_printf(&s->log, 0, "event loop failed: %s", strerror(errno));
            code = 2;
            break;
        }
    }
    uft_loop_close(&loop);
    return code;
}

/* One host of the restart file, with the fingerprint -H or -j gave it. */
static void restart_host_of(struct restart_host *h, uint32_t id, bool is_proxy, const uint32_t *ids,
                            const uint8_t *fps, size_t n)
{
    static const uint8_t zero[20];
    size_t k;
    h->id = id;
    h->is_proxy = is_proxy;
    for (k = 0; fps && k < n; k++) {
        if (ids[k] == id && memcmp(fps + 20 * k, zero, 20) != 0) {
            h->has_fp = true;
            memcpy(h->fp, fps + 20 * k, 20);
        }
    }
}

/* -f: list every client that did not finish in the restart file, with
 * the operands and the fingerprint it was expected to have, for -F. As
 * UFTP does, a failed client behind a proxy is followed by that proxy
 * (once), so the resumed session accepts the proxy again. */
static void save_restart(struct sender *s, const struct uft_server *srv,
                         const struct uft_server_cfg *cfg)
{
    struct restart_info ri;
    struct uft_server_dest d;
    char path[64], err[512];
    uint32_t *proxies_done;
    size_t i, k, n_done = 0;
    memset(&ri, 0, sizeof ri);
    for (i = 0; uft_server_dest(srv, i, &d); i++)
        ri.n_hosts += d.failed && !d.is_proxy;
    if (!ri.n_hosts)
        return;
    ri.hosts = calloc(2 * ri.n_hosts, sizeof *ri.hosts);
    proxies_done = calloc(ri.n_hosts, sizeof *proxies_done);
    if (!ri.hosts || !proxies_done) {
        uft_log_printf(&s->log, 0, "Cannot write the restart file: out of memory");
        free(ri.hosts);
        free(proxies_done);
        return;
    }
    ri.n_hosts = 0;
    for (i = 0; uft_server_dest(srv, i, &d); i++) {
        if (!d.failed || d.is_proxy)
            continue;
        restart_host_of(&ri.hosts[ri.n_hosts++], d.id, false, cfg->clients, cfg->client_fps,
                        cfg->n_clients);
        for (k = 0; d.proxy_id && k < n_done && proxies_done[k] != d.proxy_id; k++)
            ;
        if (d.proxy_id && k == n_done) {
            proxies_done[n_done++] = d.proxy_id;
            restart_host_of(&ri.hosts[ri.n_hosts++], d.proxy_id, true, cfg->proxies, cfg->proxy_fps,
                            cfg->n_proxies);
        }
    }
    free(proxies_done);
    ri.group_id = cfg->group_id;
    ri.group_inst = cfg->group_inst;
    ri.files = s->operands;
    ri.n_files = s->n_operands;
    if (restart_write(&ri, path, sizeof path, err, sizeof err) != 0)
        uft_log_printf(&s->log, 0, "%s", err);
    else
        uft_log_printf(&s->log, 1, "Wrote restart file %s for %zu client(s); resume with -F %s",
                       path, ri.n_hosts - n_done, path);
    free(ri.hosts);
}

/* A host list: IDs with 20 fingerprint bytes each (all zero: none). */
struct idlist {
    uint32_t *ids;
    uint8_t *fps;
    size_t n;
};

/* -F: the group, files, failed clients and their proxies of an earlier
 * session. */
static int load_restart(struct sender *s, struct idlist *cl, struct idlist *px, char *err,
                        size_t errlen)
{
    size_t i;
    if (restart_read(s->o.restart_file, &s->restart, err, errlen) != 0)
        return -1;
    cl->ids = calloc(s->restart.n_hosts, sizeof *cl->ids);
    cl->fps = calloc(s->restart.n_hosts, 20);
    px->ids = calloc(s->restart.n_hosts, sizeof *px->ids);
    px->fps = calloc(s->restart.n_hosts, 20);
    if (!cl->ids || !cl->fps || !px->ids || !px->fps) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (i = 0; i < s->restart.n_hosts; i++) {
        const struct restart_host *h = &s->restart.hosts[i];
        struct idlist *l = h->is_proxy ? px : cl;
        l->ids[l->n] = h->id;
        if (h->has_fp)
            memcpy(l->fps + 20 * l->n, h->fp, 20);
        l->n++;
    }
    return 0;
}

/* -j file: the proxies that may register clients, "ID[|fingerprint]"
 * lines as in -H's @file. */
static int load_proxies(struct sender *s, struct idlist *px, char *err, size_t errlen)
{
    char spec[4096];
    if (s->o.restart_file) {
        snprintf(err, errlen,
                 "-j and -F cannot be used together: a restart file names its "
                 "proxies");
        return -1;
    }
    snprintf(spec, sizeof spec, "@%s", s->o.proxylist);
    if (hostlist_parse_clients(spec, &px->ids, &px->fps, &px->n, err, errlen) != 0) {
        /* the parser is -H's: name the option and the file as the user gave them */
        if (strncmp(err, "-H @", 4) == 0)
            memmove(err + 3, err + 4, strlen(err + 4) + 1);
        if (strncmp(err, "-H", 2) == 0)
            err[1] = 'j';
        return -1;
    }
    if (!s->o.hosts)
        uft_log_printf(&s->log, 1,
                       "-j without -H: the group is closed and lists no client, so every "
                       "client a proxy registers is refused; add -H");
    return 0;
}

/* -Y's name for a key type. */
static const char *key_name(int keytype)
{
    switch (keytype) {
    case UFT_KEY_AES128_GCM:
        return "aes128-gcm";
    case UFT_KEY_AES256_GCM:
        return "aes256-gcm";
    case UFT_KEY_AES128_CCM:
        return "aes128-ccm";
    case UFT_KEY_AES256_CCM:
        return "aes256-ccm";
    case UFT_KEY_AES128_CBC:
        return "aes128-cbc";
    case UFT_KEY_AES256_CBC:
        return "aes256-cbc";
    default:
        return "none";
    }
}

/* --json and the progress lines, once the log is open. Progress shows
 * when stderr is a terminal and the log goes there (or --progress), never
 * with --no-progress or -x 0. 0, or an exit code after a message. */
static int open_watchers(struct sender *s)
{
    bool json_tty;
    size_t i;
    if (s->o.json_file && !(s->json = jsonev_open(s->o.json_file))) {
        fprintf(stderr, "uftp: --json %s: %s\n", s->o.json_file, strerror(errno));
        return 1;
    }
    if (s->hooks && s->hooks->line) {
        if (!s->json && !(s->json = jsonev_new(NULL)))
            return 5;
        jsonev_set_sink(s->json, s->hooks->line, s->hooks->ctx);
    }
    /* JSON lines on the terminal would land inside the progress lines */
    json_tty = s->o.json_file && strcmp(s->o.json_file, "-") == 0 && isatty(STDOUT_FILENO);
    if (!s->hooks && !s->o.no_progress && !json_tty && s->o.log_level > 0 &&
        (s->o.progress || !s->o.logfile) && (s->prog = progress_new(STDERR_FILENO)) != NULL &&
        s->log.f == stderr && progress_log_stream(s->prog)) {
        s->log.f = progress_log_stream(s->prog); /* log lines clear the progress first */
        if (s->status == stderr)
            s->status = s->log.f; /* -S @LOG */
    }
    for (i = 0; i < s->files.n; i++)
        if (s->files.v[i].ftype == UFT_FTYPE_REG)
            s->total_bytes += s->files.v[i].size;
    s->started_at = uft_clock_now_ns();
    return 0;
}

static void json_session_start(struct sender *s, const struct uft_server_cfg *cfg)
{
    struct jsonev_session js;
    if (!s->json)
        return;
    js.group_id = cfg->group_id;
    js.server_id = cfg->server_id;
    js.version = cfg->version == UFT_VER4 ? 4 : 5;
    js.encryption = key_name(cfg->keytype);
    js.files = s->files.n;
    js.bytes = s->total_bytes;
    jsonev_session_start(s->json, &js);
}

/* The end of the session as JSON: each receiver that finished, each that
 * failed without an event saying so (mute in a closed group, dropped for
 * NAKs, aborted with the rest by -q), then the summary. */
static void json_session_end(struct sender *s, const struct uft_server_cfg *cfg, int code)
{
    static const char *const fate_word[] = {"ok", "mute", "lost", "aborted"};
    struct jsonev_summary sum;
    struct uft_server_stats st;
    struct uft_server_dest d;
    size_t i;
    if (!s->json)
        return;
    memset(&sum, 0, sizeof sum);
    for (i = 0; uft_server_dest(s->srv, i, &d); i++) {
        if (d.is_proxy)
            continue;
        sum.clients++;
        if (!d.failed) {
            sum.completed++;
            jsonev_client_complete(s->json, cfg->group_id, d.id);
            continue;
        }
        sum.failed++;
        if (note_failed(s, d.id))
            jsonev_client_failed(s->json, cfg->group_id, d.id, fate_word[d.fate], NULL);
    }
    uft_server_stats(s->srv, &st);
    sum.group_id = cfg->group_id;
    sum.exit_code = code;
    sum.files = s->files.n;
    sum.bytes = s->total_bytes;
    sum.bytes_delivered = s->bytes_delivered;
    sum.data_packets = st.data_packets;
    sum.seconds = (double)(uft_clock_now_ns() - s->started_at) / 1e9;
    jsonev_session_end(s->json, &sum);
    if (jsonev_close(s->json) != 0 && !s->json_warned)
        uft_log_printf(&s->log, 0, "--json %s: not every line could be written", s->o.json_file);
    s->json = NULL;
}

int uftp_run(int argc, char **argv, const struct app_hooks *hooks)
{
    struct sender s;
    struct uft_server_cfg cfg;
    struct uft_server_ops ops;
    struct uft_server *srv;
    struct idlist cl = {NULL, NULL, 0}, px = {NULL, NULL, 0};
    struct uft_signkey *signkey = NULL;
    size_t i;
    char err[512], desc[160] = "";
    int rc;
    memset(&s, 0, sizeof s);
    s.cur_fd = -1;
    s.hooks = hooks;
    app_parse_lock();
    rc = uftp_cli_parse(argc, argv, &s.o, err, sizeof err);
    app_parse_unlock();
    if (rc == UFTP_CLI_HELP) {
        uftp_cli_usage(stdout);
        return 0;
    }
    if (rc != UFTP_CLI_OK) {
        fprintf(stderr, "uftp: %s\n", err);
        return 1;
    }
    if (uft_log_open(&s.log, s.o.logfile, (int)s.o.log_level, s.o.timestamps || s.o.logfile)) {
        fprintf(stderr, "uftp: -L %s: %s\n", s.o.logfile, strerror(errno));
        return 4;
    }
    if (s.o.logfile && s.o.log_max_mb > 0 &&
        uft_log_set_roll(&s.log, s.o.logfile, (uint64_t)s.o.log_max_mb * 1000000u,
                         (int)s.o.log_count, false) != 0) {
        fprintf(stderr, "uftp: -g/-n: cannot roll %s\n", s.o.logfile);
        return 4;
    }
    if (s.o.status_file && strcmp(s.o.status_file, "@LOG") != 0 &&
        !(s.status = fopen(s.o.status_file, "a"))) {
        fprintf(stderr, "uftp: -S %s: %s\n", s.o.status_file, strerror(errno));
        return 1;
    }
    if (s.o.status_file && !s.status)
        s.status = s.log.f;
    s.port = (uint16_t)s.o.port;
    if (s.o.restart_file && load_restart(&s, &cl, &px, err, sizeof err) != 0) {
        fprintf(stderr, "uftp: -F: %s\n", err);
        return 1;
    }
    if (configure(&s, &cfg, err, sizeof err) || (rc = setup_net(&s, &cfg, err, sizeof err))) {
        fprintf(stderr, "uftp: %s\n", err);
        return rc ? rc : 1;
    }
    if (cfg.keytype && (rc = app_signing_key(s.o.keyfile, s.o.keygen, &signkey, desc, sizeof desc,
                                             err, sizeof err)) != 0) {
        fprintf(stderr, "uftp: %s\n", err);
        return rc;
    }
    if (desc[0])
        uft_log_printf(&s.log, 2, "Loaded signing key: %s", desc);
    cfg.signkey = signkey;
    if ((s.o.hosts &&
         hostlist_parse_clients(s.o.hosts, &cl.ids, &cl.fps, &cl.n, err, sizeof err) != 0) ||
        (s.o.proxylist && load_proxies(&s, &px, err, sizeof err) != 0)) {
        fprintf(stderr, "uftp: %s\n", err);
        return 1;
    }
    if (build_files(&s, err, sizeof err) != 0) {
        fprintf(stderr, "uftp: %s\n", err[0] ? err : "out of memory");
        return 1;
    }
    if ((rc = open_watchers(&s)) != 0)
        return rc;
    cfg.server_id = s.o.uid;
    cfg.clients = cl.ids;
    cfg.client_fps = cl.fps;
    cfg.n_clients = cl.n;
    cfg.proxies = px.ids;
    cfg.proxy_fps = px.fps;
    cfg.n_proxies = px.n;
    memset(&ops, 0, sizeof ops);
    ops.ctx = &s;
    ops.event = on_event;
    ops.read = read_block;
    ops.crypto = uft_crypto_ops();
    if (s.o.fec_k) { /* --fec also sends each file's SHA-256 to the receivers that take it */
        ops.hash_new = uft_crypto_sha256_new;
        ops.hash_update = uft_crypto_sha256_update;
        ops.hash_final = uft_crypto_sha256_final;
    }
    if (!hooks) { /* the process is the library user's: its signals too */
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        signal(SIGPIPE, SIG_IGN);
    }
    if (s.status) {
        s.names = calloc(s.files.n + 1, sizeof *s.names);
        s.sizes = calloc(s.files.n + 1, sizeof *s.sizes);
        for (i = 0; s.names && s.sizes && i < s.files.n; i++) {
            s.names[i] = s.files.v[i].name;
            s.sizes[i] = s.files.v[i].size;
        }
        if (!s.names || !s.sizes || !(s.ust = ustatus_new(s.status, s.names, s.sizes, s.files.n))) {
            fprintf(stderr, "uftp: out of memory\n");
            return 5;
        }
    }
    if (uft_server_create(&cfg, s.sfiles, s.files.n, &ops, uft_clock_now_ns(), &srv) != 0)
        return 1;
    s.srv = srv;
    uft_log_printf(&s.log, 2, "ufcast uftp: %zu entries to send, server ID 0x%08X", s.files.n,
                   cfg.server_id);
    json_session_start(&s, &cfg);
    rc = run(&s, srv);
    if (s.o.save_restart || s.o.restart_file)
        save_restart(&s, srv, &cfg);
    uft_log_printf(&s.log, 2, "%s (exit %d)", rc == 0 ? "Group complete" : "Session ended", rc);
    json_session_end(&s, &cfg, rc);
    uft_server_free(srv);
    ustatus_free(s.ust);
    if (s.prog && s.log.f == progress_log_stream(s.prog))
        s.log.f = stderr; /* the progress stream goes with it */
    progress_free(s.prog);
    free(s.cur_name);
    free(s.failed_ids);
    free(s.names);
    free(s.sizes);
    uft_signkey_free(signkey);
    if (s.cur_fd >= 0)
        close(s.cur_fd);
    free(s.ra);
    free(s.sfiles);
    free(cl.ids);
    free(cl.fps);
    free(px.ids);
    free(px.fps);
    filelist_free(&s.files);
    filelist_free_lines(s.list_lines, s.n_list_lines);
    restart_free(&s.restart);
    close(s.fd);
    return rc;
}
