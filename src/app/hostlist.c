/*
 * Parsing of the host lists that name peers and their key fingerprints
 * (hostlist.h). Each field error names the option, the entry and what
 * was expected, so a user can fix the file without reading code.
 */
#include "app/hostlist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/filelist.h"
#include "app/keys.h"

#define MAX_SERVERS 100

/* Trim blanks at both ends and cut a '#' comment and a CR, in place. */
static char *trim(char *p)
{
    char *e;
    p += strspn(p, " \t");
    p[strcspn(p, "#\r\n")] = '\0';
    e = p + strlen(p);
    while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return p;
}

/* A hex ID with an optional 0x. */
static int parse_hex_id(const char *p, uint32_t *id)
{
    char *end;
    unsigned long v;
    if (!*p)
        return -1;
    errno = 0;
    v = strtoul(p, &end, 16);
    if (*end || errno || v > 0xffffffffUL)
        return -1;
    *id = (uint32_t)v;
    return 0;
}

/* One -H entry, "ID[|fingerprint]", already trimmed. */
static int client_entry(char *p, uint32_t *id, uint8_t fp[20], char *err, size_t errlen)
{
    char *bar = strchr(p, '|');
    struct uft_addr a;
    memset(fp, 0, 20);
    if (bar) {
        *bar = '\0';
        if (app_parse_fingerprint(trim(bar + 1), fp) != 0) {
            snprintf(err, errlen, "-H: '%s': the fingerprint must be 20 hex pairs joined by ':'",
                     trim(bar + 1));
            return -1;
        }
        p = trim(p);
    }
    if (parse_hex_id(p, id) == 0)
        return 0;
    if (uft_udp_resolve(p, 0, AF_INET, &a) != 0) {
        snprintf(err, errlen, "-H: '%s' is neither a hex ID nor an IPv4 host", p);
        return -1;
    }
    *id = ntohl(((struct sockaddr_in *)&a.ss)->sin_addr.s_addr);
    return 0;
}

/* Split "a,b,c" into lines as filelist_read_lines would give them. */
static int split_commas(const char *spec, char ***lines, size_t *n)
{
    const char *p = spec;
    *lines = NULL;
    *n = 0;
    for (;;) {
        size_t len = strcspn(p, ",");
        char **nv = realloc(*lines, (*n + 1) * sizeof *nv);
        if (!nv)
            return -1;
        *lines = nv;
        if (!(nv[*n] = strndup(p, len)))
            return -1;
        (*n)++;
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

int hostlist_parse_clients(const char *spec, uint32_t **ids, uint8_t **fps, size_t *n, char *err,
                           size_t errlen)
{
    char **lines = NULL;
    size_t nl = 0, i;
    int rc = 0;
    *ids = NULL;
    *fps = NULL;
    *n = 0;
    if (spec[0] == '@' ? filelist_read_lines(spec + 1, &lines, &nl) != 0
                       : split_commas(spec, &lines, &nl) != 0) {
        snprintf(err, errlen, "-H %s: %s", spec, strerror(errno));
        filelist_free_lines(lines, nl);
        return -1;
    }
    *ids = calloc(nl + 1, sizeof **ids);
    *fps = calloc(nl + 1, 20);
    if (!*ids || !*fps) {
        snprintf(err, errlen, "-H: out of memory");
        rc = -1;
    }
    for (i = 0; rc == 0 && i < nl; i++) {
        char *p = trim(lines[i]);
        if (!*p)
            continue;
        if (client_entry(p, &(*ids)[*n], *fps + 20 * *n, err, errlen) != 0)
            rc = -1;
        else
            (*n)++;
    }
    filelist_free_lines(lines, nl);
    return rc;
}

/* One -S line: "ServerID|IP|ProxyID[|fingerprint]". */
static int server_entry(char *p, struct hostlist_server *h, const char *path, size_t entry,
                        char *err, size_t errlen)
{
    char *f[4] = {NULL, NULL, NULL, NULL};
    size_t k = 0;
    memset(h, 0, sizeof *h);
    while (k < 4 && p) {
        char *bar = strchr(p, '|');
        if (bar)
            *bar = '\0';
        f[k++] = trim(p);
        p = bar ? bar + 1 : NULL;
    }
    if (k < 3 || p) {
        snprintf(err, errlen, "-S %s entry %zu: want ServerID|IP|ProxyID[|fingerprint]", path,
                 entry);
        return -1;
    }
    if (parse_hex_id(f[0], &h->e.server_id) != 0 || parse_hex_id(f[2], &h->e.proxy_id) != 0) {
        snprintf(err, errlen, "-S %s entry %zu: '%s' / '%s' are not hex IDs", path, entry, f[0],
                 f[2]);
        return -1;
    }
    if (uft_udp_resolve(f[1], 0, AF_UNSPEC, &h->addr) != 0) {
        snprintf(err, errlen, "-S %s entry %zu: cannot resolve server address '%s'", path, entry,
                 f[1]);
        return -1;
    }
    if (f[3] && *f[3]) {
        if (app_parse_fingerprint(f[3], h->e.fp) != 0) {
            snprintf(err, errlen,
                     "-S %s entry %zu: the fingerprint must be 20 hex pairs joined by ':'", path,
                     entry);
            return -1;
        }
        h->e.has_fp = true;
    }
    return 0;
}

int hostlist_read_servers(const char *path, struct hostlist_server **out, size_t *n, char *err,
                          size_t errlen)
{
    char **lines = NULL;
    size_t nl = 0, i;
    int rc = 0;
    *out = NULL;
    *n = 0;
    if (filelist_read_lines(path, &lines, &nl) != 0) {
        snprintf(err, errlen, "-S %s: %s", path, strerror(errno));
        return -1;
    }
    *out = calloc(nl + 1, sizeof **out);
    if (!*out) {
        snprintf(err, errlen, "-S %s: out of memory", path);
        rc = -1;
    }
    for (i = 0; rc == 0 && i < nl; i++) {
        char *p = trim(lines[i]);
        if (!*p)
            continue;
        if (*n == MAX_SERVERS) {
            snprintf(err, errlen, "-S %s: more than %d servers", path, MAX_SERVERS);
            rc = -1;
        } else if (server_entry(p, &(*out)[*n], path, i + 1, err, errlen) == 0) {
            (*n)++;
        } else {
            rc = -1;
        }
    }
    if (rc == 0 && *n == 0) {
        snprintf(err, errlen, "-S %s: lists no server; every session would be refused", path);
        rc = -1;
    }
    filelist_free_lines(lines, nl);
    return rc;
}
