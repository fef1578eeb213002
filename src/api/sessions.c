/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The session cache: one attested session per model (and mode), shared by
 * every chat until session-ttl-s or a key mismatch. A model's first
 * requests, and its first after expiry, make one attestation between them:
 * the first thread attests (single flight, flight.c) while the others wait,
 * and a failure reaches each waiter and is not cached. Nothing slow happens
 * under c->lock: attesting, opening the token and generating the session key
 * run without it, and sessions whose last reference may go (freeing one
 * destroys its key in the token) are released after unlocking.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/flow.h"
#include "e2ee/e2ee.h"
#include "hsm/hsm.h"

/* Seconds on a clock nobody can set back: a session's TTL must not be stretched. */
static time_t session_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

api_session *api_session_ref(api_session *s)
{
    if (s != NULL)
        api_refs_get(&s->refs);
    return s;
}

void api_session_free(api_session *s)
{
    if (s == NULL || !api_refs_put(&s->refs))
        return;
    e2ee_session_free(s->e2ee_session);
    p11tee_attestation_free(s->att);
    free(s);
}

/* References taken out of the cache under the lock, dropped after it. */
typedef struct session_drops {
    api_session *s[API_SESSIONS_MAX + 1];
    size_t n;
} session_drops;

static void session_drops_release(session_drops *d)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        api_session_free(d->s[i]);
    d->n = 0;
}

/* A live cached session for `model` with a reference for the caller; expired ones leave. */
static api_session *session_lookup_locked(p11tee_client *c, const char *model, int e2ee,
                                          session_drops *drops)
{
    time_t now = session_now();
    size_t i;

    for (i = 0; i < API_SESSIONS_MAX; i++) {
        api_session *s = c->sessions[i];

        if (s == NULL || strcmp(s->model, model) != 0 || s->e2ee != e2ee)
            continue;
        /* A session that remembered many envelopes (to refuse replays) is re-keyed too. */
        if (now - s->created < c->cfg.session_ttl_s &&
            (s->e2ee_session == NULL || !e2ee_session_worn(s->e2ee_session)))
            return api_session_ref(s);
        c->sessions[i] = NULL;
        drops->s[drops->n++] = s;
    }
    return NULL;
}

/* Put `s` into the cache, which takes a reference; the oldest entry makes room. */
static void session_store_locked(p11tee_client *c, api_session *s, session_drops *drops)
{
    size_t i, slot = 0;

    for (i = 0; i < API_SESSIONS_MAX; i++) {
        if (c->sessions[i] == NULL) {
            slot = i;
            break;
        }
        if (c->sessions[i]->created < c->sessions[slot]->created)
            slot = i;
    }
    if (c->sessions[slot] != NULL)
        drops->s[drops->n++] = c->sessions[slot];
    c->sessions[slot] = api_session_ref(s);
}

/* Attest, then (E2EE) open the token and make the session key: no lock held. */
static p11tee_status session_create(p11tee_client *c, const char *model, int e2ee,
                                    api_session **out, p11tee_error *err)
{
    api_session *s = calloc(1, sizeof(*s));
    const char *key;
    struct hsm_ctx *hsm = NULL;
    p11tee_status rc;

    *out = NULL;
    if (s == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    api_refs_init(&s->refs);
    snprintf(s->model, sizeof(s->model), "%s", model);
    s->e2ee = e2ee;
    /* Nothing that depends on the attestation happens before its verdict. */
    rc = api_attest_model(c, model, &s->att, err);
    if (rc == P11TEE_OK && e2ee)
        rc = api_hsm(c, &hsm, err);
    if (rc == P11TEE_OK && e2ee) {
        key = p11tee_attestation_get(s->att, "signing_key");
        rc = e2ee_session_new(hsm, model, (strview){key, key ? strlen(key) : 0}, &s->e2ee_session,
                              err);
    }
    if (rc != P11TEE_OK) {
        api_session_free(s);
        return rc;
    }
    s->created = session_now();
    api_log(c, "* %s session for %s ready%s", e2ee ? "E2EE" : "TEE", model,
            e2ee ? "; session key generated in the token" : "");
    *out = s;
    return P11TEE_OK;
}

/* The leader of a flight: make the session, cache it, hand it to the waiters. */
static p11tee_status session_lead(p11tee_client *c, api_flight *f, const char *model, int e2ee,
                                  api_session **out, p11tee_error *err)
{
    session_drops drops = {.n = 0};
    void *leftover;
    p11tee_status rc = session_create(c, model, e2ee, out, err);

    pthread_mutex_lock(&c->lock);
    if (rc == P11TEE_OK)
        session_store_locked(c, *out, &drops);
    api_flight_land_locked(c, f, rc, err, api_session_ref(*out));
    leftover = api_flight_leave_locked(f);
    pthread_mutex_unlock(&c->lock);
    api_session_free(leftover);
    session_drops_release(&drops);
    return rc;
}

/* A waiter: the leader's session (one more reference) or its failure. */
static p11tee_status session_wait(p11tee_client *c, api_flight *f, const char *model,
                                  api_session **out, p11tee_error *err)
{
    void *leftover;
    p11tee_status rc;

    /* Joined already: whatever the leader does now, this thread gets its outcome. */
    api_log(c, "* waiting for the attestation of %s in progress", model);
    pthread_mutex_lock(&c->lock);
    api_flight_wait_locked(c, f);
    rc = api_flight_status_locked(f, err);
    *out = rc == P11TEE_OK ? api_session_ref(f->result) : NULL;
    leftover = api_flight_leave_locked(f);
    pthread_mutex_unlock(&c->lock);
    api_session_free(leftover);
    return rc;
}

p11tee_status api_session_get(p11tee_client *c, const char *model, int e2ee, api_session **out,
                              p11tee_error *err)
{
    char key[API_FLIGHT_KEY_MAX];
    session_drops drops = {.n = 0};
    api_flight *f = NULL;
    int lead = 0;

    *out = NULL;
    if (strlen(model) >= API_MODEL_MAX)
        return err_set(err, P11TEE_E_INVALID_ARG, "model id is longer than %d characters",
                       API_MODEL_MAX - 1);
    snprintf(key, sizeof(key), "session:%d:%s", e2ee, model);
    pthread_mutex_lock(&c->lock);
    *out = session_lookup_locked(c, model, e2ee, &drops);
    if (*out == NULL)
        f = api_flight_join_locked(c, key, &lead);
    pthread_mutex_unlock(&c->lock);
    session_drops_release(&drops);
    if (*out != NULL) {
        api_log(c, "* reusing the attested session for %s", model);
        return P11TEE_OK;
    }
    if (f == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    return lead ? session_lead(c, f, model, e2ee, out, err) : session_wait(c, f, model, out, err);
}

void api_session_invalidate(p11tee_client *c, api_session *s)
{
    session_drops drops = {.n = 0};
    size_t i;

    pthread_mutex_lock(&c->lock);
    for (i = 0; i < API_SESSIONS_MAX; i++)
        if (c->sessions[i] == s) {
            c->sessions[i] = NULL;
            drops.s[drops.n++] = s; /* the cache's reference; the caller still holds one */
        }
    pthread_mutex_unlock(&c->lock);
    session_drops_release(&drops);
}

void api_sessions_clear(p11tee_client *c)
{
    session_drops drops = {.n = 0};
    size_t i;

    pthread_mutex_lock(&c->lock);
    for (i = 0; i < API_SESSIONS_MAX; i++)
        if (c->sessions[i] != NULL) {
            drops.s[drops.n++] = c->sessions[i];
            c->sessions[i] = NULL;
        }
    pthread_mutex_unlock(&c->lock);
    session_drops_release(&drops);
}
