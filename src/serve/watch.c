/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * libmicrohttpd does not look at a suspended connection, so it would not
 * notice a caller who hangs up while their request waits for the upstream
 * (attesting, sealing, or a model that is slow to answer). The watcher keeps
 * those sockets in an epoll set for EPOLLRDHUP (the peer closed) and runs
 * the job's hang-up callback, which cancels the upstream request at once.
 * A socket is watched from the job's start until its request completes,
 * which is before libmicrohttpd closes it.
 *
 * Every GW_SWEEP_MS the watcher also cuts the streams whose caller read
 * nothing for client-timeout while their buffer was full (gw_jobs_sweep()):
 * a held stream has no thread of its own that could notice.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "serve/gateway.h"

#define GW_WATCH_BATCH 64
#define GW_SWEEP_MS    250

typedef struct gw_watch_item {
    gw_hangup_fn fn;
    void *arg;
} gw_watch_item;

static struct {
    int ep, stop_fd;
    pthread_t thread;
    int running;
    pthread_mutex_t lock; /* items: a callback never runs for a removed socket */
} w = {.ep = -1, .stop_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER};

/*
 * The item lives in a table indexed by the socket, so that removal finds it
 * without a search and the watcher thread never touches freed memory: an
 * item is disarmed (fn = NULL) under the lock, and reused only for the same
 * socket number after epoll forgot the old one.
 */
#define GW_WATCH_FDS 65536
static gw_watch_item *gw_items;

static void gw_watch_fire(struct epoll_event *ev)
{
    gw_watch_item *it = ev->data.ptr;

    /* Under the lock: gw_watch_del() may have disarmed the item since epoll_wait. */
    pthread_mutex_lock(&w.lock);
    if (it->fn != NULL) {
        it->fn(it->arg);
        it->fn = NULL; /* once */
    }
    pthread_mutex_unlock(&w.lock);
}

static void *gw_watch_thread(void *unused)
{
    struct epoll_event ev[GW_WATCH_BATCH];
    uint64_t swept = gw_now_ns(), now;
    int n, i;

    (void)unused;
    for (;;) {
        n = epoll_wait(w.ep, ev, GW_WATCH_BATCH, GW_SWEEP_MS);
        if ((now = gw_now_ns()) - swept >= GW_SWEEP_MS * 1000000ull) {
            gw_jobs_sweep(now);
            swept = now;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        for (i = 0; i < n; i++) {
            if (ev[i].data.ptr == NULL)
                return NULL; /* the stop event */
            gw_watch_fire(&ev[i]);
        }
    }
    return NULL;
}

int gw_watch_start(void)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};

    w.ep = epoll_create1(EPOLL_CLOEXEC);
    w.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w.ep < 0 || w.stop_fd < 0 || epoll_ctl(w.ep, EPOLL_CTL_ADD, w.stop_fd, &ev) != 0 ||
        pthread_create(&w.thread, NULL, gw_watch_thread, NULL) != 0)
        return -1;
    w.running = 1;
    return 0;
}

void gw_watch_stop(void)
{
    uint64_t one = 1;

    if (w.running) {
        if (write(w.stop_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
            gw_logf("error", "internal", "cannot stop the hang-up watcher");
        pthread_join(w.thread, NULL);
        w.running = 0;
    }
    if (w.ep >= 0)
        close(w.ep);
    if (w.stop_fd >= 0)
        close(w.stop_fd);
    w.ep = w.stop_fd = -1;
    free(gw_items);
    gw_items = NULL;
}

int gw_watch_add(int fd, gw_hangup_fn fn, void *arg)
{
    struct epoll_event ev;
    int rc;

    if (fd < 0 || fd >= GW_WATCH_FDS)
        return -1;
    pthread_mutex_lock(&w.lock);
    if (gw_items == NULL)
        gw_items = calloc(GW_WATCH_FDS, sizeof(*gw_items));
    if (gw_items == NULL) {
        pthread_mutex_unlock(&w.lock);
        return -1;
    }
    gw_items[fd].fn = fn;
    gw_items[fd].arg = arg;
    ev.events = EPOLLRDHUP | EPOLLONESHOT;
    ev.data.ptr = &gw_items[fd];
    rc = epoll_ctl(w.ep, EPOLL_CTL_ADD, fd, &ev);
    if (rc != 0)
        gw_items[fd].fn = NULL;
    pthread_mutex_unlock(&w.lock);
    return rc;
}

void gw_watch_del(int fd)
{
    if (fd < 0 || fd >= GW_WATCH_FDS || gw_items == NULL)
        return;
    pthread_mutex_lock(&w.lock);
    epoll_ctl(w.ep, EPOLL_CTL_DEL, fd, NULL);
    gw_items[fd].fn = NULL;
    gw_items[fd].arg = NULL;
    pthread_mutex_unlock(&w.lock);
}
