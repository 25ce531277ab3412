/*
 * Multicast membership for the daemons: the interfaces to join on (-I, or
 * every multicast interface, as UFTP), any-source or source-specific
 * joins (-o, one per listed source), and turning the core's address
 * bytes into socket addresses.
 */
#ifndef UFT_APP_MCAST_H
#define UFT_APP_MCAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/udp.h"

#define APP_MAX_IFACES 32

struct app_mcast {
    int fd;
    unsigned ifindex[APP_MAX_IFACES];
    uint32_t if_ipv4[APP_MAX_IFACES];
    size_t n_ifaces;
    bool ssm;                       /* join (S,G) for each source instead of (*,G) */
    const struct uft_addr *sources; /* with ssm: borrowed */
    size_t n_sources;
};

/* The interfaces: the comma list (names or addresses; "-I" in errors),
 * or when list is NULL every interface that is up, takes multicast and
 * is not loopback (the kernel's choice when there is none). 0, or -1
 * with err naming the interface. */
int app_mcast_ifaces(struct app_mcast *m, const char *list, char *err, size_t errlen);

/* Join or leave g on every interface. 0, or UFT_E_IO (errno) when no
 * join succeeded. */
int app_mcast_membership(const struct app_mcast *m, const struct uft_addr *g, bool join);

/* 4 or 16 address bytes and a port into a socket address. */
void app_mcast_addr(const uint8_t *bytes, bool v6, uint16_t port, struct uft_addr *out);

#endif
