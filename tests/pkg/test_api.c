/*
 * The library API's contract beyond one good transfer (lib_example does
 * that): argument checks, option errors reported through the run's exit
 * code, one run of a kind at a time, and stops from another thread that
 * end a receiver at once and a sender's announce phase. Runs inside a
 * network namespace (lib_example.sh starts it there): receivers listen.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ufcast/ufcast.h>

static int failures;

#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "test_api: line %d: %s\n", __LINE__, #cond);                           \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct runner {
    struct ufcast_receiver *r;
    struct ufcast_sender *s;
    int rc;
};

static void *run_receiver(void *arg)
{
    struct runner *x = arg;
    x->rc = ufcast_receiver_run(x->r);
    return NULL;
}

static void *run_sender(void *arg)
{
    struct runner *x = arg;
    x->rc = ufcast_sender_run(x->s);
    return NULL;
}

static void test_arguments(void)
{
    struct ufcast_sender *s = ufcast_sender_new();
    EXPECT(s != NULL);
    EXPECT(strcmp(ufcast_version(), UFCAST_TEST_VERSION) == 0);
    EXPECT(ufcast_sender_set_option(s, NULL, "1") == -EINVAL);
    EXPECT(ufcast_sender_set_option(s, "-", "1") == -EINVAL);
    EXPECT(ufcast_sender_set_option(s, "R=5", NULL) == -EINVAL);
    EXPECT(ufcast_sender_set_address(s, NULL) == -EINVAL);
    EXPECT(ufcast_sender_add_path(s, "") == -EINVAL);
    EXPECT(ufcast_sender_set_log_level(s, -1) == -EINVAL);
    /* no file to send: uftp's exit code 1, before any socket */
    EXPECT(ufcast_sender_set_id(s, 0x0a000001) == 0);
    EXPECT(ufcast_sender_run(s) == 1);
    /* an option uftp does not have, by letter and by long name */
    EXPECT(ufcast_sender_add_path(s, "/etc/hostname") == 0);
    EXPECT(ufcast_sender_set_option(s, "-%", NULL) == 0);
    EXPECT(ufcast_sender_run(s) == 1);
    ufcast_sender_free(s);
    s = ufcast_sender_new();
    EXPECT(ufcast_sender_set_id(s, 0x0a000001) == 0);
    EXPECT(ufcast_sender_add_path(s, "/etc/hostname") == 0);
    EXPECT(ufcast_sender_set_option(s, "--no-such-option", NULL) == 0);
    EXPECT(ufcast_sender_run(s) == 1);
    ufcast_sender_free(s);
    /* a bad value is the run's to report; setting it again replaces it */
    s = ufcast_sender_new();
    EXPECT(ufcast_sender_set_id(s, 0x0a000001) == 0);
    EXPECT(ufcast_sender_add_path(s, "/etc/hostname") == 0);
    EXPECT(ufcast_sender_set_option(s, "R", "fast") == 0);
    EXPECT(ufcast_sender_run(s) == 1);
    EXPECT(ufcast_sender_set_rate_kbps(s, 1000) == 0);
    EXPECT(ufcast_sender_set_option(s, "-B", "-5") == 0);
    EXPECT(ufcast_sender_run(s) == 1);
    ufcast_sender_free(s);
    ufcast_sender_free(NULL);
    ufcast_receiver_free(NULL);
}

/* A receiver stopped from another thread returns 0 at once (the eventfd
 * wakes its wait), and a second receiver may not run meanwhile. */
static void test_receiver_stop(const char *dir)
{
    struct runner x = {0}, y = {0};
    pthread_t t;
    double t0;
    x.r = ufcast_receiver_new();
    y.r = ufcast_receiver_new();
    EXPECT(ufcast_receiver_set_dest_dir(x.r, dir) == 0);
    EXPECT(ufcast_receiver_set_id(x.r, 0x0a00000c) == 0);
    EXPECT(ufcast_receiver_set_port(x.r, 1045) == 0);
    EXPECT(ufcast_receiver_set_log_level(x.r, 0) == 0);
    EXPECT(pthread_create(&t, NULL, run_receiver, &x) == 0);
    usleep(300000);
    EXPECT(ufcast_receiver_run(y.r) == -EBUSY);
    EXPECT(ufcast_receiver_set_dest_dir(x.r, "/") == -EBUSY);
    t0 = now_s();
    ufcast_receiver_stop(x.r);
    pthread_join(t, NULL);
    EXPECT(x.rc == 0);
    EXPECT(now_s() - t0 < 0.5);
    printf("receiver: stopped from another thread in %.3f s, run returned %d\n", now_s() - t0,
           x.rc);
    ufcast_receiver_free(x.r);
    ufcast_receiver_free(y.r);
}

/* A sender with nobody to send to, stopped while it announces. */
static void test_sender_stop(void)
{
    struct runner x = {0};
    pthread_t t;
    double t0;
    x.s = ufcast_sender_new();
    EXPECT(ufcast_sender_set_id(x.s, 0x0a000001) == 0);
    EXPECT(ufcast_sender_set_port(x.s, 1045) == 0);
    EXPECT(ufcast_sender_set_receivers(x.s, "0x0a0000ff") == 0);
    EXPECT(ufcast_sender_set_encryption(x.s, "none") == 0);
    EXPECT(ufcast_sender_set_log_level(x.s, 0) == 0);
    EXPECT(ufcast_sender_add_path(x.s, "/etc/hostname") == 0);
    EXPECT(pthread_create(&t, NULL, run_sender, &x) == 0);
    usleep(300000);
    t0 = now_s();
    ufcast_sender_stop(x.s);
    pthread_join(t, NULL);
    EXPECT(x.rc != 0 && x.rc != -EBUSY);
    EXPECT(now_s() - t0 < 2.0);
    printf("sender: stopped from another thread in %.3f s, run returned %d\n", now_s() - t0, x.rc);
    ufcast_sender_free(x.s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_api SCRATCH_DIR\n");
        return 2;
    }
    test_arguments();
    test_receiver_stop(argv[1]);
    test_sender_stop();
    printf("test_api: %d failure(s)\n", failures);
    return failures ? 1 : 0;
}
