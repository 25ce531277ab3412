/*
 * Gathering receivers' answers, and the list of receivers (proxy_int.h). Each REGISTER,
 * FILEINFO_ACK, STATUS or COMPLETE joins a pending aggregate of its kind (the same file, section or
 * completion status); the first one starts a one-GRTT hold, after which every aggregate goes
 * upstream as one message from the proxy listing the receivers (a STATUS carries the union of their
 * NAKs in a blocksize-byte bitmap instead). A full list goes at once. This is what keeps a thousand
 * receivers from answering the server one by one.
 */
#include "core/proxy_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/wire.h"

struct px_client *uft_px_find_client(struct px_group *g, uint32_t id)
{
    size_t i;
    for (i = 0; i < g->n_clients; i++)
        if (g->clients[i].id == id)
            return &g->clients[i];
    return NULL;
}

bool uft_px_has_client(const struct px_group *g, uint32_t id)
{
    size_t i;
    for (i = 0; i < g->n_clients; i++)
        if (g->clients[i].id == id)
            return true;
    return false;
}

/* -C: an empty list admits everyone. */
static bool allowed(const struct uft_proxy *p, uint32_t id)
{
    size_t i;
    if (p->cfg.kind != UFT_PROXY_CLIENT || !p->cfg.n_clients)
        return true;
    for (i = 0; i < p->cfg.n_clients; i++)
        if (p->cfg.clients[i] == id)
            return true;
    return false;
}

struct px_client *uft_px_add_client(struct uft_proxy *p, struct px_group *g, uint32_t id,
                                    uft_ts now)
{
    struct px_client *c = uft_px_find_client(g, id);
    uft_ts span;
    if (c)
        return c;
    if (!allowed(p, id)) {
        uft_px_log(p, g, 1, "Rejecting REGISTER from %08X: not in the client list (-C)", id);
        return NULL;
    }
    if (g->n_clients == PX_MAX_CLIENTS) {
        uft_px_log(p, g, 1, "Rejecting REGISTER from %08X: too many clients", id);
        return NULL;
    }
    if (g->n_clients == g->cap_clients) {
        size_t cap = g->cap_clients ? 2 * g->cap_clients : 32;
        struct px_client *nv = realloc(g->clients, cap * sizeof *nv);
        if (!nv)
            return NULL;
        g->clients = nv;
        g->cap_clients = cap;
    }
    c = &g->clients[g->n_clients++];
    memset(c, 0, sizeof *c);
    c->id = id;
    c->state = g->sec ? PXC_MUTE : PXC_REGISTERED;
    /* a late receiver gets as long as the first ones had */
    span = uft_tm_client_idle(g->grtt, g->robust);
    c->deadline = now + span > g->setup_end ? now + span : g->setup_end;
    if (g->sec && c->deadline < g->expire_at)
        g->expire_at = c->deadline;
    return c;
}

static void remove_id(uint32_t *v, size_t *n, uint32_t id)
{
    size_t i;
    for (i = 0; i < *n; i++) {
        if (v[i] == id) {
            v[i] = v[--*n];
            return;
        }
    }
}

void uft_px_drop_client(struct uft_proxy *p, struct px_group *g, uint32_t id)
{
    struct px_client *c = uft_px_find_client(g, id);
    size_t k;
    if (c) {
        uft_pxs_free_client(p, c);
        *c = g->clients[--g->n_clients];
    }
    for (k = 0; k < PX_MAX_PEND; k++)
        if (g->pend[k].func && g->pend[k].ids)
            remove_id(g->pend[k].ids, &g->pend[k].n_ids, id);
}

void uft_px_free_clients(struct uft_proxy *p, struct px_group *g)
{
    size_t i;
    for (i = 0; i < g->n_clients; i++)
        uft_pxs_free_client(p, &g->clients[i]);
    free(g->clients);
    g->clients = NULL;
    g->n_clients = g->cap_clients = 0;
}

static void clear_pending(struct px_pending *pe)
{
    free(pe->ids);
    free(pe->naks);
    memset(pe, 0, sizeof *pe);
}

void uft_px_free_pending(struct px_group *g)
{
    size_t k;
    for (k = 0; k < PX_MAX_PEND; k++)
        clear_pending(&g->pend[k]);
    g->flush_at = UFT_NEVER;
}

static size_t max_ids(const struct px_group *g)
{
    return g->blocksize / 4 ? g->blocksize / 4 : 1;
}

/* The slot this answer joins: a matching one, else a free one, else
 * everything pending goes now and slot 0 starts afresh. */
static struct px_pending *slot_for(struct uft_proxy *p, struct px_group *g, const struct uft_msg *m,
                                   uft_ts now)
{
    size_t k;
    for (k = 0; k < PX_MAX_PEND; k++) {
        struct px_pending *pe = &g->pend[k];
        if (!pe->func)
            return pe;
        if (pe->func != m->hdr.func)
            continue;
        switch (m->hdr.func) {
        case UFT_REGISTER:
            return pe;
        case UFT_FILEINFO_ACK:
            if (pe->file_id == m->u.fileinfo_ack.file_id)
                return pe;
            break;
        case UFT_STATUS:
            if (pe->file_id == m->u.status.file_id && pe->section == m->u.status.section)
                return pe;
            break;
        default:
            if (pe->file_id == m->u.complete.file_id && pe->comp_status == m->u.complete.status)
                return pe;
            break;
        }
    }
    uft_px_flush(p, g, now);
    return &g->pend[0];
}

static void send_list(struct uft_proxy *p, struct px_group *g, struct px_pending *pe, uft_ts now)
{
    struct uft_msg m;
    uint64_t echo = pe->echo_us + (now > pe->echo_rx ? (now - pe->echo_rx) / 1000 : 0);
    uint8_t ids[4 * 2400];
    size_t i, n = pe->n_ids < sizeof ids / 4 ? pe->n_ids : sizeof ids / 4;
    struct uft_ids list;
    for (i = 0; i < n; i++)
        uft_put_u32(ids + 4 * i, pe->ids[i]);
    list.p = ids;
    list.n = n;
    memset(&m, 0, sizeof m);
    m.hdr.func = pe->func;
    switch (pe->func) {
    case UFT_REGISTER:
        uft_msg_tstamp_set(g->version, echo, &m.u.reg.tstamp_hi, &m.u.reg.tstamp_lo);
        m.u.reg.ids = list;
        if (g->sec)
            uft_pxs_register_fill(g, &m);
        uft_px_log(p, g, 2, "REGISTER sent for %zu client(s)", n);
        break;
    case UFT_FILEINFO_ACK:
        m.u.fileinfo_ack.file_id = pe->file_id;
        m.u.fileinfo_ack.flags = pe->partial ? UFT_FIACK_PARTIAL : 0;
        uft_msg_tstamp_set(g->version, echo, &m.u.fileinfo_ack.tstamp_hi,
                           &m.u.fileinfo_ack.tstamp_lo);
        m.u.fileinfo_ack.ids = list;
        break;
    default:
        m.u.complete.file_id = pe->file_id;
        m.u.complete.status = pe->comp_status;
        m.u.complete.ids = list;
        break;
    }
    uft_px_send_up(p, g, &m);
    if (pe->func == UFT_REGISTER && g->sec)
        uft_pxs_registered_up(p, g);
}

static void send_status(struct uft_proxy *p, struct px_group *g, struct px_pending *pe)
{
    struct uft_msg m;
    memset(&m, 0, sizeof m);
    m.hdr.func = UFT_STATUS;
    m.u.status.file_id = pe->file_id;
    m.u.status.section = pe->section;
    m.u.status.naks.p = pe->naks;
    m.u.status.naks.len = g->blocksize;
    uft_px_send_up(p, g, &m);
}

void uft_px_flush(struct uft_proxy *p, struct px_group *g, uft_ts now)
{
    size_t k;
    for (k = 0; k < PX_MAX_PEND; k++) {
        struct px_pending *pe = &g->pend[k];
        if (!pe->func)
            continue;
        if (pe->func == UFT_STATUS)
            send_status(p, g, pe);
        else if (pe->n_ids)
            send_list(p, g, pe, now);
        clear_pending(pe);
    }
    g->flush_at = UFT_NEVER;
    g->idle_at = now + uft_tm_client_idle(g->grtt, g->robust);
}

/* Fill a fresh slot from the first answer that opens it. */
static int open_slot(struct px_group *g, struct px_pending *pe, const struct uft_msg *m, uft_ts now)
{
    pe->func = m->hdr.func;
    pe->echo_rx = now;
    pe->partial = true;
    if (m->hdr.func == UFT_STATUS) {
        pe->naks = calloc(g->blocksize ? g->blocksize : 1, 1);
        return pe->naks ? 0 : UFT_E_NOMEM;
    }
    pe->ids = malloc(max_ids(g) * sizeof *pe->ids);
    if (!pe->ids)
        return UFT_E_NOMEM;
    if (m->hdr.func == UFT_REGISTER)
        pe->echo_us = uft_msg_tstamp_us(g->version, m->u.reg.tstamp_hi, m->u.reg.tstamp_lo);
    else if (m->hdr.func == UFT_FILEINFO_ACK)
        pe->echo_us =
            uft_msg_tstamp_us(g->version, m->u.fileinfo_ack.tstamp_hi, m->u.fileinfo_ack.tstamp_lo);
    return 0;
}

static void add_id(struct px_pending *pe, uint32_t id)
{
    size_t i;
    for (i = 0; i < pe->n_ids; i++)
        if (pe->ids[i] == id)
            return;
    pe->ids[pe->n_ids++] = id;
}

void uft_px_gather(struct uft_proxy *p, struct px_group *g, const struct uft_msg *m, uft_ts now)
{
    struct px_pending *pe;
    uint32_t id = m->hdr.src_id;
    bool opened;
    if (m->hdr.func == UFT_REGISTER && !uft_px_add_client(p, g, id, now))
        return;
    pe = slot_for(p, g, m, now);
    opened = !pe->func;
    if (opened && open_slot(g, pe, m, now) != 0) {
        clear_pending(pe);
        return;
    }
    switch (m->hdr.func) {
    case UFT_FILEINFO_ACK:
        pe->file_id = m->u.fileinfo_ack.file_id;
        pe->partial = pe->partial && (m->u.fileinfo_ack.flags & UFT_FIACK_PARTIAL);
        break;
    case UFT_STATUS: {
        size_t i, n = m->u.status.naks.len < g->blocksize ? m->u.status.naks.len : g->blocksize;
        pe->file_id = m->u.status.file_id;
        pe->section = m->u.status.section;
        for (i = 0; i < n; i++)
            pe->naks[i] |= m->u.status.naks.p[i];
        break;
    }
    case UFT_COMPLETE:
        pe->file_id = m->u.complete.file_id;
        pe->comp_status = m->u.complete.status;
        break;
    default:
        break;
    }
    if (pe->ids)
        add_id(pe, id);
    if (pe->ids && pe->n_ids >= max_ids(g)) {
        if (pe->func == UFT_REGISTER || pe->func == UFT_FILEINFO_ACK || pe->func == UFT_COMPLETE) {
            send_list(p, g, pe, now);
            clear_pending(pe);
        }
    }
    if (opened && g->flush_at == UFT_NEVER)
        g->flush_at = now + g->grtt;
}
