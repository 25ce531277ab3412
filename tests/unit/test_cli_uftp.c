/* uftp's command line: UFTP's defaults, real command lines, and errors
 * that name the option. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "app/uftp_cli.h"
#include "core/msg.h"

static int parse(struct uftp_opts *o, char *err, const char *line)
{
    /* static: the parsed options point into argv */
    static char buf[1024];
    static char *argv[64];
    char *tok, *save = NULL;
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (tok = strtok_r(buf, " ", &save); tok && argc < 63; tok = strtok_r(NULL, " ", &save))
        argv[argc++] = tok;
    argv[argc] = NULL;
    err[0] = '\0';
    return uftp_cli_parse(argc, argv, o, err, 200);
}

static void test_defaults(void **state)
{
    struct uftp_opts o;
    char err[200];
    (void)state;
    assert_int_equal(parse(&o, err, "uftp file1"), UFTP_CLI_OK);
    assert_int_equal(o.rate_kbps, 1000);
    assert_int_equal(o.keytype, UFT_KEY_AES256_GCM); /* encrypted by default in 5.x */
    assert_int_equal(o.hashtype, UFT_HASH_SHA256);
    assert_int_equal(o.curve, UFT_CURVE_P256);
    assert_int_equal(o.block_len, 1300);
    assert_int_equal(o.port, 1044);
    assert_int_equal(o.robust, 20);
    assert_string_equal(o.pub_addr, "230.4.4.1");
    assert_string_equal(o.priv_addr, "230.5.5.x");
    assert_true(o.grtt_init == 0.5 && o.grtt_min == 0.01 && o.grtt_max == 15.0);
    assert_int_equal(o.n_files, 1);
    assert_string_equal(o.files[0], "file1");
}

static void test_typical(void **state)
{
    struct uftp_opts o;
    char err[200];
    (void)state;
    assert_int_equal(parse(&o, err,
                           "uftp -Y none -b 8800 -R 100000 -M 239.1.1.1 -P 239.2.2.2 "
                           "-H 0x0a000001,0x0a000002 -Z -r 0.05:0.01:1 -s 10 -U 0x11223344 "
                           "-C tfmcc:min=100:max=5000 -c -Q 0x2e f1 dir2"),
                     UFTP_CLI_OK);
    assert_int_equal(o.keytype, UFT_KEY_NONE);
    assert_false(o.client_auth); /* -c means nothing without encryption */
    assert_int_equal(o.block_len, 8800);
    assert_int_equal(o.rate_kbps, 100000);
    assert_true(o.sync && o.sync_preview);
    assert_true(o.grtt_init == 0.05 && o.grtt_max == 1.0);
    assert_int_equal(o.uid, 0x11223344);
    assert_int_equal(o.cc_type, UFT_CC_TFMCC);
    assert_int_equal(o.cc_min_kbps, 100);
    assert_int_equal(o.cc_max_kbps, 5000);
    assert_int_equal(o.dscp, 0x2e);
    assert_int_equal(o.n_files, 2);
    assert_string_equal(o.files[1], "dir2");
    /* old TFMCC form and GNU-style options after operands */
    assert_int_equal(parse(&o, err, "uftp f1 -C tfmcc:2000 -R -1"), UFTP_CLI_OK);
    assert_int_equal(o.cc_max_kbps, 2000);
    assert_int_equal(o.rate_kbps, -1);
    assert_int_equal(parse(&o, err, "uftp -i -"), UFTP_CLI_OK);
    assert_string_equal(o.list_file, "-");
    assert_int_equal(o.protocol, 5);
    assert_int_equal(parse(&o, err, "uftp -V 4 f"), UFTP_CLI_OK);
    assert_int_equal(o.protocol, 4);
    /* UFTP 4's choices (uftp refuses them without -V 4) */
    assert_int_equal(
        parse(&o, err, "uftp -V 4 -Y aes128-cbc -h sha1 -e ecdh_rsa:secp384r1 -w keyex f"),
        UFTP_CLI_OK);
    assert_int_equal(o.keytype, UFT_KEY_AES128_CBC);
    assert_int_equal(o.hashtype, UFT_HASH_SHA1);
    assert_int_equal(o.keyex, UFT_KEYEX_ECDH_RSA);
    assert_int_equal(o.curve, UFT_CURVE_P384);
    assert_int_equal(o.sigtype, UFT_SIG_KEYEX);
    assert_int_equal(parse(&o, err, "uftp -V 4 -e rsa f"), UFTP_CLI_OK);
    assert_int_equal(o.keyex, UFT_KEYEX_RSA);
}

static void expect_error(const char *line, const char *needle)
{
    struct uftp_opts o;
    char err[200];
    assert_int_equal(parse(&o, err, line), UFTP_CLI_ERROR);
    if (!strstr(err, needle))
        fail_msg("'%s': error '%s' does not mention '%s'", line, err, needle);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("uftp -b 100 f", "-b 100");
    expect_error("uftp -b 9000 f", "512 to 8800");
    expect_error("uftp -Y des f", "-Y des");
    expect_error("uftp -h md5 f", "sha256");
    expect_error("uftp -R 0 f", "-R 0");
    expect_error("uftp -K rsa:512 f", "rsa:BITS");
    expect_error("uftp -K dsa:1024 f", "-K");
    expect_error("uftp -U 0 f", "-U 0");
    expect_error("uftp -U xyz f", "hex");
    expect_error("uftp -C pgmcc f", "-C pgmcc");
    expect_error("uftp -r 2:1 f", "-r 2:1");
    expect_error("uftp -r 5:6:7 f", "min <= init <= max");
    expect_error("uftp -s 5 f", "-s 5");
    expect_error("uftp -H 0x01 -F rf", "-H and -F");
    expect_error("uftp -F rf f", "-F takes the files");
    expect_error("uftp -z -f f", "sync mode");
    expect_error("uftp -W 200 -R -1 f", "-W");
    expect_error("uftp -g 10 f", "-L");
    expect_error("uftp", "no files");
    expect_error("uftp -J f", "-J: unknown option");
    expect_error("uftp -w md5 f", "hmac or keyex");
    expect_error("uftp -e rsa:secp384r1 f", "unknown curve");
    expect_error("uftp f -b", "-b needs an argument");
    expect_error("uftp -V 3 f", "-V 3");
}

static void test_help(void **state)
{
    struct uftp_opts o;
    char err[200];
    (void)state;
    assert_int_equal(parse(&o, err, "uftp --help"), UFTP_CLI_HELP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_typical),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
