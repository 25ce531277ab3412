/*
 * One table drives option parsing, bounds checks and help text for every
 * program (Redis-style config table). Each entry names a single-letter
 * flag, how to read its argument, where to store it (an offset into the
 * program's options struct) and a line of help. Errors always name the
 * option and say what is expected.
 *
 * UFTP's options are all single letters, and ufcast keeps their meaning;
 * its own additions are long options that UFTP lacks (--json FILE,
 * --no-progress). Such an entry has a code below ' ' as its flag (no
 * letter can clash with it) and a line in a second, parallel table that
 * gives its name.
 */
#ifndef UFT_OPT_H
#define UFT_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum opt_kind {
    OPT_FLAG,   /* no argument: sets a bool */
    OPT_LONG,   /* integer in [min, max] (decimal, or hex with 0x) into a long */
    OPT_STR,    /* a string (const char *, pointing into argv) */
    OPT_CUSTOM, /* parse() decides */
};

struct opt;

/* A custom parser: store the value in opts (usually at o->off, see
 * OPT_FIELD); on error write a short reason (e.g. "expected rsa:BITS or
 * ec:CURVE") into err and return -1. */
typedef int (*opt_parse_fn)(const struct opt *o, const char *val, void *opts, char *err,
                            size_t errlen);

/* The field an entry stores into, as an lvalue of the given type. */
#define OPT_FIELD(type, o, opts) (*(type *)((char *)(opts) + (o)->off))

struct opt {
    char flag;
    const char *argname; /* NULL for OPT_FLAG */
    enum opt_kind kind;
    size_t off;         /* offsetof(options struct, field) */
    long min, max;      /* OPT_LONG bounds */
    opt_parse_fn parse; /* OPT_CUSTOM */
    const char *help;
};

/* The name of a long option: "--name" selects the table entry whose flag
 * is code. Codes are OPT_CODE_FIRST and up, below ' '. */
struct opt_name {
    char code;
    const char *name;
};
#define OPT_CODE_FIRST 1

/* Parse argv against the table into opts (a struct the offsets refer to).
 * seen[] (indexed by flag character or long option code) records which
 * options were given. Returns the index of the first operand, or -1 with
 * a message in err such as "-b 100: must be between 512 and 8800" or
 * "--json: needs an argument: FILE". */
int opt_parse(const struct opt *table, size_t n, int argc, char **argv, void *opts, bool seen[256],
              char *err, size_t errlen);

/* opt_parse with long options: names[] (n_names entries, each code also a
 * flag of table) gives their names. GNU rules: "--name value" or
 * "--name=value", and any unambiguous prefix of a name. */
int opt_parse_names(const struct opt *table, size_t n, const struct opt_name *names, size_t n_names,
                    int argc, char **argv, void *opts, bool seen[256], char *err, size_t errlen);

/* Print "usage: prog synopsis" and one line per option. */
void opt_usage(FILE *f, const char *prog, const char *synopsis, const struct opt *table, size_t n);

/* opt_usage listing long options by their names. */
void opt_usage_names(FILE *f, const char *prog, const char *synopsis, const struct opt *table,
                     size_t n, const struct opt_name *names, size_t n_names);

/* Parse an integer (decimal or 0x hex) within [min, max]. */
int opt_long(const char *s, long min, long max, long *out);

/* An opt_parse_fn for -U: a non-zero ID of up to 8 hex digits (0x
 * optional) into a uint32_t field. */
int opt_parse_uid(const struct opt *o, const char *val, void *opts, char *err, size_t errlen);

#endif
