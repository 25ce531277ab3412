/* The programs' key helpers: fingerprints as -H @file gives them, and
 * -k/-K loading and writing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/keys.h"

static void fingerprint_forms(void **state)
{
    unsigned char fp[20];
    (void)state;
    assert_int_equal(app_parse_fingerprint("16:92:D2:23:6E:D9:84:5B:BB:75:42:9E:2F:F5:15:B5:0C:A3:"
                                           "D0:E7",
                                           fp),
                     0);
    assert_int_equal(fp[0], 0x16);
    assert_int_equal(fp[19], 0xe7);
    /* lower case, spaces around it, a CR from a DOS file */
    assert_int_equal(app_parse_fingerprint(" 16:92:d2:23:6e:d9:84:5b:bb:75:42:9e:2f:f5:15:b5:0c:a3:"
                                           "d0:e7 \r",
                                           fp),
                     0);
    assert_int_equal(fp[2], 0xd2);
    /* too short, too long, bad digit, wrong separator */
    assert_int_not_equal(app_parse_fingerprint("16:92:D2", fp), 0);
    assert_int_not_equal(app_parse_fingerprint("16:92:D2:23:6E:D9:84:5B:BB:75:42:9E:2F:F5:15:B5:"
                                               "0C:A3:D0:E7:00",
                                               fp),
                         0);
    assert_int_not_equal(app_parse_fingerprint("1G:92:D2:23:6E:D9:84:5B:BB:75:42:9E:2F:F5:15:B5:"
                                               "0C:A3:D0:E7",
                                               fp),
                         0);
    assert_int_not_equal(app_parse_fingerprint("16-92-D2-23-6E-D9-84-5B-BB-75-42-9E-2F-F5-15-B5-"
                                               "0C-A3-D0-E7",
                                               fp),
                         0);
    assert_int_not_equal(app_parse_fingerprint("", fp), 0);
}

static void keygen_writes_once_and_loads(void **state)
{
    char dir[] = "/tmp/uft-keys-XXXXXX", path[64], desc[160], desc2[160], err[256];
    struct uft_signkey *k = NULL, *k2 = NULL;
    struct stat st;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/k.pem", dir);
    assert_int_equal(app_signing_key(NULL, NULL, &k, desc, sizeof desc, err, sizeof err), 0);
    assert_null(k);
    assert_int_equal(app_signing_key(path, "ec:secp384r1", &k, desc, sizeof desc, err, sizeof err),
                     0);
    assert_non_null(k);
    assert_non_null(strstr(desc, "fingerprint: "));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* loading it gives the same fingerprint; -K never overwrites it */
    assert_int_equal(app_signing_key(path, NULL, &k2, desc2, sizeof desc2, err, sizeof err), 0);
    assert_string_equal(desc, desc2);
    uft_signkey_free(k2);
    k2 = NULL;
    assert_int_equal(app_signing_key(path, "rsa:1024", &k2, desc2, sizeof desc2, err, sizeof err),
                     3);
    assert_null(k2);
    assert_non_null(strstr(err, path));
    /* a file that is not a key is named in the error */
    assert_int_equal(
        app_signing_key("/etc/hostname", NULL, &k2, desc2, sizeof desc2, err, sizeof err), 3);
    assert_non_null(strstr(err, "-k /etc/hostname"));
    uft_signkey_free(k);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fingerprint_forms),
        cmocka_unit_test(keygen_writes_once_and_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
