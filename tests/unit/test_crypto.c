/* The crypto layer: known answers, agreement, tampering, and the
 * signatures of real UFTP 4 and 5 announcements. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/msg.h"
#include "crypto/crypto.h"
#include "sys/file.h"

static void test_random_differs(void **state)
{
    uint8_t a[32], b[32], zero[32] = {0};
    (void)state;
    assert_int_equal(uft_crypto_random(a, sizeof a), 0);
    assert_int_equal(uft_crypto_random(b, sizeof b), 0);
    assert_memory_not_equal(a, b, sizeof a);
    assert_memory_not_equal(a, zero, sizeof a);
}

static void test_wipe(void **state)
{
    uint8_t k[48], zero[48] = {0};
    (void)state;
    memset(k, 0x5a, sizeof k);
    uft_crypto_wipe(k, sizeof k);
    assert_memory_equal(k, zero, sizeof k);
}

/* The GCM specification's test case 2 (McGrew and Viega): zero key, zero
 * nonce, one zero block. */
static void test_gcm_known_answer(void **state)
{
    static const uint8_t want[32] = {0x03, 0x88, 0xda, 0xce, 0x60, 0xb6, 0xa3, 0x92,
                                     0xf3, 0x28, 0xc2, 0xb9, 0x71, 0xb2, 0xfe, 0x78,
                                     0xab, 0x6e, 0x47, 0xd4, 0x2c, 0xec, 0x13, 0xbd,
                                     0xf5, 0x3a, 0x67, 0xb2, 0x12, 0x57, 0xbd, 0xdf};
    uint8_t key[16] = {0}, nonce[12] = {0}, pt[16] = {0}, ct[32], back[16];
    (void)state;
    assert_int_equal(uft_crypto_seal(UFT_KEY_AES128_GCM, key, nonce, NULL, 0, pt, 16, ct), 0);
    assert_memory_equal(ct, want, 32);
    assert_int_equal(uft_crypto_open(UFT_KEY_AES128_GCM, key, nonce, NULL, 0, ct, 32, back), 0);
    assert_memory_equal(back, pt, 16);
}

static void test_aead_tamper(void **state)
{
    static const uint8_t types[] = {UFT_KEY_AES128_GCM, UFT_KEY_AES256_GCM, UFT_KEY_AES128_CCM,
                                    UFT_KEY_AES256_CCM};
    uint8_t key[32], nonce[12], aad[28], pt[1300], ct[1316], back[1300];
    size_t t, bit;
    (void)state;
    uft_crypto_random(key, sizeof key);
    uft_crypto_random(nonce, sizeof nonce);
    uft_crypto_random(aad, sizeof aad);
    uft_crypto_random(pt, sizeof pt);
    for (t = 0; t < sizeof types; t++) {
        assert_int_equal(uft_crypto_seal(types[t], key, nonce, aad, 28, pt, 1300, ct), 0);
        assert_int_equal(uft_crypto_open(types[t], key, nonce, aad, 28, ct, 1316, back), 0);
        assert_memory_equal(back, pt, 1300);
        /* a flipped bit in ciphertext, tag, AAD or nonce is refused */
        for (bit = 0; bit < 4; bit++) {
            uint8_t *where = bit == 0   ? ct + 7
                             : bit == 1 ? ct + 1310
                             : bit == 2 ? aad + 3
                                        : nonce + 11;
            *where ^= 0x10;
            assert_int_equal(uft_crypto_open(types[t], key, nonce, aad, 28, ct, 1316, back),
                             -10 /* UFT_E_AUTH */);
            *where ^= 0x10;
        }
    }
}

static void test_ecdh_agreement(void **state)
{
    static const uint8_t curves[] = {UFT_CURVE_P256, UFT_CURVE_P384, UFT_CURVE_P521};
    size_t c;
    (void)state;
    for (c = 0; c < sizeof curves; c++) {
        struct uft_ecdh *a, *b;
        uint8_t ba[200], bb[200], sa[80], sb[80];
        size_t la, lb, na, nb;
        assert_int_equal(uft_ecdh_new(curves[c], &a), 0);
        assert_int_equal(uft_ecdh_new(curves[c], &b), 0);
        assert_int_equal(uft_ecdh_blob(a, ba, sizeof ba, &la), 0);
        assert_int_equal(uft_ecdh_blob(b, bb, sizeof bb, &lb), 0);
        assert_int_equal(ba[0], 2); /* an EC blob */
        assert_int_equal(ba[1], curves[c]);
        assert_int_equal(uft_ecdh_derive(a, bb, lb, sa, sizeof sa, &na), 0);
        assert_int_equal(uft_ecdh_derive(b, ba, la, sb, sizeof sb, &nb), 0);
        assert_int_equal(na, nb);
        assert_memory_equal(sa, sb, na);
        uft_ecdh_free(a);
        uft_ecdh_free(b);
    }
}

/* A real UFTP 4 or 5 ANNOUNCE (the file name starts with its directory,
 * v4 or v5): its signature covers the whole datagram with
 * the signature bytes zeroed, hashed with the session hash. */
static void check_announce(const char *file, int expect_ok)
{
    char path[512];
    uint8_t *pkt;
    size_t len;
    struct uft_msg m;
    const char *dir = getenv("UFT_VECTORS");
    snprintf(path, sizeof path, "%s/%.2s/%s", dir ? dir : "tests/vectors", file, file);
    assert_int_equal(uft_file_read_all(path, 65536, &pkt, &len), 0);
    assert_int_equal(uft_msg_decode(pkt, len, &m), 0);
    assert_true(m.u.announce.has_enc);
    {
        uint8_t *copy = malloc(len), *sig = malloc(m.u.announce.enc.sig.len);
        size_t off = (size_t)(m.u.announce.enc.sig.p - pkt), slen = m.u.announce.enc.sig.len;
        memcpy(copy, pkt, len);
        memcpy(sig, m.u.announce.enc.sig.p, slen);
        memset(copy + off, 0, slen);
        if (!expect_ok)
            copy[20] ^= 1; /* tamper with the robustness byte */
        assert_int_equal(uft_crypto_verify(m.u.announce.enc.keyblob.p, m.u.announce.enc.keyblob.len,
                                           m.u.announce.enc.hashtype, copy, len, sig, slen),
                         expect_ok ? 0 : -10);
        free(copy);
        free(sig);
    }
    free(pkt);
}

static void test_real_announce_signatures(void **state)
{
    (void)state;
    check_announce("v5_enc_announce_enc_closed.bin", 1);    /* RSA-2048, SHA-256 */
    check_announce("v5_enc384_announce_enc_closed.bin", 1); /* ECDSA P-256, SHA-384 */
    check_announce("v5_proxy_announce_enc_closed.bin", 1);  /* ECDSA P-256, SHA-256 */
    check_announce("v5_enc_announce_enc_closed.bin", 0);
    check_announce("v5_enc384_announce_enc_closed.bin", 0);
    check_announce("v4_enc_announce_enc_closed.bin", 1); /* 4.10.2, ECDSA P-256, SHA-256 */
    check_announce("v4_enc_announce_enc_closed.bin", 0);
}

/* NIST SP 800-38A F.2.1 (AES-128-CBC), first block; PKCS#7 adds a whole
 * block of padding to a 16-byte message. */
static void test_cbc_known_answer(void **state)
{
    static const uint8_t key[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                    0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
    static const uint8_t pt[16] = {0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
                                   0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a};
    static const uint8_t want[16] = {0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46,
                                     0xce, 0xe9, 0x8e, 0x9b, 0x12, 0xe9, 0x19, 0x7d};
    uint8_t iv[16], ct[32], back[32];
    size_t n, i;
    (void)state;
    for (i = 0; i < 16; i++)
        iv[i] = (uint8_t)i;
    assert_int_equal(uft_crypto_cbc_encrypt(key, 16, iv, pt, 16, ct, &n), 0);
    assert_int_equal(n, 32);
    assert_memory_equal(ct, want, 16);
    assert_int_equal(uft_crypto_cbc_decrypt(key, 16, iv, ct, 32, back, &n), 0);
    assert_int_equal(n, 16);
    assert_memory_equal(back, pt, 16);
    /* the last padding byte becomes 0x00: refused */
    ct[15] ^= 0x10;
    assert_int_equal(uft_crypto_cbc_decrypt(key, 16, iv, ct, 32, back, &n), UFT_E_AUTH);
    assert_int_equal(uft_crypto_cbc_decrypt(key, 24, iv, ct, 32, back, &n), UFT_E_VALUE);
    assert_int_equal(uft_crypto_cbc_decrypt(key, 16, iv, ct, 31, back, &n), UFT_E_VALUE);
}

/* UFTP 4 wraps its 47-byte group master (without the version byte) in
 * one 48-byte CBC block chain, under either key size. */
static void test_cbc_group_master(void **state)
{
    uint8_t key[32], iv[16], gm[47], ct[64], back[64];
    size_t n, kl;
    (void)state;
    uft_crypto_random(key, sizeof key);
    uft_crypto_random(iv, sizeof iv);
    uft_crypto_random(gm, sizeof gm);
    for (kl = 16; kl <= 32; kl += 16) {
        assert_int_equal(uft_crypto_cbc_encrypt(key, kl, iv, gm, sizeof gm, ct, &n), 0);
        assert_int_equal(n, UFT_ENC_MASTER_LEN);
        assert_int_equal(uft_crypto_cbc_decrypt(key, kl, iv, ct, n, back, &n), 0);
        assert_int_equal(n, sizeof gm);
        assert_memory_equal(back, gm, sizeof gm);
    }
    assert_int_equal(uft_crypto_key_len(UFT_KEY_AES128_CBC), 16);
    assert_int_equal(uft_crypto_key_len(UFT_KEY_AES256_CBC), 32);
}

/* UFTP 4's RSA key exchange: a 48-byte premaster to the server's key and
 * back; tampering and EC keys are refused. */
static void test_rsa_key_exchange(void **state)
{
    static const unsigned bits[] = {1024, 2048};
    struct uft_signkey *k, *ec;
    uint8_t blob[500], pm[48], ct[512], back[64];
    size_t bl, cl, n, i;
    (void)state;
    uft_crypto_random(pm, sizeof pm);
    for (i = 0; i < 2; i++) {
        assert_int_equal(uft_signkey_new_rsa(bits[i], &k), 0);
        assert_int_equal(uft_signkey_blob(k, blob, sizeof blob, &bl), 0);
        assert_int_equal(uft_crypto_rsa_encrypt(blob, bl, pm, sizeof pm, ct, sizeof ct, &cl), 0);
        assert_int_equal(cl, bits[i] / 8);
        assert_int_equal(uft_crypto_rsa_decrypt(k, ct, cl, back, sizeof back, &n), 0);
        assert_int_equal(n, sizeof pm);
        assert_memory_equal(back, pm, sizeof pm);
        assert_int_equal(uft_crypto_rsa_decrypt(k, ct, cl, back, 47, &n), UFT_E_NOSPACE);
        ct[cl / 2] ^= 1;
        assert_int_equal(uft_crypto_rsa_decrypt(k, ct, cl, back, sizeof back, &n), UFT_E_AUTH);
        uft_signkey_free(k);
    }
    assert_int_equal(uft_signkey_new_ec(UFT_CURVE_P256, &ec), 0);
    assert_int_equal(uft_crypto_rsa_decrypt(ec, ct, 128, back, sizeof back, &n), UFT_E_VALUE);
    assert_int_equal(uft_signkey_blob(ec, blob, sizeof blob, &bl), 0);
    assert_int_equal(uft_crypto_rsa_encrypt(blob, bl, pm, sizeof pm, ct, sizeof ct, &cl),
                     UFT_E_VALUE);
    uft_signkey_free(ec);
}

/* UFTP 4 writes r and s of an ECDSA signature at their minimal length and
 * zeros after them (about one signature in 128 has a short r or s): such
 * a signature verifies, and one with junk in that tail does not. */
static void test_ecdsa_uftp4_form(void **state)
{
    struct uft_signkey *k;
    uint8_t blob[200], sig[80], v4[80];
    size_t bl, sl, tries, rl, sz, r0, s0;
    (void)state;
    assert_int_equal(uft_signkey_new_ec(UFT_CURVE_P256, &k), 0);
    assert_int_equal(uft_signkey_blob(k, blob, sizeof blob, &bl), 0);
    for (tries = 0; tries < 5000; tries++) {
        assert_int_equal(uft_crypto_sign(k, UFT_HASH_SHA256, "msg", 3, sig, sizeof sig, &sl), 0);
        if (sig[4] == 0 || sig[4 + 32] == 0)
            break; /* r or s has a leading zero byte */
    }
    assert_true(tries < 5000);
    assert_int_equal(sig[1], 32); /* ufcast writes UFTP 5's form: 32 + 32 */
    for (r0 = 0; sig[4 + r0] == 0; r0++)
        ;
    for (s0 = 0; sig[36 + s0] == 0; s0++)
        ;
    rl = 32 - r0;
    sz = 32 - s0;
    memset(v4, 0, sizeof v4);
    v4[1] = (uint8_t)rl;
    v4[3] = (uint8_t)sz;
    memcpy(v4 + 4, sig + 4 + r0, rl);
    memcpy(v4 + 4 + rl, sig + 36 + s0, sz);
    assert_int_equal(uft_crypto_verify(blob, bl, UFT_HASH_SHA256, "msg", 3, v4, sl), 0);
    v4[sl - 1] = 1;
    assert_int_not_equal(uft_crypto_verify(blob, bl, UFT_HASH_SHA256, "msg", 3, v4, sl), 0);
    uft_signkey_free(k);
}

static void test_sign_keys_files(void **state)
{
    static const char *const specs[] = {"ec256", "ec384", "ec521", "rsa1024"};
    char dir[] = "/tmp/uft_keys_XXXXXX", path[64], fp[64], fp2[64];
    struct uft_signkey *k, *back;
    uint8_t blob[500], sig[600];
    size_t bl, sl, i;
    struct stat st;
    (void)state;
    assert_non_null(mkdtemp(dir));
    for (i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        int rc = i < 3 ? uft_signkey_new_ec((uint8_t)(UFT_CURVE_P256 + i), &k)
                       : uft_signkey_new_rsa(1024, &k);
        assert_int_equal(rc, 0);
        assert_int_equal(uft_signkey_blob(k, blob, sizeof blob, &bl), 0);
        assert_int_equal(uft_crypto_sign(k, UFT_HASH_SHA384, "msg", 3, sig, sizeof sig, &sl), 0);
        assert_int_equal(sl, uft_signkey_siglen(k));
        assert_int_equal(uft_crypto_verify(blob, bl, UFT_HASH_SHA384, "msg", 3, sig, sl), 0);
        assert_int_equal(uft_crypto_verify(blob, bl, UFT_HASH_SHA384, "msG", 3, sig, sl), -10);
        /* key files: 0600, never overwritten, and they load back */
        snprintf(path, sizeof path, "%s/%s.pem", dir, specs[i]);
        assert_int_equal(uft_signkey_write(k, path), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_int_not_equal(uft_signkey_write(k, path), 0);
        assert_int_equal(uft_signkey_load(path, &back), 0);
        assert_int_equal(uft_signkey_fingerprint(k, fp, sizeof fp), 0);
        assert_int_equal(uft_signkey_fingerprint(back, fp2, sizeof fp2), 0);
        assert_string_equal(fp, fp2);
        assert_int_equal(strlen(fp), 59); /* 20 uppercase hex pairs and 19 colons */
        uft_signkey_free(k);
        uft_signkey_free(back);
        unlink(path);
    }
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_differs),   cmocka_unit_test(test_wipe),
        cmocka_unit_test(test_gcm_known_answer), cmocka_unit_test(test_aead_tamper),
        cmocka_unit_test(test_ecdh_agreement),   cmocka_unit_test(test_real_announce_signatures),
        cmocka_unit_test(test_sign_keys_files),  cmocka_unit_test(test_cbc_known_answer),
        cmocka_unit_test(test_cbc_group_master), cmocka_unit_test(test_rsa_key_exchange),
        cmocka_unit_test(test_ecdsa_uftp4_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
