/*
 * Signing keys for the programs: -k FILE loads one (PEM, RSA or EC);
 * -K rsa:BITS|ec:CURVE makes one, written to -k's file when both are
 * given (created 0600, never over an existing file).
 */
#ifndef UFT_APP_KEYS_H
#define UFT_APP_KEYS_H

#include <stddef.h>

#include "crypto/crypto.h"

/* 0 with *key set (or NULL when neither is given), else an exit code for
 * a bad key with err naming the option and file. desc gets "RSA 2048-bit
 * key with fingerprint AB:CD:..." for the log. */
int app_signing_key(const char *keyfile, const char *keygen, struct uft_signkey **key, char *desc,
                    size_t desclen, char *err, size_t errlen);

/* "AB:CD:..." (20 bytes of SHA-1, as uftp_keymgt prints) into fp[20]. */
int app_parse_fingerprint(const char *s, unsigned char fp[20]);

#endif
