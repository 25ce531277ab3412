/* The monotonic clock, in nanoseconds; the core takes `now` from here. */
#ifndef UFT_CLOCK_H
#define UFT_CLOCK_H

#include <stdint.h>

/* Monotonic time in ns (CLOCK_MONOTONIC); never goes backwards. */
uint64_t uft_clock_now_ns(void);

/* Wall-clock time in microseconds since the epoch (UFTP timestamps). */
uint64_t uft_clock_wall_us(void);

#endif
