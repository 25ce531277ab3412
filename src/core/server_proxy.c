/*
 * The server's side of UFTP's proxies. A proxy (uftpproxyd -c or -r)
 * stands between the server and some clients and answers for them: its
 * REGISTER, FILEINFO_ACK and COMPLETE carry the IDs of the clients they
 * speak for after the header, and its STATUS holds the NAKs of all of
 * them. In an encrypted session the proxy alone does the key exchange
 * with the server (as a client would, with -c and its -j fingerprint)
 * and then hands the group keys to its clients itself; the server only
 * tells it, by REG_CONF, which of them it has accepted. The server never
 * counts a proxy as a receiver, and a client behind a proxy fails with it.
 *
 * A proxy may speak only for clients it registered (their `via` is it):
 * what it says about any other ID is dropped and counted.
 */
#include "core/server_int.h"

static uint32_t index_of(const struct uft_server *s, const struct dest *p)
{
    return (uint32_t)(p - s->dests) + 1;
}

bool uft_srv_proxy_claim(struct uft_server *s, struct dest *d, const struct uft_peer *from,
                         uft_ts now)
{
    const char *why = "specified multiple clients but not a proxy";
    if (d->is_proxy)
        return true;
    if (s->open_group && d->state == D_MUTE) {
        d->is_proxy = true;
        return true;
    }
    uft_srv_log(s, 1, "Rejecting REGISTER from 0x%08X: %s", d->id, why);
    uft_srv_queue_abort(s, d->id, from, why);
    if (d->state != D_ABORT && d->state != D_LOST) {
        d->state = D_ABORT;
        uft_srv_client_event(s, UFT_EV_CLIENT_ABORT, d, UFT_RESULT_ABORTED, why, now);
    }
    return false;
}

/* The client with this ID that p may speak for, or NULL. */
static struct dest *client_of(struct uft_server *s, const struct dest *p, uint32_t id)
{
    struct dest *c = uft_srv_find_dest(s, id);
    if (!c || c->is_proxy || c->via != index_of(s, p)) {
        uft_srv_log(s, 1, "Client 0x%08X via proxy 0x%08X not found", id, p->id);
        s->st.rx_dropped++;
        return NULL;
    }
    return c;
}

/* One client of a proxy's REGISTER. */
static void register_one(struct uft_server *s, struct dest *p, uint32_t id,
                         const struct uft_peer *from, uft_ts now)
{
    struct dest *c = uft_srv_find_dest(s, id);
    bool dup;
    /* not a client it can bring in: an aborted or lost one stays so */
    if (id == 0 || id == s->cfg.server_id ||
        (c && (c->is_proxy || (uft_srv_failed(c) && c->state != D_MUTE)))) {
        s->st.rx_dropped++;
        return;
    }
    if (!c && s->open_group && !(c = uft_srv_add_dest(s, id))) {
        uft_srv_log(s, 1, "Rejecting client 0x%08X: max destinations exceeded", id);
        uft_srv_queue_abort(s, id, from, "Max destinations exceeded");
        return;
    }
    if (!c) {
        uft_srv_log(s, 1, "Host 0x%08X not in host list", id);
        uft_srv_queue_abort(s, id, from, "Not in host list");
        return;
    }
    dup = c->state == D_ACTIVE && c->via == index_of(s, p);
    c->state = D_ACTIVE;
    c->via = index_of(s, p);
    c->peer = *from;
    c->conf_sent = false;
    c->rtt = p->rtt;
    c->rtt_measured = p->rtt_measured;
    uft_srv_log(s, 2, "  For client%s 0x%08X", dup ? "+" : "", c->id);
    if (!dup)
        uft_srv_client_event(s, UFT_EV_CLIENT_REGISTERED, c, 0, NULL, now);
}

void uft_srv_proxy_register(struct uft_server *s, struct dest *p, const struct uft_msg *m,
                            const struct uft_peer *from, uft_ts now)
{
    size_t i;
    if (uft_srv_failed(p) && p->state != D_MUTE)
        return;
    for (i = 0; i < m->u.reg.ids.n; i++)
        register_one(s, p, uft_ids_get(&m->u.reg.ids, i), from, now);
    uft_srv_owe_reg_conf(s);
}

bool uft_srv_proxy_conf_due(const struct uft_server *s, const struct dest *d)
{
    if (!s->sec)
        return true; /* UFTP confirms everyone, proxies included, in clear sessions */
    return d->via && s->dests[d->via - 1].state == D_ACTIVE;
}

void uft_srv_proxy_fileinfo_ack(struct uft_server *s, struct dest *p, const struct uft_msg *m,
                                uft_ts now)
{
    const struct uft_fileinfo_ack *a = &m->u.fileinfo_ack;
    size_t i;
    if (p->state != D_ACTIVE && p->state != D_ACTIVE_NAK)
        return;
    uft_srv_measure_rtt(s, p, a->tstamp_hi, a->tstamp_lo, now);
    uft_srv_log(s, 2, "Received FILEINFO_ACK from proxy 0x%08X", p->id);
    for (i = 0; i < a->ids.n; i++) {
        struct dest *c = client_of(s, p, uft_ids_get(&a->ids, i));
        if (!c)
            continue;
        uft_srv_log(s, 2, "  For client%s 0x%08X", c->state == D_ACTIVE ? "+" : "", c->id);
        if (c->state == D_REGISTERED) {
            c->state = D_ACTIVE;
            c->partial = a->flags & UFT_FIACK_PARTIAL;
        }
        /* the proxy echoes the first of its clients' timestamps */
        c->rtt = p->rtt;
        c->rtt_measured = p->rtt_measured;
    }
}

static const char *status_word(uint8_t st)
{
    switch (st) {
    case UFT_COMP_SKIPPED:
        return "(skipped)";
    case UFT_COMP_OVERWRITE:
        return "(overwritten)";
    case UFT_COMP_REJECTED:
        return "(rejected)";
    default:
        return "";
    }
}

void uft_srv_proxy_complete(struct uft_server *s, struct dest *p, const struct uft_msg *m,
                            uft_ts now)
{
    const struct uft_complete *c = &m->u.complete;
    bool dup;
    size_t i;
    if (uft_srv_failed(p))
        return;
    uft_srv_log(s, 2, "Got COMPLETE%s from proxy 0x%08X", status_word(c->status), p->id);
    for (i = 0; i < c->ids.n; i++) {
        struct dest *d = client_of(s, p, uft_ids_get(&c->ids, i));
        if (!d)
            continue;
        dup = s->phase == PH_COMPLETION ? d->final_done : d->state == D_DONE;
        uft_srv_log(s, 2, "  For client%s 0x%08X", dup ? "+" : "", d->id);
        uft_srv_complete(s, d, c, now);
    }
}

void uft_srv_proxy_abort(struct uft_server *s, struct dest *p, const struct uft_msg *m,
                         const char *text, uft_ts now)
{
    uint32_t host = m->u.abort.host;
    struct dest *c;
    if (host == 0 || host == p->id || host == s->cfg.server_id) {
        uft_srv_aborted(s, p, text, now);
        return;
    }
    /* a client it speaks for, or one that aborted before it could be
     * registered (a bad server key, a full disk) */
    c = uft_srv_find_dest(s, host);
    if (!c || c->is_proxy || (c->via && c->via != index_of(s, p))) {
        uft_srv_log(s, 1, "Transfer aborted by 0x%08X via proxy 0x%08X: %s", host, p->id, text);
        s->st.rx_dropped++;
        return;
    }
    uft_srv_aborted(s, c, text, now);
}

void uft_srv_proxy_fail(struct uft_server *s, struct dest *p, uint8_t state, const char *why,
                        uft_ts now)
{
    uint32_t idx = index_of(s, p);
    size_t i;
    p->state = state;
    for (i = 0; i < s->n_dests; i++) {
        struct dest *c = &s->dests[i];
        if (c->via != idx || uft_srv_failed(c) || c->final_done)
            continue;
        c->state = state;
        uft_srv_log(s, 1, "  For client 0x%08X", c->id);
        uft_srv_client_event(s, state == D_LOST ? UFT_EV_CLIENT_LOST : UFT_EV_CLIENT_ABORT, c,
                             state == D_LOST ? UFT_RESULT_LOST : UFT_RESULT_ABORTED, why, now);
    }
}

void uft_srv_proxy_end_announce(struct uft_server *s, uft_ts now)
{
    size_t i;
    for (i = 0; i < s->n_dests; i++) {
        struct dest *p = &s->dests[i];
        if (p->is_proxy && p->state != D_ACTIVE)
            uft_srv_proxy_fail(s, p, D_LOST, "its proxy did not register", now);
    }
}
