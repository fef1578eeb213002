/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Cancelling a transfer from another thread. The running transfer attaches
 * its multi handle; a trigger sets the flag and wakes curl_multi_poll() at
 * once (curl_multi_wakeup is made for calling from other threads). The lock
 * only guards the flag and the handle: no I/O happens under it but the
 * wakeup's write to libcurl's internal socket pair.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "net/net.h"

struct net_cancel {
    pthread_mutex_t lock;
    atomic_int triggered;
    atomic_int held;
    CURLM *attached; /* the multi handle of the running transfer, under lock */
};

net_cancel *net_cancel_new(void)
{
    net_cancel *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    atomic_init(&c->triggered, 0);
    atomic_init(&c->held, 0);
    return c;
}

void net_cancel_free(net_cancel *c)
{
    if (c == NULL)
        return;
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void net_cancel_trigger(net_cancel *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->lock);
    atomic_store(&c->triggered, 1);
    if (c->attached != NULL)
        curl_multi_wakeup(c->attached);
    pthread_mutex_unlock(&c->lock);
}

void net_cancel_hold(net_cancel *c, int hold)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->lock);
    atomic_store(&c->held, hold != 0);
    if (!hold && c->attached != NULL)
        curl_multi_wakeup(c->attached);
    pthread_mutex_unlock(&c->lock);
}

int net_cancel_held(const net_cancel *c)
{
    return c != NULL && atomic_load(&((net_cancel *)c)->held);
}

int net_cancel_triggered(const net_cancel *c)
{
    return c != NULL && atomic_load(&((net_cancel *)c)->triggered);
}

int net_cancel_attach(net_cancel *c, void *multi)
{
    int triggered;

    if (c == NULL)
        return 0;
    pthread_mutex_lock(&c->lock);
    triggered = atomic_load(&c->triggered);
    c->attached = triggered ? NULL : multi;
    pthread_mutex_unlock(&c->lock);
    return triggered;
}

void net_cancel_detach(net_cancel *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->lock);
    c->attached = NULL;
    pthread_mutex_unlock(&c->lock);
}
