/*
 * Quantizers against values worked out from the reference's arithmetic
 * (RFC 5401 GRTT, UFTP's group size and RFC 5740-style rate), including
 * the edges where the encoding changes form.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/quant.h"

static void test_grtt_table(void **state)
{
    static const struct {
        double rtt;
        uint8_t q;
    } t[] = {
        {0.0, 0},    {-1.0, 0},  {1e-6, 0},  {2e-6, 1},   {32e-6, 31},   {33e-6, 32},   {0.001, 76},
        {0.01, 106}, {0.5, 157}, {1.0, 166}, {15.0, 201}, {1000.0, 255}, {5000.0, 255},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (uft_quant_grtt(t[i].rtt) != t[i].q)
            fail_msg("grtt %g: got %u want %u", t[i].rtt, uft_quant_grtt(t[i].rtt), t[i].q);
    }
    assert_int_equal(uft_quant_grtt(NAN), 0);
}

static void test_grtt_decode(void **state)
{
    unsigned q;
    (void)state;
    assert_true(fabs(uft_unquant_grtt(0) - 1e-6) < 1e-12);
    assert_true(fabs(uft_unquant_grtt(31) - 32e-6) < 1e-12);
    assert_true(fabs(uft_unquant_grtt(157) - 0.5327) < 0.0005);
    assert_true(fabs(uft_unquant_grtt(255) - 1000.0) < 1e-9);
    /* Encoding rounds up to the next code: just below a code's value
     * encodes to that code (exactly at it, float error may give q+1, as in
     * the reference). */
    for (q = 32; q < 256; q++) {
        assert_int_equal(uft_quant_grtt(uft_unquant_grtt((uint8_t)q) * 0.999), q);
        assert_true(uft_quant_grtt(uft_unquant_grtt((uint8_t)q)) - q <= 1);
    }
    for (q = 0; q < 32; q++)
        assert_int_equal(uft_quant_grtt(uft_unquant_grtt((uint8_t)q) + 1e-9), q);
}

static void test_gsize_table(void **state)
{
    static const struct {
        int64_t n;
        uint8_t q;
        int64_t back;
    } t[] = {
        {0, 0x00, 0},
        {1, 0x18, 1},
        {2, 0x30, 2},
        {9, 0xe8, 9},
        {10, 0x19, 9},
        {100, 0x1a, 94},
        {1000, 0x1b, 938},
        {-5, 0x00, 0},
        {10000, 0x1c, 9375},
        {100000, 0x1d, 93750},
        /* 9.9 rounds to 32, which 5 bits cannot hold: one more decade */
        {99, 0x1a, 94},
        {999, 0x1b, 938},
        {96, 0xf9, 97},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof t / sizeof t[0]; i++) {
        uint8_t q = uft_quant_gsize(t[i].n);
        if (q != t[i].q)
            fail_msg("gsize %lld: got 0x%02x want 0x%02x", (long long)t[i].n, q, t[i].q);
        assert_int_equal(uft_unquant_gsize(q), t[i].back);
    }
    /* huge values saturate instead of spilling the exponent */
    assert_int_equal(uft_quant_gsize(INT64_MAX), 0xff);
}

static void test_rate_table(void **state)
{
    static const struct {
        int64_t r;
        uint16_t q;
        int64_t back;
    } t[] = {
        {0, 0x0000, 0},
        {1, 0x19a0, 1},
        {10, 0x19a1, 10},
        {11, 0x1c31, 11},
        {128000, 0x20c5, 127929},
        {-1, 0x0000, 0},
        {1000000, 0x19a6, 1000976},
        {1250000000, 0x2009, 1250000000},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof t / sizeof t[0]; i++) {
        uint16_t q = uft_quant_rate(t[i].r);
        if (q != t[i].q)
            fail_msg("rate %lld: got 0x%04x want 0x%04x", (long long)t[i].r, q, t[i].q);
        assert_true(uft_unquant_rate(q) == t[i].back);
    }
    assert_int_equal(uft_quant_rate(INT64_MAX) & 0xf, 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grtt_table),
        cmocka_unit_test(test_grtt_decode),
        cmocka_unit_test(test_gsize_table),
        cmocka_unit_test(test_rate_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
