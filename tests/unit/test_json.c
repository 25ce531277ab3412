/* The JSON status writer (--json): every line parses back with jansson
 * and has its fields; awkward file names (quotes, backslashes, control
 * characters, bytes that are not UTF-8) still make valid JSON; a failed
 * write is reported. Also the long options that turn it on, and the
 * progress lines' name and number formatting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "app/jsonev.h"
#include "app/progress.h"
#include "app/uftp_cli.h"
#include "app/uftpd_cli.h"
#include "core/msg.h"
#include "core/session.h"

/* The lines written so far, parsed; each must be one whole JSON object. */
struct lines {
    json_t *v[64];
    size_t n;
};

static void parse_lines(FILE *f, struct lines *out)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    rewind(f);
    out->n = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        json_error_t e;
        json_t *v;
        assert_true(line[len - 1] == '\n');
        /* one object per line: no raw newline inside */
        assert_ptr_equal(strchr(line, '\n'), line + len - 1);
        v = json_loadb(line, (size_t)len, JSON_REJECT_DUPLICATES, &e);
        if (!v)
            fail_msg("line does not parse (%s): %s", e.text, line);
        assert_true(json_is_object(v));
        assert_true(out->n < 64);
        out->v[out->n++] = v;
    }
    free(line);
}

static void free_lines(struct lines *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        json_decref(l->v[i]);
    l->n = 0;
}

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v))
        fail_msg("\"%s\" is not a string", key);
    return json_string_value(v);
}

static long long num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        fail_msg("\"%s\" is not an integer", key);
    return json_integer_value(v);
}

/* Every line's common fields. */
static void check_common(json_t *o, const char *event, const char *group)
{
    const char *t;
    assert_string_equal(str(o, "event"), event);
    assert_string_equal(str(o, "group"), group);
    t = str(o, "time"); /* 2024-05-01T12:34:56.789Z */
    assert_int_equal(strlen(t), 24);
    assert_true(t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[23] == 'Z');
}

static void test_sender_session(void **state)
{
    FILE *f = tmpfile();
    struct jsonev *j;
    struct jsonev_session ss = {0x1a2b3c4d, 0x0a000001, 5, "aes256-gcm", 2, 1300001};
    struct jsonev_file_done fd;
    struct jsonev_summary sum;
    struct lines l;
    (void)state;
    assert_non_null(f);
    j = jsonev_new(f);
    assert_non_null(j);
    jsonev_session_start(j, &ss);
    jsonev_client_registered(j, 0x1a2b3c4d, 0x0a000002);
    jsonev_file_start(j, 0x1a2b3c4d, 1, "big.bin", UFT_FTYPE_REG, 1300000);
    jsonev_pass(j, 0x1a2b3c4d, 1, 2);
    memset(&fd, 0, sizeof fd);
    fd.group_id = 0x1a2b3c4d;
    fd.client_id = 0x0a000002;
    fd.file_id = 1;
    fd.name = "big.bin";
    fd.status = UFT_COMP_NORMAL;
    fd.size = fd.bytes = 1300000;
    fd.seconds = 2.0;
    fd.has_free = true;
    fd.free_bytes = 123456789012LL;
    jsonev_file_done(j, &fd);
    jsonev_client_failed(j, 0x1a2b3c4d, 0x0a000003, "lost", "No COMPLETE from");
    jsonev_client_complete(j, 0x1a2b3c4d, 0x0a000002);
    memset(&sum, 0, sizeof sum);
    sum.group_id = 0x1a2b3c4d;
    sum.exit_code = UFT_EXIT_DROPPED;
    sum.clients = 2;
    sum.completed = sum.failed = 1;
    sum.files = 2;
    sum.bytes = 1300001;
    sum.bytes_delivered = 1300000;
    sum.data_packets = 1001;
    sum.seconds = 3.25;
    jsonev_session_end(j, &sum);
    assert_int_equal(jsonev_error(j), 0);
    assert_int_equal(jsonev_close(j), 0);

    parse_lines(f, &l);
    assert_int_equal(l.n, 8);
    check_common(l.v[0], "session_start", "0x1A2B3C4D");
    assert_string_equal(str(l.v[0], "server"), "0x0A000001");
    assert_int_equal(num(l.v[0], "version"), 5);
    assert_string_equal(str(l.v[0], "encryption"), "aes256-gcm");
    assert_int_equal(num(l.v[0], "files"), 2);
    assert_int_equal(num(l.v[0], "bytes"), 1300001);
    check_common(l.v[1], "client_registered", "0x1A2B3C4D");
    assert_string_equal(str(l.v[1], "client"), "0x0A000002");
    check_common(l.v[2], "file_start", "0x1A2B3C4D");
    assert_int_equal(num(l.v[2], "file"), 1);
    assert_string_equal(str(l.v[2], "name"), "big.bin");
    assert_null(json_object_get(l.v[2], "name_hex"));
    assert_string_equal(str(l.v[2], "type"), "file");
    assert_int_equal(num(l.v[2], "size"), 1300000);
    check_common(l.v[3], "pass", "0x1A2B3C4D");
    assert_int_equal(num(l.v[3], "pass"), 2);
    check_common(l.v[4], "file_done", "0x1A2B3C4D");
    assert_string_equal(str(l.v[4], "client"), "0x0A000002");
    assert_null(json_object_get(l.v[4], "server"));
    assert_string_equal(str(l.v[4], "status"), "copy");
    assert_int_equal(num(l.v[4], "bytes"), 1300000);
    assert_int_equal(num(l.v[4], "size"), 1300000);
    assert_true(json_number_value(json_object_get(l.v[4], "seconds")) == 2.0);
    assert_int_equal(num(l.v[4], "bytes_per_second"), 650000);
    assert_int_equal(num(l.v[4], "free_bytes"), 123456789012LL);
    check_common(l.v[5], "client_failed", "0x1A2B3C4D");
    assert_string_equal(str(l.v[5], "status"), "lost");
    assert_string_equal(str(l.v[5], "reason"), "No COMPLETE from");
    check_common(l.v[6], "client_complete", "0x1A2B3C4D");
    check_common(l.v[7], "session_end", "0x1A2B3C4D");
    assert_int_equal(num(l.v[7], "exit"), UFT_EXIT_DROPPED);
    assert_int_equal(num(l.v[7], "clients"), 2);
    assert_int_equal(num(l.v[7], "completed"), 1);
    assert_int_equal(num(l.v[7], "failed"), 1);
    assert_int_equal(num(l.v[7], "bytes_delivered"), 1300000);
    assert_int_equal(num(l.v[7], "data_packets"), 1001);
    assert_true(json_number_value(json_object_get(l.v[7], "seconds")) == 3.25);
    free_lines(&l);
    fclose(f);
}

static void test_receiver_session(void **state)
{
    FILE *f = tmpfile();
    struct jsonev *j = jsonev_new(f);
    struct jsonev_file_done fd;
    struct lines l;
    (void)state;
    assert_non_null(j);
    jsonev_rx_session_start(j, 7, 0x0a000001, "10.98.0.1");
    jsonev_file_start(j, 7, 3, "d1", UFT_FTYPE_DIR, 0);
    memset(&fd, 0, sizeof fd);
    fd.group_id = 7;
    fd.server_id = 0x0a000001;
    fd.file_id = 4;
    fd.name = "x";
    fd.status = UFT_RESULT_ABORTED;
    fd.size = 10;
    jsonev_file_done(j, &fd);
    jsonev_rx_session_end(j, 7, 0x0a000001, false, "Server quit, aborting all");
    jsonev_rx_session_end(j, 7, 0x0a000001, true, NULL);
    assert_int_equal(jsonev_close(j), 0);
    parse_lines(f, &l);
    assert_int_equal(l.n, 5);
    check_common(l.v[0], "session_start", "0x00000007");
    assert_string_equal(str(l.v[0], "address"), "10.98.0.1");
    assert_string_equal(str(l.v[1], "type"), "dir");
    assert_string_equal(str(l.v[2], "server"), "0x0A000001");
    assert_null(json_object_get(l.v[2], "client"));
    assert_string_equal(str(l.v[2], "status"), "aborted");
    assert_int_equal(num(l.v[2], "bytes"), 0);
    assert_int_equal(num(l.v[2], "bytes_per_second"), 0); /* 0 seconds: no division */
    assert_string_equal(str(l.v[3], "status"), "failed");
    assert_string_equal(str(l.v[3], "reason"), "Server quit, aborting all");
    assert_string_equal(str(l.v[4], "status"), "complete");
    assert_null(json_object_get(l.v[4], "reason"));
    free_lines(&l);
    fclose(f);
}

static char *hex_of(const char *s)
{
    size_t i, n = strlen(s);
    char *h = malloc(2 * n + 1);
    assert_non_null(h);
    for (i = 0; i < n; i++)
        snprintf(h + 2 * i, 3, "%02x", (unsigned char)s[i]);
    h[2 * n] = '\0';
    return h;
}

static void test_awkward_names(void **state)
{
    static const struct {
        const char *name;
        const char *json_name; /* NULL: the same as name (valid UTF-8) */
    } cases[] = {
        {"say \"hi\"", NULL},
        {"back\\slash\\", NULL},
        {"new\nline\r\tand \x01\x1f\x7f", NULL},
        {"sp ace/f\xc3\xafl\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x93\x81", NULL},
        {"\xe2\x80\xa8separator", NULL}, /* U+2028 is valid in a JSON string */
        {"bad \xff byte", "bad \xef\xbf\xbd byte"},
        {"cut \xc3", "cut \xef\xbf\xbd"},
        {"overlong \xc0\xaf", "overlong \xef\xbf\xbd\xef\xbf\xbd"},
        {"surrogate \xed\xa0\x80", "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"too high \xf4\x90\x80\x80", "too high \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"\"\\\n\xfe", "\"\\\n\xef\xbf\xbd"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FILE *f = tmpfile();
        struct jsonev *j = jsonev_new(f);
        struct jsonev_file_done fd;
        struct lines l;
        json_t *hex;
        size_t k;
        assert_non_null(j);
        jsonev_file_start(j, 1, 1, cases[i].name, UFT_FTYPE_REG, 5);
        memset(&fd, 0, sizeof fd);
        fd.group_id = 1;
        fd.client_id = 2;
        fd.file_id = 1;
        fd.name = cases[i].name;
        jsonev_file_done(j, &fd);
        jsonev_client_failed(j, 1, 2, "aborted", cases[i].name); /* a reason from the network */
        assert_int_equal(jsonev_close(j), 0);
        parse_lines(f, &l);
        assert_int_equal(l.n, 3);
        for (k = 0; k < 2; k++) {
            const char *want = cases[i].json_name ? cases[i].json_name : cases[i].name;
            assert_string_equal(str(l.v[k], "name"), want);
            hex = json_object_get(l.v[k], "name_hex");
            if (cases[i].json_name) {
                char *h = hex_of(cases[i].name);
                assert_true(json_is_string(hex));
                assert_string_equal(json_string_value(hex), h);
                free(h);
            } else {
                assert_null(hex);
            }
        }
        assert_string_equal(str(l.v[2], "reason"),
                            cases[i].json_name ? cases[i].json_name : cases[i].name);
        assert_null(json_object_get(l.v[2], "reason_hex"));
        free_lines(&l);
        fclose(f);
    }
}

static void test_utf8_len(void **state)
{
    (void)state;
    assert_int_equal(jsonev_utf8_len((const unsigned char *)"a", 1), 1);
    assert_int_equal(jsonev_utf8_len((const unsigned char *)"\xc3\xa9", 2), 2);
    assert_int_equal(jsonev_utf8_len((const unsigned char *)"\xc3\xa9", 1), 0); /* cut */
    assert_int_equal(jsonev_utf8_len((const unsigned char *)"\xe0\xa0\x80", 3), 3);
    assert_int_equal(jsonev_utf8_len((const unsigned char *)"\xe0\x9f\xbf", 3), 0);
    assert_int_equal(jsonev_utf8_len((const unsigned char *)"\xef\xbf\xbf", 3), 3);
    assert_int_equal(jsonev_utf8_len((const unsigned char *)"\xf4\x8f\xbf\xbf", 4), 4);
    assert_int_equal(jsonev_utf8_len((const unsigned char *)"\xf0\x8f\xbf\xbf", 4), 0);
    assert_int_equal(jsonev_utf8_len((const unsigned char *)"\x80", 1), 0);
    assert_int_equal(jsonev_utf8_len((const unsigned char *)"\xc1\xbf", 2), 0);
    assert_int_equal(jsonev_utf8_len((const unsigned char *)"\xf5\x80\x80\x80", 4), 0);
    assert_int_equal(jsonev_utf8_len((const unsigned char *)"\xe2\x28\xa1", 3), 0);
}

static void test_words(void **state)
{
    (void)state;
    assert_string_equal(jsonev_status_word(UFT_COMP_NORMAL), "copy");
    assert_string_equal(jsonev_status_word(UFT_COMP_OVERWRITE), "overwritten");
    assert_string_equal(jsonev_status_word(UFT_COMP_SKIPPED), "skipped");
    assert_string_equal(jsonev_status_word(UFT_COMP_REJECTED), "rejected");
    assert_string_equal(jsonev_status_word(UFT_RESULT_LOST), "lost");
    assert_string_equal(jsonev_status_word(UFT_RESULT_ABORTED), "aborted");
    assert_string_equal(jsonev_status_word(42), "unknown");
    assert_string_equal(jsonev_type_word(UFT_FTYPE_LINK), "link");
    assert_string_equal(jsonev_type_word(UFT_FTYPE_FREESPACE), "freespace");
    assert_string_equal(jsonev_type_word(-1), "unknown");
}

/* A full disk: the failure is remembered and close says so. */
static void test_write_failure(void **state)
{
    FILE *f = fopen("/dev/full", "w");
    struct jsonev *j;
    (void)state;
    if (!f)
        skip();
    j = jsonev_new(f);
    assert_non_null(j);
    assert_int_equal(jsonev_error(j), 0);
    jsonev_client_registered(j, 1, 2);
    assert_int_equal(jsonev_error(j), ENOSPC);
    assert_int_equal(jsonev_close(j), -1);
    fclose(f);
    assert_null(jsonev_open("/nonexistent-dir/x.json"));
    assert_int_equal(jsonev_close(NULL), 0);
}

static int argv_of(char *buf, char **argv, const char *line)
{
    char *tok, *save = NULL;
    int argc = 0;
    strcpy(buf, line);
    for (tok = strtok_r(buf, " ", &save); tok && argc < 31; tok = strtok_r(NULL, " ", &save))
        argv[argc++] = tok;
    argv[argc] = NULL;
    return argc;
}

/* --json and --no-progress are long options UFTP lacks; its letters keep
 * their meaning (-h is still the hash type). */
static void test_cli(void **state)
{
    static char buf[512];
    static char *argv[32];
    struct uftp_opts o;
    struct uftpd_opts d;
    char err[200];
    int argc;
    (void)state;
    argc = argv_of(buf, argv, "uftp -h sha384 --json out.json --no-progress f1 -x 3");
    assert_int_equal(uftp_cli_parse(argc, argv, &o, err, sizeof err), UFTP_CLI_OK);
    assert_string_equal(o.json_file, "out.json");
    assert_true(o.no_progress && !o.progress);
    assert_int_equal(o.hashtype, UFT_HASH_SHA384);
    assert_int_equal(o.log_level, 3);
    assert_int_equal(o.n_files, 1);
    argc = argv_of(buf, argv, "uftp --json=- --progress f1");
    assert_int_equal(uftp_cli_parse(argc, argv, &o, err, sizeof err), UFTP_CLI_OK);
    assert_string_equal(o.json_file, "-");
    assert_true(o.progress);
    argc = argv_of(buf, argv, "uftp f1 --jason x");
    assert_int_equal(uftp_cli_parse(argc, argv, &o, err, sizeof err), UFTP_CLI_ERROR);
    assert_non_null(strstr(err, "--jason: unknown option"));
    argc = argv_of(buf, argv, "uftp f1 --json");
    assert_int_equal(uftp_cli_parse(argc, argv, &o, err, sizeof err), UFTP_CLI_ERROR);
    assert_non_null(strstr(err, "--json needs an argument"));
    argc = argv_of(buf, argv, "uftp f1 --progress --no-progress");
    assert_int_equal(uftp_cli_parse(argc, argv, &o, err, sizeof err), UFTP_CLI_ERROR);
    argc = argv_of(buf, argv, "uftpd -d --json - --no-progress");
    assert_int_equal(uftpd_cli_parse(argc, argv, &d, err, sizeof err), UFTPD_CLI_OK);
    assert_string_equal(d.json_file, "-");
    assert_true(d.no_progress);
    argc = argv_of(buf, argv, "uftpd --json -");
    assert_int_equal(uftpd_cli_parse(argc, argv, &d, err, sizeof err), UFTPD_CLI_ERROR);
    assert_non_null(strstr(err, "add -d"));
}

/* What the progress lines print of a name: nothing that moves the cursor. */
static void test_progress_format(void **state)
{
    char buf[64];
    (void)state;
    progress_fmt_name(buf, sizeof buf, "a\nb\x1b[2J\xff\xc3\xa9", 40);
    assert_string_equal(buf, "a?b?[2J?\xc3\xa9");
    progress_fmt_name(buf, sizeof buf, "0123456789abcdef", 10);
    assert_string_equal(buf, "...9abcdef");
    progress_fmt_bytes(buf, sizeof buf, 937);
    assert_string_equal(buf, "937 B");
    progress_fmt_bytes(buf, sizeof buf, 4.5 * 1024 * 1024);
    assert_string_equal(buf, "4.50 MiB");
    progress_fmt_eta(buf, sizeof buf, 42);
    assert_string_equal(buf, "0:42");
    progress_fmt_eta(buf, sizeof buf, 3 * 3600 + 2 * 60 + 11);
    assert_string_equal(buf, "3:02:11");
    progress_fmt_eta(buf, sizeof buf, -1);
    assert_string_equal(buf, "--:--");
    assert_null(progress_new(-1)); /* not a terminal: no progress lines */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sender_session),
        cmocka_unit_test(test_receiver_session),
        cmocka_unit_test(test_awkward_names),
        cmocka_unit_test(test_utf8_len),
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_write_failure),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_progress_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
