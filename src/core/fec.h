/*
 * Forward error correction for a section's data blocks: a systematic
 * Reed-Solomon erasure code over GF(2^8). A section is cut into groups of
 * at most k data blocks (uft_fec_layout, computed identically at both
 * ends); for each group the sender makes parity blocks ("rows") 0, 1, 2...
 * of the group's block length, and a receiver that lost e data blocks of a
 * group rebuilds them from any e parity rows of that group.
 *
 * The code: data block i of a group (i < n, n <= k) and parity row j hold
 *
 *     parity_j = sum over i of data_i / ((255 - j) XOR i)        in GF(2^8)
 *
 * (a Cauchy matrix, so any e rows can replace any e data blocks). Row j
 * does not depend on k, m or n, so a sender can always make one more row
 * on demand ("reactive" parity) and both ends only have to agree on the
 * row number and the group's block count. n + j <= 255 for every row.
 *
 * The last data block of a group may be shorter than the block length (a
 * section's last block is always the last of its group): it is coded as if
 * padded with zeros, and is read or written at its true length.
 */
#ifndef UFT_FEC_H
#define UFT_FEC_H

#include <stddef.h>
#include <stdint.h>

/* Limits: k + m <= UFT_FEC_MAX_ROWS (each data block and each parity row
 * needs its own element of the field); block_len <= UFT_FEC_MAX_BLOCK. */
enum { UFT_FEC_MAX_ROWS = 256, UFT_FEC_MAX_BLOCK = 1 << 20 };

/* A codec for groups of at most k data blocks of block_len bytes and
 * parity rows 0..m-1. It caches coding tables and scratch space, so it is
 * not shared between threads; opaque, made by uft_fec_new. */
struct uft_fec;

/* Make a codec into *out. UFT_E_INVAL when k or m is 0, k + m > 256 or
 * block_len is 0 or above UFT_FEC_MAX_BLOCK; UFT_E_NOMEM. The caller frees
 * it with uft_fec_free. */
int uft_fec_new(struct uft_fec **out, unsigned k, unsigned m, size_t block_len);

/* Free a codec (NULL is fine). */
void uft_fec_free(struct uft_fec *f);

/* Parity rows 0..m-1 of a group of n data blocks (1 <= n <= k):
 * data[i] holds block_len bytes, except data[n-1], which holds last_len
 * (1..block_len). parity[j] receives block_len bytes for row j; parity
 * buffers must not overlap the data. UFT_E_INVAL on a bad argument. */
int uft_fec_encode(struct uft_fec *f, unsigned n, size_t last_len, const uint8_t *const data[],
                   uint8_t *const parity[]);

/* Parity row `row` alone (row < m), equal to row `row` of uft_fec_encode:
 * for a sender that sends more parity when receivers ask for it.
 * UFT_E_INVAL on a bad argument. */
int uft_fec_encode_row(struct uft_fec *f, unsigned n, size_t last_len, const uint8_t *const data[],
                       unsigned row, uint8_t *parity);

/* Add data block pos (< n) of a group of n to parity rows 0..m-1, for a
 * sender that codes blocks as it reads them, in any order, keeping only
 * the parity of each open group: parity[] starts as m buffers of
 * block_len zeros and, once all n blocks are added, equals what
 * uft_fec_encode makes. block holds block_len bytes, or last_len when pos
 * is n - 1. Adding a block twice cancels it. UFT_E_INVAL on a bad argument. */
int uft_fec_encode_add(struct uft_fec *f, unsigned n, size_t last_len, unsigned pos,
                       const uint8_t *block, uint8_t *const parity[]);

/* Rebuild the lost data blocks of a group of n blocks. block[i] is a
 * buffer for data block i (block_len bytes; block[n-1] last_len bytes);
 * bit i of `present` (uft_bit_get order, (n + 7) / 8 bytes) is set when
 * block[i] holds the data, clear when it was lost and is to be written.
 * parity[p] holds parity row rows[p] (block_len bytes), p < n_parity; rows
 * must be distinct and below m. Any e rows rebuild e lost blocks: the
 * first e given are used and the rest are not read.
 * Returns the number of blocks rebuilt (0 when none was lost), or
 * UFT_E_TOOFEW when fewer parity rows than lost blocks were given (nothing
 * is written), UFT_E_INVAL on a bad argument. */
int uft_fec_decode(struct uft_fec *f, unsigned n, size_t last_len, uint8_t *const block[],
                   const uint8_t *present, unsigned n_parity, const uint8_t *const parity[],
                   const unsigned rows[]);

/* How the blocks of a section are put into groups. */
enum uft_fec_order {
    /* Block b goes to group b mod G: a burst of up to G lost blocks costs
     * each group at most one. */
    UFT_FEC_INTERLEAVED = 0,
    /* Runs of consecutive blocks: group 0 is the first blocks, and so on. */
    UFT_FEC_CONTIGUOUS = 1,
};

/* The groups of one section: G = ceil(blocks / k) groups whose sizes
 * differ by at most one, groups [0, big_groups) one block bigger. Both
 * ends compute it from (blocks, k, order) alone. */
struct uft_fec_layout {
    uint32_t blocks;     /* data blocks in the section */
    uint32_t groups;     /* G */
    uint32_t small;      /* blocks in a small group (big = small + 1) */
    uint32_t big_groups; /* how many groups hold small + 1 blocks */
    enum uft_fec_order order;
};

/* Compute the groups of a section of `blocks` blocks (1..2^31) for groups
 * of at most k (1..255) blocks. UFT_E_INVAL otherwise. */
int uft_fec_layout_init(struct uft_fec_layout *l, uint32_t blocks, unsigned k,
                        enum uft_fec_order order);

/* Data blocks in group g (g < groups, asserted). */
unsigned uft_fec_layout_group_blocks(const struct uft_fec_layout *l, uint32_t g);

/* The section block at position pos of group g (pos < its block count). */
uint32_t uft_fec_layout_block(const struct uft_fec_layout *l, uint32_t g, unsigned pos);

/* The group and position of section block b (b < blocks). The section's
 * last block is always the last position of its group. */
void uft_fec_layout_locate(const struct uft_fec_layout *l, uint32_t b, uint32_t *g, unsigned *pos);

#endif
