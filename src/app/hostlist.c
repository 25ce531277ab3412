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

/* Read a list file of one entry per line into an array of size-byte
 * slots through parse (flag and what name the option and its entries in
 * messages). An empty list is an error when empty_msg is not NULL. */
typedef int (*entry_fn)(char *p, void *slot, const char *path, size_t entry, char *err,
                        size_t errlen);

static int read_list(char flag, const char *what, const char *path, size_t size, entry_fn parse,
                     const char *empty_msg, void **out, size_t *n, char *err, size_t errlen)
{
    char **lines = NULL;
    size_t nl = 0, i;
    int rc = 0;
    *out = NULL;
    *n = 0;
    if (filelist_read_lines(path, &lines, &nl) != 0) {
        snprintf(err, errlen, "-%c %s: %s", flag, path, strerror(errno));
        return -1;
    }
    *out = calloc(nl + 1, size);
    if (!*out) {
        snprintf(err, errlen, "-%c %s: out of memory", flag, path);
        rc = -1;
    }
    for (i = 0; rc == 0 && i < nl; i++) {
        char *p = trim(lines[i]);
        if (!*p)
            continue;
        if (*n == MAX_SERVERS) {
            snprintf(err, errlen, "-%c %s: more than %d %s", flag, path, MAX_SERVERS, what);
            rc = -1;
        } else if (parse(p, (char *)*out + *n * size, path, i + 1, err, errlen) == 0) {
            (*n)++;
        } else {
            rc = -1;
        }
    }
    if (rc == 0 && *n == 0 && empty_msg) {
        snprintf(err, errlen, "-%c %s: %s", flag, path, empty_msg);
        rc = -1;
    }
    filelist_free_lines(lines, nl);
    return rc;
}

static int server_slot(char *p, void *slot, const char *path, size_t entry, char *err,
                       size_t errlen)
{
    return server_entry(p, slot, path, entry, err, errlen);
}

int hostlist_read_servers(const char *path, struct hostlist_server **out, size_t *n, char *err,
                          size_t errlen)
{
    void *v = NULL;
    int rc = read_list('S', "servers", path, sizeof **out, server_slot,
                       "lists no server; every session would be refused", &v, n, err, errlen);
    *out = v;
    return rc;
}

/* One -R line: "ProxyID|IP[|fingerprint]". */
static int proxy_slot(char *p, void *slot, const char *path, size_t entry, char *err, size_t errlen)
{
    struct hostlist_proxy *h = slot;
    char *f[3] = {NULL, NULL, NULL};
    size_t k = 0;
    memset(h, 0, sizeof *h);
    while (k < 3 && p) {
        char *bar = strchr(p, '|');
        if (bar)
            *bar = '\0';
        f[k++] = trim(p);
        p = bar ? bar + 1 : NULL;
    }
    if (k < 2 || p) {
        snprintf(err, errlen, "-R %s entry %zu: want ProxyID|IP[|fingerprint]", path, entry);
        return -1;
    }
    if (parse_hex_id(f[0], &h->e.proxy_id) != 0 || h->e.proxy_id == 0) {
        snprintf(err, errlen, "-R %s entry %zu: '%s' is not a non-zero hex ID", path, entry, f[0]);
        return -1;
    }
    if (uft_udp_resolve(f[1], 0, AF_UNSPEC, &h->addr) != 0) {
        snprintf(err, errlen, "-R %s entry %zu: cannot resolve proxy address '%s'", path, entry,
                 f[1]);
        return -1;
    }
    if (f[2] && *f[2]) {
        if (app_parse_fingerprint(f[2], h->e.fp) != 0) {
            snprintf(err, errlen,
                     "-R %s entry %zu: the fingerprint must be 20 hex pairs joined by ':'", path,
                     entry);
            return -1;
        }
        h->e.has_fp = true;
    }
    return 0;
}

int hostlist_read_proxies(const char *path, struct hostlist_proxy **out, size_t *n, char *err,
                          size_t errlen)
{
    void *v = NULL;
    int rc = read_list('R', "proxies", path, sizeof **out, proxy_slot, NULL, &v, n, err, errlen);
    *out = v;
    return rc;
}

/* Split one -H entry into host and port: "host", "host:port", "[v6]",
 * "[v6]:port", or a bare IPv6 address (two or more ':', no port). */
static int split_host_port(char *p, uint16_t def, char **host, uint16_t *port)
{
    char *colon = NULL;
    long v;
    *port = def;
    if (*p == '[') {
        char *close = strchr(p, ']');
        if (!close || (close[1] && close[1] != ':'))
            return -1;
        *close = '\0';
        *host = p + 1;
        colon = close[1] ? close + 1 : NULL;
    } else {
        *host = p;
        colon = strchr(p, ':');
        if (colon && strchr(colon + 1, ':'))
            colon = NULL; /* a bare IPv6 address */
    }
    if (colon) {
        char *end;
        *colon = '\0';
        v = strtol(colon + 1, &end, 10);
        if (!colon[1] || *end || v < 1 || v > 65535)
            return -1;
        *port = (uint16_t)v;
    }
    return **host ? 0 : -1;
}

int hostlist_parse_hosts(const char *spec, uint16_t default_port, struct uft_addr **out, size_t *n,
                         char *err, size_t errlen)
{
    char **lines = NULL;
    size_t nl = 0, i;
    int rc = 0;
    *out = NULL;
    *n = 0;
    if (split_commas(spec, &lines, &nl) != 0 || !(*out = calloc(nl + 1, sizeof **out))) {
        snprintf(err, errlen, "-H: out of memory");
        filelist_free_lines(lines, nl);
        return -1;
    }
    for (i = 0; rc == 0 && i < nl; i++) {
        char *p = trim(lines[i]), *host, entry[300];
        uint16_t port;
        if (!*p)
            continue;
        snprintf(entry, sizeof entry, "%s", p); /* split_host_port cuts p */
        if (*n == MAX_SERVERS) {
            snprintf(err, errlen, "-H: more than %d hosts", MAX_SERVERS);
            rc = -1;
        } else if (split_host_port(p, default_port, &host, &port) != 0) {
            snprintf(err, errlen,
                     "-H: '%s': want host[:port] (a port 1..65535; IPv6 as [address]:port)", entry);
            rc = -1;
        } else if (uft_udp_resolve(host, port, AF_UNSPEC, &(*out)[*n]) != 0) {
            snprintf(err, errlen, "-H: cannot resolve heartbeat host '%s'", host);
            rc = -1;
        } else {
            (*n)++;
        }
    }
    if (rc == 0 && *n == 0) {
        snprintf(err, errlen, "-H: no host given");
        rc = -1;
    }
    filelist_free_lines(lines, nl);
    return rc;
}

int hostlist_parse_proxy4(const char *spec, uint16_t port, struct uft_addr *addr, bool *has_fp,
                          uint8_t fp[20], char *err, size_t errlen)
{
    char buf[512], *slash, *host;
    snprintf(buf, sizeof buf, "%s", spec);
    *has_fp = false;
    slash = strchr(buf, '/');
    if (slash) {
        *slash = '\0';
        if (app_parse_fingerprint(trim(slash + 1), fp) != 0) {
            snprintf(err, errlen, "-r %s: the fingerprint must be 20 hex pairs joined by ':'",
                     spec);
            return -1;
        }
        *has_fp = true;
    }
    host = trim(buf);
    if (*host == '[' && host[strlen(host) - 1] == ']') {
        host[strlen(host) - 1] = '\0';
        host++;
    }
    if (!*host || uft_udp_resolve(host, port, AF_UNSPEC, addr) != 0) {
        snprintf(err, errlen, "-r %s: cannot resolve the proxy's address '%s'", spec, host);
        return -1;
    }
    return 0;
}
