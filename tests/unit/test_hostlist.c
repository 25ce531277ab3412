/* Host lists: uftp's -H (IDs, IPv4 addresses, @file with fingerprints),
 * uftpd's -S server list, -R proxy list, -H heartbeat hosts and -r
 * response proxy, with the errors users see. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <arpa/inet.h>

#include "app/hostlist.h"

#define FP  "16:92:D2:23:6E:D9:84:5B:BB:75:42:9E:2F:F5:15:B5:0C:A3:D0:E7"
#define FP2 "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33"

static char path[64];

static void write_file(const char *text)
{
    FILE *f;
    snprintf(path, sizeof path, "/tmp/uft_hostlist_%d", (int)getpid());
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void clients_inline(void **state)
{
    uint32_t *ids;
    uint8_t *fps;
    size_t n;
    char err[256];
    (void)state;
    assert_int_equal(
        hostlist_parse_clients("0x0a000001,0A000002,10.0.0.3", &ids, &fps, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], 0x0a000001);
    assert_int_equal(ids[1], 0x0a000002);
    assert_int_equal(ids[2], 0x0a000003); /* an IPv4 address is its ID */
    assert_int_equal(fps[0], 0);
    free(ids);
    free(fps);
    /* a bad entry is named */
    assert_int_not_equal(
        hostlist_parse_clients("0x0a000001,no such host!", &ids, &fps, &n, err, sizeof err), 0);
    assert_non_null(strstr(err, "no such host!"));
    free(ids);
    free(fps);
}

static void clients_file(void **state)
{
    uint32_t *ids;
    uint8_t *fps;
    size_t n;
    char err[256], spec[80];
    (void)state;
    write_file("# clients\n0x0a000001|" FP "\n\n  0a000002 | " FP2 "  # second\r\n0a000003\n");
    snprintf(spec, sizeof spec, "@%s", path);
    assert_int_equal(hostlist_parse_clients(spec, &ids, &fps, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(ids[1], 0x0a000002);
    assert_int_equal(fps[0], 0x16);
    assert_int_equal(fps[20 + 19], 0x33);
    assert_int_equal(fps[40], 0); /* no fingerprint: zeros */
    free(ids);
    free(fps);
    write_file("0x0a000001|16:92\n");
    assert_int_not_equal(hostlist_parse_clients(spec, &ids, &fps, &n, err, sizeof err), 0);
    assert_non_null(strstr(err, "fingerprint"));
    free(ids);
    free(fps);
    unlink(path);
    assert_int_not_equal(hostlist_parse_clients(spec, &ids, &fps, &n, err, sizeof err), 0);
    assert_non_null(strstr(err, path));
}

static void servers(void **state)
{
    struct hostlist_server *s;
    size_t n;
    char err[256];
    (void)state;
    write_file("# id|ip|proxy|fp\n0x0a620001|10.98.0.1|0|" FP
               "\n0A620002 | fd98::2 | 0x0a620009\n");
    assert_int_equal(hostlist_read_servers(path, &s, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(s[0].e.server_id, 0x0a620001);
    assert_true(s[0].e.has_fp);
    assert_int_equal(s[0].e.fp[0], 0x16);
    assert_int_equal(s[0].addr.ss.ss_family, AF_INET);
    assert_int_equal(s[1].e.proxy_id, 0x0a620009);
    assert_false(s[1].e.has_fp);
    assert_int_equal(s[1].addr.ss.ss_family, AF_INET6);
    free(s);
    /* missing field, bad ID, bad fingerprint, empty list */
    write_file("0x0a620001|10.98.0.1\n");
    assert_int_not_equal(hostlist_read_servers(path, &s, &n, err, sizeof err), 0);
    assert_non_null(strstr(err, "ServerID|IP|ProxyID"));
    free(s);
    write_file("0xzz|10.98.0.1|0\n");
    assert_int_not_equal(hostlist_read_servers(path, &s, &n, err, sizeof err), 0);
    assert_non_null(strstr(err, "hex"));
    free(s);
    write_file("1|10.98.0.1|0|nope\n");
    assert_int_not_equal(hostlist_read_servers(path, &s, &n, err, sizeof err), 0);
    assert_non_null(strstr(err, "fingerprint"));
    free(s);
    write_file("# nothing\n");
    assert_int_not_equal(hostlist_read_servers(path, &s, &n, err, sizeof err), 0);
    assert_non_null(strstr(err, "no server"));
    free(s);
    unlink(path);
}

static void proxies(void **state)
{
    struct hostlist_proxy *p;
    size_t n;
    char err[256];
    (void)state;
    write_file("# id|ip|fp\n0x0a620005|10.98.0.5|" FP "\n 0A620009 | fd98::9 # no key\n");
    assert_int_equal(hostlist_read_proxies(path, &p, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(p[0].e.proxy_id, 0x0a620005);
    assert_true(p[0].e.has_fp);
    assert_int_equal(p[0].e.fp[19], 0xe7);
    assert_int_equal(p[0].addr.ss.ss_family, AF_INET);
    assert_int_equal(p[1].e.proxy_id, 0x0a620009);
    assert_false(p[1].e.has_fp);
    assert_int_equal(p[1].addr.ss.ss_family, AF_INET6);
    free(p);
    /* an empty list is allowed: no proxy is then checked */
    write_file("# none yet\n");
    assert_int_equal(hostlist_read_proxies(path, &p, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    free(p);
    /* missing address, too many fields, zero or bad ID, bad fingerprint */
    write_file("0x0a620005\n");
    assert_int_not_equal(hostlist_read_proxies(path, &p, &n, err, sizeof err), 0);
    assert_non_null(strstr(err, "ProxyID|IP[|fingerprint]"));
    assert_non_null(strstr(err, "entry 1"));
    free(p);
    write_file("# ok\n0x0a620005|10.98.0.5|" FP "|extra\n");
    assert_int_not_equal(hostlist_read_proxies(path, &p, &n, err, sizeof err), 0);
    assert_non_null(strstr(err, "entry 2"));
    free(p);
    write_file("0|10.98.0.5\n");
    assert_int_not_equal(hostlist_read_proxies(path, &p, &n, err, sizeof err), 0);
    assert_non_null(strstr(err, "non-zero hex ID"));
    free(p);
    write_file("0x0a620005|10.98.0.5|16:92\n");
    assert_int_not_equal(hostlist_read_proxies(path, &p, &n, err, sizeof err), 0);
    assert_non_null(strstr(err, "fingerprint"));
    assert_non_null(strstr(err, "-R"));
    free(p);
    unlink(path);
    assert_int_not_equal(hostlist_read_proxies(path, &p, &n, err, sizeof err), 0);
    assert_non_null(strstr(err, path));
}

static uint16_t port_of(const struct uft_addr *a)
{
    if (a->ss.ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

static void hb_hosts(void **state)
{
    struct uft_addr *a;
    size_t n;
    char err[256];
    (void)state;
    assert_int_equal(
        hostlist_parse_hosts("10.0.0.1, 10.0.0.2:2000,[fd98::7]:3000,[fd98::8],fd98::9", 1044, &a,
                             &n, err, sizeof err),
        0);
    assert_int_equal(n, 5);
    assert_int_equal(a[0].ss.ss_family, AF_INET);
    assert_int_equal(port_of(&a[0]), 1044);
    assert_int_equal(port_of(&a[1]), 2000);
    assert_int_equal(a[2].ss.ss_family, AF_INET6);
    assert_int_equal(port_of(&a[2]), 3000);
    assert_int_equal(port_of(&a[3]), 1044);
    assert_int_equal(a[4].ss.ss_family, AF_INET6); /* bare IPv6: the default port */
    assert_int_equal(port_of(&a[4]), 1044);
    free(a);
    /* bad ports, a broken bracket, an unknown host, nothing at all */
    assert_int_not_equal(hostlist_parse_hosts("10.0.0.1:0", 1044, &a, &n, err, sizeof err), 0);
    assert_non_null(strstr(err, "10.0.0.1:0"));
    free(a);
    assert_int_not_equal(hostlist_parse_hosts("10.0.0.1:99999", 1044, &a, &n, err, sizeof err), 0);
    free(a);
    assert_int_not_equal(hostlist_parse_hosts("[fd98::7:3000", 1044, &a, &n, err, sizeof err), 0);
    assert_non_null(strstr(err, "[address]:port"));
    free(a);
    assert_int_not_equal(hostlist_parse_hosts("no such host!", 1044, &a, &n, err, sizeof err), 0);
    assert_non_null(strstr(err, "no such host!"));
    free(a);
    assert_int_not_equal(hostlist_parse_hosts(" , ", 1044, &a, &n, err, sizeof err), 0);
    assert_non_null(strstr(err, "no host"));
    free(a);
}

static void proxy4(void **state)
{
    struct uft_addr a;
    bool has_fp;
    uint8_t fp[20];
    char err[256];
    (void)state;
    assert_int_equal(hostlist_parse_proxy4("10.98.0.5", 1044, &a, &has_fp, fp, err, sizeof err), 0);
    assert_false(has_fp);
    assert_int_equal(port_of(&a), 1044);
    assert_int_equal(hostlist_parse_proxy4("10.98.0.5/" FP, 1045, &a, &has_fp, fp, err, sizeof err),
                     0);
    assert_true(has_fp);
    assert_int_equal(fp[0], 0x16);
    assert_int_equal(port_of(&a), 1045);
    assert_int_equal(hostlist_parse_proxy4("[fd98::5]/" FP, 1044, &a, &has_fp, fp, err, sizeof err),
                     0);
    assert_int_equal(a.ss.ss_family, AF_INET6);
    assert_int_not_equal(
        hostlist_parse_proxy4("10.98.0.5/12:34", 1044, &a, &has_fp, fp, err, sizeof err), 0);
    assert_non_null(strstr(err, "fingerprint"));
    assert_int_not_equal(hostlist_parse_proxy4("/" FP, 1044, &a, &has_fp, fp, err, sizeof err), 0);
    assert_non_null(strstr(err, "-r"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clients_inline), cmocka_unit_test(clients_file), cmocka_unit_test(servers),
        cmocka_unit_test(proxies),        cmocka_unit_test(hb_hosts),     cmocka_unit_test(proxy4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
