/*
 * FEC micro-benchmark: encode and decode throughput of core/fec.c, in MB
 * of data blocks processed per second of one core's user CPU time, for
 * blocks of 1300 and 8800 bytes, groups of k = 32, 64, 128 data blocks and
 * m = 4, 8, 16 parity rows. Encoding is measured for a whole group at
 * once and block by block (uft_fec_encode_add, as a sender reading a file
 * would). Decoding is measured twice: with one block of the group lost,
 * and with m lost (the most the rows can rebuild); each call loses a
 * different set of blocks and uses different rows, so the decode matrix
 * is built every time as it would be on a real receiver.
 * memcpy of the same bytes, measured in the same run, is the reference.
 *
 * usage: uft_fec_bench [-t SECONDS]   (0.3 s of CPU per figure)
 * Output: a table, MB = 10^6 bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/err.h"
#include "core/fec.h"
#include "core/layout.h"

enum { MAX_K = 128, MAX_M = 16, PATTERNS = 16 };

static const size_t lens[] = {1300, 8800};
static const unsigned ks[] = {32, 64, 128};
static const unsigned ms[] = {4, 8, 16};

static uint8_t *data[MAX_K], *work[MAX_K], *parity[MAX_M];
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
}

static double encode_rate(struct uft_fec *f, unsigned k, size_t len, double secs)
{
    double start = cpu_s(), end;
    uint64_t calls = 0;
    do {
        for (int i = 0; i < 16; i++, calls++)
            if (uft_fec_encode(f, k, len, (const uint8_t *const *)data, parity) != 0)
                return -1;
        end = cpu_s();
    } while (end - start < secs);
    return (double)calls * (double)(k * len) / (end - start) / 1e6;
}

/* The same, block by block as a streaming sender codes them. */
static double add_rate(struct uft_fec *f, unsigned k, unsigned m, size_t len, double secs)
{
    double start = cpu_s(), end;
    uint64_t calls = 0;
    do {
        for (unsigned j = 0; j < m; j++)
            memset(parity[j], 0, len);
        for (unsigned i = 0; i < k; i++)
            if (uft_fec_encode_add(f, k, len, i, data[i], parity) != 0)
                return -1;
        calls++;
        end = cpu_s();
    } while (end - start < secs);
    return (double)calls * (double)(k * len) / (end - start) / 1e6;
}

/* PATTERNS loss patterns of e blocks each, with e of the m rows. */
struct pattern {
    uint8_t present[MAX_K / 8];
    unsigned rows[MAX_M];
};

static void make_patterns(struct pattern *p, unsigned k, unsigned m, unsigned e)
{
    for (int t = 0; t < PATTERNS; t++) {
        unsigned perm[MAX_K], i;
        memset(p[t].present, 0xff, sizeof p[t].present);
        for (i = 0; i < k; i++)
            perm[i] = i;
        for (i = 0; i < e; i++) {
            unsigned j = i + (unsigned)(rnd() % (k - i)), x = perm[i];
            perm[i] = perm[j];
            perm[j] = x;
            uft_bit_clear(p[t].present, perm[i]);
        }
        for (i = 0; i < m; i++)
            p[t].rows[i] = i;
        for (i = 0; i < e; i++) {
            unsigned j = i + (unsigned)(rnd() % (m - i)), x = p[t].rows[i];
            p[t].rows[i] = p[t].rows[j];
            p[t].rows[j] = x;
        }
    }
}

/* Decode rate with e lost blocks; the first call's output is checked. */
static double decode_rate(struct uft_fec *f, unsigned k, unsigned m, unsigned e, size_t len,
                          double secs)
{
    static struct pattern pat[PATTERNS];
    const uint8_t *rows[MAX_M];
    double start, end;
    uint64_t calls = 0;
    unsigned i;
    make_patterns(pat, k, m, e);
    for (i = 0; i < k; i++)
        memcpy(work[i], data[i], len);
    start = cpu_s();
    do {
        for (int t = 0; t < PATTERNS; t++, calls++) {
            for (i = 0; i < e; i++)
                rows[i] = parity[pat[t].rows[i]];
            if (uft_fec_decode(f, k, len, work, pat[t].present, e, rows, pat[t].rows) != (int)e)
                return -1;
        }
        end = cpu_s();
    } while (end - start < secs);
    for (i = 0; i < k; i++)
        if (memcmp(work[i], data[i], len) != 0)
            return -1;
    return (double)calls * (double)(k * len) / (end - start) / 1e6;
}

static double memcpy_rate(size_t len, double secs)
{
    double start = cpu_s(), end;
    uint64_t calls = 0;
    do {
        for (unsigned i = 0; i < MAX_K; i++, calls++) {
            memcpy(work[i], data[i], len);
            __asm__ volatile("" : : "r"(work[i]) : "memory"); /* keep the copy */
        }
        end = cpu_s();
    } while (end - start < secs);
    return (double)calls * (double)len / (end - start) / 1e6;
}

int main(int argc, char **argv)
{
    double secs = 0.3;
    size_t l, b;
    unsigned i;
    if (argc == 3 && strcmp(argv[1], "-t") == 0 && atof(argv[2]) > 0) {
        secs = atof(argv[2]);
    } else if (argc != 1) {
        fprintf(stderr, "usage: %s [-t SECONDS]\n", argv[0]);
        return 2;
    }
    for (i = 0; i < MAX_K; i++) {
        data[i] = malloc(8800);
        work[i] = malloc(8800);
        if (!data[i] || !work[i])
            return 1;
        for (b = 0; b < 8800; b++)
            data[i][b] = (uint8_t)rnd();
    }
    for (i = 0; i < MAX_M; i++)
        if ((parity[i] = malloc(8800)) == NULL)
            return 1;
    printf("%6s %4s %3s %10s %10s %10s %10s %9s\n", "block", "k", "m", "enc MB/s", "add MB/s",
           "dec1 MB/s", "decm MB/s", "overhead");
    for (l = 0; l < sizeof lens / sizeof lens[0]; l++) {
        printf("%6zu memcpy reference: %.0f MB/s\n", lens[l], memcpy_rate(lens[l], secs));
        for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
            for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++) {
                unsigned k = ks[ki], m = ms[mi];
                struct uft_fec *f;
                double enc, add, dec1, decm;
                int rc = uft_fec_new(&f, k, m, lens[l]);
                if (rc != 0) {
                    fprintf(stderr, "uft_fec_bench: k=%u m=%u: %s\n", k, m, uft_strerror(rc));
                    return 1;
                }
                enc = encode_rate(f, k, lens[l], secs);
                add = add_rate(f, k, m, lens[l], secs);
                dec1 = decode_rate(f, k, m, 1, lens[l], secs);
                decm = decode_rate(f, k, m, m, lens[l], secs);
                uft_fec_free(f);
                if (enc < 0 || add < 0 || dec1 < 0 || decm < 0) {
                    fprintf(stderr, "uft_fec_bench: k=%u m=%u block %zu: wrong result\n", k, m,
                            lens[l]);
                    return 1;
                }
                printf("%6zu %4u %3u %10.0f %10.0f %10.0f %10.0f %8.1f%%\n", lens[l], k, m, enc,
                       add, dec1, decm, 100.0 * m / k);
                fflush(stdout);
            }
        }
    }
    return 0;
}
