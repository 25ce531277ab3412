/*
 * Checked big-endian cursors. The rule is simple: test the remaining
 * space first, then touch memory; a failed call changes nothing, so a
 * decoder can bail out at any point and leave no half-state behind.
 */
#include "core/wire.h"

#include <string.h>

#include "core/err.h"

void uft_rd_init(struct uft_rd *r, const void *buf, size_t len)
{
    r->buf = buf;
    r->len = buf ? len : 0;
    r->pos = 0;
}

size_t uft_rd_left(const struct uft_rd *r)
{
    return r->len - r->pos;
}

uint16_t uft_get_u16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

uint32_t uft_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void uft_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void uft_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int uft_rd_view(struct uft_rd *r, size_t n, const uint8_t **p)
{
    if (n > uft_rd_left(r))
        return UFT_E_TRUNC;
    /* An empty reader may have no buffer at all: no pointer arithmetic on NULL. */
    *p = r->buf ? r->buf + r->pos : NULL;
    r->pos += n;
    return 0;
}

int uft_rd_u8(struct uft_rd *r, uint8_t *v)
{
    const uint8_t *p;
    int rc = uft_rd_view(r, 1, &p);
    if (rc == 0)
        *v = p[0];
    return rc;
}

int uft_rd_u16(struct uft_rd *r, uint16_t *v)
{
    const uint8_t *p;
    int rc = uft_rd_view(r, 2, &p);
    if (rc == 0)
        *v = uft_get_u16(p);
    return rc;
}

int uft_rd_u32(struct uft_rd *r, uint32_t *v)
{
    const uint8_t *p;
    int rc = uft_rd_view(r, 4, &p);
    if (rc == 0)
        *v = uft_get_u32(p);
    return rc;
}

int uft_rd_u64(struct uft_rd *r, uint64_t *v)
{
    const uint8_t *p;
    int rc = uft_rd_view(r, 8, &p);
    if (rc == 0)
        *v = (uint64_t)uft_get_u32(p) << 32 | uft_get_u32(p + 4);
    return rc;
}

int uft_rd_copy(struct uft_rd *r, void *dst, size_t n)
{
    const uint8_t *p;
    int rc = uft_rd_view(r, n, &p);
    if (rc == 0 && n > 0)
        memcpy(dst, p, n);
    return rc;
}

int uft_rd_skip(struct uft_rd *r, size_t n)
{
    const uint8_t *p;
    return uft_rd_view(r, n, &p);
}

int uft_rd_sub(struct uft_rd *r, size_t n, struct uft_rd *sub)
{
    const uint8_t *p;
    int rc = uft_rd_view(r, n, &p);
    if (rc == 0) {
        sub->buf = p;
        sub->len = n;
        sub->pos = 0;
    }
    return rc;
}

void uft_wr_init(struct uft_wr *w, void *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf ? cap : 0;
    w->len = 0;
}

/* Reserve n bytes at the end; NULL when they do not fit. */
static uint8_t *wr_take(struct uft_wr *w, size_t n)
{
    uint8_t *p;
    if (n > w->cap - w->len || !w->buf)
        return NULL;
    p = w->buf + w->len;
    w->len += n;
    return p;
}

int uft_wr_u8(struct uft_wr *w, uint8_t v)
{
    uint8_t *p = wr_take(w, 1);
    if (!p)
        return UFT_E_NOSPACE;
    p[0] = v;
    return 0;
}

int uft_wr_u16(struct uft_wr *w, uint16_t v)
{
    uint8_t *p = wr_take(w, 2);
    if (!p)
        return UFT_E_NOSPACE;
    uft_put_u16(p, v);
    return 0;
}

int uft_wr_u32(struct uft_wr *w, uint32_t v)
{
    uint8_t *p = wr_take(w, 4);
    if (!p)
        return UFT_E_NOSPACE;
    uft_put_u32(p, v);
    return 0;
}

int uft_wr_u64(struct uft_wr *w, uint64_t v)
{
    uint8_t *p = wr_take(w, 8);
    if (!p)
        return UFT_E_NOSPACE;
    uft_put_u32(p, (uint32_t)(v >> 32));
    uft_put_u32(p + 4, (uint32_t)v);
    return 0;
}

int uft_wr_bytes(struct uft_wr *w, const void *src, size_t n)
{
    uint8_t *p;
    if (n == 0)
        return 0;
    p = wr_take(w, n);
    if (!p)
        return UFT_E_NOSPACE;
    memmove(p, src, n);
    return 0;
}

int uft_wr_zero(struct uft_wr *w, size_t n)
{
    uint8_t *p;
    if (n == 0)
        return 0;
    p = wr_take(w, n);
    if (!p)
        return UFT_E_NOSPACE;
    memset(p, 0, n);
    return 0;
}

int uft_wr_patch_u8(struct uft_wr *w, size_t off, uint8_t v)
{
    if (off >= w->len)
        return UFT_E_INVAL;
    w->buf[off] = v;
    return 0;
}
