/*
 * uftp's status file (-S), in UFTP's format, line for line:
 *
 *   CONNECT;success|failed;NAME           each receiver, announce phase
 *   RESULT;NAME;FILE;SIZEKB;copy;RATEKB/s  each receiver, each file (also
 *          skipped; overwritten;RATE rejected; mute; lost; aborted;)
 *   FREESPACE;FILE;BYTES                   after a RESULT that carried it
 *   HSTATS;target;copy;overwrite;skip;totalMB;time;speedKB/s
 *   STATS;NAME;COPIES;OVERWRITES;SKIPS;MB;SECONDS;RATEKB/s  at the end
 *
 * A receiver that failed gets its mute/lost/aborted line for every later
 * file too, as UFTP writes them. NAME is 0xXXXXXXXX; proxies have no
 * lines. The writer follows the server session's events.
 */
#ifndef UFT_APP_UFTP_STATUS_H
#define UFT_APP_UFTP_STATUS_H

#include <stdint.h>
#include <stdio.h>

#include "core/server.h"

struct ustatus;

/* names[i] and sizes[i] are file i+1's name on the receivers and its
 * size (both borrowed). NULL when out of memory. */
struct ustatus *ustatus_new(FILE *out, const char *const *names, const uint64_t *sizes,
                            size_t n_names);
void ustatus_free(struct ustatus *st);

/* Feed every server event (srv: to list the receivers at file ends). */
void ustatus_event(struct ustatus *st, const struct uft_server *srv, const struct uft_event *ev);

#endif
