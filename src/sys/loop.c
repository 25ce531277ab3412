/*
 * epoll + timerfd event loop (loop.h). The timerfd sits in the epoll set
 * like a socket; arming it with an absolute CLOCK_MONOTONIC time means a
 * late wake-up never accumulates drift, and the engine decides what is
 * due from the clock, not from which descriptor fired.
 */
#include "sys/loop.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/err.h"
#include "sys/clock.h"

int uft_loop_open(struct uft_loop *l)
{
    struct epoll_event ev;
    memset(l, 0, sizeof *l);
    l->tfd = -1;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0)
        return UFT_E_IO;
    l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.u32 = UINT32_MAX; /* the timer */
    if (l->tfd < 0 || epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->tfd, &ev) != 0) {
        int e = errno;
        uft_loop_close(l);
        errno = e;
        return UFT_E_IO;
    }
    return 0;
}

void uft_loop_close(struct uft_loop *l)
{
    if (l->tfd >= 0)
        close(l->tfd);
    if (l->epfd >= 0)
        close(l->epfd);
    l->tfd = l->epfd = -1;
}

int uft_loop_add(struct uft_loop *l, int fd, uft_loop_fn fn, void *ctx)
{
    struct epoll_event ev;
    if (l->n == UFT_LOOP_MAX_FDS)
        return UFT_E_NOSPACE;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.u32 = (uint32_t)l->n;
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
        return UFT_E_IO;
    l->h[l->n].fd = fd;
    l->h[l->n].fn = fn;
    l->h[l->n].ctx = ctx;
    l->n++;
    return 0;
}

/* Arm the timer for an absolute deadline, or disarm it. */
static int arm(struct uft_loop *l, uint64_t deadline_ns)
{
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    if (deadline_ns != UINT64_MAX) {
        /* 0 would disarm the timer: a due deadline fires at 1 ns */
        uint64_t t = deadline_ns ? deadline_ns : 1;
        its.it_value.tv_sec = (time_t)(t / 1000000000u);
        its.it_value.tv_nsec = (long)(t % 1000000000u);
    }
    return timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* epoll_pwait2 (Linux 5.11) waits with a nanosecond timeout in one
 * system call; a timerfd costs two more per wait (arm, read), which a
 * sender pacing thousands of wakeups a second feels. 1 = ENOSYS seen. */
static int no_pwait2;

int uft_loop_wait(struct uft_loop *l, uint64_t deadline_ns)
{
    struct epoll_event evs[UFT_LOOP_MAX_FDS + 1];
    int n, i, ran = 0;
    uint64_t now = uft_clock_now_ns();
    if (deadline_ns != UINT64_MAX && deadline_ns <= now) {
        n = epoll_wait(l->epfd, evs, UFT_LOOP_MAX_FDS + 1, 0);
    } else if (!no_pwait2) {
        struct timespec ts, *tp = NULL;
        if (deadline_ns != UINT64_MAX) {
            uint64_t d = deadline_ns - now;
            ts.tv_sec = (time_t)(d / 1000000000u);
            ts.tv_nsec = (long)(d % 1000000000u);
            tp = &ts;
        }
        n = epoll_pwait2(l->epfd, evs, UFT_LOOP_MAX_FDS + 1, tp, NULL);
        if (n < 0 && errno == ENOSYS) {
            no_pwait2 = 1;
            return 0; /* the caller loops and waits again, by the timerfd */
        }
    } else {
        if (arm(l, deadline_ns) != 0)
            return UFT_E_IO;
        n = epoll_wait(l->epfd, evs, UFT_LOOP_MAX_FDS + 1, -1);
    }
    if (n < 0)
        return errno == EINTR ? 0 : UFT_E_IO;
    for (i = 0; i < n; i++) {
        uint32_t k = evs[i].data.u32;
        if (k == UINT32_MAX) {
            uint64_t expirations;
            if (read(l->tfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
                return UFT_E_IO;
            continue;
        }
        if (k < (uint32_t)l->n) {
            l->h[k].fn(l->h[k].ctx, l->h[k].fd);
            ran++;
        }
    }
    return ran;
}
