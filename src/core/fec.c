/*
 * The erasure code behind FEC: Reed-Solomon over GF(2^8) with a Cauchy
 * generator, computed by Intel's ISA-L (Debian's libisal2).
 *
 * Why ISA-L: it is packaged in Debian and kept up (the storage stacks,
 * Ceph among them, use it), it is the fastest free GF(2^8) code we know of
 * (SSE, AVX2 and AVX-512 kernels picked at run time, plain C elsewhere),
 * and its erasure API is pure computation on caller buffers: an
 * encode-tables step and a "multiply these sources by this matrix" step,
 * which is all a systematic code needs. The others considered: libfec
 * (Karn's, libfec-dev) decodes one 255-symbol codeword per call, i.e. one
 * byte column of a group at a time in plain C: error correction for radio
 * links, not erasure coding of packets; liberasurecode is a front end that
 * dlopen()s a backend (ISA-L or Jerasure), more than a codec and not
 * I/O-free; Jerasure and gf-complete are in Debian only as 2017 snapshots
 * of projects no longer developed. Our own table code would be an order
 * of magnitude slower and one more thing to get right.
 *
 * We take from ISA-L only ec_init_tables, ec_encode_data and
 * ec_encode_data_update (the tables, the SIMD multiply, and the same one
 * source at a time); scripts/check-core-io.sh allows exactly those in
 * src/core. The coefficients are ours, not gf_gen_cauchy1_matrix's: its
 * rows depend on k, ours (see fec.h) on the row number alone, so a group
 * with fewer than k blocks is just the code's first n columns and a
 * sender can add rows on demand.
 *
 * Decoding e lost blocks L uses e parity rows J and the n - e blocks P
 * that arrived: parity_J = C[J,P] d_P + C[J,L] d_L, so with
 * B = C[J,L]^-1 the lost blocks are d_L = B parity_J + (B C[J,P]) d_P, one
 * pass over the n sources. C[J,L] is a Cauchy matrix, 1 / (x_j + y_l) with
 * x_j = 255 - j and y_l = l, so B and B C[J,P] have closed forms (below)
 * that cost O(e n) table look-ups; Gauss-Jordan and a matrix product by
 * ISA-L's scalar gf_mul took three quarters of a decode of 32 + 16.
 */
#include "core/fec.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/erasure_code.h>

#include "core/err.h"
#include "core/layout.h"

/* ISA-L's tables: 32 bytes for each coefficient of the matrix. */
#define TBL 32u

struct uft_fec {
    unsigned k, m;
    size_t block_len;
    uint8_t *coef;     /* m x k, coef[j * k + i] = 1 / ((255 - j) ^ i) */
    uint8_t *full_tbl; /* TBL * k * m: tables of coef, for single rows and sources */
    uint8_t *enc_tbl;  /* TBL * tab_n * m: tables for groups of tab_n blocks */
    unsigned tab_n;    /* 0 until the first encode */
    uint8_t *mat;      /* m x k scratch: encode matrix, then decode matrix */
    uint8_t *dec_tbl;  /* TBL * k * m: decode tables */
    uint8_t lg[256];   /* GF(2^8) logarithms to base 2 (lg[0] unused) */
    uint8_t ex[255];   /* and powers of 2 */
    uint8_t **src;     /* k source pointers */
    uint8_t **dst;     /* m destination pointers */
    uint8_t *pad;      /* block_len: the short last block, zero-padded */
};

/* The field ISA-L computes in: polynomial x^8 + x^4 + x^3 + x^2 + 1, in
 * which 2 generates every non-zero element. */
static void make_field(struct uft_fec *f)
{
    unsigned i, x = 1;
    for (i = 0; i < 255; i++) {
        f->ex[i] = (uint8_t)x;
        f->lg[x] = (uint8_t)i;
        x <<= 1;
        if (x & 0x100)
            x ^= 0x11d;
    }
}

int uft_fec_new(struct uft_fec **out, unsigned k, unsigned m, size_t block_len)
{
    struct uft_fec *f;
    unsigned i, j;
    *out = NULL;
    if (k == 0 || m == 0 || k + m > UFT_FEC_MAX_ROWS || block_len == 0 ||
        block_len > UFT_FEC_MAX_BLOCK)
        return UFT_E_INVAL;
    f = calloc(1, sizeof *f);
    if (f == NULL)
        return UFT_E_NOMEM;
    f->k = k;
    f->m = m;
    f->block_len = block_len;
    f->coef = malloc((size_t)m * k);
    f->full_tbl = malloc((size_t)TBL * k * m);
    f->enc_tbl = malloc((size_t)TBL * k * m);
    f->mat = malloc((size_t)m * k);
    f->dec_tbl = malloc((size_t)TBL * k * m);
    f->src = calloc(k + m, sizeof *f->src);
    f->dst = calloc(m, sizeof *f->dst);
    f->pad = malloc(block_len);
    if (!f->coef || !f->full_tbl || !f->enc_tbl || !f->mat || !f->dec_tbl || !f->src || !f->dst ||
        !f->pad) {
        uft_fec_free(f);
        return UFT_E_NOMEM;
    }
    make_field(f);
    for (j = 0; j < m; j++)
        for (i = 0; i < k; i++)
            f->coef[j * k + i] = f->ex[(255 - f->lg[(255 - j) ^ i]) % 255];
    ec_init_tables((int)k, (int)m, f->coef, f->full_tbl);
    *out = f;
    return 0;
}

void uft_fec_free(struct uft_fec *f)
{
    if (f == NULL)
        return;
    free(f->coef);
    free(f->full_tbl);
    free(f->enc_tbl);
    free(f->mat);
    free(f->dec_tbl);
    free(f->src);
    free(f->dst);
    free(f->pad);
    free(f);
}

static bool group_ok(const struct uft_fec *f, unsigned n, size_t last_len)
{
    return n >= 1 && n <= f->k && last_len >= 1 && last_len <= f->block_len;
}

/* Point f->src at the n data blocks; a short last block is copied into
 * f->pad behind zeros. false when a pointer is NULL. */
static bool load_sources(struct uft_fec *f, unsigned n, size_t last_len,
                         const uint8_t *const data[])
{
    unsigned i;
    for (i = 0; i < n; i++) {
        if (data[i] == NULL)
            return false;
        f->src[i] = (uint8_t *)data[i]; /* ISA-L only reads its sources */
    }
    if (last_len < f->block_len) {
        memcpy(f->pad, data[n - 1], last_len);
        memset(f->pad + last_len, 0, f->block_len - last_len);
        f->src[n - 1] = f->pad;
    }
    return true;
}

/* The encode tables for groups of n blocks: the first n columns of every
 * row. Kept until a group of another size comes (a section's groups have
 * at most two sizes, so this is rare). */
static void encode_tables(struct uft_fec *f, unsigned n)
{
    unsigned i, j;
    if (f->tab_n == n)
        return;
    for (j = 0; j < f->m; j++)
        for (i = 0; i < n; i++)
            f->mat[j * n + i] = f->coef[j * f->k + i];
    ec_init_tables((int)n, (int)f->m, f->mat, f->enc_tbl);
    f->tab_n = n;
}

int uft_fec_encode(struct uft_fec *f, unsigned n, size_t last_len, const uint8_t *const data[],
                   uint8_t *const parity[])
{
    unsigned j;
    if (!group_ok(f, n, last_len) || data == NULL || parity == NULL)
        return UFT_E_INVAL;
    for (j = 0; j < f->m; j++) {
        if (parity[j] == NULL)
            return UFT_E_INVAL;
        f->dst[j] = parity[j];
    }
    if (!load_sources(f, n, last_len, data))
        return UFT_E_INVAL;
    encode_tables(f, n);
    ec_encode_data((int)f->block_len, (int)n, (int)f->m, f->enc_tbl, f->src, f->dst);
    return 0;
}

int uft_fec_encode_row(struct uft_fec *f, unsigned n, size_t last_len, const uint8_t *const data[],
                       unsigned row, uint8_t *parity)
{
    if (!group_ok(f, n, last_len) || data == NULL || parity == NULL || row >= f->m)
        return UFT_E_INVAL;
    if (!load_sources(f, n, last_len, data))
        return UFT_E_INVAL;
    /* a row's tables are TBL bytes per source in order: the first n of
     * the full table's row are this group's */
    ec_encode_data((int)f->block_len, (int)n, 1, f->full_tbl + (size_t)TBL * f->k * row, f->src,
                   &parity);
    return 0;
}

int uft_fec_encode_add(struct uft_fec *f, unsigned n, size_t last_len, unsigned pos,
                       const uint8_t *block, uint8_t *const parity[])
{
    const uint8_t *src = block;
    unsigned j;
    if (!group_ok(f, n, last_len) || pos >= n || block == NULL || parity == NULL)
        return UFT_E_INVAL;
    for (j = 0; j < f->m; j++) {
        if (parity[j] == NULL)
            return UFT_E_INVAL;
        f->dst[j] = parity[j];
    }
    if (pos == n - 1 && last_len < f->block_len) {
        memcpy(f->pad, block, last_len);
        memset(f->pad + last_len, 0, f->block_len - last_len);
        src = f->pad;
    }
    /* a source's coefficients do not depend on n: the full table serves
     * groups of every size */
    ec_encode_data_update((int)f->block_len, (int)f->k, (int)f->m, (int)pos, f->full_tbl,
                          (uint8_t *)src, f->dst); /* ISA-L only reads the source */
    return 0;
}

/* Check the parity rows: each below m, none twice, buffers present. */
static bool rows_ok(const struct uft_fec *f, unsigned n_parity, const uint8_t *const parity[],
                    const unsigned rows[])
{
    uint8_t seen[UFT_FEC_MAX_ROWS / 8] = {0};
    unsigned p;
    if (n_parity > 0 && (parity == NULL || rows == NULL))
        return false;
    for (p = 0; p < n_parity; p++) {
        if (rows[p] >= f->m || parity[p] == NULL || uft_bit_get(seen, rows[p]))
            return false;
        uft_bit_set(seen, rows[p]);
    }
    return true;
}

/* Sum of the logarithms of (x ^ v[t]) over t < cnt, t != skip, mod 255:
 * the log of a product of field elements (all of them non-zero). */
static unsigned log_prod(const struct uft_fec *f, unsigned x, const unsigned *v, unsigned cnt,
                         unsigned skip)
{
    unsigned t, sum = 0;
    for (t = 0; t < cnt; t++)
        if (t != skip)
            sum += f->lg[x ^ v[t]];
    return sum % 255;
}

/* The decode matrix for lost blocks y[0..e) from parity rows rows[0..e)
 * (x_j = 255 - rows[j]), row i of f->mat for lost block i, n wide: first
 * the coefficients of the n - e present blocks in order, then those of
 * the e parity rows, matching the order of f->src. With
 *   X_j = prod_l (x_j + y_l),  Xd_j = prod_{k!=j} (x_j + x_k),
 *   Y_i = prod_j (x_j + y_i),  Yd_i = prod_{l!=i} (y_i + y_l),
 * the inverse of the Cauchy matrix is B[i][j] = X_j Y_i / ((x_j + y_i) Xd_j Yd_i)
 * and, for a present block p, (B C[J,P])[i][p] = Y_i W_p / (Z_p (y_p + y_i) Yd_i)
 * with Z_p = prod_j (x_j + y_p), W_p = prod_l (y_p + y_l): both follow from
 * sum_j B[i][j] / (x_j + y) = Y_i prod_{l!=i} (y + y_l) / (Yd_i prod_j (x_j + y)),
 * the rational function of degree e - 1 over prod_j (x_j + y) that is 1 at
 * y_i and 0 at the other lost blocks. test_fec checks every pattern. */
static void decode_matrix(struct uft_fec *f, unsigned n, const unsigned y[], unsigned e,
                          const uint8_t present[], const unsigned rows[])
{
    unsigned x[UFT_FEC_MAX_ROWS], lx[UFT_FEC_MAX_ROWS], ly[UFT_FEC_MAX_ROWS];
    unsigned i, j, p, s;
    for (j = 0; j < e; j++)
        x[j] = 255 - rows[j];
    for (j = 0; j < e; j++) /* log X_j / Xd_j, kept as 255 + X - Xd */
        lx[j] = 255 + log_prod(f, x[j], y, e, UFT_FEC_MAX_ROWS) - log_prod(f, x[j], x, e, j);
    for (i = 0; i < e; i++) /* log Y_i / Yd_i */
        ly[i] = 255 + log_prod(f, y[i], x, e, UFT_FEC_MAX_ROWS) - log_prod(f, y[i], y, e, i);
    for (i = 0; i < e; i++) {
        uint8_t *row = f->mat + (size_t)i * n;
        for (j = 0; j < e; j++)
            row[n - e + j] = f->ex[(lx[j] + ly[i] + 255 - f->lg[x[j] ^ y[i]]) % 255];
    }
    for (p = 0, s = 0; p < n; p++) {
        unsigned lwz;
        if (!uft_bit_get(present, p))
            continue;
        /* log W_p / Z_p */
        lwz = 255 + log_prod(f, p, y, e, UFT_FEC_MAX_ROWS) - log_prod(f, p, x, e, UFT_FEC_MAX_ROWS);
        for (i = 0; i < e; i++)
            f->mat[(size_t)i * n + s] = f->ex[(ly[i] + lwz + 255 - f->lg[p ^ y[i]]) % 255];
        s++;
    }
}

int uft_fec_decode(struct uft_fec *f, unsigned n, size_t last_len, uint8_t *const block[],
                   const uint8_t *present, unsigned n_parity, const uint8_t *const parity[],
                   const unsigned rows[])
{
    unsigned lost[UFT_FEC_MAX_ROWS];
    unsigned e = 0, i, s, b;
    bool last_lost;
    if (!group_ok(f, n, last_len) || block == NULL || present == NULL ||
        !rows_ok(f, n_parity, parity, rows))
        return UFT_E_INVAL;
    for (i = 0; i < n; i++) {
        if (block[i] == NULL)
            return UFT_E_INVAL;
        if (!uft_bit_get(present, i))
            lost[e++] = i;
    }
    if (e == 0)
        return 0;
    if (e > n_parity || e > f->m)
        return UFT_E_TOOFEW;
    decode_matrix(f, n, lost, e, present, rows);
    for (i = 0, s = 0; i < n; i++)
        if (uft_bit_get(present, i))
            f->src[s++] = block[i];
    for (b = 0; b < e; b++)
        f->src[s++] = (uint8_t *)parity[b]; /* read only */
    last_lost = lost[e - 1] == n - 1;
    if (last_len < f->block_len && !last_lost) {
        memcpy(f->pad, block[n - 1], last_len);
        memset(f->pad + last_len, 0, f->block_len - last_len);
        f->src[n - e - 1] = f->pad; /* block n-1 is the last present source */
    }
    for (b = 0; b < e; b++)
        f->dst[b] = block[lost[b]];
    if (last_len < f->block_len && last_lost)
        f->dst[e - 1] = f->pad;
    ec_init_tables((int)n, (int)e, f->mat, f->dec_tbl);
    ec_encode_data((int)f->block_len, (int)n, (int)e, f->dec_tbl, f->src, f->dst);
    if (last_len < f->block_len && last_lost)
        memcpy(block[n - 1], f->pad, last_len);
    return (int)e;
}

int uft_fec_layout_init(struct uft_fec_layout *l, uint32_t blocks, unsigned k,
                        enum uft_fec_order order)
{
    memset(l, 0, sizeof *l);
    if (blocks == 0 || blocks > (1u << 31) || k == 0 || k >= UFT_FEC_MAX_ROWS ||
        (order != UFT_FEC_INTERLEAVED && order != UFT_FEC_CONTIGUOUS))
        return UFT_E_INVAL;
    l->blocks = blocks;
    l->groups = blocks / k + (blocks % k ? 1 : 0);
    l->small = blocks / l->groups;
    l->big_groups = blocks % l->groups;
    l->order = order;
    return 0;
}

unsigned uft_fec_layout_group_blocks(const struct uft_fec_layout *l, uint32_t g)
{
    assert(g < l->groups);
    return l->small + (g < l->big_groups ? 1 : 0);
}

uint32_t uft_fec_layout_block(const struct uft_fec_layout *l, uint32_t g, unsigned pos)
{
    assert(pos < uft_fec_layout_group_blocks(l, g));
    if (l->order == UFT_FEC_INTERLEAVED)
        return pos * l->groups + g;
    /* contiguous: the big groups come first */
    if (g < l->big_groups)
        return g * (l->small + 1) + pos;
    return l->big_groups * (l->small + 1) + (g - l->big_groups) * l->small + pos;
}

void uft_fec_layout_locate(const struct uft_fec_layout *l, uint32_t b, uint32_t *g, unsigned *pos)
{
    uint32_t first_small;
    assert(b < l->blocks);
    if (l->order == UFT_FEC_INTERLEAVED) {
        *g = b % l->groups;
        *pos = b / l->groups;
        return;
    }
    first_small = l->big_groups * (l->small + 1);
    if (b < first_small) {
        *g = b / (l->small + 1);
        *pos = b % (l->small + 1);
    } else {
        *g = l->big_groups + (b - first_small) / l->small;
        *pos = (b - first_small) % l->small;
    }
}
