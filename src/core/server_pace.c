/*
 * Pacing at `-R -1` ("as fast as the interface allows") without TFMCC.
 *
 * UFTP sends back to back at -R -1 and lets the receivers' socket buffers
 * overflow: with 8,800-byte blocks it needs several passes over a file.
 * ufcast starts the same way, but learns from the NAKs what the slowest
 * receiver took in: for each section it records when the pass sent its
 * first and last block and how many blocks went out. A STATUS that NAKs
 * more than PACE_LOSS of those blocks gives that receiver's delivered rate,
 * (sent - naks) / time; the sender then paces at 70% of the lowest such
 * rate. The estimate comes from what was actually sent, not from the cap
 * in force, so several receivers' reports of one section do not compound.
 *
 * Random loss also NAKs blocks, and no receiver tells loss from overrun.
 * Two rules keep random loss from driving the rate down: the cap is raised
 * by a quarter at the start of each file, and by a quarter whenever a
 * section that this pass sent at least PACE_MIN_SENT blocks of ended two
 * sections ago without any NAK.
 * Nothing here changes what goes on the wire, only when: UFTP clients see
 * a sender that is merely slower.
 */
#include "core/server_int.h"

#include <stdlib.h>
#include <string.h>

#define PACE_LOSS_PCT 3      /* NAKs above this share of a section mean overrun */
#define PACE_MIN_SENT 32     /* fewer blocks than this say too little about rate */
#define PACE_FLOOR    125000 /* bytes/s: never pace below 1 Mbit/s */
#define PACE_MIN_SPAN 100000 /* ns: a shorter send time is not a measurement */

struct pace_sec {
    uft_ts first, last; /* when this pass sent the section's first and last block */
    uint32_t sent;      /* blocks this pass sent of the section */
    bool nakked;        /* a STATUS with NAKs came for it in this pass */
};

bool uft_srv_pace_on(const struct uft_server *s)
{
    return s->cfg.cc_type == UFT_CC_NONE && s->cfg.rate <= 0;
}

static void set_cap(struct uft_server *s, int64_t cap)
{
    if (cap < PACE_FLOOR)
        cap = PACE_FLOOR;
    s->pace_cap = cap;
    s->gap = uft_tm_packet_gap(s->packet_size, cap);
}

void uft_srv_pace_file(struct uft_server *s)
{
    if (!uft_srv_pace_on(s))
        return;
    free(s->pace);
    s->pace = calloc(s->lay.sections ? s->lay.sections : 1, sizeof *s->pace);
    s->pace_sec = UINT32_MAX;
    /* probe upwards: the last file's cap may have come from random loss */
    if (s->pace_cap)
        set_cap(s, s->pace_cap + s->pace_cap / 4);
}

void uft_srv_pace_pass(struct uft_server *s)
{
    if (s->pace)
        memset(s->pace, 0, s->lay.sections * sizeof *s->pace);
    s->pace_sec = UINT32_MAX;
}

/* A section ended: probe upwards when the one two sections back went out
 * in this pass and drew no NAKs (its STATUS would be in by now). */
static void section_ended(struct uft_server *s, uint32_t sec)
{
    if (!s->pace_cap || sec < 2 || s->pace[sec - 2].nakked || s->pace[sec - 2].sent < PACE_MIN_SENT)
        return;
    set_cap(s, s->pace_cap + s->pace_cap / 4);
}

void uft_srv_pace_sent(struct uft_server *s, uint32_t sec, uft_ts now)
{
    struct pace_sec *p;
    if (!s->pace || sec >= s->lay.sections)
        return;
    p = &s->pace[sec];
    if (!p->sent)
        p->first = now;
    p->last = now;
    p->sent++;
    if (sec != s->pace_sec) {
        if (s->pace_sec != UINT32_MAX && s->pace_sec < sec)
            section_ended(s, s->pace_sec);
        s->pace_sec = sec;
    }
}

void uft_srv_pace_naks(struct uft_server *s, uint32_t sec, uint32_t naks)
{
    struct pace_sec *p;
    uft_ts span;
    int64_t rate, sent_rate;
    if (!s->pace || sec >= s->lay.sections)
        return;
    p = &s->pace[sec];
    p->nakked = true;
    if (p->sent < PACE_MIN_SENT || naks > p->sent ||
        (uint64_t)naks * 100 <= (uint64_t)p->sent * PACE_LOSS_PCT)
        return;
    /* the send time of `sent` blocks spans sent - 1 gaps; count one more */
    span = (p->last - p->first) * p->sent / (p->sent - 1);
    if (span < PACE_MIN_SPAN)
        span = PACE_MIN_SPAN;
    rate = (int64_t)((double)(p->sent - naks) * s->packet_size * 1e9 / (double)span * 0.7);
    /* A burst far beyond a receiver's socket buffer says little about
     * its speed (it may not even have been scheduled yet): never cut to
     * below an eighth of the rate the section went out at. */
    sent_rate = (int64_t)((double)p->sent * s->packet_size * 1e9 / (double)span);
    if (rate < sent_rate / 8)
        rate = sent_rate / 8;
    if (s->pace_cap && rate >= s->pace_cap)
        return;
    uft_srv_log(s, 2, "Receivers took %u of %u blocks of section %u: pacing at %lld KB/s",
                p->sent - naks, p->sent, sec,
                (long long)(rate < PACE_FLOOR ? PACE_FLOOR : rate) / 1024);
    set_cap(s, rate);
}
