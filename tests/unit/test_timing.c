/* The timing rules, with UFTP's defaults (R = 20, GRTT = 0.5 s). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/timing.h"

static void test_defaults(void **state)
{
    uft_ts g = UFT_GRTT_INIT_NS;
    (void)state;
    assert_true(uft_tm_round(g) == 1500 * UFT_MSEC);
    assert_true(uft_tm_register_resend(g) == 2500 * UFT_MSEC);
    assert_true(uft_tm_register_giveup(g, 20) == 50 * UFT_SEC);
    assert_true(uft_tm_client_idle(g, 20) == 10 * UFT_SEC);
    assert_true(uft_tm_complete_resend(g) == 2 * UFT_SEC);
    assert_true(uft_tm_complete_giveup(g, 20) == 40 * UFT_SEC);
    assert_true(uft_tm_nak_delay(g) == g);
    /* the 1-second floors */
    assert_true(uft_tm_client_idle(10 * UFT_MSEC, 20) == UFT_SEC);
    assert_true(uft_tm_register_giveup(UFT_MSEC, 10) == UFT_SEC);
}

static void test_grtt_update(void **state)
{
    (void)state;
    /* nothing measured: unchanged */
    assert_true(uft_tm_grtt_update(UFT_SEC, 0, UFT_GRTT_MIN_NS, UFT_GRTT_MAX_NS, true) == UFT_SEC);
    /* clamped into [min, max] */
    assert_true(uft_tm_grtt_update(UFT_SEC, UFT_MSEC, UFT_GRTT_MIN_NS, UFT_GRTT_MAX_NS, false) ==
                UFT_GRTT_MIN_NS);
    assert_true(uft_tm_grtt_update(UFT_SEC, 100 * UFT_SEC, UFT_GRTT_MIN_NS, UFT_GRTT_MAX_NS,
                                   false) == UFT_GRTT_MAX_NS);
    /* once set, it falls by 10% per update at most; it rises at once */
    assert_true(uft_tm_grtt_update(UFT_SEC, 20 * UFT_MSEC, UFT_GRTT_MIN_NS, UFT_GRTT_MAX_NS,
                                   true) == 900 * UFT_MSEC);
    assert_true(uft_tm_grtt_update(UFT_SEC, 3 * UFT_SEC, UFT_GRTT_MIN_NS, UFT_GRTT_MAX_NS, true) ==
                3 * UFT_SEC);
}

static void test_pacing(void **state)
{
    (void)state;
    /* 1388-byte packets at UFTP's default 128000 B/s: 10.84 ms apart */
    assert_true(uft_tm_packet_gap(1388, 128000) == 10843750);
    assert_true(uft_tm_packet_gap(1388, -1) == 0);
    assert_true(uft_tm_adv_grtt(10 * UFT_MSEC, 50 * UFT_MSEC) == 50 * UFT_MSEC);
    assert_true(uft_tm_adv_grtt(UFT_SEC, 50 * UFT_MSEC) == UFT_SEC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_grtt_update),
        cmocka_unit_test(test_pacing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
