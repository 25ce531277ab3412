/*
 * uftp's status file (uftp_status.h). Per receiver it keeps the last file
 * it has a line for and its totals, in a table keyed by ID (groups reach
 * 100,000 receivers), so each event costs a lookup, not a scan.
 */
#include "app/uftp_status.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"

struct cstat {
    uint32_t id; /* 0: free slot */
    uint16_t last_file;
    unsigned copies, overwrites, skips;
    uint64_t bytes;
    double secs;
};

struct ustatus {
    FILE *out;
    const char *const *names;
    const uint64_t *sizes;
    size_t n_names;
    struct cstat *tab;
    size_t cap, used; /* cap: a power of two */
    uint16_t cur_file;
    bool files_begun; /* past the announce phase: a lost receiver is no CONNECT line */
};

struct ustatus *ustatus_new(FILE *out, const char *const *names, const uint64_t *sizes,
                            size_t n_names)
{
    struct ustatus *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->out = out;
    st->names = names;
    st->sizes = sizes;
    st->n_names = n_names;
    st->cap = 64;
    st->tab = calloc(st->cap, sizeof *st->tab);
    if (!st->tab) {
        free(st);
        return NULL;
    }
    return st;
}

void ustatus_free(struct ustatus *st)
{
    if (!st)
        return;
    free(st->tab);
    free(st);
}

static size_t slot(uint32_t id, size_t cap)
{
    return (size_t)(id * 2654435761u) & (cap - 1);
}

static int grow(struct ustatus *st)
{
    size_t i, cap = st->cap * 2;
    struct cstat *t = calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (i = 0; i < st->cap; i++) {
        size_t k;
        if (!st->tab[i].id)
            continue;
        for (k = slot(st->tab[i].id, cap); t[k].id; k = (k + 1) & (cap - 1))
            ;
        t[k] = st->tab[i];
    }
    free(st->tab);
    st->tab = t;
    st->cap = cap;
    return 0;
}

/* The record of id, made on first sight; NULL only when out of memory. */
static struct cstat *find(struct ustatus *st, uint32_t id)
{
    size_t k;
    if (!id)
        return NULL;
    if (2 * (st->used + 1) > st->cap && grow(st) != 0)
        return NULL;
    for (k = slot(id, st->cap); st->tab[k].id; k = (k + 1) & (st->cap - 1))
        if (st->tab[k].id == id)
            return &st->tab[k];
    st->tab[k].id = id;
    st->used++;
    return &st->tab[k];
}

static const char *file_name(const struct ustatus *st, uint16_t file_id)
{
    return file_id && file_id <= st->n_names ? st->names[file_id - 1] : "";
}

static uint64_t file_size_kb(const struct uft_event *ev)
{
    return ev->count / 1024;
}

static void result(struct ustatus *st, const struct uft_event *ev)
{
    struct cstat *c = find(st, ev->client_id);
    double secs = (double)ev->elapsed / 1e9;
    double kbs = secs > 0 ? (double)ev->count / secs / 1024 : 0;
    fprintf(st->out, "RESULT;0x%08X;%s;%lluKB;", ev->client_id, file_name(st, ev->file_id),
            (unsigned long long)file_size_kb(ev));
    switch (ev->status) {
    case UFT_COMP_NORMAL:
    case UFT_COMP_OVERWRITE:
        fprintf(st->out, "%s;%.2fKB/s\n", ev->status == UFT_COMP_NORMAL ? "copy" : "overwritten",
                kbs);
        if (c) {
            c->copies += ev->status == UFT_COMP_NORMAL;
            c->overwrites += ev->status == UFT_COMP_OVERWRITE;
            c->bytes += ev->count;
            c->secs += secs;
        }
        break;
    case UFT_COMP_SKIPPED:
        fprintf(st->out, "skipped;\n");
        if (c)
            c->skips++;
        break;
    case UFT_COMP_REJECTED:
        fprintf(st->out, "rejected;\n");
        break;
    case UFT_RESULT_LOST:
        fprintf(st->out, "lost;\n");
        break;
    case UFT_RESULT_ABORTED:
        fprintf(st->out, "aborted;\n");
        break;
    default:
        fprintf(st->out, "Unknown;\n");
        break;
    }
    if (ev->type == UFT_EV_FILE_RESULT && ev->has_free)
        fprintf(st->out, "FREESPACE;%s;%llu\n", file_name(st, ev->file_id),
                (unsigned long long)ev->free_bytes);
    if (c)
        c->last_file = ev->file_id;
}

/* The end of file_id: receivers that failed earlier get their line for
 * it, as UFTP lists every receiver for every file. */
static void close_file(struct ustatus *st, const struct uft_server *srv, uint16_t file_id)
{
    static const char *words[] = {"", "mute", "lost", "aborted"};
    struct uft_server_dest d;
    size_t i;
    if (!file_id)
        return;
    for (i = 0; uft_server_dest(srv, i, &d); i++) {
        struct cstat *c;
        if (d.is_proxy || !d.failed || d.fate == UFT_FATE_OK)
            continue;
        c = find(st, d.id);
        if (c && c->last_file == file_id)
            continue;
        fprintf(st->out, "RESULT;0x%08X;%s;%lluKB;%s;\n", d.id, file_name(st, file_id),
                (unsigned long long)(file_id <= st->n_names ? st->sizes[file_id - 1] / 1024 : 0),
                words[d.fate]);
        if (c)
            c->last_file = file_id;
    }
}

static void totals(struct ustatus *st, const struct uft_server *srv)
{
    struct uft_server_dest d;
    size_t i;
    fprintf(st->out, "HSTATS;target;copy;overwrite;skip;totalMB;time;speedKB/s\n");
    for (i = 0; uft_server_dest(srv, i, &d); i++) {
        const struct cstat *c;
        if (d.is_proxy || !(c = find(st, d.id)))
            continue;
        fprintf(st->out, "STATS;0x%08X;%u;%u;%u;%lluMB;%.3f;%.2fKB/s\n", d.id, c->copies,
                c->overwrites, c->skips, (unsigned long long)(c->bytes / 1048576), c->secs,
                c->secs > 0 ? (double)c->bytes / c->secs / 1024 : 0.0);
    }
}

void ustatus_event(struct ustatus *st, const struct uft_server *srv, const struct uft_event *ev)
{
    if (!st)
        return;
    switch (ev->type) {
    case UFT_EV_CLIENT_REGISTERED:
        fprintf(st->out, "CONNECT;success;0x%08X\n", ev->client_id);
        break;
    case UFT_EV_FILE_START:
        close_file(st, srv, st->cur_file);
        st->cur_file = ev->file_id;
        st->files_begun = true;
        return;
    case UFT_EV_FILE_RESULT:
    case UFT_EV_CLIENT_LOST:
    case UFT_EV_CLIENT_ABORT:
        if (ev->file_id)
            result(st, ev);
        else if (ev->type != UFT_EV_FILE_RESULT && !st->files_begun)
            fprintf(st->out, "CONNECT;failed;0x%08X\n", ev->client_id);
        break;
    case UFT_EV_SESSION_END:
        close_file(st, srv, st->cur_file);
        st->cur_file = 0;
        totals(st, srv);
        break;
    default:
        return;
    }
    fflush(st->out);
}
