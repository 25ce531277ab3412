/*
 * How a file is cut into blocks and sections, and the NAK bitmaps that go
 * with them. Server and client must compute identical numbers, so this is
 * the one place that does (UFTP's rule: at most min(8 * blocksize, 65536)
 * blocks per section, sections as equal as possible, the first ones one
 * block bigger).
 */
#ifndef UFT_LAYOUT_H
#define UFT_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uft_layout {
    uint64_t size;
    uint32_t block_len;    /* the session's block size */
    uint32_t blocks;       /* ceil(size / block_len) */
    uint32_t sections;     /* 0 for an empty file */
    uint32_t small;        /* blocks in a small section */
    uint32_t big;          /* small, or small + 1 */
    uint32_t big_sections; /* sections [0, big_sections) hold big blocks */
};

/* Compute the layout. UFT_E_VALUE when block_len is 0 or the file needs
 * more than 65535 sections (UFTP's section field is 16 bits). */
int uft_layout_init(struct uft_layout *l, uint64_t size, uint32_t block_len);

/* First global block of a section, and how many blocks it holds
 * (section < sections, asserted). */
uint32_t uft_layout_sec_first(const struct uft_layout *l, uint32_t section);
uint32_t uft_layout_sec_blocks(const struct uft_layout *l, uint32_t section);

/* The section and index within it of a global block (< blocks). */
void uft_layout_locate(const struct uft_layout *l, uint32_t block, uint32_t *section,
                       uint32_t *index);

/* Byte offset and length of a block (the last one may be shorter). */
uint64_t uft_layout_offset(const struct uft_layout *l, uint32_t block);
uint32_t uft_layout_block_len(const struct uft_layout *l, uint32_t block);

/* Bytes of the NAK bitmap a client sends for a section: UFTP's
 * floor(n / 8) + 1, which the reference server requires at least. */
size_t uft_layout_nak_bytes(uint32_t blocks_in_section);

/* Bit helpers over a byte bitmap, least significant bit first. */
static inline bool uft_bit_get(const uint8_t *map, uint32_t i)
{
    return (map[i >> 3] >> (i & 7)) & 1;
}
static inline void uft_bit_set(uint8_t *map, uint32_t i)
{
    map[i >> 3] = (uint8_t)(map[i >> 3] | (1u << (i & 7)));
}
static inline void uft_bit_clear(uint8_t *map, uint32_t i)
{
    map[i >> 3] = (uint8_t)(map[i >> 3] & ~(1u << (i & 7)));
}

#endif
