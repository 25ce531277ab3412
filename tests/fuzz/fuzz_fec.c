/*
 * libFuzzer harness for the FEC codec: the input picks a code (k, m,
 * block length), a group (its size and the last block's length), which
 * data blocks are lost and which parity rows arrive in what order, the
 * data bytes, and whether the parity is made at once or block by block in
 * an input-chosen order. The group is encoded, the lost blocks are
 * overwritten and decoded, and they must come back exactly, or the
 * decoder must say UFT_E_TOOFEW (having written nothing) when fewer rows
 * than lost blocks arrived. The rest of the input checks a section layout
 * round trip. Every input is meaningful, so it needs no seed corpus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/fec.h"
#include "core/layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small enough that one input runs in well under a millisecond. */
enum { MAX_K = 48, MAX_M = 24, MAX_LEN = 160, POISON = 0xa7 };

struct in {
    const uint8_t *p;
    size_t n, at;
};

/* The next input byte, 0 past the end. */
static unsigned next(struct in *in)
{
    return in->at < in->n ? in->p[in->at++] : 0;
}

static void layout_round_trip(struct in *in)
{
    struct uft_fec_layout l;
    uint32_t blocks = 1 + (next(in) | next(in) << 8), g, b;
    unsigned k = 1 + next(in) % 255, pos, i;
    enum uft_fec_order order = next(in) & 1 ? UFT_FEC_CONTIGUOUS : UFT_FEC_INTERLEAVED;
    if (uft_fec_layout_init(&l, blocks, k, order) != 0)
        abort();
    for (i = 0; i < 8; i++) {
        b = (next(in) | next(in) << 8) % blocks;
        uft_fec_layout_locate(&l, b, &g, &pos);
        if (g >= l.groups || pos >= uft_fec_layout_group_blocks(&l, g) ||
            uft_fec_layout_group_blocks(&l, g) > k || uft_fec_layout_block(&l, g, pos) != b)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t orig[MAX_K][MAX_LEN], work[MAX_K][MAX_LEN], par[MAX_M][MAX_LEN];
    uint8_t *blockp[MAX_K], *parp[MAX_M], present[MAX_K / 8 + 1];
    const uint8_t *got[MAX_M];
    unsigned rows[MAX_M], order[MAX_K], k, m, n, i, j, lost = 0, np, stream;
    size_t len, last, b;
    struct uft_fec *f;
    struct in in = {data, size, 0};
    int rc;
    k = 1 + next(&in) % MAX_K;
    m = 1 + next(&in) % MAX_M;
    len = 1 + (next(&in) | next(&in) << 8) % MAX_LEN;
    n = 1 + next(&in) % k;
    last = 1 + (next(&in) | next(&in) << 8) % len;
    for (i = 0; i < (n + 7) / 8; i++)
        present[i] = (uint8_t)next(&in);
    np = next(&in) % (m + 1);
    for (j = 0; j < m; j++)
        rows[j] = j;
    for (j = 0; j < np; j++) { /* np distinct rows in an input-chosen order */
        unsigned r = j + next(&in) % (m - j), x = rows[j];
        rows[j] = rows[r];
        rows[r] = x;
    }
    for (i = 0; i < n; i++) {
        unsigned fill = next(&in);
        for (b = 0; b < len; b++)
            orig[i][b] = (uint8_t)(fill * 131u + b * (i + 7u) + (b >> 3) * fill ^
                                   (size ? data[(i * len + b) % size] : 0));
        blockp[i] = orig[i];
    }
    stream = next(&in) & 1;
    for (i = 0; i < n; i++)
        order[i] = i;
    for (i = 0; stream && i < n; i++) { /* the order blocks are streamed in */
        unsigned r = i + next(&in) % (n - i), x = order[i];
        order[i] = order[r];
        order[r] = x;
    }
    layout_round_trip(&in);
    if (uft_fec_new(&f, k, m, len) != 0)
        abort();
    for (j = 0; j < m; j++)
        parp[j] = par[j];
    if (!stream) {
        if (uft_fec_encode(f, n, last, (const uint8_t *const *)blockp, parp) != 0)
            abort();
    } else {
        for (j = 0; j < m; j++)
            memset(par[j], 0, len);
        for (i = 0; i < n; i++)
            if (uft_fec_encode_add(f, n, last, order[i], blockp[order[i]], parp) != 0)
                abort();
    }
    for (i = 0; i < n; i++) {
        size_t bl = i == n - 1 ? last : len;
        if (present[i / 8] >> (i % 8) & 1) {
            memcpy(work[i], orig[i], bl);
        } else {
            memset(work[i], POISON, MAX_LEN);
            lost++;
        }
        blockp[i] = work[i];
    }
    for (j = 0; j < np; j++)
        got[j] = par[rows[j]];
    rc = uft_fec_decode(f, n, last, blockp, present, np, got, rows);
    uft_fec_free(f);
    if (lost > np) {
        if (rc != UFT_E_TOOFEW)
            abort();
        for (i = 0; i < n; i++)
            if (!uft_bit_get(present, i) && work[i][0] != POISON)
                abort();
        return 0;
    }
    if (rc != (int)lost)
        abort();
    for (i = 0; i < n; i++) {
        size_t bl = i == n - 1 ? last : len;
        if (memcmp(work[i], orig[i], bl) != 0)
            abort();
        /* a short last block is written at its true length only */
        if (bl < len && !uft_bit_get(present, i) && work[i][bl] != POISON)
            abort();
    }
    return 0;
}
