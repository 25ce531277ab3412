/*
 * Body codecs for the transfer and completion messages: FILEINFO,
 * FILEINFO_ACK, FILESEG, DONE, STATUS, COMPLETE, ABORT, CONG_CTRL and
 * CC_ACK, with the TFMCC and free-space extensions.
 */
#include "core/msg_int.h"

#include <string.h>

#include "core/err.h"

/* A NUL-padded text field: the text ends at the first NUL or the field's
 * end, whichever comes first. */
static struct uft_bytes padded_text(const uint8_t *p, size_t field_len)
{
    struct uft_bytes b;
    const uint8_t *nul = field_len ? memchr(p, 0, field_len) : NULL;
    b.p = field_len ? p : NULL;
    b.len = nul ? (size_t)(nul - p) : field_len;
    return b;
}

/* Write a text padded with NULs to a whole number of words, as UFTP does
 * for file and link names (no NUL when the length is already a multiple
 * of 4). *words gets the field length in words. */
static int enc_padded_words(struct uft_wr *w, struct uft_bytes s, uint8_t words)
{
    int rc;
    if ((rc = uft_msgi_enc_bytes(w, s)))
        return rc;
    return uft_wr_zero(w, (size_t)words * 4 - s.len);
}

static int words_for(size_t len, uint8_t *words)
{
    size_t n = (len + 3) / 4;
    if (n > 255)
        return UFT_E_VALUE;
    *words = (uint8_t)n;
    return 0;
}

/* FILEINFO: UFTP clients require the header to be exactly the fixed part
 * plus the name and link fields, so FILEINFO never carries extensions. */
int uft_msgi_dec_fileinfo(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_fileinfo *f = &m->u.fileinfo;
    const uint8_t *name, *link;
    uint8_t reserved, namelen, linklen;
    uint16_t size_hi;
    uint32_t size_lo;
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_FILEINFO, 28, &hbytes)))
        return rc;
    if ((rc = uft_rd_u16(r, &f->file_id)) || (rc = uft_rd_u8(r, &f->ftype)) ||
        (rc = uft_rd_u8(r, &reserved)) || (rc = uft_rd_u16(r, &f->ftstamp_hi)) ||
        (rc = uft_rd_u8(r, &namelen)) || (rc = uft_rd_u8(r, &linklen)) ||
        (rc = uft_rd_u16(r, &size_hi)) || (rc = uft_rd_u32(r, &size_lo)) ||
        (rc = uft_rd_u32(r, &f->ftstamp_lo)) || (rc = uft_rd_u32(r, &f->tstamp_hi)) ||
        (rc = uft_rd_u32(r, &f->tstamp_lo)))
        return rc;
    f->fsize = (uint64_t)size_hi << 32 | size_lo;
    if (hbytes != 28 + (size_t)namelen * 4 + (size_t)linklen * 4)
        return UFT_E_LENGTH;
    if ((rc = uft_rd_view(r, (size_t)namelen * 4, &name)) ||
        (rc = uft_rd_view(r, (size_t)linklen * 4, &link)))
        return rc;
    f->name = padded_text(name, (size_t)namelen * 4);
    f->link = padded_text(link, (size_t)linklen * 4);
    return uft_msgi_ids(r, &f->ids);
}

int uft_msgi_enc_fileinfo(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_fileinfo *f = &m->u.fileinfo;
    uint8_t namelen, linklen;
    size_t start;
    int rc;
    (void)ver;
    if (f->fsize >> 48)
        return UFT_E_VALUE;
    if ((rc = words_for(f->name.len, &namelen)) || (rc = words_for(f->link.len, &linklen)))
        return rc;
    if ((rc = uft_msgi_enc_begin(w, UFT_FILEINFO, &start)) || (rc = uft_wr_u16(w, f->file_id)) ||
        (rc = uft_wr_u8(w, f->ftype)) || (rc = uft_wr_u8(w, 0)) ||
        (rc = uft_wr_u16(w, f->ftstamp_hi)) || (rc = uft_wr_u8(w, namelen)) ||
        (rc = uft_wr_u8(w, linklen)) || (rc = uft_wr_u16(w, (uint16_t)(f->fsize >> 32))) ||
        (rc = uft_wr_u32(w, (uint32_t)f->fsize)) || (rc = uft_wr_u32(w, f->ftstamp_lo)) ||
        (rc = uft_wr_u32(w, f->tstamp_hi)) || (rc = uft_wr_u32(w, f->tstamp_lo)) ||
        (rc = enc_padded_words(w, f->name, namelen)) ||
        (rc = enc_padded_words(w, f->link, linklen)) || (rc = uft_msgi_enc_hlen(w, start)))
        return rc;
    return uft_msgi_enc_ids(w, f->ids);
}

int uft_msgi_dec_fileinfo_ack(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_fileinfo_ack *a = &m->u.fileinfo_ack;
    struct uft_rd ext;
    uint8_t reserved1;
    uint16_t reserved2;
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_FILEINFO_ACK, 16, &hbytes)) ||
        (rc = uft_rd_u16(r, &a->file_id)) || (rc = uft_rd_u8(r, &a->flags)) ||
        (rc = uft_rd_u8(r, &reserved1)) || (rc = uft_rd_u16(r, &reserved2)) ||
        (rc = uft_rd_u32(r, &a->tstamp_hi)) || (rc = uft_rd_u32(r, &a->tstamp_lo)) ||
        (rc = uft_msgi_exts(r, hbytes, 0, &ext, &a->ext_rest)))
        return rc;
    return uft_msgi_ids(r, &a->ids);
}

int uft_msgi_enc_fileinfo_ack(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_fileinfo_ack *a = &m->u.fileinfo_ack;
    size_t start;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_enc_begin(w, UFT_FILEINFO_ACK, &start)) ||
        (rc = uft_wr_u16(w, a->file_id)) || (rc = uft_wr_u8(w, a->flags)) ||
        (rc = uft_wr_u8(w, 0)) || (rc = uft_wr_u16(w, 0)) || (rc = uft_wr_u32(w, a->tstamp_hi)) ||
        (rc = uft_wr_u32(w, a->tstamp_lo)) || (rc = uft_msgi_enc_bytes(w, a->ext_rest)) ||
        (rc = uft_msgi_enc_hlen(w, start)))
        return rc;
    return uft_msgi_enc_ids(w, a->ids);
}

int uft_msgi_dec_fileseg(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_fileseg *s = &m->u.fileseg;
    struct uft_rd ext;
    uint8_t type, words;
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_FILESEG, 8, &hbytes)) || (rc = uft_rd_u16(r, &s->file_id)) ||
        (rc = uft_rd_u16(r, &s->section)) || (rc = uft_rd_u16(r, &s->sec_block)) ||
        (rc = uft_msgi_exts(r, hbytes, UFT_EXT_TFMCC_DATA_INFO, &ext, &s->ext_rest)))
        return rc;
    if (ext.len) {
        if (ext.len != 8)
            return UFT_E_LENGTH;
        s->has_tfmcc = true;
        if ((rc = uft_rd_u8(&ext, &type)) || (rc = uft_rd_u8(&ext, &words)) ||
            (rc = uft_rd_u16(&ext, &s->tfmcc.send_rate)) ||
            (rc = uft_rd_u16(&ext, &s->tfmcc.cc_seq)) || (rc = uft_rd_u16(&ext, &s->tfmcc.cc_rate)))
            return rc;
    }
    s->data.len = uft_rd_left(r);
    return uft_rd_view(r, s->data.len, &s->data.p);
}

int uft_msgi_enc_fileseg(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_fileseg *s = &m->u.fileseg;
    size_t start;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_enc_begin(w, UFT_FILESEG, &start)) || (rc = uft_wr_u16(w, s->file_id)) ||
        (rc = uft_wr_u16(w, s->section)) || (rc = uft_wr_u16(w, s->sec_block)))
        return rc;
    if (s->has_tfmcc &&
        ((rc = uft_wr_u8(w, UFT_EXT_TFMCC_DATA_INFO)) || (rc = uft_wr_u8(w, 2)) ||
         (rc = uft_wr_u16(w, s->tfmcc.send_rate)) || (rc = uft_wr_u16(w, s->tfmcc.cc_seq)) ||
         (rc = uft_wr_u16(w, s->tfmcc.cc_rate))))
        return rc;
    if ((rc = uft_msgi_enc_bytes(w, s->ext_rest)) || (rc = uft_msgi_enc_hlen(w, start)))
        return rc;
    return uft_msgi_enc_bytes(w, s->data);
}

int uft_msgi_dec_done(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_done *d = &m->u.done;
    struct uft_rd ext;
    uint16_t reserved;
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_DONE, 8, &hbytes)) || (rc = uft_rd_u16(r, &d->file_id)) ||
        (rc = uft_rd_u16(r, &d->section)) || (rc = uft_rd_u16(r, &reserved)) ||
        (rc = uft_msgi_exts(r, hbytes, 0, &ext, &d->ext_rest)))
        return rc;
    return uft_msgi_ids(r, &d->ids);
}

int uft_msgi_enc_done(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_done *d = &m->u.done;
    size_t start;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_enc_begin(w, UFT_DONE, &start)) || (rc = uft_wr_u16(w, d->file_id)) ||
        (rc = uft_wr_u16(w, d->section)) || (rc = uft_wr_u16(w, 0)) ||
        (rc = uft_msgi_enc_bytes(w, d->ext_rest)) || (rc = uft_msgi_enc_hlen(w, start)))
        return rc;
    return uft_msgi_enc_ids(w, d->ids);
}

int uft_msgi_dec_status(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_status *s = &m->u.status;
    struct uft_rd ext;
    uint16_t reserved;
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_STATUS, 8, &hbytes)) || (rc = uft_rd_u16(r, &s->file_id)) ||
        (rc = uft_rd_u16(r, &s->section)) || (rc = uft_rd_u16(r, &reserved)) ||
        (rc = uft_msgi_exts(r, hbytes, UFT_EXT_TFMCC_ACK_INFO, &ext, &s->ext_rest)))
        return rc;
    if (ext.len) {
        s->has_tfmcc = true;
        if ((rc = uft_msgi_dec_tfmcc_ack(&ext, &s->tfmcc)))
            return rc;
    }
    s->naks.len = uft_rd_left(r);
    return uft_rd_view(r, s->naks.len, &s->naks.p);
}

int uft_msgi_enc_status(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_status *s = &m->u.status;
    size_t start;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_enc_begin(w, UFT_STATUS, &start)) || (rc = uft_wr_u16(w, s->file_id)) ||
        (rc = uft_wr_u16(w, s->section)) || (rc = uft_wr_u16(w, 0)))
        return rc;
    if (s->has_tfmcc && (rc = uft_msgi_enc_tfmcc_ack(w, &s->tfmcc)))
        return rc;
    if ((rc = uft_msgi_enc_bytes(w, s->ext_rest)) || (rc = uft_msgi_enc_hlen(w, start)))
        return rc;
    return uft_msgi_enc_bytes(w, s->naks);
}

int uft_msgi_dec_complete(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_complete *c = &m->u.complete;
    struct uft_rd ext;
    uint8_t reserved1, type, words;
    uint16_t reserved2;
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_COMPLETE, 8, &hbytes)) || (rc = uft_rd_u16(r, &c->file_id)) ||
        (rc = uft_rd_u8(r, &c->status)) || (rc = uft_rd_u8(r, &reserved1)) ||
        (rc = uft_rd_u16(r, &reserved2)) ||
        (rc = uft_msgi_exts(r, hbytes, UFT_EXT_FREESPACE_INFO, &ext, &c->ext_rest)))
        return rc;
    if (ext.len) {
        if (ext.len != 12)
            return UFT_E_LENGTH;
        c->has_freespace = true;
        if ((rc = uft_rd_u8(&ext, &type)) || (rc = uft_rd_u8(&ext, &words)) ||
            (rc = uft_rd_u16(&ext, &reserved2)) ||
            (rc = uft_rd_u64(&ext, &c->freespace.free_bytes)))
            return rc;
    }
    return uft_msgi_ids(r, &c->ids);
}

int uft_msgi_enc_complete(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_complete *c = &m->u.complete;
    size_t start;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_enc_begin(w, UFT_COMPLETE, &start)) || (rc = uft_wr_u16(w, c->file_id)) ||
        (rc = uft_wr_u8(w, c->status)) || (rc = uft_wr_u8(w, 0)) || (rc = uft_wr_u16(w, 0)))
        return rc;
    if (c->has_freespace &&
        ((rc = uft_wr_u8(w, UFT_EXT_FREESPACE_INFO)) || (rc = uft_wr_u8(w, 3)) ||
         (rc = uft_wr_u16(w, 0)) || (rc = uft_wr_u64(w, c->freespace.free_bytes))))
        return rc;
    if ((rc = uft_msgi_enc_bytes(w, c->ext_rest)) || (rc = uft_msgi_enc_hlen(w, start)))
        return rc;
    return uft_msgi_enc_ids(w, c->ids);
}

int uft_msgi_dec_abort(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_abort *a = &m->u.abort;
    struct uft_rd ext;
    struct uft_bytes rest;
    const uint8_t *text;
    uint8_t reserved;
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_ABORT, 8 + UFT_ABORT_TEXT_LEN, &hbytes)) ||
        (rc = uft_rd_u8(r, &a->flags)) || (rc = uft_rd_u8(r, &reserved)) ||
        (rc = uft_rd_u32(r, &a->host)) || (rc = uft_rd_view(r, UFT_ABORT_TEXT_LEN, &text)))
        return rc;
    a->text = padded_text(text, UFT_ABORT_TEXT_LEN);
    /* UFTP's ABORT is exactly 308 bytes; anything longer is not UFTP's. */
    if ((rc = uft_msgi_exts(r, hbytes, 0, &ext, &rest)))
        return rc;
    if (rest.len)
        return UFT_E_LENGTH;
    return uft_msgi_end(r);
}

int uft_msgi_enc_abort(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_abort *a = &m->u.abort;
    size_t start;
    int rc;
    (void)ver;
    if (a->text.len > UFT_ABORT_TEXT_LEN)
        return UFT_E_VALUE;
    if ((rc = uft_msgi_enc_begin(w, UFT_ABORT, &start)) || (rc = uft_wr_u8(w, a->flags)) ||
        (rc = uft_wr_u8(w, 0)) || (rc = uft_wr_u32(w, a->host)) ||
        (rc = uft_msgi_enc_bytes(w, a->text)) ||
        (rc = uft_wr_zero(w, UFT_ABORT_TEXT_LEN - a->text.len)))
        return rc;
    return uft_msgi_enc_hlen(w, start);
}

int uft_msgi_dec_cong_ctrl(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_cong_ctrl *c = &m->u.cong_ctrl;
    struct uft_rd ext;
    uint16_t reserved;
    size_t hbytes, left;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_CONG_CTRL, 16, &hbytes)) || (rc = uft_rd_u16(r, &reserved)) ||
        (rc = uft_rd_u16(r, &c->cc_seq)) || (rc = uft_rd_u16(r, &c->cc_rate)) ||
        (rc = uft_rd_u32(r, &c->tstamp_hi)) || (rc = uft_rd_u32(r, &c->tstamp_lo)) ||
        (rc = uft_msgi_exts(r, hbytes, 0, &ext, &c->ext_rest)))
        return rc;
    left = uft_rd_left(r);
    if (left % UFT_CC_ITEM_LEN)
        return UFT_E_LENGTH;
    c->items.n = left / UFT_CC_ITEM_LEN;
    return uft_rd_view(r, left, &c->items.p);
}

int uft_msgi_enc_cong_ctrl(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_cong_ctrl *c = &m->u.cong_ctrl;
    size_t start;
    int rc;
    (void)ver;
    if (c->items.n > SIZE_MAX / UFT_CC_ITEM_LEN)
        return UFT_E_VALUE;
    if ((rc = uft_msgi_enc_begin(w, UFT_CONG_CTRL, &start)) || (rc = uft_wr_u16(w, 0)) ||
        (rc = uft_wr_u16(w, c->cc_seq)) || (rc = uft_wr_u16(w, c->cc_rate)) ||
        (rc = uft_wr_u32(w, c->tstamp_hi)) || (rc = uft_wr_u32(w, c->tstamp_lo)) ||
        (rc = uft_msgi_enc_bytes(w, c->ext_rest)) || (rc = uft_msgi_enc_hlen(w, start)))
        return rc;
    return uft_wr_bytes(w, c->items.p, c->items.n * UFT_CC_ITEM_LEN);
}

int uft_msgi_dec_cc_ack(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_cc_ack *c = &m->u.cc_ack;
    struct uft_rd ext;
    uint16_t reserved;
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_CC_ACK, 4, &hbytes)) || (rc = uft_rd_u16(r, &reserved)) ||
        (rc = uft_msgi_exts(r, hbytes, UFT_EXT_TFMCC_ACK_INFO, &ext, &c->ext_rest)))
        return rc;
    if (ext.len) {
        c->has_tfmcc = true;
        if ((rc = uft_msgi_dec_tfmcc_ack(&ext, &c->tfmcc)))
            return rc;
    }
    return uft_msgi_end(r);
}

int uft_msgi_enc_cc_ack(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_cc_ack *c = &m->u.cc_ack;
    size_t start;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_enc_begin(w, UFT_CC_ACK, &start)) || (rc = uft_wr_u16(w, 0)))
        return rc;
    if (c->has_tfmcc && (rc = uft_msgi_enc_tfmcc_ack(w, &c->tfmcc)))
        return rc;
    if ((rc = uft_msgi_enc_bytes(w, c->ext_rest)))
        return rc;
    return uft_msgi_enc_hlen(w, start);
}
