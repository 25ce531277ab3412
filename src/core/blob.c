/*
 * Key blobs and ECDSA signatures as UFTP lays them out. RSA blob: type 1,
 * reserved, modulus length 16, exponent 32, modulus. EC blob: type 2,
 * curve, key length 16, X||Y.
 */
#include "core/blob.h"

#include <string.h>

#include "core/err.h"

size_t uft_curve_coord_len(uint8_t curve)
{
    switch (curve) {
    case UFT_CURVE_P256:
        return 32;
    case UFT_CURVE_P384:
        return 48;
    case UFT_CURVE_P521:
        return 66;
    default:
        return 0;
    }
}

int uft_blob_decode(const uint8_t *p, size_t len, struct uft_keyblob *b)
{
    struct uft_rd r;
    uint8_t reserved;
    uint16_t n;
    int rc;
    memset(b, 0, sizeof *b);
    uft_rd_init(&r, p, len);
    if ((rc = uft_rd_u8(&r, &b->type)))
        return rc;
    if (b->type == UFT_BLOB_RSA) {
        if ((rc = uft_rd_u8(&r, &reserved)) || (rc = uft_rd_u16(&r, &n)) ||
            (rc = uft_rd_u32(&r, &b->rsa_exponent)))
            return rc;
        if (n != uft_rd_left(&r))
            return UFT_E_LENGTH;
        b->rsa_modulus.len = n;
        return uft_rd_view(&r, n, &b->rsa_modulus.p);
    }
    if (b->type == UFT_BLOB_EC) {
        if ((rc = uft_rd_u8(&r, &b->ec_curve)) || (rc = uft_rd_u16(&r, &n)))
            return rc;
        if (n != uft_rd_left(&r))
            return UFT_E_LENGTH;
        if (n != 2 * uft_curve_coord_len(b->ec_curve))
            return UFT_E_VALUE;
        b->ec_point.len = n;
        return uft_rd_view(&r, n, &b->ec_point.p);
    }
    return UFT_E_TYPE;
}

ssize_t uft_blob_encode(const struct uft_keyblob *b, uint8_t *buf, size_t cap)
{
    struct uft_wr w;
    int rc;
    uft_wr_init(&w, buf, cap);
    if (b->type == UFT_BLOB_RSA) {
        if (b->rsa_modulus.len > UINT16_MAX)
            return UFT_E_VALUE;
        if ((rc = uft_wr_u8(&w, UFT_BLOB_RSA)) || (rc = uft_wr_u8(&w, 0)) ||
            (rc = uft_wr_u16(&w, (uint16_t)b->rsa_modulus.len)) ||
            (rc = uft_wr_u32(&w, b->rsa_exponent)) ||
            (rc = uft_wr_bytes(&w, b->rsa_modulus.p, b->rsa_modulus.len)))
            return rc;
        return (ssize_t)w.len;
    }
    if (b->type == UFT_BLOB_EC) {
        if (b->ec_point.len != 2 * uft_curve_coord_len(b->ec_curve))
            return UFT_E_VALUE;
        if ((rc = uft_wr_u8(&w, UFT_BLOB_EC)) || (rc = uft_wr_u8(&w, b->ec_curve)) ||
            (rc = uft_wr_u16(&w, (uint16_t)b->ec_point.len)) ||
            (rc = uft_wr_bytes(&w, b->ec_point.p, b->ec_point.len)))
            return rc;
        return (ssize_t)w.len;
    }
    return UFT_E_VALUE;
}

int uft_ecdsa_sig_decode(const uint8_t *p, size_t len, struct uft_ecdsa_sig *sig)
{
    struct uft_rd r;
    uint16_t rlen, slen;
    int rc;
    uft_rd_init(&r, p, len);
    if ((rc = uft_rd_u16(&r, &rlen)) || (rc = uft_rd_u16(&r, &slen)))
        return rc;
    if ((size_t)rlen + slen != uft_rd_left(&r))
        return UFT_E_LENGTH;
    sig->r.len = rlen;
    sig->s.len = slen;
    if ((rc = uft_rd_view(&r, rlen, &sig->r.p)) || (rc = uft_rd_view(&r, slen, &sig->s.p)))
        return rc;
    return 0;
}

ssize_t uft_ecdsa_sig_encode(const uint8_t *r, size_t rlen, const uint8_t *s, size_t slen,
                             size_t coord_len, uint8_t *buf, size_t cap)
{
    size_t rfield = rlen, sfield = slen, total = 2 * coord_len;
    struct uft_wr w;
    int rc;
    if (rlen > total || slen > total - rlen)
        return UFT_E_VALUE;
    /* Grow the shorter field (r on a tie) one byte at a time until the
     * two fill 2 * coord_len, exactly as the reference pads them. */
    while (rfield + sfield < total) {
        if (rfield <= sfield)
            rfield++;
        else
            sfield++;
    }
    uft_wr_init(&w, buf, cap);
    if ((rc = uft_wr_u16(&w, (uint16_t)rfield)) || (rc = uft_wr_u16(&w, (uint16_t)sfield)) ||
        (rc = uft_wr_zero(&w, rfield - rlen)) || (rc = uft_wr_bytes(&w, r, rlen)) ||
        (rc = uft_wr_zero(&w, sfield - slen)) || (rc = uft_wr_bytes(&w, s, slen)))
        return rc;
    return (ssize_t)w.len;
}
