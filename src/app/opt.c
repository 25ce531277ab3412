/* Table-driven option parsing with getopt(3). */
#include "app/opt.h"

#include <errno.h>
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

static int store(const struct opt *o, const char *val, void *opts, char *err, size_t errlen)
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
        snprintf(err, errlen, "-%c %s: must be a number from %ld to %ld", o->flag, val, o->min,
                 o->max);
        return -1;
    case OPT_CUSTOM:
        if (o->parse(o, val, opts, why, sizeof why) == 0)
            return 0;
        snprintf(err, errlen, "-%c %s: %s", o->flag, val, why);
        return -1;
    }
    return -1;
}

int opt_parse(const struct opt *table, size_t n, int argc, char **argv, void *opts, bool seen[256],
              char *err, size_t errlen)
{
    char spec[256];
    size_t i, k = 0;
    int c;
    /* GNU getopt, like UFTP's: options may follow operands. The leading
     * ':' lets us word the errors ourselves. */
    spec[k++] = ':';
    for (i = 0; i < n && k + 3 < sizeof spec; i++) {
        spec[k++] = table[i].flag;
        if (table[i].kind != OPT_FLAG)
            spec[k++] = ':';
    }
    spec[k] = '\0';
    memset(seen, 0, 256 * sizeof seen[0]);
    /* 0, not 1: glibc then also forgets the state of an earlier parse
     * that stopped in the middle of a cluster such as -zw. */
    optind = 0;
    opterr = 0;
    while ((c = getopt(argc, argv, spec)) != -1) {
        const struct opt *o;
        if (c == '?') {
            snprintf(err, errlen, "-%c: unknown option (see -h for the list)", optopt);
            return -1;
        }
        if (c == ':') {
            o = find(table, n, optopt);
            snprintf(err, errlen, "-%c needs an argument: %s", optopt,
                     o && o->argname ? o->argname : "a value");
            return -1;
        }
        o = find(table, n, c);
        if (!o || store(o, optarg, opts, err, errlen) != 0) {
            if (!o)
                snprintf(err, errlen, "-%c: unknown option", c);
            return -1;
        }
        seen[(unsigned char)c] = true;
    }
    return optind;
}

void opt_usage(FILE *f, const char *prog, const char *synopsis, const struct opt *table, size_t n)
{
    size_t i;
    fprintf(f, "usage: %s %s\n", prog, synopsis);
    for (i = 0; i < n; i++) {
        char left[40];
        snprintf(left, sizeof left, "-%c%s%s", table[i].flag, table[i].argname ? " " : "",
                 table[i].argname ? table[i].argname : "");
        fprintf(f, "  %-22s %s\n", left, table[i].help);
    }
}
