/*
 * TFMCC (RFC 4654) as UFTP uses it: receivers measure their loss event
 * rate and compute the TCP-friendly rate they could take; the sender
 * follows its current limiting receiver (CLR), collects feedback in rounds
 * of 6 GRTT with suppression, and starts in slow start. Both halves are
 * plain state driven by `now`; the sessions carry the numbers in
 * EXT_TFMCC_DATA_INFO, EXT_TFMCC_ACK_INFO, CONG_CTRL and CC_ACK.
 *
 * Facts follow UFTP 5.0.1's code: the 8 loss intervals weighted
 * 1,1,1,1,.8,.6,.4,.2 without history discounting; a gap counts as lost
 * only once 5 newer packets arrived; with no loss the receiver reports
 * twice what it received in the last 4 GRTT; the first loss ends slow
 * start and seeds the history from the rate seen over the last GRTT.
 */
#ifndef UFT_TFMCC_H
#define UFT_TFMCC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/timing.h"

#define UFT_TFMCC_RING       4096 /* arrivals remembered for rate estimates */
#define UFT_RATE_UNLIMITED   0xFFFFFFFFFFFFll
#define UFT_TFMCC_NOFB_GRTTS 4 /* silence from the CLR before halving (UFTP's) */

/* ---------- receiver ---------- */

struct uft_tfmcc_loss {
    uint32_t start; /* extended sequence number of the first loss */
    uint32_t len;   /* packets in the interval */
    uft_ts t;
};

struct uft_tfmcc_rx {
    bool active, slowstart;
    uint16_t max_seq;
    uint32_t ext_max; /* max_seq with wrap count above bit 15 */
    uint64_t seen;    /* bit i: max_seq - i arrived (i < 64) */
    struct uft_tfmcc_loss ev[9];
    /* arrivals in order: time and size, for the receive-rate estimates */
    struct {
        uft_ts t;
        uint32_t size;
    } ring[UFT_TFMCC_RING];
    uint32_t ring_n, ring_head;
    uint32_t packet_size; /* the session's full data packet size */
    /* feedback */
    uint16_t cc_seq;
    bool is_clr;
    double rtt_s;     /* smoothed from CONG_CTRL; 0 = none yet */
    uft_ts fb_at;     /* feedback timer, 0 = off */
    int64_t initrate; /* rate at the start of this round */
    uint64_t echo_us; /* last server timestamp (CONG_CTRL) */
    uft_ts echo_rx;
};

/* Start measuring at the ANNOUNCE (its sequence number and size). */
void uft_tfmcc_rx_init(struct uft_tfmcc_rx *r, uint16_t seq, uint32_t size, uint32_t packet_size,
                       uft_ts now);

/* Every packet from the server (KEYINFO and ABORT excepted). ecn_ce: the
 * packet was marked Congestion Experienced. */
void uft_tfmcc_rx_packet(struct uft_tfmcc_rx *r, uint16_t seq, uint32_t size, bool ecn_ce,
                         uft_ts now, uft_ts grtt);

/* The loss event rate p (0 in slow start or before any loss). */
double uft_tfmcc_rx_loss_rate(const struct uft_tfmcc_rx *r);

/* The rate this receiver can take, bytes per second. */
int64_t uft_tfmcc_rx_rate(const struct uft_tfmcc_rx *r, uft_ts now, uft_ts grtt);

/* A cc_seq and the sender's suppression rate seen in FILESEG or
 * CONG_CTRL: a newer round arms the feedback timer with the exponential
 * backoff 6 GRTT (1 + ln U / ln gsize); a lower suppression rate cancels
 * it. u01 is a uniform random number in (0, 1]. */
void uft_tfmcc_rx_round(struct uft_tfmcc_rx *r, uint16_t cc_seq, int64_t supp_rate, uft_ts now,
                        uft_ts grtt, int64_t gsize, double u01);

/* ---------- sender ---------- */

struct uft_tfmcc_tx {
    int64_t rate;                          /* current send rate, bytes per second */
    int64_t min_rate, max_rate, init_rate; /* 0 = unset */
    bool slowstart;
    uint16_t cc_seq;
    int64_t supp_rate; /* lowest reported rate this round (x 0.9) */
    int32_t clr;       /* index of the CLR in the caller's table, -1 none */
    bool clr_drop;
    int64_t new_rate;
    uft_ts last_clr, fb_end;
    uint32_t packet_size;
    bool rate_changed;
};

/* Start a file: rate from init= or one packet per GRTT, slow start on. */
void uft_tfmcc_tx_start(struct uft_tfmcc_tx *t, uft_ts grtt, int32_t clr, uft_ts now);

/* Feedback from client idx (its rate, flags, measured rtt). grtt and
 * adv_grtt in ns; returns true when idx became the new CLR. */
bool uft_tfmcc_tx_feedback(struct uft_tfmcc_tx *t, int32_t idx, int64_t client_rate, uint8_t flags,
                           uft_ts rtt, uft_ts grtt, uft_ts adv_grtt, uft_ts now);

/* The CONG_CTRL tick (every adv_grtt): halve the rate after 4 adv_grtt
 * without CLR feedback, drop the CLR after R adv_grtt. Returns true when
 * no feedback at all came for 2 R adv_grtt (and 5 s): the file is over. */
bool uft_tfmcc_tx_tick(struct uft_tfmcc_tx *t, uft_ts grtt, uft_ts adv_grtt, unsigned robust,
                       uft_ts now);

/* The end of a feedback round (fb_end passed): next cc_seq, suppression
 * reset, pending CLR change applied; next fb_end = now + 6 adv_grtt. */
void uft_tfmcc_tx_next_round(struct uft_tfmcc_tx *t, uft_ts grtt, uft_ts adv_grtt, uft_ts now);

#endif
