/* The receiver's storage: names from the network never leave the
 * destination, partial files never look complete; the session temp
 * directory (-T) with its moves and restart records, backups (-A); and
 * rolling the log over (-g/-n), which is file handling of the same kind. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/msg.h"
#include "sys/log.h"
#include "sys/store.h"
#include "sys/store_int.h"

static char top[64], dest[96], outside[96];

static int setup(void **state)
{
    char p[160];
    (void)state;
    snprintf(top, sizeof top, "/tmp/uft_store_XXXXXX");
    if (!mkdtemp(top))
        return -1;
    snprintf(dest, sizeof dest, "%s/dest", top);
    snprintf(outside, sizeof outside, "%s/outside", top);
    mkdir(dest, 0755);
    mkdir(outside, 0755);
    /* traps inside the destination: a link to a directory outside, and a
     * link to a file outside */
    snprintf(p, sizeof p, "%s/escape", dest);
    if (symlink(outside, p) != 0)
        return -1;
    snprintf(p, sizeof p, "%s/victim", outside);
    close(open(p, O_CREAT | O_WRONLY, 0644));
    snprintf(p, sizeof p, "%s/link_to_victim", dest);
    return symlink("../outside/victim", p);
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf %s", top);
    return system(cmd);
}

static bool exists(const char *dir, const char *rel)
{
    char p[256];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    return lstat(p, &st) == 0;
}

static void test_escapes_refused(void **state)
{
    static const char *bad[] = {
        "../x",         "a/../../x", "..",   "/etc/passwd",    "escape/x",
        "escape/sub/x", "",          "a/..", "/tmp/elsewhere", "./../x",
    };
    const char *dirs[1] = {dest};
    struct uft_store st;
    struct uft_store_file *f;
    size_t i;
    (void)state;
    assert_int_equal(uft_store_open(&st, dirs, 1), 0);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f = NULL;
        if (uft_store_begin(&st, bad[i], 10, 0, 1, 1, false, false, &f) != UFT_COMP_REJECTED)
            fail_msg("'%s' was accepted", bad[i]);
        assert_null(f);
        assert_int_equal(uft_store_mkdir(&st, 1, bad[i]), UFT_COMP_REJECTED);
        assert_int_equal(uft_store_symlink(&st, 1, bad[i], "x"), UFT_COMP_REJECTED);
    }
    assert_int_equal(uft_store_delete(&st, 1, "escape/victim"), UFT_COMP_REJECTED);
    assert_true(exists(outside, "victim"));
    assert_false(exists(outside, "x"));
    assert_false(exists(outside, "sub"));
    assert_true(st.refused >= sizeof bad / sizeof bad[0]);
    uft_store_close(&st);
}

static void test_write_through_link_replaces_link(void **state)
{
    /* a file named like a link to outside replaces the link, never writes
     * through it */
    const char *dirs[1] = {dest};
    struct uft_store st;
    struct uft_store_file *f;
    struct stat sb;
    char p[256];
    (void)state;
    assert_int_equal(uft_store_open(&st, dirs, 1), 0);
    assert_int_equal(uft_store_begin(&st, "link_to_victim", 5, 0, 1, 2, false, false, &f),
                     UFT_COMP_NORMAL);
    assert_int_equal(uft_store_write(&st, f, 0, (const uint8_t *)"hello", 5), 0);
    assert_int_equal(uft_store_end(&st, f, true), 0);
    snprintf(p, sizeof p, "%s/victim", outside);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_size, 0); /* untouched */
    snprintf(p, sizeof p, "%s/link_to_victim", dest);
    assert_int_equal(lstat(p, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    uft_store_close(&st);
}

static void test_temp_then_rename(void **state)
{
    const char *dirs[1] = {dest};
    struct uft_store st;
    struct uft_store_file *f;
    struct stat sb;
    char p[256];
    (void)state;
    assert_int_equal(uft_store_open(&st, dirs, 1), 0);
    assert_int_equal(
        uft_store_begin(&st, "new/dir/file.bin", 4, 1700000000, 0xabcdef01, 7, false, false, &f),
        UFT_COMP_NORMAL);
    assert_int_equal(uft_store_write(&st, f, 0, (const uint8_t *)"data", 4), 0);
    /* while receiving, only the temporary name exists */
    assert_false(exists(dest, "new/dir/file.bin"));
    assert_true(exists(dest, "new/dir/file.bin.~uftp-ABCDEF01-0007"));
    assert_int_equal(uft_store_end(&st, f, true), 0);
    assert_true(exists(dest, "new/dir/file.bin"));
    assert_false(exists(dest, "new/dir/file.bin.~uftp-ABCDEF01-0007"));
    snprintf(p, sizeof p, "%s/new/dir/file.bin", dest);
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mtime, 1700000000);
    /* a discarded file leaves nothing */
    assert_int_equal(uft_store_begin(&st, "gone.bin", 4, 0, 1, 8, false, false, &f),
                     UFT_COMP_NORMAL);
    assert_int_equal(uft_store_end(&st, f, false), 0);
    assert_false(exists(dest, "gone.bin"));
    assert_false(exists(dest, "gone.bin.~uftp-00000001-0008"));
    uft_store_close(&st);
}

/* FEC and the hash check read back what was written: through the write
 * cache (a run of blocks not yet on disk), after a block out of order,
 * and past the end (an error that names the file). */
static void test_read_back(void **state)
{
    const char *dirs[1] = {dest};
    struct uft_store st;
    struct uft_store_file *f;
    uint8_t data[3000], back[3000];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 31 + 7);
    assert_int_equal(uft_store_open(&st, dirs, 1), 0);
    assert_int_equal(uft_store_begin(&st, "rb.bin", sizeof data, 0, 1, 11, false, false, &f),
                     UFT_COMP_NORMAL);
    assert_int_equal(uft_store_write(&st, f, 0, data, 1000), 0);
    assert_int_equal(uft_store_write(&st, f, 1000, data + 1000, 1000), 0);
    assert_true(f->wlen > 0); /* still in the cache */
    memset(back, 0, sizeof back);
    assert_int_equal(uft_store_read(&st, f, 500, back, 1500), 0);
    assert_memory_equal(back, data + 500, 1500);
    assert_int_equal(uft_store_write(&st, f, 2500, data + 2500, 500), 0);
    assert_int_equal(uft_store_write(&st, f, 2000, data + 2000, 500), 0);
    assert_int_equal(uft_store_read(&st, f, 0, back, sizeof back), 0);
    assert_memory_equal(back, data, sizeof data);
    assert_int_equal(uft_store_read(&st, f, 2999, back, 2), UFT_E_IO);
    assert_non_null(strstr(st.last_error, "rb.bin"));
    assert_int_equal(uft_store_end(&st, f, true), 0);
    assert_true(exists(dest, "rb.bin"));
    uft_store_close(&st);
}

static void test_sync_and_absolute(void **state)
{
    const char *dirs[1] = {dest};
    struct uft_store st;
    struct uft_store_file *f;
    char abs_name[200];
    (void)state;
    assert_int_equal(uft_store_open(&st, dirs, 1), 0);
    assert_int_equal(uft_store_begin(&st, "s.bin", 4, 1000, 1, 9, true, false, &f),
                     UFT_COMP_NORMAL);
    assert_int_equal(uft_store_write(&st, f, 0, (const uint8_t *)"abcd", 4), 0);
    assert_int_equal(uft_store_end(&st, f, true), 0);
    /* same age and size: skipped; older: skipped; newer: overwrite */
    assert_int_equal(uft_store_begin(&st, "s.bin", 4, 1000, 1, 9, true, false, &f),
                     UFT_COMP_SKIPPED);
    assert_int_equal(uft_store_begin(&st, "s.bin", 9, 999, 1, 9, true, false, &f),
                     UFT_COMP_SKIPPED);
    assert_int_equal(uft_store_begin(&st, "s.bin", 4, 1001, 1, 9, true, true, &f),
                     UFT_COMP_OVERWRITE);
    assert_null(f); /* preview receives nothing */
    /* an absolute name inside the destination is fine */
    snprintf(abs_name, sizeof abs_name, "%s/abs/ok.bin", dest);
    assert_int_equal(uft_store_begin(&st, abs_name, 1, 0, 1, 10, false, false, &f),
                     UFT_COMP_NORMAL);
    assert_int_equal(uft_store_end(&st, f, true), 0);
    assert_true(exists(dest, "abs/ok.bin"));
    /* delete works beneath the destination, without following links */
    assert_int_equal(uft_store_delete(&st, 1, "abs"), UFT_COMP_NORMAL);
    assert_false(exists(dest, "abs"));
    assert_int_equal(uft_store_delete(&st, 1, "escape"), UFT_COMP_NORMAL); /* the link itself */
    assert_true(exists(outside, "victim"));
    assert_true(uft_store_free(&st) > 0);
    uft_store_close(&st);
}

/* ---------- helpers for the -T, -A and restart tests ---------- */

static void sub_dir(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", top, name);
    assert_int_equal(mkdir(out, 0755), 0);
}

static void put_file(const char *dir, const char *rel, const char *text)
{
    char p[300];
    FILE *fp;
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static bool file_is(const char *dir, const char *rel, const void *data, size_t len)
{
    char p[300], buf[20000];
    size_t n;
    FILE *fp;
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    fp = fopen(p, "r");
    if (!fp)
        return false;
    n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    return n == len && memcmp(buf, data, len) == 0;
}

static size_t count_entries(const char *dir)
{
    char cmd[300];
    int n = -1;
    FILE *fp;
    snprintf(cmd, sizeof cmd, "find '%s' -mindepth 1 | wc -l", dir);
    fp = popen(cmd, "r");
    assert_non_null(fp);
    assert_int_equal(fscanf(fp, "%d", &n), 1);
    pclose(fp);
    return (size_t)n;
}

/* What the store told its callbacks. */
struct seen {
    uint32_t group;
    size_t calls, n;
    char paths[8][256];
    char log[4096];
};

static void seen_placed(void *ctx, uint32_t group, const char *const *paths, size_t n)
{
    struct seen *sn = ctx;
    size_t i;
    sn->group = group;
    sn->calls++;
    for (i = 0; i < n && sn->n < 8; i++)
        snprintf(sn->paths[sn->n++], sizeof sn->paths[0], "%s", paths[i]);
}

static void seen_log(void *ctx, int level, const char *text)
{
    struct seen *sn = ctx;
    size_t used = strlen(sn->log);
    snprintf(sn->log + used, sizeof sn->log - used, "%d:%s\n", level, text);
}

static bool seen_path(const struct seen *sn, const char *dir, const char *rel)
{
    char p[300];
    size_t i;
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    for (i = 0; i < sn->n; i++)
        if (strcmp(sn->paths[i], p) == 0)
            return true;
    return false;
}

static void open_temp_store(struct uft_store *st, const char **dirs, const char *tdir,
                            bool move_each, struct seen *sn, uint64_t refresh_ns)
{
    struct uft_store_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.dirs = dirs;
    cfg.n_dirs = 1;
    cfg.temp_dir = tdir;
    cfg.move_each = move_each;
    cfg.refresh_ns = refresh_ns;
    cfg.placed = seen_placed;
    cfg.log = seen_log;
    cfg.ctx = sn;
    assert_int_equal(uft_store_open_cfg(st, &cfg), 0);
}

static uint8_t content[10000];

static void fill_content(void)
{
    size_t i;
    for (i = 0; i < sizeof content; i++)
        content[i] = (uint8_t)(i * 7 + 3);
}

static void put_block(struct uft_store *st, struct uft_store_file *f, uint32_t b, uint32_t bl)
{
    uint64_t off = (uint64_t)b * bl;
    size_t len = off + bl > sizeof content ? sizeof content - (size_t)off : bl;
    assert_int_equal(uft_store_write(st, f, off, content + off, len), 0);
}

/* ---------- -T: the session temp directory ---------- */

static void test_tempdir_moves_at_end(void **state)
{
    char d[128], t[128], sess[160], p[300];
    const char *dirs[1] = {d};
    struct uft_store st;
    struct uft_store_file *f;
    struct seen sn;
    struct stat sb;
    (void)state;
    memset(&sn, 0, sizeof sn);
    sub_dir(d, sizeof d, "t1_dest");
    sub_dir(t, sizeof t, "t1_temp");
    snprintf(sess, sizeof sess, "%s/_group_1234ABCD", t);
    /* the destination already holds a/keep.txt and an older a/b.bin */
    snprintf(p, sizeof p, "%s/a", d);
    mkdir(p, 0755);
    put_file(d, "a/keep.txt", "keep");
    put_file(d, "a/b.bin", "old!");
    open_temp_store(&st, dirs, t, false, &sn, 0);
    assert_int_equal(uft_store_begin(&st, "a/b.bin", 5, 0, 0x1234ABCD, 1, false, false, &f),
                     UFT_COMP_NORMAL);
    assert_int_equal(uft_store_write(&st, f, 0, (const uint8_t *)"hello", 5), 0);
    assert_true(exists(sess, "a/b.bin.~uftp-1234ABCD-0001"));
    assert_int_equal(uft_store_end(&st, f, true), 0);
    /* complete, but still in the session directory until the end */
    assert_true(exists(sess, "a/b.bin"));
    assert_true(file_is(d, "a/b.bin", "old!", 4));
    assert_int_equal(uft_store_mkdir(&st, 0x1234ABCD, "emptydir"), UFT_COMP_NORMAL);
    assert_int_equal(uft_store_symlink(&st, 0x1234ABCD, "lnk", "a/b.bin"), UFT_COMP_NORMAL);
    assert_true(exists(sess, "emptydir") && exists(sess, "lnk"));
    assert_false(exists(d, "emptydir"));
    /* UFTP's rule: with -T an absolute name is refused */
    snprintf(p, sizeof p, "%s/abs.bin", d);
    assert_int_equal(uft_store_begin(&st, p, 1, 0, 0x1234ABCD, 2, false, false, &f),
                     UFT_COMP_REJECTED);
    assert_non_null(strstr(st.last_error, "absolute"));
    assert_int_equal(sn.calls, 0);
    uft_store_session_end(&st, 0x1234ABCD, true);
    /* merged: the new b.bin replaced the old, keep.txt stayed */
    assert_true(file_is(d, "a/b.bin", "hello", 5));
    assert_true(file_is(d, "a/keep.txt", "keep", 4));
    snprintf(p, sizeof p, "%s/lnk", d);
    assert_int_equal(lstat(p, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    assert_true(exists(d, "emptydir"));
    assert_int_equal(count_entries(t), 0); /* no session directory, no record */
    /* the script sees every top-level entry, once */
    assert_int_equal(sn.calls, 1);
    assert_int_equal(sn.group, 0x1234ABCD);
    assert_int_equal(sn.n, 3);
    assert_true(seen_path(&sn, d, "a") && seen_path(&sn, d, "emptydir") &&
                seen_path(&sn, d, "lnk"));
    uft_store_close(&st);
}

static void test_tempdir_move_each(void **state)
{
    char d[128], t[128];
    const char *dirs[1] = {d};
    struct uft_store st;
    struct uft_store_file *f;
    struct seen sn;
    (void)state;
    memset(&sn, 0, sizeof sn);
    sub_dir(d, sizeof d, "t2_dest");
    sub_dir(t, sizeof t, "t2_temp");
    open_temp_store(&st, dirs, t, true, &sn, 0);
    assert_int_equal(uft_store_begin(&st, "x/y.bin", 3, 0, 7, 1, false, false, &f),
                     UFT_COMP_NORMAL);
    assert_int_equal(uft_store_write(&st, f, 0, (const uint8_t *)"xyz", 3), 0);
    assert_false(exists(d, "x/y.bin"));
    assert_int_equal(uft_store_end(&st, f, true), 0);
    /* -i: in the destination as soon as it is complete, the script per file */
    assert_true(file_is(d, "x/y.bin", "xyz", 3));
    assert_int_equal(sn.calls, 1);
    assert_true(seen_path(&sn, d, "x/y.bin"));
    uft_store_session_end(&st, 7, true);
    assert_int_equal(sn.calls, 1);
    assert_int_equal(count_entries(t), 0);
    uft_store_close(&st);
}

static void test_tempdir_checks(void **state)
{
    char d[128], missing[160];
    const char *dirs[2] = {d, d};
    struct uft_store_cfg cfg;
    struct uft_store st;
    struct stat a, b;
    (void)state;
    sub_dir(d, sizeof d, "t3_dest");
    snprintf(missing, sizeof missing, "%s/no_such_dir", top);
    memset(&cfg, 0, sizeof cfg);
    cfg.dirs = dirs;
    cfg.n_dirs = 1;
    cfg.temp_dir = missing;
    assert_int_equal(uft_store_open_cfg(&st, &cfg), UFT_E_IO);
    assert_non_null(strstr(st.last_error, missing));
    assert_non_null(strstr(st.last_error, "create it first"));
    cfg.temp_dir = top;
    cfg.n_dirs = 2;
    assert_int_equal(uft_store_open_cfg(&st, &cfg), UFT_E_INVAL);
    /* a temp directory on another file system cannot be moved from */
    if (stat("/dev/shm", &a) == 0 && stat(d, &b) == 0 && a.st_dev != b.st_dev) {
        cfg.n_dirs = 1;
        cfg.temp_dir = "/dev/shm";
        assert_int_equal(uft_store_open_cfg(&st, &cfg), UFT_E_IO);
        assert_non_null(strstr(st.last_error, "destination's file system"));
    }
}

/* ---------- -A: backups ---------- */

/* The one YYYYMMDD/HHMMSS directory under a backup directory. */
static void dated_dir(const char *a, char *out, size_t cap)
{
    char cmd[300];
    FILE *fp;
    snprintf(cmd, sizeof cmd, "cd '%s' && ls -d [0-9]*/[0-9]*", a);
    fp = popen(cmd, "r");
    assert_non_null(fp);
    assert_non_null(fgets(out, (int)cap, fp));
    out[strcspn(out, "\n")] = '\0';
    assert_null(fgets(cmd, sizeof cmd, fp)); /* exactly one */
    pclose(fp);
    assert_int_equal(strlen(out), 15);
    assert_int_equal(strspn(out, "0123456789"), 8);
    assert_int_equal(out[8], '/');
    assert_int_equal(strspn(out + 9, "0123456789"), 6);
}

static void test_backup_replace_and_delete(void **state)
{
    char d1[128], d2[128], a1[128], a2[128], p[300], when[64], b1[300], b2[300];
    const char *dirs[2] = {d1, d2}, *backs[2] = {a1, a2};
    struct uft_store_cfg cfg;
    struct uft_store st;
    struct uft_store_file *f;
    (void)state;
    sub_dir(d1, sizeof d1, "b_d1");
    sub_dir(d2, sizeof d2, "b_d2");
    sub_dir(a1, sizeof a1, "b_a1");
    sub_dir(a2, sizeof a2, "b_a2");
    put_file(d1, "r.bin", "old");
    put_file(d1, "gone.txt", "bye");
    snprintf(p, sizeof p, "%s/sub", d2);
    mkdir(p, 0755);
    put_file(d2, "sub/q.bin", "oldq");
    snprintf(p, sizeof p, "%s/olddir", d1);
    mkdir(p, 0755);
    put_file(d1, "olddir/f", "in a dir");
    memset(&cfg, 0, sizeof cfg);
    cfg.dirs = dirs;
    cfg.n_dirs = 2;
    cfg.backups = backs;
    cfg.n_backups = 2;
    assert_int_equal(uft_store_open_cfg(&st, &cfg), 0);
    /* a replaced file: the old bytes under A1/date/time/r.bin */
    assert_int_equal(uft_store_begin(&st, "r.bin", 3, 0, 5, 1, false, false, &f), UFT_COMP_NORMAL);
    assert_int_equal(uft_store_write(&st, f, 0, (const uint8_t *)"new", 3), 0);
    assert_int_equal(uft_store_end(&st, f, true), 0);
    assert_true(file_is(d1, "r.bin", "new", 3));
    dated_dir(a1, when, sizeof when);
    snprintf(b1, sizeof b1, "%s/%s", a1, when);
    assert_true(file_is(b1, "r.bin", "old", 3));
    /* the second destination pairs with the second backup directory */
    snprintf(p, sizeof p, "%s/sub/q.bin", d2);
    assert_int_equal(uft_store_begin(&st, p, 4, 0, 5, 2, false, false, &f), UFT_COMP_NORMAL);
    assert_int_equal(uft_store_write(&st, f, 0, (const uint8_t *)"newq", 4), 0);
    assert_int_equal(uft_store_end(&st, f, true), 0);
    snprintf(b2, sizeof b2, "%s/%s", a2, when);
    assert_true(file_is(b2, "sub/q.bin", "oldq", 4));
    assert_true(file_is(d2, "sub/q.bin", "newq", 4));
    /* deletes keep a file, and a directory with its contents */
    assert_int_equal(uft_store_delete(&st, 5, "gone.txt"), UFT_COMP_NORMAL);
    assert_int_equal(uft_store_delete(&st, 5, "olddir"), UFT_COMP_NORMAL);
    assert_false(exists(d1, "gone.txt") || exists(d1, "olddir"));
    assert_true(file_is(b1, "gone.txt", "bye", 3));
    assert_true(file_is(b1, "olddir/f", "in a dir", 8));
    /* a link over a file keeps the file too */
    put_file(d1, "l", "was a file");
    assert_int_equal(uft_store_symlink(&st, 5, "l", "r.bin"), UFT_COMP_NORMAL);
    assert_true(file_is(b1, "l", "was a file", 10));
    assert_true(file_is(d1, "l", "new", 3)); /* through the new link */
    uft_store_session_end(&st, 5, true);
    uft_store_close(&st);
}

static void test_backup_failure_keeps_old(void **state)
{
    char d[128], a[128], p[300], when[32];
    const char *dirs[1] = {d}, *backs[1] = {a};
    struct uft_store_cfg cfg;
    struct uft_store st;
    struct uft_store_file *f;
    struct tm tm;
    time_t t0;
    (void)state;
    sub_dir(d, sizeof d, "bf_d");
    sub_dir(a, sizeof a, "bf_a");
    put_file(d, "r.bin", "old");
    memset(&cfg, 0, sizeof cfg);
    cfg.dirs = dirs;
    cfg.n_dirs = 1;
    cfg.backups = backs;
    cfg.n_backups = 1;
    assert_int_equal(uft_store_open_cfg(&st, &cfg), 0);
    assert_int_equal(uft_store_begin(&st, "r.bin", 3, 0, 9, 1, false, false, &f), UFT_COMP_NORMAL);
    /* a file where the date directory must go makes the backup fail */
    t0 = (time_t)st.sessions->start;
    localtime_r(&t0, &tm);
    strftime(when, sizeof when, "%Y%m%d", &tm);
    put_file(a, when, "in the way");
    assert_int_equal(uft_store_write(&st, f, 0, (const uint8_t *)"new", 3), 0);
    assert_int_equal(uft_store_end(&st, f, true), UFT_E_IO);
    assert_non_null(strstr(st.last_error, "cannot back up"));
    snprintf(p, sizeof p, "%s/r.bin", d);
    assert_non_null(strstr(st.last_error, p));
    /* the old file stands, no temporary file is left */
    assert_true(file_is(d, "r.bin", "old", 3));
    assert_int_equal(count_entries(d), 1);
    uft_store_session_end(&st, 9, false);
    uft_store_close(&st);
}

/* ---------- restart (-T) ---------- */

static void read_text(const char *dir, const char *rel, char *out, size_t cap)
{
    char p[300];
    size_t n;
    FILE *fp;
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    fp = fopen(p, "r");
    assert_non_null(fp);
    n = fread(out, 1, cap - 1, fp);
    out[n] = '\0';
    fclose(fp);
}

static void test_restart_resume(void **state)
{
    char d[128], t[128], sess[160], rec[2048];
    const char *dirs[1] = {d};
    struct uft_store st;
    struct uft_store_file *f, *g;
    struct seen sn;
    uint8_t have[8];
    uint32_t b;
    (void)state;
    fill_content();
    memset(&sn, 0, sizeof sn);
    sub_dir(d, sizeof d, "r_dest");
    sub_dir(t, sizeof t, "r_temp");
    snprintf(sess, sizeof sess, "%s/_group_0BADCAFE", t);
    /* session 1: done.bin completes, big.bin gets blocks 0, 1, 2 and 5 of
     * 10, then the session fails */
    open_temp_store(&st, dirs, t, false, &sn, 0);
    assert_int_equal(uft_store_begin(&st, "done.bin", 4, 0, 0x0BADCAFE, 1, false, false, &f),
                     UFT_COMP_NORMAL);
    assert_int_equal(uft_store_write(&st, f, 0, (const uint8_t *)"done", 4), 0);
    assert_int_equal(uft_store_end(&st, f, true), 0);
    assert_int_equal(
        uft_store_begin(&st, "sub/big.bin", sizeof content, 0, 0x0BADCAFE, 3, false, false, &f),
        UFT_COMP_NORMAL);
    memset(have, 0, sizeof have);
    uft_store_file_have(&st, f, 1000, 10, have);
    assert_int_equal(have[0] | have[1], 0);
    put_block(&st, f, 0, 1000);
    put_block(&st, f, 1, 1000);
    put_block(&st, f, 2, 1000);
    put_block(&st, f, 5, 1000);
    assert_int_equal(uft_store_end(&st, f, false), 0);
    uft_store_session_end(&st, 0x0BADCAFE, false);
    uft_store_close(&st);
    /* the partial stays in the session directory, never under its name */
    assert_true(exists(sess, "sub/big.bin.~uftp-0BADCAFE-0003"));
    assert_false(exists(d, "sub/big.bin") || exists(d, "sub"));
    read_text(t, "_group_0BADCAFE_restart", rec, sizeof rec);
    assert_non_null(strstr(rec, "ufcast-restart 1\ngroup 0BADCAFE\n"));
    assert_non_null(strstr(rec, "file P 0003 10000 1000 10 2700 sub/big.bin\n"));
    assert_non_null(strstr(rec, "file D 0000 4 0 0 - done.bin\n"));
    /* session 2 (instance + 1, a new daemon, new file IDs): the earlier
     * blocks are reported, only the rest is written */
    open_temp_store(&st, dirs, t, false, &sn, 0);
    assert_int_equal(uft_store_begin(&st, "done.bin", 4, 0, 0x0BADCAFE, 7, false, false, &f),
                     UFT_COMP_NORMAL);
    memset(have, 0, sizeof have);
    uft_store_file_have(&st, f, 1000, 1, have);
    assert_int_equal(have[0], 1); /* complete before: nothing to send */
    assert_int_equal(uft_store_end(&st, f, true), 0);
    assert_int_equal(
        uft_store_begin(&st, "sub/big.bin", sizeof content, 0, 0x0BADCAFE, 8, false, false, &g),
        UFT_COMP_NORMAL);
    memset(have, 0, sizeof have);
    uft_store_file_have(&st, g, 1000, 10, have);
    assert_int_equal(have[0], 0x27);
    assert_int_equal(have[1], 0);
    for (b = 0; b < 10; b++)
        if (!(have[b / 8] & (1u << (b % 8))))
            put_block(&st, g, b, 1000);
    assert_int_equal(uft_store_end(&st, g, true), 0);
    uft_store_session_end(&st, 0x0BADCAFE, true);
    assert_true(file_is(d, "sub/big.bin", content, sizeof content));
    assert_true(file_is(d, "done.bin", "done", 4));
    assert_int_equal(count_entries(t), 0); /* record and session directory gone */
    uft_store_close(&st);
}

static void test_restart_after_kill(void **state)
{
    char d[128], t[128], rec[2048];
    const char *dirs[1] = {d};
    struct uft_store st, st2;
    struct uft_store_file *f, *g;
    struct seen sn;
    uint8_t have[4];
    uint32_t b;
    (void)state;
    fill_content();
    memset(&sn, 0, sizeof sn);
    sub_dir(d, sizeof d, "k_dest");
    sub_dir(t, sizeof t, "k_temp");
    /* refresh after every write, so the record is current when killed */
    open_temp_store(&st, dirs, t, false, &sn, 1);
    assert_int_equal(uft_store_begin(&st, "k.bin", sizeof content, 0, 0x4B, 1, false, false, &f),
                     UFT_COMP_NORMAL);
    memset(have, 0, sizeof have);
    uft_store_file_have(&st, f, 1000, 10, have);
    put_block(&st, f, 0, 1000);
    put_block(&st, f, 9, 1000);
    read_text(t, "_group_0000004B_restart", rec, sizeof rec);
    assert_non_null(strstr(rec, "file P 0001 10000 1000 10 0102 k.bin\n"));
    /* "killed": nothing more happens to st; a new daemon resumes, this
     * time with half the block size */
    open_temp_store(&st2, dirs, t, false, &sn, 0);
    assert_int_equal(uft_store_begin(&st2, "k.bin", sizeof content, 0, 0x4B, 2, false, false, &g),
                     UFT_COMP_NORMAL);
    memset(have, 0, sizeof have);
    uft_store_file_have(&st2, g, 500, 20, have);
    assert_int_equal(have[0], 0x03); /* blocks 0 and 1 of 500 bytes */
    assert_int_equal(have[1], 0);
    assert_int_equal(have[2], 0x0C); /* blocks 18 and 19 */
    for (b = 0; b < 20; b++)
        if (!(have[b / 8] & (1u << (b % 8))))
            put_block(&st2, g, b, 500);
    assert_int_equal(uft_store_end(&st2, g, true), 0);
    uft_store_session_end(&st2, 0x4B, true);
    assert_true(file_is(d, "k.bin", content, sizeof content));
    assert_int_equal(count_entries(t), 0);
    uft_store_close(&st2);
    /* the killed store's file: ending it touches no file */
    assert_int_equal(uft_store_end(&st, f, false), 0);
    uft_store_close(&st);
    assert_int_equal(count_entries(t), 0);
}

/* Killed between the final COMPLETE and the DONE_CONF: the server counts
 * the client done and never sends the group again, so the next start
 * moves the files into place. A group killed before its final COMPLETE
 * stays for a restart. */
static void test_killed_after_final_complete(void **state)
{
    char d[128], t[128];
    const char *dirs[1] = {d};
    struct uft_store st, st2, st3;
    struct uft_store_file *f, *half;
    struct seen sn;
    (void)state;
    memset(&sn, 0, sizeof sn);
    sub_dir(d, sizeof d, "fc_dest");
    sub_dir(t, sizeof t, "fc_temp");
    open_temp_store(&st, dirs, t, false, &sn, 0);
    /* group 0x21 is whole and its final COMPLETE goes; 0x22 is not */
    assert_int_equal(uft_store_begin(&st, "sub/done.txt", 5, 0, 0x21, 1, false, false, &f),
                     UFT_COMP_NORMAL);
    assert_int_equal(uft_store_write(&st, f, 0, (const uint8_t *)"whole", 5), 0);
    assert_int_equal(uft_store_end(&st, f, true), 0);
    assert_int_equal(uft_store_begin(&st, "half.txt", 4, 0, 0x22, 1, false, false, &half),
                     UFT_COMP_NORMAL);
    assert_int_equal(uft_store_write(&st, half, 0, (const uint8_t *)"ha", 2), 0);
    uft_store_session_final(&st, 0x21);
    assert_true(exists(t, "_group_00000021_final"));
    assert_false(exists(t, "_group_00000022_final"));
    /* "killed": st is never ended; a new daemon starts */
    open_temp_store(&st2, dirs, t, false, &sn, 0);
    assert_int_equal(uft_store_recover(&st2), 1);
    assert_true(file_is(d, "sub/done.txt", "whole", 5));
    assert_false(exists(t, "_group_00000021"));
    assert_false(exists(t, "_group_00000021_final"));
    assert_true(exists(t, "_group_00000022")); /* kept for a restart */
    assert_false(exists(d, "half.txt"));
    assert_int_equal(sn.calls, 1); /* the placed callback saw the recovered group */
    assert_int_equal(sn.group, 0x21);
    assert_int_equal(uft_store_recover(&st2), 0); /* nothing twice */
    uft_store_close(&st2);
    /* a session that ends normally leaves no marker behind */
    open_temp_store(&st3, dirs, t, false, &sn, 0);
    assert_int_equal(uft_store_begin(&st3, "late.txt", 3, 0, 0x23, 1, false, false, &f),
                     UFT_COMP_NORMAL);
    assert_int_equal(uft_store_write(&st3, f, 0, (const uint8_t *)"end", 3), 0);
    assert_int_equal(uft_store_end(&st3, f, true), 0);
    uft_store_session_final(&st3, 0x23);
    uft_store_session_end(&st3, 0x23, true);
    assert_false(exists(t, "_group_00000023_final"));
    assert_true(file_is(d, "late.txt", "end", 3));
    uft_store_close(&st3);
    uft_store_end(&st, half, false);
    uft_store_close(&st);
}

static void test_restart_bad_record(void **state)
{
    char d[128], t[128], sess[160];
    const char *dirs[1] = {d};
    struct uft_store st;
    struct uft_store_file *f;
    struct seen sn;
    uint8_t have[2] = {0, 0};
    (void)state;
    memset(&sn, 0, sizeof sn);
    sub_dir(d, sizeof d, "x_dest");
    sub_dir(t, sizeof t, "x_temp");
    snprintf(sess, sizeof sess, "%s/_group_00000077", t);
    mkdir(sess, 0700);
    put_file(sess, "z.bin.~uftp-00000077-0001", "zzzz");
    put_file(t, "_group_00000077_restart",
             "ufcast-restart 1\ngroup 00000077\nfile P 0001 4 1 4 0 z.bin\n");
    open_temp_store(&st, dirs, t, false, &sn, 0);
    assert_int_equal(uft_store_begin(&st, "z.bin", 4, 0, 0x77, 2, false, false, &f),
                     UFT_COMP_NORMAL);
    assert_non_null(strstr(sn.log, "ignoring restart record"));
    assert_non_null(strstr(sn.log, "received anew"));
    uft_store_file_have(&st, f, 1, 4, have);
    assert_int_equal(have[0], 0);
    assert_int_equal(uft_store_write(&st, f, 0, (const uint8_t *)"ZZZZ", 4), 0);
    assert_int_equal(uft_store_end(&st, f, true), 0);
    uft_store_session_end(&st, 0x77, true);
    assert_true(file_is(d, "z.bin", "ZZZZ", 4));
    assert_false(exists(d, "z.bin.~uftp-00000077-0001")); /* the stale partial went */
    assert_int_equal(count_entries(t), 0);
    uft_store_close(&st);
}

static void test_restart_overlapping_instances(void **state)
{
    char d[128], t[128];
    const char *dirs[1] = {d};
    struct uft_store st;
    struct uft_store_file *old, *cur;
    struct seen sn;
    uint8_t have[2] = {0, 0};
    (void)state;
    memset(&sn, 0, sizeof sn);
    sub_dir(d, sizeof d, "o_dest");
    sub_dir(t, sizeof t, "o_temp");
    open_temp_store(&st, dirs, t, false, &sn, 0);
    /* instance 0 is stuck mid-file when instance 1 of the group begins */
    assert_int_equal(uft_store_begin(&st, "a.bin", 8, 0, 0x55, 1, false, false, &old),
                     UFT_COMP_NORMAL);
    uft_store_file_have(&st, old, 4, 2, have);
    assert_int_equal(uft_store_write(&st, old, 0, (const uint8_t *)"AAAA", 4), 0);
    assert_int_equal(uft_store_begin(&st, "b.bin", 2, 0, 0x55, 1, false, false, &cur),
                     UFT_COMP_NORMAL);
    /* instance 0 times out: its partial is recorded, nothing is freed */
    assert_int_equal(uft_store_end(&st, old, false), 0);
    uft_store_session_end(&st, 0x55, false);
    assert_true(exists(t, "_group_00000055_restart"));
    assert_int_equal(uft_store_write(&st, cur, 0, (const uint8_t *)"bb", 2), 0);
    assert_int_equal(uft_store_end(&st, cur, true), 0);
    uft_store_session_end(&st, 0x55, true);
    assert_true(file_is(d, "b.bin", "bb", 2));
    assert_false(exists(d, "a.bin"));
    assert_int_equal(count_entries(d), 1);
    assert_int_equal(count_entries(t), 0);
    uft_store_close(&st);
}

/* ---------- rolling the log (-g/-n) ---------- */

static void test_log_roll(void **state)
{
    char dir[128], path[200];
    struct uft_log l;
    struct stat sb;
    int i;
    (void)state;
    sub_dir(dir, sizeof dir, "log");
    snprintf(path, sizeof path, "%s/uftpd.log", dir);
    assert_int_equal(uft_log_open(&l, path, 2, false), 0);
    assert_int_equal(uft_log_set_roll(&l, path, 100, 2, false), 0);
    for (i = 0; i < 30; i++)
        uft_log_printf(&l, 2, "line %02d of a log that grows past one hundred bytes", i);
    uft_log_printf(&l, 3, "not at this level");
    /* the current file and two rolled ones, none much over the limit */
    assert_true(exists(dir, "uftpd.log") && exists(dir, "uftpd.log.1") &&
                exists(dir, "uftpd.log.2"));
    assert_false(exists(dir, "uftpd.log.3"));
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size <= 100);
    snprintf(path, sizeof path, "%s/uftpd.log.1", dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size > 100 && sb.st_size < 200);
    fclose(l.f);
    /* stderr is never rolled */
    assert_int_equal(uft_log_open(&l, NULL, 2, false), 0);
    assert_int_equal(uft_log_set_roll(&l, path, 100, 2, false), UFT_E_INVAL);
}

/* A name from the network with a newline and a terminal escape stays on
 * one log line, its control bytes written as \xHH. */
static void test_log_control_bytes(void **state)
{
    char dir[128], path[200], text[256];
    struct uft_log l;
    FILE *f;
    (void)state;
    sub_dir(dir, sizeof dir, "logctl");
    snprintf(path, sizeof path, "%s/uftpd.log", dir);
    assert_int_equal(uft_log_open(&l, path, 2, false), 0);
    uft_log_write(&l, 2, 0x1234, 0, 1, "Sending file 1: a\n[00000000/00:0]: forged \x1b[31mred");
    fclose(l.f);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(text, sizeof text, f));
    assert_null(fgets(text + 200, 56, f)); /* one line only */
    fclose(f);
    assert_string_equal(text, "[00001234/00:1]: Sending file 1: a\\x0A[00000000/00:0]: forged "
                              "\\x1B[31mred\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes_refused),
        cmocka_unit_test(test_write_through_link_replaces_link),
        cmocka_unit_test(test_temp_then_rename),
        cmocka_unit_test(test_read_back),
        cmocka_unit_test(test_sync_and_absolute),
        cmocka_unit_test(test_tempdir_moves_at_end),
        cmocka_unit_test(test_tempdir_move_each),
        cmocka_unit_test(test_tempdir_checks),
        cmocka_unit_test(test_backup_replace_and_delete),
        cmocka_unit_test(test_backup_failure_keeps_old),
        cmocka_unit_test(test_restart_resume),
        cmocka_unit_test(test_restart_after_kill),
        cmocka_unit_test(test_killed_after_final_complete),
        cmocka_unit_test(test_restart_bad_record),
        cmocka_unit_test(test_restart_overlapping_instances),
        cmocka_unit_test(test_log_roll),
        cmocka_unit_test(test_log_control_bytes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
