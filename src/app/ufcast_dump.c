/*
 * ufcast-dump: print captured UFTP datagrams as "key=value" lines.
 *
 *   ufcast-dump [-i 4|5] [-x] FILE...
 *
 * Each FILE holds one datagram (raw bytes, or hex text with -x). With -i
 * the file is a decrypted inner message (it starts at its function byte)
 * of protocol version 4 or 5. Exit status: 0 when every file decoded, 1
 * when one did not, 2 on a usage error.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/msg.h"
#include "sys/file.h"

#define MAX_INPUT (1u << 20)

static void usage(FILE *f)
{
    fprintf(f, "usage: ufcast-dump [-i 4|5] [-x] FILE...\n"
               "  -i V  the files are decrypted inner messages of protocol version V\n"
               "  -x    the files hold hex text instead of raw bytes\n");
}

/* Turn hex text (whitespace allowed) into bytes in place. */
static int unhex(uint8_t *buf, size_t *len)
{
    size_t i, out = 0;
    int hi = -1;
    for (i = 0; i < *len; i++) {
        int c = buf[i], v;
        if (isspace(c))
            continue;
        if (!isxdigit(c))
            return -1;
        v = isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
        if (hi < 0) {
            hi = v;
        } else {
            buf[out++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0)
        return -1;
    *len = out;
    return 0;
}

static int dump_one(const char *path, int inner_ver, int hex)
{
    struct uft_msg m;
    uint8_t *buf;
    size_t len;
    char line[4096];
    int rc = uft_file_read_all(path, MAX_INPUT, &buf, &len);
    if (rc) {
        fprintf(stderr, "ufcast-dump: %s: %s\n", path,
                rc == UFT_E_IO ? strerror(errno) : uft_strerror(rc));
        return 1;
    }
    if (hex && unhex(buf, &len) != 0) {
        fprintf(stderr, "ufcast-dump: %s: not hex text (try without -x)\n", path);
        free(buf);
        return 1;
    }
    if (inner_ver)
        rc = uft_msg_decode_body((uint8_t)inner_ver, buf, len, &m);
    else
        rc = uft_msg_decode(buf, len, &m);
    if (rc) {
        fprintf(stderr, "ufcast-dump: %s: cannot decode %zu bytes: %s\n", path, len,
                uft_strerror(rc));
        free(buf);
        return 1;
    }
    uft_msg_describe(&m, line, sizeof line);
    printf("%s: len=%zu %s\n", path, len, line);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int opt, hex = 0, inner_ver = 0, failed = 0;
    while ((opt = getopt(argc, argv, "i:xh")) != -1) {
        switch (opt) {
        case 'i':
            if (strcmp(optarg, "4") == 0) {
                inner_ver = 0x40;
            } else if (strcmp(optarg, "5") == 0) {
                inner_ver = 0x50;
            } else {
                fprintf(stderr, "ufcast-dump: -i takes 4 or 5, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'x':
            hex = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    for (; optind < argc; optind++)
        failed |= dump_one(argv[optind], inner_ver, hex);
    return failed;
}
