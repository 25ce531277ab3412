/*
 * File-hash micro-benchmark: SHA-256 through src/crypto's piecewise API
 * (uft_crypto_sha256_*, what uftp and uftpd use for the FEC extension's
 * file hashes), in MB hashed per second of one core's user CPU, fed 1300
 * and 8800 bytes at a time (a block per update, as the sender hashes
 * while it reads) and 1 MiB at a time (as a receiver reads its file
 * back), beside memcpy of the same bytes in the same run.
 *
 * usage: uft_hash_bench [-t SECONDS]   (0.3 s of CPU per figure)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "crypto/crypto.h"

enum { BUF = 1 << 20, ROUND = 64 << 20 };

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
}

/* MB/s of SHA-256 over ROUND bytes a round, fed piece bytes at a time. */
static double sha_rate(const uint8_t *buf, size_t piece, double secs)
{
    double start = cpu_s(), end;
    uint64_t bytes = 0;
    uint8_t out[32];
    do {
        void *h = uft_crypto_sha256_new(NULL);
        size_t done;
        if (!h)
            return -1;
        for (done = 0; done + piece <= ROUND; done += piece)
            uft_crypto_sha256_update(NULL, h, buf + done % (BUF - piece + 1), piece);
        uft_crypto_sha256_final(NULL, h, out);
        bytes += done;
        end = cpu_s();
    } while (end - start < secs);
    return (double)bytes / (end - start) / 1e6;
}

static double copy_rate(uint8_t *dst, const uint8_t *src, double secs)
{
    double start = cpu_s(), end;
    uint64_t bytes = 0;
    do {
        for (int i = 0; i < 64; i++) {
            memcpy(dst, src, BUF);
            bytes += BUF;
        }
        end = cpu_s();
    } while (end - start < secs || dst[BUF / 2] != src[BUF / 2]);
    return (double)bytes / (end - start) / 1e6;
}

int main(int argc, char **argv)
{
    static const size_t pieces[] = {1300, 8800, BUF};
    double secs = 0.3;
    uint8_t *buf = malloc(BUF), *dst = malloc(BUF);
    size_t i;
    if (argc == 3 && strcmp(argv[1], "-t") == 0)
        secs = atof(argv[2]);
    if (!buf || !dst || secs <= 0) {
        fprintf(stderr, "usage: uft_hash_bench [-t SECONDS]\n");
        return 2;
    }
    for (i = 0; i < BUF; i++)
        buf[i] = (uint8_t)(i * 131 + (i >> 9));
    printf("%-28s %10s\n", "what", "MB/s/core");
    printf("%-28s %10.0f\n", "memcpy 1 MiB", copy_rate(dst, buf, secs));
    for (i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "SHA-256, %zu B updates", pieces[i]);
        printf("%-28s %10.0f\n", what, sha_rate(buf, pieces[i], secs));
    }
    free(buf);
    free(dst);
    return 0;
}
