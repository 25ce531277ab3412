/*
 * Error codes shared by every ufcast library. Functions return 0 or a
 * negative value from this enum; functions that return a length use ssize_t
 * and a negative value from this enum on failure.
 */
#ifndef UFT_ERR_H
#define UFT_ERR_H

enum uft_err {
    UFT_OK = 0,
    UFT_E_TRUNC = -1,   /* input ends before a field it must hold */
    UFT_E_NOSPACE = -2, /* output buffer too small */
    UFT_E_VERSION = -3, /* unknown protocol version byte */
    UFT_E_TYPE = -4,    /* unknown or unexpected message/extension type */
    UFT_E_LENGTH = -5,  /* a length field disagrees with the data */
    UFT_E_VALUE = -6,   /* a field holds a value out of its range */
    UFT_E_INVAL = -7,   /* caller passed an argument that cannot be used */
    UFT_E_NOMEM = -8,   /* allocation failed */
    UFT_E_CRYPTO = -9,  /* a cryptographic operation failed */
    UFT_E_AUTH = -10,   /* authentication (tag or signature) failed */
    UFT_E_IO = -11,     /* an operating-system call failed (see errno) */
    UFT_E_TOOFEW = -12, /* too few blocks arrived to rebuild the lost ones (FEC) */
    UFT_E_REPLAY = -13, /* an IV counter already seen, or older than the replay window */
};

/* A short, static, human-readable text for an error code (never NULL). */
const char *uft_strerror(int err);

#endif
