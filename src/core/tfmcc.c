/*
 * TFMCC arithmetic for both ends. See tfmcc.h for what it follows; the
 * comments here say why each step is the way it is.
 */
#include "core/tfmcc.h"

#include <math.h>
#include <string.h>

#include "core/msg.h"

#define MAX_MISORDER 5
static const double weights[8] = {1.0, 1.0, 1.0, 1.0, 0.8, 0.6, 0.4, 0.2};

/* ---------- receiver ---------- */

static void ring_add(struct uft_tfmcc_rx *r, uft_ts now, uint32_t size)
{
    r->ring_head = (r->ring_head + 1) % UFT_TFMCC_RING;
    r->ring[r->ring_head].t = now;
    r->ring[r->ring_head].size = size;
    if (r->ring_n < UFT_TFMCC_RING)
        r->ring_n++;
}

/* Bytes that arrived in (now - window, now], and the time they span;
 * when the ring is shorter than the window, the span is what it holds. */
static uint64_t ring_bytes(const struct uft_tfmcc_rx *r, uft_ts now, uft_ts window, uft_ts *span)
{
    uint64_t bytes = 0;
    uint32_t i, k = r->ring_head;
    *span = window;
    for (i = 0; i < r->ring_n; i++) {
        if (now - r->ring[k].t >= window)
            return bytes;
        bytes += r->ring[k].size;
        k = (k + UFT_TFMCC_RING - 1) % UFT_TFMCC_RING;
    }
    if (r->ring_n == UFT_TFMCC_RING && r->ring_n)
        *span = now - r->ring[(r->ring_head + 1) % UFT_TFMCC_RING].t + 1;
    return bytes;
}

void uft_tfmcc_rx_init(struct uft_tfmcc_rx *r, uint16_t seq, uint32_t size, uint32_t packet_size,
                       uft_ts now)
{
    memset(r, 0, sizeof *r);
    r->active = true;
    r->slowstart = true;
    r->max_seq = seq;
    r->ext_max = seq;
    r->seen = 1;
    r->packet_size = packet_size;
    ring_add(r, now, size);
}

/* A loss at extended sequence number seq: close the current interval and
 * open a new one. The first loss ends slow start: the interval before it
 * is seeded so that the equation gives the rate seen over the last GRTT
 * (the rate-to-interval inversion of RFC 4654, section 3.2.2). */
static void new_loss_event(struct uft_tfmcc_rx *r, uint32_t seq, uft_ts now, uft_ts grtt)
{
    if (r->slowstart) {
        uft_ts span;
        double g = (double)grtt / 1e9, rtt = r->rtt_s > 0 ? r->rtt_s : g;
        uint64_t bytes = ring_bytes(r, now, grtt, &span);
        double rate = (double)bytes / ((double)span / 1e9);
        double avg = r->packet_size ? r->packet_size : 1;
        double len = pow(rate * rtt / (sqrt(1.5) * avg), 2);
        r->slowstart = false;
        r->ev[0].len = len < 1 ? 1 : (len > 4e9 ? 4000000000u : (uint32_t)len);
    } else {
        r->ev[0].len = seq - r->ev[0].start;
    }
    memmove(&r->ev[1], &r->ev[0], sizeof r->ev[0] * 8);
    r->ev[0].start = seq;
    r->ev[0].len = 0;
    r->ev[0].t = now;
}

static bool loss_counts(const struct uft_tfmcc_rx *r, uft_ts now, uft_ts grtt)
{
    /* several losses within one GRTT are one loss event */
    return r->slowstart || now - r->ev[0].t > grtt;
}

void uft_tfmcc_rx_packet(struct uft_tfmcc_rx *r, uint16_t seq, uint32_t size, bool ecn_ce,
                         uft_ts now, uft_ts grtt)
{
    int16_t ahead = (int16_t)(uint16_t)(seq - r->max_seq);
    if (!r->active)
        return;
    ring_add(r, now, size);
    if (ahead <= 0) {
        /* late or duplicate: fills its gap if it is still in the window */
        if (-ahead < 64)
            r->seen |= 1ull << -ahead;
        return;
    }
    /* A jump past the whole window: everything between is gone. Handle it
     * in one step, so a forged sequence number cannot buy a long loop. */
    if (ahead > 64) {
        if (loss_counts(r, now, grtt))
            new_loss_event(r, r->ext_max + 1, now, grtt);
        r->ext_max += (uint32_t)(uint16_t)ahead;
        r->max_seq = seq;
        r->seen = 1;
        r->ev[0].len = r->ext_max - r->ev[0].start;
        return;
    }
    /* Packets that fall more than MAX_MISORDER behind the new maximum and
     * never arrived are losses. */
    while (ahead-- > 0) {
        uint32_t old = r->ext_max - MAX_MISORDER;
        if (!(r->seen & (1ull << MAX_MISORDER)) && r->ext_max >= MAX_MISORDER &&
            loss_counts(r, now, grtt))
            new_loss_event(r, old, now, grtt);
        r->seen <<= 1;
        r->ext_max++;
        r->max_seq++;
    }
    r->seen |= 1;
    if (ecn_ce && loss_counts(r, now, grtt))
        new_loss_event(r, r->ext_max, now, grtt);
    r->ev[0].len = r->ext_max - r->ev[0].start;
}

double uft_tfmcc_rx_loss_rate(const struct uft_tfmcc_rx *r)
{
    double cur = 0, nocur = 0, wsum = 0, nwsum = 0, df = 1;
    int i;
    if (r->slowstart)
        return 0;
    for (i = 1; i < 9 && r->ev[i].len; i++) {
        nocur += r->ev[i].len * weights[i - 1];
        nwsum += weights[i - 1];
    }
    /* History discounting (RFC 5348, section 5.5): a loss-free stretch
     * more than twice the mean interval weighs the old intervals down, so
     * the rate climbs back after a burst of losses (a slow-start overshoot
     * above all) in a few round trips instead of eight loss events. */
    if (nwsum > 0 && r->ev[0].len > 2 * nocur / nwsum) {
        df = 2 * nocur / nwsum / r->ev[0].len;
        if (df < 0.5)
            df = 0.5;
    }
    for (i = 0; i < 8; i++) {
        if (r->ev[i].len) {
            double w = weights[i] * (i ? df : 1);
            cur += r->ev[i].len * w;
            wsum += w;
        }
    }
    /* the larger average interval gives the smaller loss rate */
    if (nwsum > 0 && nocur / nwsum > cur / wsum)
        return nwsum / nocur;
    return cur > 0 ? wsum / cur : 0;
}

int64_t uft_tfmcc_rx_rate(const struct uft_tfmcc_rx *r, uft_ts now, uft_ts grtt)
{
    double p = uft_tfmcc_rx_loss_rate(r), g = (double)grtt / 1e9;
    double rtt = r->rtt_s > 0 ? r->rtt_s : g;
    if (p == 0) {
        uft_ts span;
        uint64_t bytes = ring_bytes(r, now, 4 * grtt, &span);
        /* twice what arrived: the receiver's slow-start offer */
        return (int64_t)(2.0 * (double)bytes / ((double)span / 1e9));
    }
    return (int64_t)(r->packet_size / (rtt * (sqrt(p * 2.0 / 3.0) +
                                              12 * sqrt(p * 3.0 / 8.0) * p * (1 + 32 * p * p))));
}

void uft_tfmcc_rx_round(struct uft_tfmcc_rx *r, uint16_t cc_seq, int64_t supp_rate, uft_ts now,
                        uft_ts grtt, int64_t gsize, double u01)
{
    if ((int16_t)(uint16_t)(cc_seq - r->cc_seq) > 0) {
        double g = (double)grtt / 1e9, back;
        r->cc_seq = cc_seq;
        if (u01 <= 0 || u01 > 1)
            u01 = 1;
        back = gsize > 1 ? 6 * g * (1 + log(u01) / log((double)gsize)) : 0;
        if (back < 0)
            back = 0;
        r->fb_at = now + (uft_ts)(back * 1e9) + 1;
        r->initrate = uft_tfmcc_rx_rate(r, now, grtt);
        return;
    }
    /* Someone slower already spoke this round: stay quiet. UFTP's
     * receivers keep quiet only when their RTT is below the GRTT, so when
     * every receiver is as far away as the farthest (the GRTT is the
     * largest RTT, and both travel quantized) nobody is ever suppressed
     * and the feedback grows with the group. Here a receiver within 10%
     * of the GRTT is suppressed too. */
    if (r->fb_at && (supp_rate < uft_tfmcc_rx_rate(r, now, grtt) || supp_rate < r->initrate) &&
        1.1 * (double)grtt / 1e9 >= r->rtt_s)
        r->fb_at = 0;
}

/* ---------- sender ---------- */

static int64_t floor_rate(const struct uft_tfmcc_tx *t, uft_ts grtt)
{
    return (int64_t)((double)t->packet_size / ((double)grtt / 1e9));
}

/* Keep the rate within min=, max= and one packet per GRTT. */
static void clamp(struct uft_tfmcc_tx *t, uft_ts grtt)
{
    if (t->max_rate > 0 && t->rate > t->max_rate) {
        t->rate = t->max_rate;
        t->slowstart = false;
    }
    if (t->min_rate > 0 && t->rate < t->min_rate) {
        t->slowstart = true;
        t->rate = t->min_rate;
    }
    if (t->rate < floor_rate(t, grtt)) {
        t->slowstart = true;
        t->rate = floor_rate(t, grtt);
    }
    t->rate_changed = true;
}

void uft_tfmcc_tx_start(struct uft_tfmcc_tx *t, uft_ts grtt, int32_t clr, uft_ts now)
{
    t->rate = t->init_rate > 0 ? t->init_rate : floor_rate(t, grtt);
    if (t->rate < 1)
        t->rate = 1;
    t->slowstart = true;
    t->cc_seq = 0;
    t->supp_rate = UFT_RATE_UNLIMITED;
    t->clr = clr;
    t->clr_drop = false;
    t->new_rate = 0;
    t->last_clr = now;
    t->fb_end = now;
    t->rate_changed = true;
}

bool uft_tfmcc_tx_feedback(struct uft_tfmcc_tx *t, int32_t idx, int64_t client_rate, uint8_t flags,
                           uft_ts rtt, uft_ts grtt, uft_ts adv_grtt, uft_ts now)
{
    bool ss = flags & UFT_CC_START, has_rtt = flags & UFT_CC_RTT;
    int64_t one = floor_rate(t, grtt);
    if (!ss)
        t->slowstart = false;
    if (idx == t->clr) {
        /* a rate measured without an RTT of its own used the GRTT */
        if (!ss && !has_rtt && rtt)
            client_rate = (int64_t)((double)client_rate * ((double)adv_grtt / (double)rtt));
        if (client_rate > t->rate + one && !t->slowstart)
            t->rate += one; /* grow by at most a packet per GRTT */
        else
            t->rate = client_rate;
        clamp(t, grtt);
        t->last_clr = now;
        return false;
    }
    if (client_rate < t->supp_rate)
        t->supp_rate = (int64_t)((double)client_rate * 0.9);
    if (!ss && !has_rtt && rtt)
        client_rate = (int64_t)((double)client_rate * ((double)adv_grtt / (double)rtt));
    if (client_rate >= t->rate && t->clr != -1)
        return false;
    /* a slower receiver: it becomes the CLR */
    if (!t->clr_drop) {
        t->rate = client_rate;
        clamp(t, grtt);
    } else {
        t->new_rate = client_rate < t->rate ? client_rate : t->rate;
    }
    t->clr = idx;
    t->last_clr = now;
    return true;
}

bool uft_tfmcc_tx_tick(struct uft_tfmcc_tx *t, uft_ts grtt, uft_ts adv_grtt, unsigned robust,
                       uft_ts now)
{
    uft_ts quiet = now - t->last_clr;
    if (quiet > (uft_ts)robust * adv_grtt) {
        t->clr = -1;
        t->clr_drop = true;
    }
    if (quiet <= UFT_TFMCC_NOFB_GRTTS * adv_grtt)
        return false;
    t->rate /= 2;
    clamp(t, grtt);
    /* nobody at all for 2R GRTT (and 5 s): give up on this file */
    return quiet > 2 * (uft_ts)robust * adv_grtt && quiet > 5 * UFT_SEC;
}

void uft_tfmcc_tx_next_round(struct uft_tfmcc_tx *t, uft_ts grtt, uft_ts adv_grtt, uft_ts now)
{
    if (t->clr_drop) {
        t->clr_drop = false;
        if (t->new_rate)
            t->rate = t->new_rate;
        t->rate_changed = true;
    }
    if (t->rate < floor_rate(t, grtt) || (t->min_rate > 0 && t->rate < t->min_rate))
        clamp(t, grtt);
    t->fb_end = now + 6 * adv_grtt;
    t->supp_rate = UFT_RATE_UNLIMITED;
    t->cc_seq++;
}
