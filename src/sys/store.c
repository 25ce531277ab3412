/*
 * Safe storage for received files. The walk from a root directory (a
 * destination, a -T session directory or a -A backup directory) to a
 * file's parent opens one component at a time with O_NOFOLLOW and
 * O_DIRECTORY, relative to the previous one: a ".." is refused before any
 * walk, and a symbolic link anywhere on the path stops it. That is
 * stricter than following links that stay inside the root, and it needs
 * no kernel support beyond openat(2).
 *
 * This file holds names, the life of one incoming file, directories,
 * links and deletes; store_session.c holds what spans a session (-T and
 * restart records), store_backup.c the -A copies.
 */
#include "sys/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/err.h"
#include "core/msg.h"
#include "sys/store_int.h"

int uft_store_fail(struct uft_store *st, int rc, int e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->last_error, sizeof st->last_error, fmt, ap);
    va_end(ap);
    st->last_errno = e;
    return rc;
}

void uft_store_note(struct uft_store *st, int level, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    if (!st->log)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    st->log(st->ctx, level, text);
}

const char *uft_store_hint(int e)
{
    switch (e) {
    case ENOSPC:
    case EDQUOT:
        return "; free some space on that file system";
    case EACCES:
    case EPERM:
        return "; check the owner and permissions of that directory";
    case EROFS:
        return "; that file system is mounted read-only";
    case EXDEV:
        return "; put both directories on the same file system";
    default:
        return "";
    }
}

/* ---------- opening and closing ---------- */

static int open_dir(struct uft_store *st, const char *path, const char *what, int *fd)
{
    *fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*fd < 0) {
        int e = errno;
        return uft_store_fail(st, UFT_E_IO, e, "cannot open %s %s: %s%s", what, path, strerror(e),
                              e == ENOENT ? "; create it first" : uft_store_hint(e));
    }
    return 0;
}

/* -T must be on the destination's file system: a finished session is
 * moved with rename(2). Try it with a probe file. */
static int probe_same_fs(struct uft_store *st)
{
    char probe[64];
    int fd, e;
    snprintf(probe, sizeof probe, ".uftpd-probe-%ld", (long)getpid());
    fd = openat(st->temp_fd, probe, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        e = errno;
        return uft_store_fail(st, UFT_E_IO, e, "cannot write in temp directory %s: %s%s",
                              st->temp_dir, strerror(e), uft_store_hint(e));
    }
    close(fd);
    if (renameat(st->temp_fd, probe, st->dir_fd[0], probe) != 0) {
        e = errno;
        unlinkat(st->temp_fd, probe, 0);
        return uft_store_fail(st, UFT_E_IO, e,
                              "cannot move files from temp directory %s to %s: %s%s", st->temp_dir,
                              st->dir[0], strerror(e),
                              e == EXDEV ? "; put the temp directory (-T) on the destination's "
                                           "file system"
                                         : uft_store_hint(e));
    }
    unlinkat(st->dir_fd[0], probe, 0);
    return 0;
}

static int check_cfg(struct uft_store *st, const struct uft_store_cfg *cfg)
{
    if (cfg->n_dirs == 0 || cfg->n_dirs > UFT_STORE_MAX_DIRS)
        return uft_store_fail(st, UFT_E_INVAL, 0, "between 1 and %d destination directories",
                              UFT_STORE_MAX_DIRS);
    if (cfg->n_backups && cfg->n_backups != cfg->n_dirs)
        return uft_store_fail(st, UFT_E_INVAL, 0, "one backup directory for each destination");
    if (cfg->temp_dir && cfg->n_dirs != 1)
        return uft_store_fail(st, UFT_E_INVAL, 0, "a temp directory needs a single destination");
    return 0;
}

int uft_store_open_cfg(struct uft_store *st, const struct uft_store_cfg *cfg)
{
    size_t i;
    int rc;
    memset(st, 0, sizeof *st);
    for (i = 0; i < UFT_STORE_MAX_DIRS; i++)
        st->dir_fd[i] = st->backup_fd[i] = -1;
    st->temp_fd = -1;
    if ((rc = check_cfg(st, cfg)) != 0)
        return rc;
    for (i = 0; i < cfg->n_dirs; i++) {
        st->dir[i] = cfg->dirs[i];
        if ((rc = open_dir(st, cfg->dirs[i], "destination directory", &st->dir_fd[i])) != 0)
            goto out;
    }
    st->n_dirs = cfg->n_dirs;
    for (i = 0; i < cfg->n_backups; i++) {
        st->backup[i] = cfg->backups[i];
        if ((rc = open_dir(st, cfg->backups[i], "backup directory", &st->backup_fd[i])) != 0)
            goto out;
    }
    st->n_backups = cfg->n_backups;
    if (cfg->temp_dir) {
        st->temp_dir = cfg->temp_dir;
        if ((rc = open_dir(st, cfg->temp_dir, "temp directory", &st->temp_fd)) != 0 ||
            (rc = probe_same_fs(st)) != 0)
            goto out;
    }
    st->move_each = cfg->move_each;
    st->refresh_ns = cfg->refresh_ns ? cfg->refresh_ns : 5000000000u;
    st->cache_bytes = cfg->cache_bytes ? cfg->cache_bytes : 1048576u;
    st->placed = cfg->placed;
    st->log = cfg->log;
    st->ctx = cfg->ctx;
    return 0;
out:
    uft_store_close(st);
    return rc;
}

int uft_store_open(struct uft_store *st, const char *const *dirs, size_t n)
{
    struct uft_store_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.dirs = dirs;
    cfg.n_dirs = n;
    return uft_store_open_cfg(st, &cfg);
}

void uft_store_close(struct uft_store *st)
{
    size_t i;
    uft_store_sess_free_all(st);
    for (i = 0; i < UFT_STORE_MAX_DIRS; i++) {
        if (st->dir_fd[i] >= 0)
            close(st->dir_fd[i]);
        if (st->backup_fd[i] >= 0)
            close(st->backup_fd[i]);
        st->dir_fd[i] = st->backup_fd[i] = -1;
    }
    if (st->temp_fd >= 0)
        close(st->temp_fd);
    st->temp_fd = -1;
}

/* ---------- names ---------- */

/* Split a network name into a destination directory and a relative path.
 * Absolute names must lie inside one of the destination directories;
 * with -T they are refused, as UFTP does. */
static int pick_root(struct uft_store *st, const char *name, size_t *root, const char **rel)
{
    size_t i;
    if (!*name)
        return uft_store_fail(st, UFT_E_VALUE, 0, "empty file name");
    if (strlen(name) > STORE_MAX_NAME)
        return uft_store_fail(st, UFT_E_VALUE, 0, "file name longer than %d bytes", STORE_MAX_NAME);
    if (name[0] != '/') {
        *root = 0;
        *rel = name;
        return 0;
    }
    if (st->temp_fd >= 0)
        return uft_store_fail(st, UFT_E_VALUE, 0,
                              "absolute name %s refused: with a temp directory (-T) only "
                              "relative names are accepted",
                              name);
    for (i = 0; i < st->n_dirs; i++) {
        size_t n = strlen(st->dir[i]);
        if (strncmp(name, st->dir[i], n) == 0 && name[n] == '/' && name[n + 1]) {
            *root = i;
            *rel = name + n + 1;
            return 0;
        }
    }
    return uft_store_fail(st, UFT_E_VALUE, 0,
                          "absolute name %s is outside every destination directory", name);
}

static bool has_dotdot(const char *path)
{
    const char *c;
    for (c = path; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
        if (strncmp(c, "..", 2) == 0 && (c[2] == '/' || c[2] == '\0'))
            return true;
    return false;
}

/* One step of the walk: open (and with create, first make) comp in fd. */
static int step(struct uft_store *st, int *fd, const char *comp, const char *shown, bool create)
{
    int sub, e;
    if (create && mkdirat(*fd, comp, 0755) != 0 && errno != EEXIST) {
        e = errno;
        return uft_store_fail(st, UFT_E_IO, e, "cannot create directory %s in %s: %s%s", comp,
                              shown, strerror(e), uft_store_hint(e));
    }
    sub = openat(*fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) {
        e = errno;
        return uft_store_fail(st, UFT_E_VALUE, e, "%s: %s is %s", shown, comp,
                              e == ENOTDIR || e == ELOOP ? "not a plain directory (a link?)"
                                                         : strerror(e));
    }
    close(*fd);
    *fd = sub;
    return 0;
}

int uft_store_resolve(struct uft_store *st, int root, const char *rel, const char *shown,
                      bool create, int *dir, char *base, size_t base_cap)
{
    char buf[STORE_REL_CAP + 1], *comp, *next, *save = NULL;
    int fd, rc;
    if (strlen(rel) > STORE_REL_CAP)
        return uft_store_fail(st, UFT_E_VALUE, 0, "name %s is too long", shown);
    snprintf(buf, sizeof buf, "%s", rel);
    /* ".." anywhere refuses the name before anything is touched */
    if (has_dotdot(buf))
        return uft_store_fail(st, UFT_E_VALUE, 0, "name %s contains '..'", shown);
    fd = dup(root);
    if (fd < 0)
        return uft_store_fail(st, UFT_E_IO, errno, "dup: %s", strerror(errno));
    comp = strtok_r(buf, "/", &save);
    while (comp && (next = strtok_r(NULL, "/", &save)) != NULL) {
        if (strcmp(comp, ".") != 0 && (rc = step(st, &fd, comp, shown, create)) != 0) {
            close(fd);
            return rc;
        }
        comp = next;
    }
    if (!comp || strcmp(comp, ".") == 0 || strlen(comp) >= base_cap) {
        close(fd);
        return uft_store_fail(st, UFT_E_VALUE, 0, "name %s does not end in a file name", shown);
    }
    snprintf(base, base_cap, "%s", comp);
    *dir = fd;
    return 0;
}

/* Walk a network name to its parent: beneath the session directory with
 * -T, beneath its destination otherwise. */
static int walk(struct uft_store *st, struct uft_store_sess *s, const char *name, bool create,
                int *dir, char *base, size_t base_cap)
{
    const char *rel = NULL;
    size_t root = 0;
    int rc;
    if ((rc = pick_root(st, name, &root, &rel)) != 0)
        return rc;
    return uft_store_resolve(st, s && s->dir_fd >= 0 ? s->dir_fd : st->dir_fd[root], rel, name,
                             create, dir, base, base_cap);
}

static int refuse(struct uft_store *st)
{
    st->refused++;
    return UFT_COMP_REJECTED;
}

/* ---------- regular files ---------- */

/* What stands at base in dir decides: UFTP's sync rule, and never a file
 * over a directory. */
static int check_existing(struct uft_store *st, int dir, const char *base, const char *name,
                          uint64_t size, int64_t mtime, bool sync)
{
    struct stat old;
    if (fstatat(dir, base, &old, AT_SYMLINK_NOFOLLOW) != 0)
        return UFT_COMP_NORMAL;
    if (S_ISDIR(old.st_mode)) {
        uft_store_fail(st, 0, EISDIR,
                       "%s is a directory in the destination; remove it there "
                       "or send the file under another name",
                       name);
        return UFT_COMP_REJECTED;
    }
    if (!sync)
        return UFT_COMP_NORMAL;
    /* UFTP's sync rule: older, or same age and size, is skipped */
    if (mtime < (int64_t)old.st_mtime ||
        (mtime == (int64_t)old.st_mtime && size == (uint64_t)old.st_size))
        return UFT_COMP_SKIPPED;
    return UFT_COMP_OVERWRITE;
}

/* The decision against the destination, and f->dir_fd where the file is
 * received: its destination, or the session directory with -T. */
static int decide(struct uft_store *st, struct uft_store_file *f, bool sync, bool preview)
{
    char base[256] = "";
    int dir, status;
    if (uft_store_resolve(st, st->dir_fd[f->root], f->rel, f->name, !preview && f->sess->dir_fd < 0,
                          &dir, base, sizeof base) == 0) {
        status = check_existing(st, dir, base, f->name, f->size, f->mtime, sync);
        if (status == UFT_COMP_SKIPPED || status == UFT_COMP_REJECTED || preview ||
            f->sess->dir_fd >= 0)
            close(dir);
        else
            f->dir_fd = dir;
    } else if (f->sess->dir_fd >= 0 && st->last_errno == ENOENT) {
        status = UFT_COMP_NORMAL; /* its directory is not there yet */
    } else {
        return UFT_COMP_REJECTED;
    }
    if (f->dir_fd < 0 && !preview && status != UFT_COMP_SKIPPED && status != UFT_COMP_REJECTED) {
        if (uft_store_resolve(st, f->sess->dir_fd, f->rel, f->name, true, &f->dir_fd, base,
                              sizeof base) != 0)
            return UFT_COMP_REJECTED;
    }
    snprintf(f->final_name, sizeof f->final_name, "%s", base);
    return status;
}

/* Where f is received, for messages: a path the user can look at. */
static const char *where(const struct uft_store *st, const struct uft_store_file *f, char *buf,
                         size_t cap)
{
    if (f->sess->dir_fd >= 0)
        snprintf(buf, cap, "%s/_group_%08X/%s", st->temp_dir, f->sess->group, f->rel);
    else
        snprintf(buf, cap, "%s/%s", st->dir[f->root], f->rel);
    return buf;
}

static int open_temp(struct uft_store *st, struct uft_store_file *f, uint32_t group)
{
    struct statvfs vfs;
    char w[1024];
    int e;
    if (fstatvfs(f->dir_fd, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < f->size)
        return uft_store_fail(st, UFT_E_IO, ENOSPC,
                              "not enough disk space for %s (%llu bytes); free some space "
                              "on that file system",
                              where(st, f, w, sizeof w), (unsigned long long)f->size);
    /* UFTP's own temporary name: <name>.~uftp-GGGGGGGG-FFFF */
    snprintf(f->tmp_name, sizeof f->tmp_name, "%s.~uftp-%08X-%04X", f->final_name, group,
             f->tmp_fid);
    unlinkat(f->dir_fd, f->tmp_name, 0);
    f->fd =
        openat(f->dir_fd, f->tmp_name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        e = errno;
        return uft_store_fail(st, UFT_E_IO, e, "cannot create %s.~uftp-%08X-%04X: %s%s",
                              where(st, f, w, sizeof w), group, f->tmp_fid, strerror(e),
                              uft_store_hint(e));
    }
    return 0;
}

static void free_file(struct uft_store_file *f)
{
    free(f->wbuf);
    if (f->fd >= 0)
        close(f->fd);
    if (f->dir_fd >= 0)
        close(f->dir_fd);
    free(f->have);
    free(f->resume.have);
    free(f);
}

int uft_store_begin(struct uft_store *st, const char *name, uint64_t size, int64_t mtime,
                    uint32_t group, uint16_t file_id, bool sync, bool preview,
                    struct uft_store_file **out)
{
    struct uft_store_file *f;
    struct uft_store_sess *s;
    struct store_entry *e;
    int status;
    *out = NULL;
    f = calloc(1, sizeof *f);
    if (!f)
        return uft_store_fail(st, UFT_COMP_REJECTED, ENOMEM, "out of memory");
    f->fd = f->dir_fd = -1;
    f->size = size;
    f->mtime = mtime;
    f->tmp_fid = file_id;
    if (pick_root(st, name, &f->root, &f->rel) != 0 || !(s = uft_store_sess_get(st, group))) {
        free_file(f);
        return refuse(st);
    }
    f->sess = s;
    snprintf(f->name, sizeof f->name, "%s", name);
    f->rel = f->name + (f->rel - name);
    status = decide(st, f, sync, preview);
    if (status == UFT_COMP_SKIPPED || status == UFT_COMP_REJECTED || preview) {
        free_file(f);
        return status == UFT_COMP_REJECTED ? refuse(st) : status;
    }
    e = s->dir_fd >= 0 ? uft_store_sess_find(s, f->name, size) : NULL;
    if (!(e && uft_store_resume(st, f, e) == 0) && open_temp(st, f, group) != 0) {
        free_file(f);
        return refuse(st);
    }
    s->cur = f;
    s->open_files++;
    *out = f;
    return status;
}

/* Does the earlier session's bitmap cover every byte of block b? */
static bool resumed_has(const struct uft_store_file *f, uint32_t b)
{
    const struct store_entry *r = &f->resume;
    uint64_t a = (uint64_t)b * f->block_len, z = a + f->block_len, j;
    if (!r->have || !r->block_len)
        return false;
    if (z > f->size)
        z = f->size;
    for (j = a / r->block_len; j * r->block_len < z; j++)
        if (j >= r->blocks || !(r->have[j / 8] & (1u << (j % 8))))
            return false;
    return true;
}

void uft_store_file_have(struct uft_store *st, struct uft_store_file *f, uint32_t block_len,
                         uint32_t blocks, uint8_t *have)
{
    uint32_t b;
    (void)st;
    free(f->have);
    f->have = block_len ? calloc((size_t)blocks / 8 + 1, 1) : NULL;
    f->block_len = f->have ? block_len : 0;
    f->blocks = f->have ? blocks : 0;
    f->have_count = 0;
    for (b = 0; b < f->blocks; b++) {
        if (!f->complete && !resumed_has(f, b))
            continue;
        f->have[b / 8] = (uint8_t)(f->have[b / 8] | (1u << (b % 8)));
        have[b / 8] = (uint8_t)(have[b / 8] | (1u << (b % 8)));
        f->have_count++;
    }
}

/* Note the whole blocks that [off, off + len) covers. */
static void mark_blocks(struct uft_store_file *f, uint64_t off, size_t len)
{
    uint64_t b, end = off + len;
    if (!f->block_len)
        return;
    for (b = (off + f->block_len - 1) / f->block_len; b < f->blocks; b++) {
        uint64_t z = (b + 1) * f->block_len;
        if ((z > f->size ? f->size : z) > end)
            break;
        if (!(f->have[b / 8] & (1u << (b % 8)))) {
            f->have[b / 8] = (uint8_t)(f->have[b / 8] | (1u << (b % 8)));
            f->have_count++;
        }
    }
}

static int write_out(struct uft_store *st, struct uft_store_file *f, uint64_t off,
                     const uint8_t *data, size_t len)
{
    uint64_t at = off;
    size_t left = len;
    char w[1024];
    if (f->fd < 0)
        return uft_store_fail(st, UFT_E_IO, EBADF, "cannot write %s: not open",
                              where(st, f, w, sizeof w));
    while (left > 0) {
        ssize_t n = pwrite(f->fd, data, left, (off_t)at);
        int e = errno;
        if (n < 0 && e == EINTR)
            continue;
        if (n <= 0)
            return uft_store_fail(st, e == ENOSPC ? UFT_E_NOSPACE : UFT_E_IO, n < 0 ? e : EIO,
                                  "cannot write %s: %s%s", where(st, f, w, sizeof w),
                                  n < 0 ? strerror(e) : "short write", uft_store_hint(e));
        data += n;
        left -= (size_t)n;
        at += (uint64_t)n;
    }
    mark_blocks(f, off, len);
    return 0;
}

int uft_store_flush(struct uft_store *st, struct uft_store_file *f)
{
    int rc;
    if (!f->wlen)
        return 0;
    rc = write_out(st, f, f->woff, f->wbuf, f->wlen);
    f->wlen = 0;
    return rc;
}

/* Blocks mostly arrive in order: gather a run of them and write it with
 * one call (UFTP's -c cache) instead of one system call per block. */
int uft_store_write(struct uft_store *st, struct uft_store_file *f, uint64_t off,
                    const uint8_t *data, size_t len)
{
    int rc = 0;
    if (!f->wbuf && st->cache_bytes > len && f->size > len) {
        f->wcap = f->size < st->cache_bytes ? (size_t)f->size : st->cache_bytes;
        f->wbuf = malloc(f->wcap);
        if (!f->wbuf)
            f->wcap = 0;
    }
    if (f->wlen && (off != f->woff + f->wlen || f->wlen + len > f->wcap))
        rc = uft_store_flush(st, f);
    if (rc == 0 && len <= f->wcap) {
        if (!f->wlen)
            f->woff = off;
        memcpy(f->wbuf + f->wlen, data, len);
        f->wlen += len;
    } else if (rc == 0) {
        rc = write_out(st, f, off, data, len);
    }
    if (rc == 0 && f->sess->dir_fd >= 0)
        uft_store_record_refresh(st, f->sess, false);
    return rc;
}

int uft_store_read(struct uft_store *st, struct uft_store_file *f, uint64_t off, uint8_t *buf,
                   size_t len)
{
    char w[1024];
    int rc;
    if (f->fd < 0)
        return uft_store_fail(st, UFT_E_IO, EBADF, "cannot read back %s: not open",
                              where(st, f, w, sizeof w));
    /* what the write cache holds goes to the file first */
    if ((rc = uft_store_flush(st, f)) != 0)
        return rc;
    while (len > 0) {
        ssize_t n = pread(f->fd, buf, len, (off_t)off);
        int e = errno;
        if (n < 0 && e == EINTR)
            continue;
        if (n <= 0)
            return uft_store_fail(st, UFT_E_IO, n < 0 ? e : EIO, "cannot read back %s: %s",
                                  where(st, f, w, sizeof w), n < 0 ? strerror(e) : "short read");
        buf += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* Finish the temporary file and rename it into place: the session
 * directory with -T, the destination otherwise or with -T -i. */
static int commit_file(struct uft_store *st, struct uft_store_file *f)
{
    struct timespec ts[2] = {{f->mtime, 0}, {f->mtime, 0}};
    char base[256], w[1024];
    int dir = f->dir_fd, rc = 0, e;
    bool into_dest = f->sess->dir_fd < 0 || st->move_each;
    if ((rc = uft_store_flush(st, f)) != 0)
        return rc;
    if (ftruncate(f->fd, (off_t)f->size) != 0 || futimens(f->fd, ts) != 0 || close(f->fd) != 0) {
        e = errno;
        f->fd = -1;
        return uft_store_fail(st, UFT_E_IO, e, "cannot finish %s: %s%s", where(st, f, w, sizeof w),
                              strerror(e), uft_store_hint(e));
    }
    f->fd = -1;
    if (f->sess->dir_fd >= 0 && st->move_each &&
        (rc = uft_store_resolve(st, st->dir_fd[f->root], f->rel, f->name, true, &dir, base,
                                sizeof base)) != 0)
        return rc;
    if (into_dest)
        rc = uft_store_backup(st, f->sess, f->root, f->rel, dir, f->final_name, false);
    if (rc == 0 && renameat(f->dir_fd, f->tmp_name, dir, f->final_name) != 0) {
        char to[1024];
        e = errno;
        if (into_dest)
            snprintf(to, sizeof to, "%s/%s", st->dir[f->root], f->rel);
        else
            where(st, f, to, sizeof to);
        rc = uft_store_fail(
            st, UFT_E_IO, e, "cannot move %s.~uftp-%08X-%04X into place as %s: %s%s",
            where(st, f, w, sizeof w), f->sess->group, f->tmp_fid, to, strerror(e),
            e == EISDIR ? "; a directory of that name is in the way" : uft_store_hint(e));
    }
    if (dir != f->dir_fd)
        close(dir);
    return rc;
}

/* After a commit: remember the file for a restart (-T), tell the app. */
static void placed_file(struct uft_store *st, struct uft_store_file *f)
{
    char path[1024];
    const char *p = path;
    if (f->sess->dir_fd >= 0) {
        struct store_entry e;
        memset(&e, 0, sizeof e);
        snprintf(e.name, sizeof e.name, "%s", f->name);
        e.state = st->move_each ? ST_PLACED : ST_DONE;
        e.size = f->size;
        uft_store_sess_add(f->sess, &e);
        uft_store_record_refresh(st, f->sess, false);
        if (!st->move_each)
            return;
    }
    snprintf(path, sizeof path, "%s/%s", st->dir[f->root], f->rel);
    if (st->placed)
        st->placed(st->ctx, f->sess->group, &p, 1);
}

/* Not committed: with -T keep what was received for a restart, else
 * remove it. */
static void drop_file(struct uft_store *st, struct uft_store_file *f)
{
    if (f->sess->dir_fd >= 0 && f->fd >= 0)
        uft_store_flush(st, f); /* kept for a restart: what was received counts */
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (f->sess->dir_fd >= 0 && f->have && f->have_count > 0) {
        struct store_entry e;
        memset(&e, 0, sizeof e);
        snprintf(e.name, sizeof e.name, "%s", f->name);
        e.state = ST_PARTIAL;
        e.tmp_fid = f->tmp_fid;
        e.size = f->size;
        e.block_len = f->block_len;
        e.blocks = f->blocks;
        e.have = f->have;
        if (uft_store_sess_add(f->sess, &e) == 0) {
            f->have = NULL; /* the session owns it now */
            return;
        }
    }
    unlinkat(f->dir_fd, f->tmp_name, 0);
}

int uft_store_end(struct uft_store *st, struct uft_store_file *f, bool commit)
{
    int rc = 0;
    if (f->sess->cur == f)
        f->sess->cur = NULL;
    f->sess->open_files--;
    if (f->complete) {
        free_file(f);
        return 0;
    }
    if (commit) {
        rc = commit_file(st, f);
        if (rc)
            unlinkat(f->dir_fd, f->tmp_name, 0);
        else
            placed_file(st, f);
    } else {
        drop_file(st, f);
    }
    free_file(f);
    return rc;
}

/* ---------- directories, links, deletes ---------- */

int uft_store_mkdir(struct uft_store *st, uint32_t group, const char *name)
{
    struct uft_store_sess *s = uft_store_sess_get(st, group);
    char base[256];
    int dir, rc, e;
    if (!s || walk(st, s, name, true, &dir, base, sizeof base) != 0)
        return refuse(st);
    rc = mkdirat(dir, base, 0755) == 0 || errno == EEXIST ? UFT_COMP_NORMAL : UFT_COMP_REJECTED;
    if (rc != UFT_COMP_NORMAL) {
        e = errno;
        uft_store_fail(st, 0, e, "cannot create directory %s: %s%s", name, strerror(e),
                       uft_store_hint(e));
    }
    close(dir);
    return rc;
}

int uft_store_symlink(struct uft_store *st, uint32_t group, const char *name, const char *target)
{
    struct uft_store_sess *s = uft_store_sess_get(st, group);
    char base[256], tmp[320];
    struct stat old;
    const char *rel = NULL;
    size_t root = 0;
    int dir, rc = UFT_COMP_NORMAL, e;
    if (!s || pick_root(st, name, &root, &rel) != 0 ||
        walk(st, s, name, true, &dir, base, sizeof base) != 0)
        return refuse(st);
    if (fstatat(dir, base, &old, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(old.st_mode)) {
        uft_store_fail(st, 0, EISDIR, "cannot create link %s: a directory of that name is there",
                       name);
        close(dir);
        return refuse(st);
    }
    /* made beside its place and renamed over it, so the old entry (kept
     * first with -A) is replaced in one step */
    snprintf(tmp, sizeof tmp, "%s.~uftp-%08X-link", base, group);
    unlinkat(dir, tmp, 0);
    if (symlinkat(target, dir, tmp) != 0) {
        rc = UFT_COMP_REJECTED;
    } else if (s->dir_fd < 0 && uft_store_backup(st, s, root, rel, dir, base, false) != 0) {
        unlinkat(dir, tmp, 0);
        close(dir);
        return refuse(st); /* last_error says why */
    } else if (renameat(dir, tmp, dir, base) != 0) {
        rc = UFT_COMP_REJECTED;
    }
    if (rc != UFT_COMP_NORMAL) {
        e = errno;
        uft_store_fail(st, 0, e, "cannot create link %s: %s%s", name, strerror(e),
                       uft_store_hint(e));
        unlinkat(dir, tmp, 0);
    }
    close(dir);
    return rc;
}

int uft_store_remove_tree(int dir, const char *base, int depth)
{
    struct stat sb;
    if (fstatat(dir, base, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? 0 : -1;
    if (S_ISDIR(sb.st_mode) && depth < 64) {
        int sub = openat(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *d = sub >= 0 ? fdopendir(sub) : NULL;
        struct dirent *de;
        if (!d) {
            if (sub >= 0)
                close(sub);
            return -1;
        }
        while ((de = readdir(d)) != NULL)
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                uft_store_remove_tree(dirfd(d), de->d_name, depth + 1);
        closedir(d);
        return unlinkat(dir, base, AT_REMOVEDIR);
    }
    return unlinkat(dir, base, 0);
}

/* A delete acts on the destination (kept first with -A); with -T what
 * the session holds under that name goes too. */
int uft_store_delete(struct uft_store *st, uint32_t group, const char *name)
{
    struct uft_store_sess *s = uft_store_sess_get(st, group);
    char base[256];
    const char *rel = NULL;
    size_t root = 0;
    int dir, rc = UFT_COMP_NORMAL, e;
    if (!s || pick_root(st, name, &root, &rel) != 0 ||
        uft_store_resolve(st, st->dir_fd[root], rel, name, false, &dir, base, sizeof base) != 0)
        return refuse(st);
    if (uft_store_backup(st, s, root, rel, dir, base, true) != 0) {
        close(dir);
        return refuse(st);
    }
    if (uft_store_remove_tree(dir, base, 0) != 0) {
        e = errno;
        uft_store_fail(st, 0, e, "cannot delete %s: %s%s", name, strerror(e), uft_store_hint(e));
        rc = UFT_COMP_REJECTED;
    }
    close(dir);
    if (s->dir_fd >= 0 && walk(st, s, name, false, &dir, base, sizeof base) == 0) {
        uft_store_remove_tree(dir, base, 0);
        close(dir);
    }
    return rc;
}

uint64_t uft_store_free(const struct uft_store *st)
{
    struct statvfs vfs;
    if (st->n_dirs == 0 || fstatvfs(st->dir_fd[0], &vfs) != 0)
        return 0;
    return (uint64_t)vfs.f_bavail * vfs.f_frsize;
}
