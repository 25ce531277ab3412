/*
 * --user and --confine (confine.h). The user switch is the classic one:
 * supplementary groups first, then the group, then the user, and a check
 * that root is really gone. Landlock is called through syscall() since
 * libc has no wrappers; the ruleset handles only the rights that change
 * the file system (reads stay open: key files, /etc and shared libraries
 * are read at will), so one rule per writable tree is all it takes. The
 * seccomp filter is written by hand in classic BPF (libseccomp is not a
 * build dependency): it checks the architecture, then returns EPERM for a
 * list of calls a file receiver never needs, so a refused call shows up
 * as an error in the log rather than a killed daemon.
 */
#include "sys/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static void note(uft_confine_note_fn fn, void *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void note(uft_confine_note_fn fn, void *ctx, int level, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    if (!fn)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    fn(ctx, level, text);
}

/* ---------- --user ---------- */

static int lookup_ids(const char *spec, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
    char name[256], *group, *end;
    struct passwd *pw;
    struct group *gr;
    if (strlen(spec) >= sizeof name || !spec[0]) {
        snprintf(err, errlen, "--user %s: expected NAME or NAME:GROUP", spec);
        return -1;
    }
    strcpy(name, spec);
    group = strchr(name, ':');
    if (group)
        *group++ = '\0';
    pw = getpwnam(name);
    if (pw) {
        *uid = pw->pw_uid;
        *gid = pw->pw_gid;
    } else {
        unsigned long v = strtoul(name, &end, 10);
        if (!name[0] || *end || v == 0 || v > 0xfffffffeul) {
            snprintf(err, errlen, "--user %s: no such user (give a name from /etc/passwd)", name);
            return -1;
        }
        *uid = (uid_t)v;
        *gid = (gid_t)v;
    }
    if (group && group[0]) {
        gr = getgrnam(group);
        if (gr) {
            *gid = gr->gr_gid;
        } else {
            unsigned long v = strtoul(group, &end, 10);
            if (*end || v > 0xfffffffeul) {
                snprintf(err, errlen, "--user %s: no such group %s", spec, group);
                return -1;
            }
            *gid = (gid_t)v;
        }
    }
    if (*uid == 0 || *gid == 0) {
        snprintf(err, errlen, "--user %s: that is root; name an unprivileged user", spec);
        return -1;
    }
    return 0;
}

static int drop_user(const char *spec, uft_confine_note_fn fn, void *ctx, char *err, size_t errlen)
{
    uid_t uid;
    gid_t gid;
    if (lookup_ids(spec, &uid, &gid, err, errlen))
        return -1;
    if (geteuid() != 0) {
        snprintf(err, errlen, "--user %s: only root can switch users (running as uid %u)", spec,
                 (unsigned)geteuid());
        return -1;
    }
    if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
        snprintf(err, errlen, "--user %s: cannot switch to uid %u gid %u: %s", spec, (unsigned)uid,
                 (unsigned)gid, strerror(errno));
        return -1;
    }
    /* the switch must be for good: neither id may come back */
    if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid ||
        setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0) {
        snprintf(err, errlen, "--user %s: root could be regained after the switch; refusing to run",
                 spec);
        return -1;
    }
    note(fn, ctx, 2, "--user: running as uid %u gid %u", (unsigned)uid, (unsigned)gid);
    return 0;
}

/* ---------- Landlock ---------- */

/* Older kernel headers stop at ABI 2; the values are the kernel's ABI. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

static uint64_t write_rights(int abi)
{
    uint64_t r = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
                 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                 LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
    if (abi >= 2)
        r |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        r |= LANDLOCK_ACCESS_FS_TRUNCATE;
    return r;
}

static int add_rule(int ruleset, const char *path, uint64_t allowed, char *err, size_t errlen)
{
    struct landlock_path_beneath_attr pb;
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "--confine: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    memset(&pb, 0, sizeof pb);
    pb.allowed_access = allowed;
    pb.parent_fd = fd;
    if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0) {
        snprintf(err, errlen, "--confine: Landlock rule for %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

static int landlock(const struct uft_confine_cfg *cfg, uft_confine_note_fn fn, void *ctx, char *err,
                    size_t errlen)
{
    struct landlock_ruleset_attr ra;
    char list[512] = "";
    size_t i;
    int ruleset, rc = -1;
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 2) {
        /* ABI 1 refuses every rename between directories, and -T, -A and
         * the temp files all rename: better none than a broken daemon */
        note(fn, ctx, 1,
             "--confine: %s; file system writes are NOT confined (seccomp and --user still "
             "apply)",
             abi < 0 ? (errno == ENOSYS || errno == EOPNOTSUPP
                            ? "this kernel has no Landlock (or it is disabled at boot)"
                            : strerror(errno))
                     : "this kernel's Landlock (ABI 1) cannot allow moves between directories");
        return 0;
    }
    memset(&ra, 0, sizeof ra);
    ra.handled_access_fs = write_rights((int)abi);
    ruleset = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof ra, 0);
    if (ruleset < 0) {
        snprintf(err, errlen, "--confine: cannot create a Landlock ruleset: %s", strerror(errno));
        return -1;
    }
    for (i = 0; i < cfg->n_write_dirs; i++) {
        if (add_rule(ruleset, cfg->write_dirs[i], ra.handled_access_fs, err, errlen))
            goto out;
        if (strlen(list) + strlen(cfg->write_dirs[i]) + 3 < sizeof list)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     cfg->write_dirs[i]);
    }
    /* the script's standard streams are /dev/null */
    if (add_rule(ruleset, "/dev/null",
                 ra.handled_access_fs &
                     (LANDLOCK_ACCESS_FS_WRITE_FILE | (abi >= 3 ? LANDLOCK_ACCESS_FS_TRUNCATE : 0)),
                 err, errlen))
        goto out;
    if (syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
        snprintf(err, errlen, "--confine: Landlock restrict_self: %s", strerror(errno));
        goto out;
    }
    note(fn, ctx, 2, "--confine: Landlock ABI %ld: the file system is writable only under %s", abi,
         list[0] ? list : "(nothing)");
    rc = 0;
out:
    close(ruleset);
    return rc;
}

/* ---------- seccomp ---------- */

#if defined(__x86_64__)
#define AUDIT_ARCH_SELF AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_SELF AUDIT_ARCH_AARCH64
#endif

#ifdef AUDIT_ARCH_SELF
/* Refused with EPERM. Absent names (per architecture) are skipped. */
static const long denied[] = {
#ifdef SYS_ptrace
    SYS_ptrace,
#endif
    SYS_process_vm_readv,
    SYS_process_vm_writev,
    SYS_kexec_load,
#ifdef SYS_kexec_file_load
    SYS_kexec_file_load,
#endif
    SYS_init_module,
    SYS_finit_module,
    SYS_delete_module,
    SYS_mount,
    SYS_umount2,
    SYS_pivot_root,
    SYS_chroot,
    SYS_swapon,
    SYS_swapoff,
    SYS_reboot,
    SYS_bpf,
    SYS_perf_event_open,
    SYS_keyctl,
    SYS_add_key,
    SYS_request_key,
    SYS_userfaultfd,
    SYS_unshare,
    SYS_setns,
    SYS_open_by_handle_at,
    SYS_name_to_handle_at,
    SYS_acct,
    SYS_settimeofday,
    SYS_clock_settime,
    SYS_clock_adjtime,
    SYS_adjtimex,
    SYS_quotactl,
    SYS_mknodat,
    SYS_setuid,
    SYS_setgid,
    SYS_setreuid,
    SYS_setregid,
    SYS_setresuid,
    SYS_setresgid,
    SYS_setgroups,
    SYS_setfsuid,
    SYS_setfsgid,
    SYS_capset,
    SYS_personality,
    SYS_syslog,
    SYS_vhangup,
    SYS_fanotify_init,
#ifdef SYS_io_uring_setup
    SYS_io_uring_setup, /* its requests bypass this filter */
#endif
#ifdef SYS_fsopen
    SYS_fsopen,
    SYS_fsmount,
    SYS_fspick,
    SYS_move_mount,
    SYS_open_tree,
#endif
#ifdef SYS_iopl
    SYS_iopl,
    SYS_ioperm,
#endif
#ifdef SYS_mknod
    SYS_mknod,
#endif
};

static int seccomp_filter(bool allow_exec, uft_confine_note_fn fn, void *ctx, char *err,
                          size_t errlen)
{
    enum { N_DENIED = sizeof denied / sizeof denied[0] };
    struct sock_filter f[8 + 2 * (N_DENIED + 2)];
    struct sock_fprog prog;
    unsigned short n = 0;
    size_t i;
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          (uint32_t)offsetof(struct seccomp_data, arch));
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_SELF, 1, 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          (uint32_t)offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
    /* x32 calls have their own numbers: none of them is needed */
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
#endif
    for (i = 0; i < N_DENIED + 2; i++) {
        long nr;
        if (i < N_DENIED)
            nr = denied[i];
        else if (allow_exec)
            break;
        else
            nr = i == N_DENIED ? SYS_execve : SYS_execveat;
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
    }
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    prog.len = n;
    prog.filter = f;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) {
        snprintf(err, errlen, "--confine: cannot install the seccomp filter: %s", strerror(errno));
        return -1;
    }
    note(fn, ctx, 2,
         "--confine: seccomp filter: %s; no ptrace, mount, module, namespace, key ring, BPF, "
         "clock or identity calls",
         allow_exec ? "exec allowed for the -s script" : "no exec");
    return 0;
}
#else
static int seccomp_filter(bool allow_exec, uft_confine_note_fn fn, void *ctx, char *err,
                          size_t errlen)
{
    (void)allow_exec;
    (void)err;
    (void)errlen;
    note(fn, ctx, 1, "--confine: no seccomp filter for this architecture in this build");
    return 0;
}
#endif

int uft_confine_apply(const struct uft_confine_cfg *cfg, uft_confine_note_fn fn, void *ctx,
                      char *err, size_t errlen)
{
    if (cfg->user && drop_user(cfg->user, fn, ctx, err, errlen))
        return -1;
    if (!cfg->confine)
        return 0;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(err, errlen, "--confine: cannot set no_new_privs: %s", strerror(errno));
        return -1;
    }
    if (landlock(cfg, fn, ctx, err, errlen))
        return -1;
    return seccomp_filter(cfg->allow_exec, fn, ctx, err, errlen);
}
