/*
 * Command line of the client daemon, uftpd: every option of UFTP 5.0.1's
 * uftpd(1), with its defaults and bounds and the rules between options,
 * and ufcast's long options.
 */
#ifndef UFT_UFTPD_CLI_H
#define UFT_UFTPD_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define UFTPD_MAX_DIRS 10

struct uftpd_opts {
    bool foreground;         /* -d */
    long log_level;          /* -x */
    bool no_dns;             /* -q */
    const char *status_file; /* -F (or "@LOG") */
    const char *logfile;     /* -L */
    const char *pidfile;     /* -P */
    const char *script;      /* -s */
    long cache;              /* -c */
    const char *ifaces;      /* -I list */
    long port;               /* -p */
    bool temp_files;         /* -t */
    const char *temp_dir;    /* -T */
    const char *dest_dirs;   /* -D list */
    const char *backup_dirs; /* -A list */
    const char *pub_addrs;   /* -M list */
    long sockbuf;            /* -B */
    long dscp;               /* -Q */
    bool encrypted_only;     /* -E */
    uint32_t uid;            /* -U (0: from the interface) */
    bool ssm;                /* -o */
    const char *server_list; /* -S */
    const char *proxy_list;  /* -R */
    const char *v4_proxy;    /* -r host[/fingerprint] */
    const char *keyfile;     /* -k */
    const char *keygen;      /* -K */
    bool machine_keystore;   /* -m: Windows only; accepted and ignored */
    long nice;               /* -N */
    bool move_each;          /* -i */
    long log_max_mb;         /* -g */
    long log_count;          /* -n */
    long hb_interval;        /* -h, seconds */
    const char *hb_hosts;    /* -H */
    /* ufcast's own long options */
    const char *json_file; /* --json FILE: one JSON object per event and line; "-": stdout */
    bool no_progress;      /* --no-progress: no progress lines on the terminal with -d */
    const char *user;      /* --user NAME[:GROUP]: drop to that user once set up */
    bool confine;          /* --confine: Landlock and seccomp (sys/confine.h) */
    bool no_fec;           /* --no-fec: take no parity and no file hash (core/client_fec.c) */
    /* -D and -A split at commas into the buffers below */
    const char *dest[UFTPD_MAX_DIRS];
    size_t n_dest;
    const char *backup[UFTPD_MAX_DIRS];
    size_t n_backup;
    char dirbuf[4096];
};

enum { UFTPD_CLI_OK = 0, UFTPD_CLI_ERROR = 1, UFTPD_CLI_HELP = 2 };

int uftpd_cli_parse(int argc, char **argv, struct uftpd_opts *o, char *err, size_t errlen);
void uftpd_cli_usage(FILE *f);

#endif
