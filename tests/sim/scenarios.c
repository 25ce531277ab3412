/*
 * Simulator scenarios. Each builds a network and a file set, runs the
 * real engine through sim_run() and checks the outcome: every client
 * that reports success holds exactly the source bytes, clients that
 * cannot finish are reported failed (by themselves and by the server),
 * and the run ends. It prints the figures DESIGN.md asks for.
 *
 *   uft_sim SCENARIO [SEED]        run one scenario (default seed 1)
 *   uft_sim --sweep SCENARIO N     seeds 1..N
 *   uft_sim --list
 * A failing run prints its seed; run it again with that seed to replay.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/msg.h"
#include "sim.h"

#define MS  1000000ull
#define SEC 1000000000ull

struct expect {
    size_t ok;     /* clients that must succeed */
    size_t failed; /* clients that must be reported failed */
    int exit_code;
    double max_data_ratio; /* data sent / NAK-based minimum (0: no check) */
    bool fair;             /* share of the bottleneck within 2x of TCP's */
    uint32_t max_passes;   /* passes over the file at most (0: no check) */
    double max_time_x;     /* virtual time over the ideal at most (0: no check) */
    uint32_t max_fb;       /* CC_ACKs the server gets in any 100 ms at most (0: no check) */
    unsigned adapt_rtts;   /* after the bottleneck changes, the sending rate is
                              within 25% of the new rate within this many
                              round trips (0: no check) */
    bool any_hash;         /* hash checks may or may not happen (a proxy in between) */
    uint64_t hash_ok;      /* hash checks that must pass at least (0: as many as ok, with
                              hashes); a client that loses both FEC_INFOs of a file and
                              has it whole before the DONE keeps it unchecked */
    size_t rejected;       /* clients whose hash check must fail: the server sees
                              the file REJECTED and they keep no copy */
    size_t proxies;        /* real proxies: the server lists exactly these as
                              proxies, every client reply reached it through one,
                              and every client that is not to fail registered
                              through one (a failed one may never have) */
};

struct scenario {
    const char *name;
    const char *what;
    void (*build)(struct sim_cfg *cfg, struct expect *ex);
};

static void base(struct sim_cfg *c, size_t n)
{
    memset(c, 0, sizeof *c);
    c->n_clients = n;
    c->server.group_id = 0x1234abcd;
    c->server.block_len = 1300;
    c->server.rate = 10 * 1000 * 1000;
    c->server.grtt_init = 100 * MS;
    c->link.delay_ns = 5 * MS;
    memcpy(c->server.pub_addr, "\xe6\x04\x04\x01", 4);
    memcpy(c->server.priv_addr, "\xe6\x05\x05\x01", 4);
}

static const struct sim_file files20[] = {
    {"a.bin", UFT_FTYPE_REG, 100000, NULL},      {"empty.bin", UFT_FTYPE_REG, 0, NULL},
    {"one.bin", UFT_FTYPE_REG, 1, NULL},         {"block.bin", UFT_FTYPE_REG, 1300, NULL},
    {"block1.bin", UFT_FTYPE_REG, 1301, NULL},   {"d1/b.bin", UFT_FTYPE_REG, 250000, NULL},
    {"d1/c.bin", UFT_FTYPE_REG, 13520001, NULL}, /* two sections */
    {"d1/d2/e.bin", UFT_FTYPE_REG, 77777, NULL}, {"d1/d2/f.bin", UFT_FTYPE_REG, 5000, NULL},
    {"d1/empty_dir", UFT_FTYPE_DIR, 0, NULL},    {"d3/g.bin", UFT_FTYPE_REG, 3000, NULL},
    {"d3/h.bin", UFT_FTYPE_REG, 1299, NULL},     {"d3/i.bin", UFT_FTYPE_REG, 2601, NULL},
    {"ln1", UFT_FTYPE_LINK, 0, "a.bin"},         {"old.txt", UFT_FTYPE_DELETE, 0, NULL},
    {"j.bin", UFT_FTYPE_REG, 65536, NULL},       {"k.bin", UFT_FTYPE_REG, 131072, NULL},
    {"l.bin", UFT_FTYPE_REG, 10399, NULL},       {"m.bin", UFT_FTYPE_REG, 999999, NULL},
    {"n.bin", UFT_FTYPE_REG, 4, NULL},
};

static void b_basic3(struct sim_cfg *c, struct expect *ex)
{
    base(c, 3);
    c->files = files20;
    c->n_files = sizeof files20 / sizeof files20[0];
    ex->ok = 3;
}

static const struct sim_file one_file_50m[] = {{"big.bin", UFT_FTYPE_REG, 50000000, NULL}};
static const struct sim_file one_file_5m[] = {{"five.bin", UFT_FTYPE_REG, 5000000, NULL}};
static const struct sim_file one_file_20m[] = {{"twenty.bin", UFT_FTYPE_REG, 20000000, NULL}};
static const struct sim_file one_file_2m[] = {{"two.bin", UFT_FTYPE_REG, 2000000, NULL}};

static void b_loss1000(struct sim_cfg *c, struct expect *ex)
{
    base(c, 1000);
    c->link.delay_ns = 300 * MS; /* 600 ms round trip */
    c->link.loss = 0.05;
    c->server.rate = 20 * 1000 * 1000;
    c->server.grtt_init = 700 * MS;
    c->files = one_file_50m;
    c->n_files = 1;
    ex->ok = 1000;
    ex->max_data_ratio = 1.15;
}

/* FEC figures (issue 12): 1,000 clients, 600 ms round trip, 5% loss,
 * random or in bursts (Gilbert-Elliott: bad state 10% of the time, half
 * its packets lost, bursts of 5 packets on average), one 10 MB file at
 * 20 MB/s, with one seed: FEC off, proactive parity (8 rows per group of
 * 64), reactive (parity for NAKs), both, and both with half the clients
 * plain (--no-fec). bench/fec_sim.sh prints them as a table. */
static const struct sim_file one_file_10m[] = {{"ten.bin", UFT_FTYPE_REG, 10000000, NULL}};
static bool half_plain[1000];

static void fec_base(struct sim_cfg *c, struct expect *ex, bool burst, bool pro, bool re)
{
    base(c, 1000);
    c->link.delay_ns = 300 * MS;
    if (burst) {
        c->link.ge_p = 0.2 / 9;
        c->link.ge_r = 0.2;
        c->link.ge_loss_bad = 0.5;
    } else {
        c->link.loss = 0.05;
    }
    c->server.rate = 20 * 1000 * 1000;
    c->server.grtt_init = 700 * MS;
    c->files = one_file_10m;
    c->n_files = 1;
    if (pro || re)
        c->server.fec_k = 64;
    if (pro)
        c->server.fec_m = 8;
    c->server.fec_reactive = re;
    ex->ok = 1000;
}

static void b_fec_off(struct sim_cfg *c, struct expect *ex)
{
    fec_base(c, ex, false, false, false);
}
static void b_fec_pro(struct sim_cfg *c, struct expect *ex)
{
    fec_base(c, ex, false, true, false);
}
/* The bar: at least 30% less time than fec_off with the same
 * seed. fec_off takes 39.9 s (x17.4 of the ideal 2.30 s) with seed 1, so
 * x12.1 is 70% of it; fec_both (proactive and reactive parity) must stay
 * below. Seeds 2 and 3: fec_off 40.2 and 41.5 s, fec_both 25.4 and 23.6
 * s (37% and 43% less), fec_re 28.9 s both times (28% and 30%): the
 * announce and completion phases, which FEC does not touch, take 13 to
 * 17 s of every run and vary by a few seconds with the seed. */
static void b_fec_re(struct sim_cfg *c, struct expect *ex)
{
    fec_base(c, ex, false, false, true);
}
static void b_fec_both(struct sim_cfg *c, struct expect *ex)
{
    fec_base(c, ex, false, true, true);
    ex->max_time_x = 12.1;
}
static void b_fec_mix(struct sim_cfg *c, struct expect *ex)
{
    size_t i;
    fec_base(c, ex, false, true, true);
    for (i = 0; i < 1000; i++)
        half_plain[i] = i % 2 == 1;
    c->plain = half_plain;
}
static void b_fecb_off(struct sim_cfg *c, struct expect *ex)
{
    fec_base(c, ex, true, false, false);
}
static void b_fecb_pro(struct sim_cfg *c, struct expect *ex)
{
    fec_base(c, ex, true, true, false);
}
static void b_fecb_re(struct sim_cfg *c, struct expect *ex)
{
    fec_base(c, ex, true, false, true);
}
static void b_fecb_both(struct sim_cfg *c, struct expect *ex)
{
    fec_base(c, ex, true, true, true);
}
static void b_fecb_mix(struct sim_cfg *c, struct expect *ex)
{
    b_fec_mix(c, ex);
    c->link.loss = 0;
    c->link.ge_p = 0.2 / 9;
    c->link.ge_r = 0.2;
    c->link.ge_loss_bad = 0.5;
}

/* The end-to-end hash: 5 clients on a lossy link with parity and hashes;
 * client 3 reads back a changed byte, so its check fails, it discards
 * the file and the server sees it REJECTED. */
static void b_fec_hash(struct sim_cfg *c, struct expect *ex)
{
    base(c, 5);
    c->link.delay_ns = 50 * MS;
    c->link.loss = 0.05;
    c->files = one_file_2m;
    c->n_files = 1;
    c->server.fec_k = 32;
    c->server.fec_m = 4;
    c->server.fec_reactive = true;
    c->hash = true;
    c->corrupt_client = 3;
    ex->ok = 4;
    ex->rejected = 1;
}

/* Parity and hashes over the 20-file set (empty and one-byte files, a
 * file of two sections, a directory, a link, a delete), 5% loss, groups
 * of 16 so that sections end in small groups, and a client that is plain. */
static bool one_plain[4] = {false, false, true, false};

static void b_fec_files(struct sim_cfg *c, struct expect *ex)
{
    base(c, 4);
    c->link.loss = 0.05;
    c->files = files20;
    c->n_files = sizeof files20 / sizeof files20[0];
    c->server.fec_k = 16;
    c->server.fec_m = 2;
    c->server.fec_reactive = true;
    c->plain = one_plain;
    c->hash = true;
    ex->ok = 4;
    ex->hash_ok = 40; /* of 3 capable clients x 16 files of at least one byte */
}

/* The same in an encrypted session: the new types go sealed, as FILESEG. */
static void b_fec_enc(struct sim_cfg *c, struct expect *ex)
{
    b_fec_files(c, ex);
    c->server.keytype = UFT_KEY_AES256_GCM;
    c->server.hashtype = UFT_HASH_SHA256;
    c->server.curve = UFT_CURVE_P256;
}

static void b_big10k(struct sim_cfg *c, struct expect *ex)
{
    base(c, 10000);
    c->link.delay_ns = 20 * MS;
    c->link.loss = 0.02;
    c->files = one_file_5m;
    c->n_files = 1;
    ex->ok = 10000;
    ex->max_data_ratio = 1.15;
}

static void b_burst3(struct sim_cfg *c, struct expect *ex)
{
    base(c, 3);
    c->link.delay_ns = 50 * MS;
    c->link.ge_p = 0.01;
    c->link.ge_r = 0.2;
    c->link.ge_loss_bad = 0.7;
    c->files = one_file_20m;
    c->n_files = 1;
    ex->ok = 3;
}

static struct sim_link vanish_links[10];

static void b_vanish(struct sim_cfg *c, struct expect *ex)
{
    size_t i;
    base(c, 10);
    for (i = 0; i < 10; i++) {
        vanish_links[i] = c->link;
        vanish_links[i].loss = 0.01;
    }
    vanish_links[3].down_at_ns = 1 * SEC; /* gone in the middle of the file */
    c->links = vanish_links;
    c->files = one_file_20m;
    c->n_files = 1;
    ex->ok = 9;
    ex->failed = 1;
}

static struct sim_link slow_links[10];

static void b_slow(struct sim_cfg *c, struct expect *ex)
{
    size_t i;
    base(c, 10);
    for (i = 0; i < 10; i++)
        slow_links[i] = c->link;
    slow_links[7].rate_bps = 2 * 1000 * 1000; /* a fifth of the send rate */
    slow_links[7].queue_pkts = 64;
    c->links = slow_links;
    c->files = one_file_2m;
    c->n_files = 1;
    ex->ok = 10;
}

/* -W 150: a file may take 1.5 times size/rate (20 MB at 10 MB/s: 3 s).
 * The client behind a link at a fifth of the rate cannot make it and is
 * aborted; the others finish, so the session still succeeds. */
static void b_maxtime(struct sim_cfg *c, struct expect *ex)
{
    size_t i;
    base(c, 5);
    for (i = 0; i < 5; i++)
        slow_links[i] = c->link;
    slow_links[3].rate_bps = 2 * 1000 * 1000;
    slow_links[3].queue_pkts = 64;
    c->links = slow_links;
    c->server.max_time_pct = 150;
    c->files = one_file_20m;
    c->n_files = 1;
    ex->ok = 4;
    ex->failed = 1;
}

static void b_reorder(struct sim_cfg *c, struct expect *ex)
{
    base(c, 20);
    c->link.delay_ns = 30 * MS;
    c->link.jitter_ns = 40 * MS; /* packets overtake each other */
    c->link.dup = 0.05;
    c->link.loss = 0.02;
    c->files = files20;
    c->n_files = sizeof files20 / sizeof files20[0];
    ex->ok = 20;
}

static void b_open3(struct sim_cfg *c, struct expect *ex)
{
    base(c, 3);
    c->open_group = true;
    c->server.robust = 10;
    c->files = files20;
    c->n_files = 5;
    ex->ok = 3;
}

/* Clients 2..n answer through a response proxy (sim.h): its lists, its
 * block-long NAK bitmaps and, for the one that vanishes, the server's
 * verdict on a client it never hears from itself. */
static struct sim_link proxy_links[6];

static void b_proxy6(struct sim_cfg *c, struct expect *ex)
{
    size_t i;
    base(c, 6);
    for (i = 0; i < 6; i++) {
        proxy_links[i] = c->link;
        proxy_links[i].loss = 0.02;
    }
    proxy_links[4].down_at_ns = 2 * SEC; /* client 5, behind the proxy */
    c->links = proxy_links;
    c->proxy_id = 0x7e000001;
    c->files = files20;
    c->n_files = sizeof files20 / sizeof files20[0];
    ex->ok = 5;
    ex->failed = 1;
}

static void b_proxy_open(struct sim_cfg *c, struct expect *ex)
{
    b_open3(c, ex);
    c->proxy_id = 0x7e000001;
}

static void b_tfmcc20(struct sim_cfg *c, struct expect *ex)
{
    base(c, 20);
    c->link.delay_ns = 20 * MS;
    c->link.loss = 0.01;
    c->server.cc_type = UFT_CC_TFMCC;
    c->files = one_file_20m;
    c->n_files = 1;
    ex->ok = 20;
}

static struct sim_link tf_links[50];

static void b_tfmcc_slow(struct sim_cfg *c, struct expect *ex)
{
    size_t i;
    base(c, 50);
    c->server.cc_type = UFT_CC_TFMCC;
    for (i = 0; i < 50; i++) {
        tf_links[i] = c->link;
        tf_links[i].rate_bps = 125 * 1000 * 1000; /* 1 Gbit/s */
        tf_links[i].queue_pkts = 1000;
    }
    tf_links[17].rate_bps = 1250 * 1000; /* 10 Mbit/s */
    tf_links[17].queue_pkts = 100;
    c->links = tf_links;
    c->files = one_file_5m;
    c->n_files = 1;
    ex->ok = 50;
    /* it follows the slow one without a collapse: little repair, and
     * well within twice the time the slow link needs */
    ex->max_data_ratio = 1.1;
    ex->max_time_x = 2.0;
}

/* 100 Mbit/s bottleneck shared with a TCP-like flow that starts at 5 s. */
static void b_tfmcc_tcp(struct sim_cfg *c, struct expect *ex)
{
    base(c, 10);
    c->link.delay_ns = 20 * MS;
    c->server.cc_type = UFT_CC_TFMCC;
    c->bottleneck_bps = 12500000;
    c->bottleneck_queue = 100;
    c->tcp_flow = true;
    c->tcp_start_ns = 5 * SEC;
    c->files = one_file_50m;
    c->n_files = 1;
    ex->ok = 10;
    ex->fair = true;
}

/* the bottleneck drops from 100 to 20 Mbit/s at 3 s */
static void b_tfmcc_shift(struct sim_cfg *c, struct expect *ex)
{
    base(c, 10);
    c->link.delay_ns = 20 * MS;
    c->server.cc_type = UFT_CC_TFMCC;
    c->bottleneck_bps = 12500000;
    c->bottleneck_queue = 100;
    c->bottleneck2_bps = 2500000;
    c->bottleneck2_at_ns = 3 * SEC;
    c->files = one_file_50m;
    c->n_files = 1;
    ex->ok = 10;
    ex->adapt_rtts = 10;
}

/* -R -1 with a 1 Gbit/s uplink into receivers that take 200 Mbit/s, each
 * with a queue of 64 packets (a socket buffer of about 560 KB): the first
 * pass overruns them, the rest must be paced from what they took in. */
static void b_unpaced(struct sim_cfg *c, struct expect *ex)
{
    base(c, 10);
    c->server.block_len = 8800;
    c->server.rate = -1;
    c->server_nic_bps = 125 * 1000 * 1000;
    c->link.rate_bps = 25 * 1000 * 1000;
    c->link.queue_pkts = 64;
    c->files = one_file_20m;
    c->n_files = 1;
    ex->ok = 10;
    ex->max_passes = 2;
}

/* -R -1, 1300-byte blocks (a STATUS per 13.5 MB section arrives during the
 * first pass): 19 receivers on 1 Gbit/s and one on 50 Mbit/s, 3 files. */
static const struct sim_file three_files_20m[] = {
    {"a.bin", UFT_FTYPE_REG, 20000000, NULL},
    {"b.bin", UFT_FTYPE_REG, 20000000, NULL},
    {"c.bin", UFT_FTYPE_REG, 20000000, NULL},
};

static void b_unpaced_slow(struct sim_cfg *c, struct expect *ex)
{
    size_t i;
    base(c, 20);
    c->server.rate = -1;
    c->server_nic_bps = 125 * 1000 * 1000;
    for (i = 0; i < 20; i++) {
        tf_links[i] = c->link;
        tf_links[i].rate_bps = 125 * 1000 * 1000;
        tf_links[i].queue_pkts = 1000;
    }
    tf_links[7].rate_bps = 6250 * 1000; /* 50 Mbit/s */
    tf_links[7].queue_pkts = 200;
    c->links = tf_links;
    c->files = three_files_20m;
    c->n_files = 3;
    ex->ok = 20;
    ex->max_passes = 2;
}

/* TFMCC with 1,000 receivers, 100 ms round trip, 1% loss: feedback
 * suppression must keep the CC_ACKs per round trip far below one per
 * receiver. */
static void b_tfmcc1000(struct sim_cfg *c, struct expect *ex)
{
    base(c, 1000);
    c->link.delay_ns = 50 * MS;
    c->link.loss = 0.01;
    c->server.cc_type = UFT_CC_TFMCC;
    c->files = one_file_5m;
    c->n_files = 1;
    ex->ok = 1000;
    ex->max_fb = 30; /* in the busiest 100 ms, against 1,000 unsuppressed */
}

/* A restarted session: every client kept 70% of the file from before. */
static void b_restart(struct sim_cfg *c, struct expect *ex)
{
    base(c, 5);
    c->link.loss = 0.01;
    c->preload = 0.7;
    c->files = one_file_5m;
    c->n_files = 1;
    ex->ok = 5;
    ex->max_data_ratio = 0.32; /* about 30% of the blocks, plus repairs */
}

/* A restart with FEC and hashes: every client holds 70% of the file, so
 * the first pass sends nothing; the server reads the whole file for its
 * hash before the first DONE, the NAKs of the missing 30% become parity,
 * and every client checks the file, old blocks included. */
static void b_fec_restart(struct sim_cfg *c, struct expect *ex)
{
    b_restart(c, ex);
    c->link.loss = 0.05;
    c->server.fec_k = 32;
    c->server.fec_reactive = true;
    c->hash = true;
    ex->max_data_ratio = 0;
}

/* An encrypted closed group (AES-256-GCM, ECDH P-256) with client
 * authentication: the server lists each client's key fingerprint, and
 * client 100 signs with another key than the one its entry names. The
 * server must refuse it and report it failed, and it must never report
 * success itself; the other 99 get the file. Keys, nonces and the group
 * master come from the system's random source, so the bytes on the wire
 * differ from run to run; the timing, the counters and the outcome do
 * not, because no protocol decision depends on those bytes and no packet's
 * length does either (signatures are padded to the key's fixed length). */
static void b_enc100(struct sim_cfg *c, struct expect *ex)
{
    base(c, 100);
    c->link.loss = 0.01;
    c->server.keytype = UFT_KEY_AES256_GCM;
    c->server.hashtype = UFT_HASH_SHA256;
    c->server.curve = UFT_CURVE_P256;
    c->server.client_auth = true;
    c->impostor = 100;
    c->files = one_file_5m;
    c->n_files = 1;
    ex->ok = 99;
    ex->failed = 1;
}

/* The other AEAD and the larger curve and hash: AES-128-CCM, SHA-384,
 * ECDH and every signing key on P-384, client authentication, the
 * 20-file set with its directory, link and delete, 2% loss. Not
 * deterministic in bytes, as enc100. */
static void b_enc_ccm(struct sim_cfg *c, struct expect *ex)
{
    base(c, 10);
    c->link.loss = 0.02;
    c->server.keytype = UFT_KEY_AES128_CCM;
    c->server.hashtype = UFT_HASH_SHA384;
    c->server.curve = UFT_CURVE_P384;
    c->server.client_auth = true;
    c->sign_curve = UFT_CURVE_P384;
    c->files = files20;
    c->n_files = sizeof files20 / sizeof files20[0];
    ex->ok = 10;
}

/* Encrypted, 8,800-byte blocks, one 150 MB file: its one section holds
 * 17,046 blocks, so a receiver's sealed STATUS carries 2,131 bytes of
 * NAKs. The client sealed into a 2,048-byte buffer until stop 16: such a
 * receiver could not NAK at all and was given up. */
static const struct sim_file one_file_150m[] = {{"big.bin", UFT_FTYPE_REG, 150000000, NULL}};

static void b_enc_bigsec(struct sim_cfg *c, struct expect *ex)
{
    base(c, 2);
    c->link.loss = 0.01;
    c->server.block_len = 8800;
    c->server.rate = 100 * 1000 * 1000;
    c->server.keytype = UFT_KEY_AES256_GCM;
    c->server.hashtype = UFT_HASH_SHA256;
    c->server.curve = UFT_CURVE_P256;
    c->files = one_file_150m;
    c->n_files = 1;
    ex->ok = 2;
}

/* The real proxy (src/core/proxy.h): two response proxies with n
 * clients behind each, 3% loss on the clients' links. The server
 * multicasts to every client itself; their answers reach it only through
 * their proxy, and it must list exactly the two proxies. */
static void rproxy(struct sim_cfg *c, struct expect *ex, size_t n)
{
    base(c, 2 * n);
    c->link.loss = 0.03;
    c->n_proxies = 2;
    c->proxy_kind = UFT_PROXY_RESPONSE;
    c->proxy_link.delay_ns = 2 * MS;
    c->files = one_file_2m;
    c->n_files = 1;
    ex->ok = 2 * n;
    ex->proxies = 2;
}

static void b_rproxy100(struct sim_cfg *c, struct expect *ex)
{
    rproxy(c, ex, 50);
}

static void b_rproxy1000(struct sim_cfg *c, struct expect *ex)
{
    rproxy(c, ex, 500);
}

/* A client proxy in an encrypted group (AES-256-GCM, client
 * authentication): the server reaches only the proxy, which multicasts
 * to its 20 clients on a segment of their own and does the key exchange
 * with them; 1% loss on their links. Not deterministic in bytes, as
 * enc100. */
static void b_cproxy_enc(struct sim_cfg *c, struct expect *ex)
{
    base(c, 20);
    c->link.loss = 0.01;
    c->server.keytype = UFT_KEY_AES256_GCM;
    c->server.hashtype = UFT_HASH_SHA256;
    c->server.curve = UFT_CURVE_P256;
    c->server.client_auth = true;
    c->n_proxies = 1;
    c->proxy_kind = UFT_PROXY_CLIENT;
    c->proxy_link.delay_ns = 10 * MS;
    c->files = files20;
    c->n_files = sizeof files20 / sizeof files20[0];
    ex->ok = 20;
    ex->proxies = 1;
}

/* FEC through proxies: the proxies drop FEC_HELLO (a type they do not
 * aggregate), so the server counts the clients behind them as plain and
 * repairs their NAKs with blocks; what reaches the clients of their FEC
 * (parity, hashes) they may use. Every client must still end exact. */
static void b_fec_rproxy(struct sim_cfg *c, struct expect *ex)
{
    rproxy(c, ex, 50);
    c->server.fec_k = 32;
    c->server.fec_m = 2;
    c->server.fec_reactive = true;
    c->hash = true;
    ex->hash_ok = 1; /* at least one: the clients hear the server directly */
}

static void b_fec_cproxy(struct sim_cfg *c, struct expect *ex)
{
    b_cproxy_enc(c, ex);
    c->server.fec_k = 16;
    c->server.fec_m = 2;
    c->server.fec_reactive = true;
    c->hash = true;
    ex->hash_ok = 0;
    ex->any_hash = true;
}

/* Two response proxies with 10 clients each; the first stops at 0.4 s, in
 * the middle of the file, and everything to and from it is lost. Its
 * clients still hear the server but can no longer answer it: the server
 * must report them failed, they must never report success, and the run
 * must end. */
static void b_proxy_dies(struct sim_cfg *c, struct expect *ex)
{
    rproxy(c, ex, 10);
    c->link.loss = 0.01;
    c->files = one_file_5m;
    c->proxy_down_ns = 400 * MS;
    ex->ok = 10;
    ex->failed = 10;
}

static const struct scenario scenarios[] = {
    {"restart", "5 clients resume a file they hold 70% of: only the rest is sent", b_restart},
    {"tfmcc_tcp", "TFMCC against a TCP-like flow on a 100 Mbit/s bottleneck", b_tfmcc_tcp},
    {"tfmcc_shift", "TFMCC: the bottleneck drops from 100 to 20 Mbit/s mid-file", b_tfmcc_shift},
    {"tfmcc20", "TFMCC: 20 clients, 40 ms RTT, 1% loss, 20 MB", b_tfmcc20},
    {"tfmcc_slow", "TFMCC: one 10 Mbit/s client among 49 at 1 Gbit/s", b_tfmcc_slow},
    {"basic3", "3 clients, no loss, 20 files with dirs, a symlink and a delete", b_basic3},
    {"open3", "open group of 3 (announce runs all its rounds)", b_open3},
    {"proxy6", "6 clients, 5 behind a response proxy, one of them vanishes", b_proxy6},
    {"proxy_open", "open3 with clients 2 and 3 behind a response proxy", b_proxy_open},
    {"burst3", "3 clients, Gilbert-Elliott burst loss, 20 MB", b_burst3},
    {"vanish", "10 clients, one disappears mid-file", b_vanish},
    {"slow", "10 clients, one behind a link at a fifth of the rate", b_slow},
    {"maxtime", "-W 150: the one client too slow to finish in time is aborted", b_maxtime},
    {"reorder", "20 clients, heavy reordering, 5% duplication, 2% loss", b_reorder},
    {"enc100", "encrypted closed group of 100 with client auth; one impostor is refused", b_enc100},
    {"enc_ccm", "encrypted, AES-128-CCM / SHA-384 / P-384, client auth, 10 clients, 20 files",
     b_enc_ccm},
    {"rproxy100", "2 real response proxies, 50 clients behind each, 3% loss", b_rproxy100},
    {"rproxy1000", "2 real response proxies, 500 clients behind each, 3% loss", b_rproxy1000},
    {"cproxy_enc", "encrypted (AES-256-GCM), a real client proxy before 20 clients", b_cproxy_enc},
    {"proxy_dies", "2 real response proxies of 10 clients; one stops mid-file", b_proxy_dies},
    {"tfmcc1000", "TFMCC: 1,000 clients, 100 ms RTT, 1% loss: feedback per round trip",
     b_tfmcc1000},
    {"unpaced", "-R -1: 1 Gbit/s uplink, 10 receivers taking 200 Mbit/s", b_unpaced},
    {"unpaced_slow", "-R -1: 19 receivers at 1 Gbit/s, one at 50 Mbit/s, 3 files", b_unpaced_slow},
    {"enc_bigsec", "encrypted, -b 8800, a 150 MB file in one section (large sealed STATUS)",
     b_enc_bigsec},
    {"loss1000", "1,000 clients, 600 ms RTT, 5% loss, 50 MB", b_loss1000},
    {"big10k", "10,000 clients, 2% loss, 5 MB", b_big10k},
    {"fec_off", "1,000 clients, 600 ms RTT, 5% random loss, 10 MB, no FEC", b_fec_off},
    {"fec_pro", "as fec_off, proactive parity 64+8", b_fec_pro},
    {"fec_re", "as fec_off, reactive parity", b_fec_re},
    {"fec_both", "as fec_off, proactive and reactive parity", b_fec_both},
    {"fec_mix", "as fec_both, half the clients plain", b_fec_mix},
    {"fecb_off", "1,000 clients, 600 ms RTT, 5% burst loss, 10 MB, no FEC", b_fecb_off},
    {"fecb_pro", "as fecb_off, proactive parity 64+8", b_fecb_pro},
    {"fecb_re", "as fecb_off, reactive parity", b_fecb_re},
    {"fecb_both", "as fecb_off, proactive and reactive parity", b_fecb_both},
    {"fecb_mix", "as fecb_both, half the clients plain", b_fecb_mix},
    {"fec_hash", "5 clients, parity and hashes, one client's disk changes a byte", b_fec_hash},
    {"fec_files", "4 clients (one plain), parity and hashes over the 20-file set", b_fec_files},
    {"fec_enc", "as fec_files, encrypted", b_fec_enc},
    {"fec_restart", "as restart (70% already held) with 5% loss, parity and hashes", b_fec_restart},
    {"fec_rproxy", "as rproxy100 with parity and hashes", b_fec_rproxy},
    {"fec_cproxy", "as cproxy_enc with parity and hashes", b_fec_cproxy},
};

/* The fewest transmissions a NAK-based sender needs per block, on average,
 * so that all n receivers get it with independent loss p (receivers lose
 * their own copies; NAKs and the sender are perfect): E[max of n
 * geometric counts] = sum over k >= 0 of 1 - (1 - p^k)^n. */
static double nak_minimum_per_block(double p, size_t n)
{
    double e = 0;
    int k;
    if (p <= 0)
        return 1;
    for (k = 0; k < 200; k++)
        e += 1 - pow(1 - pow(p, k), (double)n);
    return e;
}

/* The rate the data can go at: the server's -R, or at -R -1 its uplink,
 * and never faster than the slowest client's link. */
static double effective_rate(const struct sim_cfg *c)
{
    double r = c->server.rate > 0 ? (double)c->server.rate : (double)c->server_nic_bps;
    size_t i;
    for (i = 0; i < c->n_clients; i++) {
        uint64_t l = c->links ? c->links[i].rate_bps : c->link.rate_bps;
        if (l && (r <= 0 || (double)l < r))
            r = (double)l;
    }
    return r > 0 ? r : 1e12;
}

static bool c_hash(const struct sim_cfg *c)
{
    return c->hash;
}

static int run_one(const struct scenario *sc, uint64_t seed, bool quiet)
{
    struct sim_cfg cfg;
    struct expect ex = {0};
    struct sim_result r;
    uint64_t bytes = 0;
    double ideal, wall, ratio = 0, minimum;
    clock_t t0 = clock();
    size_t i;
    int bad = 0;
    sc->build(&cfg, &ex);
    cfg.seed = seed;
    /* knobs for exploring a scenario by hand; the tests never set them */
    if (getenv("SIM_LOSS"))
        cfg.link.loss = atof(getenv("SIM_LOSS"));
    if (getenv("SIM_JITTER_MS"))
        cfg.link.jitter_ns = (uint64_t)(atof(getenv("SIM_JITTER_MS")) * 1e6);
    if (getenv("SIM_DUP"))
        cfg.link.dup = atof(getenv("SIM_DUP"));
    cfg.verbose = getenv("SIM_VERBOSE") ? atoi(getenv("SIM_VERBOSE")) : 0;
    if (sim_run(&cfg, &r) != 0) {
        fprintf(stderr, "%s seed %llu: setup failed\n", sc->name, (unsigned long long)seed);
        return 1;
    }
    wall = (double)(clock() - t0) / CLOCKS_PER_SEC;
    for (i = 0; i < cfg.n_files; i++)
        bytes += cfg.files[i].size;
    ideal = (double)bytes / effective_rate(&cfg) +
            (2.0 + (double)cfg.n_files) * 2.0 * (double)cfg.link.delay_ns / 1e9;
    minimum = nak_minimum_per_block(cfg.link.loss, cfg.n_clients) * (double)r.blocks_needed;
    if (r.blocks_needed)
        ratio = (double)r.data_packets / minimum;
    if (!r.ended || r.clients_bad != ex.rejected || r.hash_bad != ex.rejected ||
        r.server_rejected != ex.rejected ||
        (c_hash(&cfg) && !ex.any_hash && r.hash_ok < (ex.hash_ok ? ex.hash_ok : ex.ok)) ||
        r.clients_ok != ex.ok || r.clients_failed != ex.failed || r.server_ok != ex.ok ||
        r.server_failed != ex.failed || r.exit_code != ex.exit_code || r.mismatches ||
        (ex.max_data_ratio > 0 && ratio > ex.max_data_ratio) ||
        (ex.max_passes && r.passes > ex.max_passes) ||
        (ex.max_time_x > 0 && (double)r.end_ns / 1e9 > ex.max_time_x * ideal))
        bad = 1;
    if (cfg.n_proxies) {
        if (r.dest_proxies != ex.proxies || r.dest_via_proxy < cfg.n_clients - ex.failed ||
            r.server_rx_clients != 0)
            bad = 1;
        if (!quiet || bad)
            printf("         server: %zu proxies, %zu clients behind them; fed %llu datagrams "
                   "from proxies, %llu from clients\n",
                   r.dest_proxies, r.dest_via_proxy, (unsigned long long)r.server_rx_proxies,
                   (unsigned long long)r.server_rx_clients);
    }
    if (cfg.tcp_flow) {
        double share = r.bn_tcp_bytes ? (double)r.bn_mcast_bytes / (double)r.bn_tcp_bytes : 0;
        printf("         bottleneck from %.1f s: multicast %.1f MB, TCP %.1f MB (ratio %.2f); "
               "multicast drops %llu of %llu\n",
               (double)cfg.tcp_start_ns / 1e9, (double)r.bn_mcast_bytes / 1e6,
               (double)r.bn_tcp_bytes / 1e6, share, (unsigned long long)r.bn_mcast_drops,
               (unsigned long long)(r.bn_mcast_drops + r.bn_mcast_sent));
        if (ex.fair && (share < 0.5 || share > 2.0))
            bad = 1;
    }
    if (cfg.server.cc_type == UFT_CC_TFMCC) {
        uint32_t fb_max = 0, rx_max = 0;
        uint64_t fb_sum = 0;
        size_t k, slots = (size_t)(r.end_ns / 100000000ull) + 1;
        if (slots > sizeof r.fb_trace / sizeof r.fb_trace[0])
            slots = sizeof r.fb_trace / sizeof r.fb_trace[0];
        for (k = 0; k < slots; k++) {
            if (getenv("SIM_FB") && r.fb_trace[k])
                printf("         feedback %5.1f s: %u CC_ACKs\n", (double)k / 10, r.fb_trace[k]);
            fb_sum += r.fb_trace[k];
            if (r.fb_trace[k] > fb_max)
                fb_max = r.fb_trace[k];
            if (r.rx_trace[k] > rx_max)
                rx_max = r.rx_trace[k];
        }
        printf("         feedback: %.1f CC_ACKs per 100 ms on average, at most %u; at most %u "
               "datagrams of any kind in 100 ms (%zu clients)\n",
               (double)fb_sum / (double)slots, fb_max, rx_max, cfg.n_clients);
        if (ex.max_fb && fb_max > ex.max_fb)
            bad = 1;
    }
    if (cfg.bottleneck2_at_ns) {
        /* the round trip once the queue of the new, slower bottleneck is full */
        double rtt = 2.0 * (double)cfg.link.delay_ns / 1e9 +
                     (double)cfg.bottleneck_queue * 1500 / (double)cfg.bottleneck2_bps;
        size_t k = (size_t)(cfg.bottleneck2_at_ns / 100000000ull), n = r.bn_trace_n;
        double limit = 1.25 * (double)cfg.bottleneck2_bps / 10; /* bytes per 100 ms */
        while (k + 1 < n &&
               ((double)r.bn_offer_trace[k] > limit || (double)r.bn_offer_trace[k + 1] > limit))
            k++;
        double took = (double)k / 10 - (double)cfg.bottleneck2_at_ns / 1e9;
        if (took < 0)
            took = 0;
        printf("         bottleneck %.1f -> %.1f MB/s at %.1f s: the sending rate followed "
               "in %.1f s, %.1f round trips of %.0f ms\n",
               (double)cfg.bottleneck_bps / 1e6, (double)cfg.bottleneck2_bps / 1e6,
               (double)cfg.bottleneck2_at_ns / 1e9, took, took / rtt, rtt * 1e3);
        if (ex.adapt_rtts && (k + 1 >= n || took / rtt > ex.adapt_rtts))
            bad = 1;
    }
    if (cfg.bottleneck_bps && getenv("SIM_RATES")) {
        size_t k;
        for (k = 0; k < r.bn_trace_n; k++)
            printf("         rate %5.1f s %6.2f MB/s (sent %6.2f)\n", (double)k / 10,
                   (double)r.bn_rate_trace[k] * 10 / 1e6, (double)r.bn_offer_trace[k] * 10 / 1e6);
    }
    if (!quiet || bad) {
        printf("%-8s seed %-4llu %s: ok %zu/%zu failed %zu bad %zu (server: ok %zu failed %zu) "
               "exit %d\n",
               sc->name, (unsigned long long)seed, bad ? "FAIL" : "pass", r.clients_ok,
               cfg.n_clients, r.clients_failed, r.clients_bad, r.server_ok, r.server_failed,
               r.exit_code);
        printf("         time %.2f s (ideal %.2f, x%.2f), data %llu packets for %llu blocks "
               "(%.3f of the NAK minimum %.0f), passes %u,\n",
               (double)r.end_ns / 1e9, ideal, ideal > 0 ? (double)r.end_ns / 1e9 / ideal : 0,
               (unsigned long long)r.data_packets, (unsigned long long)r.blocks_needed, ratio,
               minimum, r.passes);
        printf("         control: %.1f server and %.1f client packets per client; "
               "max queue %llu; %.1f s of CPU\n",
               (double)r.ctrl_packets / (double)cfg.n_clients,
               (double)r.client_packets / (double)cfg.n_clients, (unsigned long long)r.max_queue,
               wall);
        if (cfg.server.fec_k || cfg.hash)
            printf("         fec: %llu parity packets (%llu for NAKs), %llu blocks rebuilt, "
                   "%llu FEC_HELLOs; hashes %llu ok %llu bad, %llu files rejected\n",
                   (unsigned long long)r.parity_packets, (unsigned long long)r.parity_reactive,
                   (unsigned long long)r.fec_recovered, (unsigned long long)r.fec_clients,
                   (unsigned long long)r.hash_ok, (unsigned long long)r.hash_bad,
                   (unsigned long long)r.server_rejected);
    }
    if (bad)
        printf("         replay with: uft_sim %s %llu\n", sc->name, (unsigned long long)seed);
    return bad;
}

static const struct scenario *find(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
        if (strcmp(scenarios[i].name, name) == 0)
            return &scenarios[i];
    return NULL;
}

int main(int argc, char **argv)
{
    const struct scenario *sc;
    if (argc >= 2 && strcmp(argv[1], "--list") == 0) {
        size_t i;
        for (i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
            printf("%-9s %s\n", scenarios[i].name, scenarios[i].what);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "--sweep") == 0) {
        unsigned long n = strtoul(argv[3], NULL, 10), s, fails = 0;
        if (!(sc = find(argv[2])))
            return 2;
        for (s = 1; s <= n; s++)
            fails += (unsigned long)run_one(sc, s, true);
        printf("%s: %lu of %lu seeds failed\n", sc->name, fails, n);
        return fails ? 1 : 0;
    }
    if (argc < 2 || !(sc = find(argv[1]))) {
        fprintf(stderr, "usage: uft_sim SCENARIO [SEED] | --sweep SCENARIO N | --list\n");
        return 2;
    }
    return run_one(sc, argc > 2 ? strtoull(argv[2], NULL, 10) : 1, false);
}
