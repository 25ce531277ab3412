/*
 * UDP sockets for the programs: IPv4 and IPv6 (dual-stack when asked),
 * multicast on a chosen interface, TTL, DSCP, buffer sizes. Addresses are
 * struct sockaddr_storage; the core sees them as opaque struct uft_peer
 * bytes (uft_udp_to_peer / uft_udp_from_peer).
 */
#ifndef UFT_UDP_H
#define UFT_UDP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "core/session.h"

struct uft_addr {
    struct sockaddr_storage ss;
    socklen_t len;
};

/* Parse a numeric address or a host name (getaddrinfo) with a port.
 * family AF_UNSPEC takes the first answer. 0 or UFT_E_VALUE. */
int uft_udp_resolve(const char *host, uint16_t port, int family, struct uft_addr *out);

/* "a.b.c.d:port" / "[v6]:port" into buf. */
const char *uft_udp_format(const struct uft_addr *a, char *buf, size_t cap);

/* The address alone ("a.b.c.d" or "v6", a v4-mapped address as IPv4). */
const char *uft_udp_format_host(const struct uft_addr *a, char *buf, size_t cap);

bool uft_udp_is_multicast(const struct uft_addr *a);

/* Resolve an interface given by name, or by one of its addresses, to its
 * index; ipv4_out gets its first IPv4 address (0 when none). 0 when the
 * name matches nothing, which callers report. */
unsigned uft_udp_iface(const char *name_or_addr, uint32_t *ipv4_out);

/* Every interface that is up, takes multicast and is not loopback (UFTP
 * joins on all of them when -I is not given): up to cap indexes and
 * their first IPv4 addresses (0 when none). Returns how many. */
size_t uft_udp_ifaces(unsigned *idx, uint32_t *ipv4, size_t cap);

/* UFTP's default ID: the first non-loopback interface's IPv4 address, or
 * the last 4 bytes of its IPv6 address. 0 when there is none. */
uint32_t uft_udp_default_id(void);

struct uft_udp_opts {
    int family;       /* AF_INET or AF_INET6 (dual-stack) */
    uint16_t port;    /* 0 = any */
    int sockbuf;      /* SO_SNDBUF / SO_RCVBUF, 0 = leave */
    int ttl;          /* multicast TTL / hops, 0 = leave */
    int dscp;         /* 0..63 */
    unsigned ifindex; /* outgoing multicast interface, 0 = default */
    uint32_t if_ipv4; /* its IPv4 address (for IP_MULTICAST_IF) */
};

/* A non-blocking UDP socket bound to the port. Returns the fd or
 * UFT_E_IO with errno set. */
int uft_udp_open(const struct uft_udp_opts *o);

/* Join / leave a group on an interface (0 = default). */
int uft_udp_join(int fd, const struct uft_addr *group, unsigned ifindex, uint32_t if_ipv4);
int uft_udp_leave(int fd, const struct uft_addr *group, unsigned ifindex, uint32_t if_ipv4);

/* Source-specific multicast: join / leave (source, group) on an
 * interface (0 = default). Both addresses of one family. 0 or UFT_E_IO
 * with errno. */
int uft_udp_join_source(int fd, const struct uft_addr *group, const struct uft_addr *source,
                        unsigned ifindex, bool join);

/* A source-specific multicast address as UFTP tests it: 232.0.0.0/8, or
 * an IPv6 multicast address with the P or T flag set. */
bool uft_udp_is_ssm(const struct uft_addr *a);

/* Send one datagram. 0, or UFT_E_IO with errno. */
int uft_udp_send(int fd, const void *buf, size_t len, const struct uft_addr *to);

/* Receive one datagram: its length, 0 when none is waiting, or UFT_E_IO. */
ssize_t uft_udp_recv(int fd, void *buf, size_t cap, struct uft_addr *from);

/* Send len bytes as datagrams of seg bytes each (the last may be
 * shorter) to one address with one system call: UDP GSO (UDP_SEGMENT),
 * so the stack, a bridge or the NIC handles the run as one packet until
 * it is cut. Where the kernel or the route refuses GSO, this and every
 * later call send one datagram at a time. len is at most
 * UFT_UDP_GSO_MAX and holds at most UFT_UDP_GSO_SEGS datagrams. */
#define UFT_UDP_GSO_MAX  65000
#define UFT_UDP_GSO_SEGS 64
int uft_udp_send_segs(int fd, const void *buf, size_t len, size_t seg, const struct uft_addr *to);

/* Ask for coalesced datagrams (UDP_GRO): a batch receive hands over up to
 * 64 datagrams of one sender in one read and splits them again. Silently
 * nothing where the kernel lacks it. */
void uft_udp_enable_gro(int fd);

/* Datagrams received with one system call (recvmmsg), up to
 * UFT_UDP_BATCH reads, each of which may be a run of coalesced
 * datagrams (UDP_GRO), split here: n datagrams at p[i], len[i] bytes,
 * from[src[i]]. */
#define UFT_UDP_BATCH  16
#define UFT_UDP_READ   65536
#define UFT_UDP_DGRAMS (UFT_UDP_BATCH * 64)
struct uft_udp_batch {
    uint8_t buf[UFT_UDP_BATCH][UFT_UDP_READ];
    struct uft_addr from[UFT_UDP_BATCH];
    const uint8_t *p[UFT_UDP_DGRAMS];
    size_t len[UFT_UDP_DGRAMS];
    uint8_t src[UFT_UDP_DGRAMS];
    unsigned n; /* how many datagrams */
};

/* Receive what is waiting (recvmmsg); b->n is 0 when nothing is. 0, or
 * UFT_E_IO with errno. b is large (about 1 MB): keep it static or on the
 * heap. */
int uft_udp_recv_batch(int fd, struct uft_udp_batch *b);

/* Convert between socket addresses and the core's opaque peers. */
void uft_udp_to_peer(const struct uft_addr *a, struct uft_peer *p);
void uft_udp_from_peer(const struct uft_peer *p, struct uft_addr *a);

#endif
