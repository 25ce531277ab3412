/* Table-driven option parsing with getopt_long(3). */
#include "app/opt.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int opt_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;
    if (!s || !*s)
        return -1;
    errno = 0;
    v = strtol(s, &end, 0);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static const struct opt *find(const struct opt *table, size_t n, int flag)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (table[i].flag == flag)
            return &table[i];
    return NULL;
}

/* How the user spells an option: "-x", or "--name" for a long one. */
static const char *label(int flag, const struct opt_name *names, size_t n_names, char *buf,
                         size_t cap)
{
    size_t i;
    for (i = 0; i < n_names; i++)
        if (names[i].code == flag) {
            snprintf(buf, cap, "--%s", names[i].name);
            return buf;
        }
    snprintf(buf, cap, "-%c", flag);
    return buf;
}

static int store(const struct opt *o, const char *name, const char *val, void *opts, char *err,
                 size_t errlen)
{
    void *dst = (char *)opts + o->off;
    char why[160] = "";
    switch (o->kind) {
    case OPT_FLAG:
        *(bool *)dst = true;
        return 0;
    case OPT_STR:
        *(const char **)dst = val;
        return 0;
    case OPT_LONG:
        if (opt_long(val, o->min, o->max, (long *)dst) == 0)
            return 0;
        snprintf(err, errlen, "%s %s: must be a number from %ld to %ld", name, val, o->min, o->max);
        return -1;
    case OPT_CUSTOM:
        if (o->parse(o, val, opts, why, sizeof why) == 0)
            return 0;
        snprintf(err, errlen, "%s %s: %s", name, val, why);
        return -1;
    }
    return -1;
}

/* getopt_long's table for the named entries; NULL when out of memory. */
static struct option *long_table(const struct opt *table, size_t n, const struct opt_name *names,
                                 size_t n_names)
{
    struct option *lo = calloc(n_names + 1, sizeof *lo);
    size_t i;
    for (i = 0; lo && i < n_names; i++) {
        const struct opt *o = find(table, n, names[i].code);
        assert(o && names[i].code >= OPT_CODE_FIRST && names[i].code < ' ');
        lo[i].name = names[i].name;
        lo[i].has_arg = o->kind == OPT_FLAG ? no_argument : required_argument;
        lo[i].val = names[i].code;
    }
    return lo;
}

int opt_parse_names(const struct opt *table, size_t n, const struct opt_name *names, size_t n_names,
                    int argc, char **argv, void *opts, bool seen[256], char *err, size_t errlen)
{
    char spec[256], name[64];
    struct option *lo;
    size_t i, k = 0;
    int c, rc = -1;
    /* GNU getopt, like UFTP's: options may follow operands. The leading
     * ':' lets us word the errors ourselves. */
    spec[k++] = ':';
    for (i = 0; i < n && k + 3 < sizeof spec; i++) {
        if (table[i].flag < ' ')
            continue; /* long only */
        spec[k++] = table[i].flag;
        if (table[i].kind != OPT_FLAG)
            spec[k++] = ':';
    }
    spec[k] = '\0';
    memset(seen, 0, 256 * sizeof seen[0]);
    if (!(lo = long_table(table, n, names, n_names))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* 0, not 1: glibc then also forgets the state of an earlier parse
     * that stopped in the middle of a cluster such as -zw. */
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, spec, lo, NULL)) != -1) {
        const struct opt *o;
        if (c == '?' && optopt) {
            snprintf(err, errlen, "%s: unknown option (see -h for the list)",
                     label(optopt, names, n_names, name, sizeof name));
            goto out;
        }
        if (c == '?') { /* an unknown or ambiguous long option: getopt names neither */
            snprintf(err, errlen, "%s: unknown option (see --help for the list)", argv[optind - 1]);
            goto out;
        }
        if (c == ':') {
            o = find(table, n, optopt);
            snprintf(err, errlen, "%s needs an argument: %s",
                     label(optopt, names, n_names, name, sizeof name),
                     o && o->argname ? o->argname : "a value");
            goto out;
        }
        o = find(table, n, c);
        if (!o) {
            snprintf(err, errlen, "-%c: unknown option", c);
            goto out;
        }
        if (store(o, label(c, names, n_names, name, sizeof name), optarg, opts, err, errlen) != 0)
            goto out;
        seen[(unsigned char)c] = true;
    }
    rc = optind;
out:
    free(lo);
    return rc;
}

int opt_parse(const struct opt *table, size_t n, int argc, char **argv, void *opts, bool seen[256],
              char *err, size_t errlen)
{
    return opt_parse_names(table, n, NULL, 0, argc, argv, opts, seen, err, errlen);
}

void opt_usage_names(FILE *f, const char *prog, const char *synopsis, const struct opt *table,
                     size_t n, const struct opt_name *names, size_t n_names)
{
    size_t i;
    fprintf(f, "usage: %s %s\n", prog, synopsis);
    for (i = 0; i < n; i++) {
        char left[48], name[40];
        snprintf(left, sizeof left, "%s%s%s",
                 label(table[i].flag, names, n_names, name, sizeof name),
                 table[i].argname ? " " : "", table[i].argname ? table[i].argname : "");
        fprintf(f, "  %-22s %s\n", left, table[i].help);
    }
}

void opt_usage(FILE *f, const char *prog, const char *synopsis, const struct opt *table, size_t n)
{
    opt_usage_names(f, prog, synopsis, table, n, NULL, 0);
}

int opt_parse_uid(const struct opt *o, const char *val, void *opts, char *err, size_t errlen)
{
    char *end;
    unsigned long id = strtoul(val, &end, 16);
    if (!*val || *end || id == 0 || id >= 0xffffffffUL || strlen(val) > 10) {
        snprintf(err, errlen, "expected a non-zero ID of up to 8 hex digits, e.g. 0x0a000002");
        return -1;
    }
    OPT_FIELD(uint32_t, o, opts) = (uint32_t)id;
    return 0;
}
