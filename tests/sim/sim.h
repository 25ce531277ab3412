/*
 * A deterministic discrete-event network for the protocol engine: one
 * server, N clients, per-client links with delay, jitter (reordering),
 * random and bursty (Gilbert-Elliott) loss, duplication, and a downlink
 * rate with a bounded queue. Everything random comes from one seed; the
 * same seed replays the same run. File content is a function of the seed,
 * the file and the offset, so clients check every byte as it arrives and
 * 10,000 clients need no copies of the data.
 */
#ifndef UFT_SIM_H
#define UFT_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/proxy.h"
#include "core/server.h"

struct sim_link {
    uint64_t delay_ns;   /* one way */
    uint64_t jitter_ns;  /* extra uniform delay in [0, jitter): reorders */
    double loss;         /* independent loss probability */
    double ge_p, ge_r;   /* Gilbert-Elliott: P(good->bad), P(bad->good); 0 = off */
    double ge_loss_bad;  /* loss probability in the bad state */
    double dup;          /* duplication probability */
    uint64_t rate_bps;   /* downlink bytes/s; 0 = unlimited */
    size_t queue_pkts;   /* downlink queue limit (rate-limited links) */
    uint64_t down_at_ns; /* the client vanishes at this time (0 = never) */
};

struct sim_file {
    const char *name;
    uint8_t ftype;
    uint64_t size;
    const char *link;
};

struct sim_cfg {
    uint64_t seed;
    size_t n_clients;
    struct sim_link link;   /* every client's link ... */
    struct sim_link *links; /* ... or one per client (NULL: use link) */
    const struct sim_file *files;
    size_t n_files;
    struct uft_server_cfg server; /* ids, group, block size, rate, ... */
    bool open_group;              /* else the server lists every client */
    uint64_t time_limit_ns;       /* virtual time limit (0: 24 hours) */
    int verbose;
    /* A shared bottleneck between the server and every client (uniform
     * links only): a FIFO at this rate with this many packets of queue. */
    uint64_t bottleneck_bps;
    size_t bottleneck_queue;
    /* A TCP-like AIMD flow through the same bottleneck, from tcp_start_ns
     * until the server finishes (its one-way delay is link.delay_ns). */
    bool tcp_flow;
    uint64_t tcp_start_ns;
    /* Restart: every client already holds this fraction of each regular
     * file (its first blocks) from an earlier, interrupted session. */
    double preload;
    /* The server's own uplink in bytes/s (0: unlimited): it sends a packet
     * only when the last one has left, as a NIC does. For -R -1. */
    uint64_t server_nic_bps;
    /* Change the bottleneck rate to this at this time (0: never). */
    uint64_t bottleneck2_bps, bottleneck2_at_ns;
    /* Non-zero: clients 2..n answer through a response proxy with this ID
     * (plain sessions): each of their REGISTER, FILEINFO_ACK, COMPLETE,
     * STATUS and ABORT reaches the server as the proxy's, listing the
     * client (a proxy that gathers nothing). A closed group names the
     * proxy as -j does. */
    uint32_t proxy_id;
    /* Encryption, when server.keytype is set (server.hashtype and
     * server.curve with it): the sessions use src/crypto, the server signs
     * with a key on sign_curve (0: UFT_CURVE_P256) and every client gets
     * its own key on that curve. With server.client_auth the server lists
     * each client's key fingerprint; the impostor (a client number, 0 =
     * none) signs with another key than the one its entry names and must
     * be refused. Keys and nonces come from the system's random source, so
     * an encrypted run is not byte for byte the same twice; its timing,
     * counters and outcome are, as nothing the sessions decide and no
     * packet length depends on those bytes. */
    uint8_t sign_curve;
    uint32_t impostor;
    /* Real proxies (src/core/proxy.h), n_proxies of kind proxy_kind, each
     * a node of its own behind proxy_link from the server; their IDs are
     * their node numbers (n_clients + 1 + k). The clients are split
     * among them in equal runs (client i to proxy (i - 1) * n_proxies /
     * n_clients) and list the server with their proxy's ID (and, in
     * encrypted runs, the proxy's key fingerprint). Response proxies:
     * the server's multicast reaches every client directly and a
     * proxy's own multicast (PROXY_KEY) reaches every client. Client
     * proxies: a proxy's clients are a segment of their own that hears
     * only that proxy's multicast. A closed group lists the proxies as
     * -j does. proxy_down_ns: proxy 0 stops at that time (0 = never):
     * everything to and from it is lost. */
    size_t n_proxies;
    enum uft_proxy_kind proxy_kind;
    struct sim_link proxy_link;
    uint64_t proxy_down_ns;
    /* FEC (server.fec_k, fec_m, fec_reactive): every client can decode
     * parity (it reads back what it stored from the content function)
     * unless plain[i - 1] is set for client i (--no-fec). With hash, the
     * server and the clients exchange each file's SHA-256 (src/crypto);
     * client corrupt_client (0 = none) reads back one wrong byte at the
     * start of each file, so its check must fail. */
    const bool *plain;
    bool hash;
    uint32_t corrupt_client;
};

struct sim_result {
    int exit_code;         /* the server's */
    bool ended;            /* the server finished within the limit */
    uint64_t end_ns;       /* virtual time it finished */
    size_t clients_ok;     /* session ended well, every file exact */
    size_t clients_failed; /* reported failed by themselves */
    size_t clients_bad;    /* claimed success without the right bytes */
    size_t server_ok;      /* clients the server saw finish every file */
    size_t server_failed;  /* clients the server reports lost/aborted */
    uint64_t data_packets, ctrl_packets, client_packets;
    uint64_t blocks_needed; /* sum over regular files of their blocks */
    uint64_t mismatches;    /* bytes that differed from the source */
    uint64_t max_queue;     /* largest event queue seen */
    uint32_t passes;
    /* bottleneck accounting from tcp_start_ns on: bytes each flow got through */
    uint64_t bn_mcast_bytes, bn_tcp_bytes;
    uint64_t bn_mcast_sent, bn_mcast_drops;
    uint64_t bn_window_ns;
    /* multicast bytes through the bottleneck per 100 ms, for rate plots */
    uint64_t bn_rate_trace[1024];
    size_t bn_trace_n;
    /* multicast bytes offered to the bottleneck per 100 ms (what the
     * server sent, dropped or not): the sending rate */
    uint64_t bn_offer_trace[1024];
    /* CC_ACKs (TFMCC feedback) and all datagrams the server got, per 100 ms */
    uint32_t fb_trace[1024], rx_trace[1024];
    /* real proxies: datagrams the server was fed, by kind of sender, and
     * what uft_server_dest() lists: proxies, and clients behind one */
    uint64_t server_rx_clients, server_rx_proxies;
    size_t dest_proxies, dest_via_proxy;
    /* FEC and hashes: parity sent (of data_packets), of it for NAKs; what
     * clients rebuilt; FEC_HELLOs; hash checks passed and failed; files
     * the server saw REJECTED */
    uint64_t parity_packets, parity_reactive, fec_recovered, fec_clients;
    uint64_t hash_ok, hash_bad, server_rejected;
};

/* Run one simulation. Returns 0, or -1 on a setup error. */
int sim_run(const struct sim_cfg *cfg, struct sim_result *res);

/* The content byte of file f at offset off for a seed. */
uint8_t sim_content(uint64_t seed, uint32_t f, uint64_t off);

#endif
