/* The crypto layer's first pieces: random bytes and wiping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"

static void test_random_differs(void **state)
{
    uint8_t a[32], b[32], zero[32] = {0};
    (void)state;
    assert_int_equal(uft_crypto_random(a, sizeof a), 0);
    assert_int_equal(uft_crypto_random(b, sizeof b), 0);
    assert_memory_not_equal(a, b, sizeof a);
    assert_memory_not_equal(a, zero, sizeof a);
    assert_int_equal(uft_crypto_random(a, 0), 0);
}

static void test_wipe(void **state)
{
    uint8_t k[48], zero[48] = {0};
    (void)state;
    memset(k, 0x5a, sizeof k);
    uft_crypto_wipe(k, sizeof k);
    assert_memory_equal(k, zero, sizeof k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_differs),
        cmocka_unit_test(test_wipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
