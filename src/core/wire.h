/*
 * Checked cursors over wire bytes. Every UFTP decoder reads through a
 * struct uft_rd and every encoder writes through a struct uft_wr: each
 * access checks bounds and returns an error instead of touching memory it
 * does not own. Integers on the wire are big-endian. Nothing here ever
 * casts a struct onto packet memory.
 */
#ifndef UFT_WIRE_H
#define UFT_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* A reader over [buf, buf+len); pos is the next byte to read. It borrows
 * buf: the bytes must outlive the reader and every view taken from it. */
struct uft_rd {
    const uint8_t *buf;
    size_t len;
    size_t pos;
};

/* A writer into [buf, buf+cap); len is how much has been written. */
struct uft_wr {
    uint8_t *buf;
    size_t cap;
    size_t len;
};

void uft_rd_init(struct uft_rd *r, const void *buf, size_t len);

/* Bytes not yet read. */
size_t uft_rd_left(const struct uft_rd *r);

/* Each reader returns 0, or UFT_E_TRUNC without moving the cursor when
 * fewer bytes remain than the field needs. */
int uft_rd_u8(struct uft_rd *r, uint8_t *v);
int uft_rd_u16(struct uft_rd *r, uint16_t *v);
int uft_rd_u32(struct uft_rd *r, uint32_t *v);
int uft_rd_u64(struct uft_rd *r, uint64_t *v);
int uft_rd_copy(struct uft_rd *r, void *dst, size_t n);
int uft_rd_skip(struct uft_rd *r, size_t n);

/* Borrow the next n bytes without copying: *p points into the reader's
 * buffer and is valid as long as that buffer is. */
int uft_rd_view(struct uft_rd *r, size_t n, const uint8_t **p);

/* A bounded sub-reader over the next n bytes; the parent moves past them.
 * Reads from sub can never go beyond those n bytes. */
int uft_rd_sub(struct uft_rd *r, size_t n, struct uft_rd *sub);

void uft_wr_init(struct uft_wr *w, void *buf, size_t cap);

/* Each writer returns 0, or UFT_E_NOSPACE without writing anything when
 * the field does not fit. */
int uft_wr_u8(struct uft_wr *w, uint8_t v);
int uft_wr_u16(struct uft_wr *w, uint16_t v);
int uft_wr_u32(struct uft_wr *w, uint32_t v);
int uft_wr_u64(struct uft_wr *w, uint64_t v);
int uft_wr_bytes(struct uft_wr *w, const void *src, size_t n);
int uft_wr_zero(struct uft_wr *w, size_t n);

/* Overwrite one already written byte at offset off (for a length field
 * known only at the end). UFT_E_INVAL when off has not been written. */
int uft_wr_patch_u8(struct uft_wr *w, size_t off, uint8_t v);

/* Plain big-endian loads and stores for callers that have already
 * checked the bounds (for example, walking a validated list of IDs). */
uint16_t uft_get_u16(const uint8_t *p);
uint32_t uft_get_u32(const uint8_t *p);
void uft_put_u16(uint8_t *p, uint16_t v);
void uft_put_u32(uint8_t *p, uint32_t v);

#endif
