/* Texts for the shared error codes. */
#include "core/err.h"

const char *uft_strerror(int err)
{
    switch (err) {
    case UFT_OK:
        return "success";
    case UFT_E_TRUNC:
        return "message truncated";
    case UFT_E_NOSPACE:
        return "output buffer too small";
    case UFT_E_VERSION:
        return "unsupported protocol version";
    case UFT_E_TYPE:
        return "unknown or unexpected message type";
    case UFT_E_LENGTH:
        return "inconsistent length field";
    case UFT_E_VALUE:
        return "field value out of range";
    case UFT_E_INVAL:
        return "invalid argument";
    case UFT_E_NOMEM:
        return "out of memory";
    case UFT_E_CRYPTO:
        return "cryptographic operation failed";
    case UFT_E_AUTH:
        return "authentication failed";
    case UFT_E_IO:
        return "system call failed";
    case UFT_E_TOOFEW:
        return "too few blocks to rebuild the lost ones";
    case UFT_E_REPLAY:
        return "replayed or too old";
    default:
        return "unknown error";
    }
}
