/* Expanding uftp's operands: walk order, names, links, excludes, -D, -E,
 * and the @DELETE / @FREESPACE meta entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/filelist.h"
#include "core/msg.h"

static char root[64];
static char warned[4096];

static void on_warn(void *ctx, const char *msg)
{
    (void)ctx;
    strncat(warned, msg, sizeof warned - strlen(warned) - 2);
    strcat(warned, "\n");
}

static void put(const char *rel, size_t size)
{
    char p[256];
    FILE *f;
    snprintf(p, sizeof p, "%s/%s", root, rel);
    f = fopen(p, "w");
    assert_non_null(f);
    while (size--)
        fputc('x', f);
    fclose(f);
}

static int setup(void **state)
{
    char p[256];
    (void)state;
    snprintf(root, sizeof root, "/tmp/uft_fl_XXXXXX");
    if (!mkdtemp(root))
        return -1;
    snprintf(p, sizeof p, "%s/d1", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/d1/sub", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/d1/empty", root);
    mkdir(p, 0755);
    put("d1/a", 10);
    put("d1/sub/b", 5);
    put("d1/x", 1);
    put("f.txt", 3);
    snprintf(p, sizeof p, "%s/d1/ln", root);
    return symlink("a", p);
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    return system(cmd);
}

static void check(const struct fl_entry *e, const char *name, uint8_t ftype, uint64_t size)
{
    assert_string_equal(e->name, name);
    assert_int_equal(e->ftype, ftype);
    assert_int_equal(e->size, size);
}

static void test_walk(void **state)
{
    static const char *const excl[] = {"d1/x"};
    struct fl_opts o = {0};
    struct fl_list l = {0};
    char d1[128], f[128];
    char *ops[4];
    (void)state;
    snprintf(d1, sizeof d1, "%s/d1/", root); /* a trailing slash changes nothing */
    snprintf(f, sizeof f, "%s/f.txt", root);
    ops[0] = d1;
    ops[1] = f;
    ops[2] = "@DELETE:old/thing";
    ops[3] = "@FREESPACE";
    o.exclude = excl;
    o.n_exclude = 1;
    o.warn = on_warn;
    warned[0] = '\0';
    assert_int_equal(filelist_build(&o, ops, 4, &l), 0);
    assert_int_equal(l.n, 7);
    check(&l.v[0], "d1/a", UFT_FTYPE_REG, 10);
    check(&l.v[1], "d1/empty", UFT_FTYPE_DIR, 0);
    check(&l.v[2], "d1/ln", UFT_FTYPE_LINK, 0);
    assert_string_equal(l.v[2].link, "a");
    check(&l.v[3], "d1/sub/b", UFT_FTYPE_REG, 5);
    check(&l.v[4], "f.txt", UFT_FTYPE_REG, 3);
    check(&l.v[5], "thing", UFT_FTYPE_DELETE, 0); /* like any operand: its last part */
    assert_null(l.v[5].src);
    check(&l.v[6], ".", UFT_FTYPE_FREESPACE, 0);
    assert_non_null(strstr(warned, "excluded"));
    assert_non_null(strstr(l.v[0].src, "/d1/a"));
    filelist_free(&l);
}

static void test_dest_and_base(void **state)
{
    const char *bases[1];
    struct fl_opts o = {0};
    struct fl_list l = {0};
    char f[128], d1[128];
    char *ops[2];
    (void)state;
    snprintf(f, sizeof f, "%s/f.txt", root);
    ops[0] = f;
    /* one file with -D: the file gets that name */
    o.dest_name = "renamed.txt";
    assert_int_equal(filelist_build(&o, ops, 1, &l), 0);
    check(&l.v[0], "renamed.txt", UFT_FTYPE_REG, 3);
    filelist_free(&l);
    /* -o: -D is a directory even for one file */
    o.dest_is_dir = true;
    assert_int_equal(filelist_build(&o, ops, 1, &l), 0);
    check(&l.v[0], "renamed.txt/f.txt", UFT_FTYPE_REG, 3);
    filelist_free(&l);
    /* -E strips the base, with or without its trailing slash */
    memset(&o, 0, sizeof o);
    bases[0] = root;
    o.base_dirs = bases;
    o.n_base = 1;
    o.follow_links = true;
    snprintf(d1, sizeof d1, "%s/d1", root);
    ops[0] = d1;
    ops[1] = "/elsewhere/file";
    o.warn = on_warn;
    warned[0] = '\0';
    assert_int_equal(filelist_build(&o, ops, 2, &l), 0);
    check(&l.v[0], "d1/a", UFT_FTYPE_REG, 10);
    check(&l.v[2], "d1/ln", UFT_FTYPE_REG, 10); /* -l follows the link */
    assert_int_equal(l.n, 5);
    assert_non_null(strstr(warned, "not under any -E"));
    filelist_free(&l);
}

static void test_missing_and_lines(void **state)
{
    struct fl_opts o = {0};
    struct fl_list l = {0};
    char *ops[] = {"/nonexistent/zzz", "/"};
    char path[128], **lines;
    size_t n;
    FILE *fp;
    (void)state;
    o.warn = on_warn;
    warned[0] = '\0';
    assert_int_equal(filelist_build(&o, ops, 2, &l), 0);
    assert_int_equal(l.n, 0);
    assert_non_null(strstr(warned, "No such file"));
    assert_non_null(strstr(warned, "not the root"));
    snprintf(path, sizeof path, "%s/list", root);
    fp = fopen(path, "w");
    fputs("a\r\n\nb c\nlast", fp);
    fclose(fp);
    assert_int_equal(filelist_read_lines(path, &lines, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(lines[0], "a");
    assert_string_equal(lines[1], "b c");
    assert_string_equal(lines[2], "last");
    filelist_free_lines(lines, n);
    assert_int_not_equal(filelist_read_lines("/nonexistent/list", &lines, &n), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk),
        cmocka_unit_test(test_dest_and_base),
        cmocka_unit_test(test_missing_and_lines),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
