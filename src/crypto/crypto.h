/*
 * The cryptographic interface the rest of ufcast uses. crypto_ossl.c
 * implements it with OpenSSL 3 and is the only file that includes OpenSSL
 * headers. The core never calls it directly: sessions get these functions
 * through their environment callbacks, so a simulator can replace them.
 *
 * This file grows with the crypto issue (key exchange, AEAD, signatures).
 */
#ifndef UFT_CRYPTO_H
#define UFT_CRYPTO_H

#include <stddef.h>

/* Fill buf with len bytes from the system's CSPRNG. 0 or UFT_E_CRYPTO. */
int uft_crypto_random(void *buf, size_t len);

/* Overwrite len bytes at p with zeros in a way the compiler keeps. */
void uft_crypto_wipe(void *p, size_t len);

#endif
