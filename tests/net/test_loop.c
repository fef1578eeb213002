/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Stream threads (net_options.stream_threads, src/net/loop.c) and holds
 * (net_cancel_hold), against tests/net/netfixture.py: many callers' streams
 * read by a few threads of the client, each whole and in order; cancel and
 * the idle timeout reach a transfer on a stream thread; a held transfer
 * reads nothing until released and is not timed out meanwhile, on a stream
 * thread and on its caller's.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/net.h"
#include "testlib.h"
#include "transfer_env.h"

#define CALLERS 12
#define EVENTS  20

/* The threads the sinks ran on, across every caller. */
static struct {
    pthread_mutex_t lock;
    pthread_t seen[CALLERS + 2];
    size_t n;
} sinks = {.lock = PTHREAD_MUTEX_INITIALIZER};

typedef struct caller {
    net_client *c;
    pthread_t self;
    sse_parser p;
    int events, done, on_own_thread, out_of_order;
    p11tee_status rc;
} caller;

static void sink_thread_seen(void)
{
    pthread_t me = pthread_self();
    size_t i;

    pthread_mutex_lock(&sinks.lock);
    for (i = 0; i < sinks.n && !pthread_equal(sinks.seen[i], me); i++)
        ;
    if (i == sinks.n && sinks.n < CALLERS + 2)
        sinks.seen[sinks.n++] = me;
    pthread_mutex_unlock(&sinks.lock);
}

static p11tee_status on_event(void *ctx, const sse_event *ev, p11tee_error *err)
{
    caller *t = ctx;
    char want[32];

    (void)err;
    sink_thread_seen();
    t->on_own_thread |= pthread_equal(pthread_self(), t->self);
    if (sse_is_done(ev)) {
        t->done = 1;
        return P11TEE_OK;
    }
    t->events++;
    snprintf(want, sizeof(want), "{\"k\": %d}", t->events); /* each one, in order */
    t->out_of_order |= strcmp(ev->data, want) != 0;         /* asserted on the main thread */
    return P11TEE_OK;
}

static void *run_caller(void *arg)
{
    caller *t = arg;
    net_request req = {0};
    net_response resp;
    p11tee_error err;

    t->self = pthread_self();
    sse_init(&t->p, 0, 0, on_event, t);
    req.method = "GET";
    req.path = "/stream?n=20";
    req.sink = sse_sink;
    req.sink_ctx = &t->p;
    t->rc = net_perform(t->c, &req, &resp, &err);
    if (t->rc == P11TEE_OK)
        t->rc = sse_finish(&t->p, &err);
    sse_free(&t->p);
    net_response_free(&resp);
    return NULL;
}

static void many_streams_share_the_stream_threads(void **state)
{
    net_client *c = client_streams(srv.url, 10000, 2);
    pthread_t tid[CALLERS];
    caller t[CALLERS];
    size_t i;

    (void)state;
    memset(t, 0, sizeof(t));
    for (i = 0; i < CALLERS; i++) {
        t[i].c = c;
        assert_int_equal(pthread_create(&tid[i], NULL, run_caller, &t[i]), 0);
    }
    for (i = 0; i < CALLERS; i++)
        assert_int_equal(pthread_join(tid[i], NULL), 0);
    for (i = 0; i < CALLERS; i++) {
        assert_int_equal(t[i].rc, P11TEE_OK);
        assert_int_equal(t[i].events, EVENTS);
        assert_true(t[i].done);
        assert_false(t[i].out_of_order);
        assert_false(t[i].on_own_thread); /* read by the client's threads */
    }
    assert_true(sinks.n >= 1 && sinks.n <= 2);
    net_client_free(c);
}

static void collected_bodies_stay_on_the_callers_thread(void **state)
{
    net_client *c = client_streams(srv.url, 0, 2);
    net_response resp;
    p11tee_error err;

    (void)state;
    assert_int_equal(get(c, "/json", &resp, &err), P11TEE_OK);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.body.len, strlen("{\"ok\": true}"));
    net_response_free(&resp);
    net_client_free(c);
}

/* A raw sink that counts its calls and can be told to hold, fail, or cancel. */
typedef struct held {
    net_cancel *cancel;
    int calls, fail_after; /* fail the call after this many since the release */
    int calls_at_release;
    uint64_t hold_ms, release_ms, second_ms;
    int released;
    pthread_mutex_t lock;
    pthread_cond_t first; /* the first call came (and held) */
} held;

static p11tee_status held_sink(void *ctx, const uint8_t *data, size_t len, p11tee_error *err)
{
    held *h = ctx;
    int fail;

    (void)data;
    (void)len;
    pthread_mutex_lock(&h->lock);
    h->calls++;
    if (h->calls == 1) {
        h->hold_ms = fixture_now_ms();
        net_cancel_hold(h->cancel, 1);
        pthread_cond_broadcast(&h->first);
    } else if (h->calls == 2) {
        h->second_ms = fixture_now_ms();
    }
    fail = h->released && h->calls - h->calls_at_release >= h->fail_after;
    pthread_mutex_unlock(&h->lock);
    return fail ? err_set(err, P11TEE_E_E2EE_PLAINTEXT, "enough") : P11TEE_OK;
}

static void *release_later(void *arg)
{
    held *h = arg;

    pthread_mutex_lock(&h->lock);
    while (h->calls == 0) /* released before it held, it would wait forever */
        pthread_cond_wait(&h->first, &h->lock);
    pthread_mutex_unlock(&h->lock);
    usleep(400 * 1000);
    pthread_mutex_lock(&h->lock);
    h->release_ms = fixture_now_ms();
    h->released = 1;
    h->calls_at_release = h->calls;
    pthread_mutex_unlock(&h->lock);
    net_cancel_hold(h->cancel, 0);
    return NULL;
}

/* Held for 400 ms with an idle timeout of 150 ms: no byte read and no timeout meanwhile. */
static void hold_on(size_t threads)
{
    net_client *c = client_streams(srv.url, 150, threads);
    net_request req = {0};
    net_response resp;
    p11tee_error err;
    pthread_t tid;
    held h = {0};

    pthread_mutex_init(&h.lock, NULL);
    pthread_cond_init(&h.first, NULL);
    h.cancel = net_cancel_new();
    h.fail_after = 3;
    assert_non_null(h.cancel);
    assert_int_equal(pthread_create(&tid, NULL, release_later, &h), 0);
    req.method = "GET";
    req.path = "/drip?ms=20";
    req.sink = held_sink;
    req.sink_ctx = &h;
    req.cancel = h.cancel;
    assert_int_equal(net_perform(c, &req, &resp, &err), P11TEE_E_E2EE_PLAINTEXT);
    assert_int_equal(pthread_join(tid, NULL), 0);
    assert_string_equal(err.message, "enough");
    assert_int_equal(h.calls_at_release, 1); /* nothing reached the sink while held */
    assert_true(h.second_ms >= h.release_ms);
    net_response_free(&resp);
    net_cancel_free(h.cancel);
    pthread_cond_destroy(&h.first);
    pthread_mutex_destroy(&h.lock);
    net_client_free(c);
}

static void hold_stops_reading_until_released(void **state)
{
    (void)state;
    hold_on(0); /* the caller's thread drives the transfer */
    hold_on(2); /* a stream thread does */
}

static void *cancel_later(void *arg)
{
    usleep(200 * 1000);
    net_cancel_trigger(arg);
    return NULL;
}

static void cancel_and_idle_timeout_reach_a_stream_thread(void **state)
{
    net_client *c = client_streams(srv.url, 20000, 1);
    net_request req = {0};
    net_response resp;
    p11tee_error err;
    net_cancel *cancel = net_cancel_new();
    held h = {0};
    pthread_t tid;
    char want[300];

    (void)state;
    pthread_mutex_init(&h.lock, NULL);
    pthread_cond_init(&h.first, NULL);
    h.cancel = net_cancel_new(); /* the sink holds this one: never this transfer's */
    h.fail_after = 1000;
    req.method = "GET";
    req.path = "/stall";
    req.sink = held_sink;
    req.sink_ctx = &h;
    req.cancel = cancel;
    assert_int_equal(pthread_create(&tid, NULL, cancel_later, cancel), 0);
    /* Silent for 30 s with an idle timeout of 20 s: only the cancel ends it. */
    assert_int_equal(net_perform(c, &req, &resp, &err), P11TEE_E_CANCELLED);
    assert_int_equal(pthread_join(tid, NULL), 0);
    net_response_free(&resp);
    net_client_free(c);

    c = client_streams(srv.url, 300, 1);
    req.cancel = NULL;
    assert_int_equal(net_perform(c, &req, &resp, &err), P11TEE_E_NET_IDLE_TIMEOUT);
    snprintf(want, sizeof(want),
             "no data from %s/stall for 300 ms (idle timeout): the server stalled; retry, or "
             "raise the idle timeout",
             srv.url);
    assert_string_equal(err.message, want);
    net_response_free(&resp);
    net_client_free(c);
    net_cancel_free(cancel);
    net_cancel_free(h.cancel);
    pthread_cond_destroy(&h.first);
    pthread_mutex_destroy(&h.lock);
}

static void stream_threads_are_bounded(void **state)
{
    net_options o = {0};
    net_client *c = NULL;
    p11tee_error err;

    (void)state;
    o.base_url = srv.url;
    o.stream_threads = NET_STREAM_THREADS_MAX + 1;
    assert_int_equal(net_client_new(&o, &c, &err), P11TEE_E_INVALID_ARG);
    assert_null(c);
    assert_string_equal(err.message, "at most 64 stream threads");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(many_streams_share_the_stream_threads),
        cmocka_unit_test(collected_bodies_stay_on_the_callers_thread),
        cmocka_unit_test(hold_stops_reading_until_released),
        cmocka_unit_test(cancel_and_idle_timeout_reach_a_stream_thread),
        cmocka_unit_test(stream_threads_are_bounded),
        cmocka_unit_test(no_log_line_carries_the_key),
    };
    return TEST_MAIN(tests, transfer_setup, transfer_teardown);
}
