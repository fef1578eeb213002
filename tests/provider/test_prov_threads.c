/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * One token context used by 8 threads at once: 500 keygen+derive each, and
 * derives that share one key; then 20 threads, more than the pool's 8
 * sessions, so that threads wait for a session. Every secret is checked
 * against the default provider. (cmocka is not thread-safe: workers count,
 * main asserts.)
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsm/hsm.h"
#include "provtest.h"

#define THREADS_MAX 20

static pt_fixture fx;

typedef struct worker {
    pthread_t tid;
    int iterations;
    hsm_key *shared; /* NULL: each iteration makes its own token key */
    int done;
    int failures;
    char first_failure[P11TEE_ERROR_MESSAGE_MAX + 64];
} worker;

static int setup(void **state)
{
    (void)state;
    return pt_fixture_open(&fx, "p11tee-threads");
}

static int teardown(void **state)
{
    (void)state;
    pt_fixture_close(&fx);
    return 0;
}

static void failed(worker *w, const char *what, const p11tee_error *err)
{
    if (w->failures++ == 0)
        snprintf(w->first_failure, sizeof(w->first_failure), "%s: %s", what,
                 err != NULL ? err->message : "secrets differ");
}

/* One token-side derive against a software peer `s`, checked; 1 if right. */
static int check_one(worker *w, hsm_key *t, EVP_PKEY *s)
{
    uint8_t tpub[HSM_PUBKEY_BYTES], spub[PT_POINT_MAX], x1[HSM_SECRET_MAX], x2[HSM_SECRET_MAX];
    size_t tn, sn = pt_pub(s, spub, sizeof(spub)), n1 = 0;
    p11tee_error err;

    if (hsm_key_public(t, tpub, sizeof(tpub), &tn, &err) != P11TEE_OK) {
        failed(w, "hsm_key_public", &err);
        return 0;
    }
    if (hsm_derive(t, spub, sn, x1, sizeof(x1), &n1, &err) != P11TEE_OK) {
        failed(w, "hsm_derive", &err);
        return 0;
    }
    if (n1 != 32 || pt_sw_derive(s, "secp256k1", tpub, tn, x2, sizeof(x2)) != 32 ||
        memcmp(x1, x2, 32) != 0) {
        failed(w, "compare", NULL);
        return 0;
    }
    return 1;
}

static void *work(void *arg)
{
    worker *w = arg;
    EVP_PKEY *s = pt_sw_key("secp256k1");
    int i;

    for (i = 0; i < w->iterations && s != NULL; i++) {
        hsm_key *t = w->shared;
        p11tee_error err;

        if (t == NULL && hsm_key_generate(fx.hctx, "secp256k1", &t, &err) != P11TEE_OK) {
            failed(w, "hsm_key_generate", &err);
            continue;
        }
        if (w->shared != NULL) {
            /* A fresh peer each time, so that every derive differs. */
            EVP_PKEY_free(s);
            s = pt_sw_key("secp256k1");
        }
        w->done += check_one(w, t, s);
        if (w->shared == NULL)
            hsm_key_free(t);
    }
    EVP_PKEY_free(s);
    return NULL;
}

static void run(int threads, int iterations, hsm_key *shared)
{
    worker w[THREADS_MAX];
    int i;

    assert_true(threads <= THREADS_MAX);
    memset(w, 0, sizeof(w));
    for (i = 0; i < threads; i++) {
        w[i].iterations = iterations;
        w[i].shared = shared;
        assert_int_equal(pthread_create(&w[i].tid, NULL, work, &w[i]), 0);
    }
    for (i = 0; i < threads; i++)
        assert_int_equal(pthread_join(w[i].tid, NULL), 0);
    for (i = 0; i < threads; i++) {
        if (w[i].failures > 0)
            fprintf(stderr, "thread %d: %d failures, first: %s\n", i, w[i].failures,
                    w[i].first_failure);
        assert_int_equal(w[i].failures, 0);
        assert_int_equal(w[i].done, iterations);
    }
}

static void eight_threads_keygen_and_derive(void **state)
{
    (void)state;
    run(8, pt_quick() ? 10 : 500, NULL);
}

/* `threads` threads derive `iterations` times each with one shared token key. */
static void run_shared(int threads, int iterations)
{
    hsm_key *k;
    p11tee_error err;

    assert_int_equal(hsm_key_generate(fx.hctx, "secp256k1", &k, &err), P11TEE_OK);
    run(threads, iterations, k);
    hsm_key_free(k);
}

static void eight_threads_share_one_key(void **state)
{
    (void)state;
    run_shared(8, pt_quick() ? 5 : 50);
}

/* More threads than sessions: the pool makes them wait (its condition variable). */
static void twenty_threads_wait_for_sessions(void **state)
{
    (void)state;
    run_shared(20, pt_quick() ? 3 : 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(eight_threads_keygen_and_derive),
        cmocka_unit_test(eight_threads_share_one_key),
        cmocka_unit_test(twenty_threads_wait_for_sessions),
    };

    return TEST_MAIN(tests, setup, teardown);
}
