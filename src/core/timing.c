/*
 * The protocol's clocks. Each rule is a one-line function so that the
 * sessions read as "when" and this file answers "how long".
 */
#include "core/timing.h"

static uft_ts at_least_1s(uft_ts t)
{
    return t < UFT_SEC ? UFT_SEC : t;
}

uft_ts uft_tm_round(uft_ts grtt)
{
    return 3 * grtt;
}

uft_ts uft_tm_late_wait(uft_ts grtt)
{
    return grtt;
}

uft_ts uft_tm_register_resend(uft_ts grtt)
{
    return 5 * grtt;
}

uft_ts uft_tm_register_giveup(uft_ts grtt, unsigned robust)
{
    return at_least_1s(5 * (uft_ts)robust * grtt);
}

uft_ts uft_tm_client_idle(uft_ts grtt, unsigned robust)
{
    return at_least_1s((uft_ts)robust * grtt);
}

uft_ts uft_tm_complete_resend(uft_ts grtt)
{
    return 4 * grtt;
}

uft_ts uft_tm_complete_giveup(uft_ts grtt, unsigned robust)
{
    return at_least_1s(4 * (uft_ts)robust * grtt);
}

uft_ts uft_tm_nak_delay(uft_ts grtt)
{
    return grtt;
}

uft_ts uft_tm_adv_grtt(uft_ts grtt, uft_ts packet_gap)
{
    return grtt < packet_gap ? packet_gap : grtt;
}

uft_ts uft_tm_grtt_update(uft_ts grtt, uft_ts max_rtt, uft_ts min, uft_ts max, bool was_set)
{
    uft_ts g = max_rtt;
    if (max_rtt == 0)
        return grtt;
    if (g < min)
        g = min;
    if (g > max)
        g = max;
    /* RFC 5401: a falling GRTT is damped to 90% of the previous value. */
    if (was_set && g < grtt / 10 * 9)
        g = grtt / 10 * 9;
    return g;
}

uft_ts uft_tm_packet_gap(uint64_t packet_bytes, int64_t rate_bytes_per_s)
{
    if (rate_bytes_per_s <= 0)
        return 0;
    return (uft_ts)((packet_bytes * UFT_SEC) / (uint64_t)rate_bytes_per_s);
}
