/*
 * The client: a table of sessions, each a small state machine
 * (REGISTERED -> MIDGROUP <-> RECEIVING -> FINAL), with the replies it owes
 * kept as flags so pull() can produce them one datagram at a time.
 *
 * Why some choices: a received block is written through the storage
 * callback at once (the storage layer may cache); the file is committed
 * as soon as every block is in, and COMPLETE goes out then and again for
 * every DONE that still lists this client; NAKs are reported per section,
 * one GRTT after a later section starts or a DONE arrives, as UFTP does.
 */
#include "core/client.h"

#include "core/client_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/layout.h"
#include "core/msg.h"
#include "core/quant.h"
#include "core/tfmcc.h"

/* ---------- events and replies ---------- */

static void emit(struct uft_client *c, const struct csession *s, struct uft_event *ev)
{
    ev->group_id = s ? s->group_id : 0;
    ev->group_inst = s ? s->inst : 0;
    ev->server_id = s ? s->server_id : 0;
    ev->client_id = c->cfg.client_id;
    if (c->ops.event)
        c->ops.event(c->ops.ctx, ev);
}

void uft_cl_log(struct uft_client *c, const struct csession *s, int level, const char *fmt, ...)
{
    struct uft_event ev = {.type = UFT_EV_LOG, .level = level};
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    ev.text = text;
    ev.file_id = s ? s->file_id : 0;
    emit(c, s, &ev);
}

static void queue_abort(struct uft_client *c, uint8_t version, uint32_t group, uint8_t inst,
                        const struct uft_peer *peer, const char *text)
{
    struct pending_abort *a;
    if (c->n_aborts >= MAX_PENDING_ABORTS)
        return;
    a = &c->aborts[c->n_aborts++];
    a->version = version;
    a->group_id = group;
    a->inst = inst;
    a->peer = *peer;
    a->sealed_len = 0;
    snprintf(a->text, sizeof a->text, "%s", text);
}

static void fill_hdr(struct uft_client *c, struct csession *s, struct uft_msg *m, uint8_t func);

/* Once the keys are known, a peer takes only a sealed ABORT (UFTP's
 * server drops one in clear after the announce phase), so seal it now,
 * while the session still holds them. */
static void seal_abort(struct uft_client *c, struct csession *s, struct pending_abort *a)
{
    struct uft_msg m;
    ssize_t n;
    fill_hdr(c, s, &m, UFT_ABORT);
    m.u.abort.text.p = (const uint8_t *)a->text;
    m.u.abort.text.len = strlen(a->text);
    n = uft_csec_seal(c, s, &m, a->sealed, sizeof a->sealed);
    if (n > 0)
        a->sealed_len = (size_t)n;
}

/* Drop the current file: discard whatever is half received. */
static void drop_file(struct uft_client *c, struct csession *s)
{
    if (s->handle) {
        c->ops.file_end(c->ops.ctx, s->handle, false);
        s->handle = NULL;
    }
    free(s->got);
    s->got = NULL;
    uft_cfec_free(s);
}

static void end_session(struct uft_client *c, struct csession *s, bool ok, const char *why)
{
    struct uft_event ev = {.type = UFT_EV_SESSION_END, .status = ok ? 0 : 1, .text = why};
    drop_file(c, s);
    free(s->cc);
    s->cc = NULL;
    uft_csec_free(c, s);
    if (s->joined) {
        struct uft_event lv = {.type = UFT_EV_LEAVE, .addr = s->priv, .ipv6 = s->v6};
        emit(c, s, &lv);
    }
    emit(c, s, &ev);
    if (ok)
        c->st.sessions_ok++;
    else
        c->st.sessions_failed++;
    s->phase = C_FREE;
}

static void abort_session(struct uft_client *c, struct csession *s, const char *why)
{
    size_t before = c->n_aborts;
    uft_cl_log(c, s, 1, "Aborting session: %s", why);
    queue_abort(c, s->version, s->group_id, s->inst, &s->reply, why);
    if (c->n_aborts > before && s->sec && uft_csec_keyed(s))
        seal_abort(c, s, &c->aborts[c->n_aborts - 1]);
    end_session(c, s, false, why);
}

void uft_cl_abort(struct uft_client *c, struct csession *s, const char *why)
{
    abort_session(c, s, why);
}

/* ---------- receiving ---------- */

static struct csession *find_session(struct uft_client *c, uint32_t group, uint8_t inst)
{
    unsigned i;
    for (i = 0; i < c->cfg.max_sessions; i++)
        if (c->sess[i].phase != C_FREE && c->sess[i].group_id == group && c->sess[i].inst == inst)
            return &c->sess[i];
    return NULL;
}

static bool ids_have(const struct uft_ids *ids, uint32_t id)
{
    size_t i;
    for (i = 0; i < ids->n; i++)
        if (uft_ids_get(ids, i) == id)
            return true;
    return false;
}

static bool zero_addr(const uint8_t *a, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (a[i])
            return false;
    return true;
}

static const struct uft_server_entry *find_server(const struct uft_client *c, uint32_t id)
{
    size_t i;
    for (i = 0; i < c->cfg.n_servers; i++)
        if (c->cfg.servers[i].server_id == id)
            return &c->cfg.servers[i];
    return NULL;
}

/* Join the private group (unless it is all zeros: unicast) and tell the
 * program the session began. */
static void session_started(struct uft_client *c, struct csession *s)
{
    struct uft_event join = {.type = UFT_EV_JOIN, .addr = s->priv, .ipv6 = s->v6};
    struct uft_event start = {.type = UFT_EV_SESSION_START, .peer = &s->server};
    if (!zero_addr(s->priv, s->v6 ? 16 : 4)) {
        s->joined = true;
        emit(c, s, &join);
    }
    uft_cl_log(c, s, 2, "Received request from server %08X, group %08X", s->server_id, s->group_id);
    emit(c, s, &start);
}

/* Whether a new session's ANNOUNCE is answered, and in which free slot:
 * NULL (with an ABORT queued when the server list refuses it) when not.
 * *srv is the server's -S entry, if any. */
/* A server the list refuses: UFTP answers each ANNOUNCE with an ABORT,
 * but anyone can send ANNOUNCEs from a forged source, so the answer (and
 * its log line) is given at most once a second; the rest are counted. */
static void refuse_unlisted(struct uft_client *c, const struct uft_msg *m,
                            const struct uft_peer *from, uft_ts now)
{
    c->st.rx_dropped++;
    if (now < c->refuse_quiet_until) {
        c->refused_quietly++;
        return;
    }
    uft_cl_log(c, NULL, 1, "Rejecting ANNOUNCE from %08X: server not in server list%s",
               m->hdr.src_id, c->refused_quietly ? " (and others not answered)" : "");
    c->refused_quietly = 0;
    c->refuse_quiet_until = now + UFT_SEC;
    queue_abort(c, m->hdr.version, m->hdr.group_id, m->hdr.group_inst, from,
                "Server not in server list");
}

static struct csession *admit(struct uft_client *c, const struct uft_msg *m,
                              const struct uft_peer *from, const struct uft_server_entry **srv,
                              uft_ts now)
{
    const struct uft_announce *a = &m->u.announce;
    unsigned i;
    *srv = NULL;
    if (a->ids.n && !ids_have(&a->ids, c->cfg.client_id))
        return NULL; /* a closed group without us */
    if (c->cfg.encrypted_only && !a->has_enc)
        return NULL;
    if (c->cfg.n_servers && !(*srv = find_server(c, m->hdr.src_id))) {
        refuse_unlisted(c, m, from, now);
        return NULL;
    }
    for (i = 0; i < c->cfg.max_sessions && c->sess[i].phase != C_FREE; i++)
        ;
    if (i == c->cfg.max_sessions) {
        uft_cl_log(c, NULL, 1, "Too many sessions; ignoring group %08X", m->hdr.group_id);
        return NULL;
    }
    memset(&c->sess[i], 0, sizeof c->sess[i]);
    return &c->sess[i];
}

static void on_announce(struct uft_client *c, const struct uft_msg *m, const uint8_t *pkt,
                        size_t len, const struct uft_peer *from, uft_ts now)
{
    const struct uft_announce *a = &m->u.announce;
    struct csession *s = find_session(c, m->hdr.group_id, m->hdr.group_inst);
    const struct uft_server_entry *srv;
    const char *why = NULL;
    if (s) {
        s->last_rx = now;
        return;
    }
    if (!uft_cproxy_v4_ready(c, m, now) || !(s = admit(c, m, from, &srv, now)))
        return;
    s->version = m->hdr.version;
    s->group_id = m->hdr.group_id;
    s->inst = m->hdr.group_inst;
    s->server_id = m->hdr.src_id;
    s->server = *from;
    s->reply = *from;
    uft_cproxy_session(c, s, srv);
    s->robust = a->robust ? a->robust : UFT_ROBUST_DEFAULT;
    s->flags = a->flags;
    s->block_len = a->blocksize;
    s->v6 = a->flags & UFT_ANN_IPV6;
    memcpy(s->priv, a->priv_addr, 16);
    s->grtt = (uft_ts)(uft_unquant_grtt(m->hdr.grtt) * 1e9);
    s->last_rx = s->start = now;
    s->echo_us = uft_msg_tstamp_us(s->version, a->tstamp_hi, a->tstamp_lo);
    s->echo_rx = now;
    if (a->has_enc &&
        uft_csec_announce(c, s, m, pkt, len, srv && srv->has_fp ? srv->fp : NULL, &why) != 0) {
        uft_cl_log(c, s, 1, "Refusing encrypted session %08X: %s", s->group_id,
                   why ? why : "key exchange failed");
        queue_abort(c, s->version, s->group_id, s->inst, &s->reply,
                    why ? why : "Key exchange failed");
        uft_csec_free(c, s);
        s->phase = C_FREE;
        return;
    }
    if (!uft_ccfb_setup(s, m, len, now)) {
        uft_csec_free(c, s);
        s->phase = C_FREE;
        return;
    }
    /* through a proxy, the REGISTER waits for its PROXY_KEY; the same
     * give-up time applies to both */
    s->owe_register = s->phase == C_REGISTERED;
    s->next_register = now + uft_tm_register_resend(s->grtt);
    s->giveup_at = now + uft_tm_register_giveup(s->grtt, s->robust);
    session_started(c, s);
}

static void report_result(struct uft_client *c, struct csession *s, const char *name)
{
    struct uft_event ev = {.type = UFT_EV_FILE_RESULT, .file_id = s->file_id, .status = s->status};
    ev.text = name;
    ev.count = s->lay.size;
    emit(c, s, &ev);
}

/* Every block is in: check the file's hash if the server sends one (a
 * mismatch discards it and reports it REJECTED), commit it and owe a
 * COMPLETE. */
void uft_cl_file_finished(struct uft_client *c, struct csession *s)
{
    int rc = 0, chk = uft_cfec_check(c, s);
    if (chk == 1)
        return; /* the hash is still to come */
    if (s->handle) {
        rc = c->ops.file_end(c->ops.ctx, s->handle, chk == 0);
        s->handle = NULL;
    }
    free(s->got);
    s->got = NULL;
    uft_cfec_free(s);
    if (rc) {
        abort_session(c, s, "Could not store the received file");
        return;
    }
    if (chk < 0)
        s->status = UFT_COMP_REJECTED;
    s->file_done = true;
    s->phase = C_MIDGROUP;
    s->owe_complete = true;
    report_result(c, s, s->file_name);
}

static void begin_file(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                       uft_ts now)
{
    const struct uft_fileinfo *f = &m->u.fileinfo;
    char name[1024], link[1024];
    struct uft_rx_file rx;
    int st;
    drop_file(c, s);
    memset(&rx, 0, sizeof rx);
    /* names are at most 255 words (1020 bytes); an empty one has no bytes */
    if (f->name.len)
        memcpy(name, f->name.p, f->name.len);
    name[f->name.len] = '\0';
    if (f->link.len)
        memcpy(link, f->link.p, f->link.len);
    link[f->link.len] = '\0';
    rx.group_id = s->group_id;
    rx.group_inst = s->inst;
    rx.file_id = f->file_id;
    rx.ftype = f->ftype;
    rx.name = name;
    rx.link = link;
    rx.size = f->fsize;
    /* UFTP 5.0.1 clients ignore the high timestamp word; v5 servers send
     * it, so ufcast reads it for v5 and not for v4 (where it is reserved). */
    rx.mtime =
        (int64_t)((s->version == UFT_VER5 ? (uint64_t)f->ftstamp_hi << 32 : 0) | f->ftstamp_lo);
    rx.sync = s->flags & (UFT_ANN_SYNC | UFT_ANN_PREVIEW);
    rx.preview = s->flags & UFT_ANN_PREVIEW;
    s->file_id = f->file_id;
    memcpy(s->file_name, name, sizeof s->file_name);
    s->ftype = f->ftype;
    s->file_done = false;
    s->have_free = false;
    s->owe_ack = s->owe_complete = s->status_owed = false;
    s->got_count = 0;
    s->top_section = s->reported = 0;
    s->nak_at = 0;
    s->fi_echo_us = uft_msg_tstamp_us(s->version, f->tstamp_hi, f->tstamp_lo);
    s->fi_rx = now;
    if (s->cc) {
        s->cc->echo_us = s->fi_echo_us;
        s->cc->echo_rx = now;
    }
    if (f->ftype == UFT_FTYPE_REG && uft_layout_init(&s->lay, f->fsize, s->block_len) != 0) {
        st = UFT_COMP_REJECTED;
    } else {
        if (f->ftype != UFT_FTYPE_REG)
            uft_layout_init(&s->lay, 0, s->block_len ? s->block_len : 1);
        st = c->ops.file_begin(c->ops.ctx, &rx, &s->handle, &s->free_bytes);
    }
    s->have_free = f->ftype == UFT_FTYPE_FREESPACE;
    if (st < 0 || st > UFT_COMP_REJECTED)
        st = UFT_COMP_REJECTED;
    s->status = (uint8_t)st;
    if (f->ftype != UFT_FTYPE_REG || rx.preview || st == UFT_COMP_SKIPPED ||
        st == UFT_COMP_REJECTED) {
        if (s->handle)
            c->ops.file_end(c->ops.ctx, s->handle, false);
        s->handle = NULL;
        s->file_done = true;
        s->owe_complete = true;
        s->phase = C_MIDGROUP;
        report_result(c, s, name);
        return;
    }
    s->got = calloc(s->lay.blocks / 8 + 1, 1);
    if (!s->got) {
        abort_session(c, s, "Out of memory");
        return;
    }
    s->partial = false;
    if (c->ops.file_have && s->lay.blocks) {
        size_t k, bytes = s->lay.blocks / 8 + 1;
        c->ops.file_have(c->ops.ctx, s->handle, s->block_len, s->lay.blocks, s->got);
        /* ignore bits past the last block, then count a byte at a time */
        s->got[s->lay.blocks / 8] &= (uint8_t)((1u << (s->lay.blocks % 8)) - 1);
        for (k = 0; k < bytes; k++)
            s->got_count += (uint32_t)__builtin_popcount(s->got[k]);
        s->partial = s->got_count > 0;
        if (s->got_count == s->lay.blocks) {
            uft_cl_file_finished(c, s); /* everything was already here */
            return;
        }
    }
    s->phase = C_RECEIVING;
    s->owe_ack = true;
    uft_cl_log(c, s, 2, "Receiving file %u: %s (%llu bytes)", s->file_id, name,
               (unsigned long long)f->fsize);
}

static void on_fileinfo(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                        uft_ts now)
{
    if (!ids_have(&m->u.fileinfo.ids, c->cfg.client_id))
        return;
    if (s->phase == C_REGISTERED)
        s->phase = C_MIDGROUP; /* FILEINFO confirms the registration */
    if (s->phase == C_FINAL)
        return;
    if (m->u.fileinfo.file_id == s->file_id && (s->got || s->file_done)) {
        /* a repeat: our answer was lost */
        if (s->file_done)
            s->owe_complete = true;
        else
            s->owe_ack = true;
        return;
    }
    begin_file(c, s, m, now);
}

/* Start (or pull forward) the NAK timer for sections [from, to]. */
static void arm_naks(struct csession *s, uint32_t from, uint32_t to, uft_ts at)
{
    if (s->nak_at && !s->status_owed) {
        if (from < s->nak_from)
            s->nak_from = from;
        if (to > s->nak_to)
            s->nak_to = to;
        return;
    }
    s->nak_from = from;
    s->nak_to = to;
    s->nak_at = at;
}

static void on_fileseg(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                       uft_ts now)
{
    const struct uft_fileseg *f = &m->u.fileseg;
    uint32_t block, want;
    int rc;
    if (s->cc && f->has_tfmcc)
        uft_ccfb_round(c, s, f->tfmcc.cc_seq, f->tfmcc.cc_rate, now);
    if (s->phase != C_RECEIVING || f->file_id != s->file_id || f->section >= s->lay.sections ||
        f->sec_block >= uft_layout_sec_blocks(&s->lay, f->section))
        return;
    c->st.data_packets++;
    block = uft_layout_sec_first(&s->lay, f->section) + f->sec_block;
    want = uft_layout_block_len(&s->lay, block);
    if (f->data.len != want)
        return;
    if (f->section + 1u > s->top_section) {
        /* a later section began: report what the earlier ones miss */
        if (f->section > s->reported)
            arm_naks(s, s->reported, f->section - 1, now + uft_tm_nak_delay(s->grtt));
        s->top_section = f->section + 1u;
    }
    if (uft_bit_get(s->got, block)) {
        c->st.dup_packets++;
        return;
    }
    rc = c->ops.file_write(c->ops.ctx, s->handle, uft_layout_offset(&s->lay, block), f->data.p,
                           f->data.len);
    if (rc) {
        abort_session(c, s, rc == UFT_E_NOSPACE ? "Not enough disk space" : "Write failed");
        return;
    }
    uft_bit_set(s->got, block);
    if (++s->got_count == s->lay.blocks)
        uft_cl_file_finished(c, s);
}

static void on_done(struct uft_client *c, struct csession *s, const struct uft_msg *m, uft_ts now)
{
    const struct uft_done *d = &m->u.done;
    if (!ids_have(&d->ids, c->cfg.client_id))
        return;
    if (d->file_id == 0) {
        /* the end of the session */
        if (s->phase == C_RECEIVING)
            drop_file(c, s);
        if (s->phase != C_FINAL) {
            struct uft_event ev = {.type = UFT_EV_SESSION_FINAL};
            s->phase = C_FINAL;
            s->final_giveup = now + uft_tm_complete_giveup(s->grtt, s->robust);
            emit(c, s, &ev); /* before the COMPLETE leaves: see uftpd's -T */
        }
        s->owe_final = true;
        s->final_resend = now + uft_tm_complete_resend(s->grtt);
        return;
    }
    if (d->file_id != s->file_id)
        return;
    if (s->file_done) {
        s->owe_complete = true;
        return;
    }
    if (s->phase != C_RECEIVING)
        return;
    if (s->lay.blocks == 0) {
        uft_cl_file_finished(c, s);
        return;
    }
    if (s->got_count == s->lay.blocks) {
        /* every block is in and the file's hash is awaited */
        if (uft_cfec_done_wait(c, s))
            uft_cl_file_finished(c, s);
        return;
    }
    arm_naks(s, 0, d->section < s->lay.sections ? d->section : s->lay.sections - 1,
             now + uft_tm_nak_delay(s->grtt));
}

static void on_abort(struct uft_client *c, struct csession *s, const struct uft_msg *m)
{
    char text[UFT_ABORT_TEXT_LEN + 1];
    const struct uft_abort *a = &m->u.abort;
    if (a->host != 0 && a->host != c->cfg.client_id)
        return;
    /* an ABORT about the current file that we already finished is moot */
    if (a->host == 0 && (a->flags & UFT_ABORT_CURFILE) && s->phase == C_MIDGROUP)
        return;
    memcpy(text, a->text.p, a->text.len);
    text[a->text.len] = '\0';
    uft_cl_log(c, s, 1, "Transfer aborted by server: %s", text);
    end_session(c, s, false, text);
}

/* Is this packet too old to trust? UFTP drops anything more than 5
 * sequence numbers behind the newest seen (KEYINFO and ABORT excepted).
 * ufcast also exempts FILESEG: a data block says where it belongs and
 * writing it twice changes nothing, while dropping reordered data on a
 * reordering path only turns into NAKs and retransmissions (the
 * simulator's reorder scenario sent 35 times the data that way). In an
 * encrypted session the replay window (sec_common.h) is what refuses an
 * old FILESEG seen before. */
static bool stale(const struct csession *s, const struct uft_msg *m)
{
    int16_t behind;
    if (!s->seq_seen)
        return false;
    behind = (int16_t)(uint16_t)(s->max_seq - m->hdr.seq);
    return behind > UFT_MAX_MISORDER && m->hdr.func != UFT_ABORT && m->hdr.func != UFT_KEYINFO &&
           m->hdr.func != UFT_FILESEG;
}

/* The newest sequence number moves only once a packet has authenticated:
 * a forged one far ahead would otherwise make every genuine packet look
 * stale. */
static void note_seq(struct csession *s, const struct uft_msg *m)
{
    if (m->hdr.src_id != s->server_id)
        return;
    if (!s->seq_seen || (int16_t)(uint16_t)(m->hdr.seq - s->max_seq) > 0)
        s->max_seq = m->hdr.seq;
    s->seq_seen = true;
}

/* Is m from the session's server, or from its proxy? */
static bool from_session_peer(const struct csession *s, const struct uft_msg *m)
{
    if (s->proxy_id && m->hdr.src_id == s->proxy_id && s->proxy_id != s->server_id)
        return true;
    return m->hdr.src_id == s->server_id;
}

/* Messages that start a session or belong to none: ANNOUNCE, HB_RESP
 * and UFTP 4's PROXY_KEY. True when m was taken. */
static bool sessionless(struct uft_client *c, const struct uft_msg *m, const uint8_t *pkt,
                        size_t len, const struct uft_peer *from, uft_ts now)
{
    switch (m->hdr.func) {
    case UFT_ANNOUNCE:
        c->st.rx_packets++;
        on_announce(c, m, pkt, len, from, now);
        return true;
    case UFT_HB_RESP:
        uft_chb_feed(c, m, from);
        return true;
    case UFT_PROXY_KEY:
        if (m->hdr.version != UFT_VER4)
            return false;
        uft_cproxy_v4_key(c, m, from);
        return true;
    default:
        return false;
    }
}

void uft_client_feed(struct uft_client *c, uft_ts now, const uint8_t *pkt, size_t len,
                     const struct uft_peer *from)
{
    struct uft_msg m;
    struct csession *s;
    if (uft_msg_decode(pkt, len, &m) != 0) {
        c->st.rx_dropped++;
        return;
    }
    if (sessionless(c, &m, pkt, len, from, now))
        return;
    s = find_session(c, m.hdr.group_id, m.hdr.group_inst);
    if (!s || !from_session_peer(s, &m) || m.hdr.version != s->version) {
        c->st.rx_dropped++;
        return;
    }
    if (m.hdr.func == UFT_PROXY_KEY) {
        uft_cproxy_key(c, s, &m, pkt, len, from, now);
        return;
    }
    if (s->phase == C_PREREGISTER && m.hdr.func != UFT_ABORT) {
        c->st.rx_dropped++; /* nothing but PROXY_KEY (or ABORT) before we register */
        return;
    }
    if (s->sec && !uft_csec_filter(c, s, &m, pkt, len, now))
        return;
    /* the age test looks at the inner type, so it comes after opening; a
     * proxy's own messages carry sequence number 0 whatever the server's
     * count is, so they skip it */
    if (m.hdr.src_id == s->server_id && stale(s, &m)) {
        c->st.rx_dropped++;
        c->st.rx_stale++;
        return;
    }
    note_seq(s, &m);
    c->st.rx_packets++;
    s->last_rx = now;
    s->grtt = (uft_ts)(uft_unquant_grtt(m.hdr.grtt) * 1e9);
    s->gsize = uft_unquant_gsize(m.hdr.gsize);
    if (s->cc && m.hdr.func != UFT_KEYINFO && m.hdr.func != UFT_ABORT)
        uft_tfmcc_rx_packet(s->cc, m.hdr.seq, (uint32_t)len + 8 + (s->v6 ? 40 : 20), false, now,
                            s->grtt);
    switch (m.hdr.func) {
    case UFT_CONG_CTRL:
        uft_ccfb_cong_ctrl(c, s, &m, now);
        break;
    case UFT_REG_CONF:
        if (s->phase == C_REGISTERED && !s->sec && ids_have(&m.u.reg_conf.ids, c->cfg.client_id)) {
            s->phase = C_MIDGROUP;
            uft_cl_log(c, s, 2, "Registration confirmed");
        }
        break;
    case UFT_FILEINFO:
        on_fileinfo(c, s, &m, now);
        break;
    case UFT_FILESEG:
        on_fileseg(c, s, &m, now);
        break;
    case UFT_DONE:
        on_done(c, s, &m, now);
        break;
    case UFT_DONE_CONF:
        if (s->phase == C_FINAL && ids_have(&m.u.done_conf.ids, c->cfg.client_id))
            end_session(c, s, true, "Session complete");
        break;
    case UFT_ABORT:
        on_abort(c, s, &m);
        break;
    case UFT_FEC_INFO:
    case UFT_FEC_PARITY:
    case UFT_FILE_HASH:
        uft_cfec_feed(c, s, &m, now);
        break;
    default:
        c->st.rx_dropped++;
        break;
    }
}

/* ---------- timers ---------- */

static void session_timers(struct uft_client *c, struct csession *s, uft_ts now)
{
    switch (s->phase) {
    case C_PREREGISTER:
        if (now >= s->giveup_at)
            abort_session(c, s, "PROXY_KEY not received");
        return;
    case C_REGISTERED:
        if (now >= s->giveup_at) {
            abort_session(c, s, "Registration unconfirmed");
        } else if (now >= s->next_register) {
            s->owe_register = true;
            s->next_register = now + uft_tm_register_resend(s->grtt);
        }
        return;
    case C_MIDGROUP:
    case C_RECEIVING:
        if (now - s->last_rx >= uft_tm_client_idle(s->grtt, s->robust)) {
            abort_session(c, s, "Transfer timed out");
            return;
        }
        if (s->nak_at && now >= s->nak_at) {
            s->nak_at = 0;
            s->status_owed = true;
            s->status_cursor = s->nak_from;
        }
        if (s->cc && !s->cc->is_clr && s->cc->fb_at && now >= s->cc->fb_at) {
            s->cc->fb_at = 0;
            s->owe_cc_ack = true;
        }
        return;
    case C_FINAL:
        if (now >= s->final_giveup) {
            uft_cl_log(c, s, 1, "No DONE_CONF received; finishing the session");
            end_session(c, s, true, "Session complete (unconfirmed)");
        } else if (now >= s->final_resend) {
            s->owe_final = true;
            s->final_resend = now + uft_tm_complete_resend(s->grtt);
        }
        return;
    default:
        return;
    }
}

static void service(struct uft_client *c, uft_ts now)
{
    unsigned i;
    for (i = 0; i < c->cfg.max_sessions; i++)
        if (c->sess[i].phase != C_FREE)
            session_timers(c, &c->sess[i], now);
}

static uft_ts session_deadline(const struct csession *s)
{
    uft_ts t = UFT_NEVER;
    if (s->owe_register || s->owe_ack || s->owe_complete || s->status_owed || s->owe_final ||
        s->owe_cc_ack || s->owe_kiack || s->owe_ckey || s->owe_fec_hello)
        return 0;
    switch (s->phase) {
    case C_PREREGISTER:
        t = s->giveup_at;
        break;
    case C_REGISTERED:
        t = s->next_register < s->giveup_at ? s->next_register : s->giveup_at;
        break;
    case C_MIDGROUP:
    case C_RECEIVING:
        t = s->last_rx + uft_tm_client_idle(s->grtt, s->robust);
        if (s->nak_at && s->nak_at < t)
            t = s->nak_at;
        if (s->cc && !s->cc->is_clr && s->cc->fb_at && s->cc->fb_at < t)
            t = s->cc->fb_at;
        break;
    case C_FINAL:
        t = s->final_resend < s->final_giveup ? s->final_resend : s->final_giveup;
        break;
    default:
        break;
    }
    return t;
}

uft_ts uft_client_deadline(const struct uft_client *c)
{
    uft_ts t = c->n_aborts ? 0 : UFT_NEVER, hb = uft_chb_deadline(c), kr = uft_cproxy_deadline(c);
    unsigned i;
    if (hb < t)
        t = hb;
    if (kr < t)
        t = kr;
    for (i = 0; i < c->cfg.max_sessions; i++) {
        if (c->sess[i].phase != C_FREE) {
            uft_ts d = session_deadline(&c->sess[i]);
            if (d < t)
                t = d;
        }
    }
    return t;
}

/* ---------- sending ---------- */

static void fill_hdr(struct uft_client *c, struct csession *s, struct uft_msg *m, uint8_t func)
{
    memset(m, 0, sizeof *m);
    m->hdr.version = s->version;
    m->hdr.func = func;
    m->hdr.seq = s->seq++;
    m->hdr.src_id = c->cfg.client_id;
    m->hdr.group_id = s->group_id;
    m->hdr.group_inst = s->inst;
}

/* Build the next STATUS owed, or return false when the range is done. */
static bool next_status(struct uft_client *c, struct csession *s, struct uft_msg *m, uft_ts now)
{
    while (s->status_cursor <= s->nak_to && s->status_cursor < s->lay.sections) {
        uint32_t sec = s->status_cursor++, n = uft_layout_sec_blocks(&s->lay, sec);
        uint32_t first = uft_layout_sec_first(&s->lay, sec), i, missing = 0;
        size_t bytes = uft_layout_nak_bytes(n);
        memset(c->scratch, 0, bytes);
        for (i = 0; i < n; i++) {
            if (!uft_bit_get(s->got, first + i)) {
                uft_bit_set(c->scratch, i);
                missing++;
            }
        }
        if (!missing)
            continue;
        fill_hdr(c, s, m, UFT_STATUS);
        m->u.status.file_id = s->file_id;
        m->u.status.section = (uint16_t)sec;
        m->u.status.naks.p = c->scratch;
        m->u.status.naks.len = bytes;
        if (s->cc) {
            m->u.status.has_tfmcc = true;
            uft_ccfb_ack(c, s, &m->u.status.tfmcc, now);
        }
        c->st.status_sent++;
        c->st.naks_sent += missing;
        return true;
    }
    s->status_owed = false;
    if (s->nak_to + 1 > s->reported)
        s->reported = s->nak_to + 1;
    return false;
}

/* The next reply one session owes, if any. */
static bool session_reply(struct uft_client *c, struct csession *s, uft_ts now, struct uft_msg *m)
{
    if (s->owe_register) {
        s->owe_register = false;
        fill_hdr(c, s, m, UFT_REGISTER);
        uft_msg_tstamp_set(s->version, s->echo_us + (now - s->echo_rx) / 1000, &m->u.reg.tstamp_hi,
                           &m->u.reg.tstamp_lo);
        uft_csec_register(s, m);
        s->owe_ckey = uft_csec_wants_client_key(s); /* right after each REGISTER */
        return true;
    }
    if (s->owe_kiack) {
        s->owe_kiack = false;
        fill_hdr(c, s, m, UFT_KEYINFO_ACK);
        uft_csec_keyinfo_ack(s, m);
        return true;
    }
    if (s->owe_ack) {
        s->owe_ack = false;
        fill_hdr(c, s, m, UFT_FILEINFO_ACK);
        m->u.fileinfo_ack.file_id = s->file_id;
        m->u.fileinfo_ack.flags = s->partial ? UFT_FIACK_PARTIAL : 0;
        uft_msg_tstamp_set(s->version, s->fi_echo_us + (now - s->fi_rx) / 1000,
                           &m->u.fileinfo_ack.tstamp_hi, &m->u.fileinfo_ack.tstamp_lo);
        return true;
    }
    if (s->owe_fec_hello) {
        s->owe_fec_hello = false;
        if (s->fec) {
            fill_hdr(c, s, m, UFT_FEC_HELLO);
            uft_cfec_hello(s, m);
            return true;
        }
    }
    if (s->owe_complete) {
        s->owe_complete = false;
        fill_hdr(c, s, m, UFT_COMPLETE);
        m->u.complete.file_id = s->file_id;
        m->u.complete.status = s->status;
        if (s->have_free) {
            m->u.complete.has_freespace = true;
            m->u.complete.freespace.free_bytes = s->free_bytes;
        }
        return true;
    }
    if (s->status_owed && s->phase == C_RECEIVING && next_status(c, s, m, now))
        return true;
    s->status_owed = false;
    if (s->owe_cc_ack) {
        s->owe_cc_ack = false;
        if (s->cc && s->phase != C_FINAL) {
            fill_hdr(c, s, m, UFT_CC_ACK);
            m->u.cc_ack.has_tfmcc = true;
            uft_ccfb_ack(c, s, &m->u.cc_ack.tfmcc, now);
            return true;
        }
    }
    if (s->owe_final) {
        s->owe_final = false;
        fill_hdr(c, s, m, UFT_COMPLETE);
        return true;
    }
    return false;
}

ssize_t uft_client_pull(struct uft_client *c, uft_ts now, uint8_t *buf, size_t cap,
                        struct uft_tx *tx)
{
    struct uft_msg m;
    unsigned i;
    ssize_t n;
    memset(tx, 0, sizeof *tx);
    service(c, now);
    if (c->n_aborts) {
        struct pending_abort *a = &c->aborts[0];
        memset(&m, 0, sizeof m);
        m.hdr.version = a->version;
        m.hdr.func = UFT_ABORT;
        m.hdr.src_id = c->cfg.client_id;
        m.hdr.group_id = a->group_id;
        m.hdr.group_inst = a->inst;
        m.u.abort.text.p = (const uint8_t *)a->text;
        m.u.abort.text.len = strlen(a->text);
        tx->dst = UFT_DST_PEER;
        tx->peer = a->peer;
        if (a->sealed_len && a->sealed_len > cap)
            n = UFT_E_NOSPACE;
        else if (a->sealed_len)
            memcpy(buf, a->sealed, (size_t)(n = (ssize_t)a->sealed_len));
        else
            n = uft_msg_encode(&m, buf, cap);
        memmove(&c->aborts[0], &c->aborts[1], (c->n_aborts - 1) * sizeof c->aborts[0]);
        c->n_aborts--;
        if (n > 0)
            c->st.tx_packets++;
        return n;
    }
    for (i = 0; i < c->cfg.max_sessions; i++) {
        struct csession *s = &c->sess[i];
        if (s->phase != C_FREE && s->owe_ckey) {
            s->owe_ckey = false;
            fill_hdr(c, s, &m, UFT_CLIENT_KEY);
            tx->dst = UFT_DST_PEER;
            tx->peer = s->reply;
            n = uft_csec_client_key(c, s, &m, buf, cap);
            if (n > 0)
                c->st.tx_packets++;
            return n;
        }
        if (s->phase == C_FREE || !session_reply(c, s, now, &m))
            continue;
        tx->dst = UFT_DST_PEER;
        tx->peer = s->reply;
        if (uft_csec_keyed(s) && m.hdr.func != UFT_REGISTER)
            n = uft_csec_seal(c, s, &m, buf, cap);
        else
            n = uft_msg_encode(&m, buf, cap);
        if (n > 0)
            c->st.tx_packets++;
        return n;
    }
    if ((n = uft_chb_pull(c, now, buf, cap, tx)) != 0 ||
        (n = uft_cproxy_pull(c, now, buf, cap, tx)) != 0) {
        if (n > 0)
            c->st.tx_packets++;
        return n;
    }
    return 0;
}

/* ---------- life cycle ---------- */

int uft_client_create(const struct uft_client_cfg *cfg, const struct uft_client_ops *ops,
                      struct uft_client **out)
{
    struct uft_client *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return UFT_E_NOMEM;
    c->cfg = *cfg;
    c->ops = *ops;
    c->signkey = cfg->signkey;
    if (c->cfg.max_sessions == 0)
        c->cfg.max_sessions = 100;
    c->sess = calloc(c->cfg.max_sessions, sizeof *c->sess);
    c->scratch = malloc(65536 / 8 + 1);
    c->plain = malloc(10000);
    if (!c->sess || !c->scratch || !c->plain || uft_chb_init(c) != 0) {
        uft_client_free(c);
        return UFT_E_NOMEM;
    }
    *out = c;
    return 0;
}

/* A session waiting for DONE_CONF has sent its final COMPLETE: the server
 * counts it done and will never resume it, so it is finished as when the
 * DONE_CONF does not come (files moved into place), not aborted, which
 * with -T would strand them in the temp directory. */
void uft_client_shutdown(struct uft_client *c, uft_ts now)
{
    unsigned i;
    (void)now;
    for (i = 0; i < c->cfg.max_sessions; i++) {
        struct csession *s = &c->sess[i];
        if (s->phase == C_FINAL) {
            uft_cl_log(c, s, 1, "Shutting down before DONE_CONF; finishing the session");
            end_session(c, s, true, "Session complete (unconfirmed)");
        } else if (s->phase != C_FREE) {
            abort_session(c, s, "Client shutting down");
        }
    }
}

void uft_client_free(struct uft_client *c)
{
    unsigned i;
    if (!c)
        return;
    for (i = 0; c->sess && i < c->cfg.max_sessions; i++) {
        if (c->sess[i].phase != C_FREE)
            drop_file(c, &c->sess[i]);
        free(c->sess[i].cc);
        uft_csec_free(c, &c->sess[i]);
    }
    if (c->own_signkey && c->ops.crypto)
        c->ops.crypto->signkey_free(c->signkey);
    free(c->hb);
    free(c->plain);
    free(c->sess);
    free(c->scratch);
    free(c);
}

void uft_client_stats(const struct uft_client *c, struct uft_client_stats *st)
{
    unsigned i;
    *st = c->st;
    st->sessions = 0;
    for (i = 0; i < c->cfg.max_sessions; i++)
        if (c->sess[i].phase != C_FREE)
            st->sessions++;
}
