/*
 * UFTP's public-key wire formats: the RSA and EC key blobs carried in
 * ANNOUNCE, REGISTER, CLIENT_KEY, PROXY_KEY and HB_REQ, and the ECDSA
 * signature form (two 16-bit lengths, then r and s; not DER). These are
 * byte layouts only; the crypto layer turns them into keys.
 */
#ifndef UFT_BLOB_H
#define UFT_BLOB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/msg.h"

/* A decoded key blob. Views borrow the decoded buffer. */
struct uft_keyblob {
    uint8_t type; /* UFT_BLOB_RSA or UFT_BLOB_EC */
    /* RSA: exponent and the modulus, big-endian as sent */
    uint32_t rsa_exponent;
    struct uft_bytes rsa_modulus;
    /* EC: named curve (UFT_CURVE_*) and the point X||Y, without the 0x04
     * prefix of the uncompressed SEC1 form */
    uint8_t ec_curve;
    struct uft_bytes ec_point;
};

/* Size in bytes of one coordinate of a UFTP curve: 32, 48, 66; 0 for a
 * curve number UFTP does not use. */
size_t uft_curve_coord_len(uint8_t curve);

/* Decode a blob that fills exactly len bytes. UFT_E_TRUNC, UFT_E_LENGTH
 * (lengths disagree with len), UFT_E_TYPE (unknown blob type), UFT_E_VALUE
 * (EC point not 2 * coordinate size of a known curve). */
int uft_blob_decode(const uint8_t *p, size_t len, struct uft_keyblob *b);

/* Encode a blob; returns its length or UFT_E_NOSPACE / UFT_E_VALUE. */
ssize_t uft_blob_encode(const struct uft_keyblob *b, uint8_t *buf, size_t cap);

/* An ECDSA signature in UFTP's form. */
struct uft_ecdsa_sig {
    struct uft_bytes r, s; /* big-endian, possibly with leading zeros */
};

/* Decode: rlen 2, slen 2, r, s, filling exactly len bytes. */
int uft_ecdsa_sig_decode(const uint8_t *p, size_t len, struct uft_ecdsa_sig *sig);

/* Encode r and s (minimal big-endian, as a bignum library writes them)
 * the way UFTP does: the total r+s length is padded with leading zeros to
 * 2 * coord_len, growing the shorter of the two first (r when equal).
 * Returns 4 + 2 * coord_len, or UFT_E_VALUE when r or s is longer than
 * fits, or UFT_E_NOSPACE. */
ssize_t uft_ecdsa_sig_encode(const uint8_t *r, size_t rlen, const uint8_t *s, size_t slen,
                             size_t coord_len, uint8_t *buf, size_t cap);

#endif
