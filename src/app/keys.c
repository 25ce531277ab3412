#include "app/keys.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/opt.h"
#include "core/err.h"
#include "core/msg.h"

/* The first entry of a comma list (uftpd takes lists; UFTP 5 uses the first). */
static void first_of(const char *list, char *out, size_t cap)
{
    size_t n = strcspn(list, ",");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, list, n);
    out[n] = '\0';
}

int app_keyspec_parse(const char *spec, struct app_keyspec *ks)
{
    long bits;
    memset(ks, 0, sizeof *ks);
    if (strncmp(spec, "rsa:", 4) == 0 && opt_long(spec + 4, 1024, 3072, &bits) == 0)
        ks->rsa_bits = (unsigned)bits;
    else if (strcmp(spec, "ec:secp256r1") == 0 || strcmp(spec, "ec:prime256v1") == 0)
        ks->curve = UFT_CURVE_P256;
    else if (strcmp(spec, "ec:secp384r1") == 0)
        ks->curve = UFT_CURVE_P384;
    else if (strcmp(spec, "ec:secp521r1") == 0)
        ks->curve = UFT_CURVE_P521;
    else
        return -1;
    return 0;
}

int app_keyspec_new(const struct app_keyspec *ks, struct uft_signkey **out)
{
    if (ks->rsa_bits)
        return uft_signkey_new_rsa(ks->rsa_bits, out);
    return uft_signkey_new_ec(ks->curve, out);
}

int app_signing_key(const char *keyfile, const char *keygen, struct uft_signkey **key, char *desc,
                    size_t desclen, char *err, size_t errlen)
{
    char file[4096], gen[64], fp[64], what[64];
    int rc;
    *key = NULL;
    desc[0] = '\0';
    file[0] = '\0';
    if (keyfile)
        first_of(keyfile, file, sizeof file);
    if (keygen) {
        struct app_keyspec ks;
        first_of(keygen, gen, sizeof gen);
        /* The option tables check -K; a spec that reaches here unchecked
         * keeps the old lenient reading: an EC curve guessed from its digits. */
        if (app_keyspec_parse(gen, &ks) != 0)
            ks.curve = strstr(gen, "384")   ? UFT_CURVE_P384
                       : strstr(gen, "521") ? UFT_CURVE_P521
                                            : UFT_CURVE_P256;
        rc = app_keyspec_new(&ks, key);
        if (rc) {
            snprintf(err, errlen, "-K %s: cannot make the key", gen);
            return 3;
        }
        if (file[0] && uft_signkey_write(*key, file) != 0) {
            snprintf(err, errlen, "-k %s: cannot write the new key: %s%s", file, strerror(errno),
                     errno == EEXIST ? " (remove it, or drop -K to use it)" : "");
            uft_signkey_free(*key);
            *key = NULL;
            return 3;
        }
    } else if (file[0]) {
        rc = uft_signkey_load(file, key);
        if (rc) {
            snprintf(err, errlen, "-k %s: %s", file,
                     rc == UFT_E_IO ? strerror(errno)
                                    : "not an RSA or EC (P-256/384/521) private key in PEM form");
            return 3;
        }
    } else {
        return 0;
    }
    uft_signkey_describe(*key, what, sizeof what);
    if (uft_signkey_fingerprint(*key, fp, sizeof fp) == 0)
        snprintf(desc, desclen, "%s, fingerprint: %s", what, fp);
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int app_parse_fingerprint(const char *s, unsigned char fp[20])
{
    size_t i;
    while (*s == ' ' || *s == '\t')
        s++;
    for (i = 0; i < 20; i++) {
        int hi, lo;
        if (i > 0 && *s++ != ':')
            return -1;
        if ((hi = hexval((unsigned char)s[0])) < 0 || (lo = hexval((unsigned char)s[1])) < 0)
            return -1;
        fp[i] = (unsigned char)(hi << 4 | lo);
        s += 2;
    }
    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    return *s ? -1 : 0;
}
