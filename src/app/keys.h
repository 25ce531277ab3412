/*
 * Signing keys for the programs: -k FILE loads one (PEM, RSA or EC);
 * -K rsa:BITS|ec:CURVE makes one, written to -k's file when both are
 * given (created 0600, never over an existing file).
 */
#ifndef UFT_APP_KEYS_H
#define UFT_APP_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

/* A key type as -K and uftp_keymgt -g name it: exactly one field is set. */
struct app_keyspec {
    unsigned rsa_bits; /* "rsa:BITS": 1024..3072 (decimal, or hex with 0x) */
    uint8_t curve;     /* "ec:CURVE": UFT_CURVE_* for secp256r1 (also spelled
                          prime256v1), secp384r1 or secp521r1, as UFTP 5 names them */
};

/* Parse "rsa:BITS" or "ec:CURVE" into *ks. 0, or -1 when the type, the
 * size or the curve is not one UFTP accepts (*ks is then zeroed). */
int app_keyspec_parse(const char *spec, struct app_keyspec *ks);

/* Make a new signing key of type *ks; the caller frees it with
 * uft_signkey_free. 0, or a uft_err from the crypto layer. */
int app_keyspec_new(const struct app_keyspec *ks, struct uft_signkey **out);

/* 0 with *key set (or NULL when neither is given), else an exit code for
 * a bad key with err naming the option and file. desc gets "RSA 2048-bit
 * key with fingerprint AB:CD:..." for the log. */
int app_signing_key(const char *keyfile, const char *keygen, struct uft_signkey **key, char *desc,
                    size_t desclen, char *err, size_t errlen);

/* "AB:CD:..." (20 bytes of SHA-1, as uftp_keymgt prints) into fp[20]. */
int app_parse_fingerprint(const char *s, unsigned char fp[20]);

#endif
