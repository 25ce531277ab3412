/*
 * Dropping privileges and confining a daemon once it holds what it needs
 * (sockets bound, log, status and pid files open): --user switches to an
 * unprivileged user and group for good; --confine then applies Landlock
 * (the file system may be written only beneath the given directories)
 * and a seccomp filter (no exec unless asked for, no ptrace, no mounts,
 * modules, namespaces, key rings, BPF, raw I/O, clock setting or identity
 * changes). Both are inherited by every child, the post-receive script
 * included. Linux only; where the kernel lacks Landlock or the build lacks
 * a seccomp architecture the rest still applies and a note says what was
 * left out.
 */
#ifndef UFT_SYS_CONFINE_H
#define UFT_SYS_CONFINE_H

#include <stdbool.h>
#include <stddef.h>

struct uft_confine_cfg {
    const char *user; /* --user NAME[:GROUP] (names or numbers); NULL: keep the user */
    bool confine;     /* --confine: Landlock and seccomp */
    /* with confine: the trees that may be written (files created, written,
     * renamed, removed); everything else is read-only. Borrowed. */
    const char *const *write_dirs;
    size_t n_write_dirs;
    bool allow_exec; /* with confine: execve stays allowed (uftpd -s) */
};

/* Called with each line worth logging: level 1 for something left out,
 * 2 for what was applied. */
typedef void (*uft_confine_note_fn)(void *ctx, int level, const char *text);

/* Apply cfg to the calling process (single-threaded). In order: the user
 * and group (setgroups to that one group, setgid, setuid; then checks that
 * root cannot be taken back), no_new_privs, Landlock, seccomp. 0, or -1
 * with a message naming the option in err (an unknown user, not root, a
 * directory that cannot be opened, a kernel call that failed). */
int uft_confine_apply(const struct uft_confine_cfg *cfg, uft_confine_note_fn note, void *ctx,
                      char *err, size_t errlen);

#endif
