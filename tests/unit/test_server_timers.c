/* The server session's timers, driven by hand: after every pull that has
 * nothing to send, the next deadline lies in the future (a deadline in the
 * past makes the event loop spin), and the session moves on to its end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/msg.h"
#include "core/server.h"

#define CLIENT 1u
#define GROUP  0x1234abcdu

static int fill_read(void *ctx, void *handle, uint64_t off, uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)handle;
    memset(buf, (int)(off & 0xff), len);
    return 0;
}

struct drive {
    struct uft_server *s;
    uft_ts now;
    unsigned sent[UFT_FUNC_EXT_MAX + 1]; /* datagrams pulled, by message type */
    uint16_t fileinfo_id;                /* the last FILEINFO's file */
};

/* Pull everything due now, then check the deadline is ahead. */
static void drain(struct drive *dv)
{
    static uint8_t out[9000];
    struct uft_tx tx;
    struct uft_msg m;
    ssize_t n;
    int pulls = 0;
    while ((n = uft_server_pull(dv->s, dv->now, out, sizeof out, &tx)) > 0) {
        assert_true(++pulls < 100000);
        assert_int_equal(uft_msg_decode(out, (size_t)n, &m), 0);
        dv->sent[m.hdr.func]++;
        if (m.hdr.func == UFT_FILEINFO)
            dv->fileinfo_id = m.u.fileinfo.file_id;
    }
    assert_true(uft_server_deadline(dv->s) > dv->now);
}

/* Go to the next deadline (or to "at", if sooner) and drain. */
static void step(struct drive *dv, uft_ts at)
{
    uft_ts t = uft_server_deadline(dv->s);
    dv->now = t < at ? t : at;
    drain(dv);
}

static void feed(struct drive *dv, struct uft_msg *m)
{
    static const struct uft_peer from = {4, {127, 0, 0, 2}};
    uint8_t pkt[1500];
    ssize_t n;
    m->hdr.version = UFT_VER5;
    m->hdr.src_id = CLIENT;
    m->hdr.group_id = GROUP;
    n = uft_msg_encode(m, pkt, sizeof pkt);
    assert_true(n > 0);
    uft_server_feed(dv->s, dv->now, pkt, (size_t)n, &from);
    drain(dv);
}

static void start(struct drive *dv, uint8_t robust)
{
    static const uint32_t clients[] = {CLIENT};
    static const struct uft_server_file files[] = {
        {"a.bin", UFT_FTYPE_REG, 40000, 1, NULL, NULL}, /* 31 blocks, one section */
    };
    struct uft_server_cfg cfg;
    struct uft_server_ops ops = {.read = fill_read};
    struct uft_msg m;
    memset(dv, 0, sizeof *dv);
    memset(&cfg, 0, sizeof cfg);
    cfg.server_id = 0x7f000001;
    cfg.group_id = GROUP;
    cfg.block_len = 1300;
    cfg.rate = -1;
    cfg.robust = robust;
    cfg.grtt_init = 10000000;
    cfg.clients = clients;
    cfg.n_clients = 1;
    assert_int_equal(uft_server_create(&cfg, files, 1, &ops, 0, &dv->s), 0);
    drain(dv);
    memset(&m, 0, sizeof m);
    m.hdr.func = UFT_REGISTER;
    feed(dv, &m);
    while (dv->fileinfo_id == 0 && dv->now < 10 * UFT_SEC)
        step(dv, UFT_NEVER);
    assert_int_equal(dv->fileinfo_id, 1);
    memset(&m, 0, sizeof m);
    m.hdr.func = UFT_FILEINFO_ACK;
    m.u.fileinfo_ack.file_id = 1;
    feed(dv, &m);
}

/* NAKs that come in after the last DONE round: the sender waits for the
 * repair pass (it used to spin until then) and sends it. */
static void test_naks_after_last_done(void **state)
{
    struct drive dv;
    struct uft_server_stats st;
    struct uft_msg m;
    uint8_t naks[4] = {0x01, 0, 0, 0}; /* block 0 of section 0 */
    int guard;
    (void)state;
    start(&dv, 10);
    for (guard = 0; guard < 10000 && dv.sent[UFT_DONE] < 10; guard++)
        step(&dv, UFT_NEVER);
    assert_int_equal(dv.sent[UFT_DONE], 10);
    dv.now += 1000000; /* 1 ms later: the repair is due after the DONE round ends */
    memset(&m, 0, sizeof m);
    m.hdr.func = UFT_STATUS;
    m.u.status.file_id = 1;
    m.u.status.section = 0;
    m.u.status.naks.p = naks;
    m.u.status.naks.len = sizeof naks;
    feed(&dv, &m);
    for (guard = 0; guard < 10000 && !uft_server_done(dv.s, NULL); guard++)
        step(&dv, UFT_NEVER);
    uft_server_stats(dv.s, &st);
    assert_int_equal(st.passes, 2);
    assert_int_equal(st.data_packets, 31 + 1);
    uft_server_free(dv.s);
}

/* A client that answers nothing after its FILEINFO_ACK is given up after
 * the DONE rounds, and the session ends. */
static void test_silent_client(void **state)
{
    struct drive dv;
    int guard, code = -1;
    (void)state;
    start(&dv, 10);
    for (guard = 0; guard < 10000 && !uft_server_done(dv.s, &code); guard++)
        step(&dv, UFT_NEVER);
    assert_true(uft_server_done(dv.s, &code));
    assert_true(dv.sent[UFT_DONE] >= 10);
    assert_int_not_equal(code, 0);
    uft_server_free(dv.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_naks_after_last_done),
        cmocka_unit_test(test_silent_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
