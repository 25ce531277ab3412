/* The checked cursors: every read and write stays inside its bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/wire.h"

static void test_reads_big_endian(void **state)
{
    static const uint8_t b[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    struct uft_rd r;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    (void)state;
    uft_rd_init(&r, b, sizeof b);
    assert_int_equal(uft_rd_u8(&r, &u8), 0);
    assert_int_equal(u8, 1);
    assert_int_equal(uft_rd_u16(&r, &u16), 0);
    assert_int_equal(u16, 0x0203);
    assert_int_equal(uft_rd_u32(&r, &u32), 0);
    assert_int_equal(u32, 0x04050607);
    assert_int_equal(uft_rd_u64(&r, &u64), 0);
    assert_true(u64 == 0x08090a0b0c0d0e0full);
    assert_int_equal(uft_rd_left(&r), 0);
    assert_int_equal(uft_rd_u8(&r, &u8), UFT_E_TRUNC);
}

static void test_failed_read_does_not_move(void **state)
{
    static const uint8_t b[3] = {0xaa, 0xbb, 0xcc};
    struct uft_rd r;
    uint32_t u32 = 0x12345678;
    uint16_t u16;
    uint8_t out[4];
    (void)state;
    uft_rd_init(&r, b, sizeof b);
    assert_int_equal(uft_rd_u32(&r, &u32), UFT_E_TRUNC);
    assert_int_equal(u32, 0x12345678);
    assert_int_equal(r.pos, 0);
    assert_int_equal(uft_rd_copy(&r, out, 4), UFT_E_TRUNC);
    assert_int_equal(uft_rd_skip(&r, 4), UFT_E_TRUNC);
    assert_int_equal(uft_rd_skip(&r, 1), 0);
    assert_int_equal(uft_rd_u16(&r, &u16), 0);
    assert_int_equal(u16, 0xbbcc);
    /* SIZE_MAX must not wrap the bounds check */
    assert_int_equal(uft_rd_skip(&r, SIZE_MAX), UFT_E_TRUNC);
}

static void test_sub_reader_is_bounded(void **state)
{
    static const uint8_t b[] = {1, 2, 3, 4, 5, 6};
    struct uft_rd r, sub;
    uint32_t u32;
    uint16_t u16;
    (void)state;
    uft_rd_init(&r, b, sizeof b);
    assert_int_equal(uft_rd_skip(&r, 1), 0);
    assert_int_equal(uft_rd_sub(&r, 2, &sub), 0);
    assert_int_equal(r.pos, 3);
    assert_int_equal(uft_rd_u32(&sub, &u32), UFT_E_TRUNC); /* parent has more, sub not */
    assert_int_equal(uft_rd_u16(&sub, &u16), 0);
    assert_int_equal(u16, 0x0203);
    assert_int_equal(uft_rd_sub(&r, 4, &sub), UFT_E_TRUNC);
    assert_int_equal(uft_rd_sub(&r, 3, &sub), 0);
    assert_int_equal(uft_rd_left(&r), 0);
}

static void test_empty_reader(void **state)
{
    struct uft_rd r;
    const uint8_t *p = (const uint8_t *)"x";
    uint8_t u8;
    (void)state;
    uft_rd_init(&r, NULL, 5); /* no buffer: nothing to read, whatever len says */
    assert_int_equal(uft_rd_left(&r), 0);
    assert_int_equal(uft_rd_u8(&r, &u8), UFT_E_TRUNC);
    assert_int_equal(uft_rd_view(&r, 0, &p), 0);
    assert_null(p);
}

static void test_writer(void **state)
{
    uint8_t b[16];
    struct uft_wr w;
    (void)state;
    memset(b, 0xee, sizeof b);
    uft_wr_init(&w, b, 15);
    assert_int_equal(uft_wr_u8(&w, 1), 0);
    assert_int_equal(uft_wr_u16(&w, 0x0203), 0);
    assert_int_equal(uft_wr_u32(&w, 0x04050607), 0);
    assert_int_equal(uft_wr_u64(&w, 0x08090a0b0c0d0e0full), 0);
    assert_int_equal(uft_wr_u8(&w, 1), UFT_E_NOSPACE); /* 15 of 15 used */
    w.len = 8; /* rewind: a u64 no longer fits in the 7 bytes left */
    assert_int_equal(uft_wr_u64(&w, 1), UFT_E_NOSPACE);
    assert_int_equal(w.len, 8);
    w.len = 7;
    assert_int_equal(uft_wr_zero(&w, 4), 0);
    assert_int_equal(uft_wr_bytes(&w, "abcd", 4), 0);
    assert_int_equal(w.len, 15);
    assert_int_equal(uft_wr_u8(&w, 9), UFT_E_NOSPACE);
    assert_int_equal(uft_wr_bytes(&w, "", 0), 0);
    assert_int_equal(b[15], 0xee); /* never past cap */
    assert_memory_equal(b, "\x01\x02\x03\x04\x05\x06\x07\0\0\0\0abcd", 15);
    assert_int_equal(uft_wr_patch_u8(&w, 0, 0x77), 0);
    assert_int_equal(b[0], 0x77);
    assert_int_equal(uft_wr_patch_u8(&w, 15, 0x77), UFT_E_INVAL);
}

static void test_writer_null(void **state)
{
    struct uft_wr w;
    (void)state;
    uft_wr_init(&w, NULL, 100);
    assert_int_equal(uft_wr_u8(&w, 1), UFT_E_NOSPACE);
    assert_int_equal(uft_wr_zero(&w, 0), 0);
    assert_int_equal(w.len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_big_endian),
        cmocka_unit_test(test_failed_read_does_not_move),
        cmocka_unit_test(test_sub_reader_is_bounded),
        cmocka_unit_test(test_empty_reader),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_writer_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
