/*
 * Host lists on the command line and in files: uftp's -H (client IDs,
 * with key fingerprints in @file lines "ID[|fingerprint]") and uftpd's
 * -S server list ("ServerID|IP|ProxyID[|fingerprint]"). '#' starts a
 * comment; blank lines are skipped. IDs are hex with or without 0x; -H
 * also takes IPv4 host names and addresses, as UFTP does.
 */
#ifndef UFT_APP_HOSTLIST_H
#define UFT_APP_HOSTLIST_H

#include <stddef.h>
#include <stdint.h>

#include "core/client.h"
#include "sys/udp.h"

/* -H: spec is "id,id,..." or "@file". *ids gets the IDs and *fps 20
 * bytes per ID (all zero where no fingerprint was given). 0, or -1 with
 * err naming the entry or file. The caller frees *ids and *fps. */
int hostlist_parse_clients(const char *spec, uint32_t **ids, uint8_t **fps, size_t *n, char *err,
                           size_t errlen);

/* One -S entry: the core's view plus the server's address (for
 * source-specific joins). */
struct hostlist_server {
    struct uft_server_entry e;
    struct uft_addr addr;
};

/* -S file. 0, or -1 with err naming the file, line and field. At most
 * 100 entries, as UFTP. The caller frees *out. */
int hostlist_read_servers(const char *path, struct hostlist_server **out, size_t *n, char *err,
                          size_t errlen);

#endif
