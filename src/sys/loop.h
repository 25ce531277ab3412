/*
 * The programs' event loop: one thread, epoll for readable sockets and a
 * timerfd for the engine's next deadline (CLOCK_MONOTONIC, nanosecond
 * resolution, so pacing needs neither a millisecond poll timeout nor a
 * busy spin). A signal interrupts a wait, so a program notices it at
 * once.
 *
 *   uft_loop_open(&l);
 *   uft_loop_add(&l, fd, on_readable, ctx);
 *   for (;;) { ...send what is due...; uft_loop_wait(&l, deadline); }
 */
#ifndef UFT_LOOP_H
#define UFT_LOOP_H

#include <stdint.h>

#define UFT_LOOP_MAX_FDS 16

typedef void (*uft_loop_fn)(void *ctx, int fd);

struct uft_loop {
    int epfd, tfd;
    struct {
        int fd;
        uft_loop_fn fn;
        void *ctx;
    } h[UFT_LOOP_MAX_FDS];
    int n;
};

/* 0, or UFT_E_IO with errno. */
int uft_loop_open(struct uft_loop *l);
void uft_loop_close(struct uft_loop *l);

/* Call fn(ctx, fd) whenever fd is readable (level-triggered: fn should
 * drain it). 0, UFT_E_NOSPACE past UFT_LOOP_MAX_FDS, or UFT_E_IO. */
int uft_loop_add(struct uft_loop *l, int fd, uft_loop_fn fn, void *ctx);

/* Wait until a socket is readable (its handler runs), the monotonic
 * clock reaches deadline_ns (UINT64_MAX: no deadline; a deadline in the
 * past returns at once after handling what is readable), or a signal
 * arrives. Returns the number of handlers run, or UFT_E_IO. */
int uft_loop_wait(struct uft_loop *l, uint64_t deadline_ns);

#endif
