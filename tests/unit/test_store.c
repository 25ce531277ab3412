/* The receiver's storage: names from the network never leave the
 * destination, partial files never look complete. */
#include <fcntl.h>
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

#include "core/msg.h"
#include "sys/store.h"

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
        assert_int_equal(uft_store_mkdir(&st, bad[i]), UFT_COMP_REJECTED);
        assert_int_equal(uft_store_symlink(&st, bad[i], "x"), UFT_COMP_REJECTED);
    }
    assert_int_equal(uft_store_delete(&st, "escape/victim"), UFT_COMP_REJECTED);
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
    assert_int_equal(uft_store_delete(&st, "abs"), UFT_COMP_NORMAL);
    assert_false(exists(dest, "abs"));
    assert_int_equal(uft_store_delete(&st, "escape"), UFT_COMP_NORMAL); /* the link itself */
    assert_true(exists(outside, "victim"));
    assert_true(uft_store_free(&st) > 0);
    uft_store_close(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes_refused),
        cmocka_unit_test(test_write_through_link_replaces_link),
        cmocka_unit_test(test_temp_then_rename),
        cmocka_unit_test(test_sync_and_absolute),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
