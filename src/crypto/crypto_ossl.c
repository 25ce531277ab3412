/* OpenSSL 3 implementation of crypto.h. */
#include "crypto/crypto.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/err.h"

int uft_crypto_random(void *buf, size_t len)
{
    unsigned char *p = buf;
    /* RAND_bytes takes an int length: feed it in chunks. */
    while (len > 0) {
        int n = len > INT_MAX ? INT_MAX : (int)len;
        if (RAND_bytes(p, n) != 1)
            return UFT_E_CRYPTO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void uft_crypto_wipe(void *p, size_t len)
{
    OPENSSL_cleanse(p, len);
}
