/* uftpd's option table (uftpd(1) of UFTP 5.0.1; bounds from its code). */
#include "app/uftpd_cli.h"

#include <stdlib.h>
#include <string.h>

#include "app/opt.h"

#define OFF(f) offsetof(struct uftpd_opts, f)

static int parse_keygen(const struct opt *o, const char *v, void *opts, char *err, size_t n)
{
    long bits;
    if ((strncmp(v, "rsa:", 4) == 0 && opt_long(v + 4, 1024, 3072, &bits) == 0) ||
        strcmp(v, "ec:secp256r1") == 0 || strcmp(v, "ec:prime256v1") == 0 ||
        strcmp(v, "ec:secp384r1") == 0 || strcmp(v, "ec:secp521r1") == 0) {
        OPT_FIELD(const char *, o, opts) = v;
        return 0;
    }
    snprintf(err, n,
             "expected rsa:BITS (1024..3072) or ec:CURVE (secp256r1, secp384r1, "
             "secp521r1)");
    return -1;
}

/* Codes of the long-only options (opt.h). */
enum { L_JSON = OPT_CODE_FIRST, L_NO_PROGRESS, L_USER, L_CONFINE, L_NO_FEC };

static const struct opt_name names[] = {
    {L_JSON, "json"},       {L_NO_PROGRESS, "no-progress"}, {L_USER, "user"},
    {L_CONFINE, "confine"}, {L_NO_FEC, "no-fec"},
};

static const struct opt table[] = {
    {'d', NULL, OPT_FLAG, OFF(foreground), 0, 0, NULL, "stay in the foreground, log to stderr"},
    {'x', "level", OPT_LONG, OFF(log_level), 0, 5, NULL, "log level 0..5 (default 2)"},
    {'q', NULL, OPT_FLAG, OFF(no_dns), 0, 0, NULL, "no reverse DNS of servers"},
    {'F', "status_file|@LOG", OPT_STR, OFF(status_file), 0, 0, NULL, "parsable status output"},
    {'L', "logfile", OPT_STR, OFF(logfile), 0, 0, NULL, "log file (default /tmp/uftpd.log)"},
    {'P', "pidfile", OPT_STR, OFF(pidfile), 0, 0, NULL, "write the daemon's pid here"},
    {'s', "script", OPT_STR, OFF(script), 0, 0, NULL, "run this after each received file"},
    {'c', "bytes", OPT_LONG, OFF(cache), 10240, 20971520, NULL,
     "disk write cache (default 1048576)"},
    {'I', "interface[,...]", OPT_STR, OFF(ifaces), 0, 0, NULL, "interfaces to listen on"},
    {'p', "port", OPT_LONG, OFF(port), 1, 65535, NULL, "port (default 1044)"},
    {'t', NULL, OPT_FLAG, OFF(temp_files), 0, 0, NULL, "receive into temp files, then rename"},
    {'T', "temp_dir", OPT_STR, OFF(temp_dir), 0, 0, NULL, "session temp directory"},
    {'D', "dest_dir[,...]", OPT_STR, OFF(dest_dirs), 0, 0, NULL,
     "destination directories (default /tmp)"},
    {'A', "backup_dir[,...]", OPT_STR, OFF(backup_dirs), 0, 0, NULL,
     "backup directories, one per -D"},
    {'M', "address[,...]", OPT_STR, OFF(pub_addrs), 0, 0, NULL,
     "public addresses to listen on (default 230.4.4.1)"},
    {'B', "bytes", OPT_LONG, OFF(sockbuf), 65536, 104857600, NULL,
     "UDP receive buffer (default 8388608; UFTP's is 262144)"},
    {'Q', "dscp", OPT_LONG, OFF(dscp), 0, 63, NULL, "DSCP of sent packets"},
    {'E', NULL, OPT_FLAG, OFF(encrypted_only), 0, 0, NULL, "accept encrypted sessions only"},
    {'U', "UID", OPT_CUSTOM, OFF(uid), 0, 0, opt_parse_uid, "client ID, hex"},
    {'o', NULL, OPT_FLAG, OFF(ssm), 0, 0, NULL, "source-specific multicast (needs -S)"},
    {'S', "server_list", OPT_STR, OFF(server_list), 0, 0, NULL, "accepted servers"},
    {'R', "proxy_list", OPT_STR, OFF(proxy_list), 0, 0, NULL, "known proxies"},
    {'r', "host[/fingerprint]", OPT_STR, OFF(v4_proxy), 0, 0, NULL, "UFTP 4 response proxy"},
    {'k', "keyfile", OPT_STR, OFF(keyfile), 0, 0, NULL, "signing key file (PEM)"},
    {'K', "rsa:BITS|ec:CURVE", OPT_CUSTOM, OFF(keygen), 0, 0, parse_keygen,
     "generate a signing key"},
    {'m', NULL, OPT_FLAG, OFF(machine_keystore), 0, 0, NULL, "Windows key store (ignored)"},
    {'N', "priority", OPT_LONG, OFF(nice), -20, 19, NULL, "process priority (nice)"},
    {'i', NULL, OPT_FLAG, OFF(move_each), 0, 0, NULL, "with -T, move files one at a time"},
    {'g', "MB", OPT_LONG, OFF(log_max_mb), 1, 1024, NULL, "roll the log at this size"},
    {'n', "count", OPT_LONG, OFF(log_count), 1, 1000, NULL, "rolled logs to keep (default 5)"},
    {'h', "seconds", OPT_LONG, OFF(hb_interval), 1, 3600, NULL, "heartbeat interval (default 20)"},
    {'H', "host[:port][,...]", OPT_STR, OFF(hb_hosts), 0, 0, NULL, "send heartbeats here"},
    {L_JSON, "FILE|-", OPT_STR, OFF(json_file), 0, 0, NULL,
     "append one JSON object per event and line (- for stdout, with -d)"},
    {L_NO_PROGRESS, NULL, OPT_FLAG, OFF(no_progress), 0, 0, NULL,
     "with -d, no progress lines (default: shown when stderr is a terminal)"},
    {L_USER, "NAME[:GROUP]", OPT_STR, OFF(user), 0, 0, NULL,
     "run as this user once the socket and log are open (root only)"},
    {L_CONFINE, NULL, OPT_FLAG, OFF(confine), 0, 0, NULL,
     "write only under -D, -A, -T (Landlock); no exec unless -s, no ptrace (seccomp)"},
    {L_NO_FEC, NULL, OPT_FLAG, OFF(no_fec), 0, 0, NULL,
     "ignore ufcast servers' parity and file hashes (default: take them)"},
};

#define N_TABLE (sizeof table / sizeof table[0])
#define N_NAMES (sizeof names / sizeof names[0])

void uftpd_cli_usage(FILE *f)
{
    opt_usage_names(f, "uftpd", "[options]", table, N_TABLE, names, N_NAMES);
}

/* Split a comma list into at most UFTPD_MAX_DIRS absolute directories. */
static int split_dirs(const char *list, char **buf, size_t *room, const char **out, size_t *n,
                      char flag, char *err, size_t errlen)
{
    size_t len = strlen(list) + 1;
    char *p, *tok, *save = NULL;
    if (len > *room) {
        snprintf(err, errlen, "-%c: the list is too long", flag);
        return -1;
    }
    p = memcpy(*buf, list, len);
    *buf += len;
    *room -= len;
    *n = 0;
    for (tok = strtok_r(p, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        size_t l = strlen(tok);
        if (*n == UFTPD_MAX_DIRS) {
            snprintf(err, errlen, "-%c: at most %d directories", flag, UFTPD_MAX_DIRS);
            return -1;
        }
        if (tok[0] != '/') {
            snprintf(err, errlen, "-%c %s: directories must be absolute paths", flag, tok);
            return -1;
        }
        while (l > 1 && tok[l - 1] == '/')
            tok[--l] = '\0';
        out[(*n)++] = tok;
    }
    if (*n == 0) {
        snprintf(err, errlen, "-%c: no directory given", flag);
        return -1;
    }
    return 0;
}

static int cross_checks(struct uftpd_opts *o, const bool *seen, char *err, size_t n)
{
    char *buf = o->dirbuf;
    size_t room = sizeof o->dirbuf;
    if (split_dirs(o->dest_dirs, &buf, &room, o->dest, &o->n_dest, 'D', err, n))
        return -1;
    if (seen['A'] && split_dirs(o->backup_dirs, &buf, &room, o->backup, &o->n_backup, 'A', err, n))
        return -1;
    if (seen['A'] && o->n_backup != o->n_dest) {
        snprintf(err, n, "-A needs one backup directory for each -D directory (%zu, not %zu)",
                 o->n_dest, o->n_backup);
        return -1;
    }
    if (o->temp_files && seen['T']) {
        snprintf(err, n, "-t and -T cannot be used together");
        return -1;
    }
    if (seen['T']) {
        if (o->temp_dir[0] != '/') {
            snprintf(err, n, "-T %s: the temp directory must be an absolute path", o->temp_dir);
            return -1;
        }
        if (seen['A'] || o->n_dest > 1) {
            snprintf(err, n, "-T works with a single -D directory and without -A");
            return -1;
        }
        if (strcmp(o->temp_dir, o->dest[0]) == 0) {
            snprintf(err, n, "-T must differ from the destination directory");
            return -1;
        }
    }
    if (o->move_each && !seen['T']) {
        snprintf(err, n, "-i only applies with -T");
        return -1;
    }
    if (o->ssm && !seen['S']) {
        snprintf(err, n, "-o (source-specific multicast) needs the server list -S");
        return -1;
    }
    if (o->json_file && strcmp(o->json_file, "-") == 0 && !o->foreground) {
        snprintf(err, n,
                 "--json -: a daemon's standard output is /dev/null; add -d or name a file");
        return -1;
    }
    if (o->script && o->script[0] != '/') {
        snprintf(err, n, "-s %s: the script must be an absolute path", o->script);
        return -1;
    }
    return 0;
}

int uftpd_cli_parse(int argc, char **argv, struct uftpd_opts *o, char *err, size_t errlen)
{
    bool seen[256];
    int i, first;
    memset(o, 0, sizeof *o);
    o->log_level = 2;
    o->logfile = "/tmp/uftpd.log";
    o->cache = 1048576;
    o->port = 1044;
    o->dest_dirs = "/tmp";
    o->pub_addrs = "230.4.4.1";
    /* UFTP's default is 262144: 30 datagrams of 8,800 bytes, which a
     * sender's burst (UDP GSO sends 64 KB at once) or one late wakeup of
     * this process overruns. 8 MiB costs nothing worth counting and took
     * -R -1 transfers from 2 passes to 1 (docs/uftpd.1). */
    o->sockbuf = 8388608;
    o->log_count = 5;
    o->hb_interval = 20;
    for (i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0)
            return UFTPD_CLI_HELP;
    first = opt_parse_names(table, N_TABLE, names, N_NAMES, argc, argv, o, seen, err, errlen);
    if (first < 0)
        return UFTPD_CLI_ERROR;
    if (first < argc) {
        snprintf(err, errlen, "%s: uftpd takes no file names, only options", argv[first]);
        return UFTPD_CLI_ERROR;
    }
    return cross_checks(o, seen, err, errlen) ? UFTPD_CLI_ERROR : UFTPD_CLI_OK;
}
