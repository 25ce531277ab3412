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

#include "core/blob.h"
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

/* HKDF-Expand exactly as RFC 5869 writes it, T(n) = HMAC(PRK, T(n-1) |
 * info | n), built on nothing but the layer's HMAC. */
static void rfc_expand(uint8_t hashtype, const uint8_t *prk, size_t prk_len, const uint8_t *info,
                       size_t info_len, uint8_t *out, size_t len)
{
    uint8_t t[64], buf[64 + 128 + 1];
    size_t h = uft_crypto_hash_len(hashtype), tlen = 0, done = 0;
    uint8_t n = 1;
    assert_true(h > 0 && info_len <= 128 && len <= 255 * h);
    while (done < len) {
        size_t k = tlen, take = len - done < h ? len - done : h;
        memcpy(buf, t, tlen);
        if (info_len)
            memcpy(buf + k, info, info_len);
        k += info_len;
        buf[k++] = n++;
        assert_int_equal(uft_crypto_hmac(hashtype, prk, prk_len, buf, k, t), 0);
        tlen = h;
        memcpy(out + done, t, take);
        done += take;
    }
}

static void fill(uint8_t *p, size_t len, uint8_t first)
{
    size_t i;
    for (i = 0; i < len; i++)
        p[i] = (uint8_t)(first + i);
}

/* RFC 5869 appendix A, test cases 1-3 (SHA-256): Extract is HMAC(salt,
 * IKM), Expand the T(n) chain, both through uft_crypto_hmac, the HMAC the
 * key schedule is built on. Case 3 has no salt: HashLen zeros. */
static void test_hkdf_rfc5869(void **state)
{
    static const uint8_t tc1_prk[32] = {0x07, 0x77, 0x09, 0x36, 0x2c, 0x2e, 0x32, 0xdf,
                                        0x0d, 0xdc, 0x3f, 0x0d, 0xc4, 0x7b, 0xba, 0x63,
                                        0x90, 0xb6, 0xc7, 0x3b, 0xb5, 0x0f, 0x9c, 0x31,
                                        0x22, 0xec, 0x84, 0x4a, 0xd7, 0xc2, 0xb3, 0xe5};
    static const uint8_t tc1_okm[42] = {
        0x3c, 0xb2, 0x5f, 0x25, 0xfa, 0xac, 0xd5, 0x7a, 0x90, 0x43, 0x4f, 0x64, 0xd0, 0x36,
        0x2f, 0x2a, 0x2d, 0x2d, 0x0a, 0x90, 0xcf, 0x1a, 0x5a, 0x4c, 0x5d, 0xb0, 0x2d, 0x56,
        0xec, 0xc4, 0xc5, 0xbf, 0x34, 0x00, 0x72, 0x08, 0xd5, 0xb8, 0x87, 0x18, 0x58, 0x65};
    static const uint8_t tc2_prk[32] = {0x06, 0xa6, 0xb8, 0x8c, 0x58, 0x53, 0x36, 0x1a,
                                        0x06, 0x10, 0x4c, 0x9c, 0xeb, 0x35, 0xb4, 0x5c,
                                        0xef, 0x76, 0x00, 0x14, 0x90, 0x46, 0x71, 0x01,
                                        0x4a, 0x19, 0x3f, 0x40, 0xc1, 0x5f, 0xc2, 0x44};
    static const uint8_t tc2_okm[82] = {
        0xb1, 0x1e, 0x39, 0x8d, 0xc8, 0x03, 0x27, 0xa1, 0xc8, 0xe7, 0xf7, 0x8c, 0x59, 0x6a,
        0x49, 0x34, 0x4f, 0x01, 0x2e, 0xda, 0x2d, 0x4e, 0xfa, 0xd8, 0xa0, 0x50, 0xcc, 0x4c,
        0x19, 0xaf, 0xa9, 0x7c, 0x59, 0x04, 0x5a, 0x99, 0xca, 0xc7, 0x82, 0x72, 0x71, 0xcb,
        0x41, 0xc6, 0x5e, 0x59, 0x0e, 0x09, 0xda, 0x32, 0x75, 0x60, 0x0c, 0x2f, 0x09, 0xb8,
        0x36, 0x77, 0x93, 0xa9, 0xac, 0xa3, 0xdb, 0x71, 0xcc, 0x30, 0xc5, 0x81, 0x79, 0xec,
        0x3e, 0x87, 0xc1, 0x4c, 0x01, 0xd5, 0xc1, 0xf3, 0x43, 0x4f, 0x1d, 0x87};
    static const uint8_t tc3_prk[32] = {0x19, 0xef, 0x24, 0xa3, 0x2c, 0x71, 0x7b, 0x16,
                                        0x7f, 0x33, 0xa9, 0x1d, 0x6f, 0x64, 0x8b, 0xdf,
                                        0x96, 0x59, 0x67, 0x76, 0xaf, 0xdb, 0x63, 0x77,
                                        0xac, 0x43, 0x4c, 0x1c, 0x29, 0x3c, 0xcb, 0x04};
    static const uint8_t tc3_okm[42] = {
        0x8d, 0xa4, 0xe7, 0x75, 0xa5, 0x63, 0xc1, 0x8f, 0x71, 0x5f, 0x80, 0x2a, 0x06, 0x3c,
        0x5a, 0x31, 0xb8, 0xa1, 0x1f, 0x5c, 0x5e, 0xe1, 0x87, 0x9e, 0xc3, 0x45, 0x4e, 0x5f,
        0x3c, 0x73, 0x8d, 0x2d, 0x9d, 0x20, 0x13, 0x95, 0xfa, 0xa4, 0xb6, 0x1a, 0x96, 0xc8};
    static const struct {
        size_t ikm_len, salt_len, info_len;
        int ikm_0b;           /* IKM is all 0x0b, or counts up from 0 */
        uint8_t salt0, info0; /* salt and info count up from these */
        int no_salt;          /* salt is HashLen zeros */
        const uint8_t *prk, *okm;
        size_t okm_len;
    } cases[] = {
        {22, 13, 10, 1, 0x00, 0xf0, 0, tc1_prk, tc1_okm, sizeof tc1_okm},
        {80, 80, 80, 0, 0x60, 0xb0, 0, tc2_prk, tc2_okm, sizeof tc2_okm},
        {22, 32, 0, 1, 0, 0, 1, tc3_prk, tc3_okm, sizeof tc3_okm},
    };
    uint8_t ikm[80], salt[80], info[80], prk[32], okm[82];
    size_t c;
    (void)state;
    for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        if (cases[c].ikm_0b)
            memset(ikm, 0x0b, cases[c].ikm_len);
        else
            fill(ikm, cases[c].ikm_len, 0x00);
        if (cases[c].no_salt)
            memset(salt, 0, cases[c].salt_len);
        else
            fill(salt, cases[c].salt_len, cases[c].salt0);
        fill(info, cases[c].info_len, cases[c].info0);
        assert_int_equal(
            uft_crypto_hmac(UFT_HASH_SHA256, salt, cases[c].salt_len, ikm, cases[c].ikm_len, prk),
            0);
        assert_memory_equal(prk, cases[c].prk, 32);
        rfc_expand(UFT_HASH_SHA256, prk, 32, info, cases[c].info_len, okm, cases[c].okm_len);
        assert_memory_equal(okm, cases[c].okm, cases[c].okm_len);
    }
    /* an empty HMAC key is the same key as HashLen zeros */
    assert_int_equal(uft_crypto_hmac(UFT_HASH_SHA256, salt, 0, ikm, 22, prk), 0);
    assert_memory_equal(prk, tc3_prk, 32);
}

/* UFTP 5's Expand-Label is HKDF-Expand with info = "UFTP5 " label ctx:
 * no length bytes, no NUL. Two fixed answers (python's cryptography,
 * HKDFExpand), then the RFC chain for each hash, length and context. */
static void test_expand_label(void **state)
{
    static const uint8_t want_iv[12] = {0x09, 0xaa, 0x2e, 0xfa, 0xb2, 0x96,
                                        0x24, 0xcd, 0xcf, 0x63, 0xd4, 0xab};
    static const uint8_t want_c_app[60] = {
        0x3a, 0x2b, 0x66, 0x7f, 0x69, 0xf0, 0x22, 0x51, 0xd7, 0xc7, 0xf9, 0x7a, 0xcb, 0x80, 0x29,
        0xba, 0xc1, 0x07, 0x72, 0x86, 0x70, 0x38, 0xf6, 0x9d, 0x0a, 0x66, 0xbc, 0x28, 0x7a, 0xfc,
        0x27, 0x7c, 0x2d, 0x8f, 0xf9, 0xe5, 0x12, 0xd7, 0xbf, 0xcf, 0x0f, 0xd4, 0x65, 0xbd, 0x83,
        0xec, 0x0d, 0x0b, 0x63, 0x92, 0x40, 0x98, 0x4d, 0x42, 0xee, 0x9b, 0x4a, 0xb6, 0x95, 0xad};
    static const uint8_t hashes[] = {UFT_HASH_SHA256, UFT_HASH_SHA384, UFT_HASH_SHA512};
    static const char *const labels[] = {"iv", "key", "c app traffic"};
    static const size_t lens[] = {1, 12, 32, 48, 64, 65, 200};
    static const size_t ctx_lens[] = {0, 9, 48};
    uint8_t secret[64], ctx[48], info[6 + 13 + 48], got[200], ref[200];
    size_t h, l, n, c;
    (void)state;
    fill(secret, sizeof secret, 1);
    fill(ctx, sizeof ctx, 0x40);
    assert_int_equal(uft_crypto_expand_label(UFT_HASH_SHA256, secret, "iv", ctx, 9, got, 12), 0);
    assert_memory_equal(got, want_iv, 12);
    assert_int_equal(
        uft_crypto_expand_label(UFT_HASH_SHA384, secret, "c app traffic", ctx, 48, got, 60), 0);
    assert_memory_equal(got, want_c_app, 60);
    for (h = 0; h < sizeof hashes; h++)
        for (l = 0; l < 3; l++)
            for (c = 0; c < 3; c++)
                for (n = 0; n < sizeof lens / sizeof lens[0]; n++) {
                    size_t ll = strlen(labels[l]), il = 6 + ll + ctx_lens[c];
                    memcpy(info, "UFTP5 ", 6);
                    memcpy(info + 6, labels[l], ll);
                    memcpy(info + 6 + ll, ctx, ctx_lens[c]);
                    rfc_expand(hashes[h], secret, uft_crypto_hash_len(hashes[h]), info, il, ref,
                               lens[n]);
                    assert_int_equal(uft_crypto_expand_label(hashes[h], secret, labels[l], ctx,
                                                             ctx_lens[c], got, lens[n]),
                                     0);
                    assert_memory_equal(got, ref, lens[n]);
                }
}

/* The four AEADs with UFTP's parameters (12-byte nonce, 16-byte tag after
 * the ciphertext), 28 bytes of AAD and a 40-byte message (two and a half
 * blocks). Expected ciphertext and tag computed offline with python's
 * cryptography (AESGCM, AESCCM with tag_length=16). */
static const uint8_t kat_nonce[12] = {0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce,
                                      0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88};
static const char kat_pt[41] = "ufcast known-answer plaintext, 40 bytes!";
static const struct {
    uint8_t keytype;
    uint8_t want[56];
} aead_kats[] = {
    {UFT_KEY_AES128_GCM,
     {0xfc, 0x1f, 0xa4, 0xd7, 0xf6, 0x83, 0xa1, 0x6a, 0xc4, 0x7f, 0xbe, 0xe6, 0x70, 0x9b,
      0xce, 0x94, 0xf1, 0x6e, 0x4a, 0x04, 0x2b, 0x87, 0xd1, 0xcc, 0x5f, 0x9d, 0x73, 0x03,
      0x02, 0x0b, 0xcd, 0xe5, 0xaa, 0x09, 0xfb, 0x79, 0x86, 0x71, 0x6e, 0x5d, 0x8f, 0x6c,
      0xc0, 0xe9, 0xb0, 0x54, 0x82, 0xce, 0xe7, 0x88, 0x39, 0x30, 0xae, 0x68, 0x6e, 0x5b}},
    {UFT_KEY_AES256_GCM,
     {0xff, 0xc5, 0xc3, 0x47, 0xd9, 0x0e, 0x6f, 0x70, 0x28, 0x64, 0x2a, 0xb3, 0x56, 0x7c,
      0xe7, 0x4c, 0x7a, 0x45, 0xb2, 0x71, 0xaf, 0x75, 0x0b, 0x1d, 0x20, 0xab, 0x61, 0x09,
      0xca, 0xa5, 0x45, 0xcb, 0x9d, 0x70, 0xa3, 0x3f, 0xb5, 0xb1, 0x3a, 0x43, 0x16, 0x19,
      0x6e, 0xb8, 0x7d, 0xb4, 0x7c, 0xc2, 0x31, 0xcc, 0x61, 0x97, 0x76, 0x3d, 0x85, 0xb8}},
    {UFT_KEY_AES128_CCM,
     {0x2c, 0x39, 0x67, 0xef, 0x74, 0xf1, 0xc8, 0x1f, 0x4c, 0xcc, 0x9a, 0x3a, 0x72, 0xc1,
      0x79, 0x9f, 0x67, 0xe0, 0xe8, 0x7b, 0x9d, 0x71, 0x5d, 0x42, 0x3c, 0xce, 0xd1, 0x45,
      0xd4, 0x8a, 0xf6, 0x60, 0x06, 0x2d, 0x33, 0xe0, 0x00, 0xf7, 0x48, 0xb1, 0x4b, 0x7a,
      0xc8, 0xa4, 0x5a, 0xd6, 0xc4, 0xe6, 0xa3, 0xe9, 0xec, 0xd1, 0xe2, 0xd3, 0xcd, 0xfc}},
    {UFT_KEY_AES256_CCM,
     {0x49, 0x73, 0xe7, 0x07, 0x44, 0xcc, 0x5b, 0x84, 0xfb, 0xf0, 0x76, 0xf7, 0xae, 0x11,
      0xac, 0xfb, 0xa2, 0x6f, 0xf0, 0xb4, 0x02, 0x35, 0xb7, 0x29, 0x47, 0xd3, 0xc7, 0x20,
      0x9b, 0xb2, 0xd8, 0xa1, 0x4f, 0x8c, 0x09, 0xb9, 0x73, 0xa6, 0x5b, 0x63, 0x8d, 0x71,
      0xf7, 0x81, 0x54, 0x16, 0x18, 0x8d, 0x35, 0x5c, 0x2d, 0x71, 0x33, 0xe8, 0x94, 0x87}},
};

static void kat_inputs(uint8_t key[32], uint8_t aad[28])
{
    fill(key, 32, 0x00); /* 128-bit ciphers take the first 16 bytes */
    fill(aad, 28, 0xa0);
}

/* Each answer is checked after another packet under the same key (another
 * nonce, length and AAD), so the reused context is what is checked. */
static void test_aead_known_answers(void **state)
{
    static uint8_t pt2[1300], ct2[1316];
    uint8_t key[32], aad[28], nonce2[12], ct[56], back[1300], bad[56];
    size_t t;
    (void)state;
    kat_inputs(key, aad);
    memcpy(nonce2, kat_nonce, 12);
    nonce2[11] ^= 1;
    fill(pt2, sizeof pt2, 0x33);
    for (t = 0; t < sizeof aead_kats / sizeof aead_kats[0]; t++) {
        uint8_t kt = aead_kats[t].keytype;
        const uint8_t *want = aead_kats[t].want, *pt = (const uint8_t *)kat_pt;
        assert_int_equal(uft_crypto_seal(kt, key, nonce2, aad, 20, pt2, 1300, ct2), 0);
        assert_int_equal(uft_crypto_seal(kt, key, kat_nonce, aad, 28, pt, 40, ct), 0);
        assert_memory_equal(ct, want, 56);
        assert_int_equal(uft_crypto_open(kt, key, nonce2, aad, 20, ct2, 1316, back), 0);
        assert_memory_equal(back, pt2, 1300);
        assert_int_equal(uft_crypto_open(kt, key, kat_nonce, aad, 28, want, 56, back), 0);
        assert_memory_equal(back, pt, 40);
        /* a bad tag is refused, and the next good packet still opens */
        memcpy(bad, want, 56);
        bad[55] ^= 0x80;
        assert_int_equal(uft_crypto_open(kt, key, kat_nonce, aad, 28, bad, 56, back), UFT_E_AUTH);
        assert_int_equal(uft_crypto_open(kt, key, kat_nonce, aad, 28, want, 56, back), 0);
        assert_memory_equal(back, pt, 40);
        assert_int_equal(uft_crypto_open(kt, key, nonce2, aad, 20, ct2, 1316, back), 0);
        assert_memory_equal(back, pt2, 1300);
    }
}

/* Another key of the same type, then the first again: every call uses the
 * key it is given, whatever the previous call used. */
static void test_aead_key_change(void **state)
{
    uint8_t key[32], other[32], aad[28], ct[56], back[40];
    size_t t;
    (void)state;
    kat_inputs(key, aad);
    memcpy(other, key, 32);
    other[5] ^= 1;
    for (t = 0; t < sizeof aead_kats / sizeof aead_kats[0]; t++) {
        uint8_t kt = aead_kats[t].keytype;
        const uint8_t *want = aead_kats[t].want, *pt = (const uint8_t *)kat_pt;
        assert_int_equal(uft_crypto_seal(kt, key, kat_nonce, aad, 28, pt, 40, ct), 0);
        assert_memory_equal(ct, want, 56);
        assert_int_equal(uft_crypto_seal(kt, other, kat_nonce, aad, 28, pt, 40, ct), 0);
        assert_memory_not_equal(ct, want, 56);
        assert_int_equal(uft_crypto_open(kt, other, kat_nonce, aad, 28, want, 56, back),
                         UFT_E_AUTH);
        assert_int_equal(uft_crypto_open(kt, other, kat_nonce, aad, 28, ct, 56, back), 0);
        assert_int_equal(uft_crypto_seal(kt, key, kat_nonce, aad, 28, pt, 40, ct), 0);
        assert_memory_equal(ct, want, 56);
        assert_int_equal(uft_crypto_open(kt, key, kat_nonce, aad, 28, want, 56, back), 0);
        assert_memory_equal(back, pt, 40);
    }
}

/* RFC 5903 section 8 (ECP groups for IKE), the vectors for the 256-, 384-
 * and 521-bit random groups: private scalars i and r, public points g^i
 * and g^r (X||Y, as in a UFTP EC blob), shared X coordinate g^ir.
 * Checked offline with python's cryptography. */
static const uint8_t p256_i[32] = {0xc8, 0x8f, 0x01, 0xf5, 0x10, 0xd9, 0xac, 0x3f, 0x70, 0xa2, 0x92,
                                   0xda, 0xa2, 0x31, 0x6d, 0xe5, 0x44, 0xe9, 0xaa, 0xb8, 0xaf, 0xe8,
                                   0x40, 0x49, 0xc6, 0x2a, 0x9c, 0x57, 0x86, 0x2d, 0x14, 0x33};
static const uint8_t p256_gi[64] = {
    0xda, 0xd0, 0xb6, 0x53, 0x94, 0x22, 0x1c, 0xf9, 0xb0, 0x51, 0xe1, 0xfe, 0xca, 0x57, 0x87, 0xd0,
    0x98, 0xdf, 0xe6, 0x37, 0xfc, 0x90, 0xb9, 0xef, 0x94, 0x5d, 0x0c, 0x37, 0x72, 0x58, 0x11, 0x80,
    0x52, 0x71, 0xa0, 0x46, 0x1c, 0xdb, 0x82, 0x52, 0xd6, 0x1f, 0x1c, 0x45, 0x6f, 0xa3, 0xe5, 0x9a,
    0xb1, 0xf4, 0x5b, 0x33, 0xac, 0xcf, 0x5f, 0x58, 0x38, 0x9e, 0x05, 0x77, 0xb8, 0x99, 0x0b, 0xb3};
static const uint8_t p256_r[32] = {0xc6, 0xef, 0x9c, 0x5d, 0x78, 0xae, 0x01, 0x2a, 0x01, 0x11, 0x64,
                                   0xac, 0xb3, 0x97, 0xce, 0x20, 0x88, 0x68, 0x5d, 0x8f, 0x06, 0xbf,
                                   0x9b, 0xe0, 0xb2, 0x83, 0xab, 0x46, 0x47, 0x6b, 0xee, 0x53};
static const uint8_t p256_gr[64] = {
    0xd1, 0x2d, 0xfb, 0x52, 0x89, 0xc8, 0xd4, 0xf8, 0x12, 0x08, 0xb7, 0x02, 0x70, 0x39, 0x8c, 0x34,
    0x22, 0x96, 0x97, 0x0a, 0x0b, 0xcc, 0xb7, 0x4c, 0x73, 0x6f, 0xc7, 0x55, 0x44, 0x94, 0xbf, 0x63,
    0x56, 0xfb, 0xf3, 0xca, 0x36, 0x6c, 0xc2, 0x3e, 0x81, 0x57, 0x85, 0x4c, 0x13, 0xc5, 0x8d, 0x6a,
    0xac, 0x23, 0xf0, 0x46, 0xad, 0xa3, 0x0f, 0x83, 0x53, 0xe7, 0x4f, 0x33, 0x03, 0x98, 0x72, 0xab};
static const uint8_t p256_gir_x[32] = {
    0xd6, 0x84, 0x0f, 0x6b, 0x42, 0xf6, 0xed, 0xaf, 0xd1, 0x31, 0x16, 0xe0, 0xe1, 0x25, 0x65, 0x20,
    0x2f, 0xef, 0x8e, 0x9e, 0xce, 0x7d, 0xce, 0x03, 0x81, 0x24, 0x64, 0xd0, 0x4b, 0x94, 0x42, 0xde};
static const uint8_t p384_i[48] = {
    0x09, 0x9f, 0x3c, 0x70, 0x34, 0xd4, 0xa2, 0xc6, 0x99, 0x88, 0x4d, 0x73, 0xa3, 0x75, 0xa6, 0x7f,
    0x76, 0x24, 0xef, 0x7c, 0x6b, 0x3c, 0x0f, 0x16, 0x06, 0x47, 0xb6, 0x74, 0x14, 0xdc, 0xe6, 0x55,
    0xe3, 0x5b, 0x53, 0x80, 0x41, 0xe6, 0x49, 0xee, 0x3f, 0xae, 0xf8, 0x96, 0x78, 0x3a, 0xb1, 0x94};
static const uint8_t p384_gi[96] = {
    0x66, 0x78, 0x42, 0xd7, 0xd1, 0x80, 0xac, 0x2c, 0xde, 0x6f, 0x74, 0xf3, 0x75, 0x51, 0xf5, 0x57,
    0x55, 0xc7, 0x64, 0x5c, 0x20, 0xef, 0x73, 0xe3, 0x16, 0x34, 0xfe, 0x72, 0xb4, 0xc5, 0x5e, 0xe6,
    0xde, 0x3a, 0xc8, 0x08, 0xac, 0xb4, 0xbd, 0xb4, 0xc8, 0x87, 0x32, 0xae, 0xe9, 0x5f, 0x41, 0xaa,
    0x94, 0x82, 0xed, 0x1f, 0xc0, 0xee, 0xb9, 0xca, 0xfc, 0x49, 0x84, 0x62, 0x5c, 0xcf, 0xc2, 0x3f,
    0x65, 0x03, 0x21, 0x49, 0xe0, 0xe1, 0x44, 0xad, 0xa0, 0x24, 0x18, 0x15, 0x35, 0xa0, 0xf3, 0x8e,
    0xeb, 0x9f, 0xcf, 0xf3, 0xc2, 0xc9, 0x47, 0xda, 0xe6, 0x9b, 0x4c, 0x63, 0x45, 0x73, 0xa8, 0x1c};
static const uint8_t p384_r[48] = {
    0x41, 0xcb, 0x07, 0x79, 0xb4, 0xbd, 0xb8, 0x5d, 0x47, 0x84, 0x67, 0x25, 0xfb, 0xec, 0x3c, 0x94,
    0x30, 0xfa, 0xb4, 0x6c, 0xc8, 0xdc, 0x50, 0x60, 0x85, 0x5c, 0xc9, 0xbd, 0xa0, 0xaa, 0x29, 0x42,
    0xe0, 0x30, 0x83, 0x12, 0x91, 0x6b, 0x8e, 0xd2, 0x96, 0x0e, 0x4b, 0xd5, 0x5a, 0x74, 0x48, 0xfc};
static const uint8_t p384_gr[96] = {
    0xe5, 0x58, 0xdb, 0xef, 0x53, 0xee, 0xcd, 0xe3, 0xd3, 0xfc, 0xcf, 0xc1, 0xae, 0xa0, 0x8a, 0x89,
    0xa9, 0x87, 0x47, 0x5d, 0x12, 0xfd, 0x95, 0x0d, 0x83, 0xcf, 0xa4, 0x17, 0x32, 0xbc, 0x50, 0x9d,
    0x0d, 0x1a, 0xc4, 0x3a, 0x03, 0x36, 0xde, 0xf9, 0x6f, 0xda, 0x41, 0xd0, 0x77, 0x4a, 0x35, 0x71,
    0xdc, 0xfb, 0xec, 0x7a, 0xac, 0xf3, 0x19, 0x64, 0x72, 0x16, 0x9e, 0x83, 0x84, 0x30, 0x36, 0x7f,
    0x66, 0xee, 0xbe, 0x3c, 0x6e, 0x70, 0xc4, 0x16, 0xdd, 0x5f, 0x0c, 0x68, 0x75, 0x9d, 0xd1, 0xff,
    0xf8, 0x3f, 0xa4, 0x01, 0x42, 0x20, 0x9d, 0xff, 0x5e, 0xaa, 0xd9, 0x6d, 0xb9, 0xe6, 0x38, 0x6c};
static const uint8_t p384_gir_x[48] = {
    0x11, 0x18, 0x73, 0x31, 0xc2, 0x79, 0x96, 0x2d, 0x93, 0xd6, 0x04, 0x24, 0x3f, 0xd5, 0x92, 0xcb,
    0x9d, 0x0a, 0x92, 0x6f, 0x42, 0x2e, 0x47, 0x18, 0x75, 0x21, 0x28, 0x7e, 0x71, 0x56, 0xc5, 0xc4,
    0xd6, 0x03, 0x13, 0x55, 0x69, 0xb9, 0xe9, 0xd0, 0x9c, 0xf5, 0xd4, 0xa2, 0x70, 0xf5, 0x97, 0x46};
static const uint8_t p521_i[66] = {
    0x00, 0x37, 0xad, 0xe9, 0x31, 0x9a, 0x89, 0xf4, 0xda, 0xbd, 0xb3, 0xef, 0x41, 0x1a,
    0xac, 0xcc, 0xa5, 0x12, 0x3c, 0x61, 0xac, 0xab, 0x57, 0xb5, 0x39, 0x3d, 0xce, 0x47,
    0x60, 0x81, 0x72, 0xa0, 0x95, 0xaa, 0x85, 0xa3, 0x0f, 0xe1, 0xc2, 0x95, 0x2c, 0x67,
    0x71, 0xd9, 0x37, 0xba, 0x97, 0x77, 0xf5, 0x95, 0x7b, 0x26, 0x39, 0xba, 0xb0, 0x72,
    0x46, 0x2f, 0x68, 0xc2, 0x7a, 0x57, 0x38, 0x2d, 0x4a, 0x52};
static const uint8_t p521_gi[132] = {
    0x00, 0x15, 0x41, 0x7e, 0x84, 0xdb, 0xf2, 0x8c, 0x0a, 0xd3, 0xc2, 0x78, 0x71, 0x33, 0x49,
    0xdc, 0x7d, 0xf1, 0x53, 0xc8, 0x97, 0xa1, 0x89, 0x1b, 0xd9, 0x8b, 0xab, 0x43, 0x57, 0xc9,
    0xec, 0xbe, 0xe1, 0xe3, 0xbf, 0x42, 0xe0, 0x0b, 0x8e, 0x38, 0x0a, 0xea, 0xe5, 0x7c, 0x2d,
    0x10, 0x75, 0x64, 0x94, 0x18, 0x85, 0x94, 0x2a, 0xf5, 0xa7, 0xf4, 0x60, 0x17, 0x23, 0xc4,
    0x19, 0x5d, 0x17, 0x6c, 0xed, 0x3e, 0x01, 0x7c, 0xae, 0x20, 0xb6, 0x64, 0x1d, 0x2e, 0xeb,
    0x69, 0x57, 0x86, 0xd8, 0xc9, 0x46, 0x14, 0x62, 0x39, 0xd0, 0x99, 0xe1, 0x8e, 0x1d, 0x5a,
    0x51, 0x4c, 0x73, 0x9d, 0x7c, 0xb4, 0xa1, 0x0a, 0xd8, 0xa7, 0x88, 0x01, 0x5a, 0xc4, 0x05,
    0xd7, 0x79, 0x9d, 0xc7, 0x5e, 0x7b, 0x7d, 0x5b, 0x6c, 0xf2, 0x26, 0x1a, 0x6a, 0x7f, 0x15,
    0x07, 0x43, 0x8b, 0xf0, 0x1b, 0xeb, 0x6c, 0xa3, 0x92, 0x6f, 0x95, 0x82};
static const uint8_t p521_r[66] = {
    0x01, 0x45, 0xba, 0x99, 0xa8, 0x47, 0xaf, 0x43, 0x79, 0x3f, 0xdd, 0x0e, 0x87, 0x2e,
    0x7c, 0xdf, 0xa1, 0x6b, 0xe3, 0x0f, 0xdc, 0x78, 0x0f, 0x97, 0xbc, 0xcc, 0x3f, 0x07,
    0x83, 0x80, 0x20, 0x1e, 0x9c, 0x67, 0x7d, 0x60, 0x0b, 0x34, 0x37, 0x57, 0xa3, 0xbd,
    0xbf, 0x2a, 0x31, 0x63, 0xe4, 0xc2, 0xf8, 0x69, 0xcc, 0xa7, 0x45, 0x8a, 0xa4, 0xa4,
    0xef, 0xfc, 0x31, 0x1f, 0x5c, 0xb1, 0x51, 0x68, 0x5e, 0xb9};
static const uint8_t p521_gr[132] = {
    0x00, 0xd0, 0xb3, 0x97, 0x5a, 0xc4, 0xb7, 0x99, 0xf5, 0xbe, 0xa1, 0x6d, 0x5e, 0x13, 0xe9,
    0xaf, 0x97, 0x1d, 0x5e, 0x9b, 0x98, 0x4c, 0x9f, 0x39, 0x72, 0x8b, 0x5e, 0x57, 0x39, 0x73,
    0x5a, 0x21, 0x9b, 0x97, 0xc3, 0x56, 0x43, 0x6a, 0xdc, 0x6e, 0x95, 0xbb, 0x03, 0x52, 0xf6,
    0xbe, 0x64, 0xa6, 0xc2, 0x91, 0x2d, 0x4e, 0xf2, 0xd0, 0x43, 0x3c, 0xed, 0x2b, 0x61, 0x71,
    0x64, 0x00, 0x12, 0xd9, 0x46, 0x0f, 0x01, 0x5c, 0x68, 0x22, 0x63, 0x83, 0x95, 0x6e, 0x3b,
    0xd0, 0x66, 0xe7, 0x97, 0xb6, 0x23, 0xc2, 0x7c, 0xe0, 0xea, 0xc2, 0xf5, 0x51, 0xa1, 0x0c,
    0x2c, 0x72, 0x4d, 0x98, 0x52, 0x07, 0x7b, 0x87, 0x22, 0x0b, 0x65, 0x36, 0xc5, 0xc4, 0x08,
    0xa1, 0xd2, 0xae, 0xbb, 0x8e, 0x86, 0xd6, 0x78, 0xae, 0x49, 0xcb, 0x57, 0x09, 0x1f, 0x47,
    0x32, 0x29, 0x65, 0x79, 0xab, 0x44, 0xfc, 0xd1, 0x7f, 0x0f, 0xc5, 0x6a};
static const uint8_t p521_gir_x[66] = {
    0x01, 0x14, 0x4c, 0x7d, 0x79, 0xae, 0x69, 0x56, 0xbc, 0x8e, 0xdb, 0x8e, 0x7c, 0x78,
    0x7c, 0x45, 0x21, 0xcb, 0x08, 0x6f, 0xa6, 0x44, 0x07, 0xf9, 0x78, 0x94, 0xe5, 0xe6,
    0xb2, 0xd7, 0x9b, 0x04, 0xd1, 0x42, 0x7e, 0x73, 0xca, 0x4b, 0xaa, 0x24, 0x0a, 0x34,
    0x78, 0x68, 0x59, 0x81, 0x0c, 0x06, 0xb3, 0xc7, 0x15, 0xa3, 0xa8, 0xcc, 0x31, 0x51,
    0xf2, 0xbe, 0xe4, 0x17, 0x99, 0x6d, 0x19, 0xf3, 0xdd, 0xea};

static const struct {
    uint8_t curve;
    size_t len; /* coordinate and scalar size */
    const uint8_t *i, *gi, *r, *gr, *gir_x;
} ecdh_kats[] = {
    {UFT_CURVE_P256, 32, p256_i, p256_gi, p256_r, p256_gr, p256_gir_x},
    {UFT_CURVE_P384, 48, p384_i, p384_gi, p384_r, p384_gr, p384_gir_x},
    {UFT_CURVE_P521, 66, p521_i, p521_gi, p521_r, p521_gr, p521_gir_x},
};

/* One side: the key from priv has the public point pub in its blob, and
 * with the peer's point in a UFTP EC blob it derives z. */
static void ecdh_side(uint8_t curve, size_t len, const uint8_t *priv, const uint8_t *pub,
                      const uint8_t *peer, const uint8_t *z)
{
    struct uft_ecdh *k;
    struct uft_keyblob b;
    uint8_t blob[200], peer_blob[200], secret[80];
    size_t bl, n;
    ssize_t pl;
    assert_int_equal(uft_ecdh_from_private(curve, priv, len, &k), 0);
    assert_int_equal(uft_ecdh_blob(k, blob, sizeof blob, &bl), 0);
    assert_int_equal(uft_blob_decode(blob, bl, &b), 0);
    assert_int_equal(b.type, UFT_BLOB_EC);
    assert_int_equal(b.ec_curve, curve);
    assert_int_equal(b.ec_point.len, 2 * len);
    assert_memory_equal(b.ec_point.p, pub, 2 * len);
    memset(&b, 0, sizeof b);
    b.type = UFT_BLOB_EC;
    b.ec_curve = curve;
    b.ec_point.p = peer;
    b.ec_point.len = 2 * len;
    pl = uft_blob_encode(&b, peer_blob, sizeof peer_blob);
    assert_true(pl > 0);
    assert_int_equal(uft_ecdh_derive(k, peer_blob, (size_t)pl, secret, sizeof secret, &n), 0);
    assert_int_equal(n, len);
    assert_memory_equal(secret, z, len);
    uft_ecdh_free(k);
}

static void test_ecdh_known_answers(void **state)
{
    uint8_t bad[66];
    struct uft_ecdh *k;
    size_t c;
    (void)state;
    for (c = 0; c < sizeof ecdh_kats / sizeof ecdh_kats[0]; c++) {
        ecdh_side(ecdh_kats[c].curve, ecdh_kats[c].len, ecdh_kats[c].i, ecdh_kats[c].gi,
                  ecdh_kats[c].gr, ecdh_kats[c].gir_x);
        ecdh_side(ecdh_kats[c].curve, ecdh_kats[c].len, ecdh_kats[c].r, ecdh_kats[c].gr,
                  ecdh_kats[c].gi, ecdh_kats[c].gir_x);
    }
    /* refused: a short scalar, zero, one above the group order, a curve
     * UFTP does not use */
    assert_int_equal(uft_ecdh_from_private(UFT_CURVE_P256, p256_i, 31, &k), UFT_E_VALUE);
    memset(bad, 0, sizeof bad);
    assert_int_equal(uft_ecdh_from_private(UFT_CURVE_P256, bad, 32, &k), UFT_E_VALUE);
    memset(bad, 0xff, sizeof bad);
    assert_int_equal(uft_ecdh_from_private(UFT_CURVE_P384, bad, 48, &k), UFT_E_VALUE);
    assert_int_equal(uft_ecdh_from_private(22, p256_i, 32, &k), UFT_E_VALUE);
    assert_null(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_differs),   cmocka_unit_test(test_wipe),
        cmocka_unit_test(test_gcm_known_answer), cmocka_unit_test(test_aead_tamper),
        cmocka_unit_test(test_ecdh_agreement),   cmocka_unit_test(test_real_announce_signatures),
        cmocka_unit_test(test_sign_keys_files),  cmocka_unit_test(test_cbc_known_answer),
        cmocka_unit_test(test_cbc_group_master), cmocka_unit_test(test_rsa_key_exchange),
        cmocka_unit_test(test_ecdsa_uftp4_form), cmocka_unit_test(test_hkdf_rfc5869),
        cmocka_unit_test(test_expand_label),     cmocka_unit_test(test_aead_known_answers),
        cmocka_unit_test(test_aead_key_change),  cmocka_unit_test(test_ecdh_known_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
