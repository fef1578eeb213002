/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The library's extensions for the gateway, through the public API alone,
 * against the reference server tests/serve/chat_ext.sh started: cancelling a
 * chat (before it was sent, and while the server is silent), the response
 * and token events, usage, re-attestation when the first field does not
 * open (and none after text), p11tee_chat_prepare, token-workers, and
 * stream-threads with a held chat (p11tee_cancel_hold). The stream threads'
 * turn ends: test_turns.c.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chat_ext.h"

/* ---- the tests ---------------------------------------------------------------------- */

static void events_and_usage(void **state)
{
    static const char req[] = REQUEST("events");
    seen s;
    p11tee_client *c = client_new(&s, NULL, NULL);
    p11tee_chat_result *res = NULL;
    p11tee_error err;
    long long p = 0, t = 0, total = 0;

    (void)state;
    if (chat(c, req, &s, NULL, &res, &err) != P11TEE_OK)
        fail_msg("chat: %s", err.message);
    assert_string_equal(s.text, "echo: events");
    assert_int_equal(s.responses, 1);
    assert_false(s.text_before_response);
    assert_string_equal(s.id, p11tee_chat_result_id(res));
    assert_int_equal(s.seals, 1);
    assert_int_equal(s.opens, 8); /* one ECDH per streamed field */
    assert_int_equal(p11tee_chat_result_usage(res, &p, &t, &total), 0);
    assert_true(p == 1 && t == 8 && total == 9);
    p11tee_chat_result_free(res);
    p11tee_client_free(c);
}

static void cancelled_before_sending(void **state)
{
    static const char req[] = REQUEST("never sent");
    seen s;
    p11tee_client *c = client_new(&s, NULL, NULL);
    p11tee_cancel *cancel = p11tee_cancel_new();
    p11tee_chat_result *res = NULL;
    p11tee_error err;
    long chats = stat_of("chat_requests_reached_model");

    (void)state;
    p11tee_cancel_trigger(cancel);
    assert_true(p11tee_cancel_triggered(cancel));
    assert_int_equal(chat(c, req, &s, cancel, &res, &err), P11TEE_E_CANCELLED);
    assert_int_equal(err.code, P11TEE_E_CANCELLED);
    assert_int_equal(s.fields, 0);
    assert_int_equal(stat_of("chat_requests_reached_model"), chats);
    p11tee_chat_result_free(res);
    p11tee_cancel_free(cancel);
    p11tee_client_free(c);
}

typedef struct canceller {
    seen *s;
    p11tee_cancel *cancel;
} canceller;

/* Once the stream went silent after its fourth field, cancel it from this thread. */
static void *cancel_later(void *arg)
{
    canceller *k = arg;
    struct timespec pause = {0, 100 * 1000000L};

    pthread_mutex_lock(&k->s->lock);
    while (k->s->fields < 4)
        pthread_cond_wait(&k->s->more, &k->s->lock);
    pthread_mutex_unlock(&k->s->lock);
    nanosleep(&pause, NULL);
    p11tee_cancel_trigger(k->cancel);
    return NULL;
}

static void cancel_while_silent(const char *streams)
{
    static const char req[] = REQUEST("stalled");
    seen s;
    p11tee_client *c = client_new(&s, NULL, streams);
    canceller k = {&s, p11tee_cancel_new()};
    p11tee_chat_result *res = NULL;
    p11tee_error err;
    pthread_t tid;
    long closed = stat_of("streams_client_closed");
    int i;

    control("{\"faults\":\"stall-stream\"}");
    assert_int_equal(pthread_create(&tid, NULL, cancel_later, &k), 0);
    /* Without the cancel this waits for the 60 s idle timeout. */
    assert_int_equal(chat(c, req, &s, k.cancel, &res, &err), P11TEE_E_CANCELLED);
    pthread_join(tid, NULL);
    control("{\"clear_faults\":true}");
    assert_string_equal(s.text, "echo");
    assert_true(p11tee_chat_result_incomplete(res));
    for (i = 0; i < 100 && stat_of("streams_client_closed") == closed; i++)
        usleep(50000);
    assert_int_equal(stat_of("streams_client_closed"), closed + 1);
    p11tee_chat_result_free(res);
    p11tee_cancel_free(k.cancel);
    p11tee_client_free(c);
}

static void cancelled_while_silent(void **state)
{
    (void)state;
    cancel_while_silent(NULL);
}

/* The same on a stream thread, whose idle timeout (200 ms) the stall would strike. */
static void cancelled_while_silent_on_a_stream_thread(void **state)
{
    (void)state;
    cancel_while_silent("1");
}

/* A chat on a stream thread that its first text holds for 400 ms. */
typedef struct holding {
    seen s; /* first: the other events take it */
    p11tee_cancel *cancel;
    pthread_t caller;
    int on_caller; /* an event ran on the thread that called p11tee_chat() */
    uint64_t hold_ms, release_ms;
    int during; /* fields that arrived while held, after those already at hand */
} holding;

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int on_text_held(void *ud, size_t choice, p11tee_field field, const char *text, size_t len,
                        int plaintext)
{
    holding *h = ud;
    int rc = on_text(&h->s, choice, field, text, len, plaintext);
    uint64_t now = now_ms();

    pthread_mutex_lock(&h->s.lock);
    h->on_caller |= pthread_equal(pthread_self(), h->caller);
    if (h->hold_ms == 0) {
        h->hold_ms = now;
        p11tee_cancel_hold(h->cancel, 1);
        pthread_cond_broadcast(&h->s.more); /* after on_text's: release_later waits for this */
    } else if (h->release_ms == 0 && now > h->hold_ms + 150) {
        /* Fields of the delivery at hand come within microseconds; later ones are read. */
        h->during++;
    }
    pthread_mutex_unlock(&h->s.lock);
    return rc;
}

static void *release_later(void *arg)
{
    holding *h = arg;
    struct timespec pause = {0, 400 * 1000000L};

    pthread_mutex_lock(&h->s.lock);
    while (h->hold_ms == 0)
        pthread_cond_wait(&h->s.more, &h->s.lock);
    pthread_mutex_unlock(&h->s.lock);
    nanosleep(&pause, NULL);
    pthread_mutex_lock(&h->s.lock);
    h->release_ms = now_ms();
    pthread_mutex_unlock(&h->s.lock);
    p11tee_cancel_hold(h->cancel, 0);
    return NULL;
}

static void held_on_a_stream_thread(void **state)
{
    static const char req[] = REQUEST("held");
    holding h;
    p11tee_client *c;
    p11tee_config *cfg = p11tee_config_new();
    p11tee_chat_events ev = {
        .on_text = on_text_held, .on_response = on_response, .on_token = on_token};
    p11tee_chat_result *res = NULL;
    p11tee_error err;
    pthread_t tid;

    (void)state;
    assert_int_equal(p11tee_config_set(cfg, "stream-threads", "65", &err), P11TEE_E_CONFIG);
    p11tee_config_free(cfg);
    memset(&h, 0, sizeof(h));
    c = client_new(&h.s, NULL, "1");
    h.cancel = ev.cancel = p11tee_cancel_new();
    h.caller = pthread_self();
    control("{\"chunk_delay_ms\":20}");
    assert_int_equal(pthread_create(&tid, NULL, release_later, &h), 0);
    if (p11tee_chat(c, req, strlen(req), &ev, &h, &res, &err) != P11TEE_OK)
        fail_msg("chat: %s", err.message);
    pthread_join(tid, NULL);
    control("{\"chunk_delay_ms\":0}");
    assert_string_equal(h.s.text, "echo: held");
    assert_int_equal(h.s.opens, 8);
    assert_int_equal(h.during, 0); /* nothing was read while held */
    assert_true(h.release_ms >= h.hold_ms + 400);
    assert_false(h.on_caller); /* the stream thread read the answer */
    p11tee_chat_result_free(res);
    p11tee_cancel_free(h.cancel);
    p11tee_client_free(c);
}

static void reattested_when_the_first_field_fails(void **state)
{
    static const char req[] = REQUEST("first");
    seen s;
    p11tee_client *c = client_new(&s, NULL, NULL);
    p11tee_chat_result *res = NULL;
    p11tee_error err;
    long chats = stat_of("chat_requests_reached_model");

    (void)state;
    control("{\"faults\":\"tamper-ciphertext\",\"chunks\":1}");
    assert_int_equal(chat(c, req, &s, NULL, &res, &err), P11TEE_E_ENVELOPE_AUTH);
    control("{\"clear_faults\":true,\"chunks\":8}");
    assert_int_equal(s.fields, 0);
    assert_int_equal(s.attestations, 2); /* the first, and one more after the failed field */
    assert_int_equal(stat_of("chat_requests_reached_model"), chats + 2);
    p11tee_chat_result_free(res);
    p11tee_client_free(c);
}

static void no_retry_after_text(void **state)
{
    static const char req[] = REQUEST("later");
    seen s;
    p11tee_client *c = client_new(&s, NULL, NULL);
    p11tee_chat_result *res = NULL;
    p11tee_error err;
    long chats = stat_of("chat_requests_reached_model");

    (void)state;
    control("{\"faults\":\"tamper-ciphertext\"}");
    assert_int_equal(chat(c, req, &s, NULL, &res, &err), P11TEE_E_ENVELOPE_AUTH);
    control("{\"clear_faults\":true}");
    assert_string_equal(s.text, "echo");
    assert_int_equal(s.attestations, 1);
    assert_int_equal(stat_of("chat_requests_reached_model"), chats + 1);
    p11tee_chat_result_free(res);
    p11tee_client_free(c);
}

static void prepare(void **state)
{
    static const char req[] = REQUEST("prepared");
    seen s;
    p11tee_client *c = client_new(&s, NULL, NULL);
    p11tee_attestation *a = NULL;
    p11tee_chat_result *res = NULL;
    p11tee_error err;
    long chats = stat_of("chat_requests_reached_model");

    (void)state;
    if (p11tee_chat_prepare(c, E2EE_MODEL, &a, &err) != P11TEE_OK)
        fail_msg("prepare: %s", err.message);
    assert_int_equal(p11tee_attestation_verdict(a, NULL), P11TEE_OK);
    assert_int_equal(stat_of("chat_requests_reached_model"), chats); /* nothing sent */
    assert_int_equal(p11tee_chat_prepare(c, E2EE_MODEL, NULL, &err), P11TEE_OK);
    assert_int_equal(chat(c, req, &s, NULL, &res, &err), P11TEE_OK);
    assert_int_equal(s.attestations, 1); /* the chat used the prepared session */
    assert_int_equal(p11tee_chat_prepare(c, TEE_MODEL, NULL, &err), P11TEE_E_MODEL_NO_E2EE);
    assert_int_equal(p11tee_chat_prepare(c, "no-such-model", NULL, &err), P11TEE_E_MODEL_NOT_FOUND);
    assert_int_equal(p11tee_chat_prepare(c, "", NULL, &err), P11TEE_E_INVALID_ARG);
    p11tee_attestation_free(a);
    p11tee_chat_result_free(res);
    p11tee_client_free(c);
}

typedef struct worker {
    p11tee_client *c;
    p11tee_status rc;
    seen s;
} worker;

static void *chat_thread(void *arg)
{
    static const char req[] = REQUEST("together");
    worker *w = arg;
    p11tee_chat_result *res = NULL;
    p11tee_error err;

    pthread_mutex_init(&w->s.lock, NULL);
    pthread_cond_init(&w->s.more, NULL);
    w->rc = chat(w->c, req, &w->s, NULL, &res, &err);
    p11tee_chat_result_free(res);
    return NULL;
}

static void one_token_worker(void **state)
{
    worker w[4];
    pthread_t tid[4];
    p11tee_config *cfg = p11tee_config_new();
    seen s;
    p11tee_error err;
    int i;

    (void)state;
    assert_int_equal(p11tee_config_set(cfg, "token-workers", "many", &err), P11TEE_E_CONFIG);
    assert_int_equal(p11tee_config_set(cfg, "token-workers", "1025", &err), P11TEE_E_CONFIG);
    p11tee_config_free(cfg);
    memset(w, 0, sizeof(w));
    w[0].c = client_new(&s, "1", NULL);
    for (i = 0; i < 4; i++) {
        w[i].c = w[0].c;
        assert_int_equal(pthread_create(&tid[i], NULL, chat_thread, &w[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(tid[i], NULL);
        assert_int_equal(w[i].rc, P11TEE_OK);
        assert_string_equal(w[i].s.text, "echo: together");
        assert_int_equal(w[i].s.opens, 8);
    }
    p11tee_client_free(w[0].c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_and_usage),
        cmocka_unit_test(cancelled_before_sending),
        cmocka_unit_test(cancelled_while_silent),
        cmocka_unit_test(cancelled_while_silent_on_a_stream_thread),
        cmocka_unit_test(reattested_when_the_first_field_fails),
        cmocka_unit_test(no_retry_after_text),
        cmocka_unit_test(prepare),
        cmocka_unit_test(one_token_worker),
        cmocka_unit_test(held_on_a_stream_thread),
    };

    return TEST_MAIN(tests, NULL, NULL);
}
