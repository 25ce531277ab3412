/*
 * Backups (-A): before a file is replaced or deleted, the old one is kept
 * under <A_i>/YYYYMMDD/HHMMSS/<its path beneath D_i>, the time being the
 * session's start in local time. The date directories are made 0755 by
 * the same link-refusing walk as everything else.
 *
 * A hard link keeps the old file: it costs no copy, and the old name
 * stays in place until the new file is renamed over it, so no reader
 * ever finds the name missing. Where a link cannot be made (the backup
 * directory on another file system) the file is copied to a temporary
 * name, synced and renamed, so a failed or partial copy never stands
 * under the backup's name. A deleted directory is renamed into the
 * backup as a whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "sys/store.h"
#include "sys/store_int.h"

/* Copy a regular file: to tmp in bdir, synced, then renamed to bbase. */
static int copy_file(int dir, const char *base, int bdir, const char *bbase, const struct stat *sb)
{
    char tmp[300], buf[65536];
    struct timespec ts[2];
    int in, out, e = 0;
    ssize_t n;
    snprintf(tmp, sizeof tmp, "%s.~uftp-backup", bbase);
    in = openat(dir, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return -1;
    unlinkat(bdir, tmp, 0);
    out = openat(bdir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) {
        e = errno;
        close(in);
        errno = e;
        return -1;
    }
    while (e == 0 && (n = read(in, buf, sizeof buf)) != 0) {
        ssize_t w = 0, k;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            e = errno;
        for (; e == 0 && w < n; w += k)
            if ((k = write(out, buf + w, (size_t)(n - w))) < 0)
                e = errno;
    }
    ts[0] = sb->st_atim;
    ts[1] = sb->st_mtim;
    if (e == 0 &&
        (fchmod(out, sb->st_mode & 07777) != 0 || futimens(out, ts) != 0 || fsync(out) != 0))
        e = errno;
    if (close(out) != 0 && e == 0)
        e = errno;
    close(in);
    if (e == 0 && renameat(bdir, tmp, bdir, bbase) != 0)
        e = errno;
    if (e)
        unlinkat(bdir, tmp, 0);
    errno = e;
    return e ? -1 : 0;
}

/* Keep what is at dir/base as bdir/bbase (see the file comment). */
static int keep(int dir, const char *base, int bdir, const char *bbase, const struct stat *sb)
{
    char target[4096];
    ssize_t n;
    if (S_ISDIR(sb->st_mode))
        return renameat(dir, base, bdir, bbase);
    if (linkat(dir, base, bdir, bbase, 0) == 0)
        return 0;
    if (errno != EXDEV && errno != EPERM && errno != EMLINK)
        return -1;
    if (S_ISREG(sb->st_mode))
        return copy_file(dir, base, bdir, bbase, sb);
    if (S_ISLNK(sb->st_mode)) {
        n = readlinkat(dir, base, target, sizeof target - 1);
        if (n < 0)
            return -1;
        target[n] = '\0';
        return symlinkat(target, bdir, bbase);
    }
    errno = ENOTSUP;
    return -1;
}

int uft_store_backup(struct uft_store *st, struct uft_store_sess *s, size_t root, const char *rel,
                     int dir, const char *base, bool is_delete)
{
    char path[STORE_REL_CAP + 1], bbase[256];
    struct stat sb, bs;
    struct tm tm;
    time_t t = (time_t)s->start;
    int bdir, e;
    if (root >= st->n_backups)
        return 0;
    if (fstatat(dir, base, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return 0; /* nothing there to keep */
    if (S_ISDIR(sb.st_mode) && !is_delete)
        return 0; /* directories are merged, never replaced */
    localtime_r(&t, &tm);
    if (snprintf(path, sizeof path, "%04d%02d%02d/%02d%02d%02d/%s", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 rel) >= (int)sizeof path)
        return uft_store_fail(st, UFT_E_IO, ENAMETOOLONG, "backup path for %s/%s is too long",
                              st->dir[root], rel);
    if (uft_store_resolve(st, st->backup_fd[root], path, path, true, &bdir, bbase, sizeof bbase) !=
        0) {
        char why[sizeof st->last_error];
        snprintf(why, sizeof why, "%s", st->last_error);
        return uft_store_fail(st, UFT_E_IO, st->last_errno,
                              "cannot back up %s/%s: no directory for it under %s (%s); "
                              "check that backup directory",
                              st->dir[root], rel, st->backup[root], why);
    }
    /* the same path twice in one session: the first copy is the older */
    if (fstatat(bdir, bbase, &bs, AT_SYMLINK_NOFOLLOW) == 0 ||
        keep(dir, base, bdir, bbase, &sb) == 0) {
        close(bdir);
        return 0;
    }
    e = errno;
    close(bdir);
    return uft_store_fail(st, UFT_E_IO, e, "cannot back up %s/%s to %s/%s: %s%s", st->dir[root],
                          rel, st->backup[root], path, strerror(e),
                          e == EXDEV ? "; a directory can only be kept on the destination's "
                                       "file system"
                                     : uft_store_hint(e));
}
