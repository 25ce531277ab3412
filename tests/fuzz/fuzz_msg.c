/*
 * libFuzzer harness for the message decoders. One source, built three
 * ways (tests/fuzz/CMakeLists.txt):
 *  - fuzz_packet: the input is a whole datagram (uft_msg_decode);
 *  - fuzz_body:   the first byte picks v4 or v5, the rest is a decrypted
 *                 inner message (uft_msg_decode_body);
 *  - fuzz_<type>: a whole datagram whose type bytes are forced to one
 *                 message type, so each decoder gets the whole budget.
 * Beyond "no crash", it checks the codec's promise: whatever decodes
 * encodes, and that encoding decodes and encodes again to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out1[65536], out2[65536];
static char line[16384];

static void check_stable(const struct uft_msg *m, int body)
{
    struct uft_msg m2;
    ssize_t n1, n2;
    uft_msg_describe(m, line, sizeof line);
    n1 = body ? uft_msg_encode_body(m, out1, sizeof out1) : uft_msg_encode(m, out1, sizeof out1);
    if (n1 < 0)
        abort(); /* decoded but cannot be encoded */
    if ((body ? uft_msg_decode_body(m->hdr.version, out1, (size_t)n1, &m2)
              : uft_msg_decode(out1, (size_t)n1, &m2)) != 0)
        abort(); /* our own encoding does not decode */
    n2 =
        body ? uft_msg_encode_body(&m2, out2, sizeof out2) : uft_msg_encode(&m2, out2, sizeof out2);
    if (n2 != n1 || memcmp(out1, out2, (size_t)n1) != 0)
        abort(); /* encoding is not a fixed point */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct uft_msg m;
    if (size > sizeof out1 / 2)
        return 0;
#if defined(FUZZ_BODY)
    if (size < 1)
        return 0;
    if (uft_msg_decode_body(data[0] & 1 ? UFT_VER5 : UFT_VER4, data + 1, size - 1, &m) == 0)
        check_stable(&m, 1);
#else
    static uint8_t in[65536];
    memcpy(in, data, size);
#if defined(FUZZ_FUNC)
    if (size > 1)
        in[1] = FUZZ_FUNC;
    if (size > UFT_HDR_LEN)
        in[UFT_HDR_LEN] = FUZZ_FUNC;
#endif
    if (uft_msg_decode(in, size, &m) == 0)
        check_stable(&m, 0);
#endif
    return 0;
}
