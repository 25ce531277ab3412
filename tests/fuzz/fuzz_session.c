/*
 * libFuzzer harness for whole sessions, not just decoders. The input is a
 * sequence of records: one byte of time step (in units of 10 ms), two
 * bytes of length, then a datagram. Each datagram is fed to a client
 * (FUZZ_CLIENT), a server (FUZZ_SERVER) or a proxy (FUZZ_PROXY) session,
 * the client with in-memory storage,
 * and after each one the session's timers run and every datagram it wants
 * to send is pulled. Besides memory errors, it checks that the storage
 * callbacks are used in order (no write to a closed file, no file left
 * open at the end) and that once drained, a session's next deadline lies
 * in the future.
 * The seed corpus comes from the simulator (SIM_TRACE, see scenarios.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/client.h"
#include "core/msg.h"
#include "core/proxy.h"
#include "core/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[10000];

#if defined(FUZZ_CLIENT) || defined(FUZZ_SERVER)
/* A stand-in file hash for the FEC paths: its value never matters. */
static void *h_new(void *ctx)
{
    (void)ctx;
    return malloc(1);
}

static void h_update(void *ctx, void *state, const uint8_t *data, size_t len)
{
    (void)ctx;
    if (!state || (len && !data))
        abort();
}

static void h_final(void *ctx, void *state, uint8_t *digest)
{
    (void)ctx;
    if (digest)
        memset(digest, 0, 32);
    free(state);
}

#endif

#if defined(FUZZ_CLIENT)
static int open_files;

static int st_begin(void *ctx, const struct uft_rx_file *f, void **handle, uint64_t *free_bytes)
{
    (void)ctx;
    *free_bytes = 12345;
    if (f->ftype != UFT_FTYPE_REG || !f->name || strstr(f->name, ".."))
        return f->ftype == UFT_FTYPE_REG ? UFT_COMP_REJECTED : UFT_COMP_NORMAL;
    /* the real store refuses files larger than the free space; so does this one */
    if (f->size > (1u << 26))
        return UFT_COMP_REJECTED;
    open_files++;
    *handle = &open_files;
    return UFT_COMP_NORMAL;
}

static int st_write(void *ctx, void *handle, uint64_t off, const uint8_t *p, size_t len)
{
    (void)ctx;
    (void)off;
    if (handle != &open_files || open_files <= 0 || (len && !p))
        abort();
    return 0;
}

/* FEC decoding and the hash check read blocks back: zeros will do, the
 * engine's bookkeeping is what is under test. */
static int st_read(void *ctx, void *handle, uint64_t off, uint8_t *p, size_t len)
{
    (void)ctx;
    (void)off;
    if (handle != &open_files || open_files <= 0 || (len && !p))
        abort();
    memset(p, 0, len);
    return 0;
}

static int st_end(void *ctx, void *handle, bool commit)
{
    (void)ctx;
    (void)commit;
    if (handle != &open_files || open_files <= 0)
        abort();
    open_files--;
    return 0;
}

/* pretend every third block survived an earlier session */
static void st_have(void *ctx, void *handle, uint32_t block_len, uint32_t blocks, uint8_t *have)
{
    uint32_t b;
    (void)ctx;
    (void)block_len;
    if (handle != &open_files)
        abort();
    for (b = 0; b < blocks; b += 3)
        have[b >> 3] = (uint8_t)(have[b >> 3] | (1u << (b & 7)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* client 1 of the simulator, so its traces make a good seed corpus */
    struct uft_client_cfg cfg = {.client_id = 1, .max_sessions = 4};
    struct uft_client_ops ops = {.file_begin = st_begin,
                                 .file_write = st_write,
                                 .file_end = st_end,
                                 .file_have = st_have,
                                 .file_read = st_read,
                                 .hash_new = h_new,
                                 .hash_update = h_update,
                                 .hash_final = h_final};
    struct uft_peer from = {4, {1, 2, 3, 4}};
    struct uft_client *c;
    struct uft_tx tx;
    uft_ts now = 1000000000;
    size_t pos = 0;
    int pulls;
    open_files = 0;
    if (uft_client_create(&cfg, &ops, &c) != 0)
        return 0;
    while (pos + 3 <= size) {
        size_t len = (size_t)data[pos + 1] << 8 | data[pos + 2];
        now += (uft_ts)data[pos] * 10000000;
        pos += 3;
        if (len > size - pos)
            len = size - pos;
        uft_client_feed(c, now, data + pos, len, &from);
        pos += len;
        for (pulls = 0; pulls < 10000 && uft_client_pull(c, now, out, sizeof out, &tx) > 0;)
            pulls++;
        /* with nothing left to send, the next deadline lies ahead: a
         * deadline in the past would spin the event loop */
        if (pulls < 10000 && uft_client_deadline(c) <= now)
            abort();
    }
    uft_client_shutdown(c, now);
    while (uft_client_pull(c, now, out, sizeof out, &tx) > 0)
        ;
    uft_client_free(c);
    if (open_files != 0)
        abort(); /* a file left open */
    return 0;
}

#elif defined(FUZZ_SERVER)
static int srv_read(void *ctx, void *handle, uint64_t off, uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)handle;
    memset(buf, (int)(off & 0xff), len);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t clients[] = {1, 2, 3}; /* the simulator's node numbers */
    static const struct uft_server_file files[] = {
        {"a.bin", UFT_FTYPE_REG, 40000, 1, NULL, NULL},
        {"dir", UFT_FTYPE_DIR, 0, 1, NULL, NULL},
        {"empty", UFT_FTYPE_REG, 0, 1, NULL, NULL},
    };
    struct uft_server_cfg cfg;
    struct uft_server_ops ops = {.read = srv_read};
    struct uft_peer from = {4, {5, 6, 7, 8}};
    struct uft_server *s;
    struct uft_tx tx;
    uft_ts now = 0;
    size_t pos = 0;
    int pulls;
    memset(&cfg, 0, sizeof cfg);
    cfg.server_id = 0x7f000000; /* as in the simulator */
    cfg.group_id = 0x1234abcd;
    cfg.block_len = 1300;
    cfg.rate = -1;
    cfg.robust = 10;
    cfg.grtt_init = 10000000;
    /* the first byte picks an open or a closed group */
    if (size > 0 && (data[0] & 1)) {
        cfg.clients = clients;
        cfg.n_clients = 3;
    }
    /* the second bit turns on FEC with reactive parity and file hashes */
    if (size > 0 && (data[0] & 2)) {
        cfg.fec_k = 8;
        cfg.fec_m = 2;
        cfg.fec_reactive = true;
        ops.hash_new = h_new;
        ops.hash_update = h_update;
        ops.hash_final = h_final;
    }
    if (uft_server_create(&cfg, files, 3, &ops, now, &s) != 0)
        return 0;
    while (pos + 3 <= size) {
        size_t len = (size_t)data[pos + 1] << 8 | data[pos + 2];
        now += (uft_ts)data[pos] * 10000000;
        pos += 3;
        if (len > size - pos)
            len = size - pos;
        uft_server_feed(s, now, data + pos, len, &from);
        pos += len;
        for (pulls = 0; pulls < 100000 && uft_server_pull(s, now, out, sizeof out, &tx) > 0;)
            pulls++;
        if (pulls < 100000 && uft_server_deadline(s) <= now)
            abort(); /* a deadline in the past would spin the event loop */
    }
    uft_server_free(s);
    return 0;
}
#elif defined(FUZZ_PROXY)
/* A stand-in for the crypto layer so that fuzzed datagrams reach the
 * encrypted paths: signatures always verify, sealing appends a zero tag
 * and opening strips it, keys and hashes are fixed patterns. What this
 * tests is the proxy's parsing and state, not cryptography. */
static uint8_t toy_key;

static int toy_random(void *buf, size_t len)
{
    memset(buf, 0x5a, len);
    return 0;
}

static size_t toy_hash_len(uint8_t t)
{
    return t == UFT_HASH_SHA1 ? 20 : t == UFT_HASH_SHA384 ? 48 : t == UFT_HASH_SHA512 ? 64 : 32;
}

static size_t toy_key_len(uint8_t t)
{
    return t == UFT_KEY_AES128_GCM || t == UFT_KEY_AES128_CCM ? 16 : 32;
}

static int toy_hash(uint8_t t, const void *d, size_t len, uint8_t *dst)
{
    (void)d;
    memset(dst, (int)(len & 0xff), toy_hash_len(t));
    return 0;
}

static int toy_hmac(uint8_t t, const uint8_t *k, size_t kl, const void *d, size_t len, uint8_t *dst)
{
    (void)k;
    (void)kl;
    return toy_hash(t, d, len, dst);
}

static int toy_label(uint8_t t, const uint8_t *secret, const char *label, const uint8_t *ctx,
                     size_t ctx_len, uint8_t *dst, size_t dst_len)
{
    (void)t;
    (void)secret;
    (void)ctx;
    memset(dst, (int)(strlen(label) + ctx_len), dst_len);
    return 0;
}

/* an EC P-256 blob: type, curve, length, 64 bytes of point */
static int toy_blob(const void *key, uint8_t *buf, size_t cap, size_t *len)
{
    (void)key;
    if (cap < 68)
        return -1;
    memset(buf, 7, 68);
    buf[0] = UFT_BLOB_EC;
    buf[1] = UFT_CURVE_P256;
    buf[2] = 0;
    buf[3] = 64;
    *len = 68;
    return 0;
}

static int toy_new(uint8_t curve, void **key)
{
    (void)curve;
    *key = &toy_key;
    return 0;
}

static int toy_derive(const void *key, const uint8_t *peer, size_t plen, uint8_t *secret,
                      size_t cap, size_t *len)
{
    (void)key;
    (void)peer;
    if (cap < 32 || plen == 0)
        return -1;
    memset(secret, 3, 32);
    *len = 32;
    return 0;
}

static void toy_free(void *key)
{
    (void)key;
}

static int toy_verify(const uint8_t *blob, size_t bl, uint8_t t, const void *msg, size_t len,
                      const uint8_t *sig, size_t sl)
{
    (void)blob;
    (void)bl;
    (void)t;
    (void)msg;
    (void)len;
    (void)sig;
    return sl ? 0 : -1;
}

static int toy_seal(uint8_t t, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                    size_t aad_len, const uint8_t *in, size_t len, uint8_t *dst)
{
    (void)t;
    (void)key;
    (void)nonce;
    (void)aad;
    (void)aad_len;
    memmove(dst, in, len);
    memset(dst + len, 0, 16);
    return 0;
}

static int toy_open(uint8_t t, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                    size_t aad_len, const uint8_t *in, size_t len, uint8_t *dst)
{
    (void)t;
    (void)key;
    (void)nonce;
    (void)aad;
    (void)aad_len;
    if (len < 16)
        return -1;
    memmove(dst, in, len - 16);
    return 0;
}

static void toy_wipe(void *p, size_t len)
{
    memset(p, 0, len);
}

static size_t toy_siglen(const void *key)
{
    (void)key;
    return 68;
}

static int toy_sign(const void *key, uint8_t t, const void *msg, size_t len, uint8_t *sig,
                    size_t cap, size_t *sig_len)
{
    (void)key;
    (void)t;
    (void)msg;
    (void)len;
    if (cap < 68)
        return -1;
    memset(sig, 1, 68);
    *sig_len = 68;
    return 0;
}

static const struct uft_crypto_ops toy_ops = {
    .random = toy_random,
    .hash_len = toy_hash_len,
    .key_len = toy_key_len,
    .hash = toy_hash,
    .hmac = toy_hmac,
    .expand_label = toy_label,
    .ecdh_new = toy_new,
    .ecdh_blob = toy_blob,
    .ecdh_derive = toy_derive,
    .ecdh_free = toy_free,
    .verify = toy_verify,
    .seal = toy_seal,
    .open = toy_open,
    .wipe = toy_wipe,
    .signkey_new_ec = toy_new,
    .signkey_blob = toy_blob,
    .signkey_siglen = toy_siglen,
    .sign = toy_sign,
    .signkey_free = toy_free,
};

/* The proxy: the first byte picks server, client or response proxy (its
 * value mod 3), and with bit 2 set gives it the stand-in crypto layer,
 * so that encrypted sessions are carried; the top bit of each record's
 * time byte says whether the datagram comes from the session's upstream
 * (the peer its ANNOUNCE came from) or a receiver. Besides memory errors:
 * pulls never return more than one queue's worth in a row without new
 * input, and a drained proxy's deadline lies ahead. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct uft_peer up = {4, {10, 98, 0, 1}}, down = {4, {10, 99, 0, 11}};
    struct uft_proxy_cfg cfg;
    struct uft_proxy_ops ops;
    struct uft_proxy *p;
    struct uft_tx tx;
    uft_ts now = 1000000000;
    size_t pos = 1;
    int pulls;
    if (size < 1)
        return 0;
    memset(&cfg, 0, sizeof cfg);
    memset(&ops, 0, sizeof ops);
    cfg.kind = (enum uft_proxy_kind)(1 + data[0] % 3);
    cfg.proxy_id = 0x0a620003;
    cfg.down_fixed = true;
    cfg.down = down;
    cfg.max_groups = 4;
    if (data[0] & 4)
        ops.crypto = &toy_ops;
    if (uft_proxy_create(&cfg, &ops, now, &p) != 0)
        return 0;
    while (pos + 3 <= size) {
        size_t len = (size_t)data[pos + 1] << 8 | data[pos + 2];
        const struct uft_peer *from = (data[pos] & 0x80) ? &up : &down;
        now += (uft_ts)(data[pos] & 0x7f) * 10000000;
        pos += 3;
        if (len > size - pos)
            len = size - pos;
        uft_proxy_feed(p, now, data + pos, len, from);
        pos += len;
        for (pulls = 0; pulls < 1000 && uft_proxy_pull(p, now, out, sizeof out, &tx) > 0;)
            pulls++;
        if (pulls == 1000 || uft_proxy_deadline(p) <= now)
            abort(); /* an unbounded queue, or a deadline that would spin the loop */
    }
    uft_proxy_free(p);
    return 0;
}
#else
#error "build with FUZZ_CLIENT, FUZZ_SERVER or FUZZ_PROXY"
#endif
