/*
 * uftp's option table. Defaults and bounds are UFTP 5.0.1's (uftp(1) and
 * its server_config.h); where the man page and the code differ, the code's
 * bounds are used and the difference noted.
 */
#include "app/uftp_cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/opt.h"
#include "core/msg.h"

#define OFF(f) offsetof(struct uftp_opts, f)

static int parse_rate(const struct opt *o, const char *v, void *opts, char *err, size_t n)
{
    long r;
    if (opt_long(v, -1, 1L << 30, &r) != 0 || r == 0) {
        snprintf(err, n, "the rate in Kbps must be -1 (as fast as possible) or 1..1073741824");
        return -1;
    }
    OPT_FIELD(long, o, opts) = r;
    return 0;
}

/* --fec K[:M]: K data blocks per group (1..254), M parity rows per group
 * in the first pass (0..255 - K, default 0). */
static int parse_fec(const struct opt *o, const char *v, void *opts, char *err, size_t n)
{
    struct uftp_opts *u = opts;
    const char *colon = strchr(v, ':');
    char k[16];
    long kv, mv = 0;
    (void)o;
    if ((colon ? (size_t)(colon - v) : strlen(v)) >= sizeof k)
        goto bad;
    memcpy(k, v, colon ? (size_t)(colon - v) : strlen(v) + 1);
    k[colon ? (size_t)(colon - v) : strlen(v)] = '\0';
    if (opt_long(k, 1, 254, &kv) != 0 || (colon && opt_long(colon + 1, 0, 255 - kv, &mv) != 0))
        goto bad;
    u->fec_k = kv;
    u->fec_m = mv;
    return 0;
bad:
    snprintf(err, n,
             "expected K[:M]: K data blocks per parity group (1..254) and M parity "
             "packets per group (0..255-K), e.g. 64:8");
    return -1;
}

static int parse_keytype(const struct opt *o, const char *v, void *opts, char *err, size_t n)
{
    static const struct {
        const char *name;
        int type;
    } k[] = {{"none", UFT_KEY_NONE},
             {"aes128-gcm", UFT_KEY_AES128_GCM},
             {"aes256-gcm", UFT_KEY_AES256_GCM},
             {"aes128-ccm", UFT_KEY_AES128_CCM},
             {"aes256-ccm", UFT_KEY_AES256_CCM},
             {"aes128-cbc", UFT_KEY_AES128_CBC},
             {"aes256-cbc", UFT_KEY_AES256_CBC}};
    size_t i;
    for (i = 0; i < sizeof k / sizeof k[0]; i++) {
        if (strcmp(v, k[i].name) == 0) {
            OPT_FIELD(int, o, opts) = k[i].type;
            return 0;
        }
    }
    snprintf(err, n,
             "unknown key type; use none, aes128-gcm, aes256-gcm, aes128-ccm, "
             "aes256-ccm (or, with -V 4, aes128-cbc or aes256-cbc)");
    return -1;
}

static int parse_hash(const struct opt *o, const char *v, void *opts, char *err, size_t n)
{
    if (strcmp(v, "sha1") == 0)
        OPT_FIELD(int, o, opts) = UFT_HASH_SHA1;
    else if (strcmp(v, "sha256") == 0)
        OPT_FIELD(int, o, opts) = UFT_HASH_SHA256;
    else if (strcmp(v, "sha384") == 0)
        OPT_FIELD(int, o, opts) = UFT_HASH_SHA384;
    else if (strcmp(v, "sha512") == 0)
        OPT_FIELD(int, o, opts) = UFT_HASH_SHA512;
    else {
        snprintf(err, n, "unknown hash; use sha256, sha384, sha512 (or, with -V 4, sha1)");
        return -1;
    }
    return 0;
}

static int curve_by_name(const char *v)
{
    if (strcmp(v, "secp256r1") == 0 || strcmp(v, "prime256v1") == 0)
        return UFT_CURVE_P256;
    if (strcmp(v, "secp384r1") == 0)
        return UFT_CURVE_P384;
    if (strcmp(v, "secp521r1") == 0)
        return UFT_CURVE_P521;
    return 0;
}

/* -e CURVE, or UFTP 4's -e rsa | ecdh_rsa[:CURVE] | ecdh_ecdsa[:CURVE] */
static int parse_curve(const struct opt *o, const char *v, void *opts, char *err, size_t n)
{
    static const struct {
        const char *name;
        int keyex;
    } k[] = {{"rsa", UFT_KEYEX_RSA},
             {"ecdh_rsa", UFT_KEYEX_ECDH_RSA},
             {"ecdh_ecdsa", UFT_KEYEX_ECDH_ECDSA}};
    struct uftp_opts *u = opts;
    size_t i, l;
    for (i = 0; i < sizeof k / sizeof k[0]; i++) {
        l = strlen(k[i].name);
        if (strncmp(v, k[i].name, l) == 0 && (v[l] == '\0' || (v[l] == ':' && i > 0))) {
            u->keyex = k[i].keyex;
            v = v[l] ? v + l + 1 : "secp256r1";
            break;
        }
    }
    if (!(OPT_FIELD(int, o, opts) = curve_by_name(v))) {
        snprintf(err, n,
                 "unknown curve; use secp256r1 (prime256v1), secp384r1 or secp521r1 (with -V 4 "
                 "also rsa, ecdh_rsa[:curve] or ecdh_ecdsa[:curve])");
        return -1;
    }
    return 0;
}

static int parse_sigtype(const struct opt *o, const char *v, void *opts, char *err, size_t n)
{
    if (strcmp(v, "hmac") == 0)
        OPT_FIELD(int, o, opts) = UFT_SIG_HMAC;
    else if (strcmp(v, "keyex") == 0)
        OPT_FIELD(int, o, opts) = UFT_SIG_KEYEX;
    else {
        snprintf(err, n, "unknown signature type; use hmac or keyex");
        return -1;
    }
    return 0;
}

static int parse_keygen(const struct opt *o, const char *v, void *opts, char *err, size_t n)
{
    long bits;
    if (strncmp(v, "rsa:", 4) == 0 && opt_long(v + 4, 1024, 3072, &bits) == 0) {
        OPT_FIELD(const char *, o, opts) = v;
        return 0;
    }
    if (strncmp(v, "ec:", 3) == 0 && curve_by_name(v + 3)) {
        OPT_FIELD(const char *, o, opts) = v;
        return 0;
    }
    snprintf(err, n,
             "expected rsa:BITS (1024..3072) or ec:CURVE (secp256r1, secp384r1, "
             "secp521r1)");
    return -1;
}

/* -C none | tfmcc[:min=K][:init=K][:max=K] | tfmcc:K (old form: max) */
static int parse_cc(const struct opt *o, const char *v, void *opts, char *err, size_t n)
{
    struct uftp_opts *u = opts;
    char buf[128], *tok, *save = NULL;
    (void)o;
    if (strcmp(v, "none") == 0) {
        u->cc_type = UFT_CC_NONE;
        return 0;
    }
    if (strncmp(v, "tfmcc", 5) != 0 || (v[5] && v[5] != ':') || strlen(v) >= sizeof buf)
        goto bad;
    u->cc_type = UFT_CC_TFMCC;
    snprintf(buf, sizeof buf, "%s", v + 5);
    for (tok = strtok_r(buf, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
        long *field = NULL, k;
        const char *num = tok;
        if (strncmp(tok, "min=", 4) == 0)
            field = &u->cc_min_kbps, num = tok + 4;
        else if (strncmp(tok, "init=", 5) == 0)
            field = &u->cc_init_kbps, num = tok + 5;
        else if (strncmp(tok, "max=", 4) == 0)
            field = &u->cc_max_kbps, num = tok + 4;
        else
            field = &u->cc_max_kbps;
        if (opt_long(num, 1, 1L << 30, &k) != 0)
            goto bad;
        *field = k;
    }
    return 0;
bad:
    snprintf(err, n, "expected none or tfmcc[:min=Kbps][:init=Kbps][:max=Kbps]");
    return -1;
}

/* -r init[:min:max], seconds, each 0.001..1000, min <= init <= max */
static int parse_grtt(const struct opt *o, const char *v, void *opts, char *err, size_t n)
{
    struct uftp_opts *u = opts;
    double a = 0, b = 0, c = 0;
    (void)o;
    int got;
    char tail;
    got = sscanf(v, "%lf:%lf:%lf%c", &a, &b, &c, &tail);
    if (got == 1) {
        b = u->grtt_min;
        c = u->grtt_max;
    } else if (got != 3) {
        snprintf(err, n, "expected init_grtt or init_grtt:min_grtt:max_grtt in seconds");
        return -1;
    }
    if (!(a >= 0.001 && a <= 1000 && b >= 0.001 && b <= 1000 && c >= 0.001 && c <= 1000) ||
        !(b <= a && a <= c)) {
        snprintf(err, n, "each value must be 0.001..1000 seconds with min <= init <= max");
        return -1;
    }
    u->grtt_init = a;
    u->grtt_min = b;
    u->grtt_max = c;
    return 0;
}

/* Codes of the long-only options (opt.h). */
enum { L_JSON = OPT_CODE_FIRST, L_PROGRESS, L_NO_PROGRESS, L_FEC, L_FEC_REACTIVE };

static const struct opt_name names[] = {
    {L_JSON, "json"}, {L_PROGRESS, "progress"},         {L_NO_PROGRESS, "no-progress"},
    {L_FEC, "fec"},   {L_FEC_REACTIVE, "fec-reactive"},
};

static const struct opt table[] = {
    {'R', "txrate", OPT_CUSTOM, OFF(rate_kbps), 0, 0, parse_rate,
     "rate in Kbps, -1 for as fast as possible (default 1000)"},
    {'L', "logfile", OPT_STR, OFF(logfile), 0, 0, NULL, "log file (default stderr)"},
    {'B', "bytes", OPT_LONG, OFF(sockbuf), 65536, 104857600, NULL,
     "UDP socket buffer size (default 262144)"},
    {'g', "MB", OPT_LONG, OFF(log_max_mb), 1, 1024, NULL, "roll the log at this size"},
    {'n', "count", OPT_LONG, OFF(log_count), 1, 1000, NULL, "rolled logs to keep (default 5)"},
    {'m', "count", OPT_LONG, OFF(nak_max_count), 1, 1000, NULL,
     "times a client may exceed -N before it is dropped (default 1)"},
    {'Y', "keytype", OPT_CUSTOM, OFF(keytype), 0, 0, parse_keytype,
     "none, aes128-gcm, aes256-gcm (default), aes128-ccm, aes256-ccm"},
    {'h', "hashtype", OPT_CUSTOM, OFF(hashtype), 0, 0, parse_hash,
     "sha256 (default), sha384, sha512"},
    {'e', "curve", OPT_CUSTOM, OFF(curve), 0, 0, parse_curve,
     "ECDH curve: secp256r1 (default), secp384r1, secp521r1; -V 4 also takes UFTP 4's "
     "rsa, ecdh_rsa[:curve], ecdh_ecdsa[:curve]"},
    {'w', "hmac|keyex", OPT_CUSTOM, OFF(sigtype), 0, 0, parse_sigtype,
     "-V 4 with a CBC key type: HMAC (default) or signatures on each message"},
    {'c', NULL, OPT_FLAG, OFF(client_auth), 0, 0, NULL, "require client authentication"},
    {'k', "keyfile", OPT_STR, OFF(keyfile), 0, 0, NULL, "signing key file (PEM)"},
    {'K', "rsa:BITS|ec:CURVE", OPT_CUSTOM, OFF(keygen), 0, 0, parse_keygen,
     "generate a signing key (written to -k if given)"},
    {'l', NULL, OPT_FLAG, OFF(follow_links), 0, 0, NULL, "follow symbolic links"},
    {'T', NULL, OPT_FLAG, OFF(timestamps), 0, 0, NULL, "timestamp every log line"},
    {'b', "block_size", OPT_LONG, OFF(block_len), 512, 8800, NULL, "block size (default 1300)"},
    {'t', "ttl", OPT_LONG, OFF(ttl), 1, 255, NULL, "multicast TTL (default 1)"},
    {'Q', "dscp", OPT_LONG, OFF(dscp), 0, 63, NULL, "DSCP value, decimal or 0x hex"},
    {'z', NULL, OPT_FLAG, OFF(sync), 0, 0, NULL, "sync mode"},
    {'Z', NULL, OPT_FLAG, OFF(sync_preview), 0, 0, NULL, "sync preview mode (implies -z)"},
    {'I', "interface", OPT_STR, OFF(iface), 0, 0, NULL, "outgoing interface (name or address)"},
    {'p', "port", OPT_LONG, OFF(port), 1, 65535, NULL, "destination port (default 1044)"},
    {'u', "port", OPT_LONG, OFF(src_port), 0, 65535, NULL, "source port (default any)"},
    {'j', "proxylist", OPT_STR, OFF(proxylist), 0, 0, NULL, "proxy list file"},
    {'q', NULL, OPT_FLAG, OFF(quit_on_error), 0, 0, NULL, "quit if any client drops out"},
    {'f', NULL, OPT_FLAG, OFF(save_restart), 0, 0, NULL, "write a restart file on failure"},
    {'y', NULL, OPT_FLAG, OFF(machine_keystore), 0, 0, NULL, "Windows key store (ignored)"},
    {'U', "UID", OPT_CUSTOM, OFF(uid), 0, 0, opt_parse_uid, "server ID, hex"},
    {'a', "max_passes", OPT_LONG, OFF(max_passes), 1, 65535, NULL,
     "passes before unfinished clients are dropped"},
    {'x', "level", OPT_LONG, OFF(log_level), 0, 5, NULL, "log level 0..5 (default 2)"},
    {'W', "txweight", OPT_LONG, OFF(txweight), 110, 10000, NULL,
     "maximum time as a percentage of the ideal"},
    {'H', "host[,host...]|@file", OPT_STR, OFF(hosts), 0, 0, NULL, "closed group members"},
    {'F', "restart_file", OPT_STR, OFF(restart_file), 0, 0, NULL, "resume a failed session"},
    {'X', "exclude_file", OPT_STR, OFF(exclude_file), 0, 0, NULL, "paths not to send"},
    {'M', "address", OPT_STR, OFF(pub_addr), 0, 0, NULL,
     "public address (default 230.4.4.1); unicast for one client"},
    {'P', "address", OPT_STR, OFF(priv_addr), 0, 0, NULL,
     "private address (default 230.5.5.x, x random)"},
    {'N', "percent", OPT_LONG, OFF(max_nak_pct), 0, 100, NULL, "maximum NAK percentage"},
    {'C', "none|tfmcc[:...]", OPT_CUSTOM, OFF(cc_type), 0, 0, parse_cc, "congestion control"},
    {'o', NULL, OPT_FLAG, OFF(dest_is_dir), 0, 0, NULL, "treat -D as a directory"},
    {'D', "dest_name", OPT_STR, OFF(dest_name), 0, 0, NULL, "name or directory on the clients"},
    {'E', "base_dir[,...]", OPT_STR, OFF(base_dirs), 0, 0, NULL, "base directories to strip"},
    {'S', "status_file|@LOG", OPT_STR, OFF(status_file), 0, 0, NULL, "parsable status output"},
    {'r', "init[:min:max]", OPT_CUSTOM, OFF(grtt_init), 0, 0, parse_grtt,
     "GRTT in seconds (default 0.5:0.01:15.0)"},
    {'s', "robust", OPT_LONG, OFF(robust), 10, 50, NULL, "robustness factor (default 20)"},
    {'i', "list_file|-", OPT_STR, OFF(list_file), 0, 0, NULL, "read the files to send from here"},
    {'V', "4|5", OPT_LONG, OFF(protocol), 4, 5, NULL,
     "protocol version: 5 (default), or 4 for UFTP 4.x clients (ufcast only)"},
    {L_JSON, "FILE|-", OPT_STR, OFF(json_file), 0, 0, NULL,
     "append one JSON object per event and line (- for stdout)"},
    {L_PROGRESS, NULL, OPT_FLAG, OFF(progress), 0, 0, NULL,
     "show progress on the terminal even when -L sends the log to a file"},
    {L_NO_PROGRESS, NULL, OPT_FLAG, OFF(no_progress), 0, 0, NULL,
     "never show progress (default: shown when stderr is a terminal)"},
    {L_FEC, "K[:M]", OPT_CUSTOM, OFF(fec_k), 0, 0, parse_fec,
     "parity for ufcast receivers: groups of K blocks, M parity packets each; file hashes"},
    {L_FEC_REACTIVE, NULL, OPT_FLAG, OFF(fec_reactive), 0, 0, NULL,
     "with --fec, answer ufcast receivers' NAKs with new parity packets"},
};

#define N_TABLE (sizeof table / sizeof table[0])
#define N_NAMES (sizeof names / sizeof names[0])

void uftp_cli_usage(FILE *f)
{
    opt_usage_names(f, "uftp", "[options] { -i list_file | file [file...] }", table, N_TABLE, names,
                    N_NAMES);
}

static void defaults(struct uftp_opts *o)
{
    memset(o, 0, sizeof *o);
    o->rate_kbps = 1000;
    o->sockbuf = 262144;
    o->log_count = 5;
    o->nak_max_count = 1;
    o->keytype = UFT_KEY_AES256_GCM;
    o->hashtype = UFT_HASH_SHA256;
    o->curve = UFT_CURVE_P256;
    o->block_len = 1300;
    o->ttl = 1;
    o->port = 1044;
    o->max_passes = 65535;
    o->log_level = 2;
    o->pub_addr = "230.4.4.1";
    o->priv_addr = "230.5.5.x";
    o->max_nak_pct = 100;
    o->cc_type = UFT_CC_NONE;
    o->grtt_init = 0.5;
    o->grtt_min = 0.01;
    o->grtt_max = 15.0;
    o->robust = 20;
    o->protocol = 5;
}

/* The rules between options, as uftp(1) states them. */
static int cross_checks(struct uftp_opts *o, const bool *seen, char *err, size_t n)
{
    if (o->sync_preview)
        o->sync = true;
    if (o->keytype == UFT_KEY_NONE)
        o->client_auth = false;
    if (o->fec_reactive && !o->fec_k) {
        snprintf(err, n, "--fec-reactive needs --fec K[:M] (the group size), e.g. --fec 64");
        return -1;
    }
    if (seen['H'] && seen['F']) {
        snprintf(err, n, "-H and -F cannot be used together: a restart file names its hosts");
        return -1;
    }
    if (seen['F'] && (seen['i'] || o->n_files > 0)) {
        snprintf(err, n, "-F takes the files from the restart file: drop -i and the file names");
        return -1;
    }
    if (o->sync && (o->save_restart || seen['F'])) {
        snprintf(err, n, "sync mode (-z/-Z) cannot be combined with restart (-f/-F)");
        return -1;
    }
    if (seen['W'] && (o->cc_type != UFT_CC_NONE || o->rate_kbps == -1)) {
        snprintf(err, n, "-W needs a fixed rate: -C none and -R other than -1");
        return -1;
    }
    if (seen['g'] && !o->logfile) {
        snprintf(err, n, "-g rolls the log file: give one with -L");
        return -1;
    }
    if (o->progress && o->no_progress) {
        snprintf(err, n, "--progress and --no-progress contradict each other: give one");
        return -1;
    }
    if (!seen['F'] && !seen['i'] && o->n_files == 0) {
        snprintf(err, n, "no files to send: name files or directories, or use -i list_file");
        return -1;
    }
    return 0;
}

int uftp_cli_parse(int argc, char **argv, struct uftp_opts *o, char *err, size_t errlen)
{
    bool seen[256];
    int i, first;
    defaults(o);
    for (i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0)
            return UFTP_CLI_HELP;
    first = opt_parse_names(table, N_TABLE, names, N_NAMES, argc, argv, o, seen, err, errlen);
    if (first < 0)
        return UFTP_CLI_ERROR;
    if (!seen['i']) {
        o->files = argv + first;
        o->n_files = argc - first;
    }
    return cross_checks(o, seen, err, errlen) ? UFTP_CLI_ERROR : UFTP_CLI_OK;
}
