/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Threads for jobs. A job holds its thread for as long as its upstream
 * answer streams (p11tee_chat blocks), so a thread is made whenever no idle
 * one is waiting, up to the bound; a thread idle for GW_POOL_IDLE_S exits.
 * The queue holds at most one task per idle thread: a task is never queued
 * behind a running stream.
 *
 * Threads are joined, never detached: one that exited is joined by the next
 * submit, and the rest at the stop, so that no thread is still running its
 * thread-exit handlers (OpenSSL's per-thread state among them) when the
 * process exits.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "serve/gateway.h"

#define GW_POOL_IDLE_S 30

typedef struct gw_task {
    gw_task_fn fn;
    void *arg;
    struct gw_task *next;
} gw_task;

typedef struct gw_worker {
    pthread_t tid;
    int done; /* it left its loop: join it */
    struct gw_worker *next;
} gw_worker;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;
    size_t max, threads, idle;
    gw_task *head, *tail;
    size_t queued;
    gw_worker *workers; /* every thread not joined yet */
    int stopping;
} p = {.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER};

static gw_task *gw_pool_next(void)
{
    struct timespec until;
    gw_task *t;
    int rc;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += GW_POOL_IDLE_S;
    while (p.head == NULL && !p.stopping) {
        p.idle++;
        rc = pthread_cond_timedwait(&p.work, &p.lock, &until);
        p.idle--;
        if (rc == ETIMEDOUT && p.head == NULL)
            return NULL;
    }
    t = p.head;
    if (t != NULL) {
        p.head = t->next;
        if (p.head == NULL)
            p.tail = NULL;
        p.queued--;
    }
    return t;
}

static void *gw_pool_thread(void *arg)
{
    gw_worker *w = arg;
    gw_task *t;

    pthread_mutex_lock(&p.lock);
    while ((t = gw_pool_next()) != NULL) {
        pthread_mutex_unlock(&p.lock);
        t->fn(t->arg);
        free(t);
        pthread_mutex_lock(&p.lock);
    }
    p.threads--;
    w->done = 1;
    pthread_mutex_unlock(&p.lock);
    return NULL;
}

/* Under the lock: take the threads that exited off the list (to be joined after unlocking). */
static gw_worker *gw_pool_reap_locked(void)
{
    gw_worker **pp = &p.workers, *done = NULL, *w;

    while ((w = *pp) != NULL) {
        if (w->done) {
            *pp = w->next;
            w->next = done;
            done = w;
        } else {
            pp = &w->next;
        }
    }
    return done;
}

static void gw_pool_join(gw_worker *list)
{
    gw_worker *next;

    for (; list != NULL; list = next) {
        next = list->next;
        pthread_join(list->tid, NULL);
        free(list);
    }
}

int gw_pool_start(size_t max_threads)
{
    p.max = max_threads;
    return 0;
}

/* Under the lock: one more thread. 0, or -1 when none could be made. */
static int gw_pool_spawn_locked(void)
{
    gw_worker *w = calloc(1, sizeof(*w));

    if (w == NULL || pthread_create(&w->tid, NULL, gw_pool_thread, w) != 0) {
        free(w);
        return -1;
    }
    w->next = p.workers;
    p.workers = w;
    p.threads++;
    return 0;
}

int gw_pool_submit(gw_task_fn fn, void *arg)
{
    gw_task *t = calloc(1, sizeof(*t));
    gw_worker *done;
    int rc = 0;

    if (t == NULL)
        return -1;
    t->fn = fn;
    t->arg = arg;
    pthread_mutex_lock(&p.lock);
    done = gw_pool_reap_locked();
    if (p.stopping || (p.idle <= p.queued && p.threads >= p.max))
        rc = -1;
    else if (p.idle <= p.queued)
        rc = gw_pool_spawn_locked();
    if (rc == 0) {
        if (p.tail != NULL)
            p.tail->next = t;
        else
            p.head = t;
        p.tail = t;
        p.queued++;
        pthread_cond_signal(&p.work);
    }
    pthread_mutex_unlock(&p.lock);
    gw_pool_join(done);
    if (rc != 0)
        free(t);
    return rc;
}

void gw_pool_stop(void)
{
    gw_worker *all;

    pthread_mutex_lock(&p.lock);
    p.stopping = 1;
    pthread_cond_broadcast(&p.work);
    all = p.workers;
    p.workers = NULL;
    pthread_mutex_unlock(&p.lock);
    gw_pool_join(all); /* queued tasks still run first */
}
