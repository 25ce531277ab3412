/*
 * The message codec: round trips for every type and version, byte layouts
 * written out by hand from protocol.txt, every truncation, a bit-flip
 * sweep, and the malformed inputs UFTP itself refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/msg.h"
#include "msg_samples.h"

#define MAXS 128
#define BUF  12000

static struct msg_sample samples[MAXS];
static size_t nsamples;

static int setup(void **state)
{
    (void)state;
    nsamples = msg_samples(samples, MAXS);
    return nsamples > 0 && nsamples < MAXS ? 0 : -1;
}

static size_t enc(const struct uft_msg *m, uint8_t *buf)
{
    ssize_t n = uft_msg_encode(m, buf, BUF);
    if (n < 0)
        fail_msg("encode failed: %s", uft_strerror((int)n));
    return (size_t)n;
}

static void describe(const struct uft_msg *m, char *out, size_t cap)
{
    size_t n = uft_msg_describe(m, out, cap);
    assert_true(n < cap);
}

/* Header bytes (common header plus hlen*4) of an encoded non-ENCRYPTED
 * datagram: what no truncation may cut into and still decode. */
static size_t header_bytes(const uint8_t *pkt)
{
    return pkt[1] == UFT_ENCRYPTED ? UFT_HDR_LEN + UFT_ENC_HDR_LEN
                                   : UFT_HDR_LEN + (size_t)pkt[UFT_HDR_LEN + 1] * 4;
}

static void test_roundtrip_all(void **state)
{
    static uint8_t a[BUF], b[BUF], body[BUF];
    static char da[8192], db[8192];
    size_t i;
    (void)state;
    for (i = 0; i < nsamples; i++) {
        struct uft_msg d, d2;
        size_t na = enc(&samples[i].m, a), nb;
        int rc = uft_msg_decode(a, na, &d);
        if (rc)
            fail_msg("%s v%x: decode: %s", samples[i].name, samples[i].m.hdr.version,
                     uft_strerror(rc));
        describe(&samples[i].m, da, sizeof da);
        describe(&d, db, sizeof db);
        assert_string_equal(da, db);
        nb = enc(&d, b);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        assert_int_equal(a[1], samples[i].m.hdr.func);
        if (samples[i].m.hdr.func != UFT_ENCRYPTED) {
            /* The body alone, as it travels inside ENCRYPTED. */
            ssize_t nbody = uft_msg_encode_body(&samples[i].m, body, sizeof body);
            assert_int_equal(nbody, (ssize_t)na - UFT_HDR_LEN);
            assert_memory_equal(body, a + UFT_HDR_LEN, (size_t)nbody);
            assert_int_equal(uft_msg_decode_body(d.hdr.version, body, (size_t)nbody, &d2), 0);
            assert_int_equal(d2.hdr.func, samples[i].m.hdr.func);
            assert_int_equal(d2.hdr.src_id, 0);
        }
    }
}

static void test_truncation_all(void **state)
{
    static uint8_t a[BUF], b[BUF];
    size_t i, cut;
    (void)state;
    for (i = 0; i < nsamples; i++) {
        size_t na = enc(&samples[i].m, a), hb = header_bytes(a);
        for (cut = 0; cut < na; cut++) {
            struct uft_msg d;
            int rc = uft_msg_decode(a, cut, &d);
            if (cut < hb) {
                if (rc >= 0)
                    fail_msg("%s v%x: decoded when cut to %zu of %zu", samples[i].name,
                             samples[i].m.hdr.version, cut, na);
                continue;
            }
            /* Inside an open-ended tail (IDs, data, NAKs) a shorter
             * datagram can be valid: then it must stand for itself. */
            if (rc == 0) {
                assert_int_equal(enc(&d, b), cut);
                assert_memory_equal(a, b, cut);
            }
        }
    }
}

static void test_bitflip_all(void **state)
{
    static uint8_t a[BUF], f[BUF], b[BUF], c[BUF];
    size_t i, bit;
    (void)state;
    for (i = 0; i < nsamples; i++) {
        size_t na = enc(&samples[i].m, a);
        size_t nbits = (na < 400 ? na : 400) * 8; /* headers live at the front */
        for (bit = 0; bit < nbits; bit++) {
            struct uft_msg d, d2;
            ssize_t nb, nc;
            memcpy(f, a, na);
            f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            if (uft_msg_decode(f, na, &d) != 0)
                continue;
            /* Whatever decodes must encode, and that encoding is stable. */
            nb = uft_msg_encode(&d, b, sizeof b);
            if (nb < 0)
                fail_msg("%s: bit %zu: decoded but cannot encode: %s", samples[i].name, bit,
                         uft_strerror((int)nb));
            assert_int_equal(uft_msg_decode(b, (size_t)nb, &d2), 0);
            nc = uft_msg_encode(&d2, c, sizeof c);
            assert_int_equal(nb, nc);
            assert_memory_equal(b, c, (size_t)nb);
        }
    }
}

static void test_encode_nospace(void **state)
{
    static uint8_t a[BUF], b[BUF];
    size_t i, cap;
    (void)state;
    for (i = 0; i < nsamples; i++) {
        size_t na = enc(&samples[i].m, a);
        for (cap = 0; cap < na; cap += (cap < 64 ? 1 : 37))
            assert_int_equal(uft_msg_encode(&samples[i].m, b, cap), UFT_E_NOSPACE);
    }
}

/* Byte layouts written out from protocol.txt, independent of the encoder. */
static void test_golden_announce(void **state)
{
    static const uint8_t want[40] = {0x50, 1,    0x00, 0x07, 0x11, 0x11, 0x11, 0x11, 0xde, 0xad,
                                     0xbe, 0xef, 0,    157,  0x18, 0,    1,    6,    0x00, 20,
                                     0,    0,    0x05, 0x14, 0,    0,    0,    1,    0,    0,
                                     0,    2,    230,  4,    4,    1,    230,  5,    5,    9};
    struct uft_msg m;
    uint8_t buf[64];
    (void)state;
    memset(&m, 0, sizeof m);
    m.hdr = (struct uft_hdr){UFT_VER5, UFT_ANNOUNCE, 7, 0x11111111, 0xdeadbeef, 0, 157, 0x18};
    m.u.announce.robust = 20;
    m.u.announce.blocksize = 1300;
    m.u.announce.tstamp_hi = 1;
    m.u.announce.tstamp_lo = 2;
    memcpy(m.u.announce.pub_addr, "\xe6\x04\x04\x01", 4);
    memcpy(m.u.announce.priv_addr, "\xe6\x05\x05\x09", 4);
    assert_int_equal(uft_msg_encode(&m, buf, sizeof buf), 40);
    assert_memory_equal(buf, want, 40);
}

static void test_golden_abort(void **state)
{
    struct uft_msg m, d;
    uint8_t buf[400];
    size_t i;
    (void)state;
    memset(&m, 0, sizeof m);
    m.hdr = (struct uft_hdr){UFT_VER5, UFT_ABORT, 1, 2, 3, 0, 0, 0};
    m.u.abort.host = 0x0a000005;
    m.u.abort.flags = UFT_ABORT_CURFILE;
    m.u.abort.text.p = (const uint8_t *)"Transfer timed out";
    m.u.abort.text.len = 18;
    assert_int_equal(uft_msg_encode(&m, buf, sizeof buf), 324);
    assert_int_equal(buf[16], UFT_ABORT);
    assert_int_equal(buf[17], 77); /* hlen: 308 / 4 */
    assert_int_equal(buf[18], 1);
    assert_memory_equal(buf + 20, "\x0a\x00\x00\x05", 4);
    assert_memory_equal(buf + 24, "Transfer timed out", 18);
    for (i = 24 + 18; i < 324; i++)
        assert_int_equal(buf[i], 0);
    assert_int_equal(uft_msg_decode(buf, 324, &d), 0);
    assert_int_equal(d.u.abort.text.len, 18);
}

static void test_golden_fileinfo(void **state)
{
    /* name "abcd" fills one word exactly (no NUL); link "xy" is padded. */
    static const uint8_t want_body[] = {7,    9,    0,    5,    2,    0,    0,    0,    1,    1,
                                        0x00, 0x01, 0x00, 0x00, 0x10, 0x00, 0x60, 0,    0,    0,
                                        0,    0,    0,    0,    0,    0,    0,    0,    'a',  'b',
                                        'c',  'd',  'x',  'y',  0,    0,    0x22, 0x22, 0x22, 0x22};
    static const uint8_t id[4] = {0x22, 0x22, 0x22, 0x22};
    struct uft_msg m;
    uint8_t buf[128];
    (void)state;
    memset(&m, 0, sizeof m);
    m.hdr = (struct uft_hdr){UFT_VER5, UFT_FILEINFO, 0, 0, 0, 0, 0, 0};
    m.u.fileinfo.file_id = 5;
    m.u.fileinfo.ftype = UFT_FTYPE_LINK;
    m.u.fileinfo.fsize = 0x100001000ull;
    m.u.fileinfo.ftstamp_lo = 0x60000000;
    m.u.fileinfo.name = (struct uft_bytes){(const uint8_t *)"abcd", 4};
    m.u.fileinfo.link = (struct uft_bytes){(const uint8_t *)"xy", 2};
    m.u.fileinfo.ids = (struct uft_ids){id, 1};
    assert_int_equal(uft_msg_encode(&m, buf, sizeof buf), 16 + sizeof want_body);
    assert_memory_equal(buf + 16, want_body, sizeof want_body);
}

static void test_golden_encrypted(void **state)
{
    static const uint8_t payload[5] = {1, 2, 3, 4, 5};
    static const uint8_t sig[4] = {9, 9, 9, 9};
    struct uft_msg m, d;
    uint8_t buf[64];
    (void)state;
    memset(&m, 0, sizeof m);
    m.hdr = (struct uft_hdr){UFT_VER5, UFT_ENCRYPTED, 0, 0, 0, 0, 0, 0};
    m.u.encrypted.iv_ctr = 0x0102030405060708ull;
    m.u.encrypted.payload = (struct uft_bytes){payload, 5};
    assert_int_equal(uft_msg_encode(&m, buf, sizeof buf), 16 + 12 + 5);
    assert_memory_equal(buf + 16, "\x01\x02\x03\x04\x05\x06\x07\x08\x00\x00\x00\x05", 12);
    /* Exactly 28 + payload_len: one byte more or less is refused. */
    assert_int_equal(uft_msg_decode(buf, 33, &d), 0);
    assert_int_not_equal(uft_msg_decode(buf, 34, &d), 0);
    assert_int_not_equal(uft_msg_decode(buf, 32, &d), 0);
    /* v4 puts a signature of sig_len bytes before the payload. */
    m.hdr.version = UFT_VER4;
    m.u.encrypted.sig = (struct uft_bytes){sig, 4};
    assert_int_equal(uft_msg_encode(&m, buf, sizeof buf), 16 + 12 + 4 + 5);
    assert_memory_equal(buf + 24, "\x00\x04\x00\x05\x09\x09\x09\x09\x01", 9);
    assert_int_equal(uft_msg_decode(buf, 37, &d), 0);
    assert_int_equal(d.u.encrypted.sig.len, 4);
    assert_int_equal(d.u.encrypted.payload.p[0], 1);
    /* A v5 header with a signature is not something v5 can express. */
    m.hdr.version = UFT_VER5;
    assert_int_equal(uft_msg_encode(&m, buf, sizeof buf), UFT_E_VALUE);
}

static void test_golden_sizes(void **state)
{
    /* Sizes from the reference digest's table of typical packets. */
    static uint8_t blob[68];
    struct uft_msg m;
    uint8_t buf[512];
    (void)state;
    memset(&m, 0, sizeof m);
    m.hdr = (struct uft_hdr){UFT_VER5, UFT_REGISTER, 0, 0, 0, 0, 0, 0};
    m.u.reg.keyinfo = (struct uft_bytes){blob, 68};
    assert_int_equal(uft_msg_encode(&m, buf, sizeof buf), 128);
    assert_int_equal(buf[17], 28);
    m.u.reg.keyinfo.len = 0;
    assert_int_equal(uft_msg_encode(&m, buf, sizeof buf), 60);
    assert_int_equal(buf[17], 11);

    memset(&m, 0, sizeof m);
    m.hdr = (struct uft_hdr){UFT_VER5, UFT_ANNOUNCE, 0, 0, 0, 0, 0, 0};
    m.u.announce.has_enc = true;
    m.u.announce.enc.keyblob = (struct uft_bytes){blob, 68};
    m.u.announce.enc.dhblob = (struct uft_bytes){blob, 68};
    m.u.announce.enc.sig = (struct uft_bytes){blob, 68};
    assert_int_equal(uft_msg_encode(&m, buf, sizeof buf), 288);
    assert_int_equal(buf[17], 68);
    assert_int_equal(buf[16 + 24 + 1], 62); /* extlen: 248 / 4 */

    memset(&m, 0, sizeof m);
    m.hdr = (struct uft_hdr){UFT_VER5, UFT_KEYINFO_ACK, 0, 0, 0, 0, 0, 0};
    m.u.keyinfo_ack.verify = (struct uft_bytes){blob, 32};
    assert_int_equal(uft_msg_encode_body(&m, buf, sizeof buf), 36);
    assert_int_equal(buf[1], 9);
    assert_int_equal(buf[2], 0); /* verify length word: 0 as UFTP 5 sends it */
    assert_int_equal(buf[3], 0);

    memset(&m, 0, sizeof m);
    m.hdr = (struct uft_hdr){UFT_VER5, UFT_STATUS, 0, 0, 0, 0, 0, 0};
    m.u.status.has_tfmcc = true;
    assert_int_equal(uft_msg_encode_body(&m, buf, sizeof buf), 28);
    assert_int_equal(buf[1], 7);
    assert_int_equal(buf[8], UFT_EXT_TFMCC_ACK_INFO);
    assert_int_equal(buf[9], 5);
}

static void expect_reject(const uint8_t *pkt, size_t len, int want)
{
    struct uft_msg d;
    assert_int_equal(uft_msg_decode(pkt, len, &d), want);
}

static void test_rejects(void **state)
{
    uint8_t p[64];
    struct uft_msg m, d;
    (void)state;
    memset(&m, 0, sizeof m);
    m.hdr = (struct uft_hdr){UFT_VER5, UFT_DONE, 0, 0, 0, 0, 0, 0};
    assert_int_equal(uft_msg_encode(&m, p, sizeof p), 24);
    assert_int_equal(uft_msg_decode(p, 24, &d), 0);

    expect_reject(p, 15, UFT_E_TRUNC); /* shorter than the header */
    expect_reject(p, 16, UFT_E_TRUNC); /* header alone */
    p[0] = 0x30;
    expect_reject(p, 24, UFT_E_VERSION);
    p[0] = 0x50;
    p[16] = UFT_STATUS; /* body type disagrees with the header */
    expect_reject(p, 24, UFT_E_VALUE);
    p[16] = UFT_DONE;
    p[1] = 0;
    p[16] = 0;
    expect_reject(p, 24, UFT_E_TYPE);
    p[1] = p[16] = 22;
    expect_reject(p, 24, UFT_E_TYPE);
    p[1] = p[16] = UFT_KEY_REQ; /* KEY_REQ exists only in v4 */
    expect_reject(p, 24, UFT_E_TYPE);
    p[1] = p[16] = UFT_DONE;
    p[17] = 1; /* hlen below the fixed part */
    expect_reject(p, 24, UFT_E_LENGTH);
    p[17] = 3; /* hlen beyond the datagram */
    expect_reject(p, 24, UFT_E_TRUNC);
    p[17] = 2;
    expect_reject(p, 26, UFT_E_LENGTH); /* ID list not a multiple of 4 */
    /* an extension of length 0 would never end */
    memset(p + 24, 0, 8);
    p[17] = 3;
    p[24] = 42;
    p[25] = 0;
    expect_reject(p, 28, UFT_E_LENGTH);
    p[25] = 2; /* claims 8 bytes where there are 4 */
    expect_reject(p, 28, UFT_E_LENGTH);
    p[25] = 1;
    assert_int_equal(uft_msg_decode(p, 28, &d), 0);
    assert_int_equal(d.u.done.ext_rest.len, 4);
}

static void test_rejects_fileinfo_ext(void **state)
{
    /* UFTP clients accept a FILEINFO only when hlen*4 is exactly the fixed
     * part plus name and link; an extension makes it invalid. */
    static const uint8_t id[4];
    struct uft_msg m, d;
    uint8_t p[128];
    ssize_t n;
    (void)state;
    memset(&m, 0, sizeof m);
    m.hdr = (struct uft_hdr){UFT_VER5, UFT_FILEINFO, 0, 0, 0, 0, 0, 0};
    m.u.fileinfo.name = (struct uft_bytes){(const uint8_t *)"f", 1};
    m.u.fileinfo.ids = (struct uft_ids){id, 1};
    n = uft_msg_encode(&m, p, sizeof p);
    assert_int_equal(n, 16 + 32 + 4);
    p[17] = 9; /* swallow the ID as if it were an extension */
    assert_int_equal(uft_msg_decode(p, (size_t)n, &d), UFT_E_LENGTH);
}

static void test_rejects_enc_info(void **state)
{
    static uint8_t blob[8];
    struct uft_msg m, d;
    uint8_t p[256];
    ssize_t n;
    (void)state;
    memset(&m, 0, sizeof m);
    m.hdr = (struct uft_hdr){UFT_VER5, UFT_ANNOUNCE, 0, 0, 0, 0, 0, 0};
    m.u.announce.has_enc = true;
    m.u.announce.enc.keyblob = (struct uft_bytes){blob, 8};
    n = uft_msg_encode(&m, p, sizeof p);
    assert_int_equal(n, 16 + 24 + 52);
    assert_int_equal(uft_msg_decode(p, (size_t)n, &d), 0);
    assert_true(d.u.announce.has_enc);
    /* extlen must equal 44 + keylen + dhlen + siglen exactly */
    p[16 + 24 + 7] = 4; /* keylen 8 -> 4 */
    assert_int_equal(uft_msg_decode(p, (size_t)n, &d), UFT_E_LENGTH);
}

static void test_encode_values(void **state)
{
    static uint8_t big[1100];
    struct uft_msg m;
    uint8_t p[1400];
    (void)state;
    memset(&m, 0, sizeof m);
    m.hdr = (struct uft_hdr){UFT_VER5, UFT_FILEINFO, 0, 0, 0, 0, 0, 0};
    m.u.fileinfo.fsize = 1ull << 48;
    assert_int_equal(uft_msg_encode(&m, p, sizeof p), UFT_E_VALUE);
    m.u.fileinfo.fsize = (1ull << 48) - 1;
    assert_true(uft_msg_encode(&m, p, sizeof p) > 0);
    m.u.fileinfo.name = (struct uft_bytes){big, 1021};
    assert_int_equal(uft_msg_encode(&m, p, sizeof p), UFT_E_VALUE);

    memset(&m, 0, sizeof m);
    m.hdr = (struct uft_hdr){UFT_VER5, UFT_ABORT, 0, 0, 0, 0, 0, 0};
    m.u.abort.text = (struct uft_bytes){big, 301};
    assert_int_equal(uft_msg_encode(&m, p, sizeof p), UFT_E_VALUE);

    /* a header longer than 255 words cannot be expressed */
    memset(&m, 0, sizeof m);
    m.hdr = (struct uft_hdr){UFT_VER5, UFT_CLIENT_KEY, 0, 0, 0, 0, 0, 0};
    m.u.client_key.keyblob = (struct uft_bytes){big, 1020};
    assert_int_equal(uft_msg_encode(&m, p, sizeof p), UFT_E_VALUE);
    m.u.client_key.keyblob.len = 3; /* 8 + 3 is not a whole number of words */
    assert_int_equal(uft_msg_encode(&m, p, sizeof p), UFT_E_VALUE);

    m.hdr.version = 0x60;
    assert_int_equal(uft_msg_encode(&m, p, sizeof p), UFT_E_VERSION);
}

static void test_tstamp(void **state)
{
    uint32_t hi, lo;
    (void)state;
    uft_msg_tstamp_set(UFT_VER5, 0x0006123456789abcull, &hi, &lo);
    assert_int_equal(hi, 0x00061234);
    assert_int_equal(lo, 0x56789abc);
    assert_true(uft_msg_tstamp_us(UFT_VER5, hi, lo) == 0x0006123456789abcull);
    uft_msg_tstamp_set(UFT_VER4, 1700000000123456ull, &hi, &lo);
    assert_int_equal(hi, 1700000000);
    assert_int_equal(lo, 123456);
    assert_true(uft_msg_tstamp_us(UFT_VER4, hi, lo) == 1700000000123456ull);
}

static void test_describe(void **state)
{
    struct uft_msg m;
    char line[512];
    (void)state;
    memset(&m, 0, sizeof m);
    m.hdr = (struct uft_hdr){UFT_VER5, UFT_ANNOUNCE, 0, 0x0a000001, 0, 0, 0, 0};
    m.u.announce.flags = UFT_ANN_IPV6;
    memcpy(m.u.announce.pub_addr, "\xff\x15\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    memcpy(m.u.announce.priv_addr, "\x20\x01\x0d\xb8\0\0\0\x01\0\0\0\0\0\0\0\x01", 16);
    uft_msg_describe(&m, line, sizeof line);
    assert_non_null(strstr(line, " pub=ff15::1 "));
    assert_non_null(strstr(line, " priv=2001:db8:0:1::1 "));
    assert_non_null(strstr(line, "src_id=0x0a000001"));

    memset(&m, 0, sizeof m);
    m.hdr = (struct uft_hdr){UFT_VER4, UFT_FILEINFO, 0, 0, 0, 0, 0, 0};
    m.u.fileinfo.name = (struct uft_bytes){(const uint8_t *)"a b\\\n", 5};
    uft_msg_describe(&m, line, sizeof line);
    assert_non_null(strstr(line, " name=a\\x20b\\x5c\\x0a"));
    /* a tiny buffer still ends in NUL and reports what it wanted */
    assert_true(uft_msg_describe(&m, line, 8) > 8);
    assert_int_equal(strlen(line), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_all),
        cmocka_unit_test(test_truncation_all),
        cmocka_unit_test(test_bitflip_all),
        cmocka_unit_test(test_encode_nospace),
        cmocka_unit_test(test_golden_announce),
        cmocka_unit_test(test_golden_abort),
        cmocka_unit_test(test_golden_fileinfo),
        cmocka_unit_test(test_golden_encrypted),
        cmocka_unit_test(test_golden_sizes),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_rejects_fileinfo_ext),
        cmocka_unit_test(test_rejects_enc_info),
        cmocka_unit_test(test_encode_values),
        cmocka_unit_test(test_tstamp),
        cmocka_unit_test(test_describe),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
