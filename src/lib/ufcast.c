/*
 * The library API (include/ufcast/ufcast.h). A sender or receiver is a
 * list of options in UFTP's letters plus operands; a run turns it into
 * the command line of uftp or uftpd and calls the same run function
 * their main() calls (app/apprun.h), with hooks in place of signals. The
 * events are the --json lines, decoded here into struct ufcast_event, so
 * the callback and --json cannot disagree.
 */
#include "ufcast/ufcast.h"

#include <errno.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "app/apprun.h"

#ifndef UFCAST_VERSION_STRING
#error "the build defines UFCAST_VERSION_STRING from project(VERSION)"
#endif

/* One option as it goes on the command line: "-R" or "--json". */
struct opt_kv {
    char *key;
    char *value; /* NULL: a flag */
};

/* What a sender and a receiver have in common. */
struct endpoint {
    const char *prog; /* argv[0] */
    struct opt_kv *opts;
    size_t n_opts;
    char **paths; /* operands */
    size_t n_paths;
    ufcast_event_fn fn;
    void *ctx;
    atomic_int stop;
    atomic_int running;
    int wake_fd;
    unsigned max_sessions, sessions_ended;
};

struct ufcast_sender {
    struct endpoint e; /* first: a sender is allocated as an endpoint */
};

struct ufcast_receiver {
    struct endpoint e; /* likewise */
};

/* One run of each at a time per process: the run functions keep a few
 * buffers in static storage. */
static atomic_int sender_busy, receiver_busy;

const char *ufcast_version(void)
{
    return UFCAST_VERSION_STRING;
}

/* A sender or receiver is an endpoint and nothing more; the two struct
 * types keep them apart for the compiler. NULL: out of memory or
 * descriptors. */
static struct endpoint *endpoint_new(const char *prog)
{
    struct endpoint *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->prog = prog;
    e->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (e->wake_fd < 0) {
        free(e);
        return NULL;
    }
    return e;
}

static void endpoint_free(struct endpoint *e)
{
    size_t i;
    if (!e)
        return;
    for (i = 0; i < e->n_opts; i++) {
        free(e->opts[i].key);
        free(e->opts[i].value);
    }
    for (i = 0; i < e->n_paths; i++)
        free(e->paths[i]);
    free(e->opts);
    free(e->paths);
    close(e->wake_fd);
    free(e);
}

static int set_callback(struct endpoint *e, ufcast_event_fn fn, void *ctx)
{
    if (atomic_load(&e->running))
        return -EBUSY;
    e->fn = fn;
    e->ctx = ctx;
    return 0;
}

/* "R", "-R" -> "-R"; "json", "--json" -> "--json". NULL: not an option. */
static char *option_key(const char *opt)
{
    char *k;
    while (*opt == '-')
        opt++;
    if (!*opt || strchr(opt, '=') || strchr(opt, ' '))
        return NULL;
    if (!(k = malloc(strlen(opt) + 3)))
        return NULL;
    sprintf(k, opt[1] ? "--%s" : "-%s", opt);
    return k;
}

static int set_opt(struct endpoint *e, const char *opt, const char *value)
{
    char *key, *val = NULL;
    struct opt_kv *v;
    size_t i;
    if (!opt || !(key = option_key(opt)))
        return -EINVAL;
    if (atomic_load(&e->running)) {
        free(key);
        return -EBUSY;
    }
    if (value && !(val = strdup(value))) {
        free(key);
        return -ENOMEM;
    }
    for (i = 0; i < e->n_opts; i++) {
        if (strcmp(e->opts[i].key, key) == 0) {
            free(key);
            free(e->opts[i].value);
            e->opts[i].value = val;
            return 0;
        }
    }
    if (!(v = realloc(e->opts, (e->n_opts + 1) * sizeof *v))) {
        free(key);
        free(val);
        return -ENOMEM;
    }
    e->opts = v;
    e->opts[e->n_opts].key = key;
    e->opts[e->n_opts++].value = val;
    return 0;
}

static int set_num(struct endpoint *e, const char *opt, unsigned long v, bool hex)
{
    char buf[32];
    snprintf(buf, sizeof buf, hex ? "0x%08lX" : "%lu", v);
    return set_opt(e, opt, buf);
}

static int add_path(struct endpoint *e, const char *path)
{
    char **v, *p;
    if (!path || !*path)
        return -EINVAL;
    if (atomic_load(&e->running))
        return -EBUSY;
    if (!(p = strdup(path)))
        return -ENOMEM;
    if (!(v = realloc(e->paths, (e->n_paths + 1) * sizeof *v))) {
        free(p);
        return -ENOMEM;
    }
    e->paths = v;
    e->paths[e->n_paths++] = p;
    return 0;
}

/* ---------- events ---------- */

static uint32_t id_field(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? (uint32_t)strtoul(s, NULL, 16) : 0;
}

static uint64_t u64_field(json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (uint64_t)v : 0;
}

static enum ufcast_event_type event_type(const char *name)
{
    static const struct {
        const char *name;
        enum ufcast_event_type type;
    } map[] = {
        {"session_start", UFCAST_EV_SESSION_START},
        {"client_registered", UFCAST_EV_CLIENT_REGISTERED},
        {"file_start", UFCAST_EV_FILE_START},
        {"file_done", UFCAST_EV_FILE_DONE},
        {"pass", UFCAST_EV_PASS},
        {"client_complete", UFCAST_EV_CLIENT_COMPLETE},
        {"client_failed", UFCAST_EV_CLIENT_FAILED},
        {"session_end", UFCAST_EV_SESSION_END},
    };
    size_t i;
    for (i = 0; name && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].name, name) == 0)
            return map[i].type;
    return UFCAST_EV_OTHER;
}

/* A --json line from the run: decode it for the caller's callback; a
 * receiver counts the sessions that ended for max_sessions. */
static void on_line(void *ctx, const char *line)
{
    struct endpoint *e = ctx;
    struct ufcast_event ev;
    json_t *o = json_loads(line, 0, NULL);
    if (!o)
        return; /* the writer made it, so only out of memory */
    memset(&ev, 0, sizeof ev);
    ev.name = json_string_value(json_object_get(o, "event"));
    ev.type = event_type(ev.name);
    ev.json = line;
    ev.group_id = id_field(o, "group");
    ev.server_id = id_field(o, "server");
    ev.client_id = id_field(o, "client");
    ev.file_id = (uint32_t)u64_field(o, "file");
    ev.file_name = json_string_value(json_object_get(o, "name"));
    ev.status = json_string_value(json_object_get(o, "status"));
    ev.reason = json_string_value(json_object_get(o, "reason"));
    ev.size = u64_field(o, "size");
    ev.bytes = u64_field(o, "bytes");
    ev.pass = (uint32_t)u64_field(o, "pass");
    ev.exit_code = (int)json_integer_value(json_object_get(o, "exit"));
    ev.clients = u64_field(o, "clients");
    ev.completed = u64_field(o, "completed");
    ev.failed = u64_field(o, "failed");
    if (e->fn)
        e->fn(e->ctx, &ev);
    json_decref(o);
    if (ev.type == UFCAST_EV_SESSION_END && e->max_sessions &&
        ++e->sessions_ended >= e->max_sessions) {
        atomic_store(&e->stop, 1);
    }
}

/* ---------- runs ---------- */

/* prog [extra] options... [--] operands..., NULL-terminated. */
static char **build_argv(const struct endpoint *e, const char *extra, int *argc)
{
    size_t n = 0, i;
    char **v = calloc(3 + 2 * e->n_opts + e->n_paths + 1, sizeof *v);
    if (!v)
        return NULL;
    v[n++] = (char *)e->prog;
    if (extra)
        v[n++] = (char *)extra;
    for (i = 0; i < e->n_opts; i++) {
        v[n++] = e->opts[i].key;
        if (e->opts[i].value)
            v[n++] = e->opts[i].value;
    }
    if (e->n_paths)
        v[n++] = (char *)"--";
    for (i = 0; i < e->n_paths; i++)
        v[n++] = e->paths[i];
    *argc = (int)n;
    return v;
}

static int run(struct endpoint *e, atomic_int *busy, const char *extra,
               int (*fn)(int, char **, const struct app_hooks *))
{
    struct app_hooks h;
    char **argv;
    int argc, rc, expected = 0;
    if (!atomic_compare_exchange_strong(busy, &expected, 1))
        return -EBUSY;
    if (!(argv = build_argv(e, extra, &argc))) {
        atomic_store(busy, 0);
        return -ENOMEM;
    }
    atomic_store(&e->running, 1);
    e->sessions_ended = 0;
    memset(&h, 0, sizeof h);
    h.line = on_line;
    h.ctx = e;
    h.stop = &e->stop;
    h.wake_fd = e->wake_fd;
    rc = fn(argc, argv, &h);
    free(argv);
    atomic_store(&e->running, 0);
    atomic_store(busy, 0);
    return rc;
}

static void stop(struct endpoint *e)
{
    uint64_t one = 1;
    atomic_store(&e->stop, 1);
    if (write(e->wake_fd, &one, sizeof one) < 0) {
        /* the counter is full: a wake-up is already pending */
    }
}

/* ---------- the sender ---------- */

struct ufcast_sender *ufcast_sender_new(void)
{
    return (struct ufcast_sender *)endpoint_new("uftp");
}

void ufcast_sender_free(struct ufcast_sender *s)
{
    endpoint_free(s ? &s->e : NULL);
}

int ufcast_sender_set_option(struct ufcast_sender *s, const char *opt, const char *value)
{
    return set_opt(&s->e, opt, value);
}

int ufcast_sender_set_rate_kbps(struct ufcast_sender *s, uint32_t kbps)
{
    return set_num(&s->e, "R", kbps, false);
}

int ufcast_sender_set_port(struct ufcast_sender *s, uint16_t port)
{
    return set_num(&s->e, "p", port, false);
}

int ufcast_sender_set_address(struct ufcast_sender *s, const char *addr)
{
    return addr ? set_opt(&s->e, "M", addr) : -EINVAL;
}

int ufcast_sender_set_interface(struct ufcast_sender *s, const char *iface)
{
    return iface ? set_opt(&s->e, "I", iface) : -EINVAL;
}

int ufcast_sender_set_encryption(struct ufcast_sender *s, const char *keytype)
{
    return keytype ? set_opt(&s->e, "Y", keytype) : -EINVAL;
}

int ufcast_sender_set_receivers(struct ufcast_sender *s, const char *hosts)
{
    return hosts ? set_opt(&s->e, "H", hosts) : -EINVAL;
}

int ufcast_sender_set_id(struct ufcast_sender *s, uint32_t id)
{
    return set_num(&s->e, "U", id, true);
}

int ufcast_sender_set_log_level(struct ufcast_sender *s, int level)
{
    return level < 0 ? -EINVAL : set_num(&s->e, "x", (unsigned long)level, false);
}

int ufcast_sender_add_path(struct ufcast_sender *s, const char *path)
{
    return add_path(&s->e, path);
}

int ufcast_sender_set_callback(struct ufcast_sender *s, ufcast_event_fn fn, void *ctx)
{
    return set_callback(&s->e, fn, ctx);
}

int ufcast_sender_run(struct ufcast_sender *s)
{
    int rc = run(&s->e, &sender_busy, NULL, uftp_run);
    atomic_store(&s->e.stop, 0);
    return rc;
}

void ufcast_sender_stop(struct ufcast_sender *s)
{
    stop(&s->e);
}

/* ---------- the receiver ---------- */

struct ufcast_receiver *ufcast_receiver_new(void)
{
    return (struct ufcast_receiver *)endpoint_new("uftpd");
}

void ufcast_receiver_free(struct ufcast_receiver *r)
{
    endpoint_free(r ? &r->e : NULL);
}

int ufcast_receiver_set_option(struct ufcast_receiver *r, const char *opt, const char *value)
{
    return set_opt(&r->e, opt, value);
}

int ufcast_receiver_set_dest_dir(struct ufcast_receiver *r, const char *dir)
{
    return dir ? set_opt(&r->e, "D", dir) : -EINVAL;
}

int ufcast_receiver_set_port(struct ufcast_receiver *r, uint16_t port)
{
    return set_num(&r->e, "p", port, false);
}

int ufcast_receiver_set_id(struct ufcast_receiver *r, uint32_t id)
{
    return set_num(&r->e, "U", id, true);
}

int ufcast_receiver_set_interface(struct ufcast_receiver *r, const char *ifaces)
{
    return ifaces ? set_opt(&r->e, "I", ifaces) : -EINVAL;
}

int ufcast_receiver_set_log_level(struct ufcast_receiver *r, int level)
{
    return level < 0 ? -EINVAL : set_num(&r->e, "x", (unsigned long)level, false);
}

int ufcast_receiver_set_callback(struct ufcast_receiver *r, ufcast_event_fn fn, void *ctx)
{
    return set_callback(&r->e, fn, ctx);
}

int ufcast_receiver_set_max_sessions(struct ufcast_receiver *r, unsigned n)
{
    if (atomic_load(&r->e.running))
        return -EBUSY;
    r->e.max_sessions = n;
    return 0;
}

int ufcast_receiver_run(struct ufcast_receiver *r)
{
    int rc = run(&r->e, &receiver_busy, "-d", uftpd_run);
    /* 6 is uftpd's exit for a signal: here, the stop that was asked for */
    if (rc == 6 && atomic_load(&r->e.stop))
        rc = 0;
    atomic_store(&r->e.stop, 0);
    return rc;
}

void ufcast_receiver_stop(struct ufcast_receiver *r)
{
    stop(&r->e);
}
