/*
 * What the programs' run functions share for being run by the library:
 * the wake-up descriptor that lets ufcast_*_stop() end a wait at once,
 * and a lock around option parsing, since getopt keeps global state and
 * a sender and a receiver may start at once on two threads.
 */
#include "app/apprun.h"

#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

static void drain(void *ctx, int fd)
{
    uint64_t n;
    (void)ctx;
    while (read(fd, &n, sizeof n) == (ssize_t)sizeof n)
        ;
}

int app_hooks_watch(struct uft_loop *l, const struct app_hooks *h)
{
    if (!h || h->wake_fd < 0)
        return 0;
    return uft_loop_add(l, h->wake_fd, drain, NULL);
}

static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;

void app_parse_lock(void)
{
    pthread_mutex_lock(&parse_lock);
}

void app_parse_unlock(void)
{
    pthread_mutex_unlock(&parse_lock);
}
