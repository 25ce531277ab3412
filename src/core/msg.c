/*
 * The message table, the common header, the ENCRYPTED wrapper and the
 * helpers every body codec shares. A datagram is checked in this order:
 * length of the common header, version byte, message type against the
 * table, the type's minimum body length, then the body decoder, which
 * checks every length field against the bytes that are really there.
 */
#include "core/msg.h"

#include <assert.h>
#include <string.h>

#include "core/err.h"
#include "core/msg_int.h"

struct msg_type {
    const char *name;
    size_t min_body; /* smallest body of this type, from the function byte */
    bool v4, v5;     /* which versions define it */
    uft_body_dec dec;
    uft_body_enc enc;
};

#define T(fn, label, min, v4, v5, lower)                                                           \
    [fn] = {label, min, v4, v5, uft_msgi_dec_##lower, uft_msgi_enc_##lower}

/* Minimum bodies are the fixed parts from protocol.txt; variable parts
 * are checked by each decoder. PROXY_KEY's v4 form is 4 bytes longer and
 * its decoder checks that. */
static const struct msg_type types[UFT_FUNC_EXT_MAX + 1] = {
    T(UFT_ANNOUNCE, "ANNOUNCE", 24, true, true, announce),
    T(UFT_REGISTER, "REGISTER", 44, true, true, register),
    T(UFT_CLIENT_KEY, "CLIENT_KEY", 8, true, true, client_key),
    T(UFT_REG_CONF, "REG_CONF", 4, true, true, reg_conf),
    T(UFT_KEYINFO, "KEYINFO", 12, true, true, keyinfo),
    T(UFT_KEYINFO_ACK, "KEYINFO_ACK", 4, true, true, keyinfo_ack),
    T(UFT_FILEINFO, "FILEINFO", 28, true, true, fileinfo),
    T(UFT_FILEINFO_ACK, "FILEINFO_ACK", 16, true, true, fileinfo_ack),
    T(UFT_FILESEG, "FILESEG", 8, true, true, fileseg),
    T(UFT_DONE, "DONE", 8, true, true, done),
    T(UFT_STATUS, "STATUS", 8, true, true, status),
    T(UFT_COMPLETE, "COMPLETE", 8, true, true, complete),
    T(UFT_DONE_CONF, "DONE_CONF", 4, true, true, done_conf),
    T(UFT_HB_REQ, "HB_REQ", 12, true, true, hb_req),
    T(UFT_HB_RESP, "HB_RESP", 8, true, true, hb_resp),
    T(UFT_KEY_REQ, "KEY_REQ", 4, true, false, key_req),
    T(UFT_PROXY_KEY, "PROXY_KEY", 8, true, true, proxy_key),
    [UFT_ENCRYPTED] = {"ENCRYPTED", UFT_ENC_HDR_LEN, true, true, NULL, NULL},
    T(UFT_ABORT, "ABORT", 308, true, true, abort),
    T(UFT_CONG_CTRL, "CONG_CTRL", 16, true, true, cong_ctrl),
    T(UFT_CC_ACK, "CC_ACK", 4, true, true, cc_ack),
    T(UFT_FEC_INFO, "FEC_INFO", 8, true, true, fec_info),
    T(UFT_FEC_HELLO, "FEC_HELLO", 8, true, true, fec_hello),
    T(UFT_FEC_PARITY, "FEC_PARITY", 16, true, true, fec_parity),
    T(UFT_FILE_HASH, "FILE_HASH", 8 + UFT_FILE_HASH_LEN, true, true, file_hash),
};

static const struct msg_type *type_for(unsigned func, uint8_t ver)
{
    const struct msg_type *t;
    if (func == 0 || func > UFT_FUNC_EXT_MAX || !types[func].name)
        return NULL;
    t = &types[func];
    if ((ver == UFT_VER4 && !t->v4) || (ver == UFT_VER5 && !t->v5))
        return NULL;
    return t;
}

const char *uft_msg_name(unsigned func)
{
    if (func == 0 || func > UFT_FUNC_EXT_MAX || !types[func].name)
        return "UNKNOWN";
    return types[func].name;
}

bool uft_msg_version_ok(unsigned version)
{
    return version == UFT_VER4 || version == UFT_VER5;
}

int uft_hdr_decode(const uint8_t *pkt, size_t len, struct uft_hdr *h)
{
    struct uft_rd r;
    uint8_t reserved;
    uft_rd_init(&r, pkt, len);
    if (len < UFT_HDR_LEN)
        return UFT_E_TRUNC;
    /* The length is known to suffice: no read below can fail. */
    (void)uft_rd_u8(&r, &h->version);
    if (!uft_msg_version_ok(h->version))
        return UFT_E_VERSION;
    (void)uft_rd_u8(&r, &h->func);
    (void)uft_rd_u16(&r, &h->seq);
    (void)uft_rd_u32(&r, &h->src_id);
    (void)uft_rd_u32(&r, &h->group_id);
    (void)uft_rd_u8(&r, &h->group_inst);
    (void)uft_rd_u8(&r, &h->grtt);
    (void)uft_rd_u8(&r, &h->gsize);
    (void)uft_rd_u8(&r, &reserved);
    return 0;
}

int uft_hdr_encode(struct uft_wr *w, const struct uft_hdr *h)
{
    uint8_t b[UFT_HDR_LEN];
    if (!uft_msg_version_ok(h->version))
        return UFT_E_VERSION;
    b[0] = h->version;
    b[1] = h->func;
    uft_put_u16(b + 2, h->seq);
    uft_put_u32(b + 4, h->src_id);
    uft_put_u32(b + 8, h->group_id);
    b[12] = h->group_inst;
    b[13] = h->grtt;
    b[14] = h->gsize;
    b[15] = 0;
    return uft_wr_bytes(w, b, sizeof b);
}

/*
 * ENCRYPTED: IV counter 8, a 16-bit field (v4: signature length; v5:
 * reserved and ignored, as UFTP 5 ignores it), payload length 16, then in
 * v4 the signature and in both the payload. The datagram must end exactly
 * at the payload's end, as UFTP requires.
 */
static int dec_encrypted(uint8_t ver, struct uft_rd *r, struct uft_encrypted *e)
{
    uint16_t field, plen;
    int rc;
    if ((rc = uft_rd_u64(r, &e->iv_ctr)) || (rc = uft_rd_u16(r, &field)) ||
        (rc = uft_rd_u16(r, &plen)))
        return rc;
    e->v5_reserved = 0;
    e->sig.p = NULL;
    e->sig.len = 0;
    if (ver == UFT_VER4) {
        e->sig.len = field;
        if ((rc = uft_rd_view(r, field, &e->sig.p)))
            return rc;
    } else {
        e->v5_reserved = field;
    }
    e->payload.len = plen;
    if ((rc = uft_rd_view(r, plen, &e->payload.p)))
        return rc;
    return uft_rd_left(r) == 0 ? 0 : UFT_E_LENGTH;
}

static int enc_encrypted(uint8_t ver, struct uft_wr *w, const struct uft_encrypted *e)
{
    uint16_t slen = 0, plen;
    int rc;
    if (ver == UFT_VER4 && (rc = uft_msgi_len16(e->sig.len, &slen)))
        return rc;
    if (ver == UFT_VER5 && e->sig.len != 0)
        return UFT_E_VALUE;
    if ((rc = uft_msgi_len16(e->payload.len, &plen)))
        return rc;
    if ((rc = uft_wr_u64(w, e->iv_ctr)) ||
        (rc = uft_wr_u16(w, ver == UFT_VER4 ? slen : e->v5_reserved)) ||
        (rc = uft_wr_u16(w, plen)) || (rc = uft_msgi_enc_bytes(w, e->sig)) ||
        (rc = uft_msgi_enc_bytes(w, e->payload)))
        return rc;
    return 0;
}

int uft_msg_decode_body(uint8_t ver, const uint8_t *body, size_t len, struct uft_msg *m)
{
    const struct msg_type *t;
    struct uft_rd r;
    memset(m, 0, sizeof *m);
    if (!uft_msg_version_ok(ver))
        return UFT_E_VERSION;
    if (len < 1)
        return UFT_E_TRUNC;
    t = type_for(body[0], ver);
    if (!t || !t->dec)
        return UFT_E_TYPE;
    if (len < t->min_body)
        return UFT_E_TRUNC;
    m->hdr.version = ver;
    m->hdr.func = body[0];
    uft_rd_init(&r, body, len);
    return t->dec(ver, &r, m);
}

int uft_msg_decode(const uint8_t *pkt, size_t len, struct uft_msg *m)
{
    struct uft_hdr h;
    struct uft_rd r;
    int rc;
    memset(m, 0, sizeof *m);
    if ((rc = uft_hdr_decode(pkt, len, &h)))
        return rc;
    if (h.func == UFT_ENCRYPTED) {
        m->hdr = h;
        if (len - UFT_HDR_LEN < UFT_ENC_HDR_LEN)
            return UFT_E_TRUNC;
        uft_rd_init(&r, pkt + UFT_HDR_LEN, len - UFT_HDR_LEN);
        return dec_encrypted(h.version, &r, &m->u.encrypted);
    }
    /* The body repeats the function byte; the two must agree. */
    if (len == UFT_HDR_LEN)
        return UFT_E_TRUNC;
    if (pkt[UFT_HDR_LEN] != h.func)
        return type_for(h.func, h.version) ? UFT_E_VALUE : UFT_E_TYPE;
    if ((rc = uft_msg_decode_body(h.version, pkt + UFT_HDR_LEN, len - UFT_HDR_LEN, m)))
        return rc;
    m->hdr = h;
    return 0;
}

static ssize_t encode_into(const struct uft_msg *m, struct uft_wr *w)
{
    const struct msg_type *t = type_for(m->hdr.func, m->hdr.version);
    int rc;
    if (!uft_msg_version_ok(m->hdr.version))
        return UFT_E_VERSION;
    if (!t)
        return UFT_E_TYPE;
    if (m->hdr.func == UFT_ENCRYPTED)
        rc = enc_encrypted(m->hdr.version, w, &m->u.encrypted);
    else
        rc = t->enc(m->hdr.version, w, m);
    return rc ? rc : (ssize_t)w->len;
}

ssize_t uft_msg_encode(const struct uft_msg *m, uint8_t *buf, size_t cap)
{
    struct uft_wr w;
    int rc;
    uft_wr_init(&w, buf, cap);
    if ((rc = uft_hdr_encode(&w, &m->hdr)))
        return rc;
    return encode_into(m, &w);
}

ssize_t uft_msg_encode_body(const struct uft_msg *m, uint8_t *buf, size_t cap)
{
    struct uft_wr w;
    if (m->hdr.func == UFT_ENCRYPTED)
        return UFT_E_TYPE;
    uft_wr_init(&w, buf, cap);
    return encode_into(m, &w);
}

uint64_t uft_msg_tstamp_us(uint8_t ver, uint32_t hi, uint32_t lo)
{
    if (ver == UFT_VER4)
        return (uint64_t)hi * 1000000u + lo;
    return (uint64_t)hi << 32 | lo;
}

void uft_msg_tstamp_set(uint8_t ver, uint64_t us, uint32_t *hi, uint32_t *lo)
{
    if (ver == UFT_VER4) {
        *hi = (uint32_t)(us / 1000000u);
        *lo = (uint32_t)(us % 1000000u);
    } else {
        *hi = (uint32_t)(us >> 32);
        *lo = (uint32_t)us;
    }
}

uint32_t uft_ids_get(const struct uft_ids *ids, size_t i)
{
    assert(i < ids->n);
    return uft_get_u32(ids->p + i * UFT_ID_LEN);
}

uint32_t uft_destkeys_id(const struct uft_destkeys *k, size_t i)
{
    assert(i < k->n);
    return uft_get_u32(k->p + i * UFT_DESTKEY_LEN);
}

const uint8_t *uft_destkeys_master(const struct uft_destkeys *k, size_t i)
{
    assert(i < k->n);
    return k->p + i * UFT_DESTKEY_LEN + UFT_ID_LEN;
}

struct uft_cc_item uft_cc_items_get(const struct uft_cc_items *items, size_t i)
{
    struct uft_cc_item it;
    const uint8_t *p;
    assert(i < items->n);
    p = items->p + i * UFT_CC_ITEM_LEN;
    it.id = uft_get_u32(p);
    it.flags = p[4];
    it.rtt = p[5];
    return it;
}

/* ---- helpers shared by the body codecs ---- */

int uft_msgi_begin(struct uft_rd *r, uint8_t func, size_t fixed, size_t *hbytes)
{
    uint8_t f, hlen;
    int rc;
    if ((rc = uft_rd_u8(r, &f)) || (rc = uft_rd_u8(r, &hlen)))
        return rc;
    if (f != func)
        return UFT_E_TYPE;
    *hbytes = (size_t)hlen * 4;
    if (*hbytes < fixed)
        return UFT_E_LENGTH;
    if (*hbytes > r->len)
        return UFT_E_TRUNC;
    return 0;
}

int uft_msgi_exts(struct uft_rd *r, size_t hbytes, uint8_t want, struct uft_rd *known,
                  struct uft_bytes *rest)
{
    struct uft_rd area, walk;
    uint8_t type, words;
    int rc;
    uft_rd_init(known, NULL, 0);
    if (r->pos > hbytes)
        return UFT_E_LENGTH;
    if ((rc = uft_rd_sub(r, hbytes - r->pos, &area)))
        return rc;
    walk = area;
    /* Every extension is type, length in words (never 0), then its data. */
    while (uft_rd_left(&walk) > 0) {
        size_t at = walk.pos;
        if ((rc = uft_rd_u8(&walk, &type)) || (rc = uft_rd_u8(&walk, &words)))
            return rc == UFT_E_TRUNC ? UFT_E_LENGTH : rc;
        if (words == 0 || (size_t)words * 4 > area.len - at)
            return UFT_E_LENGTH;
        walk.pos = at + (size_t)words * 4;
        if (at == 0 && want != 0 && type == want) {
            uft_rd_init(known, area.buf, (size_t)words * 4);
            area.pos = walk.pos;
        }
    }
    rest->len = uft_rd_left(&area);
    rest->p = rest->len ? area.buf + area.pos : NULL;
    return 0;
}

int uft_msgi_ids(struct uft_rd *r, struct uft_ids *ids)
{
    size_t left = uft_rd_left(r);
    if (left % UFT_ID_LEN)
        return UFT_E_LENGTH;
    ids->n = left / UFT_ID_LEN;
    return uft_rd_view(r, left, &ids->p);
}

int uft_msgi_end(const struct uft_rd *r)
{
    return uft_rd_left(r) == 0 ? 0 : UFT_E_LENGTH;
}

int uft_msgi_enc_begin(struct uft_wr *w, uint8_t func, size_t *start)
{
    int rc;
    *start = w->len;
    if ((rc = uft_wr_u8(w, func)) || (rc = uft_wr_u8(w, 0)))
        return rc;
    return 0;
}

int uft_msgi_enc_hlen(struct uft_wr *w, size_t start)
{
    size_t n = w->len - start;
    if (n % 4 || n / 4 > 255)
        return UFT_E_VALUE;
    return uft_wr_patch_u8(w, start + 1, (uint8_t)(n / 4));
}

int uft_msgi_enc_bytes(struct uft_wr *w, struct uft_bytes b)
{
    return uft_wr_bytes(w, b.p, b.len);
}

int uft_msgi_enc_ids(struct uft_wr *w, struct uft_ids ids)
{
    if (ids.n > SIZE_MAX / UFT_ID_LEN)
        return UFT_E_VALUE;
    return uft_wr_bytes(w, ids.p, ids.n * UFT_ID_LEN);
}

int uft_msgi_len16(size_t len, uint16_t *out)
{
    if (len > UINT16_MAX)
        return UFT_E_VALUE;
    *out = (uint16_t)len;
    return 0;
}

int uft_msgi_dec_tfmcc_ack(struct uft_rd *x, struct uft_ext_tfmcc_ack *a)
{
    uint8_t type, words, reserved;
    int rc;
    if (x->len != 20)
        return UFT_E_LENGTH;
    if ((rc = uft_rd_u8(x, &type)) || (rc = uft_rd_u8(x, &words)) ||
        (rc = uft_rd_u8(x, &a->flags)) || (rc = uft_rd_u8(x, &reserved)) ||
        (rc = uft_rd_u16(x, &a->cc_seq)) || (rc = uft_rd_u16(x, &a->cc_rate)) ||
        (rc = uft_rd_u32(x, &a->client_id)) || (rc = uft_rd_u32(x, &a->tstamp_hi)) ||
        (rc = uft_rd_u32(x, &a->tstamp_lo)))
        return rc;
    return 0;
}

int uft_msgi_enc_tfmcc_ack(struct uft_wr *w, const struct uft_ext_tfmcc_ack *a)
{
    int rc;
    if ((rc = uft_wr_u8(w, UFT_EXT_TFMCC_ACK_INFO)) || (rc = uft_wr_u8(w, 5)) ||
        (rc = uft_wr_u8(w, a->flags)) || (rc = uft_wr_u8(w, 0)) ||
        (rc = uft_wr_u16(w, a->cc_seq)) || (rc = uft_wr_u16(w, a->cc_rate)) ||
        (rc = uft_wr_u32(w, a->client_id)) || (rc = uft_wr_u32(w, a->tstamp_hi)) ||
        (rc = uft_wr_u32(w, a->tstamp_lo)))
        return rc;
    return 0;
}
