/*
 * ufcast's own message types (FEC_INFO, FEC_HELLO, FEC_PARITY,
 * FILE_HASH): byte layouts written out by hand from
 * docs/protocol-notes.md, round trips in both versions, every truncation,
 * and the values each decoder refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/msg.h"

static void hdr(struct uft_msg *m, uint8_t ver, uint8_t func)
{
    memset(m, 0, sizeof *m);
    m->hdr.version = ver;
    m->hdr.func = func;
    m->hdr.seq = 7;
    m->hdr.src_id = 0x01020304;
    m->hdr.group_id = 0xa0b0c0d0;
    m->hdr.group_inst = 2;
}

/* Every prefix shorter than the whole datagram is refused. */
static void truncations(const uint8_t *p, size_t len)
{
    struct uft_msg d;
    size_t i;
    for (i = 0; i < len; i++)
        assert_true(uft_msg_decode(p, i, &d) < 0);
}

static void test_fec_info(void **state)
{
    static const uint8_t body[] = {UFT_FEC_INFO, 2, 0x00, 0x05, 0x03, 64, 0, 8};
    uint8_t p[64];
    struct uft_msg m, d;
    ssize_t n;
    (void)state;
    hdr(&m, UFT_VER5, UFT_FEC_INFO);
    m.u.fec_info = (struct uft_fec_info){5, UFT_FECF_PARITY | UFT_FECF_HASH, 64, 0, 8};
    n = uft_msg_encode(&m, p, sizeof p);
    assert_int_equal(n, 16 + 8);
    assert_memory_equal(p + 16, body, sizeof body);
    assert_int_equal(uft_msg_decode(p, (size_t)n, &d), 0);
    assert_int_equal(d.u.fec_info.file_id, 5);
    assert_int_equal(d.u.fec_info.flags, 3);
    assert_int_equal(d.u.fec_info.k, 64);
    assert_int_equal(d.u.fec_info.m, 8);
    truncations(p, (size_t)n);
    p[16 + 5] = 0; /* parity with k = 0 */
    assert_int_equal(uft_msg_decode(p, (size_t)n, &d), UFT_E_VALUE);
    p[16 + 5] = 64;
    p[17] = 1; /* hlen below the fixed part */
    assert_int_equal(uft_msg_decode(p, (size_t)n, &d), UFT_E_LENGTH);
}

static void test_fec_hello(void **state)
{
    static const uint8_t body[] = {UFT_FEC_HELLO, 2, 0x12, 0x34, 0x01, 0, 0, 0};
    uint8_t p[64];
    struct uft_msg m, d;
    ssize_t n;
    uint8_t ver;
    (void)state;
    for (ver = UFT_VER4; ver <= UFT_VER5; ver = (uint8_t)(ver + 0x10)) {
        hdr(&m, ver, UFT_FEC_HELLO);
        m.u.fec_hello.file_id = 0x1234;
        m.u.fec_hello.flags = UFT_FECF_PARITY;
        n = uft_msg_encode(&m, p, sizeof p);
        assert_int_equal(n, 24);
        assert_memory_equal(p + 16, body, sizeof body);
        assert_int_equal(uft_msg_decode(p, (size_t)n, &d), 0);
        assert_int_equal(d.hdr.version, ver);
        assert_int_equal(d.u.fec_hello.file_id, 0x1234);
        assert_int_equal(d.u.fec_hello.flags, UFT_FECF_PARITY);
        truncations(p, (size_t)n);
    }
    /* trailing bytes after the header are refused */
    p[24] = 0;
    assert_int_equal(uft_msg_decode(p, 28, &d), UFT_E_LENGTH);
}

static void test_fec_parity(void **state)
{
    static const uint8_t body[] = {UFT_FEC_PARITY, 4, 0, 9, 0, 2, 32, 0, 0, 0, 1, 5, 70, 0, 0, 0};
    uint8_t p[2000], data[1300];
    struct uft_msg m, d;
    ssize_t n;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    hdr(&m, UFT_VER5, UFT_FEC_PARITY);
    m.u.fec_parity.file_id = 9;
    m.u.fec_parity.section = 2;
    m.u.fec_parity.k = 32;
    m.u.fec_parity.order = 0;
    m.u.fec_parity.group = 0x105;
    m.u.fec_parity.row = 70;
    m.u.fec_parity.data.p = data;
    m.u.fec_parity.data.len = sizeof data;
    n = uft_msg_encode(&m, p, sizeof p);
    assert_int_equal(n, 16 + 16 + 1300);
    assert_memory_equal(p + 16, body, sizeof body);
    assert_int_equal(uft_msg_decode(p, (size_t)n, &d), 0);
    assert_int_equal(d.u.fec_parity.group, 0x105);
    assert_int_equal(d.u.fec_parity.row, 70);
    assert_int_equal(d.u.fec_parity.section, 2);
    assert_int_equal(d.u.fec_parity.data.len, 1300);
    assert_memory_equal(d.u.fec_parity.data.p, data, sizeof data);
    /* without its data block it is refused; any shorter block is data */
    assert_int_equal(uft_msg_decode(p, 32, &d), UFT_E_LENGTH);
    truncations(p, 32);
    p[16 + 6] = 0; /* k = 0 */
    assert_int_equal(uft_msg_decode(p, (size_t)n, &d), UFT_E_VALUE);
    m.u.fec_parity.data.len = 0;
    assert_int_equal(uft_msg_encode(&m, p, sizeof p), UFT_E_VALUE);
}

static void test_file_hash(void **state)
{
    uint8_t p[128], h[UFT_FILE_HASH_LEN];
    struct uft_msg m, d;
    ssize_t n;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof h; i++)
        h[i] = (uint8_t)(0xf0 ^ i);
    hdr(&m, UFT_VER4, UFT_FILE_HASH);
    m.u.file_hash.file_id = 3;
    m.u.file_hash.hashtype = UFT_HASH_SHA256;
    m.u.file_hash.hash.p = h;
    m.u.file_hash.hash.len = sizeof h;
    n = uft_msg_encode(&m, p, sizeof p);
    assert_int_equal(n, 16 + 8 + 32);
    assert_int_equal(p[16], UFT_FILE_HASH);
    assert_int_equal(p[17], 2);
    assert_int_equal(p[20], UFT_HASH_SHA256);
    assert_memory_equal(p + 24, h, sizeof h);
    assert_int_equal(uft_msg_decode(p, (size_t)n, &d), 0);
    assert_int_equal(d.u.file_hash.file_id, 3);
    assert_memory_equal(d.u.file_hash.hash.p, h, sizeof h);
    truncations(p, (size_t)n);
    assert_int_equal(uft_msg_decode(p, (size_t)n + 4, &d), UFT_E_LENGTH); /* too long */
    p[20] = UFT_HASH_SHA1;
    assert_int_equal(uft_msg_decode(p, (size_t)n, &d), UFT_E_VALUE);
    m.u.file_hash.hash.len = 20;
    assert_int_equal(uft_msg_encode(&m, p, sizeof p), UFT_E_VALUE);
}

/* Types between UFTP's last and ours stay unknown, and names print. */
static void test_unknown_between(void **state)
{
    uint8_t p[24];
    struct uft_msg d;
    unsigned f;
    (void)state;
    memset(p, 0, sizeof p);
    p[0] = UFT_VER5;
    p[17] = 2;
    for (f = UFT_FUNC_MAX + 1; f < 256; f++) {
        if (f >= UFT_FEC_INFO && f <= UFT_FUNC_EXT_MAX)
            continue;
        p[1] = p[16] = (uint8_t)f;
        assert_int_equal(uft_msg_decode(p, sizeof p, &d), UFT_E_TYPE);
        assert_string_equal(uft_msg_name(f), "UNKNOWN");
    }
    assert_string_equal(uft_msg_name(UFT_FEC_PARITY), "FEC_PARITY");
    assert_string_equal(uft_msg_name(UFT_FILE_HASH), "FILE_HASH");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fec_info),        cmocka_unit_test(test_fec_hello),
        cmocka_unit_test(test_fec_parity),      cmocka_unit_test(test_file_hash),
        cmocka_unit_test(test_unknown_between),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
