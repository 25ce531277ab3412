/*
 * libFuzzer harness for the key-blob and ECDSA-signature decoders: the
 * first byte picks which, the rest is the input. Whatever decodes must
 * encode back to the same bytes, except the RSA blob's reserved byte,
 * which is written as 0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/blob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[70000];
    ssize_t n;
    if (size < 1)
        return 0;
    if (data[0] & 1) {
        struct uft_keyblob b;
        if (uft_blob_decode(data + 1, size - 1, &b) != 0)
            return 0;
        n = uft_blob_encode(&b, out, sizeof out);
    } else {
        struct uft_ecdsa_sig s;
        if (uft_ecdsa_sig_decode(data + 1, size - 1, &s) != 0)
            return 0;
        if ((s.r.len + s.s.len) % 2)
            return 0; /* odd totals cannot be a UFTP signature of any curve */
        /* re-encode with the field sizes as they are: no padding to add */
        n = uft_ecdsa_sig_encode(s.r.p, s.r.len, s.s.p, s.s.len, (s.r.len + s.s.len) / 2, out,
                                 sizeof out);
    }
    if (n < 0 || (size_t)n != size - 1)
        abort();
    if ((data[0] & 1) && data[1] == UFT_BLOB_RSA && size > 2 && out[1] == 0)
        out[1] = data[2]; /* the reserved byte */
    if (memcmp(out, data + 1, size - 1) != 0)
        abort();
    return 0;
}
