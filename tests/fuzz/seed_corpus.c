/*
 * Writes the sample messages of tests/unit/msg_samples.c as seed inputs
 * for the fuzz targets: DIR/fuzz_packet/, DIR/fuzz_<type>/ and (bodies,
 * prefixed with a version byte) DIR/fuzz_body/. Run by
 * scripts/seed-corpus.sh; the results are committed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/blob.h"
#include "core/msg.h"
#include "msg_samples.h"

static int write_file(const char *dir, const char *name, const uint8_t *p, size_t n)
{
    char path[1024];
    FILE *f;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        perror(dir);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

/* fuzz_blob: selector byte (1 = key blob, 0 = ECDSA signature), then data. */
static int seed_blobs(const char *root)
{
    static uint8_t mod[128], pt[96], r[48], sv[47], buf[512];
    struct uft_keyblob b;
    char dir[1024];
    ssize_t n;
    memset(mod, 0xa5, sizeof mod);
    memset(pt, 0x3c, sizeof pt);
    memset(r, 0x81, sizeof r);
    memset(sv, 0x42, sizeof sv);
    snprintf(dir, sizeof dir, "%s/fuzz_blob", root);
    memset(&b, 0, sizeof b);
    b.type = UFT_BLOB_RSA;
    b.rsa_exponent = 65537;
    b.rsa_modulus.p = mod;
    b.rsa_modulus.len = sizeof mod;
    buf[0] = 1;
    if ((n = uft_blob_encode(&b, buf + 1, sizeof buf - 1)) < 0 ||
        write_file(dir, "rsa1024", buf, (size_t)n + 1))
        return 1;
    memset(&b, 0, sizeof b);
    b.type = UFT_BLOB_EC;
    b.ec_curve = UFT_CURVE_P384;
    b.ec_point.p = pt;
    b.ec_point.len = sizeof pt;
    if ((n = uft_blob_encode(&b, buf + 1, sizeof buf - 1)) < 0 ||
        write_file(dir, "ec_p384", buf, (size_t)n + 1))
        return 1;
    buf[0] = 0;
    if ((n = uft_ecdsa_sig_encode(r, sizeof r, sv, sizeof sv, 48, buf + 1, sizeof buf - 1)) < 0 ||
        write_file(dir, "ecdsa_p384", buf, (size_t)n + 1))
        return 1;
    return 0;
}

int main(int argc, char **argv)
{
    static struct msg_sample s[128];
    static uint8_t buf[16384];
    size_t i, n = msg_samples(s, 128);
    if (argc != 2) {
        fprintf(stderr, "usage: seed_corpus DIR\n");
        return 2;
    }
    for (i = 0; i < n; i++) {
        char dir[1024], name[256], type[64];
        ssize_t len = uft_msg_encode(&s[i].m, buf, sizeof buf);
        size_t k;
        if (len < 0)
            return 1;
        snprintf(type, sizeof type, "%s", uft_msg_name(s[i].m.hdr.func));
        for (k = 0; type[k]; k++)
            type[k] = (char)tolower((unsigned char)type[k]);
        snprintf(name, sizeof name, "sample_v%x_%s", s[i].m.hdr.version >> 4, s[i].name);
        snprintf(dir, sizeof dir, "%s/fuzz_packet", argv[1]);
        if (write_file(dir, name, buf, (size_t)len))
            return 1;
        snprintf(dir, sizeof dir, "%s/fuzz_%s", argv[1], type);
        if (write_file(dir, name, buf, (size_t)len))
            return 1;
        if (s[i].m.hdr.func != UFT_ENCRYPTED) {
            /* body target: version selector byte, then the body */
            buf[UFT_HDR_LEN - 1] = s[i].m.hdr.version == UFT_VER5 ? 1 : 0;
            snprintf(dir, sizeof dir, "%s/fuzz_body", argv[1]);
            if (write_file(dir, name, buf + UFT_HDR_LEN - 1, (size_t)len - UFT_HDR_LEN + 1))
                return 1;
        }
    }
    return seed_blobs(argv[1]);
}
