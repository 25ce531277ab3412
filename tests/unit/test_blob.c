/* Key blobs and UFTP's ECDSA signature layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/blob.h"
#include "core/err.h"

static void test_rsa_blob(void **state)
{
    static uint8_t mod[256];
    struct uft_keyblob b = {0}, d;
    uint8_t buf[300];
    ssize_t n;
    (void)state;
    memset(mod, 0xc3, sizeof mod);
    b.type = UFT_BLOB_RSA;
    b.rsa_exponent = 65537;
    b.rsa_modulus = (struct uft_bytes){mod, sizeof mod};
    n = uft_blob_encode(&b, buf, sizeof buf);
    assert_int_equal(n, 8 + 256);
    assert_memory_equal(buf, "\x01\x00\x01\x00\x00\x01\x00\x01", 8);
    assert_int_equal(uft_blob_decode(buf, (size_t)n, &d), 0);
    assert_int_equal(d.type, UFT_BLOB_RSA);
    assert_int_equal(d.rsa_exponent, 65537);
    assert_int_equal(d.rsa_modulus.len, 256);
    assert_ptr_equal(d.rsa_modulus.p, buf + 8);
    assert_int_equal(uft_blob_decode(buf, (size_t)n - 1, &d), UFT_E_LENGTH);
    assert_int_equal(uft_blob_decode(buf, 7, &d), UFT_E_TRUNC);
    assert_int_equal(uft_blob_encode(&b, buf, 100), UFT_E_NOSPACE);
}

static void test_ec_blob(void **state)
{
    static uint8_t pt[132];
    struct uft_keyblob b = {0}, d;
    uint8_t buf[200];
    ssize_t n;
    (void)state;
    b.type = UFT_BLOB_EC;
    b.ec_curve = UFT_CURVE_P521;
    b.ec_point = (struct uft_bytes){pt, 132};
    n = uft_blob_encode(&b, buf, sizeof buf);
    assert_int_equal(n, 136);
    assert_memory_equal(buf, "\x02\x19\x00\x84", 4);
    assert_int_equal(uft_blob_decode(buf, (size_t)n, &d), 0);
    assert_int_equal(d.ec_curve, UFT_CURVE_P521);
    assert_int_equal(d.ec_point.len, 132);
    /* a point that is not 2 * coordinate of its curve */
    buf[1] = UFT_CURVE_P256;
    assert_int_equal(uft_blob_decode(buf, (size_t)n, &d), UFT_E_VALUE);
    buf[1] = 22; /* secp256k1: not a UFTP 5 curve */
    assert_int_equal(uft_blob_decode(buf, (size_t)n, &d), UFT_E_VALUE);
    buf[0] = 3;
    assert_int_equal(uft_blob_decode(buf, (size_t)n, &d), UFT_E_TYPE);
    b.ec_curve = UFT_CURVE_P384;
    assert_int_equal(uft_blob_encode(&b, buf, sizeof buf), UFT_E_VALUE);
    assert_int_equal(uft_curve_coord_len(UFT_CURVE_P256), 32);
    assert_int_equal(uft_curve_coord_len(UFT_CURVE_P384), 48);
}

static void test_ecdsa_sig_padding(void **state)
{
    static const uint8_t r31[31] = {0x7f}, s32[32] = {0x80}, s30[30] = {0x11};
    uint8_t buf[80];
    struct uft_ecdsa_sig d;
    (void)state;
    /* r short by one: r grows to 32 with a leading zero */
    assert_int_equal(uft_ecdsa_sig_encode(r31, 31, s32, 32, 32, buf, sizeof buf), 68);
    assert_memory_equal(buf, "\x00\x20\x00\x20\x00\x7f", 6);
    assert_int_equal(buf[4 + 32], 0x80);
    /* both short: they grow in turn, r first */
    assert_int_equal(uft_ecdsa_sig_encode(s30, 30, s30, 30, 32, buf, sizeof buf), 68);
    assert_memory_equal(buf, "\x00\x20\x00\x20\x00\x00\x11", 7);
    assert_int_equal(uft_ecdsa_sig_decode(buf, 68, &d), 0);
    assert_int_equal(d.r.len, 32);
    assert_int_equal(d.s.len, 32);
    assert_int_equal(d.s.p[2], 0x11);
    /* s short, r full */
    assert_int_equal(uft_ecdsa_sig_encode(s32, 32, s30, 30, 32, buf, sizeof buf), 68);
    assert_memory_equal(buf, "\x00\x20\x00\x20\x80", 5);
    assert_int_equal(uft_ecdsa_sig_decode(buf, 67, &d), UFT_E_LENGTH);
    assert_int_equal(uft_ecdsa_sig_decode(buf, 3, &d), UFT_E_TRUNC);
    /* too long for the curve */
    assert_int_equal(uft_ecdsa_sig_encode(s32, 32, s32, 32, 31, buf, sizeof buf), UFT_E_VALUE);
    assert_int_equal(uft_ecdsa_sig_encode(s32, 32, s32, 32, 32, buf, 60), UFT_E_NOSPACE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsa_blob),
        cmocka_unit_test(test_ec_blob),
        cmocka_unit_test(test_ecdsa_sig_padding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
