#ifndef C_REACTOR_SHIM_H
#define C_REACTOR_SHIM_H

// Glibc's Swift module map leaves these headers out, so the Reactor reaches them through this target.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <malloc.h>

/// accept4(2) is only declared with _GNU_SOURCE; shim.c defines it and forwards.
int crs_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

/// mallopt(M_ARENA_MAX, n): the option's macro is not importable into Swift.
static inline int crs_limit_malloc_arenas(int arenas) { return mallopt(M_ARENA_MAX, arenas); }

/// pthread_setname_np(3) on the calling thread (also _GNU_SOURCE only); names show up in perf, top -H and gdb.
int crs_set_thread_name(const char *name);

#endif
