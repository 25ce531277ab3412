/*
 * One-line text form of a decoded message, "key=value" words separated by
 * spaces, used by logs, the ufcast-dump tool and the test-vector checks.
 * Values never contain spaces: bytes outside printable ASCII, spaces and
 * backslashes in names and texts are written as \xHH.
 */
#include "core/msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct out {
    char *buf;
    size_t cap;
    size_t len; /* wanted length, may exceed cap */
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int n;
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    va_start(ap, fmt);
    n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static void put_text(struct out *o, const char *key, struct uft_bytes b)
{
    size_t i;
    put(o, " %s=", key);
    for (i = 0; i < b.len; i++) {
        uint8_t c = b.p[i];
        if (c > 0x20 && c < 0x7f && c != '\\')
            put(o, "%c", c);
        else
            put(o, "\\x%02x", c);
    }
}

static void put_hex(struct out *o, const char *key, struct uft_bytes b)
{
    size_t i;
    put(o, " %s=", key);
    for (i = 0; i < b.len; i++)
        put(o, "%02x", b.p[i]);
    if (b.len == 0)
        put(o, "-");
}

static void put_addr(struct out *o, const char *key, const uint8_t *a, bool v6)
{
    int best = -1, best_len = 0, i;
    if (!v6) {
        put(o, " %s=%u.%u.%u.%u", key, a[0], a[1], a[2], a[3]);
        return;
    }
    /* RFC 5952: compress the longest run (two or more) of zero groups. */
    for (i = 0; i < 8;) {
        int j = i;
        while (j < 8 && a[2 * j] == 0 && a[2 * j + 1] == 0)
            j++;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    put(o, " %s=", key);
    for (i = 0; i < 8; i++) {
        if (i == best) {
            put(o, "::");
            i += best_len - 1;
            continue;
        }
        if (i > 0 && i != best + best_len)
            put(o, ":");
        put(o, "%x", (unsigned)a[2 * i] << 8 | a[2 * i + 1]);
    }
}

static void put_ids(struct out *o, const char *key, const struct uft_ids *ids)
{
    size_t i;
    put(o, " %s=%zu", key, ids->n);
    for (i = 0; i < ids->n && i < 8; i++)
        put(o, "%s%08x", i ? "," : ":", uft_ids_get(ids, i));
    if (ids->n > 8)
        put(o, ",...");
}

static void put_rest(struct out *o, struct uft_bytes rest)
{
    if (rest.len)
        put_hex(o, "ext_rest", rest);
}

static void put_tfmcc_ack(struct out *o, const struct uft_ext_tfmcc_ack *a)
{
    put(o, " cc.flags=0x%02x cc.seq=%u cc.rate=0x%04x cc.client=0x%08x cc.ts=%08x:%08x", a->flags,
        a->cc_seq, a->cc_rate, a->client_id, a->tstamp_hi, a->tstamp_lo);
}

static void describe_setup(struct out *o, const struct uft_msg *m)
{
    switch (m->hdr.func) {
    case UFT_ANNOUNCE: {
        const struct uft_announce *a = &m->u.announce;
        bool v6 = a->flags & UFT_ANN_IPV6;
        put(o, " flags=0x%02x robust=%u cc=%u blocksize=%u ts=%08x:%08x", a->flags, a->robust,
            a->cc_type, a->blocksize, a->tstamp_hi, a->tstamp_lo);
        put_addr(o, "pub", a->pub_addr, v6);
        put_addr(o, "priv", a->priv_addr, v6);
        if (a->has_enc) {
            put(o,
                " enc.flags=0x%02x enc.keyex_sig=0x%02x keytype=%u hashtype=%u keylen=%zu "
                "dhlen=%zu siglen=%zu",
                a->enc.flags, a->enc.keyex_sig, a->enc.keytype, a->enc.hashtype, a->enc.keyblob.len,
                a->enc.dhblob.len, a->enc.sig.len);
        }
        put_rest(o, a->ext_rest);
        put_ids(o, "ids", &a->ids);
        break;
    }
    case UFT_REGISTER:
        put(o, " ts=%08x:%08x keyinfolen=%zu", m->u.reg.tstamp_hi, m->u.reg.tstamp_lo,
            m->u.reg.keyinfo.len);
        put_rest(o, m->u.reg.ext_rest);
        put_ids(o, "ids", &m->u.reg.ids);
        break;
    case UFT_CLIENT_KEY:
        put(o, " keylen=%zu siglen=%zu", m->u.client_key.keyblob.len, m->u.client_key.sig.len);
        put_rest(o, m->u.client_key.ext_rest);
        break;
    case UFT_REG_CONF:
        put_rest(o, m->u.reg_conf.ext_rest);
        put_ids(o, "ids", &m->u.reg_conf.ids);
        break;
    case UFT_KEYINFO:
        put(o, " ivctr=%llu siglen=%zu keys=%zu", (unsigned long long)m->u.keyinfo.iv_ctr,
            m->u.keyinfo.sig.len, m->u.keyinfo.keys.n);
        put_rest(o, m->u.keyinfo.ext_rest);
        break;
    case UFT_KEYINFO_ACK:
        put(o, " verify_len_field=%u", m->u.keyinfo_ack.verify_len_field);
        put_hex(o, "verify", m->u.keyinfo_ack.verify);
        break;
    case UFT_HB_REQ:
        put(o, " nonce=0x%08x keylen=%zu siglen=%zu", m->u.hb_req.nonce, m->u.hb_req.keyblob.len,
            m->u.hb_req.sig.len);
        put_rest(o, m->u.hb_req.ext_rest);
        break;
    case UFT_HB_RESP:
        put(o, " hb_auth=%u nonce=0x%08x", m->u.hb_resp.auth, m->u.hb_resp.nonce);
        put_rest(o, m->u.hb_resp.ext_rest);
        break;
    case UFT_KEY_REQ:
        put_rest(o, m->u.key_req.ext_rest);
        break;
    case UFT_PROXY_KEY:
        put(o, " nonce=0x%08x keylen=%zu dhlen=%zu siglen=%zu", m->u.proxy_key.nonce,
            m->u.proxy_key.keyblob.len, m->u.proxy_key.dhblob.len, m->u.proxy_key.sig.len);
        put_rest(o, m->u.proxy_key.ext_rest);
        break;
    case UFT_ENCRYPTED:
        put(o, " ivctr=%llu siglen=%zu payload=%zu", (unsigned long long)m->u.encrypted.iv_ctr,
            m->u.encrypted.sig.len, m->u.encrypted.payload.len);
        break;
    default:
        break;
    }
}

static void describe_xfer(struct out *o, const struct uft_msg *m)
{
    switch (m->hdr.func) {
    case UFT_FILEINFO: {
        const struct uft_fileinfo *f = &m->u.fileinfo;
        put(o, " file_id=%u ftype=%u size=%llu mtime=%04x:%08x ts=%08x:%08x", f->file_id, f->ftype,
            (unsigned long long)f->fsize, f->ftstamp_hi, f->ftstamp_lo, f->tstamp_hi, f->tstamp_lo);
        put_text(o, "name", f->name);
        if (f->link.len)
            put_text(o, "link", f->link);
        put_ids(o, "ids", &f->ids);
        break;
    }
    case UFT_FILEINFO_ACK:
        put(o, " file_id=%u flags=0x%02x ts=%08x:%08x", m->u.fileinfo_ack.file_id,
            m->u.fileinfo_ack.flags, m->u.fileinfo_ack.tstamp_hi, m->u.fileinfo_ack.tstamp_lo);
        put_rest(o, m->u.fileinfo_ack.ext_rest);
        put_ids(o, "ids", &m->u.fileinfo_ack.ids);
        break;
    case UFT_FILESEG: {
        const struct uft_fileseg *s = &m->u.fileseg;
        put(o, " file_id=%u section=%u block=%u datalen=%zu", s->file_id, s->section, s->sec_block,
            s->data.len);
        if (s->has_tfmcc)
            put(o, " cc.send_rate=0x%04x cc.seq=%u cc.rate=0x%04x", s->tfmcc.send_rate,
                s->tfmcc.cc_seq, s->tfmcc.cc_rate);
        put_rest(o, s->ext_rest);
        break;
    }
    case UFT_DONE:
        put(o, " file_id=%u section=%u", m->u.done.file_id, m->u.done.section);
        put_rest(o, m->u.done.ext_rest);
        put_ids(o, "ids", &m->u.done.ids);
        break;
    case UFT_STATUS:
        put(o, " file_id=%u section=%u naklen=%zu", m->u.status.file_id, m->u.status.section,
            m->u.status.naks.len);
        if (m->u.status.has_tfmcc)
            put_tfmcc_ack(o, &m->u.status.tfmcc);
        put_rest(o, m->u.status.ext_rest);
        break;
    case UFT_COMPLETE:
        put(o, " file_id=%u status=%u", m->u.complete.file_id, m->u.complete.status);
        if (m->u.complete.has_freespace)
            put(o, " freespace=%llu", (unsigned long long)m->u.complete.freespace.free_bytes);
        put_rest(o, m->u.complete.ext_rest);
        put_ids(o, "ids", &m->u.complete.ids);
        break;
    case UFT_DONE_CONF:
        put_rest(o, m->u.done_conf.ext_rest);
        put_ids(o, "ids", &m->u.done_conf.ids);
        break;
    case UFT_ABORT:
        put(o, " flags=0x%02x host=0x%08x", m->u.abort.flags, m->u.abort.host);
        put_text(o, "text", m->u.abort.text);
        break;
    case UFT_CONG_CTRL: {
        const struct uft_cong_ctrl *c = &m->u.cong_ctrl;
        size_t i;
        put(o, " cc.seq=%u cc.rate=0x%04x ts=%08x:%08x items=%zu", c->cc_seq, c->cc_rate,
            c->tstamp_hi, c->tstamp_lo, c->items.n);
        for (i = 0; i < c->items.n && i < 8; i++) {
            struct uft_cc_item it = uft_cc_items_get(&c->items, i);
            put(o, "%s%08x/%02x/%u", i ? "," : ":", it.id, it.flags, it.rtt);
        }
        put_rest(o, c->ext_rest);
        break;
    }
    case UFT_CC_ACK:
        if (m->u.cc_ack.has_tfmcc)
            put_tfmcc_ack(o, &m->u.cc_ack.tfmcc);
        put_rest(o, m->u.cc_ack.ext_rest);
        break;
    case UFT_FEC_INFO:
        put(o, " file_id=%u flags=0x%02x k=%u order=%u m=%u", m->u.fec_info.file_id,
            m->u.fec_info.flags, m->u.fec_info.k, m->u.fec_info.order, m->u.fec_info.m);
        break;
    case UFT_FEC_HELLO:
        put(o, " file_id=%u flags=0x%02x", m->u.fec_hello.file_id, m->u.fec_hello.flags);
        break;
    case UFT_FEC_PARITY: {
        const struct uft_fec_parity *p = &m->u.fec_parity;
        put(o, " file_id=%u section=%u k=%u order=%u group=%u row=%u datalen=%zu", p->file_id,
            p->section, p->k, p->order, p->group, p->row, p->data.len);
        break;
    }
    case UFT_FILE_HASH:
        put(o, " file_id=%u hashtype=%u hashlen=%zu", m->u.file_hash.file_id,
            m->u.file_hash.hashtype, m->u.file_hash.hash.len);
        break;
    default:
        describe_setup(o, m);
        break;
    }
}

size_t uft_msg_describe(const struct uft_msg *m, char *buf, size_t cap)
{
    struct out o = {buf, cap, 0};
    if (cap)
        buf[0] = '\0';
    put(&o,
        "ver=0x%02x func=%u type=%s seq=%u src_id=0x%08x group_id=0x%08x group_inst=%u "
        "grtt=%u gsize=%u",
        m->hdr.version, m->hdr.func, uft_msg_name(m->hdr.func), m->hdr.seq, m->hdr.src_id,
        m->hdr.group_id, m->hdr.group_inst, m->hdr.grtt, m->hdr.gsize);
    describe_xfer(&o, m);
    return o.len;
}
