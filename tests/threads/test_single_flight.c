/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The session cache under a crowd, against the reference server (its
 * /__stats counts what it served): the first requests of many threads cause
 * one attestation, one /models and one token login; an expired session is
 * re-attested once; a failed attestation reaches every thread that waited
 * for it and is not cached. Started by tests/threads/single_flight.sh.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "testlib.h"
#include "threadlib.h"

#define CROWD       100 /* first requests at once */
#define EXPIRY_WAVE 50  /* requests at once on an expired session */
#define FAIL_WAVE   16  /* requests at once on a failing attestation */

typedef struct asker {
    p11tee_client *client;
    const char *wave;
    int i;
    p11tee_status rc;
    p11tee_error err;
    int answer_ok; /* the decrypted answer is the model's, exactly */
} asker;

static void *ask(void *p)
{
    asker *a = p;
    char prompt[64], want[160];
    p11tee_chat_result *res = NULL;
    tl_text t;

    snprintf(prompt, sizeof(prompt), "%s request %d", a->wave, a->i);
    tl_answer(prompt, want, sizeof(want));
    p11tee_error_clear(&a->err);
    a->rc = tl_chat(a->client, TL_E2EE_MODEL, prompt, 1, &t, &res, &a->err);
    a->answer_ok = a->rc == P11TEE_OK && strcmp(t.content, want) == 0 && t.plaintext == 0 &&
                   p11tee_chat_result_e2ee(res) && p11tee_chat_result_attestation(res) != NULL;
    p11tee_chat_result_free(res);
    return NULL;
}

/* `n` chats at once on `client`; the askers are returned for inspection. */
static asker *wave(p11tee_client *client, const char *name, size_t n)
{
    asker *a = calloc(n, sizeof(*a));
    size_t i;

    assert_non_null(a);
    for (i = 0; i < n; i++) {
        a[i].client = client;
        a[i].wave = name;
        a[i].i = (int)i;
    }
    tl_run_together(n, ask, a, sizeof(*a));
    return a;
}

/* `n` chats at once, every one answered exactly. */
static void wave_answered(p11tee_client *client, const char *name, size_t n)
{
    asker *a = wave(client, name, n);
    size_t i;

    for (i = 0; i < n; i++)
        if (!a[i].answer_ok)
            fail_msg("%s request %zu: %s (%s)", a[i].wave, i, p11tee_strerror(a[i].rc),
                     a[i].err.message);
    free(a);
}

static void crowd_of_first_requests_attests_once(void **state)
{
    tl_log log, seen;
    p11tee_client *client = tl_client_new(&log, NULL, NULL);

    (void)state;
    tl_control("{\"reset_stats\": true}");
    wave_answered(client, "first", CROWD);
    assert_int_equal(tl_stat("attestations_served"), 1);
    assert_int_equal(tl_stat("requests.models"), 1);
    assert_int_equal(tl_stat("chat_requests_reached_model"), CROWD);
    seen = tl_log_read(&log);
    assert_int_equal(seen.attesting, 1);
    assert_int_equal(seen.token_opened, 1);
    p11tee_client_free(client);
}

/* Make every cached session as old as the TTL (the clock cannot be moved). */
static void age_sessions(p11tee_client *c)
{
    size_t i, aged = 0;

    pthread_mutex_lock(&c->lock);
    for (i = 0; i < API_SESSIONS_MAX; i++)
        if (c->sessions[i] != NULL) {
            c->sessions[i]->created -= c->cfg.session_ttl_s;
            aged++;
        }
    pthread_mutex_unlock(&c->lock);
    assert_int_equal(aged, 1);
}

static void expired_session_is_attested_again_once(void **state)
{
    tl_log log;
    p11tee_client *client = tl_client_new(&log, NULL, NULL);

    (void)state;
    tl_control("{\"reset_stats\": true}");
    wave_answered(client, "warm", 1);
    assert_int_equal(tl_stat("attestations_served"), 1);
    age_sessions(client);
    wave_answered(client, "expired", EXPIRY_WAVE);
    assert_int_equal(tl_stat("attestations_served"), 2);
    assert_int_equal(tl_log_read(&log).attesting, 2);
    p11tee_client_free(client);
}

static void failed_attestation_reaches_every_waiter(void **state)
{
    tl_log log, seen;
    p11tee_client *client = tl_client_new(&log, NULL, NULL);
    asker *a;
    size_t i;

    (void)state;
    tl_control("{\"reset_stats\": true, \"set_faults\": [\"bad-quote-signature\"]}");
    /* The thread that attests goes on only once all the others wait for it. */
    pthread_mutex_lock(&log.lock);
    log.hold = 1;
    log.hold_for = FAIL_WAVE - 1;
    pthread_mutex_unlock(&log.lock);
    a = wave(client, "refused", FAIL_WAVE);
    seen = tl_log_read(&log);
    assert_false(seen.hold_timed_out);
    assert_int_equal(seen.attesting, 1);
    assert_int_equal(seen.waiting, FAIL_WAVE - 1);
    for (i = 0; i < FAIL_WAVE; i++) {
        assert_int_equal(a[i].rc, a[0].rc);
        assert_string_equal(a[i].err.message, a[0].err.message);
    }
    assert_int_equal(p11tee_status_class_of(a[0].rc), P11TEE_CLASS_ATTEST);
    assert_non_null(strstr(a[0].err.message, "tdx.quote.signature"));
    free(a);
    assert_int_equal(tl_stat("attestations_served"), 1);
    assert_int_equal(tl_stat("requests.chat"), 0); /* nothing was sent */

    /* Not cached: with the fault gone, the next request attests afresh and chats. */
    pthread_mutex_lock(&log.lock);
    log.hold = 0;
    pthread_mutex_unlock(&log.lock);
    tl_control("{\"clear_faults\": true}");
    wave_answered(client, "after", 1);
    assert_int_equal(tl_stat("attestations_served"), 2);
    p11tee_client_free(client);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crowd_of_first_requests_attests_once),
        cmocka_unit_test(expired_session_is_attested_again_once),
        cmocka_unit_test(failed_attestation_reaches_every_waiter),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
