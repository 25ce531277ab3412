/* uftpd's command line: defaults, real command lines, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "app/uftpd_cli.h"

static int parse(struct uftpd_opts *o, char *err, const char *line)
{
    static char buf[1024];
    static char *argv[64];
    char *tok, *save = NULL;
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (tok = strtok_r(buf, " ", &save); tok && argc < 63; tok = strtok_r(NULL, " ", &save))
        argv[argc++] = tok;
    argv[argc] = NULL;
    err[0] = '\0';
    return uftpd_cli_parse(argc, argv, o, err, 200);
}

static void test_defaults(void **state)
{
    struct uftpd_opts o;
    char err[200];
    (void)state;
    assert_int_equal(parse(&o, err, "uftpd"), UFTPD_CLI_OK);
    assert_int_equal(o.port, 1044);
    assert_int_equal(o.n_dest, 1);
    assert_string_equal(o.dest[0], "/tmp");
    assert_string_equal(o.pub_addrs, "230.4.4.1");
    assert_string_equal(o.logfile, "/tmp/uftpd.log");
    assert_int_equal(o.cache, 1048576);
    assert_int_equal(o.hb_interval, 20);
    assert_false(o.foreground);
}

static void test_typical(void **state)
{
    struct uftpd_opts o;
    char err[200];
    (void)state;
    assert_int_equal(parse(&o, err,
                           "uftpd -d -x 3 -D /srv/a/,/srv/b -A /bk/a,/bk/b -M 239.1.1.1,ff15::1 "
                           "-U 0x0a000002 -E -F @LOG -N -5 -p 2000"),
                     UFTPD_CLI_OK);
    assert_true(o.foreground && o.encrypted_only);
    assert_int_equal(o.log_level, 3);
    assert_int_equal(o.n_dest, 2);
    assert_string_equal(o.dest[0], "/srv/a"); /* trailing separator dropped */
    assert_string_equal(o.backup[1], "/bk/b");
    assert_int_equal(o.uid, 0x0a000002);
    assert_int_equal(o.nice, -5);
    assert_int_equal(o.port, 2000);
    assert_int_equal(parse(&o, err, "uftpd -T /var/tmp/u -i -D /data"), UFTPD_CLI_OK);
}

static void expect_error(const char *line, const char *needle)
{
    struct uftpd_opts o;
    char err[200];
    assert_int_equal(parse(&o, err, line), UFTPD_CLI_ERROR);
    if (!strstr(err, needle))
        fail_msg("'%s': error '%s' does not mention '%s'", line, err, needle);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("uftpd -p 0", "-p 0");
    expect_error("uftpd -D relative/dir", "absolute");
    expect_error("uftpd -D /a,/b -A /x", "one backup directory");
    expect_error("uftpd -t -T /tmp/x", "-t and -T");
    expect_error("uftpd -T rel", "absolute");
    expect_error("uftpd -T /tmp", "must differ");
    expect_error("uftpd -T /x -D /a,/b", "single -D");
    expect_error("uftpd -i", "-i only");
    expect_error("uftpd -o", "-S");
    expect_error("uftpd -c 100", "-c 100");
    expect_error("uftpd -h 0", "-h 0");
    expect_error("uftpd -K ec:secp256k1", "ec:CURVE");
    expect_error("uftpd -s script.sh", "absolute");
    expect_error("uftpd somefile", "no file names");
    expect_error("uftpd -D /1,/2,/3,/4,/5,/6,/7,/8,/9,/10,/11", "at most 10");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_typical),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
