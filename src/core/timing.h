/*
 * Every timing rule of the protocol in one place. All times are
 * nanoseconds (uft_ts); GRTT values are nanoseconds too. The values follow
 * what UFTP 5.0.1 does (its code, where its text differs; see
 * docs/protocol-notes.md), so ufcast's timeouts line up with a real peer's.
 */
#ifndef UFT_TIMING_H
#define UFT_TIMING_H

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t uft_ts;
#define UFT_NEVER UINT64_MAX
#define UFT_SEC   1000000000ull
#define UFT_MSEC  1000000ull

/* Defaults of the server's -r and -s options. */
#define UFT_GRTT_INIT_NS   (UFT_SEC / 2)
#define UFT_GRTT_MIN_NS    (UFT_SEC / 100)
#define UFT_GRTT_MAX_NS    (15 * UFT_SEC)
#define UFT_ROBUST_DEFAULT 20
/* A measured client RTT is never taken below 1 ms. */
#define UFT_CLIENT_RTT_MIN_NS UFT_MSEC
/* A client drops packets more than this many sequence numbers behind. */
#define UFT_MAX_MISORDER 5

/* Server: the gap between rounds of ANNOUNCE / REG_CONF / KEYINFO /
 * FILEINFO, between DONEs at the end of a pass, before a rewind, and
 * between completion rounds: 3 GRTT. */
uft_ts uft_tm_round(uft_ts grtt);

/* Server: after every expected client answered in the announce or
 * completion phase, wait 1 GRTT for late answers. */
uft_ts uft_tm_late_wait(uft_ts grtt);

/* Client: REGISTER resend interval (5 GRTT) and the time after the
 * ANNOUNCE when it gives up (5 R GRTT, at least 1 s). */
uft_ts uft_tm_register_resend(uft_ts grtt);
uft_ts uft_tm_register_giveup(uft_ts grtt, unsigned robust);

/* Client: silence that ends a session in transfer (R GRTT, at least 1 s). */
uft_ts uft_tm_client_idle(uft_ts grtt, unsigned robust);

/* Client: final COMPLETE resend interval (4 GRTT) and give-up time
 * (4 R GRTT, at least 1 s). */
uft_ts uft_tm_complete_resend(uft_ts grtt);
uft_ts uft_tm_complete_giveup(uft_ts grtt, unsigned robust);

/* Client: delay from seeing a new section or a DONE to sending STATUS. */
uft_ts uft_tm_nak_delay(uft_ts grtt);

/* Server: the GRTT advertised in headers is never below the gap between
 * two data packets, so slow links do not time clients out. */
uft_ts uft_tm_adv_grtt(uft_ts grtt, uft_ts packet_gap);

/* Server: new GRTT from the largest measured client RTT (0: none
 * measured, then the GRTT stays). Clamped to [min, max]; once the GRTT has
 * been set from measurements it falls by at most 10% per update. */
uft_ts uft_tm_grtt_update(uft_ts grtt, uft_ts max_rtt, uft_ts min, uft_ts max, bool was_set);

/* Server: gap between data packets of payload_len bytes (plus headers)
 * at rate_bps bytes per second; 0 for "as fast as possible". */
uft_ts uft_tm_packet_gap(uint64_t packet_bytes, int64_t rate_bytes_per_s);

#endif
