/*
 * Command line of the proxy daemon, uftpproxyd: every option of UFTP
 * 5.0.1's uftpproxyd(1), with its defaults, bounds and the rules between
 * options.
 */
#ifndef UFT_UFTPPROXYD_CLI_H
#define UFT_UFTPPROXYD_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct uftpproxyd_opts {
    const char *server_dest; /* -s dest | fp=FINGERPRINT */
    bool client;             /* -c */
    bool response;           /* -r */
    bool foreground;         /* -d */
    long port;               /* -p */
    long ttl;                /* -t */
    long dscp;               /* -Q */
    long nice;               /* -N */
    const char *out_iface;   /* -O */
    uint32_t uid;            /* -U (0: from the interface) */
    long dest_port;          /* -q */
    bool machine_keystore;   /* -m: Windows only; accepted and ignored */
    long log_level;          /* -x */
    const char *hb_hosts;    /* -H host[:port][,...] */
    long log_max_mb;         /* -g */
    long log_count;          /* -n */
    long hb_interval;        /* -h, seconds */
    long sockbuf;            /* -B */
    const char *logfile;     /* -L */
    const char *pidfile;     /* -P */
    const char *client_list; /* -C */
    bool ssm;                /* -o */
    const char *server_list; /* -S */
    const char *keyfile;     /* -k (the first of a list is used) */
    const char *keygen;      /* -K */
    const char *curve;       /* -e (UFTP 4 only) */
    const char *ifaces;      /* -I */
    const char *pub_addrs;   /* -M */
    /* ufcast's own long options */
    const char *user; /* --user NAME[:GROUP]: drop to that user once set up */
    bool confine;     /* --confine: Landlock and seccomp (sys/confine.h) */
};

enum { UFTPPROXYD_CLI_OK = 0, UFTPPROXYD_CLI_ERROR = 1, UFTPPROXYD_CLI_HELP = 2 };

int uftpproxyd_cli_parse(int argc, char **argv, struct uftpproxyd_opts *o, char *err,
                         size_t errlen);
void uftpproxyd_cli_usage(FILE *f);

#endif
