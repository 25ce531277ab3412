/*
 * uft_flood: a hostile third host for tests/net/flood.sh. It sends
 * datagrams at a fixed rate to one address for a bounded time, a mix of
 *   - random bytes of random length,
 *   - a valid UFTP header with a random message type and random body,
 *   - well-formed ANNOUNCEs of open groups from servers that do not exist
 *     (each a new group: they try to fill the receiver's session table),
 *   - FILESEG, DONE and ABORT in clear for the real session's group and
 *     server ID (forgeries an encrypted session must drop),
 * with sendmmsg in batches of 64. It prints how many it sent.
 *
 *   uft_flood HOST PORT PPS SECONDS GROUP_ID SERVER_ID
 */
#include <arpa/inet.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/msg.h"

#define BATCH 64

static uint64_t rng = 0x9e3779b97f4a7c15u;
static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One hostile datagram into buf; its length. */
static uint8_t junk[1400];

static size_t make(uint8_t *buf, size_t cap, uint32_t group, uint32_t server)
{
    struct uft_msg m;
    ssize_t n;
    size_t len;
    uint32_t kind = rnd() % 5;
    memset(&m, 0, sizeof m);
    m.hdr.version = UFT_VER5;
    m.hdr.seq = (uint16_t)rnd();
    m.hdr.grtt = 100;
    switch (kind) {
    case 0: /* random bytes */
        len = 20 + rnd() % 1380;
        memcpy(buf, junk, len);
        return len;
    case 1: /* a header with a random type and body */
        len = 20 + rnd() % 1380;
        memcpy(buf, junk, len);
        buf[0] = UFT_VER5;
        buf[1] = (uint8_t)(1 + rnd() % UFT_FUNC_MAX);
        return len;
    case 2: /* an open group from a server that does not exist */
        m.hdr.func = UFT_ANNOUNCE;
        m.hdr.src_id = rnd() | 1;
        m.hdr.group_id = rnd() | 1;
        m.u.announce.robust = 20;
        m.u.announce.blocksize = 1300;
        memcpy(m.u.announce.pub_addr, "\xe6\x04\x04\x01", 4);
        memcpy(m.u.announce.priv_addr, "\xe6\x05\x05\x63", 4);
        break;
    case 3: /* data for the real session, in clear */
        m.hdr.func = UFT_FILESEG;
        m.hdr.src_id = server;
        m.hdr.group_id = group;
        m.u.fileseg.file_id = (uint16_t)(1 + rnd() % 4);
        m.u.fileseg.section = (uint16_t)(rnd() % 4);
        m.u.fileseg.sec_block = (uint16_t)(rnd() % 1000);
        m.u.fileseg.data.p = junk;
        m.u.fileseg.data.len = 1300;
        break;
    default: /* an end or an abort for the real session, in clear */
        m.hdr.src_id = server;
        m.hdr.group_id = group;
        if (rnd() & 1) {
            m.hdr.func = UFT_DONE;
            m.u.done.file_id = (uint16_t)(rnd() % 4);
        } else {
            m.hdr.func = UFT_ABORT;
            m.u.abort.text.p = (const uint8_t *)"forged";
            m.u.abort.text.len = 6;
        }
        break;
    }
    n = uft_msg_encode(&m, buf, cap);
    return n > 0 ? (size_t)n : 0;
}

int main(int argc, char **argv)
{
    static uint8_t bufs[BATCH][1500];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_in to;
    unsigned long sent = 0;
    double pps, secs, start;
    uint32_t group, server;
    int fd, i;
    if (argc != 7) {
        fprintf(stderr, "usage: uft_flood HOST PORT PPS SECONDS GROUP_ID SERVER_ID\n");
        return 2;
    }
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
        fprintf(stderr, "uft_flood: %s: not an IPv4 address\n", argv[1]);
        return 2;
    }
    pps = atof(argv[3]);
    secs = atof(argv[4]);
    group = (uint32_t)strtoul(argv[5], NULL, 16);
    server = (uint32_t)strtoul(argv[6], NULL, 16);
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || pps <= 0 || secs <= 0 || secs > 600) {
        fprintf(stderr, "uft_flood: bad arguments or no socket\n");
        return 2;
    }
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    start = now_s();
    while (!stop && now_s() - start < secs) {
        double due = (now_s() - start) * pps;
        if ((double)sent >= due) {
            usleep(200);
            continue;
        }
        memset(msgs, 0, sizeof msgs);
        for (i = 0; i < (int)sizeof junk; i++) /* new junk for every batch */
            junk[i] = (uint8_t)rnd();
        for (i = 0; i < BATCH; i++) {
            iov[i].iov_base = bufs[i];
            iov[i].iov_len = make(bufs[i], sizeof bufs[i], group, server);
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &to;
            msgs[i].msg_hdr.msg_namelen = sizeof to;
        }
        i = sendmmsg(fd, msgs, BATCH, MSG_DONTWAIT);
        if (i > 0)
            sent += (unsigned long)i;
    }
    printf("%lu datagrams in %.1f s (%.0f per second)\n", sent, now_s() - start,
           (double)sent / (now_s() - start));
    close(fd);
    return 0;
}
