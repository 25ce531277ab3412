/*
 * Safe storage for received files. The walk from a destination directory
 * to a file's parent opens one component at a time with O_NOFOLLOW and
 * O_DIRECTORY, relative to the previous one: a ".." is refused before any
 * walk, and a symbolic link anywhere on the path stops it. That is
 * stricter than following links that stay inside the destination, and it
 * needs no kernel support beyond openat(2).
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

#define MAX_PATH_NAME 300

static int fail(struct uft_store *st, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct uft_store *st, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->last_error, sizeof st->last_error, fmt, ap);
    va_end(ap);
    return rc;
}

int uft_store_open(struct uft_store *st, const char *const *dirs, size_t n)
{
    size_t i;
    memset(st, 0, sizeof *st);
    for (i = 0; i < UFT_STORE_MAX_DIRS; i++)
        st->dir_fd[i] = -1;
    if (n == 0 || n > UFT_STORE_MAX_DIRS)
        return fail(st, UFT_E_INVAL, "between 1 and %d destination directories",
                    UFT_STORE_MAX_DIRS);
    for (i = 0; i < n; i++) {
        st->dir_fd[i] = open(dirs[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
        st->dir[i] = dirs[i];
        if (st->dir_fd[i] < 0) {
            int e = errno;
            uft_store_close(st);
            return fail(st, UFT_E_IO, "cannot open destination directory %s: %s", dirs[i],
                        strerror(e));
        }
    }
    st->n_dirs = n;
    return 0;
}

void uft_store_close(struct uft_store *st)
{
    size_t i;
    for (i = 0; i < UFT_STORE_MAX_DIRS; i++) {
        if (st->dir_fd[i] >= 0)
            close(st->dir_fd[i]);
        st->dir_fd[i] = -1;
    }
}

/* Split a network name into a destination directory and a relative path.
 * Absolute names must lie inside one of the destination directories. */
static int pick_root(struct uft_store *st, const char *name, int *root, const char **rel)
{
    size_t i;
    if (!*name)
        return fail(st, UFT_E_VALUE, "empty file name");
    if (strlen(name) > MAX_PATH_NAME)
        return fail(st, UFT_E_VALUE, "file name longer than %d bytes", MAX_PATH_NAME);
    if (name[0] != '/') {
        *root = st->dir_fd[0];
        *rel = name;
        return 0;
    }
    for (i = 0; i < st->n_dirs; i++) {
        size_t n = strlen(st->dir[i]);
        if (strncmp(name, st->dir[i], n) == 0 && name[n] == '/' && name[n + 1]) {
            *root = st->dir_fd[i];
            *rel = name + n + 1;
            return 0;
        }
    }
    return fail(st, UFT_E_VALUE, "absolute name %s is outside every destination directory", name);
}

/* Walk rel beneath root to its parent directory, creating missing
 * directories when create is set. *dir gets an O_PATH fd of the parent,
 * base its last component. */
static int walk(struct uft_store *st, const char *name, bool create, int *dir, char *base,
                size_t base_cap)
{
    char buf[MAX_PATH_NAME + 1], *comp, *next, *save = NULL;
    const char *rel = NULL;
    int root = -1, fd, rc;
    if ((rc = pick_root(st, name, &root, &rel)))
        return rc;
    snprintf(buf, sizeof buf, "%s", rel);
    /* ".." anywhere refuses the name before anything is touched */
    for (comp = buf; comp; comp = strchr(comp, '/') ? strchr(comp, '/') + 1 : NULL)
        if (strncmp(comp, "..", 2) == 0 && (comp[2] == '/' || comp[2] == '\0'))
            return fail(st, UFT_E_VALUE, "name %s contains '..'", name);
    fd = dup(root);
    if (fd < 0)
        return fail(st, UFT_E_IO, "dup: %s", strerror(errno));
    comp = strtok_r(buf, "/", &save);
    while (comp && (next = strtok_r(NULL, "/", &save)) != NULL) {
        int sub;
        if (strcmp(comp, ".") != 0) {
            if (create && mkdirat(fd, comp, 0755) != 0 && errno != EEXIST) {
                int e = errno;
                close(fd);
                return fail(st, UFT_E_IO, "cannot create directory %s in %s: %s", comp, name,
                            strerror(e));
            }
            sub = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0) {
                int e = errno;
                close(fd);
                return fail(st, UFT_E_VALUE, "%s: %s is %s", name, comp,
                            e == ENOTDIR || e == ELOOP ? "not a plain directory (a link?)"
                                                       : strerror(e));
            }
            close(fd);
            fd = sub;
        }
        comp = next;
    }
    if (!comp || strcmp(comp, ".") == 0 || strlen(comp) >= base_cap) {
        close(fd);
        return fail(st, UFT_E_VALUE, "name %s does not end in a file name", name);
    }
    snprintf(base, base_cap, "%s", comp);
    *dir = fd;
    return 0;
}

static int refuse(struct uft_store *st)
{
    st->refused++;
    return UFT_COMP_REJECTED;
}

int uft_store_begin(struct uft_store *st, const char *name, uint64_t size, int64_t mtime,
                    uint32_t group, uint16_t file_id, bool sync, bool preview,
                    struct uft_store_file **out)
{
    struct uft_store_file *f;
    struct stat old;
    struct statvfs vfs;
    int dir, status = UFT_COMP_NORMAL;
    char base[256];
    *out = NULL;
    if (walk(st, name, !preview, &dir, base, sizeof base) != 0)
        return refuse(st);
    if (fstatat(dir, base, &old, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISDIR(old.st_mode)) {
            close(dir);
            fail(st, 0, "%s is a directory", name);
            return refuse(st);
        }
        if (sync) {
            /* UFTP's sync rule: older, or same age and size, is skipped */
            if (mtime < (int64_t)old.st_mtime ||
                (mtime == (int64_t)old.st_mtime && size == (uint64_t)old.st_size)) {
                close(dir);
                return UFT_COMP_SKIPPED;
            }
            status = UFT_COMP_OVERWRITE;
        }
    }
    if (preview) {
        close(dir);
        return status;
    }
    if (fstatvfs(dir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < size) {
        close(dir);
        fail(st, 0, "not enough disk space for %s (%llu bytes)", name, (unsigned long long)size);
        return refuse(st);
    }
    f = calloc(1, sizeof *f);
    if (!f) {
        close(dir);
        return refuse(st);
    }
    f->dir_fd = dir;
    f->mtime = mtime;
    f->size = size;
    snprintf(f->final_name, sizeof f->final_name, "%s", base);
    /* UFTP's own temporary name: <name>.~uftp-GGGGGGGG-FFFF */
    snprintf(f->tmp_name, sizeof f->tmp_name, "%s.~uftp-%08X-%04X", base, group, file_id);
    unlinkat(dir, f->tmp_name, 0);
    f->fd = openat(dir, f->tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        fail(st, 0, "cannot create %s: %s", name, strerror(errno));
        close(dir);
        free(f);
        return refuse(st);
    }
    *out = f;
    return status;
}

int uft_store_write(struct uft_store *st, struct uft_store_file *f, uint64_t off,
                    const uint8_t *data, size_t len)
{
    while (len > 0) {
        ssize_t n = pwrite(f->fd, data, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return fail(st, errno == ENOSPC ? UFT_E_NOSPACE : UFT_E_IO, "cannot write %s: %s",
                        f->final_name, n < 0 ? strerror(errno) : "short write");
        data += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

int uft_store_end(struct uft_store *st, struct uft_store_file *f, bool commit)
{
    int rc = 0;
    if (commit) {
        struct timespec ts[2] = {{f->mtime, 0}, {f->mtime, 0}};
        if (ftruncate(f->fd, (off_t)f->size) != 0 || futimens(f->fd, ts) != 0 ||
            close(f->fd) != 0) {
            rc = fail(st, UFT_E_IO, "cannot finish %s: %s", f->final_name, strerror(errno));
        } else if (renameat(f->dir_fd, f->tmp_name, f->dir_fd, f->final_name) != 0) {
            rc =
                fail(st, UFT_E_IO, "cannot move %s into place: %s", f->final_name, strerror(errno));
        }
        f->fd = -1;
    }
    if (f->fd >= 0)
        close(f->fd);
    if (!commit || rc)
        unlinkat(f->dir_fd, f->tmp_name, 0);
    close(f->dir_fd);
    free(f);
    return rc;
}

int uft_store_mkdir(struct uft_store *st, const char *name)
{
    char base[256];
    int dir, rc;
    if (walk(st, name, true, &dir, base, sizeof base) != 0)
        return refuse(st);
    rc = mkdirat(dir, base, 0755) == 0 || errno == EEXIST ? UFT_COMP_NORMAL : UFT_COMP_REJECTED;
    if (rc != UFT_COMP_NORMAL)
        fail(st, 0, "cannot create directory %s: %s", name, strerror(errno));
    close(dir);
    return rc;
}

int uft_store_symlink(struct uft_store *st, const char *name, const char *target)
{
    char base[256];
    struct stat old;
    int dir, rc = UFT_COMP_NORMAL;
    if (walk(st, name, true, &dir, base, sizeof base) != 0)
        return refuse(st);
    if (fstatat(dir, base, &old, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(old.st_mode))
        unlinkat(dir, base, 0);
    if (symlinkat(target, dir, base) != 0) {
        fail(st, 0, "cannot create link %s: %s", name, strerror(errno));
        rc = UFT_COMP_REJECTED;
    }
    close(dir);
    return rc;
}

/* Remove an entry and, for a directory, everything below it, without
 * following any symbolic link. */
static int remove_tree(int dir, const char *base, int depth)
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
                remove_tree(dirfd(d), de->d_name, depth + 1);
        closedir(d);
        return unlinkat(dir, base, AT_REMOVEDIR);
    }
    return unlinkat(dir, base, 0);
}

int uft_store_delete(struct uft_store *st, const char *name)
{
    char base[256];
    int dir, rc = UFT_COMP_NORMAL;
    if (walk(st, name, false, &dir, base, sizeof base) != 0)
        return refuse(st);
    if (remove_tree(dir, base, 0) != 0) {
        fail(st, 0, "cannot delete %s: %s", name, strerror(errno));
        rc = UFT_COMP_REJECTED;
    }
    close(dir);
    return rc;
}

uint64_t uft_store_free(const struct uft_store *st)
{
    struct statvfs vfs;
    if (st->n_dirs == 0 || fstatvfs(st->dir_fd[0], &vfs) != 0)
        return 0;
    return (uint64_t)vfs.f_bavail * vfs.f_frsize;
}
