/*
 * uftp_keymgt, UFTP's key tool: it shows the type and SHA-1 fingerprint of
 * signing-key files (the fingerprints that -H @file, -S and -R lists hold),
 * and makes new keys into files only their owner can read. UFTP's
 * Windows-only options (-d, -m) are accepted so that scripts keep working.
 * Everything is written to stderr, as UFTP does, so existing scripts that
 * capture stderr still find the lines. Unlike UFTP 5.0.1 it exits 1 when it
 * cannot do what was asked (a key that cannot be made or written, a file
 * that holds no key, an unknown option); uftp_keymgt(1) lists the
 * differences. Key material is never printed; the crypto layer wipes it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "app/keys.h"
#include "app/opt.h"
#include "core/blob.h"
#include "core/err.h"
#include "crypto/crypto.h"

#define PROG "uftp_keymgt"

struct keymgt_opts {
    struct app_keyspec gen; /* -g */
    bool del;               /* -d */
    bool machine;           /* -m */
    bool help;              /* -h */
};

#define OFF(f) offsetof(struct keymgt_opts, f)

static int parse_spec(const struct opt *o, const char *v, void *opts, char *err, size_t n)
{
    if (app_keyspec_parse(v, &OPT_FIELD(struct app_keyspec, o, opts)) == 0)
        return 0;
    snprintf(err, n,
             "expected rsa:BITS (1024..3072) or ec:CURVE (secp256r1 or prime256v1, secp384r1, "
             "secp521r1)");
    return -1;
}

static const struct opt table[] = {
    {'g', "rsa:BITS|ec:CURVE", OPT_CUSTOM, OFF(gen), 0, 0, parse_spec,
     "make a new key of this type and write it to the one file named"},
    {'d', NULL, OPT_FLAG, OFF(del), 0, 0, NULL,
     "delete a Windows key container (there are none on Linux: does nothing)"},
    {'m', NULL, OPT_FLAG, OFF(machine), 0, 0, NULL,
     "use the Windows machine key store (ignored on Linux)"},
    {'h', NULL, OPT_FLAG, OFF(help), 0, 0, NULL, "show this help"},
};

#define NOPTS (sizeof table / sizeof table[0])
static const char synopsis[] = "[-m] file... | [-m] -g rsa:BITS|ec:CURVE file | [-m] -d file";

/* "RSA, N bits" or "ECDSA, curve C". UFTP counts an RSA key's bits as the
 * modulus length in whole bytes times 8 (a 1025-bit key prints as 1032
 * bits), so the size comes from the public key blob UFTP would send. */
static void describe(const struct uft_signkey *k, char *out, size_t cap)
{
    uint8_t blob[1024];
    struct uft_keyblob b;
    size_t len;
    if (uft_signkey_blob(k, blob, sizeof blob, &len) == 0 && uft_blob_decode(blob, len, &b) == 0 &&
        b.type == UFT_BLOB_RSA)
        snprintf(out, cap, "RSA, %zu bits", b.rsa_modulus.len * 8);
    else
        uft_signkey_describe(k, out, cap);
}

/* Print UFTP's line for a key: "NAME: TYPE, fingerprint: AB:CD:...". */
static int print_key(const char *name, const struct uft_signkey *k)
{
    char what[64], fp[64];
    int rc;
    describe(k, what, sizeof what);
    rc = uft_signkey_fingerprint(k, fp, sizeof fp);
    if (rc) {
        fprintf(stderr, "%s: %s: %s key, but its fingerprint cannot be computed (%s)\n", PROG, name,
                what, uft_strerror(rc));
        return 1;
    }
    fprintf(stderr, "%s: %s, fingerprint: %s\n", name, what, fp);
    return 0;
}

/* Show one key file. A file that cannot be read gets UFTP's "no such key"
 * line; unless the file is simply absent, a second line says why. */
static int show(const char *name)
{
    struct uft_signkey *k;
    int rc = uft_signkey_load(name, &k), err = errno;
    if (rc) {
        fprintf(stderr, "%s: no such key\n", name);
        if (rc == UFT_E_IO && err != ENOENT)
            fprintf(stderr, "%s: %s: %s\n", PROG, name, strerror(err));
        else if (rc == UFT_E_VALUE)
            fprintf(stderr,
                    "%s: %s: not an RSA or EC (P-256/384/521) private key in PEM form; make one "
                    "with -g\n",
                    PROG, name);
        else if (rc != UFT_E_IO)
            fprintf(stderr, "%s: %s: %s\n", PROG, name, uft_strerror(rc));
        return 1;
    }
    rc = print_key(name, k);
    uft_signkey_free(k);
    return rc;
}

/* Make a key of type *ks, write it to path (0600, never over an existing
 * file or through a symbolic link) and print it. */
static int generate(const struct app_keyspec *ks, const char *path)
{
    struct uft_signkey *k = NULL;
    int rc = app_keyspec_new(ks, &k), err;
    if (rc) {
        fprintf(stderr, "%s: %s: cannot make the key (%s); nothing was written\n", PROG, path,
                uft_strerror(rc));
        return 1;
    }
    rc = uft_signkey_write(k, path);
    err = errno;
    if (rc) {
        if (rc != UFT_E_IO)
            fprintf(stderr, "%s: %s: cannot encode the key (%s)\n", PROG, path, uft_strerror(rc));
        else if (err == EEXIST)
            fprintf(stderr, "%s: %s: %s; remove it or choose another name\n", PROG, path,
                    strerror(err));
        else
            fprintf(stderr, "%s: %s: cannot write the key: %s\n", PROG, path, strerror(err));
        uft_signkey_free(k);
        return 1;
    }
    rc = print_key(path, k);
    uft_signkey_free(k);
    return rc;
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "%s: %s\nusage: %s %s (%s -h for help)\n", PROG, msg, PROG, synopsis, PROG);
    return 1;
}

int main(int argc, char **argv)
{
    struct keymgt_opts o;
    bool seen[256];
    char err[256];
    int first, i, rc = 0;
    memset(&o, 0, sizeof o);
    first = opt_parse(table, NOPTS, argc, argv, &o, seen, err, sizeof err);
    if (first < 0)
        return usage_error(err);
    if (o.help) {
        opt_usage(stdout, PROG, synopsis, table, NOPTS);
        return 0;
    }
    if (seen['g'] && o.del)
        return usage_error("-g and -d cannot be used together: -g makes a key, -d deletes one");
    if (first >= argc)
        return usage_error(seen['g'] || o.del ? "name the key file" : "name at least one key file");
    if ((seen['g'] || o.del) && argc - first > 1)
        return usage_error(seen['g'] ? "-g writes one key file; name just one"
                                     : "-d takes one key container; name just one");
    if (seen['g'])
        return generate(&o.gen, argv[first]);
    if (o.del) {
        fprintf(stderr,
                "%s: -d %s: key containers exist only on Windows; nothing was deleted (a key "
                "file is removed with rm)\n",
                PROG, argv[first]);
        return 0;
    }
    for (i = first; i < argc; i++)
        rc |= show(argv[i]);
    return rc;
}
