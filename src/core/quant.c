/*
 * The three quantizers UFTP puts in its headers. The arithmetic follows
 * the reference's (double precision, the same rounding points) so that a
 * value encoded here decodes to the same number there, and back; the
 * table tests in tests/unit/test_quant.c pin the edges.
 */
#include "core/quant.h"

#include <math.h>

#define RTT_MIN_S 1.0e-6
#define RTT_MAX_S 1000.0

uint8_t uft_quant_grtt(double rtt_s)
{
    double q;
    if (!(rtt_s >= RTT_MIN_S)) /* also catches NaN */
        rtt_s = RTT_MIN_S;
    if (rtt_s > RTT_MAX_S)
        rtt_s = RTT_MAX_S;
    /* Below 33 us the code is linear in microseconds, above it is
     * logarithmic: 255 at 1000 s, 13 steps per factor of e. */
    if (rtt_s < 33.0 * RTT_MIN_S)
        return (uint8_t)((unsigned)(rtt_s / RTT_MIN_S) - 1u);
    q = ceil(255.0 - 13.0 * log(RTT_MAX_S / rtt_s));
    if (q < 0.0)
        q = 0.0;
    return (uint8_t)q;
}

double uft_unquant_grtt(uint8_t q)
{
    if (q <= 31)
        return (double)(q + 1) * RTT_MIN_S;
    return RTT_MAX_S / exp((double)(255 - q) / 13.0);
}

uint8_t uft_quant_gsize(int64_t n)
{
    double m = n > 0 ? (double)n : 0.0;
    int e = 0;
    int mant;
    while (m >= 10.0) {
        m /= 10.0;
        e++;
    }
    /* Mantissa 0..10 is scaled onto 0..32 in 5 bits; a rounding up to 32
     * does not fit, so move one more decade into the exponent. */
    mant = (int)(m * 32.0 / 10.0 + 0.5);
    if (mant > 31) {
        m /= 10.0;
        e++;
        mant = (int)(m * 32.0 / 10.0 + 0.5);
    }
    if (e > 7) {
        e = 7;
        mant = 31;
    }
    return (uint8_t)(mant << 3 | e);
}

int64_t uft_unquant_gsize(uint8_t q)
{
    double v = (double)(q >> 3) * (10.0 / 32.0);
    int e;
    for (e = 0; e < (q & 7); e++)
        v *= 10.0;
    return (int64_t)(v + 0.5);
}

uint16_t uft_quant_rate(int64_t bytes_per_s)
{
    double m = bytes_per_s > 0 ? (double)bytes_per_s : 0.0;
    int e = 0;
    int mant;
    while (m > 10.0) {
        m /= 10.0;
        e++;
    }
    mant = (int)(m * 4096.0 / 10.0 + 0.5);
    if (mant > 0xFFF) {
        m /= 10.0;
        e++;
        mant = (int)(m * 4096.0 / 10.0 + 0.5);
    }
    if (e > 15) {
        e = 15;
        mant = 0xFFF;
    }
    return (uint16_t)(mant << 4 | e);
}

int64_t uft_unquant_rate(uint16_t q)
{
    double v = (double)(q >> 4) * (10.0 / 4096.0);
    int e;
    for (e = 0; e < (q & 15); e++)
        v *= 10.0;
    return (int64_t)v;
}
