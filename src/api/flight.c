/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Single flight: when several threads need the same slow thing at once
 * (opening the token, fetching /models, attesting a model), the first one
 * does it without holding the client lock and the others wait on the
 * client's condition variable for its outcome, success or failure. A
 * flight leaves the client's list when it lands, so a caller that comes
 * later starts afresh: failures are never cached here. Every function runs
 * under c->lock.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

api_flight *api_flight_join_locked(p11tee_client *c, const char *key, int *lead)
{
    api_flight *f;

    for (f = c->flights; f != NULL; f = f->next)
        if (strcmp(f->key, key) == 0) {
            f->holders++;
            *lead = 0;
            return f;
        }
    f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    snprintf(f->key, sizeof(f->key), "%s", key);
    f->holders = 1;
    f->next = c->flights;
    c->flights = f;
    *lead = 1;
    return f;
}

void api_flight_wait_locked(p11tee_client *c, api_flight *f)
{
    while (!f->landed)
        pthread_cond_wait(&c->landed, &c->lock);
}

void api_flight_land_locked(p11tee_client *c, api_flight *f, p11tee_status rc,
                            const p11tee_error *err, void *result)
{
    api_flight **p;

    for (p = &c->flights; *p != NULL; p = &(*p)->next)
        if (*p == f) {
            *p = f->next;
            break;
        }
    f->next = NULL;
    f->rc = rc;
    if (rc != P11TEE_OK && err != NULL)
        f->err = *err;
    else
        p11tee_error_clear(&f->err);
    f->err.code = rc;
    f->result = result;
    f->landed = 1;
    pthread_cond_broadcast(&c->landed);
}

p11tee_status api_flight_status_locked(const api_flight *f, p11tee_error *err)
{
    if (f->rc != P11TEE_OK && err != NULL)
        *err = f->err;
    return f->rc;
}

void *api_flight_leave_locked(api_flight *f)
{
    void *result;

    if (--f->holders > 0)
        return NULL;
    result = f->result;
    free(f);
    return result;
}
