/*
 * UDP sockets. Multicast membership uses the protocol-independent
 * MCAST_JOIN_GROUP so one code path serves IPv4 and IPv6. Path MTU
 * discovery is off (UFTP sends without the DF bit).
 */
#include "sys/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"

int uft_udp_resolve(const char *host, uint16_t port, int family, struct uft_addr *out)
{
    struct addrinfo hints, *res = NULL;
    char pbuf[8];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_socktype = SOCK_DGRAM;
    snprintf(pbuf, sizeof pbuf, "%u", port);
    if (getaddrinfo(host, pbuf, &hints, &res) != 0 || !res)
        return UFT_E_VALUE;
    memset(out, 0, sizeof *out);
    memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

const char *uft_udp_format(const struct uft_addr *a, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (a->ss.ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)&a->ss;
        inet_ntop(AF_INET, &s->sin_addr, host, sizeof host);
        snprintf(buf, cap, "%s:%u", host, ntohs(s->sin_port));
    } else {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&a->ss;
        inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof host);
        snprintf(buf, cap, "[%s]:%u", host, ntohs(s->sin6_port));
    }
    return buf;
}

const char *uft_udp_format_host(const struct uft_addr *a, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (a->ss.ss_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)&a->ss)->sin_addr, host, sizeof host);
    } else {
        const struct in6_addr *v6 = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(v6))
            inet_ntop(AF_INET, &v6->s6_addr[12], host, sizeof host);
        else
            inet_ntop(AF_INET6, v6, host, sizeof host);
    }
    snprintf(buf, cap, "%s", host);
    return buf;
}

bool uft_udp_is_multicast(const struct uft_addr *a)
{
    if (a->ss.ss_family == AF_INET)
        return IN_MULTICAST(ntohl(((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr));
    return IN6_IS_ADDR_MULTICAST(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
}

unsigned uft_udp_iface(const char *name, uint32_t *ipv4_out)
{
    struct ifaddrs *ifs, *i;
    struct uft_addr want;
    struct addrinfo hints, *res = NULL;
    unsigned idx = 0;
    bool by_addr = false;
    /* a name or a numeric address, never a DNS query: looking up "eth1"
     * as a host stalls start-up for the resolver's timeout where no
     * resolver answers */
    memset(&hints, 0, sizeof hints);
    hints.ai_flags = AI_NUMERICHOST;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(name, NULL, &hints, &res) == 0 && res) {
        memset(&want, 0, sizeof want);
        memcpy(&want.ss, res->ai_addr, res->ai_addrlen);
        want.len = res->ai_addrlen;
        by_addr = true;
    }
    if (res)
        freeaddrinfo(res);
    *ipv4_out = 0;
    if (getifaddrs(&ifs) != 0)
        return 0;
    for (i = ifs; i; i = i->ifa_next) {
        bool match;
        if (!i->ifa_addr)
            continue;
        match = strcmp(i->ifa_name, name) == 0;
        if (!match && by_addr && i->ifa_addr->sa_family == want.ss.ss_family) {
            if (want.ss.ss_family == AF_INET)
                match = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr ==
                        ((struct sockaddr_in *)&want.ss)->sin_addr.s_addr;
            else
                match = memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
                               &((struct sockaddr_in6 *)&want.ss)->sin6_addr, 16) == 0;
        }
        if (!match)
            continue;
        idx = if_nametoindex(i->ifa_name);
        if (i->ifa_addr->sa_family == AF_INET && !*ipv4_out)
            *ipv4_out = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
        if (!*ipv4_out) {
            /* keep looking for this interface's IPv4 address */
            struct ifaddrs *j;
            for (j = ifs; j; j = j->ifa_next)
                if (j->ifa_addr && j->ifa_addr->sa_family == AF_INET &&
                    strcmp(j->ifa_name, i->ifa_name) == 0)
                    *ipv4_out = ((struct sockaddr_in *)j->ifa_addr)->sin_addr.s_addr;
        }
        break;
    }
    freeifaddrs(ifs);
    return idx;
}

size_t uft_udp_ifaces(unsigned *idx, uint32_t *ipv4, size_t cap)
{
    struct ifaddrs *ifs, *i;
    size_t n = 0, k;
    if (getifaddrs(&ifs) != 0)
        return 0;
    for (i = ifs; i && n < cap; i = i->ifa_next) {
        unsigned x;
        if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP) ||
            !(i->ifa_flags & IFF_MULTICAST) ||
            (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
            continue;
        x = if_nametoindex(i->ifa_name);
        for (k = 0; k < n && idx[k] != x; k++)
            ;
        if (k == n) {
            idx[n] = x;
            ipv4[n++] = 0;
        }
        if (i->ifa_addr->sa_family == AF_INET && !ipv4[k])
            ipv4[k] = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
    }
    freeifaddrs(ifs);
    return n;
}

uint32_t uft_udp_default_id(void)
{
    struct ifaddrs *ifs, *i;
    uint32_t id = 0;
    if (getifaddrs(&ifs) != 0)
        return 0;
    for (i = ifs; i && !id; i = i->ifa_next) {
        if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
            continue;
        if (i->ifa_addr->sa_family == AF_INET)
            id = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
    }
    for (i = ifs; i && !id; i = i->ifa_next) {
        const uint8_t *b;
        if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK) || i->ifa_addr->sa_family != AF_INET6)
            continue;
        b = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr.s6_addr;
        id = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
    }
    freeifaddrs(ifs);
    return id;
}

static int setopt(int fd, int level, int name, int v)
{
    return setsockopt(fd, level, name, &v, sizeof v);
}

/* The family of each socket uft_udp_open made, so a send need not ask
 * the kernel (0: unknown, ask). */
static sa_family_t fd_family[1024];

int uft_udp_open(const struct uft_udp_opts *o)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = socket(o->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), saved;
    if (fd < 0)
        return UFT_E_IO;
    memset(&ss, 0, sizeof ss);
    setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (o->family == AF_INET6) {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
        setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
        s->sin6_family = AF_INET6;
        s->sin6_port = htons(o->port);
        len = sizeof *s;
        if (o->ttl)
            setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, o->ttl);
        if (o->ifindex)
            setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, (int)o->ifindex);
        setopt(fd, IPPROTO_IPV6, IPV6_TCLASS, o->dscp << 2);
        setopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DONT);
    } else {
        struct sockaddr_in *s = (struct sockaddr_in *)&ss;
        s->sin_family = AF_INET;
        s->sin_port = htons(o->port);
        len = sizeof *s;
        if (o->ttl)
            setopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, o->ttl);
        if (o->if_ipv4) {
            struct in_addr a = {o->if_ipv4};
            setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &a, sizeof a);
        }
        setopt(fd, IPPROTO_IP, IP_TOS, o->dscp << 2);
        setopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT);
    }
    if (o->sockbuf) {
        /* the kernel caps SO_*BUF at net.core.[rw]mem_max (about 208 KB by
         * default), below UFTP's own default; as root the *BUFFORCE forms
         * give the size asked for */
        if (setopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, o->sockbuf) != 0)
            setopt(fd, SOL_SOCKET, SO_SNDBUF, o->sockbuf);
        if (setopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, o->sockbuf) != 0)
            setopt(fd, SOL_SOCKET, SO_RCVBUF, o->sockbuf);
    }
    if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
        saved = errno;
        close(fd);
        errno = saved;
        return UFT_E_IO;
    }
    if (fd < 1024)
        fd_family[fd] = (sa_family_t)o->family;
    return fd;
}

static int membership(int fd, const struct uft_addr *g, unsigned ifindex, uint32_t if_ipv4,
                      bool join)
{
    if (g->ss.ss_family == AF_INET && ifindex == 0 && if_ipv4 == 0) {
        struct ip_mreq m;
        m.imr_multiaddr = ((const struct sockaddr_in *)&g->ss)->sin_addr;
        m.imr_interface.s_addr = INADDR_ANY;
        return setsockopt(fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &m,
                          sizeof m) == 0
                   ? 0
                   : UFT_E_IO;
    }
    {
        struct group_req r;
        int level = g->ss.ss_family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
        memset(&r, 0, sizeof r);
        r.gr_interface = ifindex;
        memcpy(&r.gr_group, &g->ss, g->len);
        return setsockopt(fd, level, join ? MCAST_JOIN_GROUP : MCAST_LEAVE_GROUP, &r, sizeof r) == 0
                   ? 0
                   : UFT_E_IO;
    }
}

int uft_udp_join(int fd, const struct uft_addr *group, unsigned ifindex, uint32_t if_ipv4)
{
    return membership(fd, group, ifindex, if_ipv4, true);
}

int uft_udp_leave(int fd, const struct uft_addr *group, unsigned ifindex, uint32_t if_ipv4)
{
    return membership(fd, group, ifindex, if_ipv4, false);
}

int uft_udp_join_source(int fd, const struct uft_addr *group, const struct uft_addr *source,
                        unsigned ifindex, bool join)
{
    struct group_source_req r;
    int level = group->ss.ss_family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
    if (group->ss.ss_family != source->ss.ss_family) {
        errno = EAFNOSUPPORT;
        return UFT_E_IO;
    }
    memset(&r, 0, sizeof r);
    r.gsr_interface = ifindex;
    memcpy(&r.gsr_group, &group->ss, group->len);
    memcpy(&r.gsr_source, &source->ss, source->len);
    return setsockopt(fd, level, join ? MCAST_JOIN_SOURCE_GROUP : MCAST_LEAVE_SOURCE_GROUP, &r,
                      sizeof r) == 0
               ? 0
               : UFT_E_IO;
}

bool uft_udp_is_ssm(const struct uft_addr *a)
{
    if (a->ss.ss_family == AF_INET) {
        const uint8_t *b = (const uint8_t *)&((const struct sockaddr_in *)&a->ss)->sin_addr;
        return b[0] == 232;
    }
    if (a->ss.ss_family == AF_INET6) {
        const uint8_t *b = ((const struct sockaddr_in6 *)&a->ss)->sin6_addr.s6_addr;
        /* UFTP takes any ff with the P or T flag (ff1x, ff2x, ff3x) */
        return b[0] == 0xff && (b[1] & 0x30) != 0;
    }
    return false;
}

/* A dual-stack socket sends to IPv4 as a v4-mapped IPv6 address. */
static void mapped(int fd, const struct uft_addr *to, struct uft_addr *out)
{
    struct sockaddr_storage mine;
    socklen_t len = sizeof mine;
    *out = *to;
    if (to->ss.ss_family != AF_INET)
        return;
    if (fd >= 0 && fd < 1024 && fd_family[fd])
        mine.ss_family = fd_family[fd];
    else if (getsockname(fd, (struct sockaddr *)&mine, &len) != 0)
        return;
    if (mine.ss_family != AF_INET6)
        return;
    {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)&to->ss;
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->ss;
        uint32_t a = v4->sin_addr.s_addr;
        uint16_t port = v4->sin_port;
        memset(&out->ss, 0, sizeof out->ss);
        v6->sin6_family = AF_INET6;
        v6->sin6_port = port;
        v6->sin6_addr.s6_addr[10] = 0xff;
        v6->sin6_addr.s6_addr[11] = 0xff;
        memcpy(&v6->sin6_addr.s6_addr[12], &a, 4);
        out->len = sizeof *v6;
    }
}

/* sendmsg, waiting out a full send buffer: dropping there would be loss
 * we made ourselves (bounded: 1 s in all). 0; 1 when the kernel refused
 * the datagram itself (errno says why); UFT_E_IO when no room came. */
static int send_waiting(int fd, const struct msghdr *mh)
{
    int waits = 0;
    for (;;) {
        struct pollfd p = {fd, POLLOUT, 0};
        if (sendmsg(fd, mh, 0) >= 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != ENOBUFS)
            return 1;
        if (waits++ >= 100)
            return UFT_E_IO;
        if (poll(&p, 1, 10) < 0 && errno != EINTR)
            return UFT_E_IO;
    }
}

/* mh for one buffer to dst (control data is the caller's). */
static void one_buffer(struct msghdr *mh, struct iovec *iov, const void *buf, size_t len,
                       struct uft_addr *dst)
{
    memset(mh, 0, sizeof *mh);
    iov->iov_base = (void *)(uintptr_t)buf;
    iov->iov_len = len;
    mh->msg_name = &dst->ss;
    mh->msg_namelen = dst->len;
    mh->msg_iov = iov;
    mh->msg_iovlen = 1;
}

int uft_udp_send(int fd, const void *buf, size_t len, const struct uft_addr *to)
{
    struct uft_addr dst;
    struct iovec iov;
    struct msghdr mh;
    mapped(fd, to, &dst);
    one_buffer(&mh, &iov, buf, len, &dst);
    return send_waiting(fd, &mh) == 0 ? 0 : UFT_E_IO;
}

ssize_t uft_udp_recv(int fd, void *buf, size_t cap, struct uft_addr *from)
{
    for (;;) {
        ssize_t n;
        from->len = sizeof from->ss;
        n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&from->ss, &from->len);
        if (n >= 0)
            return n;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (errno != EINTR)
            return UFT_E_IO;
    }
}

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

/* 1 once the kernel or a route has refused UDP_SEGMENT (or the user
 * said UFCAST_NO_GSO), -1 while it works, 0 before the first send */
static int gso_off;

static int send_one_by_one(int fd, const uint8_t *p, size_t len, size_t seg,
                           const struct uft_addr *to)
{
    while (len) {
        size_t n = len < seg ? len : seg;
        int rc = uft_udp_send(fd, p, n, to);
        if (rc)
            return rc;
        p += n;
        len -= n;
    }
    return 0;
}

int uft_udp_send_segs(int fd, const void *buf, size_t len, size_t seg, const struct uft_addr *to)
{
    union {
        char b[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } ctl;
    struct uft_addr dst;
    struct iovec iov;
    struct msghdr mh;
    struct cmsghdr *cm;
    uint16_t gso = (uint16_t)seg;
    int rc;
    if (gso_off == 0) /* UFCAST_NO_GSO=1 in the environment: never (for comparisons) */
        gso_off = getenv("UFCAST_NO_GSO") && strcmp(getenv("UFCAST_NO_GSO"), "0") != 0 ? 1 : -1;
    if (gso_off > 0 || len <= seg || seg == 0 || seg > UINT16_MAX)
        return send_one_by_one(fd, buf, len, seg ? seg : len, to);
    mapped(fd, to, &dst);
    one_buffer(&mh, &iov, buf, len, &dst);
    memset(&ctl, 0, sizeof ctl);
    mh.msg_control = ctl.b;
    mh.msg_controllen = sizeof ctl.b;
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_UDP;
    cm->cmsg_type = UDP_SEGMENT;
    cm->cmsg_len = CMSG_LEN(sizeof gso);
    memcpy(CMSG_DATA(cm), &gso, sizeof gso);
    rc = send_waiting(fd, &mh);
    if (rc != 1)
        return rc;
    /* no GSO here (old kernel, a device without checksum offload, IPsec):
     * from now on one datagram at a time */
    gso_off = 1;
    return send_one_by_one(fd, buf, len, seg, to);
}

void uft_udp_enable_gro(int fd)
{
    int on = 1;
    (void)setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on);
}

/* the segment size of a coalesced read, 0 when it is one datagram */
static size_t gro_size(struct msghdr *mh)
{
    struct cmsghdr *cm;
    for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
        if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO) {
            int v;
            memcpy(&v, CMSG_DATA(cm), sizeof v);
            return v > 0 ? (size_t)v : 0;
        }
    }
    return 0;
}

int uft_udp_recv_batch(int fd, struct uft_udp_batch *b)
{
    struct mmsghdr msgs[UFT_UDP_BATCH];
    struct iovec iov[UFT_UDP_BATCH];
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl[UFT_UDP_BATCH];
    unsigned i;
    int n;
    memset(msgs, 0, sizeof msgs);
    for (i = 0; i < UFT_UDP_BATCH; i++) {
        iov[i].iov_base = b->buf[i];
        iov[i].iov_len = sizeof b->buf[i];
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &b->from[i].ss;
        msgs[i].msg_hdr.msg_namelen = sizeof b->from[i].ss;
        msgs[i].msg_hdr.msg_control = ctl[i].b;
        msgs[i].msg_hdr.msg_controllen = sizeof ctl[i].b;
    }
    b->n = 0;
    do
        n = recvmmsg(fd, msgs, UFT_UDP_BATCH, MSG_DONTWAIT, NULL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : UFT_E_IO;
    for (i = 0; i < (unsigned)n; i++) {
        size_t len = msgs[i].msg_len, seg = gro_size(&msgs[i].msg_hdr), off = 0;
        b->from[i].len = msgs[i].msg_hdr.msg_namelen;
        if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
            continue; /* larger than any UFTP datagram: junk */
        if (seg == 0 || seg >= len)
            seg = len;
        do {
            size_t k = len - off < seg ? len - off : seg;
            if (b->n >= UFT_UDP_DGRAMS)
                break;
            b->p[b->n] = b->buf[i] + off;
            b->len[b->n] = k;
            b->src[b->n] = (uint8_t)i;
            b->n++;
            off += k;
        } while (off < len);
    }
    return 0;
}

void uft_udp_to_peer(const struct uft_addr *a, struct uft_peer *p)
{
    memset(p, 0, sizeof *p);
    p->len = (uint8_t)(a->len > sizeof p->bytes ? sizeof p->bytes : a->len);
    memcpy(p->bytes, &a->ss, p->len);
}

void uft_udp_from_peer(const struct uft_peer *p, struct uft_addr *a)
{
    memset(a, 0, sizeof *a);
    memcpy(&a->ss, p->bytes, p->len);
    a->len = p->len;
}
