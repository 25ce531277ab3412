/*
 * The JSON status writer. jansson builds each object and does the
 * escaping; this file decides the fields, and turns names that are not
 * UTF-8 into valid JSON strings (jansson refuses invalid UTF-8 rather
 * than guess) plus their exact bytes in hex.
 */
#include "app/jsonev.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/msg.h"
#include "core/session.h"

struct jsonev {
    FILE *f; /* NULL: lines go only to the sink */
    bool owned;
    int error; /* errno of the first failed write */
    jsonev_sink_fn sink;
    void *sink_ctx;
};

struct jsonev *jsonev_new(FILE *f)
{
    struct jsonev *j = calloc(1, sizeof *j);
    if (!j) {
        errno = ENOMEM;
        return NULL;
    }
    j->f = f;
    return j;
}

struct jsonev *jsonev_open(const char *path)
{
    struct jsonev *j;
    FILE *f;
    int e;
    if (strcmp(path, "-") == 0)
        return jsonev_new(stdout);
    if (!(f = fopen(path, "ae")))
        return NULL;
    if (!(j = jsonev_new(f))) {
        e = errno;
        fclose(f);
        errno = e;
        return NULL;
    }
    j->owned = true;
    return j;
}

void jsonev_set_sink(struct jsonev *j, jsonev_sink_fn fn, void *ctx)
{
    j->sink = fn;
    j->sink_ctx = ctx;
}

int jsonev_close(struct jsonev *j)
{
    int rc;
    if (!j)
        return 0;
    rc = j->error ? -1 : 0;
    if (j->f && j->owned && fclose(j->f) != 0)
        rc = -1;
    else if (j->f && !j->owned && fflush(j->f) != 0)
        rc = -1;
    free(j);
    return rc;
}

int jsonev_error(const struct jsonev *j)
{
    return j ? j->error : 0;
}

const char *jsonev_status_word(int status)
{
    switch (status) {
    case UFT_COMP_NORMAL:
        return "copy";
    case UFT_COMP_OVERWRITE:
        return "overwritten";
    case UFT_COMP_SKIPPED:
        return "skipped";
    case UFT_COMP_REJECTED:
        return "rejected";
    case UFT_RESULT_LOST:
        return "lost";
    case UFT_RESULT_ABORTED:
        return "aborted";
    default:
        return "unknown";
    }
}

const char *jsonev_type_word(int ftype)
{
    static const char *const words[] = {"file", "dir", "link", "delete", "freespace"};
    return ftype >= 0 && ftype <= UFT_FTYPE_FREESPACE ? words[ftype] : "unknown";
}

/* ---------- names ---------- */

size_t jsonev_utf8_len(const unsigned char *p, size_t n)
{
    unsigned char lo = 0x80, hi = 0xbf;
    size_t len, i;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        len = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        len = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        len = 4;
    else
        return 0;
    if (p[0] == 0xe0)
        lo = 0xa0; /* overlong */
    else if (p[0] == 0xed)
        hi = 0x9f; /* surrogates */
    else if (p[0] == 0xf0)
        lo = 0x90; /* overlong */
    else if (p[0] == 0xf4)
        hi = 0x8f; /* above U+10FFFF */
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return len;
}

/* s with each byte outside valid UTF-8 replaced by U+FFFD (malloc'd, or
 * NULL when out of memory); *clean says whether s was valid as it is. */
static char *utf8_clean(const char *s, bool *clean)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0, k = 0, len;
    char *out = malloc(3 * n + 1);
    *clean = true;
    if (!out)
        return NULL;
    while (i < n) {
        if ((len = jsonev_utf8_len(p + i, n - i)) == 0) {
            memcpy(out + k, "\xef\xbf\xbd", 3);
            k += 3;
            i++;
            *clean = false;
            continue;
        }
        memcpy(out + k, p + i, len);
        k += len;
        i += len;
    }
    out[k] = '\0';
    return out;
}

/* obj[key] = text as a JSON string; with hex_key, also the raw bytes in
 * hex when text is not valid UTF-8. */
static void set_text(json_t *obj, const char *key, const char *hex_key, const char *text)
{
    bool clean;
    char *s = utf8_clean(text, &clean);
    json_object_set_new(obj, key, json_string(s ? s : ""));
    free(s);
    if (!clean && hex_key) {
        size_t i, n = strlen(text);
        char *hex = malloc(2 * n + 1);
        for (i = 0; hex && i < n; i++)
            snprintf(hex + 2 * i, 3, "%02x", (unsigned char)text[i]);
        if (hex) {
            hex[2 * n] = '\0';
            json_object_set_new(obj, hex_key, json_string(hex));
        }
        free(hex);
    }
}

/* ---------- lines ---------- */

static void set_id(json_t *obj, const char *key, uint32_t id)
{
    char buf[16];
    snprintf(buf, sizeof buf, "0x%08X", id);
    json_object_set_new(obj, key, json_string(buf));
}

static void set_u64(json_t *obj, const char *key, uint64_t v)
{
    /* json_int_t is signed 64-bit: byte counts fit for a long while */
    json_object_set_new(
        obj, key, json_integer((json_int_t)(v > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : v)));
}

static void set_seconds(json_t *obj, const char *key, double s)
{
    json_object_set_new(obj, key, json_real(round(s * 1000) / 1000));
}

/* A new object with "event", "time" and "group". */
static json_t *begin(const char *event, uint32_t group_id)
{
    struct timespec ts;
    struct tm tm;
    char when[80];
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    json_object_set_new(obj, "event", json_string(event));
    json_object_set_new(obj, "time", json_string(when));
    set_id(obj, "group", group_id);
    return obj;
}

/* Write obj as one line and free it. A failed write is remembered and
 * ends the output: a half line must not be followed by more. The sink
 * gets the same line as text, so it sees exactly what the file does. */
static void emit(struct jsonev *j, json_t *obj)
{
    char *line;
    if (!obj)
        return;
    if (j->sink && (line = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(12))) != NULL) {
        j->sink(j->sink_ctx, line);
        free(line);
    }
    if (j->f && !j->error) {
        errno = 0;
        if (json_dumpf(obj, j->f, JSON_COMPACT | JSON_REAL_PRECISION(12)) != 0 ||
            fputc('\n', j->f) == EOF || fflush(j->f) != 0)
            j->error = errno ? errno : EIO;
    }
    json_decref(obj);
}

void jsonev_session_start(struct jsonev *j, const struct jsonev_session *s)
{
    json_t *o = begin("session_start", s->group_id);
    if (!o)
        return;
    set_id(o, "server", s->server_id);
    json_object_set_new(o, "version", json_integer(s->version));
    json_object_set_new(o, "encryption", json_string(s->encryption));
    set_u64(o, "files", s->files);
    set_u64(o, "bytes", s->bytes);
    emit(j, o);
}

void jsonev_client_registered(struct jsonev *j, uint32_t group_id, uint32_t client_id)
{
    json_t *o = begin("client_registered", group_id);
    if (!o)
        return;
    set_id(o, "client", client_id);
    emit(j, o);
}

void jsonev_client_complete(struct jsonev *j, uint32_t group_id, uint32_t client_id)
{
    json_t *o = begin("client_complete", group_id);
    if (!o)
        return;
    set_id(o, "client", client_id);
    emit(j, o);
}

void jsonev_client_failed(struct jsonev *j, uint32_t group_id, uint32_t client_id,
                          const char *status, const char *reason)
{
    json_t *o = begin("client_failed", group_id);
    if (!o)
        return;
    set_id(o, "client", client_id);
    json_object_set_new(o, "status", json_string(status));
    if (reason)
        set_text(o, "reason", NULL, reason);
    emit(j, o);
}

void jsonev_file_start(struct jsonev *j, uint32_t group_id, uint16_t file_id, const char *name,
                       int ftype, uint64_t size)
{
    json_t *o = begin("file_start", group_id);
    if (!o)
        return;
    json_object_set_new(o, "file", json_integer(file_id));
    set_text(o, "name", "name_hex", name);
    json_object_set_new(o, "type", json_string(jsonev_type_word(ftype)));
    set_u64(o, "size", size);
    emit(j, o);
}

void jsonev_file_done(struct jsonev *j, const struct jsonev_file_done *f)
{
    json_t *o = begin("file_done", f->group_id);
    if (!o)
        return;
    if (f->server_id)
        set_id(o, "server", f->server_id);
    if (f->client_id)
        set_id(o, "client", f->client_id);
    json_object_set_new(o, "file", json_integer(f->file_id));
    if (f->name)
        set_text(o, "name", "name_hex", f->name);
    json_object_set_new(o, "status", json_string(jsonev_status_word(f->status)));
    set_u64(o, "size", f->size);
    set_u64(o, "bytes", f->bytes);
    set_seconds(o, "seconds", f->seconds);
    set_u64(o, "bytes_per_second",
            f->seconds > 0 ? (uint64_t)llround((double)f->bytes / f->seconds) : 0);
    if (f->has_free)
        set_u64(o, "free_bytes", f->free_bytes);
    emit(j, o);
}

void jsonev_pass(struct jsonev *j, uint32_t group_id, uint16_t file_id, uint32_t pass)
{
    json_t *o = begin("pass", group_id);
    if (!o)
        return;
    json_object_set_new(o, "file", json_integer(file_id));
    json_object_set_new(o, "pass", json_integer(pass));
    emit(j, o);
}

void jsonev_session_end(struct jsonev *j, const struct jsonev_summary *s)
{
    json_t *o = begin("session_end", s->group_id);
    if (!o)
        return;
    json_object_set_new(o, "exit", json_integer(s->exit_code));
    set_u64(o, "clients", s->clients);
    set_u64(o, "completed", s->completed);
    set_u64(o, "failed", s->failed);
    set_u64(o, "files", s->files);
    set_u64(o, "bytes", s->bytes);
    set_u64(o, "bytes_delivered", s->bytes_delivered);
    set_u64(o, "data_packets", s->data_packets);
    set_seconds(o, "seconds", s->seconds);
    emit(j, o);
}

void jsonev_rx_session_start(struct jsonev *j, uint32_t group_id, uint32_t server_id,
                             const char *address)
{
    json_t *o = begin("session_start", group_id);
    if (!o)
        return;
    set_id(o, "server", server_id);
    if (address)
        set_text(o, "address", NULL, address);
    emit(j, o);
}

void jsonev_rx_session_end(struct jsonev *j, uint32_t group_id, uint32_t server_id, bool ok,
                           const char *reason)
{
    json_t *o = begin("session_end", group_id);
    if (!o)
        return;
    set_id(o, "server", server_id);
    json_object_set_new(o, "status", json_string(ok ? "complete" : "failed"));
    if (reason)
        set_text(o, "reason", NULL, reason);
    emit(j, o);
}
