/* Blocks and sections, against UFTP's worked numbers and the edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/layout.h"

static void test_worked_example(void **state)
{
    struct uft_layout l;
    uint32_t s, i;
    (void)state;
    assert_int_equal(uft_layout_init(&l, 104857600, 1300), 0);
    assert_int_equal(l.blocks, 80660);
    assert_int_equal(l.sections, 8);
    assert_int_equal(l.small, 10082);
    assert_int_equal(l.big, 10083);
    assert_int_equal(l.big_sections, 4);
    assert_int_equal(uft_layout_nak_bytes(uft_layout_sec_blocks(&l, 0)), 1261);
    assert_int_equal(uft_layout_sec_first(&l, 4), 4 * 10083);
    assert_int_equal(uft_layout_sec_first(&l, 5), 4 * 10083 + 10082);
    uft_layout_locate(&l, 4 * 10083, &s, &i);
    assert_int_equal(s, 4);
    assert_int_equal(i, 0);
    uft_layout_locate(&l, 80659, &s, &i);
    assert_int_equal(s, 7);
    assert_int_equal(i, 10081);
    assert_int_equal(uft_layout_block_len(&l, 80659), 104857600 - 80659ull * 1300);
}

static void test_edges(void **state)
{
    static const struct {
        uint64_t size;
        uint32_t blocks, sections;
    } t[] = {
        {0, 0, 0},
        {1, 1, 1},
        {1299, 1, 1},
        {1300, 1, 1},
        {1301, 2, 1},
        {1300ull * 10400, 10400, 1},     /* exactly one full section */
        {1300ull * 10400 + 1, 10401, 2}, /* one block into a second */
        {1300ull * 10400 - 1, 10400, 1},
    };
    struct uft_layout l;
    size_t k;
    (void)state;
    for (k = 0; k < sizeof t / sizeof t[0]; k++) {
        assert_int_equal(uft_layout_init(&l, t[k].size, 1300), 0);
        assert_int_equal(l.blocks, t[k].blocks);
        assert_int_equal(l.sections, t[k].sections);
    }
    /* every block maps to a section and back */
    assert_int_equal(uft_layout_init(&l, 1300ull * 10400 * 3 + 77, 1300), 0);
    for (k = 0; k < l.blocks; k += 97) {
        uint32_t s, i;
        uft_layout_locate(&l, (uint32_t)k, &s, &i);
        assert_int_equal(uft_layout_sec_first(&l, s) + i, k);
        assert_true(i < uft_layout_sec_blocks(&l, s));
    }
}

static void test_limits(void **state)
{
    struct uft_layout l;
    (void)state;
    /* 8800-byte blocks: sections are capped at 65536 blocks, not 70400 */
    assert_int_equal(uft_layout_init(&l, 8800ull * 65536 * 2, 8800), 0);
    assert_int_equal(l.sections, 2);
    assert_int_equal(l.big, 65536);
    /* the largest file: 65535 full sections; one byte more does not fit */
    assert_int_equal(uft_layout_init(&l, 1300ull * 10400 * 65535, 1300), 0);
    assert_int_equal(l.sections, 65535);
    assert_int_equal(uft_layout_init(&l, 1300ull * 10400 * 65535 + 1, 1300), UFT_E_VALUE);
    assert_int_equal(uft_layout_init(&l, 1ull << 40, 1300), UFT_E_VALUE);
    assert_int_equal(uft_layout_init(&l, 5, 0), UFT_E_VALUE);
}

static void test_bits(void **state)
{
    uint8_t map[3] = {0};
    (void)state;
    uft_bit_set(map, 0);
    uft_bit_set(map, 9);
    uft_bit_set(map, 23);
    assert_int_equal(map[0], 0x01);
    assert_int_equal(map[1], 0x02);
    assert_int_equal(map[2], 0x80);
    assert_true(uft_bit_get(map, 9));
    assert_false(uft_bit_get(map, 8));
    uft_bit_clear(map, 9);
    assert_int_equal(map[1], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
