/*
 * AEAD micro-benchmark: uft_crypto_seal and uft_crypto_open throughput for
 * UFTP's four ciphers at the two usual block sizes (1300 and 8800 bytes),
 * one packet per call as the sessions make them: a fresh nonce each time
 * and 28 bytes of AAD (the 16-byte header and the 12-byte ENCRYPTED
 * header). It only calls src/crypto/crypto.h; bench/crypto.sh prints its
 * table beside `openssl speed` measured in the same run.
 *
 * usage: uft_aead_bench [-t SECONDS]   (2 s of user CPU time per cipher,
 *                                       size and direction)
 * Output: one line per case, "cipher bytes seal_MB/s open_MB/s", with
 * MB = 10^6 bytes as openssl speed counts them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "crypto/crypto.h"

/* UFTP's key type numbers (protocol constants, UFT_KEY_* in core/msg.h). */
static const struct {
    const char *name;
    uint8_t keytype;
    size_t key_len;
} ciphers[] = {
    {"aes-128-gcm", 5, 16},
    {"aes-256-gcm", 6, 32},
    {"aes-128-ccm", 7, 16},
    {"aes-256-ccm", 8, 32},
};

static const size_t sizes[] = {1300, 8800};

enum { AAD_LEN = 28, MAX_LEN = 8800, BATCH = 64 };

/* User CPU seconds, the clock openssl speed uses unless given -elapsed:
 * on a shared machine another process's share of a core is not counted
 * against either side. */
static double now_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
}

/* The 64-bit counter into the last 8 bytes of the nonce, as UFTP 5 does. */
static void next_nonce(const uint8_t iv[12], uint64_t ctr, uint8_t nonce[12])
{
    int i;
    memcpy(nonce, iv, 12);
    for (i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(ctr >> (8 * i));
}

/* Run seal (open = 0) or open (open = 1) for secs seconds, in batches so
 * the clock is read rarely; returns MB/s, or -1 when a call fails. */
static double run(int open, uint8_t keytype, const uint8_t *key, size_t len, double secs)
{
    static uint8_t pt[MAX_LEN], ct[MAX_LEN + 16], back[MAX_LEN];
    uint8_t iv[12], nonce[12], aad[AAD_LEN];
    uint64_t ctr = 0, calls = 0;
    double start, end;
    int i;
    uft_crypto_random(pt, len);
    uft_crypto_random(iv, sizeof iv);
    uft_crypto_random(aad, sizeof aad);
    next_nonce(iv, ++ctr, nonce);
    if (uft_crypto_seal(keytype, key, nonce, aad, AAD_LEN, pt, len, ct) != 0 ||
        uft_crypto_open(keytype, key, nonce, aad, AAD_LEN, ct, len + 16, back) != 0 ||
        memcmp(pt, back, len) != 0)
        return -1;
    start = now_s();
    do {
        for (i = 0; i < BATCH; i++, calls++) {
            int rc;
            if (open) {
                rc = uft_crypto_open(keytype, key, nonce, aad, AAD_LEN, ct, len + 16, back);
            } else {
                next_nonce(iv, ++ctr, nonce);
                rc = uft_crypto_seal(keytype, key, nonce, aad, AAD_LEN, pt, len, ct);
            }
            if (rc != 0)
                return -1;
        }
        end = now_s();
    } while (end - start < secs);
    return (double)calls * (double)len / (end - start) / 1e6;
}

int main(int argc, char **argv)
{
    double secs = 2.0;
    size_t c, s;
    uint8_t key[32];
    if (argc == 3 && strcmp(argv[1], "-t") == 0 && atof(argv[2]) > 0) {
        secs = atof(argv[2]);
    } else if (argc != 1) {
        fprintf(stderr, "usage: %s [-t SECONDS]\n", argv[0]);
        return 2;
    }
    printf("%-12s %6s %10s %10s\n", "cipher", "bytes", "seal MB/s", "open MB/s");
    for (c = 0; c < sizeof ciphers / sizeof ciphers[0]; c++) {
        if (uft_crypto_key_len(ciphers[c].keytype) != ciphers[c].key_len) {
            fprintf(stderr, "uft_aead_bench: key type %u is not %s in crypto.h\n",
                    ciphers[c].keytype, ciphers[c].name);
            return 1;
        }
        uft_crypto_random(key, sizeof key);
        for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            double seal = run(0, ciphers[c].keytype, key, sizes[s], secs);
            double open = run(1, ciphers[c].keytype, key, sizes[s], secs);
            if (seal < 0 || open < 0) {
                fprintf(stderr, "uft_aead_bench: %s at %zu bytes failed\n", ciphers[c].name,
                        sizes[s]);
                return 1;
            }
            printf("%-12s %6zu %10.1f %10.1f\n", ciphers[c].name, sizes[s], seal, open);
            fflush(stdout);
        }
    }
    uft_crypto_wipe(key, sizeof key);
    return 0;
}
