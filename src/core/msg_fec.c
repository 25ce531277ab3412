/*
 * Body codecs for ufcast's own message types, which no UFTP version
 * defines: FEC_INFO, FEC_HELLO, FEC_PARITY and FILE_HASH (their layout and
 * why plain UFTP peers ignore them: docs/protocol-notes.md). Each has a
 * fixed part of whole words; extensions after it (none are defined) are
 * kept in no field and skipped, so a later version can add one.
 */
#include "core/msg_int.h"

#include "core/err.h"

/* Skip the extension area up to hbytes; it must be a well-formed chain. */
static int skip_exts(struct uft_rd *r, size_t hbytes)
{
    struct uft_rd known;
    struct uft_bytes rest;
    return uft_msgi_exts(r, hbytes, 0, &known, &rest);
}

int uft_msgi_dec_fec_info(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_fec_info *f = &m->u.fec_info;
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_FEC_INFO, 8, &hbytes)) || (rc = uft_rd_u16(r, &f->file_id)) ||
        (rc = uft_rd_u8(r, &f->flags)) || (rc = uft_rd_u8(r, &f->k)) ||
        (rc = uft_rd_u8(r, &f->order)) || (rc = uft_rd_u8(r, &f->m)) || (rc = skip_exts(r, hbytes)))
        return rc;
    if ((f->flags & UFT_FECF_PARITY) && f->k == 0)
        return UFT_E_VALUE;
    return uft_msgi_end(r);
}

int uft_msgi_enc_fec_info(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_fec_info *f = &m->u.fec_info;
    size_t start;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_enc_begin(w, UFT_FEC_INFO, &start)) || (rc = uft_wr_u16(w, f->file_id)) ||
        (rc = uft_wr_u8(w, f->flags)) || (rc = uft_wr_u8(w, f->k)) ||
        (rc = uft_wr_u8(w, f->order)) || (rc = uft_wr_u8(w, f->m)))
        return rc;
    return uft_msgi_enc_hlen(w, start);
}

int uft_msgi_dec_fec_hello(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_fec_hello *h = &m->u.fec_hello;
    uint8_t reserved[3];
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_FEC_HELLO, 8, &hbytes)) || (rc = uft_rd_u16(r, &h->file_id)) ||
        (rc = uft_rd_u8(r, &h->flags)) || (rc = uft_rd_u8(r, &reserved[0])) ||
        (rc = uft_rd_u8(r, &reserved[1])) || (rc = uft_rd_u8(r, &reserved[2])) ||
        (rc = skip_exts(r, hbytes)))
        return rc;
    return uft_msgi_end(r);
}

int uft_msgi_enc_fec_hello(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_fec_hello *h = &m->u.fec_hello;
    size_t start;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_enc_begin(w, UFT_FEC_HELLO, &start)) || (rc = uft_wr_u16(w, h->file_id)) ||
        (rc = uft_wr_u8(w, h->flags)) || (rc = uft_wr_zero(w, 3)))
        return rc;
    return uft_msgi_enc_hlen(w, start);
}

/* FEC_PARITY: the parity block follows the header; a row of a group can
 * only be made for n + row <= 255 (fec.h), which the receiver checks
 * against its layout. */
int uft_msgi_dec_fec_parity(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_fec_parity *p = &m->u.fec_parity;
    uint8_t reserved[3];
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_FEC_PARITY, 16, &hbytes)) ||
        (rc = uft_rd_u16(r, &p->file_id)) || (rc = uft_rd_u16(r, &p->section)) ||
        (rc = uft_rd_u8(r, &p->k)) || (rc = uft_rd_u8(r, &p->order)) ||
        (rc = uft_rd_u32(r, &p->group)) || (rc = uft_rd_u8(r, &p->row)) ||
        (rc = uft_rd_u8(r, &reserved[0])) || (rc = uft_rd_u8(r, &reserved[1])) ||
        (rc = uft_rd_u8(r, &reserved[2])) || (rc = skip_exts(r, hbytes)))
        return rc;
    if (p->k == 0)
        return UFT_E_VALUE;
    p->data.len = uft_rd_left(r);
    if (p->data.len == 0)
        return UFT_E_LENGTH;
    return uft_rd_view(r, p->data.len, &p->data.p);
}

int uft_msgi_enc_fec_parity(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_fec_parity *p = &m->u.fec_parity;
    size_t start;
    int rc;
    (void)ver;
    if (p->k == 0 || p->data.len == 0)
        return UFT_E_VALUE;
    if ((rc = uft_msgi_enc_begin(w, UFT_FEC_PARITY, &start)) || (rc = uft_wr_u16(w, p->file_id)) ||
        (rc = uft_wr_u16(w, p->section)) || (rc = uft_wr_u8(w, p->k)) ||
        (rc = uft_wr_u8(w, p->order)) || (rc = uft_wr_u32(w, p->group)) ||
        (rc = uft_wr_u8(w, p->row)) || (rc = uft_wr_zero(w, 3)) ||
        (rc = uft_msgi_enc_hlen(w, start)))
        return rc;
    return uft_msgi_enc_bytes(w, p->data);
}

/* FILE_HASH: file_id, hash type, 3 reserved, then the digest to the end;
 * only SHA-256 is defined. */
int uft_msgi_dec_file_hash(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_file_hash *h = &m->u.file_hash;
    uint8_t reserved[3];
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_FILE_HASH, 8, &hbytes)) || (rc = uft_rd_u16(r, &h->file_id)) ||
        (rc = uft_rd_u8(r, &h->hashtype)) || (rc = uft_rd_u8(r, &reserved[0])) ||
        (rc = uft_rd_u8(r, &reserved[1])) || (rc = uft_rd_u8(r, &reserved[2])) ||
        (rc = skip_exts(r, hbytes)))
        return rc;
    if (h->hashtype != UFT_HASH_SHA256)
        return UFT_E_VALUE;
    if (uft_rd_left(r) != UFT_FILE_HASH_LEN)
        return UFT_E_LENGTH;
    h->hash.len = UFT_FILE_HASH_LEN;
    return uft_rd_view(r, h->hash.len, &h->hash.p);
}

int uft_msgi_enc_file_hash(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_file_hash *h = &m->u.file_hash;
    size_t start;
    int rc;
    (void)ver;
    if (h->hashtype != UFT_HASH_SHA256 || h->hash.len != UFT_FILE_HASH_LEN)
        return UFT_E_VALUE;
    if ((rc = uft_msgi_enc_begin(w, UFT_FILE_HASH, &start)) || (rc = uft_wr_u16(w, h->file_id)) ||
        (rc = uft_wr_u8(w, h->hashtype)) || (rc = uft_wr_zero(w, 3)) ||
        (rc = uft_msgi_enc_hlen(w, start)))
        return rc;
    return uft_msgi_enc_bytes(w, h->hash);
}
