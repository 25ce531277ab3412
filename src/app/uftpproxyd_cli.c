/* uftpproxyd's option table (uftpproxyd(1) of UFTP 5.0.1; bounds from its code). */
#include "app/uftpproxyd_cli.h"

#include <stdlib.h>
#include <string.h>

#include "app/keys.h"
#include "app/opt.h"

#define OFF(f) offsetof(struct uftpproxyd_opts, f)

/* -K rsa:BITS|ec:CURVE[,...]: every entry must be one UFTP accepts. */
static int parse_keygen(const struct opt *o, const char *v, void *opts, char *err, size_t n)
{
    char buf[512], *tok, *save = NULL;
    struct app_keyspec ks;
    snprintf(buf, sizeof buf, "%s", v);
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (app_keyspec_parse(tok, &ks) != 0) {
            snprintf(err, n,
                     "'%s': expected rsa:BITS (1024..3072) or ec:CURVE (secp256r1, "
                     "secp384r1, secp521r1)",
                     tok);
            return -1;
        }
    }
    OPT_FIELD(const char *, o, opts) = v;
    return 0;
}

/* Codes of the long-only options (opt.h). */
enum { L_USER = OPT_CODE_FIRST, L_CONFINE };

static const struct opt_name names[] = {
    {L_USER, "user"},
    {L_CONFINE, "confine"},
};

static const struct opt table[] = {
    {'s', "dest|fp=fingerprint", OPT_STR, OFF(server_dest), 0, 0, NULL,
     "server proxy: forward to dest, or to whoever signs heartbeats with this key"},
    {'c', NULL, OPT_FLAG, OFF(client), 0, 0, NULL, "client proxy"},
    {'r', NULL, OPT_FLAG, OFF(response), 0, 0, NULL, "response proxy"},
    {'d', NULL, OPT_FLAG, OFF(foreground), 0, 0, NULL, "stay in the foreground, log to stderr"},
    {'p', "port", OPT_LONG, OFF(port), 1, 65535, NULL, "port to listen on (default 1044)"},
    {'t', "ttl", OPT_LONG, OFF(ttl), 1, 255, NULL, "multicast TTL (default 1)"},
    {'Q', "dscp", OPT_LONG, OFF(dscp), 0, 63, NULL, "DSCP of sent packets"},
    {'N', "priority", OPT_LONG, OFF(nice), -20, 19, NULL, "process priority (nice)"},
    {'O', "interface", OPT_STR, OFF(out_iface), 0, 0, NULL,
     "client proxy: interface to multicast from"},
    {'U', "UID", OPT_CUSTOM, OFF(uid), 0, 0, opt_parse_uid, "proxy ID, hex"},
    {'q', "dest_port", OPT_LONG, OFF(dest_port), 1, 65535, NULL,
     "port of the downstream proxy or clients (default 1044)"},
    {'m', NULL, OPT_FLAG, OFF(machine_keystore), 0, 0, NULL, "Windows key store (ignored)"},
    {'x', "level", OPT_LONG, OFF(log_level), 0, 5, NULL, "log level 0..5 (default 2)"},
    {'H', "host[:port][,...]", OPT_STR, OFF(hb_hosts), 0, 0, NULL, "send heartbeats here"},
    {'g', "MB", OPT_LONG, OFF(log_max_mb), 1, 1024, NULL, "roll the log at this size"},
    {'n', "count", OPT_LONG, OFF(log_count), 1, 1000, NULL, "rolled logs to keep (default 5)"},
    {'h', "seconds", OPT_LONG, OFF(hb_interval), 1, 3600, NULL, "heartbeat interval (default 20)"},
    {'B', "bytes", OPT_LONG, OFF(sockbuf), 65536, 104857600, NULL,
     "UDP buffer sizes (default 262144)"},
    {'L', "logfile", OPT_STR, OFF(logfile), 0, 0, NULL, "log file (default /tmp/uftpproxyd.log)"},
    {'P', "pidfile", OPT_STR, OFF(pidfile), 0, 0, NULL, "write the daemon's pid here"},
    {'C', "clientlist_file", OPT_STR, OFF(client_list), 0, 0, NULL,
     "client proxy: the clients it serves (ID[|fingerprint] lines)"},
    {'o', NULL, OPT_FLAG, OFF(ssm), 0, 0, NULL, "source-specific multicast (needs -S)"},
    {'S', "serverlist_file", OPT_STR, OFF(server_list), 0, 0, NULL,
     "servers (ID|IP[|fingerprint] lines)"},
    {'k', "keyfile[,...]", OPT_STR, OFF(keyfile), 0, 0, NULL, "signing key files (PEM)"},
    {'K', "rsa:BITS|ec:CURVE[,...]", OPT_CUSTOM, OFF(keygen), 0, 0, parse_keygen,
     "generate signing keys"},
    {'e', "curve", OPT_STR, OFF(curve), 0, 0, NULL, "ECDH curve for UFTP 4 (accepted)"},
    {'I', "interface[,...]", OPT_STR, OFF(ifaces), 0, 0, NULL, "interfaces to join on"},
    {'M', "address[,...]", OPT_STR, OFF(pub_addrs), 0, 0, NULL,
     "public addresses to listen on (default 230.4.4.1)"},
    {L_USER, "NAME[:GROUP]", OPT_STR, OFF(user), 0, 0, NULL,
     "run as this user once the sockets and log are open (root only)"},
    {L_CONFINE, NULL, OPT_FLAG, OFF(confine), 0, 0, NULL,
     "no file system writes (Landlock), no exec or ptrace (seccomp)"},
};

void uftpproxyd_cli_usage(FILE *f)
{
    opt_usage_names(f, "uftpproxyd", "{ -s dest|fp=fingerprint | -c | -r } [options]", table,
                    sizeof table / sizeof table[0], names, sizeof names / sizeof names[0]);
}

static int cross_checks(struct uftpproxyd_opts *o, const bool *seen, char *err, size_t n)
{
    int modes = seen['s'] + seen['c'] + seen['r'];
    if (modes != 1) {
        snprintf(err, n,
                 "give exactly one of -s (server proxy), -c (client proxy) or -r "
                 "(response proxy)");
        return -1;
    }
    if (o->ssm && !seen['S']) {
        snprintf(err, n, "-o (source-specific multicast) needs the server list -S");
        return -1;
    }
    if (seen['C'] && !o->client) {
        snprintf(err, n, "-C applies to a client proxy (-c) only");
        return -1;
    }
    if (seen['O'] && !o->client) {
        snprintf(err, n, "-O applies to a client proxy (-c) only");
        return -1;
    }
    if (o->server_dest && strncmp(o->server_dest, "fp=", 3) != 0 && !o->server_dest[0]) {
        snprintf(err, n, "-s: give the downstream host, or fp= and its key fingerprint");
        return -1;
    }
    return 0;
}

int uftpproxyd_cli_parse(int argc, char **argv, struct uftpproxyd_opts *o, char *err, size_t errlen)
{
    bool seen[256];
    int i, first;
    memset(o, 0, sizeof *o);
    o->port = 1044;
    o->ttl = 1;
    o->dest_port = 1044;
    o->log_level = 2;
    o->log_count = 5;
    o->hb_interval = 20;
    o->sockbuf = 262144;
    o->logfile = "/tmp/uftpproxyd.log";
    o->pub_addrs = "230.4.4.1";
    for (i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0)
            return UFTPPROXYD_CLI_HELP;
    first = opt_parse_names(table, sizeof table / sizeof table[0], names,
                            sizeof names / sizeof names[0], argc, argv, o, seen, err, errlen);
    if (first < 0)
        return UFTPPROXYD_CLI_ERROR;
    if (first < argc) {
        snprintf(err, errlen, "%s: uftpproxyd takes no operands, only options", argv[first]);
        return UFTPPROXYD_CLI_ERROR;
    }
    return cross_checks(o, seen, err, errlen) ? UFTPPROXYD_CLI_ERROR : UFTPPROXYD_CLI_OK;
}
