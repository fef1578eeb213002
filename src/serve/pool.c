/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Threads for jobs. A job holds its thread for as long as its upstream
 * answer streams (p11tee_chat blocks), so a thread is made whenever no idle
 * one is waiting, up to the bound; a thread idle for GW_POOL_IDLE_S exits.
 * The queue holds at most one task per idle thread: a task is never queued
 * behind a running stream.
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

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work, gone;
    size_t max, threads, idle;
    gw_task *head, *tail;
    size_t queued;
    int stopping;
} p = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .work = PTHREAD_COND_INITIALIZER,
       .gone = PTHREAD_COND_INITIALIZER};

static gw_task *gw_pool_next(void)
{
    struct timespec until;
    gw_task *t;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += GW_POOL_IDLE_S;
    while (p.head == NULL && !p.stopping) {
        p.idle++;
        int rc = pthread_cond_timedwait(&p.work, &p.lock, &until);
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

static void *gw_pool_thread(void *unused)
{
    gw_task *t;

    (void)unused;
    pthread_mutex_lock(&p.lock);
    while ((t = gw_pool_next()) != NULL) {
        pthread_mutex_unlock(&p.lock);
        t->fn(t->arg);
        free(t);
        pthread_mutex_lock(&p.lock);
    }
    p.threads--;
    pthread_cond_broadcast(&p.gone);
    pthread_mutex_unlock(&p.lock);
    return NULL;
}

int gw_pool_start(size_t max_threads)
{
    p.max = max_threads;
    return 0;
}

int gw_pool_submit(gw_task_fn fn, void *arg)
{
    gw_task *t = calloc(1, sizeof(*t));
    pthread_attr_t attr;
    pthread_t tid;
    int rc = 0;

    if (t == NULL)
        return -1;
    t->fn = fn;
    t->arg = arg;
    pthread_mutex_lock(&p.lock);
    if (p.stopping || (p.idle <= p.queued && p.threads >= p.max)) {
        pthread_mutex_unlock(&p.lock);
        free(t);
        return -1;
    }
    if (p.idle <= p.queued) {
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        rc = pthread_create(&tid, &attr, gw_pool_thread, NULL);
        pthread_attr_destroy(&attr);
        if (rc == 0)
            p.threads++;
    }
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
    if (rc != 0)
        free(t);
    return rc == 0 ? 0 : -1;
}

void gw_pool_stop(void)
{
    pthread_mutex_lock(&p.lock);
    p.stopping = 1;
    pthread_cond_broadcast(&p.work);
    while (p.threads > 0)
        pthread_cond_wait(&p.gone, &p.lock);
    pthread_mutex_unlock(&p.lock);
}
