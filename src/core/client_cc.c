/*
 * The client's part of TFMCC (cc_type 2): the feedback state set up at
 * the ANNOUNCE, the RTT and CLR role learnt from CONG_CTRL, the feedback
 * rounds announced in CONG_CTRL and FILESEG, and the EXT_TFMCC_ACK_INFO
 * that STATUS and CC_ACK carry. The rate arithmetic is in tfmcc.c.
 */
#include "core/client_int.h"

#include <stdlib.h>

#include "core/quant.h"

/* TFMCC feedback state, when the session asks for it. False when out of
 * memory. */
bool uft_ccfb_setup(struct csession *s, const struct uft_msg *m, size_t len, uft_ts now)
{
    uint32_t ip = s->v6 ? 40 : 20;
    s->cc_type = m->u.announce.cc_type;
    if (s->cc_type != UFT_CC_TFMCC)
        return true;
    s->cc = malloc(sizeof *s->cc);
    if (!s->cc)
        return false;
    uft_tfmcc_rx_init(s->cc, m->hdr.seq, (uint32_t)len + 8 + ip,
                      (uint32_t)s->block_len + 8 + 8 + UFT_HDR_LEN + 8 + ip, now);
    s->cc->echo_us = s->echo_us;
    s->cc->echo_rx = now;
    return true;
}

/* A number in (0, 1] for the feedback backoff. The core has no random
 * source; mixing the client ID, the time and the round spreads clients
 * as well, and keeps the simulator reproducible. */
static double unit_random(const struct uft_client *c, const struct csession *s, uft_ts now)
{
    uint64_t x = ((uint64_t)c->cfg.client_id << 32) ^ now ^ ((uint64_t)s->cc->cc_seq << 17);
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
    return ((double)(x >> 11) + 1.0) / 9007199254740992.0;
}

void uft_ccfb_round(struct uft_client *c, struct csession *s, uint16_t cc_seq, uint16_t cc_rate,
                    uft_ts now)
{
    uft_tfmcc_rx_round(s->cc, cc_seq, uft_unquant_rate(cc_rate), now, s->grtt, s->gsize,
                       unit_random(c, s, now));
}

/* CONG_CTRL: the RTT the server measured for us, whether we are the CLR
 * (then we answer at once), and the feedback round. */
void uft_ccfb_cong_ctrl(struct uft_client *c, struct csession *s, const struct uft_msg *m,
                        uft_ts now)
{
    const struct uft_cong_ctrl *cc = &m->u.cong_ctrl;
    size_t i;
    bool mine = false, clr = false;
    double rtt = 0;
    if (!s->cc)
        return;
    s->cc->echo_us = uft_msg_tstamp_us(s->version, cc->tstamp_hi, cc->tstamp_lo);
    s->cc->echo_rx = now;
    for (i = 0; i < cc->items.n; i++) {
        struct uft_cc_item it = uft_cc_items_get(&cc->items, i);
        if (it.id == c->cfg.client_id) {
            mine = true;
            clr = it.flags & UFT_CC_CLR;
            rtt = uft_unquant_grtt(it.rtt);
            break;
        }
    }
    s->cc->is_clr = clr;
    if (mine) {
        /* UFTP smooths slowly for the CLR, quickly for the others */
        s->cc->rtt_s = clr ? 0.9 * s->cc->rtt_s + 0.1 * rtt : 0.5 * s->cc->rtt_s + 0.5 * rtt;
        if (clr)
            s->owe_cc_ack = true;
    }
    uft_ccfb_round(c, s, cc->cc_seq, cc->cc_rate, now);
}

/* EXT_TFMCC_ACK_INFO: our rate, round, flags and the echoed timestamp. */
void uft_ccfb_ack(struct uft_client *c, struct csession *s, struct uft_ext_tfmcc_ack *a, uft_ts now)
{
    struct uft_tfmcc_rx *r = s->cc;
    a->flags = (uint8_t)((r->slowstart ? UFT_CC_START : 0) | (r->rtt_s > 0 ? UFT_CC_RTT : 0));
    a->cc_seq = r->cc_seq;
    a->cc_rate = uft_quant_rate(uft_tfmcc_rx_rate(r, now, s->grtt));
    a->client_id = c->cfg.client_id;
    uft_msg_tstamp_set(s->version, r->echo_us + (now - r->echo_rx) / 1000, &a->tstamp_hi,
                       &a->tstamp_lo);
}
