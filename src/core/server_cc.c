/*
 * The server's TFMCC glue: when to send CONG_CTRL, how feedback from
 * STATUS and CC_ACK moves the rate, the feedback rounds, and what goes in
 * the CONG_CTRL list. The rate arithmetic itself is in tfmcc.c.
 */
#include "core/server_int.h"

#include <string.h>

#include "core/quant.h"

static uft_ts gap_for(const struct uft_server *s)
{
    return uft_tm_packet_gap(s->packet_size, s->cc.rate);
}

/* adv_grtt under TFMCC: at least the GRTT and one packet at the rate. */
static uft_ts cc_adv(const struct uft_server *s)
{
    uft_ts g = gap_for(s);
    return g > s->grtt ? g : s->grtt;
}

static void apply_rate(struct uft_server *s)
{
    if (!s->cc.rate_changed)
        return;
    s->cc.rate_changed = false;
    s->gap = gap_for(s);
    if (cc_adv(s) > s->adv_grtt_cc)
        s->adv_grtt_cc = cc_adv(s); /* grows within a round */
}

void uft_srv_cc_start(struct uft_server *s, uft_ts now)
{
    int32_t clr = -1;
    uft_ts worst = 0;
    size_t i;
    for (i = 0; i < s->n_dests; i++) {
        struct dest *d = &s->dests[i];
        d->rtt_sent = false;
        /* the first CLR is the client farthest away */
        if (!d->is_proxy && (d->state == D_ACTIVE || d->state == D_ACTIVE_NAK) && d->rtt >= worst) {
            worst = d->rtt;
            clr = (int32_t)i;
        }
    }
    s->cc.min_rate = s->cfg.cc_min_rate;
    s->cc.init_rate = s->cfg.cc_init_rate;
    s->cc.max_rate = s->cfg.cc_max_rate;
    s->cc.packet_size = s->packet_size;
    uft_tfmcc_tx_start(&s->cc, s->grtt, clr, now);
    s->adv_grtt_cc = 0;
    apply_rate(s);
    s->adv_grtt_cc = cc_adv(s);
    s->next_cc = now;
    s->cc.fb_end = now + 6 * s->adv_grtt_cc;
    s->next_data = now;
}

void uft_srv_cc_timers(struct uft_server *s, uft_ts now)
{
    if (now >= s->next_cc) {
        s->cc_owed = true;
        s->next_cc = now + uft_srv_adv_grtt(s);
        uft_ts quiet = now - s->cc.last_clr;
        if (quiet > UFT_TFMCC_NOFB_GRTTS * uft_srv_adv_grtt(s))
            uft_srv_log(s, 4, "no CLR feedback for %.3f s: halving the rate", (double)quiet / 1e9);
        if (uft_tfmcc_tx_tick(&s->cc, s->grtt, uft_srv_adv_grtt(s), s->cfg.robust, now)) {
            uft_srv_log(s, 1, "No congestion feedback from any client; ending file %u", s->file_id);
            uft_srv_lose_active(s, now, "No feedback from");
        }
        apply_rate(s);
    }
    if (now >= s->cc.fb_end) {
        /* as UFTP does: the GRTT follows the measured RTTs each round */
        uft_srv_recalc_grtt(s);
        uft_tfmcc_tx_next_round(&s->cc, s->grtt, uft_srv_adv_grtt(s), now);
        s->cc.rate_changed = true;
        s->adv_grtt_cc = 0;
        apply_rate(s);
        s->adv_grtt_cc = cc_adv(s);
        s->cc.fb_end = now + 6 * s->adv_grtt_cc;
    }
}

uft_ts uft_srv_cc_deadline(const struct uft_server *s)
{
    return s->next_cc < s->cc.fb_end ? s->next_cc : s->cc.fb_end;
}

void uft_srv_cc_feedback(struct uft_server *s, struct dest *d, const struct uft_ext_tfmcc_ack *a,
                         uft_ts now)
{
    uint64_t sent = uft_msg_tstamp_us(s->cfg.version, a->tstamp_hi, a->tstamp_lo);
    uint64_t at = uft_srv_wall_us(s, now);
    if (sent && sent <= at) {
        uft_ts rtt = (at - sent) * 1000;
        d->rtt = rtt < UFT_CLIENT_RTT_MIN_NS ? UFT_CLIENT_RTT_MIN_NS : rtt;
        d->rtt_measured = true;
        d->rtt_sent = false;
        if (d->rtt > s->grtt)
            s->grtt = d->rtt < s->cfg.grtt_max ? d->rtt : s->cfg.grtt_max;
    }
    uft_tfmcc_tx_feedback(&s->cc, (int32_t)(d - s->dests), uft_unquant_rate(a->cc_rate), a->flags,
                          d->rtt, s->grtt, uft_srv_adv_grtt(s), now);
    uft_srv_log(s, 4, "cc feedback from 0x%08X: rate %lld flags %02x rtt %.3f -> rate %lld clr %d",
                d->id, (long long)uft_unquant_rate(a->cc_rate), a->flags, (double)d->rtt / 1e9,
                (long long)s->cc.rate, s->cc.clr);
    apply_rate(s);
}

static void put_item(uint8_t *p, const struct dest *d, uint8_t flags)
{
    uft_put_u32(p, d->id);
    p[4] = flags;
    p[5] = uft_quant_grtt((double)d->rtt / 1e9);
    p[6] = p[7] = 0;
}

/* CONG_CTRL: the CLR first, then clients whose RTT has not been sent
 * this round, then the others, as many as a block holds. */
ssize_t uft_srv_cc_pull(struct uft_server *s, uft_ts now, uint8_t *buf, size_t cap,
                        struct uft_tx *tx)
{
    size_t max = s->cfg.block_len / UFT_CC_ITEM_LEN, n = 0, i, k, n_new = 0;
    uint8_t ss = s->cc.slowstart ? UFT_CC_START : 0;
    uint32_t fresh[8800 / UFT_CC_ITEM_LEN];
    struct uft_msg m;
    int pass;
    s->cc_owed = false;
    if (s->cc.clr >= 0 && (size_t)s->cc.clr < s->n_dests) {
        struct dest *c = &s->dests[s->cc.clr];
        put_item(s->idbuf, c, (uint8_t)(UFT_CC_CLR | UFT_CC_RTT | ss));
        c->rtt_sent = true;
        n++;
    }
    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < s->n_dests && n < max; i++) {
            struct dest *d = &s->dests[i];
            if ((int32_t)i == s->cc.clr || uft_srv_failed(d) || !d->rtt_measured ||
                d->rtt_sent != (pass == 1))
                continue;
            put_item(s->idbuf + n * UFT_CC_ITEM_LEN, d, (uint8_t)(UFT_CC_RTT | ss));
            if (pass == 0)
                fresh[n_new++] = (uint32_t)i; /* marked after both passes */
            n++;
        }
    }
    for (k = 0; k < n_new; k++)
        s->dests[fresh[k]].rtt_sent = true;
    memset(&m, 0, sizeof m);
    uft_srv_fill_hdr(s, &m, UFT_CONG_CTRL);
    m.u.cong_ctrl.cc_seq = s->cc.cc_seq;
    m.u.cong_ctrl.cc_rate = uft_quant_rate(s->cc.supp_rate);
    uft_msg_tstamp_set(s->cfg.version, uft_srv_wall_us(s, now), &m.u.cong_ctrl.tstamp_hi,
                       &m.u.cong_ctrl.tstamp_lo);
    m.u.cong_ctrl.items.p = s->idbuf;
    m.u.cong_ctrl.items.n = n;
    return uft_srv_finish_tx(s, &m, buf, cap, tx, UFT_DST_PRIVATE);
}
