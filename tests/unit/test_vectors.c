/*
 * Real packets captured from the UFTP programs (tests/vectors, see its
 * README): each must decode, show the fields its MANIFEST line expects,
 * and encode back to exactly the captured bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/msg.h"
#include "sys/file.h"

#define LINE_MAX_LEN 2048

static const char *vec_dir(void)
{
    const char *d = getenv("UFT_VECTORS");
    return d ? d : "tests/vectors";
}

/* Find "key=" in a describe line; copy its (unescaped) value. */
static int find_value(const char *line, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key), n = 0;
    const char *p = line;
    while ((p = strstr(p, key)) != NULL) {
        if ((p == line || p[-1] == ' ') && p[klen] == '=')
            break;
        p += klen;
    }
    if (!p)
        return -1;
    for (p += klen + 1; *p && *p != ' ' && n + 1 < cap; p++) {
        unsigned v;
        if (p[0] == '\\' && p[1] == 'x' && sscanf(p + 2, "%2x", &v) == 1) {
            out[n++] = (char)v;
            p += 3;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    return 0;
}

/* The keys a MANIFEST line may hold and how to compare them. */
static int is_hex_key(const char *k)
{
    return strcmp(k, "src_id") == 0 || strcmp(k, "ver") == 0;
}

static int is_text_key(const char *k)
{
    return strcmp(k, "name") == 0 || strcmp(k, "text") == 0 || strcmp(k, "pub") == 0 ||
           strcmp(k, "priv") == 0;
}

static void check_expect(const char *vec, const char *desc, const char *key, const char *want)
{
    char got[1024], w[1024];
    size_t i;
    if (find_value(desc, key, got, sizeof got) != 0)
        fail_msg("%s: expected %s=%s but the decoded message has no %s (%s)", vec, key, want, key,
                 desc);
    if (is_text_key(key)) {
        snprintf(w, sizeof w, "%s", want);
        if (strcmp(key, "text") == 0)
            for (i = 0; w[i]; i++)
                if (w[i] == '_')
                    w[i] = ' ';
        if (strcmp(got, w) != 0)
            fail_msg("%s: %s is '%s', expected '%s'", vec, key, got, w);
        return;
    }
    {
        int base = is_hex_key(key) ? 16 : 0;
        unsigned long long g = strtoull(got, NULL, base), e = strtoull(want, NULL, base);
        if (g != e)
            fail_msg("%s: %s is %s, expected %s", vec, key, got, want);
    }
}

struct counts {
    unsigned v4, v5, inner;
    unsigned seen[2][UFT_FUNC_MAX + 1];
};

static void check_line(char *line, struct counts *c)
{
    char path[1024], desc[8192], *save = NULL, *tok, *rel;
    char kind[16] = "packet";
    unsigned ver = 0, func = 0;
    uint8_t *buf, *re;
    size_t len;
    ssize_t n;
    struct uft_msg m;
    int rc;

    rel = strtok_r(line, " \t\n", &save);
    if (!rel || rel[0] == '#')
        return;
    /* first pass: kind, ver, func */
    {
        char copy[LINE_MAX_LEN], *s2 = NULL, *t;
        snprintf(copy, sizeof copy, "%s", save ? save : "");
        for (t = strtok_r(copy, " \t\n", &s2); t; t = strtok_r(NULL, " \t\n", &s2)) {
            if (strncmp(t, "kind=", 5) == 0)
                snprintf(kind, sizeof kind, "%s", t + 5);
            else if (strncmp(t, "ver=", 4) == 0)
                ver = (unsigned)strtoul(t + 4, NULL, 16);
            else if (strncmp(t, "func=", 5) == 0)
                func = (unsigned)strtoul(t + 5, NULL, 10);
        }
    }
    snprintf(path, sizeof path, "%s/%s", vec_dir(), rel);
    rc = uft_file_read_all(path, 1u << 16, &buf, &len);
    if (rc)
        fail_msg("%s: cannot read: %s", path, uft_strerror(rc));
    if (strcmp(kind, "inner") == 0)
        rc = uft_msg_decode_body((uint8_t)ver, buf, len, &m);
    else
        rc = uft_msg_decode(buf, len, &m);
    if (rc)
        fail_msg("%s (%zu bytes): does not decode: %s", rel, len, uft_strerror(rc));
    uft_msg_describe(&m, desc, sizeof desc);
    if (m.hdr.version != ver || m.hdr.func != func)
        fail_msg("%s: decoded as ver 0x%02x func %u, MANIFEST says 0x%02x %u", rel, m.hdr.version,
                 m.hdr.func, ver, func);
    for (tok = strtok_r(NULL, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            fail_msg("%s: bad MANIFEST word '%s'", rel, tok);
        *eq = '\0';
        if (strcmp(tok, "kind") == 0 || strcmp(tok, "note") == 0 || strcmp(tok, "func") == 0 ||
            (strcmp(tok, "ver") == 0))
            continue;
        check_expect(rel, desc, tok, eq + 1);
    }
    /* Byte for byte back again. */
    re = malloc(len + 64);
    assert_non_null(re);
    if (strcmp(kind, "inner") == 0)
        n = uft_msg_encode_body(&m, re, len + 64);
    else
        n = uft_msg_encode(&m, re, len + 64);
    if (n != (ssize_t)len || memcmp(re, buf, len) != 0)
        fail_msg("%s: re-encodes to %zd bytes that differ from the %zu captured", rel, n, len);
    if (strcmp(kind, "inner") == 0)
        c->inner++;
    else if (ver == UFT_VER4)
        c->v4++;
    else
        c->v5++;
    c->seen[ver == UFT_VER4 ? 0 : 1][func <= UFT_FUNC_MAX ? func : 0]++;
    free(re);
    free(buf);
}

static void test_vectors(void **state)
{
    char path[1024], line[LINE_MAX_LEN];
    struct counts c;
    unsigned f, v;
    FILE *fp;
    (void)state;
    memset(&c, 0, sizeof c);
    snprintf(path, sizeof path, "%s/MANIFEST", vec_dir());
    fp = fopen(path, "r");
    if (!fp)
        fail_msg("cannot open %s (set UFT_VECTORS to tests/vectors)", path);
    while (fgets(line, sizeof line, fp))
        check_line(line, &c);
    fclose(fp);
    print_message("vectors: %u v4 packets, %u v5 packets, %u inner plaintexts\n", c.v4, c.v5,
                  c.inner);
    for (v = 0; v < 2; v++) {
        print_message("  v%u types:", v ? 5 : 4);
        for (f = 1; f <= UFT_FUNC_MAX; f++)
            if (c.seen[v][f])
                print_message(" %s(%u)", uft_msg_name(f), c.seen[v][f]);
        print_message("\n");
    }
    assert_true(c.v4 > 0);
    assert_true(c.v5 > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
