/*
 * Host lists on the command line and in files: uftp's -H (client IDs,
 * with key fingerprints in @file lines "ID[|fingerprint]"), uftpd's -S
 * server list ("ServerID|IP|ProxyID[|fingerprint]"), -R proxy list
 * ("ProxyID|IP[|fingerprint]"), -H heartbeat hosts ("host[:port],...")
 * and -r response proxy ("host[/fingerprint]"). '#' starts a comment;
 * blank lines are skipped. IDs are hex with or without 0x; uftp's -H also
 * takes IPv4 host names and addresses, as UFTP does.
 */
#ifndef UFT_APP_HOSTLIST_H
#define UFT_APP_HOSTLIST_H

#include <stdbool.h>
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

/* One -R entry: the core's view plus the proxy's address (for
 * source-specific joins). */
struct hostlist_proxy {
    struct uft_proxy_entry e;
    struct uft_addr addr;
};

/* -R file. 0, or -1 with err naming the file, line and field. At most
 * 100 entries, as UFTP. The caller frees *out. */
int hostlist_read_proxies(const char *path, struct hostlist_proxy **out, size_t *n, char *err,
                          size_t errlen);

/* uftpd's -H: "host[:port][,host[:port]...]", default_port where none is
 * given. An IPv6 address is written "[addr]:port", "[addr]", or bare
 * without a port (UFTP splits at the first ':', which breaks IPv6). At
 * most 100 hosts. 0, or -1 with err naming the entry. The caller frees
 * *out. */
int hostlist_parse_hosts(const char *spec, uint16_t default_port, struct uft_addr **out, size_t *n,
                         char *err, size_t errlen);

/* uftpd's -r: "host[/fingerprint]", resolved with port. 0, or -1 with err
 * set. */
int hostlist_parse_proxy4(const char *spec, uint16_t port, struct uft_addr *addr, bool *has_fp,
                          uint8_t fp[20], char *err, size_t errlen);

#endif
