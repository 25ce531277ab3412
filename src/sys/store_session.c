/*
 * What the store keeps per session (group ID): the start time that names
 * -A backups and, with a temp directory (-T), the session directory, the
 * moves into the destination when the session completes, and the restart
 * record that lets a later session with the same group ID resume the
 * files a failed one left.
 *
 * The restart record, <T>/_group_GGGGGGGG_restart, is text, written to a
 * temporary name, synced and renamed, so a reader sees a whole record or
 * the previous one:
 *
 *   ufcast-restart 1
 *   group GGGGGGGG
 *   file STATE FFFF SIZE BLOCK_LEN BLOCKS HAVE NAME
 *   ...
 *
 * STATE is P (partial, under NAME.~uftp-GGGGGGGG-FFFF in the session
 * directory), D (complete, as NAME in the session directory) or M
 * (complete and already moved to the destination by -i). HAVE is, for P,
 * the received blocks as a bitmap in hex (bit i of byte i/8, LSB first,
 * (BLOCKS + 7) / 8 bytes), and "-" otherwise; BLOCK_LEN and BLOCKS are
 * 0 for D and M. NAME is the rest of the line, with backslash, control
 * bytes and DEL written as \xHH. UFTP's own record is a binary struct
 * dump; this one is only read by ufcast.
 *
 * The record is written when a session fails, and every refresh_ns while
 * files arrive, so even a daemon killed with SIGKILL resumes from its
 * last record (the partial file is fdatasync'ed first, so the bitmap
 * never claims blocks the disk does not hold).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "sys/clock.h"
#include "sys/store.h"
#include "sys/store_int.h"

/* ---------- sessions and their entries ---------- */

static void sess_free(struct uft_store_sess *s)
{
    while (s->n_ent)
        uft_store_sess_drop(s, s->n_ent - 1);
    free(s->ent);
    if (s->dir_fd >= 0)
        close(s->dir_fd);
    free(s);
}

void uft_store_sess_free_all(struct uft_store *st)
{
    while (st->sessions) {
        struct uft_store_sess *s = st->sessions;
        st->sessions = s->next;
        sess_free(s);
    }
}

struct store_entry *uft_store_sess_find(struct uft_store_sess *s, const char *name, uint64_t size)
{
    size_t i;
    for (i = 0; i < s->n_ent; i++)
        if (s->ent[i].size == size && strcmp(s->ent[i].name, name) == 0)
            return &s->ent[i];
    return NULL;
}

void uft_store_sess_drop(struct uft_store_sess *s, size_t i)
{
    free(s->ent[i].have);
    s->ent[i] = s->ent[--s->n_ent];
}

int uft_store_sess_add(struct uft_store_sess *s, const struct store_entry *e)
{
    size_t i;
    for (i = 0; i < s->n_ent; i++) {
        if (strcmp(s->ent[i].name, e->name) == 0) {
            free(s->ent[i].have);
            s->ent[i] = *e;
            return 0;
        }
    }
    if (s->n_ent == s->cap_ent) {
        size_t cap = s->cap_ent ? s->cap_ent * 2 : 16;
        struct store_entry *n = realloc(s->ent, cap * sizeof *n);
        if (!n)
            return UFT_E_NOMEM;
        s->ent = n;
        s->cap_ent = cap;
    }
    s->ent[s->n_ent++] = *e;
    return 0;
}

int uft_store_resume(struct uft_store *st, struct uft_store_file *f, struct store_entry *e)
{
    struct stat sb;
    char tmp[320];
    int fd, dir;
    snprintf(tmp, sizeof tmp, "%s.~uftp-%08X-%04X", f->final_name, f->sess->group, e->tmp_fid);
    if (e->state == ST_PARTIAL) {
        fd = openat(f->dir_fd, tmp, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
            (uint64_t)sb.st_size <= e->size) {
            f->fd = fd;
            f->tmp_fid = e->tmp_fid;
            snprintf(f->tmp_name, sizeof f->tmp_name, "%s", tmp);
            f->resume = *e; /* the bitmap moves to f */
            e->have = NULL;
            uft_store_sess_drop(f->sess, (size_t)(e - f->sess->ent));
            uft_store_note(st, 2, "[%08X] resuming %s from an earlier session", f->sess->group,
                           f->name);
            return 0;
        }
        if (fd >= 0)
            close(fd);
    } else {
        /* D: in the session directory; M: already in the destination */
        dir = f->dir_fd;
        if (e->state == ST_PLACED && uft_store_resolve(st, st->dir_fd[f->root], f->rel, f->name,
                                                       false, &dir, tmp, sizeof tmp) != 0)
            dir = -1;
        if (dir >= 0 && fstatat(dir, f->final_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(sb.st_mode) && (uint64_t)sb.st_size == e->size)
            f->complete = true;
        if (dir >= 0 && dir != f->dir_fd)
            close(dir);
        if (f->complete)
            return 0;
    }
    uft_store_sess_drop(f->sess, (size_t)(e - f->sess->ent));
    return -1;
}

/* ---------- the restart record ---------- */

static void put_name(FILE *fp, const char *name)
{
    const unsigned char *p;
    for (p = (const unsigned char *)name; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            fprintf(fp, "\\x%02X", *p);
        else
            fputc(*p, fp);
    }
    fputc('\n', fp);
}

static void put_entry(FILE *fp, const struct store_entry *e)
{
    size_t i;
    fprintf(fp, "file %c %04X %llu %u %u ", (char)e->state, e->tmp_fid, (unsigned long long)e->size,
            e->block_len, e->blocks);
    if (e->state == ST_PARTIAL && e->have)
        for (i = 0; i < ((size_t)e->blocks + 7) / 8; i++)
            fprintf(fp, "%02X", e->have[i]);
    else
        fputc('-', fp);
    fputc(' ', fp);
    put_name(fp, e->name);
}

static void put_all(FILE *fp, const struct uft_store_sess *s)
{
    const struct uft_store_file *f = s->cur;
    size_t i;
    fprintf(fp, "ufcast-restart 1\ngroup %08X\n", s->group);
    for (i = 0; i < s->n_ent; i++)
        put_entry(fp, &s->ent[i]);
    if (f && !f->complete && f->have && f->have_count > 0) {
        struct store_entry e;
        memset(&e, 0, sizeof e);
        snprintf(e.name, sizeof e.name, "%s", f->name);
        e.state = ST_PARTIAL;
        e.tmp_fid = f->tmp_fid;
        e.size = f->size;
        e.block_len = f->block_len;
        e.blocks = f->blocks;
        e.have = f->have;
        put_entry(fp, &e);
    }
}

static bool has_content(const struct uft_store_sess *s)
{
    return s->n_ent > 0 || (s->cur && !s->cur->complete && s->cur->have_count > 0);
}

static void record_write(struct uft_store *st, struct uft_store_sess *s)
{
    char name[64], tmp[80];
    FILE *fp = NULL;
    int fd, e = 0;
    snprintf(name, sizeof name, "_group_%08X_restart", s->group);
    snprintf(tmp, sizeof tmp, "%s.tmp", name);
    if (!has_content(s)) {
        unlinkat(st->temp_fd, name, 0);
        return;
    }
    fd = openat(st->temp_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || !(fp = fdopen(fd, "w"))) {
        e = errno;
        if (fd >= 0)
            close(fd);
    } else {
        put_all(fp, s);
        if (fflush(fp) != 0 || ferror(fp) || fsync(fd) != 0)
            e = errno ? errno : EIO;
        if (fclose(fp) != 0 && !e)
            e = errno;
        if (!e && renameat(st->temp_fd, tmp, st->temp_fd, name) != 0)
            e = errno;
    }
    if (e) {
        unlinkat(st->temp_fd, tmp, 0);
        uft_store_note(st, 0,
                       "cannot write restart record %s/%s: %s%s; a restart of group %08X "
                       "will receive its files anew",
                       st->temp_dir, name, strerror(e), uft_store_hint(e), s->group);
    }
}

void uft_store_record_refresh(struct uft_store *st, struct uft_store_sess *s, bool force)
{
    uint64_t now = uft_clock_now_ns();
    if (st->temp_fd < 0 || s->dir_fd < 0)
        return;
    if (!force && now - s->record_at_ns < st->refresh_ns)
        return;
    if (s->cur && s->cur->fd >= 0) {
        uft_store_flush(st, s->cur); /* the record may only name blocks on disk */
        fdatasync(s->cur->fd);
    }
    record_write(st, s);
    s->record_at_ns = now;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* NAME: the rest of the line, \xHH unescaped. */
static const char *get_name(const char *p, char *out, size_t cap)
{
    size_t n = 0;
    for (; *p && *p != '\n'; p++) {
        int c = (unsigned char)*p;
        if (c == '\\') {
            if (p[1] != 'x' || hexval(p[2]) < 0 || hexval(p[3]) < 0)
                return "a bad escape in a name";
            c = hexval(p[2]) * 16 + hexval(p[3]);
            p += 3;
        }
        if (c == 0 || n + 1 >= cap)
            return "a bad name";
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return n ? NULL : "an empty name";
}

/* HAVE: "-" or (BLOCKS + 7) / 8 hex bytes. Returns what is wrong, or NULL. */
static const char *get_have(const char **pp, struct store_entry *e)
{
    const char *p = *pp;
    size_t i, n = ((size_t)e->blocks + 7) / 8;
    if (e->state != ST_PARTIAL) {
        if (p[0] != '-' || p[1] != ' ')
            return "a bitmap on a complete file";
        *pp = p + 2;
        return NULL;
    }
    if (!e->block_len || e->blocks != (e->size + e->block_len - 1) / e->block_len || !n)
        return "a block count that does not fit the size";
    e->have = malloc(n);
    if (!e->have)
        return "out of memory";
    for (i = 0; i < n; i++, p += 2) {
        if (hexval(p[0]) < 0 || hexval(p[1]) < 0)
            return "a bad bitmap";
        e->have[i] = (uint8_t)(hexval(p[0]) * 16 + hexval(p[1]));
    }
    if (*p != ' ')
        return "a bitmap of the wrong length";
    *pp = p + 1;
    return NULL;
}

static const char *parse_entry(const char *line, struct store_entry *e)
{
    unsigned fid, bl, blocks;
    unsigned long long size;
    char state;
    const char *why;
    int n = 0;
    memset(e, 0, sizeof *e);
    if (sscanf(line, "file %c %4x %llu %u %u %n", &state, &fid, &size, &bl, &blocks, &n) != 5 ||
        n == 0)
        return "a line that is not a file";
    if (state != ST_PARTIAL && state != ST_DONE && state != ST_PLACED)
        return "an unknown state";
    e->state = (enum store_state)state;
    e->tmp_fid = (uint16_t)fid;
    e->size = size;
    e->block_len = bl;
    e->blocks = blocks;
    line += n;
    if ((why = get_have(&line, e)) == NULL)
        why = get_name(line, e->name, sizeof e->name);
    return why;
}

/* Read the lines of an open record into s; what is wrong, or NULL. */
static const char *read_lines(FILE *fp, struct uft_store_sess *s, size_t *line_no)
{
    char *line = NULL, head[32];
    size_t cap = 0;
    const char *why = NULL;
    struct store_entry e;
    snprintf(head, sizeof head, "group %08X\n", s->group);
    for (*line_no = 1; getline(&line, &cap, fp) > 0; ++*line_no) {
        if (*line_no == 1 && strcmp(line, "ufcast-restart 1\n") != 0)
            why = "not a ufcast restart record (version 1)";
        else if (*line_no == 2 && strcmp(line, head) != 0)
            why = "a record of another group";
        else if (*line_no > 2 && (why = parse_entry(line, &e)) == NULL &&
                 uft_store_sess_add(s, &e) != 0)
            why = "out of memory";
        if (why) {
            if (*line_no > 2)
                free(e.have);
            break;
        }
    }
    free(line);
    if (!why && *line_no < 3)
        why = "a record cut short";
    return why;
}

/* Read <T>/_group_GGGGGGGG_restart, if there is one, into s. A record
 * that cannot be read is ignored (and said so): the files come anew. */
static void record_read(struct uft_store *st, struct uft_store_sess *s)
{
    char name[64];
    const char *why;
    size_t line_no = 0;
    FILE *fp;
    int fd;
    snprintf(name, sizeof name, "_group_%08X_restart", s->group);
    fd = openat(st->temp_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            uft_store_note(st, 1, "cannot read restart record %s/%s: %s%s", st->temp_dir, name,
                           strerror(errno), uft_store_hint(errno));
        return;
    }
    fp = fdopen(fd, "r");
    if (!fp) {
        close(fd);
        return;
    }
    why = read_lines(fp, s, &line_no);
    fclose(fp);
    if (why) {
        while (s->n_ent)
            uft_store_sess_drop(s, s->n_ent - 1);
        uft_store_note(st, 1,
                       "ignoring restart record %s/%s: %s at line %zu; the files of group "
                       "%08X are received anew",
                       st->temp_dir, name, why, line_no, s->group);
    } else if (s->n_ent) {
        uft_store_note(st, 2, "[%08X] restart record lists %zu files from an earlier session",
                       s->group, s->n_ent);
    }
}

static struct uft_store_sess *sess_find(struct uft_store *st, uint32_t group)
{
    struct uft_store_sess *s;
    for (s = st->sessions; s; s = s->next)
        if (s->group == group)
            return s;
    return NULL;
}

struct uft_store_sess *uft_store_sess_get(struct uft_store *st, uint32_t group)
{
    struct uft_store_sess *s = sess_find(st, group);
    char name[32];
    int e;
    if (s)
        return s;
    s = calloc(1, sizeof *s);
    if (!s) {
        uft_store_fail(st, UFT_E_NOMEM, ENOMEM, "out of memory");
        return NULL;
    }
    s->group = group;
    s->start = (int64_t)time(NULL);
    s->dir_fd = -1;
    s->record_at_ns = uft_clock_now_ns();
    if (st->temp_fd >= 0) {
        snprintf(name, sizeof name, "_group_%08X", group);
        if ((mkdirat(st->temp_fd, name, 0700) != 0 && errno != EEXIST) ||
            (s->dir_fd = openat(st->temp_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) <
                0) {
            e = errno;
            uft_store_fail(st, UFT_E_IO, e, "cannot make session directory %s/%s: %s%s",
                           st->temp_dir, name, strerror(e), uft_store_hint(e));
            free(s);
            return NULL;
        }
        record_read(st, s);
    }
    s->next = st->sessions;
    st->sessions = s;
    return s;
}

/* ---------- the end of a session ---------- */

/* Top-level entries moved, for the placed callback. */
struct tops {
    char **path;
    size_t n, cap;
};

static void tops_add(struct tops *t, const char *dir, const char *rel)
{
    char *p;
    size_t len = strlen(dir) + strlen(rel) + 2;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **n = realloc(t->path, cap * sizeof *n);
        if (!n)
            return;
        t->path = n;
        t->cap = cap;
    }
    if ((p = malloc(len)) != NULL) {
        snprintf(p, len, "%s/%s", dir, rel);
        t->path[t->n++] = p;
    }
}

/* The names in directory fd (opened for reading; closed here), read in
 * full before anything moves, so the moves cannot disturb the listing.
 * 0 or -1. */
static int list_dir(int fd, char ***out, size_t *n)
{
    DIR *d = fdopendir(fd);
    struct dirent *de;
    char **names = NULL, **nn;
    size_t cap = 0;
    int rc = 0;
    *n = 0;
    if (!d) {
        close(fd);
        return -1;
    }
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            if (!(nn = realloc(names, cap * sizeof *nn))) {
                rc = -1;
                break;
            }
            names = nn;
        }
        if (!(names[*n] = strdup(de->d_name)))
            rc = -1;
        else
            ++*n;
    }
    closedir(d);
    *out = names;
    return rc;
}

static int merge(struct uft_store *st, struct uft_store_sess *s, int src, int dst, const char *rel,
                 int depth, struct tops *t);

/* Move one entry of the session (src/name, at rel beneath the session)
 * to dst/name: into place in one rename, or merged when both are
 * directories. -1 (logged) when it stays in the session directory. */
static int move_entry(struct uft_store *st, struct uft_store_sess *s, int src, int dst,
                      const char *name, const char *rel, int depth)
{
    struct stat sb, db;
    bool there = fstatat(dst, name, &db, AT_SYMLINK_NOFOLLOW) == 0;
    int a, b, rc, e;
    if (fstatat(src, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
        return -1;
    if (there && S_ISDIR(sb.st_mode) && S_ISDIR(db.st_mode)) {
        a = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        b = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        rc = a >= 0 && b >= 0 && depth < 64 ? merge(st, s, a, b, rel, depth + 1, NULL) : -1;
        if (a >= 0)
            close(a);
        if (b >= 0)
            close(b);
        if (a < 0 || b < 0 || depth >= 64)
            goto left;
        unlinkat(src, name, AT_REMOVEDIR);
        return rc;
    }
    if (there && S_ISDIR(db.st_mode)) {
        uft_store_note(st, 0,
                       "cannot replace directory %s/%s with a file; the file stays in "
                       "%s/_group_%08X/%s: move it by hand",
                       st->dir[0], rel, st->temp_dir, s->group, rel);
        return -1;
    }
    if (there && uft_store_backup(st, s, 0, rel, dst, name, false) != 0) {
        uft_store_note(st, 0, "%s; %s stays in %s/_group_%08X", st->last_error, rel, st->temp_dir,
                       s->group);
        return -1;
    }
    /* a directory cannot be renamed over a file: that file goes first */
    if (there && S_ISDIR(sb.st_mode))
        unlinkat(dst, name, 0);
    if (renameat(src, name, dst, name) == 0)
        return 0;
left:
    e = errno;
    uft_store_note(st, 0, "cannot move %s/_group_%08X/%s to %s/%s: %s%s; move it by hand",
                   st->temp_dir, s->group, rel, st->dir[0], rel, strerror(e), uft_store_hint(e));
    return -1;
}

/* A temporary file of this group: a partial that a success leaves over. */
static bool is_temp_of(const char *name, uint32_t group)
{
    char tag[32];
    snprintf(tag, sizeof tag, ".~uftp-%08X-", group);
    return strstr(name, tag) != NULL;
}

/* Move every entry of src into dst, merging directories. 0, or -1 when
 * something stays behind (each case logged). */
static int merge(struct uft_store *st, struct uft_store_sess *s, int src, int dst, const char *rel,
                 int depth, struct tops *t)
{
    char sub[STORE_REL_CAP + 260], **names = NULL;
    size_t n = 0, i;
    int fd = dup(src);
    int rc = fd >= 0 ? list_dir(fd, &names, &n) : -1;
    for (i = 0; i < n; i++) {
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", names[i]);
        if (is_temp_of(names[i], s->group))
            unlinkat(src, names[i], 0);
        else if (move_entry(st, s, src, dst, names[i], sub, depth) != 0)
            rc = -1;
        else if (t)
            tops_add(t, st->dir[0], sub);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* A completed -T session: everything into the destination, then the
 * session directory and its record go. */
static void finish(struct uft_store *st, struct uft_store_sess *s)
{
    struct tops t = {NULL, 0, 0};
    char name[64];
    size_t i;
    int src = openat(s->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int dst = openat(st->dir_fd[0], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = src >= 0 && dst >= 0 ? merge(st, s, src, dst, "", 0, &t) : -1;
    if (src >= 0)
        close(src);
    if (dst >= 0)
        close(dst);
    if (t.n && st->placed && !st->move_each)
        st->placed(st->ctx, s->group, (const char *const *)t.path, t.n);
    for (i = 0; i < t.n; i++)
        free(t.path[i]);
    free(t.path);
    snprintf(name, sizeof name, "_group_%08X_restart", s->group);
    unlinkat(st->temp_fd, name, 0);
    snprintf(name, sizeof name, "_group_%08X_final", s->group);
    unlinkat(st->temp_fd, name, 0);
    name[15] = '\0'; /* "_group_GGGGGGGG" */
    if (unlinkat(st->temp_fd, name, AT_REMOVEDIR) != 0 || rc != 0)
        uft_store_note(st, 0,
                       "group %08X: not everything could be moved to %s; what is left is in "
                       "%s/%s",
                       s->group, st->dir[0], st->temp_dir, name);
}

void uft_store_session_end(struct uft_store *st, uint32_t group, bool ok)
{
    struct uft_store_sess *s = sess_find(st, group), **pp;
    char name[32];
    if (!s)
        return;
    if (s->open_files > 0) {
        /* another instance of the group (a restart that began before this
         * one timed out) still receives: it finishes the session */
        if (!ok)
            uft_store_record_refresh(st, s, true);
        return;
    }
    if (s->dir_fd >= 0 && ok) {
        finish(st, s);
    } else if (s->dir_fd >= 0) {
        snprintf(name, sizeof name, "_group_%08X_final", group);
        unlinkat(st->temp_fd, name, 0);
        uft_store_record_refresh(st, s, true);
        if (!has_content(s)) {
            /* nothing to resume: what the session made comes again */
            snprintf(name, sizeof name, "_group_%08X", group);
            uft_store_remove_tree(st->temp_fd, name, 0);
        } else {
            uft_store_note(st, 2,
                           "[%08X] kept %zu files in %s/_group_%08X for a restart of this "
                           "group",
                           group, s->n_ent, st->temp_dir, group);
        }
    }
    for (pp = &st->sessions; *pp != s; pp = &(*pp)->next)
        ;
    *pp = s->next;
    sess_free(s);
}

void uft_store_session_final(struct uft_store *st, uint32_t group)
{
    struct uft_store_sess *s = sess_find(st, group);
    char name[64];
    int fd, dir, e = 0;
    if (!s || s->dir_fd < 0)
        return;
    snprintf(name, sizeof name, "_group_%08X_final", group);
    fd = openat(st->temp_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || fsync(fd) != 0)
        e = errno;
    if (fd >= 0)
        close(fd);
    /* the marker's name must be on disk too */
    dir = openat(st->temp_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (!e && (dir < 0 || fsync(dir) != 0))
        e = errno;
    if (dir >= 0)
        close(dir);
    if (e)
        uft_store_note(st, 1,
                       "cannot write %s/%s: %s%s; if uftpd stops before the server confirms, "
                       "move the files of %s/_group_%08X by hand",
                       st->temp_dir, name, strerror(e), uft_store_hint(e), st->temp_dir, group);
}

int uft_store_recover(struct uft_store *st)
{
    char **names = NULL, dname[32];
    size_t n = 0, i;
    int fd, done = 0;
    if (st->temp_fd < 0)
        return 0;
    fd = openat(st->temp_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || list_dir(fd, &names, &n) != 0)
        n = 0;
    for (i = 0; i < n; i++) {
        struct uft_store_sess s;
        unsigned group;
        int end = 0;
        if (sscanf(names[i], "_group_%8X_final%n", &group, &end) != 1 || end != 21 ||
            names[i][end] != '\0' || sess_find(st, group)) {
            free(names[i]);
            continue;
        }
        memset(&s, 0, sizeof s);
        s.group = group;
        s.start = (int64_t)time(NULL);
        snprintf(dname, sizeof dname, "_group_%08X", group);
        s.dir_fd = openat(st->temp_fd, dname, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s.dir_fd < 0) {
            unlinkat(st->temp_fd, names[i], 0); /* nothing left to move */
        } else {
            uft_store_note(st, 1,
                           "group %08X: its final COMPLETE was sent before uftpd stopped; moving "
                           "its files from %s/%s to %s",
                           group, st->temp_dir, dname, st->dir[0]);
            finish(st, &s);
            close(s.dir_fd);
            done++;
        }
        free(names[i]);
    }
    free(names);
    return done;
}
