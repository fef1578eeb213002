/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * One client, 16 threads, every kind of call at once against the reference
 * server and a SoftHSM token: model lists, attestations of two models,
 * E2EE chats (one model reasoning), TEE chats, and attestation reports
 * passed between threads by reference. The enclave key of the first model
 * attested rotates during the run, so chats also meet a key mismatch and
 * re-attest. Every answer must be exact; a report kept by reference stays
 * readable after the client is gone. Built with --enable-tsan, this is the
 * ThreadSanitizer run (tests/threads/mixed.sh).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "threadlib.h"

#define THREADS 16
#define ROUNDS  6 /* calls per thread, one of each kind */

/* The latest report, shared: threads put theirs and read the others'. */
static struct {
    pthread_mutex_t lock;
    p11tee_attestation *latest;
} shelf = {PTHREAD_MUTEX_INITIALIZER, NULL};

static void shelf_put(const p11tee_attestation *a)
{
    p11tee_attestation *kept = p11tee_attestation_ref(a), *old;

    pthread_mutex_lock(&shelf.lock);
    old = shelf.latest;
    shelf.latest = kept;
    pthread_mutex_unlock(&shelf.lock);
    p11tee_attestation_free(old);
}

static p11tee_attestation *shelf_take(void)
{
    p11tee_attestation *a;

    pthread_mutex_lock(&shelf.lock);
    a = p11tee_attestation_ref(shelf.latest);
    pthread_mutex_unlock(&shelf.lock);
    return a;
}

/* A report as the CLI reads it: all of it, from whatever thread. */
static int report_reads(const p11tee_attestation *a)
{
    p11tee_check c;
    char *json = p11tee_attestation_json(a);
    size_t i, pass = 0;
    int ok;

    for (i = 0; p11tee_attestation_check(a, i, &c) == 0; i++)
        pass += c.result == P11TEE_CHECK_PASS;
    ok = json != NULL && strstr(json, "\"verdict\": \"pass\"") != NULL && pass > 20 &&
         p11tee_attestation_verdict(a, NULL) == P11TEE_OK &&
         p11tee_attestation_get(a, "mrtd") != NULL;
    free(json);
    return ok;
}

typedef struct worker {
    p11tee_client *client;
    int id;
    int calls, chats, failures;
    char first_failure[P11TEE_ERROR_MESSAGE_MAX + 64];
} worker;

static void worker_fail(worker *w, const char *what, const p11tee_error *err)
{
    if (w->failures++ == 0)
        snprintf(w->first_failure, sizeof(w->first_failure), "thread %d: %s: %s", w->id, what,
                 err != NULL ? err->message : "wrong result");
}

static int call_models(worker *w)
{
    p11tee_models *m = NULL;
    p11tee_model_info info;
    p11tee_error err;
    size_t i, count;
    int found = 0;

    if (p11tee_models_fetch(w->client, NULL, &m, &err) != P11TEE_OK) {
        worker_fail(w, "models", &err);
        return 0;
    }
    count = p11tee_models_count(m);
    for (i = 0; p11tee_models_get(m, i, &info) == 0; i++)
        found += strcmp(info.id, TL_E2EE_MODEL) == 0 && info.e2ee;
    p11tee_models_free(m);
    return count == 4 && found == 1; /* the reference server's four text models */
}

static int call_attest(worker *w, const char *model)
{
    p11tee_attestation *a = NULL;
    p11tee_error err;
    int ok;

    if (p11tee_attest(w->client, model, &a, &err) != P11TEE_OK) {
        worker_fail(w, "attest", &err);
        p11tee_attestation_free(a);
        return 0;
    }
    ok = strcmp(p11tee_attestation_get(a, "model"), model) == 0 &&
         strlen(p11tee_attestation_get(a, "nonce")) == 64 && report_reads(a);
    shelf_put(a);
    p11tee_attestation_free(a);
    return ok;
}

static int call_chat(worker *w, const char *model, int stream, int round)
{
    char prompt[64], want[160], thinking[160];
    p11tee_chat_result *res = NULL;
    p11tee_error err;
    tl_text t;
    int ok;

    snprintf(prompt, sizeof(prompt), "thread %d round %d", w->id, round);
    tl_answer(prompt, want, sizeof(want));
    tl_thinking(prompt, thinking, sizeof(thinking));
    w->chats++;
    if (tl_chat(w->client, model, prompt, stream, &t, &res, &err) != P11TEE_OK) {
        worker_fail(w, model, &err);
        p11tee_chat_result_free(res);
        return 0;
    }
    ok = strcmp(t.content, want) == 0 && t.plaintext == 0 &&
         strcmp(t.reasoning, strcmp(model, TL_THINK_MODEL) == 0 ? thinking : "") == 0 &&
         p11tee_chat_result_attestation(res) != NULL;
    if (ok)
        shelf_put(p11tee_chat_result_attestation(res));
    p11tee_chat_result_free(res);
    return ok;
}

/* Read a report another thread left, after the call that made it has returned. */
static int call_read_shelf(worker *w)
{
    p11tee_attestation *a = shelf_take();
    int ok = a == NULL || report_reads(a);

    (void)w;
    p11tee_attestation_free(a);
    return ok;
}

static void *work(void *p)
{
    worker *w = p;
    int round, ok = 0;

    for (round = 0; round < ROUNDS; round++) {
        switch ((w->id + round) % ROUNDS) {
        case 0: ok = call_models(w); break;
        case 1: ok = call_attest(w, w->id % 2 ? TL_E2EE_MODEL : TL_TEE_MODEL); break;
        case 2: ok = call_chat(w, TL_E2EE_MODEL, 1, round); break;
        case 3: ok = call_chat(w, TL_THINK_MODEL, 1, round); break;
        case 4: ok = call_chat(w, TL_TEE_MODEL, round % 2, round); break;
        default: ok = call_read_shelf(w); break;
        }
        w->calls++;
        if (!ok)
            worker_fail(w, "a call", NULL);
    }
    return NULL;
}

static void mixed_calls(const char *stream_threads)
{
    p11tee_client *client = tl_client_new(NULL, NULL, stream_threads);
    worker w[THREADS];
    p11tee_attestation *kept;
    long chats = 0;
    int i;

    tl_control("{\"reset_stats\": true, \"set_faults\": [\"rotate-key\"]}");
    memset(w, 0, sizeof(w));
    for (i = 0; i < THREADS; i++) {
        w[i].client = client;
        w[i].id = i;
    }
    tl_run_together(THREADS, work, w, sizeof(w[0]));
    for (i = 0; i < THREADS; i++) {
        if (w[i].failures > 0)
            fail_msg("%d failed calls; first: %s", w[i].failures, w[i].first_failure);
        assert_int_equal(w[i].calls, ROUNDS);
        chats += w[i].chats;
    }
    /* Every chat reached the model exactly once: a refused key never does. */
    assert_int_equal(tl_stat("chat_requests_reached_model"), chats);
    assert_int_equal(chats, THREADS * 3);
    /* A report outlives the request that made it, and the client. */
    kept = shelf_take();
    assert_non_null(kept);
    p11tee_client_free(client);
    assert_true(report_reads(kept));
    p11tee_attestation_free(kept);
    pthread_mutex_lock(&shelf.lock);
    p11tee_attestation_free(shelf.latest);
    shelf.latest = NULL;
    pthread_mutex_unlock(&shelf.lock);
}

static void sixteen_threads_mixed_calls(void **state)
{
    (void)state;
    mixed_calls(NULL);
}

/* The same with two stream threads reading every chat's answer (stream-threads). */
static void sixteen_threads_mixed_calls_on_stream_threads(void **state)
{
    (void)state;
    mixed_calls("2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sixteen_threads_mixed_calls),
        cmocka_unit_test(sixteen_threads_mixed_calls_on_stream_threads),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
