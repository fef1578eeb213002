/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * What controls a chat from outside: the cancel object another thread
 * triggers, and the gate that bounds how many threads use the token at
 * once (token-workers).
 */
#include "config.h"

#include <stdlib.h>

#include "api/api.h"
#include "net/net.h"

struct p11tee_cancel {
    net_cancel *net;
};

p11tee_cancel *p11tee_cancel_new(void)
{
    p11tee_cancel *c = calloc(1, sizeof(*c));

    if (c != NULL && (c->net = net_cancel_new()) == NULL) {
        free(c);
        c = NULL;
    }
    return c;
}

void p11tee_cancel_trigger(p11tee_cancel *c)
{
    if (c != NULL)
        net_cancel_trigger(c->net);
}

void p11tee_cancel_hold(p11tee_cancel *c, int hold)
{
    if (c != NULL)
        net_cancel_hold(c->net, hold);
}

int p11tee_cancel_triggered(const p11tee_cancel *c)
{
    return c != NULL && net_cancel_triggered(c->net);
}

void p11tee_cancel_free(p11tee_cancel *c)
{
    if (c == NULL)
        return;
    net_cancel_free(c->net);
    free(c);
}

net_cancel *api_cancel_net(const p11tee_cancel *c)
{
    return c != NULL ? c->net : NULL;
}

void api_gate_init(api_gate *g, long limit)
{
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->turn, NULL);
    g->limit = limit;
    g->busy = 0;
}

void api_gate_destroy(api_gate *g)
{
    pthread_cond_destroy(&g->turn);
    pthread_mutex_destroy(&g->lock);
}

void api_gate_enter(api_gate *g)
{
    if (g->limit <= 0)
        return;
    pthread_mutex_lock(&g->lock);
    while (g->busy >= g->limit)
        pthread_cond_wait(&g->turn, &g->lock);
    g->busy++;
    pthread_mutex_unlock(&g->lock);
}

void api_gate_leave(api_gate *g)
{
    if (g->limit <= 0)
        return;
    pthread_mutex_lock(&g->lock);
    g->busy--;
    pthread_cond_signal(&g->turn);
    pthread_mutex_unlock(&g->lock);
}
