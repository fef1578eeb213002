/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The set of envelopes a session opened (src/e2ee/replay.c): a pair seen
 * once is refused the second time, whatever else happened between; the
 * table grows and keeps every pair; it holds at most E2EE_SEEN_MAX and then
 * says so; threads that share a session each see a pair refused exactly
 * once.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include "e2ee/e2ee.h"
#include "testlib.h"

/* A pair made from a number: distinct numbers, distinct pairs. */
static void pair_of(uint32_t n, uint8_t eph[P11TEE_PUBKEY_BYTES],
                    uint8_t nonce[ENVELOPE_NONCE_BYTES])
{
    memset(eph, 0x04, P11TEE_PUBKEY_BYTES);
    memset(nonce, 0, ENVELOPE_NONCE_BYTES);
    memcpy(nonce, &n, sizeof(n));
}

static p11tee_status add(e2ee_seen *s, uint32_t n)
{
    uint8_t eph[P11TEE_PUBKEY_BYTES], nonce[ENVELOPE_NONCE_BYTES];

    pair_of(n, eph, nonce);
    return e2ee_seen_add(s, eph, nonce, NULL);
}

static void seen_once(void **state)
{
    uint8_t eph[P11TEE_PUBKEY_BYTES], nonce[ENVELOPE_NONCE_BYTES];
    p11tee_error err;
    e2ee_seen s;
    uint32_t i;

    (void)state;
    e2ee_seen_init(&s);
    pair_of(1, eph, nonce);
    assert_int_equal(e2ee_seen_add(&s, eph, nonce, &err), P11TEE_OK);
    assert_int_equal(e2ee_seen_add(&s, eph, nonce, &err), P11TEE_E_E2EE_REPLAY);
    assert_non_null(strstr(err.message, "a second time"));
    /* the same nonce under another ephemeral key is another envelope */
    eph[64] ^= 1;
    assert_int_equal(e2ee_seen_add(&s, eph, nonce, &err), P11TEE_OK);
    /* many more: the table grows, every pair is still known */
    for (i = 2; i < 50000; i++)
        assert_int_equal(add(&s, i), P11TEE_OK);
    for (i = 1; i < 50000; i++)
        assert_int_equal(add(&s, i), P11TEE_E_E2EE_REPLAY);
    assert_int_equal(e2ee_seen_count(&s), 50000);
    e2ee_seen_free(&s);
}

static void bounded(void **state)
{
    p11tee_error err;
    e2ee_seen s;
    uint32_t i;

    (void)state;
    e2ee_seen_init(&s);
    for (i = 0; i < E2EE_SEEN_MAX; i++)
        if (add(&s, i) != P11TEE_OK)
            fail_msg("pair %u refused", i);
    assert_int_equal(e2ee_seen_add(&s, (uint8_t[P11TEE_PUBKEY_BYTES]){0},
                                   (uint8_t[ENVELOPE_NONCE_BYTES]){0}, &err),
                     P11TEE_E_E2EE_SESSION_FULL);
    assert_non_null(strstr(err.message, "the next chat starts a new session"));
    assert_true(s.cap <= 2 * (size_t)E2EE_SEEN_MAX);
    e2ee_seen_free(&s);
}

typedef struct racer {
    e2ee_seen *s;
    unsigned refused;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    uint32_t i;

    for (i = 0; i < 20000; i++)
        r->refused += add(r->s, i) == P11TEE_E_E2EE_REPLAY;
    return NULL;
}

/* Four threads add the same 20000 pairs: each pair is accepted once, refused three times. */
static void shared_by_threads(void **state)
{
    pthread_t t[4];
    racer r[4];
    e2ee_seen s;
    unsigned refused = 0;
    size_t i;

    (void)state;
    e2ee_seen_init(&s);
    for (i = 0; i < 4; i++) {
        r[i].s = &s;
        r[i].refused = 0;
        assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        refused += r[i].refused;
    }
    assert_int_equal(refused, 3 * 20000);
    assert_int_equal(e2ee_seen_count(&s), 20000);
    e2ee_seen_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seen_once),
        cmocka_unit_test(bounded),
        cmocka_unit_test(shared_by_threads),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
