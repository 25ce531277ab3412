/*
 * The FEC codec: every loss pattern of a small code, random patterns of
 * big ones, the short last block, too few rows, single rows, a sender
 * streaming a section block by block, the code's
 * coefficients against a plain GF(2^8) reference, and the grouping of a
 * section's blocks. Random tests print their seed (UFT_SEED=... repeats).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/fec.h"
#include "core/layout.h"

enum { MAXK = 255, MAXB = 8800, SENTINEL = 0xee };

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: reproducible from one seed */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static void seed(void)
{
    const char *s = getenv("UFT_SEED");
    rng_state = s ? strtoull(s, NULL, 0) : 0x5eed0fecull;
    if (rng_state == 0)
        rng_state = 1;
    print_message("seed %llu (set UFT_SEED to repeat)\n", (unsigned long long)rng_state);
}

/* A group: n data blocks (the last last_len bytes long), m parity rows. */
struct grp {
    unsigned n, m;
    size_t block_len, last_len;
    uint8_t *data[MAXK];   /* the original blocks */
    uint8_t *parity[MAXK]; /* rows 0..m-1 */
    uint8_t *work[MAXK];   /* what the receiver has */
};

static void grp_make(struct grp *g, unsigned n, unsigned m, size_t block_len, size_t last_len)
{
    unsigned i;
    size_t b;
    g->n = n;
    g->m = m;
    g->block_len = block_len;
    g->last_len = last_len;
    for (i = 0; i < n; i++) {
        size_t len = i == n - 1 ? last_len : block_len;
        g->data[i] = malloc(len);
        g->work[i] = malloc(len);
        assert_non_null(g->data[i]);
        assert_non_null(g->work[i]);
        for (b = 0; b < len; b++)
            g->data[i][b] = (uint8_t)rnd();
    }
    for (i = 0; i < m; i++) {
        g->parity[i] = malloc(block_len);
        assert_non_null(g->parity[i]);
    }
}

static void grp_free(struct grp *g)
{
    unsigned i;
    for (i = 0; i < g->n; i++) {
        free(g->data[i]);
        free(g->work[i]);
    }
    for (i = 0; i < g->m; i++)
        free(g->parity[i]);
}

static size_t len_of(const struct grp *g, unsigned i)
{
    return i == g->n - 1 ? g->last_len : g->block_len;
}

static void encode(struct uft_fec *f, struct grp *g)
{
    assert_int_equal(
        uft_fec_encode(f, g->n, g->last_len, (const uint8_t *const *)g->data, g->parity), 0);
}

/* Lose the blocks whose bit is clear in present, try to rebuild them from
 * parity rows rows[0..np), and check the outcome: the originals back when
 * there were enough rows, UFT_E_TOOFEW and nothing written otherwise. */
static void lose_and_decode(struct uft_fec *f, struct grp *g, const uint8_t *present,
                            const unsigned *rows, unsigned np)
{
    const uint8_t *par[MAXK] = {0};
    unsigned i, lost = 0;
    int rc;
    for (i = 0; i < g->n; i++) {
        if (uft_bit_get(present, i)) {
            memcpy(g->work[i], g->data[i], len_of(g, i));
        } else {
            memset(g->work[i], SENTINEL, len_of(g, i));
            lost++;
        }
    }
    for (i = 0; i < np; i++)
        par[i] = g->parity[rows[i]];
    rc = uft_fec_decode(f, g->n, g->last_len, g->work, present, np, par, rows);
    if (lost > np) {
        assert_int_equal(rc, UFT_E_TOOFEW);
        for (i = 0; i < g->n; i++)
            if (!uft_bit_get(present, i))
                assert_int_equal(g->work[i][0], SENTINEL);
        return;
    }
    assert_int_equal(rc, lost);
    for (i = 0; i < g->n; i++)
        assert_memory_equal(g->work[i], g->data[i], len_of(g, i));
}

/* k = 4, m = 3: every group size, every set of lost blocks and every set
 * of parity rows (in two orders), with full and short last blocks. */
static void test_every_pattern(void **state)
{
    static const size_t lens[] = {100, 1, 37, 99};
    struct uft_fec *f;
    unsigned n, mask, rmask, l, cases = 0;
    (void)state;
    seed();
    assert_int_equal(uft_fec_new(&f, 4, 3, 100), 0);
    for (n = 1; n <= 4; n++) {
        for (l = 0; l < sizeof lens / sizeof lens[0]; l++) {
            struct grp g;
            grp_make(&g, n, 3, 100, lens[l]);
            encode(f, &g);
            for (mask = 0; mask < (1u << n); mask++) {
                for (rmask = 0; rmask < 8; rmask++) {
                    unsigned rows[3], rev[3], np = 0, j;
                    uint8_t present = (uint8_t)mask;
                    for (j = 0; j < 3; j++)
                        if (rmask & (1u << j))
                            rows[np++] = j;
                    for (j = 0; j < np; j++)
                        rev[j] = rows[np - 1 - j];
                    lose_and_decode(f, &g, &present, rows, np);
                    lose_and_decode(f, &g, &present, rev, np);
                    cases += 2;
                }
            }
            grp_free(&g);
        }
    }
    assert_int_equal(cases, (2 + 4 + 8 + 16) * 8 * 2 * 4);
    uft_fec_free(f);
}

/* Random lost sets and random choices of parity rows, in random order. */
static void random_patterns(unsigned k, unsigned m, size_t block_len, unsigned trials)
{
    struct uft_fec *f;
    unsigned t;
    seed();
    assert_int_equal(uft_fec_new(&f, k, m, block_len), 0);
    for (t = 0; t < trials; t++) {
        struct grp g;
        uint8_t present[MAXK / 8 + 1];
        unsigned perm[MAXK], rows[MAXK];
        unsigned n = t % 4 == 3 ? 1 + (unsigned)(rnd() % k) : k;
        size_t last = t % 2 ? 1 + rnd() % block_len : block_len;
        unsigned e = (unsigned)(rnd() % (m + 1)), np, i;
        if (e > n)
            e = n;
        /* too few rows now and then */
        np = t % 5 == 4 && e > 0 ? e - 1 : e + (unsigned)(rnd() % (m - e + 1));
        grp_make(&g, n, m, block_len, last);
        encode(f, &g);
        memset(present, 0xff, sizeof present);
        for (i = 0; i < n; i++)
            perm[i] = i;
        for (i = 0; i < e; i++) { /* the first e of a random permutation */
            unsigned j = i + (unsigned)(rnd() % (n - i)), x = perm[i];
            perm[i] = perm[j];
            perm[j] = x;
            uft_bit_clear(present, perm[i]);
        }
        for (i = 0; i < m; i++)
            rows[i] = i;
        for (i = 0; i < np; i++) {
            unsigned j = i + (unsigned)(rnd() % (m - i)), x = rows[i];
            rows[i] = rows[j];
            rows[j] = x;
        }
        lose_and_decode(f, &g, present, rows, np);
        grp_free(&g);
    }
    uft_fec_free(f);
}

static void test_random_64_16(void **state)
{
    (void)state;
    random_patterns(64, 16, 1300, 200);
}

static void test_random_200_55(void **state)
{
    (void)state;
    random_patterns(200, 55, 1300, 60);
}

/* The edges of the field: k + m = 256 either way round. */
static void test_random_edges(void **state)
{
    (void)state;
    random_patterns(250, 6, 100, 40);
    random_patterns(1, 255, 64, 20);
    random_patterns(128, 128, 40, 20);
}

/* The short last block codes as its zero-padded self; rebuilt, it is
 * written at its true length and not a byte further. */
static void test_short_last(void **state)
{
    struct uft_fec *f;
    struct grp g;
    uint8_t *padded[8], *parity2[3], *last;
    const uint8_t *par[3];
    unsigned rows[3] = {2, 0, 1}, i;
    uint8_t present = 0x77; /* blocks 3 and 7 lost */
    (void)state;
    seed();
    assert_int_equal(uft_fec_new(&f, 8, 3, 1300), 0);
    grp_make(&g, 8, 3, 1300, 11);
    encode(f, &g);
    for (i = 0; i < 8; i++) {
        padded[i] = calloc(1, 1300);
        assert_non_null(padded[i]);
        memcpy(padded[i], g.data[i], len_of(&g, i));
    }
    for (i = 0; i < 3; i++) {
        parity2[i] = malloc(1300);
        assert_non_null(parity2[i]);
    }
    assert_int_equal(uft_fec_encode(f, 8, 1300, (const uint8_t *const *)padded, parity2), 0);
    for (i = 0; i < 3; i++)
        assert_memory_equal(parity2[i], g.parity[i], 1300);
    /* lose the last block (and another): it comes back into an 11-byte
     * buffer followed by guard bytes that must stay as they were */
    last = malloc(11 + 64);
    assert_non_null(last);
    memset(last, SENTINEL, 11 + 64);
    free(g.work[7]);
    for (i = 0; i < 7; i++)
        memcpy(g.work[i], g.data[i], 1300);
    memset(g.work[3], 0, 1300);
    g.work[7] = last;
    for (i = 0; i < 3; i++)
        par[i] = g.parity[rows[i]];
    assert_int_equal(uft_fec_decode(f, 8, 11, g.work, &present, 3, par, rows), 2);
    assert_memory_equal(last, g.data[7], 11);
    assert_memory_equal(g.work[3], g.data[3], 1300);
    for (i = 11; i < 11 + 64; i++)
        assert_int_equal(last[i], SENTINEL);
    free(last);
    g.work[7] = malloc(11); /* grp_free frees it */
    for (i = 0; i < 8; i++)
        free(padded[i]);
    for (i = 0; i < 3; i++)
        free(parity2[i]);
    grp_free(&g);
    uft_fec_free(f);
}

/* Row j alone equals row j of the whole encode, for full and smaller
 * groups; and row j is the same code whatever k and m the codec has, so a
 * sender can make more rows than it first sent. */
static void test_single_rows(void **state)
{
    struct uft_fec *f, *big;
    struct grp g;
    uint8_t row[1300], row_big[1300];
    unsigned n, j;
    (void)state;
    seed();
    assert_int_equal(uft_fec_new(&f, 32, 8, 1300), 0);
    assert_int_equal(uft_fec_new(&big, 100, 40, 1300), 0);
    for (n = 32; n >= 30; n--) {
        grp_make(&g, n, 8, 1300, n == 31 ? 700 : 1300);
        encode(f, &g);
        for (j = 0; j < 8; j++) {
            assert_int_equal(
                uft_fec_encode_row(f, n, g.last_len, (const uint8_t *const *)g.data, j, row), 0);
            assert_memory_equal(row, g.parity[j], 1300);
            assert_int_equal(
                uft_fec_encode_row(big, n, g.last_len, (const uint8_t *const *)g.data, j, row_big),
                0);
            assert_memory_equal(row_big, g.parity[j], 1300);
        }
        grp_free(&g);
    }
    uft_fec_free(f);
    uft_fec_free(big);
}

/* A sender streaming one section: blocks in order, each added to the
 * parity of its (interleaved) group, the last block short. Each group's
 * parity equals the whole-group encode; adding a block twice cancels it. */
static void test_streaming(void **state)
{
    enum { BLOCKS = 130, K = 64, M = 6, LEN = 1300, LAST = 333 };
    struct uft_fec_layout l;
    struct uft_fec *f;
    uint8_t *sec[BLOCKS], *par[3][M], *whole[M];
    const uint8_t *grp[K];
    uint32_t b, g;
    unsigned pos, j, n;
    (void)state;
    seed();
    assert_int_equal(uft_fec_new(&f, K, M, LEN), 0);
    assert_int_equal(uft_fec_layout_init(&l, BLOCKS, K, UFT_FEC_INTERLEAVED), 0);
    assert_int_equal(l.groups, 3);
    for (b = 0; b < BLOCKS; b++) {
        size_t len = b == BLOCKS - 1 ? LAST : LEN, i;
        sec[b] = malloc(len);
        assert_non_null(sec[b]);
        for (i = 0; i < len; i++)
            sec[b][i] = (uint8_t)rnd();
    }
    for (g = 0; g < 3; g++)
        for (j = 0; j < M; j++) {
            par[g][j] = calloc(1, LEN);
            assert_non_null(par[g][j]);
        }
    for (j = 0; j < M; j++) {
        whole[j] = malloc(LEN);
        assert_non_null(whole[j]);
    }
    for (b = 0; b < BLOCKS; b++) {
        uft_fec_layout_locate(&l, b, &g, &pos);
        n = uft_fec_layout_group_blocks(&l, g);
        assert_int_equal(
            uft_fec_encode_add(f, n, g == (BLOCKS - 1) % 3 ? LAST : LEN, pos, sec[b], par[g]), 0);
    }
    for (g = 0; g < 3; g++) {
        size_t last = g == (BLOCKS - 1) % 3 ? LAST : LEN;
        n = uft_fec_layout_group_blocks(&l, g);
        for (pos = 0; pos < n; pos++)
            grp[pos] = sec[uft_fec_layout_block(&l, g, pos)];
        assert_int_equal(uft_fec_encode(f, n, last, grp, whole), 0);
        for (j = 0; j < M; j++)
            assert_memory_equal(par[g][j], whole[j], LEN);
        /* the same block added twice leaves the parity as it was */
        assert_int_equal(uft_fec_encode_add(f, n, last, 1, grp[1], par[g]), 0);
        assert_int_equal(uft_fec_encode_add(f, n, last, 1, grp[1], par[g]), 0);
        for (j = 0; j < M; j++)
            assert_memory_equal(par[g][j], whole[j], LEN);
    }
    assert_int_equal(uft_fec_encode_add(f, 44, LEN, 44, sec[0], par[0]), UFT_E_INVAL);
    assert_int_equal(uft_fec_encode_add(f, 65, LEN, 0, sec[0], par[0]), UFT_E_INVAL);
    for (b = 0; b < BLOCKS; b++)
        free(sec[b]);
    for (j = 0; j < M; j++) {
        free(whole[j]);
        for (g = 0; g < 3; g++)
            free(par[g][j]);
    }
    uft_fec_free(f);
}

/* GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d), by shift
 * and add: the reference the code is pinned to. */
static uint8_t ref_mul(uint8_t a, uint8_t b)
{
    unsigned r = 0, x = a;
    while (b) {
        if (b & 1)
            r ^= x;
        x <<= 1;
        if (x & 0x100)
            x ^= 0x11d;
        b >>= 1;
    }
    return (uint8_t)r;
}

static uint8_t ref_inv(uint8_t a)
{
    unsigned b;
    for (b = 1; b < 256; b++)
        if (ref_mul(a, (uint8_t)b) == 1)
            return (uint8_t)b;
    fail_msg("%u has no inverse", a);
    return 0;
}

/* The parity bytes are exactly sum_i data_i / ((255 - j) ^ i): peers of
 * any version compute the same rows. */
static void test_reference_code(void **state)
{
    struct uft_fec *f;
    struct grp g;
    unsigned i, j;
    size_t b;
    (void)state;
    seed();
    assert_int_equal(uft_fec_new(&f, 20, 6, 70), 0);
    grp_make(&g, 20, 6, 70, 70);
    encode(f, &g);
    for (j = 0; j < 6; j++) {
        for (b = 0; b < 70; b++) {
            uint8_t want = 0;
            for (i = 0; i < 20; i++)
                want ^= ref_mul(g.data[i][b], ref_inv((uint8_t)((255 - j) ^ i)));
            assert_int_equal(g.parity[j][b], want);
        }
    }
    grp_free(&g);
    uft_fec_free(f);
}

/* Bad arguments come back as errors, not crashes. */
static void test_bad_arguments(void **state)
{
    struct uft_fec *f;
    struct grp g;
    const uint8_t *par[3];
    unsigned dup[2] = {1, 1}, high[1] = {3};
    uint8_t present = 0x0e, row[64];
    (void)state;
    seed();
    assert_int_equal(uft_fec_new(&f, 0, 3, 64), UFT_E_INVAL);
    assert_null(f);
    assert_int_equal(uft_fec_new(&f, 4, 0, 64), UFT_E_INVAL);
    assert_int_equal(uft_fec_new(&f, 200, 57, 64), UFT_E_INVAL);
    assert_int_equal(uft_fec_new(&f, 4, 3, 0), UFT_E_INVAL);
    assert_int_equal(uft_fec_new(&f, 4, 3, UFT_FEC_MAX_BLOCK + 1), UFT_E_INVAL);
    assert_int_equal(uft_fec_new(&f, 200, 56, 64), 0);
    uft_fec_free(f);
    uft_fec_free(NULL);
    assert_int_equal(uft_fec_new(&f, 4, 3, 64), 0);
    grp_make(&g, 4, 3, 64, 64);
    encode(f, &g);
    const uint8_t *const *d = (const uint8_t *const *)g.data;
    assert_int_equal(uft_fec_encode(f, 0, 64, d, g.parity), UFT_E_INVAL);
    assert_int_equal(uft_fec_encode(f, 5, 64, d, g.parity), UFT_E_INVAL);
    assert_int_equal(uft_fec_encode(f, 4, 0, d, g.parity), UFT_E_INVAL);
    assert_int_equal(uft_fec_encode(f, 4, 65, d, g.parity), UFT_E_INVAL);
    assert_int_equal(uft_fec_encode(f, 4, 64, NULL, g.parity), UFT_E_INVAL);
    assert_int_equal(uft_fec_encode_row(f, 4, 64, d, 3, row), UFT_E_INVAL);
    par[0] = par[1] = g.parity[1];
    par[2] = g.parity[2];
    assert_int_equal(uft_fec_decode(f, 4, 64, g.work, &present, 2, par, dup), UFT_E_INVAL);
    assert_int_equal(uft_fec_decode(f, 4, 64, g.work, &present, 1, par, high), UFT_E_INVAL);
    assert_int_equal(uft_fec_decode(f, 4, 64, g.work, NULL, 1, par, dup), UFT_E_INVAL);
    assert_int_equal(uft_fec_decode(f, 4, 64, g.work, &present, 1, NULL, dup), UFT_E_INVAL);
    assert_string_equal(uft_strerror(UFT_E_TOOFEW), "too few blocks to rebuild the lost ones");
    grp_free(&g);
    uft_fec_free(f);
}

/* Every block of a section lands in exactly one (group, position) and
 * back; groups hold at most k blocks and differ by at most one; the
 * section's last block ends its group; interleaving spreads a burst. */
static void check_layout(uint32_t blocks, unsigned k, enum uft_fec_order order)
{
    static uint8_t seen[65536 / 8];
    struct uft_fec_layout l;
    uint32_t g, b, total = 0;
    unsigned pos, min = ~0u, max = 0;
    assert_int_equal(uft_fec_layout_init(&l, blocks, k, order), 0);
    assert_int_equal(l.groups, (blocks + k - 1) / k);
    memset(seen, 0, (blocks + 7) / 8);
    for (g = 0; g < l.groups; g++) {
        unsigned n = uft_fec_layout_group_blocks(&l, g);
        min = n < min ? n : min;
        max = n > max ? n : max;
        for (pos = 0; pos < n; pos++) {
            b = uft_fec_layout_block(&l, g, pos);
            assert_true(b < blocks);
            assert_false(uft_bit_get(seen, b));
            uft_bit_set(seen, b);
            total++;
        }
    }
    assert_int_equal(total, blocks);
    assert_true(max <= k && max - min <= 1 && min >= 1);
    for (b = 0; b < blocks; b++) {
        unsigned p;
        uft_fec_layout_locate(&l, b, &g, &p);
        assert_true(g < l.groups);
        assert_int_equal(uft_fec_layout_block(&l, g, p), b);
        if (b == blocks - 1)
            assert_int_equal(p, uft_fec_layout_group_blocks(&l, g) - 1);
        if (order == UFT_FEC_INTERLEAVED && b + 1 < blocks && l.groups > 1) {
            uint32_t g2;
            unsigned p2;
            uft_fec_layout_locate(&l, b + 1, &g2, &p2);
            assert_int_not_equal(g, g2); /* neighbours never share a group */
        }
    }
}

static void test_layout(void **state)
{
    static const unsigned ks[] = {1, 2, 4, 7, 32, 64, 128, 200, 255};
    struct uft_fec_layout l;
    uint32_t blocks;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        for (blocks = 1; blocks <= 300; blocks++) {
            check_layout(blocks, ks[i], UFT_FEC_INTERLEAVED);
            check_layout(blocks, ks[i], UFT_FEC_CONTIGUOUS);
        }
        check_layout(65536, ks[i], UFT_FEC_INTERLEAVED);
        check_layout(65536, ks[i], UFT_FEC_CONTIGUOUS);
        check_layout(10400, ks[i], UFT_FEC_INTERLEAVED);
        check_layout(10399, ks[i], UFT_FEC_CONTIGUOUS);
    }
    /* 65 blocks in groups of 64: two groups of 33 and 32, not 64 and 1 */
    assert_int_equal(uft_fec_layout_init(&l, 65, 64, UFT_FEC_INTERLEAVED), 0);
    assert_int_equal(uft_fec_layout_group_blocks(&l, 0), 33);
    assert_int_equal(uft_fec_layout_group_blocks(&l, 1), 32);
    assert_int_equal(uft_fec_layout_block(&l, 1, 0), 1);
    assert_int_equal(uft_fec_layout_init(&l, 65, 64, UFT_FEC_CONTIGUOUS), 0);
    assert_int_equal(uft_fec_layout_block(&l, 1, 0), 33);
    assert_int_equal(uft_fec_layout_init(&l, 0, 64, UFT_FEC_CONTIGUOUS), UFT_E_INVAL);
    assert_int_equal(uft_fec_layout_init(&l, 10, 0, UFT_FEC_CONTIGUOUS), UFT_E_INVAL);
    assert_int_equal(uft_fec_layout_init(&l, 10, 256, UFT_FEC_CONTIGUOUS), UFT_E_INVAL);
    assert_int_equal(uft_fec_layout_init(&l, 10, 4, (enum uft_fec_order)7), UFT_E_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_pattern), cmocka_unit_test(test_random_64_16),
        cmocka_unit_test(test_random_200_55), cmocka_unit_test(test_random_edges),
        cmocka_unit_test(test_short_last),    cmocka_unit_test(test_single_rows),
        cmocka_unit_test(test_streaming),     cmocka_unit_test(test_reference_code),
        cmocka_unit_test(test_bad_arguments), cmocka_unit_test(test_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
