/*
 * One filled-in struct uft_msg for every message type and variant of
 * protocol versions 4 and 5 (with and without extensions, IPv4 and IPv6,
 * ID lists), shared by the codec tests and the fuzz-corpus seeding.
 */
#ifndef UFT_TEST_MSG_SAMPLES_H
#define UFT_TEST_MSG_SAMPLES_H

#include <stddef.h>

#include "core/msg.h"

struct msg_sample {
    const char *name;
    struct uft_msg m;
};

/* Fill out[] (at most cap entries) and return how many there are. */
size_t msg_samples(struct msg_sample *out, size_t cap);

#endif
