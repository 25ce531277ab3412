/*
 * Command line of the server program, uftp: every option of UFTP 5.0.1's
 * uftp(1), with its defaults and bounds, and ufcast's long options. Parsing checks each value and
 * the rules between options; turning the result into sockets and a
 * session is the program's job.
 */
#ifndef UFT_UFTP_CLI_H
#define UFT_UFTP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct uftp_opts {
    long rate_kbps;                              /* -R: -1 = as fast as possible */
    const char *logfile;                         /* -L */
    long sockbuf;                                /* -B */
    long log_max_mb;                             /* -g (0: no rolling) */
    long log_count;                              /* -n */
    long nak_max_count;                          /* -m */
    int keytype;                                 /* -Y: enum uft_keytype */
    int hashtype;                                /* -h: enum uft_hashtype */
    int curve;                                   /* -e: UFT_CURVE_* */
    int keyex;                                   /* -e rsa|ecdh_rsa|ecdh_ecdsa: UFT_KEYEX_* */
    int sigtype;                                 /* -w hmac|keyex: UFT_SIG_*, 0 = unset */
    bool client_auth;                            /* -c */
    const char *keyfile;                         /* -k */
    const char *keygen;                          /* -K: rsa:BITS or ec:CURVE (validated) */
    bool follow_links;                           /* -l */
    bool timestamps;                             /* -T */
    long block_len;                              /* -b */
    long ttl;                                    /* -t */
    long dscp;                                   /* -Q */
    bool sync;                                   /* -z */
    bool sync_preview;                           /* -Z (implies -z) */
    const char *iface;                           /* -I */
    long port;                                   /* -p */
    long src_port;                               /* -u */
    const char *proxylist;                       /* -j */
    bool quit_on_error;                          /* -q */
    bool save_restart;                           /* -f */
    bool machine_keystore;                       /* -y: Windows only; accepted and ignored */
    uint32_t uid;                                /* -U (0: from the interface) */
    long max_passes;                             /* -a */
    long log_level;                              /* -x */
    long txweight;                               /* -W (0: none) */
    const char *hosts;                           /* -H: list or @file */
    const char *restart_file;                    /* -F */
    const char *exclude_file;                    /* -X */
    const char *pub_addr;                        /* -M */
    const char *priv_addr;                       /* -P */
    long max_nak_pct;                            /* -N */
    int cc_type;                                 /* -C: UFT_CC_NONE or UFT_CC_TFMCC */
    long cc_min_kbps, cc_init_kbps, cc_max_kbps; /* -C tfmcc:min=..:init=..:max=.. (0: unset) */
    bool dest_is_dir;                            /* -o */
    const char *dest_name;                       /* -D */
    const char *base_dirs;                       /* -E */
    const char *status_file;                     /* -S (or "@LOG") */
    double grtt_init, grtt_min, grtt_max;        /* -r, seconds */
    long robust;                                 /* -s */
    const char *list_file;                       /* -i (or "-") */
    long protocol; /* -V: 5 (default) or 4 for UFTP 4 clients; ufcast only */
    /* ufcast's own long options */
    const char *json_file; /* --json FILE: one JSON object per event and line; "-": stdout */
    bool progress;         /* --progress: draw progress on a terminal even with -L */
    bool no_progress;      /* --no-progress: never draw it */
    long fec_k, fec_m;     /* --fec K[:M]: parity groups of K blocks, M rows each (0: off) */
    bool fec_reactive;     /* --fec-reactive: answer capable receivers' NAKs with parity */
    char **files;          /* operands */
    int n_files;
};

enum { UFTP_CLI_OK = 0, UFTP_CLI_ERROR = 1, UFTP_CLI_HELP = 2 };

/* Fill o with UFTP's defaults, then parse argv. On UFTP_CLI_ERROR, err
 * holds one line naming the option and what it wants. */
int uftp_cli_parse(int argc, char **argv, struct uftp_opts *o, char *err, size_t errlen);

/* Print the usage text. */
void uftp_cli_usage(FILE *f);

#endif
