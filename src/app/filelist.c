/* Expanding uftp's operands into the list of entries to send. */
#include "app/filelist.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/msg.h"

#define MAX_NAME 300 /* UFTP's longest path name */

static void warn(const struct fl_opts *o, const char *fmt, const char *a, const char *b)
{
    char msg[1024];
    snprintf(msg, sizeof msg, fmt, a, b ? b : "");
    if (o->warn)
        o->warn(o->ctx, msg);
}

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (p) {
        memcpy(p, a, la);
        p[la] = '/';
        memcpy(p + la + 1, b, lb + 1);
    }
    return p;
}

static int add(struct fl_list *l, const char *src, const char *name, uint8_t ftype,
               const struct stat *st, const char *link)
{
    struct fl_entry *e;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        struct fl_entry *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return UFT_E_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    e = &l->v[l->n];
    memset(e, 0, sizeof *e);
    e->src = src ? strdup(src) : NULL;
    e->name = strdup(name);
    e->link = link ? strdup(link) : NULL;
    if ((src && !e->src) || !e->name || (link && !e->link)) {
        free(e->src);
        free(e->name);
        free(e->link);
        return UFT_E_NOMEM;
    }
    e->ftype = ftype;
    if (st) {
        e->size = ftype == UFT_FTYPE_REG ? (uint64_t)st->st_size : 0;
        e->mtime = (int64_t)st->st_mtime;
    }
    l->n++;
    return 0;
}

static bool excluded(const struct fl_opts *o, const char *rel)
{
    size_t i;
    for (i = 0; i < o->n_exclude; i++)
        if (strcmp(o->exclude[i], rel) == 0)
            return true;
    return false;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(const struct fl_opts *o, const char *dir, const char *rel, const char *dest,
                struct fl_list *l);

/* A directory: its entries in name order, or a directory entry when empty. */
static int walk_dir(const struct fl_opts *o, const char *path, const char *dir, const char *rel,
                    const char *dest, const struct stat *st, struct fl_list *l)
{
    DIR *d = opendir(path);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = 0;
    if (!d) {
        warn(o, "Skipping %s: cannot open directory: %s", path, strerror(errno));
        return 0;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            char **v = realloc(names, (cap = cap ? 2 * cap : 32) * sizeof *v);
            if (!v) {
                rc = UFT_E_NOMEM;
                break;
            }
            names = v;
        }
        if (!(names[n] = strdup(de->d_name))) {
            rc = UFT_E_NOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == 0 && n == 0)
        rc = add(l, path, dest, UFT_FTYPE_DIR, st, NULL);
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    for (i = 0; i < n && rc == 0; i++) {
        char *crel = join(rel, names[i]), *cdest = join(dest, names[i]);
        rc = crel && cdest ? walk(o, dir, crel, cdest, l) : UFT_E_NOMEM;
        free(crel);
        free(cdest);
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* One path: dir is the operand's directory, rel the path below it (what
 * -X matches), dest the name the clients get. */
static int walk(const struct fl_opts *o, const char *dir, const char *rel, const char *dest,
                struct fl_list *l)
{
    struct stat st;
    char *path = join(dir, rel);
    int rc = 0;
    if (!path)
        return UFT_E_NOMEM;
    if (strlen(dest) >= MAX_NAME) {
        warn(o, "Skipping %s: the name is longer than %s bytes", path, "299");
    } else if ((o->follow_links ? stat(path, &st) : lstat(path, &st)) != 0) {
        warn(o, "Skipping %s: %s", path, strerror(errno));
    } else if (excluded(o, rel)) {
        warn(o, "Skipping %s: excluded%s", path, NULL);
    } else if (S_ISREG(st.st_mode)) {
        rc = add(l, path, dest, UFT_FTYPE_REG, &st, NULL);
    } else if (S_ISLNK(st.st_mode)) {
        char target[MAX_NAME];
        ssize_t len = readlink(path, target, sizeof target - 1);
        if (len < 0) {
            warn(o, "Skipping %s: cannot read the link: %s", path, strerror(errno));
        } else {
            target[len] = '\0';
            rc = add(l, path, dest, UFT_FTYPE_LINK, &st, target);
        }
    } else if (S_ISDIR(st.st_mode)) {
        rc = walk_dir(o, path, dir, rel, dest, &st, l);
    } else {
        warn(o, "Skipping %s: not a regular file, directory or link%s", path, NULL);
    }
    free(path);
    return rc;
}

/* Split "a/b/c" into "a/b" and "c" (trailing separators ignored). */
static int split(const char *p, char **dir, char **base)
{
    size_t len = strlen(p);
    const char *slash;
    char *copy;
    while (len > 1 && p[len - 1] == '/')
        len--;
    copy = strndup(p, len);
    if (!copy)
        return UFT_E_NOMEM;
    slash = strrchr(copy, '/');
    if (!slash) {
        *dir = strdup(".");
        *base = copy;
    } else {
        *base = strdup(slash + 1);
        *dir = slash == copy ? strdup("/") : strndup(copy, (size_t)(slash - copy));
        free(copy);
    }
    if (!*dir || !*base) {
        free(*dir);
        free(*base);
        return UFT_E_NOMEM;
    }
    return 0;
}

/* The name below the base directory that matches, or NULL (skip). UFTP
 * keeps a leading '/' when the base lacks a trailing one, which makes
 * the name absolute; ufcast drops it, so "-E /a" and "-E /a/" agree. */
static const char *strip_base(const struct fl_opts *o, const char *path)
{
    size_t i;
    for (i = 0; i < o->n_base; i++) {
        size_t n = strlen(o->base_dirs[i]);
        if (strncmp(o->base_dirs[i], path, n) == 0) {
            path += n;
            while (*path == '/')
                path++;
            return *path ? path : NULL;
        }
    }
    return NULL;
}

static int one_operand(const struct fl_opts *o, const char *op, size_t n_ops, struct fl_list *l)
{
    bool del = strncmp(op, "@DELETE:", 8) == 0;
    const char *path = del ? op + 8 : op, *sent;
    char *dir = NULL, *base = NULL, *dest = NULL;
    int rc;
    if (strcmp(op, "@FREESPACE") == 0)
        return add(l, NULL, ".", UFT_FTYPE_FREESPACE, NULL, NULL);
    if ((rc = split(path, &dir, &base)))
        return rc;
    if (!*base) {
        warn(o, "Skipping %s: name a file or directory, not the root%s", op, NULL);
        goto out;
    }
    sent = base;
    if (o->n_base && !(sent = strip_base(o, path))) {
        warn(o, "Skipping %s: not under any -E base directory%s", op, NULL);
        goto out;
    }
    if (o->dest_name && *o->dest_name)
        dest = (n_ops > 1 || o->dest_is_dir) ? join(o->dest_name, sent) : strdup(o->dest_name);
    else
        dest = strdup(sent);
    if (!dest) {
        rc = UFT_E_NOMEM;
        goto out;
    }
    if (del)
        rc = strlen(dest) < MAX_NAME ? add(l, NULL, dest, UFT_FTYPE_DELETE, NULL, NULL) : 0;
    else
        rc = walk(o, dir, base, dest, l);
out:
    free(dir);
    free(base);
    free(dest);
    return rc;
}

int filelist_build(const struct fl_opts *o, char *const *operands, size_t n, struct fl_list *list)
{
    size_t i;
    int rc;
    for (i = 0; i < n; i++)
        if ((rc = one_operand(o, operands[i], n, list)))
            return rc;
    return 0;
}

void filelist_free(struct fl_list *l)
{
    size_t i;
    for (i = 0; i < l->n; i++) {
        free(l->v[i].src);
        free(l->v[i].name);
        free(l->v[i].link);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

int filelist_read_lines(const char *path, char ***lines, size_t *n)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char *line = NULL, **v = NULL;
    size_t cap = 0, vcap = 0;
    ssize_t len;
    int rc = 0;
    *lines = NULL;
    *n = 0;
    if (!f)
        return UFT_E_IO;
    while ((len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (*n == vcap) {
            char **nv = realloc(v, (vcap = vcap ? 2 * vcap : 64) * sizeof *nv);
            if (!nv) {
                rc = UFT_E_NOMEM;
                break;
            }
            v = nv;
        }
        if (!(v[*n] = strdup(line))) {
            rc = UFT_E_NOMEM;
            break;
        }
        (*n)++;
    }
    if (rc == 0 && ferror(f))
        rc = UFT_E_IO;
    free(line);
    if (f != stdin)
        fclose(f);
    *lines = v;
    return rc;
}

void filelist_free_lines(char **lines, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}
