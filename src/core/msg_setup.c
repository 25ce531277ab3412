/*
 * Body codecs for the session set-up messages: ANNOUNCE (with
 * EXT_ENC_INFO), REGISTER, CLIENT_KEY, REG_CONF, KEYINFO, KEYINFO_ACK,
 * PROXY_KEY, KEY_REQ and the heartbeats. Field order and sizes follow
 * protocol.txt of UFTP 5.0.1 and 4.x; where UFTP's code and text differ,
 * the code's layout is used (see docs/protocol-notes.md).
 */
#include "core/msg_int.h"

#include <string.h>

#include "core/err.h"

/* EXT_ENC_INFO: 44 fixed bytes, then the three blobs. UFTP requires the
 * extension length to be exactly the sum of its parts. */
static int dec_enc_info(struct uft_rd *x, struct uft_ext_enc_info *e)
{
    uint8_t type, words;
    uint16_t keylen, dhlen, siglen;
    int rc;
    if ((rc = uft_rd_u8(x, &type)) || (rc = uft_rd_u8(x, &words)) ||
        (rc = uft_rd_u8(x, &e->flags)) || (rc = uft_rd_u8(x, &e->keyex_sig)) ||
        (rc = uft_rd_u8(x, &e->keytype)) || (rc = uft_rd_u8(x, &e->hashtype)) ||
        (rc = uft_rd_u16(x, &keylen)) || (rc = uft_rd_u16(x, &dhlen)) ||
        (rc = uft_rd_u16(x, &siglen)) || (rc = uft_rd_copy(x, e->rand1, UFT_RAND_LEN)))
        return rc == UFT_E_TRUNC ? UFT_E_LENGTH : rc;
    if ((size_t)44 + keylen + dhlen + siglen != x->len)
        return UFT_E_LENGTH;
    e->keyblob.len = keylen;
    e->dhblob.len = dhlen;
    e->sig.len = siglen;
    if ((rc = uft_rd_view(x, keylen, &e->keyblob.p)) ||
        (rc = uft_rd_view(x, dhlen, &e->dhblob.p)) || (rc = uft_rd_view(x, siglen, &e->sig.p)))
        return rc;
    return 0;
}

static int enc_enc_info(struct uft_wr *w, const struct uft_ext_enc_info *e)
{
    size_t total = 44 + e->keyblob.len + e->dhblob.len + e->sig.len;
    uint16_t keylen, dhlen, siglen;
    int rc;
    if (total % 4 || total / 4 > 255)
        return UFT_E_VALUE;
    if ((rc = uft_msgi_len16(e->keyblob.len, &keylen)) ||
        (rc = uft_msgi_len16(e->dhblob.len, &dhlen)) || (rc = uft_msgi_len16(e->sig.len, &siglen)))
        return rc;
    if ((rc = uft_wr_u8(w, UFT_EXT_ENC_INFO)) || (rc = uft_wr_u8(w, (uint8_t)(total / 4))) ||
        (rc = uft_wr_u8(w, e->flags)) || (rc = uft_wr_u8(w, e->keyex_sig)) ||
        (rc = uft_wr_u8(w, e->keytype)) || (rc = uft_wr_u8(w, e->hashtype)) ||
        (rc = uft_wr_u16(w, keylen)) || (rc = uft_wr_u16(w, dhlen)) ||
        (rc = uft_wr_u16(w, siglen)) || (rc = uft_wr_bytes(w, e->rand1, UFT_RAND_LEN)) ||
        (rc = uft_msgi_enc_bytes(w, e->keyblob)) || (rc = uft_msgi_enc_bytes(w, e->dhblob)) ||
        (rc = uft_msgi_enc_bytes(w, e->sig)))
        return rc;
    return 0;
}

int uft_msgi_dec_announce(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_announce *a = &m->u.announce;
    struct uft_rd ext;
    uint8_t reserved;
    size_t hbytes, alen;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_ANNOUNCE, 16, &hbytes)))
        return rc;
    if ((rc = uft_rd_u8(r, &a->flags)) || (rc = uft_rd_u8(r, &a->robust)) ||
        (rc = uft_rd_u8(r, &a->cc_type)) || (rc = uft_rd_u8(r, &reserved)) ||
        (rc = uft_rd_u16(r, &a->blocksize)) || (rc = uft_rd_u32(r, &a->tstamp_hi)) ||
        (rc = uft_rd_u32(r, &a->tstamp_lo)))
        return rc;
    alen = (a->flags & UFT_ANN_IPV6) ? 16 : 4;
    if (hbytes < 16 + 2 * alen)
        return UFT_E_LENGTH;
    if ((rc = uft_rd_copy(r, a->pub_addr, alen)) || (rc = uft_rd_copy(r, a->priv_addr, alen)))
        return rc;
    if ((rc = uft_msgi_exts(r, hbytes, UFT_EXT_ENC_INFO, &ext, &a->ext_rest)))
        return rc;
    if (ext.len) {
        a->has_enc = true;
        if ((rc = dec_enc_info(&ext, &a->enc)))
            return rc;
    }
    return uft_msgi_ids(r, &a->ids);
}

int uft_msgi_enc_announce(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_announce *a = &m->u.announce;
    size_t start, alen = (a->flags & UFT_ANN_IPV6) ? 16 : 4;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_enc_begin(w, UFT_ANNOUNCE, &start)) || (rc = uft_wr_u8(w, a->flags)) ||
        (rc = uft_wr_u8(w, a->robust)) || (rc = uft_wr_u8(w, a->cc_type)) ||
        (rc = uft_wr_u8(w, 0)) || (rc = uft_wr_u16(w, a->blocksize)) ||
        (rc = uft_wr_u32(w, a->tstamp_hi)) || (rc = uft_wr_u32(w, a->tstamp_lo)) ||
        (rc = uft_wr_bytes(w, a->pub_addr, alen)) || (rc = uft_wr_bytes(w, a->priv_addr, alen)))
        return rc;
    if (a->has_enc && (rc = enc_enc_info(w, &a->enc)))
        return rc;
    if ((rc = uft_msgi_enc_bytes(w, a->ext_rest)) || (rc = uft_msgi_enc_hlen(w, start)))
        return rc;
    return uft_msgi_enc_ids(w, a->ids);
}

int uft_msgi_dec_register(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_register *g = &m->u.reg;
    struct uft_rd ext;
    uint16_t klen;
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_REGISTER, 44, &hbytes)))
        return rc;
    if ((rc = uft_rd_u16(r, &klen)) || (rc = uft_rd_u32(r, &g->tstamp_hi)) ||
        (rc = uft_rd_u32(r, &g->tstamp_lo)) || (rc = uft_rd_copy(r, g->rand2, UFT_RAND_LEN)))
        return rc;
    if ((size_t)44 + klen > hbytes)
        return UFT_E_LENGTH;
    g->keyinfo.len = klen;
    if ((rc = uft_rd_view(r, klen, &g->keyinfo.p)) ||
        (rc = uft_msgi_exts(r, hbytes, 0, &ext, &g->ext_rest)))
        return rc;
    return uft_msgi_ids(r, &g->ids);
}

int uft_msgi_enc_register(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_register *g = &m->u.reg;
    uint16_t klen;
    size_t start;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_len16(g->keyinfo.len, &klen)))
        return rc;
    if ((rc = uft_msgi_enc_begin(w, UFT_REGISTER, &start)) || (rc = uft_wr_u16(w, klen)) ||
        (rc = uft_wr_u32(w, g->tstamp_hi)) || (rc = uft_wr_u32(w, g->tstamp_lo)) ||
        (rc = uft_wr_bytes(w, g->rand2, UFT_RAND_LEN)) ||
        (rc = uft_msgi_enc_bytes(w, g->keyinfo)) || (rc = uft_msgi_enc_bytes(w, g->ext_rest)) ||
        (rc = uft_msgi_enc_hlen(w, start)))
        return rc;
    return uft_msgi_enc_ids(w, g->ids);
}

int uft_msgi_dec_client_key(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_client_key *c = &m->u.client_key;
    struct uft_rd ext;
    uint16_t reserved, blen, slen;
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_CLIENT_KEY, 8, &hbytes)))
        return rc;
    if ((rc = uft_rd_u16(r, &reserved)) || (rc = uft_rd_u16(r, &blen)) ||
        (rc = uft_rd_u16(r, &slen)))
        return rc;
    if ((size_t)8 + blen + slen > hbytes)
        return UFT_E_LENGTH;
    c->keyblob.len = blen;
    c->sig.len = slen;
    if ((rc = uft_rd_view(r, blen, &c->keyblob.p)) || (rc = uft_rd_view(r, slen, &c->sig.p)) ||
        (rc = uft_msgi_exts(r, hbytes, 0, &ext, &c->ext_rest)))
        return rc;
    return uft_msgi_end(r);
}

int uft_msgi_enc_client_key(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_client_key *c = &m->u.client_key;
    uint16_t blen, slen;
    size_t start;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_len16(c->keyblob.len, &blen)) || (rc = uft_msgi_len16(c->sig.len, &slen)))
        return rc;
    if ((rc = uft_msgi_enc_begin(w, UFT_CLIENT_KEY, &start)) || (rc = uft_wr_u16(w, 0)) ||
        (rc = uft_wr_u16(w, blen)) || (rc = uft_wr_u16(w, slen)) ||
        (rc = uft_msgi_enc_bytes(w, c->keyblob)) || (rc = uft_msgi_enc_bytes(w, c->sig)) ||
        (rc = uft_msgi_enc_bytes(w, c->ext_rest)))
        return rc;
    return uft_msgi_enc_hlen(w, start);
}

/* REG_CONF and DONE_CONF share one shape: 4 bytes, extensions, IDs. */
static int dec_idlist_msg(uint8_t func, struct uft_rd *r, struct uft_bytes *rest,
                          struct uft_ids *ids)
{
    struct uft_rd ext;
    uint16_t reserved;
    size_t hbytes;
    int rc;
    if ((rc = uft_msgi_begin(r, func, 4, &hbytes)) || (rc = uft_rd_u16(r, &reserved)) ||
        (rc = uft_msgi_exts(r, hbytes, 0, &ext, rest)))
        return rc;
    return uft_msgi_ids(r, ids);
}

static int enc_idlist_msg(uint8_t func, struct uft_wr *w, struct uft_bytes rest, struct uft_ids ids)
{
    size_t start;
    int rc;
    if ((rc = uft_msgi_enc_begin(w, func, &start)) || (rc = uft_wr_u16(w, 0)) ||
        (rc = uft_msgi_enc_bytes(w, rest)) || (rc = uft_msgi_enc_hlen(w, start)))
        return rc;
    return uft_msgi_enc_ids(w, ids);
}

int uft_msgi_dec_reg_conf(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    (void)ver;
    return dec_idlist_msg(UFT_REG_CONF, r, &m->u.reg_conf.ext_rest, &m->u.reg_conf.ids);
}

int uft_msgi_enc_reg_conf(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    (void)ver;
    return enc_idlist_msg(UFT_REG_CONF, w, m->u.reg_conf.ext_rest, m->u.reg_conf.ids);
}

int uft_msgi_dec_done_conf(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    (void)ver;
    return dec_idlist_msg(UFT_DONE_CONF, r, &m->u.done_conf.ext_rest, &m->u.done_conf.ids);
}

int uft_msgi_enc_done_conf(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    (void)ver;
    return enc_idlist_msg(UFT_DONE_CONF, w, m->u.done_conf.ext_rest, m->u.done_conf.ids);
}

/* KEYINFO: in v4 the signature-length word is reserved and there is no
 * signature; the entries of 52 bytes start at hlen*4 in both versions. */
int uft_msgi_dec_keyinfo(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_keyinfo *k = &m->u.keyinfo;
    struct uft_rd ext;
    uint16_t slen;
    size_t hbytes, left;
    int rc;
    if ((rc = uft_msgi_begin(r, UFT_KEYINFO, 12, &hbytes)))
        return rc;
    if ((rc = uft_rd_u16(r, &slen)) || (rc = uft_rd_u64(r, &k->iv_ctr)))
        return rc;
    if (ver == UFT_VER4)
        slen = 0;
    if ((size_t)12 + slen > hbytes)
        return UFT_E_LENGTH;
    k->sig.len = slen;
    if ((rc = uft_rd_view(r, slen, &k->sig.p)) ||
        (rc = uft_msgi_exts(r, hbytes, 0, &ext, &k->ext_rest)))
        return rc;
    left = uft_rd_left(r);
    if (left % UFT_DESTKEY_LEN)
        return UFT_E_LENGTH;
    k->keys.n = left / UFT_DESTKEY_LEN;
    return uft_rd_view(r, left, &k->keys.p);
}

int uft_msgi_enc_keyinfo(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_keyinfo *k = &m->u.keyinfo;
    uint16_t slen;
    size_t start;
    int rc;
    if (ver == UFT_VER4 && k->sig.len)
        return UFT_E_VALUE;
    if ((rc = uft_msgi_len16(k->sig.len, &slen)))
        return rc;
    if (k->keys.n > SIZE_MAX / UFT_DESTKEY_LEN)
        return UFT_E_VALUE;
    if ((rc = uft_msgi_enc_begin(w, UFT_KEYINFO, &start)) || (rc = uft_wr_u16(w, slen)) ||
        (rc = uft_wr_u64(w, k->iv_ctr)) || (rc = uft_msgi_enc_bytes(w, k->sig)) ||
        (rc = uft_msgi_enc_bytes(w, k->ext_rest)) || (rc = uft_msgi_enc_hlen(w, start)))
        return rc;
    return uft_wr_bytes(w, k->keys.p, k->keys.n * UFT_DESTKEY_LEN);
}

/* KEYINFO_ACK: the verify data fills the header after the first word. Its
 * length field is kept as sent: UFTP 5 never sets it, UFTP 4 reserves it. */
int uft_msgi_dec_keyinfo_ack(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_keyinfo_ack *k = &m->u.keyinfo_ack;
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_KEYINFO_ACK, 4, &hbytes)) ||
        (rc = uft_rd_u16(r, &k->verify_len_field)))
        return rc;
    k->verify.len = hbytes - 4;
    if ((rc = uft_rd_view(r, k->verify.len, &k->verify.p)))
        return rc;
    return uft_msgi_end(r);
}

int uft_msgi_enc_keyinfo_ack(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_keyinfo_ack *k = &m->u.keyinfo_ack;
    size_t start;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_enc_begin(w, UFT_KEYINFO_ACK, &start)) ||
        (rc = uft_wr_u16(w, k->verify_len_field)) || (rc = uft_msgi_enc_bytes(w, k->verify)))
        return rc;
    return uft_msgi_enc_hlen(w, start);
}

int uft_msgi_dec_hb_req(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_hb_req *h = &m->u.hb_req;
    struct uft_rd ext;
    uint16_t reserved, blen, slen;
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_HB_REQ, 12, &hbytes)))
        return rc;
    if ((rc = uft_rd_u16(r, &reserved)) || (rc = uft_rd_u16(r, &blen)) ||
        (rc = uft_rd_u16(r, &slen)) || (rc = uft_rd_u32(r, &h->nonce)))
        return rc;
    if ((size_t)12 + blen + slen > hbytes)
        return UFT_E_LENGTH;
    h->keyblob.len = blen;
    h->sig.len = slen;
    if ((rc = uft_rd_view(r, blen, &h->keyblob.p)) || (rc = uft_rd_view(r, slen, &h->sig.p)) ||
        (rc = uft_msgi_exts(r, hbytes, 0, &ext, &h->ext_rest)))
        return rc;
    return uft_msgi_end(r);
}

int uft_msgi_enc_hb_req(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_hb_req *h = &m->u.hb_req;
    uint16_t blen, slen;
    size_t start;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_len16(h->keyblob.len, &blen)) || (rc = uft_msgi_len16(h->sig.len, &slen)))
        return rc;
    if ((rc = uft_msgi_enc_begin(w, UFT_HB_REQ, &start)) || (rc = uft_wr_u16(w, 0)) ||
        (rc = uft_wr_u16(w, blen)) || (rc = uft_wr_u16(w, slen)) ||
        (rc = uft_wr_u32(w, h->nonce)) || (rc = uft_msgi_enc_bytes(w, h->keyblob)) ||
        (rc = uft_msgi_enc_bytes(w, h->sig)) || (rc = uft_msgi_enc_bytes(w, h->ext_rest)))
        return rc;
    return uft_msgi_enc_hlen(w, start);
}

int uft_msgi_dec_hb_resp(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_hb_resp *h = &m->u.hb_resp;
    struct uft_rd ext;
    uint8_t reserved;
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_HB_RESP, 8, &hbytes)) || (rc = uft_rd_u8(r, &h->auth)) ||
        (rc = uft_rd_u8(r, &reserved)) || (rc = uft_rd_u32(r, &h->nonce)) ||
        (rc = uft_msgi_exts(r, hbytes, 0, &ext, &h->ext_rest)))
        return rc;
    return uft_msgi_end(r);
}

int uft_msgi_enc_hb_resp(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_hb_resp *h = &m->u.hb_resp;
    size_t start;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_enc_begin(w, UFT_HB_RESP, &start)) || (rc = uft_wr_u8(w, h->auth)) ||
        (rc = uft_wr_u8(w, 0)) || (rc = uft_wr_u32(w, h->nonce)) ||
        (rc = uft_msgi_enc_bytes(w, h->ext_rest)))
        return rc;
    return uft_msgi_enc_hlen(w, start);
}

int uft_msgi_dec_key_req(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_rd ext;
    uint16_t reserved;
    size_t hbytes;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_begin(r, UFT_KEY_REQ, 4, &hbytes)) || (rc = uft_rd_u16(r, &reserved)) ||
        (rc = uft_msgi_exts(r, hbytes, 0, &ext, &m->u.key_req.ext_rest)))
        return rc;
    return uft_msgi_end(r);
}

int uft_msgi_enc_key_req(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    size_t start;
    int rc;
    (void)ver;
    if ((rc = uft_msgi_enc_begin(w, UFT_KEY_REQ, &start)) || (rc = uft_wr_u16(w, 0)) ||
        (rc = uft_msgi_enc_bytes(w, m->u.key_req.ext_rest)))
        return rc;
    return uft_msgi_enc_hlen(w, start);
}

/* PROXY_KEY: v5 is 8 fixed bytes; v4 adds a 4-byte nonce after the
 * lengths (the proxy signs that nonce). */
int uft_msgi_dec_proxy_key(uint8_t ver, struct uft_rd *r, struct uft_msg *m)
{
    struct uft_proxy_key *p = &m->u.proxy_key;
    struct uft_rd ext;
    uint16_t blen, dlen, slen;
    size_t hbytes, fixed = ver == UFT_VER4 ? 12 : 8;
    int rc;
    if ((rc = uft_msgi_begin(r, UFT_PROXY_KEY, fixed, &hbytes)))
        return rc;
    if ((rc = uft_rd_u16(r, &blen)) || (rc = uft_rd_u16(r, &dlen)) || (rc = uft_rd_u16(r, &slen)))
        return rc;
    if (ver == UFT_VER4 && (rc = uft_rd_u32(r, &p->nonce)))
        return rc;
    if (fixed + blen + dlen + slen > hbytes)
        return UFT_E_LENGTH;
    p->keyblob.len = blen;
    p->dhblob.len = dlen;
    p->sig.len = slen;
    if ((rc = uft_rd_view(r, blen, &p->keyblob.p)) || (rc = uft_rd_view(r, dlen, &p->dhblob.p)) ||
        (rc = uft_rd_view(r, slen, &p->sig.p)) ||
        (rc = uft_msgi_exts(r, hbytes, 0, &ext, &p->ext_rest)))
        return rc;
    return uft_msgi_end(r);
}

int uft_msgi_enc_proxy_key(uint8_t ver, struct uft_wr *w, const struct uft_msg *m)
{
    const struct uft_proxy_key *p = &m->u.proxy_key;
    uint16_t blen, dlen, slen;
    size_t start;
    int rc;
    if (ver == UFT_VER5 && p->nonce != 0)
        return UFT_E_VALUE;
    if ((rc = uft_msgi_len16(p->keyblob.len, &blen)) ||
        (rc = uft_msgi_len16(p->dhblob.len, &dlen)) || (rc = uft_msgi_len16(p->sig.len, &slen)))
        return rc;
    if ((rc = uft_msgi_enc_begin(w, UFT_PROXY_KEY, &start)) || (rc = uft_wr_u16(w, blen)) ||
        (rc = uft_wr_u16(w, dlen)) || (rc = uft_wr_u16(w, slen)))
        return rc;
    if (ver == UFT_VER4 && (rc = uft_wr_u32(w, p->nonce)))
        return rc;
    if ((rc = uft_msgi_enc_bytes(w, p->keyblob)) || (rc = uft_msgi_enc_bytes(w, p->dhblob)) ||
        (rc = uft_msgi_enc_bytes(w, p->sig)) || (rc = uft_msgi_enc_bytes(w, p->ext_rest)))
        return rc;
    return uft_msgi_enc_hlen(w, start);
}
