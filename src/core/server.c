/*
 * The server session. It is a set of phases (announce, then FILEINFO and
 * data for each file, then completion), each driven by a round timer, and
 * a transmit plan: flags saying which control messages are owed, each
 * with a cursor over the client table, so one pull() produces one
 * datagram and a list of 10,000 IDs goes out as several packets without
 * any queue. Data packets are produced on demand at the pacing deadline.
 *
 * Client states follow UFTP's: MUTE (expected, not heard), REGISTERED
 * (owes an answer to the current FILEINFO), ACTIVE, ACTIVE_NAK (sent NAKs
 * this pass), DONE (finished the current file), and the failures LOST and
 * ABORT.
 */
#include "core/server.h"

#include "core/server_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/quant.h"

/* ---------- events ---------- */

static void emit(struct uft_server *s, struct uft_event *ev)
{
    ev->group_id = s->cfg.group_id;
    if (s->ops.event)
        s->ops.event(s->ops.ctx, ev);
}

void uft_srv_log(struct uft_server *s, int level, const char *fmt, ...)
{
    struct uft_event ev = {.type = UFT_EV_LOG, .level = level};
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ev.text = text;
    ev.file_id = s->file_id;
    emit(s, &ev);
}

void uft_srv_client_event(struct uft_server *s, enum uft_ev_type type, const struct dest *d,
                          int status, const char *text, uft_ts now)
{
    struct uft_event ev = {.type = type, .client_id = d->id, .file_id = s->file_id};
    ev.status = status;
    ev.text = text;
    if (s->file_idx < s->n_files)
        ev.count = s->files[s->file_idx].size;
    ev.elapsed = now - s->file_start;
    emit(s, &ev);
}

/* ---------- the client table ---------- */

static size_t slot_of(uint32_t id, size_t n_slots)
{
    return (size_t)((id * 2654435761u) & (n_slots - 1));
}

struct dest *uft_srv_find_dest(struct uft_server *s, uint32_t id)
{
    size_t i = slot_of(id, s->n_slots);
    while (s->slots[i]) {
        struct dest *d = &s->dests[s->slots[i] - 1];
        if (d->id == id)
            return d;
        i = (i + 1) & (s->n_slots - 1);
    }
    return NULL;
}

struct dest *uft_srv_add_dest(struct uft_server *s, uint32_t id)
{
    struct dest *d;
    size_t i;
    if (s->n_dests >= s->cap_dests)
        return NULL;
    d = &s->dests[s->n_dests++];
    memset(d, 0, sizeof *d);
    d->id = id;
    d->state = D_MUTE;
    i = slot_of(id, s->n_slots);
    while (s->slots[i])
        i = (i + 1) & (s->n_slots - 1);
    s->slots[i] = (uint32_t)s->n_dests;
    return d;
}

bool uft_srv_failed(const struct dest *d)
{
    return d->state == D_LOST || d->state == D_ABORT || d->state == D_MUTE;
}

/* ---------- packet building ---------- */

uft_ts uft_srv_adv_grtt(const struct uft_server *s)
{
    uft_ts base = uft_tm_adv_grtt(s->grtt, s->gap);
    /* under TFMCC it only grows within a feedback round */
    return s->adv_grtt_cc > base ? s->adv_grtt_cc : base;
}

void uft_srv_fill_hdr(struct uft_server *s, struct uft_msg *m, uint8_t func)
{
    m->hdr.version = s->cfg.version;
    m->hdr.func = func;
    m->hdr.seq = s->seq++;
    m->hdr.src_id = s->cfg.server_id;
    m->hdr.group_id = s->cfg.group_id;
    m->hdr.group_inst = s->cfg.group_inst;
    m->hdr.grtt = uft_quant_grtt((double)uft_srv_adv_grtt(s) / 1e9);
    m->hdr.gsize = uft_quant_gsize((int64_t)s->n_dests);
}

uint64_t uft_srv_wall_us(const struct uft_server *s, uft_ts now)
{
    return s->cfg.wall_base_us + now / 1000;
}

ssize_t uft_srv_finish_tx(struct uft_server *s, const struct uft_msg *m, uint8_t *buf, size_t cap,
                          struct uft_tx *tx, enum uft_dst dst)
{
    ssize_t n = uft_msg_encode(m, buf, cap);
    if (n < 0)
        return n;
    if (s->sec) {
        uint8_t f = m->hdr.func;
        if (f == UFT_ANNOUNCE) {
            int rc = uft_ssec_sign_announce(s, buf, (size_t)n);
            if (rc)
                return rc;
        } else if (f == UFT_FILEINFO || f == UFT_FILESEG || f == UFT_DONE || f == UFT_DONE_CONF ||
                   f == UFT_CONG_CTRL || (f == UFT_ABORT && s->phase != PH_ANNOUNCE) ||
                   f > UFT_FUNC_MAX) {
            /* session traffic goes out under the group's key */
            n = uft_ssec_seal(s, buf, (size_t)n, cap);
            if (n < 0)
                return n;
        }
    }
    tx->dst = dst;
    if (m->hdr.func == UFT_FILESEG || m->hdr.func == UFT_FEC_PARITY)
        s->st.data_packets++;
    else
        s->st.ctrl_packets++;
    return n;
}

/* Does d belong in the list being sent? Marks what sending it settles. */
static bool list_takes(struct uft_server *s, enum txlist which, struct dest *d)
{
    switch (which) {
    case TX_REG_CONF:
        if (d->state != D_ACTIVE || d->conf_sent || !uft_srv_proxy_conf_due(s, d))
            return false;
        d->conf_sent = true;
        return true;
    case TX_FILEINFO:
        return d->state == D_REGISTERED;
    case TX_DONE_CONF:
        if (!d->doneconf_owed)
            return false;
        d->doneconf_owed = false;
        return true;
    case TX_DONE:
        if (s->phase == PH_COMPLETION)
            return !uft_srv_failed(d) && !d->final_done;
        return d->state == D_ACTIVE || d->state == D_ACTIVE_NAK;
    case TX_ANNOUNCE:
        return d->state == D_MUTE;
    default:
        return false;
    }
}

/* Collect the next run of IDs for a list into s->idbuf. Clears the owed
 * flag when the table is exhausted. Returns how many were collected; a
 * packet is due when that is > 0, or for DONE and an open-group ANNOUNCE
 * (which go out even with no IDs) on the first packet of the list. */
static size_t collect(struct uft_server *s, enum txlist which, bool *due)
{
    size_t max = s->cfg.block_len / UFT_ID_LEN, n = 0;
    bool always = which == TX_DONE || (which == TX_ANNOUNCE && s->open_group);
    if (!(which == TX_ANNOUNCE && s->open_group)) {
        while (s->cursor[which] < s->n_dests && n < max) {
            struct dest *d = &s->dests[s->cursor[which]++];
            if (list_takes(s, which, d))
                uft_put_u32(s->idbuf + UFT_ID_LEN * n++, d->id);
        }
    }
    if (s->cursor[which] >= s->n_dests || (which == TX_ANNOUNCE && s->open_group))
        s->owed[which] = false;
    *due = n > 0 || (always && !s->sent_any[which]);
    if (*due)
        s->sent_any[which] = true;
    return n;
}

static void owe(struct uft_server *s, enum txlist which)
{
    s->owed[which] = true;
    s->cursor[which] = 0;
    s->sent_any[which] = false;
}

void uft_srv_owe_reg_conf(struct uft_server *s)
{
    if (!s->owed[TX_REG_CONF])
        owe(s, TX_REG_CONF);
}

static void build_list_msg(struct uft_server *s, enum txlist which, size_t n, struct uft_msg *m,
                           uft_ts now)
{
    struct uft_ids ids = {s->idbuf, n};
    const struct uft_server_file *f = s->file_idx < s->n_files ? &s->files[s->file_idx] : NULL;
    memset(m, 0, sizeof *m);
    switch (which) {
    case TX_REG_CONF:
        uft_srv_fill_hdr(s, m, UFT_REG_CONF);
        m->u.reg_conf.ids = ids;
        break;
    case TX_FILEINFO:
        uft_srv_fill_hdr(s, m, UFT_FILEINFO);
        m->u.fileinfo.file_id = s->file_id;
        m->u.fileinfo.ftype = f->ftype;
        m->u.fileinfo.fsize = f->ftype == UFT_FTYPE_REG ? f->size : 0;
        m->u.fileinfo.ftstamp_hi =
            s->cfg.version == UFT_VER5 ? (uint16_t)((uint64_t)f->mtime >> 32) : 0;
        m->u.fileinfo.ftstamp_lo = (uint32_t)f->mtime;
        uft_msg_tstamp_set(s->cfg.version, uft_srv_wall_us(s, now), &m->u.fileinfo.tstamp_hi,
                           &m->u.fileinfo.tstamp_lo);
        m->u.fileinfo.name.p = (const uint8_t *)f->name;
        m->u.fileinfo.name.len = strlen(f->name);
        if (f->ftype == UFT_FTYPE_LINK && f->link) {
            m->u.fileinfo.link.p = (const uint8_t *)f->link;
            m->u.fileinfo.link.len = strlen(f->link);
        }
        m->u.fileinfo.ids = ids;
        break;
    case TX_DONE_CONF:
        uft_srv_fill_hdr(s, m, UFT_DONE_CONF);
        m->u.done_conf.ids = ids;
        break;
    case TX_DONE:
        uft_srv_fill_hdr(s, m, UFT_DONE);
        m->u.done.file_id = s->phase == PH_COMPLETION ? 0 : s->file_id;
        m->u.done.section =
            (uint16_t)(s->phase == PH_COMPLETION || s->lay.sections == 0 ? 0 : s->lay.sections - 1);
        m->u.done.ids = ids;
        break;
    case TX_ANNOUNCE:
        uft_srv_fill_hdr(s, m, UFT_ANNOUNCE);
        m->u.announce.flags = (uint8_t)(s->cfg.flags | (s->cfg.ipv6 ? UFT_ANN_IPV6 : 0));
        m->u.announce.robust = s->cfg.robust;
        m->u.announce.cc_type = s->cfg.cc_type;
        m->u.announce.blocksize = s->cfg.block_len;
        uft_msg_tstamp_set(s->cfg.version, uft_srv_wall_us(s, now), &m->u.announce.tstamp_hi,
                           &m->u.announce.tstamp_lo);
        memcpy(m->u.announce.pub_addr, s->cfg.pub_addr, 16);
        memcpy(m->u.announce.priv_addr, s->cfg.priv_addr, 16);
        m->u.announce.ids = ids;
        if (s->sec)
            uft_ssec_announce(s, m);
        break;
    default:
        break;
    }
}

static ssize_t pull_abort(struct uft_server *s, uint8_t *buf, size_t cap, struct uft_tx *tx)
{
    struct pending_abort *a = &s->aborts[0];
    struct uft_msg m;
    ssize_t n;
    memset(&m, 0, sizeof m);
    uft_srv_fill_hdr(s, &m, UFT_ABORT);
    m.u.abort.host = a->host;
    m.u.abort.text.p = (const uint8_t *)a->text;
    m.u.abort.text.len = strlen(a->text);
    n = uft_srv_finish_tx(s, &m, buf, cap, tx, a->to_peer ? UFT_DST_PEER : UFT_DST_PRIVATE);
    if (n > 0) {
        tx->peer = a->peer;
        memmove(&s->aborts[0], &s->aborts[1], (s->n_aborts - 1) * sizeof s->aborts[0]);
        s->n_aborts--;
    }
    return n;
}

void uft_srv_queue_abort(struct uft_server *s, uint32_t host, const struct uft_peer *peer,
                         const char *text)
{
    struct pending_abort *a;
    if (s->n_aborts >= MAX_ABORTS)
        return; /* a flood of strangers must not grow memory */
    a = &s->aborts[s->n_aborts++];
    memset(a, 0, sizeof *a);
    a->host = host;
    if (peer) {
        a->to_peer = true;
        a->peer = *peer;
    }
    snprintf(a->text, sizeof a->text, "%s", text);
}

/* ---------- phases ---------- */

void uft_srv_recalc_grtt(struct uft_server *s)
{
    uft_ts max_rtt = 0;
    size_t i;
    for (i = 0; i < s->n_dests; i++) {
        const struct dest *d = &s->dests[i];
        if (!uft_srv_failed(d) && d->rtt_measured && d->rtt > max_rtt)
            max_rtt = d->rtt;
    }
    s->grtt = uft_tm_grtt_update(s->grtt, max_rtt, s->cfg.grtt_min, s->cfg.grtt_max, s->grtt_set);
    if (max_rtt)
        s->grtt_set = true;
}

static void finish(struct uft_server *s, int code)
{
    struct uft_event ev = {.type = UFT_EV_SESSION_END, .status = code};
    s->phase = PH_FINISHED;
    s->finished = true;
    s->exit_code = code;
    emit(s, &ev);
}

static void start_completion(struct uft_server *s, uft_ts now)
{
    size_t i;
    s->phase = PH_COMPLETION;
    s->file_idx = s->n_files;
    s->file_id = 0;
    s->attempt = 0;
    s->late_wait = false;
    s->round_at = now;
    for (i = 0; i < s->n_dests; i++)
        s->dests[i].final_done = false;
    uft_srv_log(s, 2, "Starting completion phase");
}

static void start_file(struct uft_server *s, uft_ts now);

static void lose_remaining(struct uft_server *s, uint8_t from_state, uft_ts now, const char *why)
{
    size_t i;
    for (i = 0; i < s->n_dests; i++) {
        struct dest *d = &s->dests[i];
        if (d->is_proxy)
            continue; /* it answers for others; they are lost one by one */
        if (d->state == from_state || (from_state == D_ACTIVE && d->state == D_ACTIVE_NAK)) {
            d->state = D_LOST;
            uft_srv_log(s, 1, "%s 0x%08X", why, d->id);
            uft_srv_client_event(s, UFT_EV_CLIENT_LOST, d, UFT_RESULT_LOST, why, now);
        }
    }
}

/* -q: any receiver lost, mute or aborted ends the session for all
 * (UFTP's quit-on-error); code is the exit status. */
static void quit_all(struct uft_server *s, int code)
{
    size_t i;
    uft_srv_log(s, 0, "Aborting all clients");
    uft_srv_queue_abort(s, 0, NULL, "A client dropped out, aborting all");
    for (i = 0; i < s->n_dests; i++)
        if (!uft_srv_failed(&s->dests[i]))
            s->dests[i].state = D_ABORT;
    finish(s, code);
}

static bool any_client_failed(const struct uft_server *s)
{
    size_t i;
    for (i = 0; i < s->n_dests; i++)
        if (!s->dests[i].is_proxy && uft_srv_failed(&s->dests[i]))
            return true;
    return false;
}

void uft_srv_lose_active(struct uft_server *s, uft_ts now, const char *why)
{
    lose_remaining(s, D_ACTIVE, now, why);
}

/* Is any receiver (proxies are none) in state a or b? */
static bool any_state(const struct uft_server *s, uint8_t a, uint8_t b)
{
    size_t i;
    for (i = 0; i < s->n_dests; i++)
        if (!s->dests[i].is_proxy && (s->dests[i].state == a || s->dests[i].state == b))
            return true;
    return false;
}

static void end_announce(struct uft_server *s, uft_ts now)
{
    size_t i;
    uft_srv_recalc_grtt(s);
    for (i = 0; i < s->n_dests; i++) {
        struct dest *d = &s->dests[i];
        const char *why = d->state == D_MUTE ? "no REGISTER received" : "no KEYINFO_ACK received";
        if (d->state != D_MUTE && d->state != D_REGISTERED)
            continue;
        if (d->state == D_REGISTERED)
            d->state = D_LOST;
        if (d->is_proxy)
            uft_srv_log(s, 1, "Proxy 0x%08X did not finish registering: %s", d->id, why);
        else
            uft_srv_client_event(s, UFT_EV_CLIENT_LOST, d, UFT_RESULT_LOST, why, now);
    }
    uft_srv_proxy_end_announce(s, now);
    if (!any_state(s, D_ACTIVE, D_ACTIVE)) {
        uft_srv_log(s, 0, "Announce timed out: no client registered");
        finish(s, UFT_EXIT_NO_REGISTER);
        return;
    }
    if (s->cfg.quit_on_error && any_client_failed(s)) {
        quit_all(s, UFT_EXIT_NO_REGISTER);
        return;
    }
    s->file_idx = (size_t)-1;
    start_file(s, now);
}

static bool all_partial(const struct uft_server *s)
{
    size_t i, n = 0;
    for (i = 0; i < s->n_dests; i++) {
        const struct dest *d = &s->dests[i];
        if (!d->is_proxy && (d->state == D_ACTIVE || d->state == D_ACTIVE_NAK)) {
            if (!d->partial)
                return false;
            n++;
        }
    }
    return n > 0;
}

static void start_data(struct uft_server *s, uft_ts now)
{
    size_t bytes = s->lay.blocks / 8 + 1;
    uint32_t i;
    free(s->naks);
    s->naks = malloc(bytes);
    if (!s->naks) {
        uft_srv_log(s, 0, "Out of memory for the NAK list of file %u", s->file_id);
        finish(s, UFT_EXIT_DROPPED);
        return;
    }
    memset(s->naks, 0, bytes);
    for (i = 0; i < s->lay.blocks; i++)
        uft_bit_set(s->naks, i);
    s->phase = PH_DATA;
    s->block = 0;
    s->pass = 1;
    s->end_of_pass = s->lay.blocks == 0;
    /* UFTP's restart rule: when every client already holds part of the
     * file, start with a DONE so their NAKs say what is missing. */
    if (all_partial(s)) {
        memset(s->naks, 0, bytes); /* only what they NAK goes out */
        s->block = s->lay.blocks;
        s->end_of_pass = true;
        uft_srv_log(s, 2, "Every client has part of file %u: asking what is missing", s->file_id);
    }
    s->next_data = now;
    s->rewind_at = 0;
    s->done_at = now;
    s->pass_start = s->pass_end = now;
    s->done_attempts = 0;
    s->st.passes = 1;
    if (s->cfg.cc_type == UFT_CC_TFMCC)
        uft_srv_cc_start(s, now);
    uft_srv_pace_file(s);
    uft_srv_fec_file(s);
}

static void end_fileinfo(struct uft_server *s, uft_ts now)
{
    size_t i;
    bool any = false;
    uft_srv_recalc_grtt(s);
    lose_remaining(s, D_REGISTERED, now, "No FILEINFO_ACK from");
    for (i = 0; i < s->n_dests; i++)
        any = any || (!s->dests[i].is_proxy &&
                      (s->dests[i].state == D_ACTIVE || s->dests[i].state == D_DONE));
    if (!any) {
        uft_srv_log(s, 0, "No client answered FILEINFO for file %u", s->file_id);
        finish(s, UFT_EXIT_NO_FILEINFO);
        return;
    }
    if (s->cfg.quit_on_error && any_client_failed(s)) {
        quit_all(s, UFT_EXIT_NO_FILEINFO);
        return;
    }
    if (any_state(s, D_ACTIVE, D_ACTIVE_NAK))
        start_data(s, now);
    else
        start_file(s, now);
}

/* -W: a file may take at most pct% of the time its size needs at the
 * fixed rate (whole seconds, rounded down as UFTP does); 0 is no limit. */
static uft_ts file_max_time(const struct uft_server *s, const struct uft_server_file *f)
{
    double secs;
    if (!s->cfg.max_time_pct || s->cfg.cc_type != UFT_CC_NONE || s->cfg.rate <= 0 ||
        f->ftype != UFT_FTYPE_REG)
        return 0;
    secs = (double)s->cfg.max_time_pct / 100 * ((double)f->size / (double)s->cfg.rate);
    return secs >= 1.8e10 ? 0 : (uft_ts)secs * 1000000000u;
}

/* The end of an offered file, as UFTP judges it: with -q every receiver
 * must have finished it; without, at least one. Otherwise the session
 * ends here with exit 9 and no completion phase. True when it ended. */
static bool file_failed(struct uft_server *s)
{
    size_t i;
    bool one = false;
    if (!s->file_offered)
        return false;
    s->file_offered = false;
    if (s->cfg.quit_on_error && any_client_failed(s)) {
        quit_all(s, UFT_EXIT_DROPPED);
        return true;
    }
    for (i = 0; i < s->n_dests && !one; i++)
        one = !s->dests[i].is_proxy && s->dests[i].state == D_DONE;
    if (one)
        return false;
    uft_srv_log(s, 0, "Every client dropped out of file %u", s->file_id);
    finish(s, UFT_EXIT_DROPPED);
    return true;
}

static void start_file(struct uft_server *s, uft_ts now)
{
    const struct uft_server_file *f;
    size_t i;
    if (file_failed(s))
        return;
    s->file_idx++;
    if (s->file_idx >= s->n_files) {
        start_completion(s, now);
        return;
    }
    f = &s->files[s->file_idx];
    s->file_id = (uint16_t)(s->file_id + 1 == 0 ? 1 : s->file_id + 1);
    if (uft_layout_init(&s->lay, f->ftype == UFT_FTYPE_REG ? f->size : 0, s->cfg.block_len)) {
        uft_srv_log(s, 0, "Skipping %s: too large for block size %u", f->name, s->cfg.block_len);
        start_file(s, now);
        return;
    }
    for (i = 0; i < s->n_dests; i++) {
        struct dest *d = &s->dests[i];
        if (!uft_srv_failed(d)) {
            /* a proxy answers no FILEINFO itself, only for its clients */
            d->state = d->is_proxy ? D_ACTIVE : D_REGISTERED;
            d->partial = false;
            d->fec_ok = false;
            d->status = 0;
            d->nak_exceed = 0;
        }
    }
    s->phase = PH_FILEINFO;
    s->attempt = 0;
    s->late_wait = false;
    s->round_at = now;
    s->file_start = now;
    s->file_offered = true;
    s->max_time = file_max_time(s, f);
    {
        struct uft_event ev = {.type = UFT_EV_FILE_START, .file_id = s->file_id};
        ev.text = f->name;
        ev.count = f->size;
        ev.status = f->ftype;
        emit(s, &ev);
    }
}

static bool all_done(const struct uft_server *s)
{
    size_t i;
    for (i = 0; i < s->n_dests; i++)
        if (!s->dests[i].is_proxy &&
            (s->dests[i].state == D_ACTIVE || s->dests[i].state == D_ACTIVE_NAK ||
             s->dests[i].state == D_REGISTERED))
            return false;
    return true;
}

static bool rounds_phase(const struct uft_server *s)
{
    return s->phase == PH_ANNOUNCE || s->phase == PH_FILEINFO || s->phase == PH_COMPLETION;
}

/* A round timer expired: end the phase or send the next round. */
static void round_due(struct uft_server *s, uft_ts now)
{
    if (s->late_wait) {
        if (s->phase == PH_ANNOUNCE)
            end_announce(s, now);
        else
            finish(s, s->exit_code);
        return;
    }
    if (s->attempt > 0)
        uft_srv_recalc_grtt(s);
    if (++s->attempt > s->cfg.robust) {
        if (s->phase == PH_ANNOUNCE)
            end_announce(s, now);
        else if (s->phase == PH_FILEINFO)
            end_fileinfo(s, now);
        else
            finish(s, s->exit_code);
        return;
    }
    s->round_at = now + uft_tm_round(s->grtt);
    if (s->phase == PH_ANNOUNCE) {
        /* UFTP's order: KEYINFO, REG_CONF (encrypted: for clients behind
         * proxies only), ANNOUNCE */
        if (s->sec)
            uft_ssec_owe_keyinfo(s);
        owe(s, TX_REG_CONF);
        owe(s, TX_ANNOUNCE);
    } else if (s->phase == PH_FILEINFO) {
        owe(s, TX_FILEINFO);
        uft_srv_fec_owe_info(s);
    } else {
        owe(s, TX_DONE_CONF);
        owe(s, TX_DONE);
    }
}

/* Abort every client still receiving the current file, each by name. */
static void abort_active(struct uft_server *s, uft_ts now, const char *why)
{
    size_t i;
    for (i = 0; i < s->n_dests; i++) {
        struct dest *d = &s->dests[i];
        if (!d->is_proxy && (d->state == D_ACTIVE || d->state == D_ACTIVE_NAK)) {
            uft_srv_queue_abort(s, d->id, NULL, why);
            d->state = D_ABORT;
            uft_srv_client_event(s, UFT_EV_CLIENT_ABORT, d, UFT_RESULT_ABORTED, why, now);
        }
    }
}

static void rewind_pass(struct uft_server *s, uft_ts now)
{
    size_t i;
    s->rewind_at = 0;
    if (s->pass >= s->cfg.max_passes) {
        abort_active(s, now, "Max passes exceeded");
        return;
    }
    s->pass++;
    s->st.passes = s->pass;
    s->block = 0;
    while (s->block < s->lay.blocks && !uft_bit_get(s->naks, s->block))
        s->block++;
    s->end_of_pass = s->block >= s->lay.blocks;
    uft_srv_fec_rewind(s);
    s->done_attempts = 0;
    s->done_at = now;
    s->pass_start = s->pass_end = now;
    s->next_data = now;
    uft_srv_pace_pass(s);
    for (i = 0; i < s->n_dests; i++)
        if (s->dests[i].state == D_ACTIVE_NAK)
            s->dests[i].state = D_ACTIVE;
    {
        struct uft_event ev = {.type = UFT_EV_PASS, .file_id = s->file_id, .count = s->pass};
        emit(s, &ev);
    }
}

static bool naks_pending(const struct uft_server *s)
{
    size_t i, bytes = s->lay.blocks / 8 + 1;
    for (i = 0; i < bytes; i++)
        if (s->naks[i]) /* bits past the last block are cleared on the first pass */
            return true;
    return false;
}

/* A receiver can be well behind the sender when a pass ends: a fast
 * sender fills a deep socket buffer (8 MiB is ufcast's default), and the
 * DONEs wait behind the data. Before a silent receiver is given up, the
 * DONE rounds go on for as long as the pass took to send (a receiver at
 * half the sender's speed catches up in that time), at most 10 s. */
static uft_ts drain_grace(const struct uft_server *s)
{
    uft_ts t = s->pass_end - s->pass_start;
    return t < 10 * UFT_SEC ? t : 10 * UFT_SEC;
}

static void data_timers(struct uft_server *s, uft_ts now)
{
    if (s->cfg.cc_type == UFT_CC_TFMCC)
        uft_srv_cc_timers(s, now);
    if (all_done(s)) {
        start_file(s, now);
        return;
    }
    if (s->max_time && now - s->file_start > s->max_time) {
        uft_srv_log(s, 1, "Maximum file transfer time exceeded");
        abort_active(s, now, "Max file transfer time exceeded");
        start_file(s, now);
        return;
    }
    if (!s->end_of_pass || uft_srv_fec_pending(s))
        return;
    if (s->rewind_at && now >= s->rewind_at) {
        rewind_pass(s, now);
        return;
    }
    if (now < s->done_at)
        return;
    if (s->done_attempts < s->cfg.robust || now < s->pass_end + drain_grace(s)) {
        s->done_attempts++;
        uft_srv_fec_before_done(s, now);
        owe(s, TX_DONE);
        s->done_at = now + uft_tm_round(uft_srv_adv_grtt(s));
        if (!s->rewind_at && (naks_pending(s) || uft_srv_fec_needed(s)))
            s->rewind_at = now + uft_tm_round(uft_srv_adv_grtt(s));
    } else if (!s->rewind_at) {
        lose_remaining(s, D_ACTIVE, now, "No COMPLETE from");
        start_file(s, now);
    } else {
        /* NAKs came in after the last DONE round: nothing is due before
         * the repair pass (a done_at left in the past would spin) */
        s->done_at = s->rewind_at;
    }
}

/* Run every timer that is due. */
static void service(struct uft_server *s, uft_ts now)
{
    int guard;
    /* a transition may make another timer due at once; a few steps settle it */
    for (guard = 0; guard < 8 && !s->finished; guard++) {
        enum phase before = s->phase;
        size_t file_before = s->file_idx;
        if (rounds_phase(s) && now >= s->round_at)
            round_due(s, now);
        else if (s->phase == PH_DATA)
            data_timers(s, now);
        if (s->phase == before && s->file_idx == file_before)
            break;
    }
}

/* ---------- receiving ---------- */

void uft_srv_measure_rtt(struct uft_server *s, struct dest *d, uint32_t hi, uint32_t lo, uft_ts now)
{
    uint64_t sent = uft_msg_tstamp_us(s->cfg.version, hi, lo), at = uft_srv_wall_us(s, now);
    uft_ts rtt;
    if (sent == 0 || sent > at)
        return;
    rtt = (at - sent) * 1000;
    d->rtt = rtt < UFT_CLIENT_RTT_MIN_NS ? UFT_CLIENT_RTT_MIN_NS : rtt;
    d->rtt_measured = true;
}

/* A closed group whose every member is in: one GRTT for late answers. */
static void all_in(struct uft_server *s, uft_ts now)
{
    size_t i;
    if (s->phase != PH_ANNOUNCE || s->open_group || s->late_wait)
        return;
    for (i = 0; i < s->n_dests; i++)
        if (s->dests[i].state == D_MUTE || s->dests[i].state == D_REGISTERED)
            return;
    s->late_wait = true;
    s->round_at = now + uft_tm_late_wait(s->grtt);
}

static const char *kind_of(const struct dest *d)
{
    return d->is_proxy ? "proxy" : "client";
}

/* Encrypted: keys now, active once its KEYINFO_ACK proves them. False
 * when the REGISTER is refused. */
static bool register_keys(struct uft_server *s, struct dest *d, const struct uft_msg *m, uft_ts now)
{
    if (d->state == D_MUTE && s->phase == PH_ANNOUNCE) {
        if (uft_ssec_register(s, d, m) != 0) {
            uft_srv_log(s, 1, "Rejecting REGISTER from %s 0x%08X: bad key share", kind_of(d),
                        d->id);
            return false;
        }
        if (s->cfg.client_auth) {
            /* stays MUTE until its CLIENT_KEY proves who it is */
            uft_srv_log(s, 3, "Received REGISTER from %s 0x%08X, waiting for its CLIENT_KEY",
                        kind_of(d), d->id);
            return true;
        }
        d->state = D_REGISTERED;
        uft_srv_log(s, 2, "Received REGISTER from %s 0x%08X", kind_of(d), d->id);
        uft_srv_client_event(s, UFT_EV_CLIENT_REGISTERED, d, 0, NULL, now);
    }
    if (d->state == D_REGISTERED)
        uft_ssec_owe_keyinfo_for(s, d);
    return true;
}

static void on_register(struct uft_server *s, struct dest *d, const struct uft_msg *m,
                        const struct uft_peer *from, uft_ts now)
{
    bool known = d->state != D_MUTE;
    /* Encrypted: a REGISTER is in clear, so after the announce phase it
     * can only be a replay; it must not move the client's address or
     * feed the RTT estimate. */
    if (s->sec && s->phase != PH_ANNOUNCE) {
        s->st.rx_dropped++;
        return;
    }
    if (m->u.reg.ids.n > 0 && !uft_srv_proxy_claim(s, d, from, now))
        return;
    if (known && d->is_proxy) /* each batch of its clients, as UFTP logs it */
        uft_srv_log(s, 2, "Received REGISTER from proxy 0x%08X", d->id);
    d->peer = *from;
    uft_srv_measure_rtt(s, d, m->u.reg.tstamp_hi, m->u.reg.tstamp_lo, now);
    if (s->sec) {
        if (!register_keys(s, d, m, now))
            return;
    } else {
        if (d->state == D_MUTE) {
            d->state = D_ACTIVE;
            uft_srv_log(s, 2, "Received REGISTER from %s 0x%08X", kind_of(d), d->id);
            uft_srv_client_event(s, UFT_EV_CLIENT_REGISTERED, d, 0, NULL, now);
        }
        if (d->state == D_ACTIVE) {
            /* a repeated REGISTER means our REG_CONF was lost: send another */
            d->conf_sent = false;
            uft_srv_owe_reg_conf(s);
        }
    }
    if (m->u.reg.ids.n > 0 && s->phase == PH_ANNOUNCE)
        uft_srv_proxy_register(s, d, m, from, now);
    all_in(s, now);
}

void uft_srv_complete(struct uft_server *s, struct dest *d, const struct uft_complete *c,
                      uft_ts now)
{
    if (s->phase == PH_COMPLETION && c->file_id == 0) {
        if (!d->final_done && !d->via) /* a proxy's is logged with its list */
            uft_srv_log(s, 2, "Got COMPLETE from client 0x%08X", d->id);
        d->final_done = true;
        d->doneconf_owed = true;
        if (!s->owed[TX_DONE_CONF])
            owe(s, TX_DONE_CONF);
        return;
    }
    if ((s->phase != PH_FILEINFO && s->phase != PH_DATA) || c->file_id != s->file_id)
        return;
    if (d->state != D_REGISTERED && d->state != D_ACTIVE && d->state != D_ACTIVE_NAK)
        return;
    d->state = D_DONE;
    d->status = c->status;
    if (c->status == UFT_COMP_NORMAL || c->status == UFT_COMP_OVERWRITE)
        d->got_file = true;
    {
        struct uft_event ev = {.type = UFT_EV_FILE_RESULT, .client_id = d->id};
        ev.file_id = s->file_id;
        ev.status = c->status;
        ev.count = s->files[s->file_idx].size;
        ev.elapsed = now - s->file_start;
        ev.has_free = c->has_freespace;
        ev.free_bytes = c->freespace.free_bytes;
        emit(s, &ev);
    }
}

/* Too many NAKs from d: it is aborted (a proxy with all its clients). */
static void nak_abort(struct uft_server *s, struct dest *d, uft_ts now)
{
    const char *why = "Excessive NAKs received";
    uft_srv_log(s, 1, "Got excessive NAKs from %s 0x%08X, aborting", kind_of(d), d->id);
    uft_srv_queue_abort(s, d->id, NULL, why);
    if (d->is_proxy)
        uft_srv_proxy_fail(s, d, D_ABORT, why, now);
    else
        d->state = D_ABORT;
}

/* STATUS: the NAKs of one section, from a client (its bitmap) or from a
 * proxy (blocksize bytes, what any of its clients lacks). */
static void on_status(struct uft_server *s, struct dest *d, const struct uft_msg *m, uft_ts now)
{
    const struct uft_status *st = &m->u.status;
    uint32_t first, n, i, naks = 0, cur_sec, cur_idx;
    bool fec;
    if (s->phase != PH_DATA || st->file_id != s->file_id || st->section >= s->lay.sections)
        return;
    if (d->state != D_ACTIVE && d->state != D_ACTIVE_NAK)
        return;
    n = uft_layout_sec_blocks(&s->lay, st->section);
    if (st->naks.len < (n + 7) / 8)
        return;
    if (s->block < s->lay.blocks) {
        /* the section being sent is not finished: its NAKs are premature */
        uft_layout_locate(&s->lay, s->block, &cur_sec, &cur_idx);
        if (cur_sec == st->section)
            return;
    }
    first = uft_layout_sec_first(&s->lay, st->section);
    /* a capable client's NAKs become a parity need (server_fec.c) */
    fec = uft_srv_fec_status(s, d, st->section, st->naks.p);
    for (i = 0; i < n; i++) {
        if (uft_bit_get(st->naks.p, i)) {
            if (!fec)
                uft_bit_set(s->naks, first + i);
            naks++;
        }
    }
    if (naks == 0)
        return;
    uft_srv_log(s, d->is_proxy ? 2 : 3, "Got %u NAKs for section %u from %s 0x%08X", naks,
                st->section, kind_of(d), d->id);
    d->state = D_ACTIVE_NAK;
    uft_srv_pace_naks(s, st->section, naks);
    if (naks * 100 / n > s->cfg.max_nak_pct && ++d->nak_exceed >= s->cfg.max_nak_cnt) {
        nak_abort(s, d, now);
        return;
    }
    /* NAKs after the pass ended: repair after one round of collecting */
    if (s->end_of_pass && !s->rewind_at)
        s->rewind_at = now + uft_tm_round(uft_srv_adv_grtt(s));
}

void uft_srv_aborted(struct uft_server *s, struct dest *d, const char *text, uft_ts now)
{
    if (d->state == D_ABORT || d->state == D_LOST)
        return;
    uft_srv_log(s, 1, "Transfer aborted by %s 0x%08X: %s", kind_of(d), d->id, text);
    if (d->is_proxy) {
        uft_srv_proxy_fail(s, d, D_ABORT, text, now);
    } else {
        d->state = D_ABORT;
        uft_srv_client_event(s, UFT_EV_CLIENT_ABORT, d, UFT_RESULT_ABORTED, text, now);
    }
    if (s->cfg.quit_on_error)
        quit_all(s, UFT_EXIT_DROPPED);
}

void uft_server_interrupt(struct uft_server *s, uft_ts now)
{
    size_t i;
    if (s->finished)
        return;
    uft_srv_queue_abort(s, 0, NULL, "Server quit, aborting all");
    for (i = 0; i < s->n_dests; i++) {
        struct dest *d = &s->dests[i];
        if (!uft_srv_failed(d) && !d->final_done) {
            d->state = D_ABORT;
            if (!d->is_proxy)
                uft_srv_client_event(s, UFT_EV_CLIENT_ABORT, d, UFT_RESULT_ABORTED, "Server quit",
                                     now);
        }
    }
    finish(s, UFT_EXIT_INTERRUPTED);
}

/* Client authentication: a CLIENT_KEY (already opened with the client's
 * handshake key) whose signature and fingerprint check out registers it.
 * A proxy authenticates the same way, with its -j fingerprint. */
static void on_client_key(struct uft_server *s, struct dest *d, const struct uft_msg *m, uft_ts now)
{
    const char *why = NULL;
    if (!s->cfg.client_auth || d->state != D_MUTE || s->phase != PH_ANNOUNCE)
        return;
    if (uft_ssec_client_key(s, d, m, &why) != 0) {
        uft_srv_log(s, 1, "Rejecting CLIENT_KEY from %s 0x%08X: %s", kind_of(d), d->id, why);
        uft_srv_queue_abort(s, d->id, &d->peer, why);
        if (d->is_proxy) {
            uft_srv_proxy_fail(s, d, D_ABORT, why, now);
        } else {
            d->state = D_ABORT;
            uft_srv_client_event(s, UFT_EV_CLIENT_ABORT, d, UFT_RESULT_ABORTED, why, now);
        }
        return;
    }
    d->state = D_REGISTERED;
    uft_srv_log(s, 2, "Received REGISTER and CLIENT_KEY from %s 0x%08X", kind_of(d), d->id);
    uft_srv_client_event(s, UFT_EV_CLIENT_REGISTERED, d, 0, NULL, now);
    uft_ssec_owe_keyinfo_for(s, d);
}

static void on_keyinfo_ack(struct uft_server *s, struct dest *d, const struct uft_msg *m,
                           uft_ts now)
{
    if (d->state != D_REGISTERED || s->phase != PH_ANNOUNCE)
        return;
    if (!uft_ssec_check_ack(s, d, m)) {
        uft_srv_log(s, 1, "KEYINFO_ACK from %s 0x%08X does not verify", kind_of(d), d->id);
        return;
    }
    d->state = D_ACTIVE;
    uft_srv_log(s, 2, "Received KEYINFO_ACK from %s 0x%08X", kind_of(d), d->id);
    uft_srv_client_event(s, UFT_EV_CLIENT_ACTIVE, d, 0, NULL, now);
    if (d->is_proxy)
        uft_srv_owe_reg_conf(s); /* its clients may now be told to expect its keys */
    all_in(s, now);
}

static void on_fileinfo_ack(struct uft_server *s, struct dest *d, const struct uft_msg *m,
                            uft_ts now)
{
    if ((s->phase != PH_FILEINFO && s->phase != PH_DATA) || m->u.fileinfo_ack.file_id != s->file_id)
        return;
    if (d->is_proxy) {
        uft_srv_proxy_fileinfo_ack(s, d, m, now);
    } else if (d->state == D_REGISTERED) {
        d->state = D_ACTIVE;
        d->partial = m->u.fileinfo_ack.flags & UFT_FIACK_PARTIAL;
        uft_srv_measure_rtt(s, d, m->u.fileinfo_ack.tstamp_hi, m->u.fileinfo_ack.tstamp_lo, now);
    }
}

static void on_abort(struct uft_server *s, struct dest *d, const struct uft_msg *m, uft_ts now)
{
    char text[UFT_ABORT_TEXT_LEN + 1];
    memcpy(text, m->u.abort.text.p, m->u.abort.text.len);
    text[m->u.abort.text.len] = '\0';
    if (d->is_proxy)
        uft_srv_proxy_abort(s, d, m, text, now);
    else if (m->u.abort.host == 0 || m->u.abort.host == s->cfg.server_id)
        uft_srv_aborted(s, d, text, now);
}

/* Encrypted session: open the client's ENCRYPTED datagram into *m; drop
 * what must not come in clear. False when m is not to be processed. */
static bool open_secure(struct uft_server *s, struct dest *d, struct uft_msg *m, const uint8_t *pkt,
                        uft_ts now)
{
    struct uft_msg inner;
    (void)now;
    switch (m->hdr.func) {
    case UFT_REGISTER:
        return true;
    case UFT_CLIENT_KEY:
        /* UFTP 4 sends it in clear, after the REGISTER that gave its keys */
        return s->cfg.version == UFT_VER4 && d->sec;
    case UFT_ABORT:
        return s->phase == PH_ANNOUNCE; /* before keys it can only be clear */
    case UFT_ENCRYPTED:
        switch (uft_ssec_open(s, d, m, pkt, &inner)) {
        case 0:
            *m = inner;
            return true;
        case UFT_E_REPLAY:
            s->st.rx_replayed++;
            break;
        default:
            s->st.rx_unauth++;
            break;
        }
        break;
    default:
        break;
    }
    s->st.rx_dropped++;
    return false;
}

/* After a message: the FILEINFO round ends when nobody owes an answer,
 * and the completion phase waits one GRTT more once every receiver is
 * done. */
static void after_rx(struct uft_server *s, uft_ts now)
{
    size_t i;
    if (s->phase == PH_FILEINFO && !any_state(s, D_REGISTERED, D_REGISTERED))
        end_fileinfo(s, now);
    if (s->phase == PH_COMPLETION && !s->late_wait) {
        for (i = 0; i < s->n_dests; i++) {
            const struct dest *d = &s->dests[i];
            if (!d->is_proxy && !uft_srv_failed(d) && !d->final_done)
                return;
        }
        s->late_wait = true;
        s->round_at = now + uft_tm_late_wait(s->grtt);
    }
}

void uft_server_feed(struct uft_server *s, uft_ts now, const uint8_t *pkt, size_t len,
                     const struct uft_peer *from)
{
    struct uft_msg m;
    struct dest *d;
    service(s, now);
    if (s->finished || uft_msg_decode(pkt, len, &m) != 0 || m.hdr.version != s->cfg.version ||
        m.hdr.group_id != s->cfg.group_id || m.hdr.group_inst != s->cfg.group_inst ||
        m.hdr.src_id == s->cfg.server_id) {
        s->st.rx_dropped++;
        return;
    }
    d = uft_srv_find_dest(s, m.hdr.src_id);
    if (!d && m.hdr.func == UFT_REGISTER && s->phase == PH_ANNOUNCE && s->open_group)
        d = uft_srv_add_dest(s, m.hdr.src_id);
    if (!d) {
        /* UFTP tells a stranger it is not welcome, once per packet; only
         * a REGISTER gets that answer here: anything else from an ID that
         * never registered is junk, and junk gets no reply */
        s->st.rx_dropped++;
        if (m.hdr.func == UFT_REGISTER)
            uft_srv_queue_abort(s, m.hdr.src_id, from, "Not in host list");
        return;
    }
    if (s->sec && !open_secure(s, d, &m, pkt, now))
        return;
    s->st.rx_packets++;
    switch (m.hdr.func) {
    case UFT_REGISTER:
        on_register(s, d, &m, from, now);
        break;
    case UFT_CLIENT_KEY:
        on_client_key(s, d, &m, now);
        break;
    case UFT_KEYINFO_ACK:
        on_keyinfo_ack(s, d, &m, now);
        break;
    case UFT_FILEINFO_ACK:
        on_fileinfo_ack(s, d, &m, now);
        break;
    case UFT_COMPLETE:
        if (d->is_proxy)
            uft_srv_proxy_complete(s, d, &m, now);
        else
            uft_srv_complete(s, d, &m.u.complete, now);
        break;
    case UFT_STATUS:
        if (m.u.status.has_tfmcc && s->cfg.cc_type == UFT_CC_TFMCC && s->phase == PH_DATA &&
            m.u.status.file_id == s->file_id)
            uft_srv_cc_feedback(s, d, &m.u.status.tfmcc, now);
        on_status(s, d, &m, now);
        break;
    case UFT_CC_ACK:
        if (m.u.cc_ack.has_tfmcc && s->cfg.cc_type == UFT_CC_TFMCC && s->phase == PH_DATA)
            uft_srv_cc_feedback(s, d, &m.u.cc_ack.tfmcc, now);
        break;
    case UFT_ABORT:
        on_abort(s, d, &m, now);
        break;
    case UFT_FEC_HELLO:
        uft_srv_fec_hello(s, d, &m);
        break;
    default:
        s->st.rx_dropped++;
        s->st.rx_packets--;
        return;
    }
    after_rx(s, now);
}

/* ---------- sending ---------- */

static ssize_t pull_data(struct uft_server *s, uft_ts now, uint8_t *buf, size_t cap,
                         struct uft_tx *tx)
{
    const struct uft_server_file *f = &s->files[s->file_idx];
    uint32_t sec, idx, len = uft_layout_block_len(&s->lay, s->block);
    struct uft_msg m;
    ssize_t n;
    int rc =
        s->ops.read(s->ops.ctx, f->handle, uft_layout_offset(&s->lay, s->block), s->blockbuf, len);
    if (rc) {
        uft_srv_log(s, 0, "Cannot read %s: %s; abandoning it", f->name, uft_strerror(rc));
        uft_srv_queue_abort(s, 0, NULL, "Server could not read the file");
        lose_remaining(s, D_ACTIVE, now, "File unreadable for");
        return 0;
    }
    uft_srv_fec_read(s, s->block, s->blockbuf, len);
    uft_layout_locate(&s->lay, s->block, &sec, &idx);
    memset(&m, 0, sizeof m);
    uft_srv_fill_hdr(s, &m, UFT_FILESEG);
    m.u.fileseg.file_id = s->file_id;
    m.u.fileseg.section = (uint16_t)sec;
    m.u.fileseg.sec_block = (uint16_t)idx;
    m.u.fileseg.data.p = s->blockbuf;
    m.u.fileseg.data.len = len;
    if (s->cfg.cc_type == UFT_CC_TFMCC) {
        m.u.fileseg.has_tfmcc = true;
        m.u.fileseg.tfmcc.send_rate = uft_quant_rate(s->cc.rate);
        m.u.fileseg.tfmcc.cc_seq = s->cc.cc_seq;
        m.u.fileseg.tfmcc.cc_rate = uft_quant_rate(s->cc.supp_rate);
    }
    n = uft_srv_finish_tx(s, &m, buf, cap, tx, UFT_DST_PRIVATE);
    if (n < 0)
        return n;
    uft_srv_pace_sent(s, sec, now);
    uft_srv_fec_sent(s, s->block);
    uft_bit_clear(s->naks, s->block);
    while (s->block < s->lay.blocks && !uft_bit_get(s->naks, s->block))
        s->block++;
    if (s->block >= s->lay.blocks) {
        s->end_of_pass = true;
        s->done_at = now;
        s->pass_end = now;
    }
    uft_srv_paced(s, now);
    return n;
}

/* How far ahead of its time a data packet may leave: cfg.burst_ns, but
 * never more than about 64 KB at the current pace, so that a fast link
 * does not pour a receiver's whole socket buffer out at once. */
static uft_ts burst(const struct uft_server *s)
{
    uft_ts most = s->gap * (65000 / s->packet_size);
    return s->cfg.burst_ns < most ? s->cfg.burst_ns : most;
}

/* A data or parity packet went out: the next is due one gap later. Pace
 * by deadlines, not by "now + gap", so the average rate holds when the
 * sender wakes late: it catches up by as much as one burst (at least four
 * packets). Behind by more, it stalled, and the lost time is not made up
 * in a flood. (Catching up by only four packets cost a quarter of the
 * rate at 1 Gbit/s: wakeups on a busy host come tens of microseconds late.) */
void uft_srv_paced(struct uft_server *s, uft_ts now)
{
    uft_ts slack = burst(s);
    if (slack < 4 * s->gap)
        slack = 4 * s->gap;
    s->next_data += s->gap;
    if (now > slack && s->next_data < now - slack)
        s->next_data = now - slack;
}

ssize_t uft_server_pull(struct uft_server *s, uft_ts now, uint8_t *buf, size_t cap,
                        struct uft_tx *tx)
{
    int which;
    memset(tx, 0, sizeof *tx);
    service(s, now);
    if (s->n_aborts)
        return pull_abort(s, buf, cap, tx);
    if (s->finished)
        return 0;
    while (uft_ssec_keyinfo_owed(s)) {
        ssize_t n = uft_ssec_pull_keyinfo(s, buf, cap, tx);
        if (n != 0)
            return n;
    }
    if (uft_srv_fec_ctrl_owed(s))
        return uft_srv_fec_pull_ctrl(s, now, buf, cap, tx);
    for (which = 0; which < TX_LISTS; which++) {
        while (s->owed[which]) {
            struct uft_msg m;
            bool due;
            size_t n = collect(s, (enum txlist)which, &due);
            if (!due)
                continue;
            build_list_msg(s, (enum txlist)which, n, &m, now);
            return uft_srv_finish_tx(s, &m, buf, cap, tx,
                                     which == TX_ANNOUNCE ? UFT_DST_PUBLIC : UFT_DST_PRIVATE);
        }
    }
    if (s->phase == PH_DATA && s->cc_owed)
        return uft_srv_cc_pull(s, now, buf, cap, tx);
    if (s->phase == PH_DATA && uft_srv_fec_pending(s) && now >= s->next_data) {
        ssize_t n = uft_srv_fec_pull(s, now, buf, cap, tx);
        if (n != 0)
            return n;
    }
    if (s->phase == PH_DATA && !s->end_of_pass && now + burst(s) >= s->next_data)
        return pull_data(s, now, buf, cap, tx);
    return 0;
}

uft_ts uft_server_deadline(const struct uft_server *s)
{
    uft_ts t = UFT_NEVER;
    int which;
    if (s->n_aborts)
        return 0;
    if (s->finished)
        return UFT_NEVER;
    for (which = 0; which < TX_LISTS; which++)
        if (s->owed[which])
            return 0;
    if (uft_ssec_keyinfo_owed(s) || uft_srv_fec_ctrl_owed(s))
        return 0;
    if (rounds_phase(s))
        t = s->round_at;
    if (s->phase == PH_DATA) {
        if (!s->end_of_pass || uft_srv_fec_pending(s))
            t = s->next_data;
        else {
            t = s->done_at;
            if (s->rewind_at && s->rewind_at < t)
                t = s->rewind_at;
        }
        if (all_done(s) || s->cc_owed)
            t = 0;
        if (s->cfg.cc_type == UFT_CC_TFMCC && uft_srv_cc_deadline(s) < t)
            t = uft_srv_cc_deadline(s);
    }
    return t;
}

bool uft_server_done(const struct uft_server *s, int *exit_code)
{
    if (s->finished && exit_code)
        *exit_code = s->exit_code;
    return s->finished && s->n_aborts == 0;
}

bool uft_server_dest(const struct uft_server *s, size_t i, struct uft_server_dest *out)
{
    const struct dest *d;
    if (i >= s->n_dests)
        return false;
    d = &s->dests[i];
    out->id = d->id;
    out->failed = uft_srv_failed(d);
    out->fate = d->state == D_MUTE    ? UFT_FATE_MUTE
                : d->state == D_LOST  ? UFT_FATE_LOST
                : d->state == D_ABORT ? UFT_FATE_ABORTED
                                      : UFT_FATE_OK;
    out->is_proxy = d->is_proxy;
    out->proxy_id = d->via ? s->dests[d->via - 1].id : 0;
    return true;
}

void uft_server_stats(const struct uft_server *s, struct uft_server_stats *st)
{
    *st = s->st;
    st->clients = (uint32_t)s->n_dests;
    st->paced_rate = s->pace_cap;
}

void uft_server_progress(const struct uft_server *s, struct uft_server_progress *p)
{
    size_t i;
    memset(p, 0, sizeof *p);
    if (s->phase != PH_FILEINFO && s->phase != PH_DATA)
        return;
    p->file_id = s->file_id;
    p->blocks = s->lay.blocks;
    if (s->phase != PH_DATA)
        return;
    p->pass = s->pass;
    p->block = s->block;
    if (s->pass == 1 && !s->end_of_pass)
        return;
    for (i = 0; i < s->n_dests; i++)
        if (!s->dests[i].is_proxy &&
            (s->dests[i].state == D_ACTIVE || s->dests[i].state == D_ACTIVE_NAK))
            p->lagging++;
}

/* ---------- life cycle ---------- */

static int check_cfg(struct uft_server *s)
{
    struct uft_server_cfg *c = &s->cfg;
    if (c->version == 0)
        c->version = UFT_VER5;
    if (c->robust == 0)
        c->robust = UFT_ROBUST_DEFAULT;
    if (!c->grtt_init)
        c->grtt_init = UFT_GRTT_INIT_NS;
    if (!c->grtt_min)
        c->grtt_min = UFT_GRTT_MIN_NS;
    if (!c->grtt_max)
        c->grtt_max = UFT_GRTT_MAX_NS;
    if (!c->max_passes)
        c->max_passes = 65535;
    if (!c->max_nak_cnt)
        c->max_nak_cnt = 1;
    if (c->max_nak_pct == 0 || c->max_nak_pct > 100)
        c->max_nak_pct = 100;
    if (c->version != UFT_VER5 && c->version != UFT_VER4) {
        uft_srv_log(s, 0, "protocol version 0x%02x is not one ufcast speaks", c->version);
        return UFT_E_INVAL;
    }
    if (c->block_len < 512 || c->block_len > 8800) {
        uft_srv_log(s, 0, "block size %u is outside 512..8800", c->block_len);
        return UFT_E_INVAL;
    }
    if (c->cc_type != UFT_CC_NONE && c->cc_type != UFT_CC_TFMCC) {
        uft_srv_log(s, 0, "congestion control type %u is not supported; use none or tfmcc",
                    c->cc_type);
        return UFT_E_INVAL;
    }
    if (c->keytype != 0 && !s->ops.crypto) {
        uft_srv_log(s, 0, "encryption needs the crypto operations (ops.crypto)");
        return UFT_E_INVAL;
    }
    if (c->n_clients + c->n_proxies > MAX_DESTS) {
        uft_srv_log(s, 0, "%zu clients and proxies given; at most %d", c->n_clients + c->n_proxies,
                    MAX_DESTS);
        return UFT_E_INVAL;
    }
    return 0;
}

int uft_server_create(const struct uft_server_cfg *cfg, const struct uft_server_file *files,
                      size_t n_files, const struct uft_server_ops *ops, uft_ts now,
                      struct uft_server **out)
{
    struct uft_server *s;
    size_t i;
    int rc;
    *out = NULL;
    s = calloc(1, sizeof *s);
    if (!s)
        return UFT_E_NOMEM;
    s->cfg = *cfg;
    s->ops = *ops;
    if ((rc = check_cfg(s)))
        goto fail;
    rc = UFT_E_NOMEM;
    /* as in UFTP, a -j list alone makes the group closed too */
    s->open_group = cfg->n_clients == 0 && cfg->n_proxies == 0;
    s->cap_dests = s->open_group ? MAX_DESTS : cfg->n_clients + cfg->n_proxies;
    for (s->n_slots = 16; s->n_slots < 2 * s->cap_dests; s->n_slots *= 2)
        ;
    s->dests = calloc(s->cap_dests, sizeof *s->dests);
    s->slots = calloc(s->n_slots, sizeof *s->slots);
    s->files = calloc(n_files ? n_files : 1, sizeof *s->files);
    s->idbuf = malloc(s->cfg.block_len);
    s->blockbuf = malloc(s->cfg.block_len);
    if (!s->dests || !s->slots || !s->files || !s->idbuf || !s->blockbuf)
        goto fail;
    memcpy(s->files, files, n_files * sizeof *files);
    s->n_files = n_files;
    for (i = 0; i < cfg->n_clients; i++) {
        struct dest *d = uft_srv_find_dest(s, cfg->clients[i]);
        if (!d && (d = uft_srv_add_dest(s, cfg->clients[i])) != NULL && cfg->client_fps)
            d->fp = cfg->client_fps + 20 * i;
    }
    for (i = 0; i < cfg->n_proxies; i++) {
        struct dest *d = uft_srv_find_dest(s, cfg->proxies[i]);
        if (!d && (d = uft_srv_add_dest(s, cfg->proxies[i])) != NULL && cfg->proxy_fps)
            d->fp = cfg->proxy_fps + 20 * i;
        if (d)
            d->is_proxy = true;
    }
    s->grtt = s->cfg.grtt_init;
    /* payload + FILESEG header [+ TFMCC extension] + UFTP header + UDP + IP */
    s->packet_size = (uint32_t)s->cfg.block_len + 8 + (cfg->cc_type == UFT_CC_TFMCC ? 8 : 0) + 16 +
                     8 + (cfg->ipv6 ? 40 : 20);
    s->gap = cfg->cc_type == UFT_CC_TFMCC ? 0 : uft_tm_packet_gap(s->packet_size, s->cfg.rate);
    if (s->cfg.keytype && (rc = uft_ssec_init(s)) != 0) {
        uft_srv_log(s, 0, "cannot set up encryption: %s", uft_strerror(rc));
        goto fail;
    }
    if ((rc = uft_srv_fec_init(s)) != 0)
        goto fail;
    s->phase = PH_ANNOUNCE;
    s->round_at = now;
    s->file_idx = (size_t)-1;
    *out = s;
    return 0;
fail:
    uft_server_free(s);
    return rc;
}

void uft_server_free(struct uft_server *s)
{
    if (!s)
        return;
    uft_ssec_free(s);
    uft_srv_fec_free(s);
    free(s->dests);
    free(s->slots);
    free(s->files);
    free(s->idbuf);
    free(s->blockbuf);
    free(s->naks);
    free(s->pace);
    free(s);
}
