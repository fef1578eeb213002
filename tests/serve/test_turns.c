/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The stream threads' turn ends (p11tee_config_set_turn_end), against the
 * reference server tests/serve/chat_ext.sh started: called on the thread
 * that called the chat's events, after them, before the chat returns (also
 * when an event stopped the stream in the turn of its last text), and never
 * without stream threads.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "chat_ext.h"

typedef struct turns {
    seen s; /* first: on_text takes it as its own */
    pthread_t events_on;
    atomic_int events_off_thread; /* an event on another thread than the first's */
    atomic_int gathered;          /* text arrived since the last turn end of its thread */
    int stop_at;                  /* on_text stops the stream at this field (0: never) */
} turns;

static atomic_int turn_ends;
static _Thread_local turns *gathered_here; /* the chat this thread has text of */

static void on_turn_end(void *ud)
{
    assert_ptr_equal(ud, &turn_ends);
    atomic_fetch_add(&turn_ends, 1);
    if (gathered_here == NULL)
        return;
    /* A slow end of turn: a caller told of its chat's end before it would see text gathered. */
    if (gathered_here->stop_at != 0)
        usleep(50 * 1000);
    atomic_store(&gathered_here->gathered, 0);
    gathered_here = NULL;
}

static int on_text_gathered(void *ud, size_t choice, p11tee_field field, const char *text,
                            size_t len, int plaintext)
{
    turns *t = ud;

    if (t->s.fields == 0)
        t->events_on = pthread_self();
    else if (!pthread_equal(t->events_on, pthread_self()))
        atomic_store(&t->events_off_thread, 1);
    atomic_store(&t->gathered, 1);
    gathered_here = t;
    if (on_text(ud, choice, field, text, len, plaintext) != 0)
        return 1;
    return t->s.fields == t->stop_at;
}

/*
 * `streams` stream-threads; the chat's turn-end count, or -1 when its text was
 * left gathered. The chat ends with `want`.
 */
static int chat_with_turn_ends(const char *streams, turns *t, p11tee_status want)
{
    static const char req[] = REQUEST("turns");
    p11tee_chat_events ev = {.on_text = on_text_gathered, .on_token = on_token};
    p11tee_client *c;
    p11tee_chat_result *res = NULL;
    p11tee_error err;
    int ends;

    c = client_new_with_turns(&t->s, NULL, streams, on_turn_end, &turn_ends);
    atomic_store(&turn_ends, 0);
    atomic_store(&t->gathered, 0);
    atomic_store(&t->events_off_thread, 0);
    if (p11tee_chat(c, req, strlen(req), &ev, t, &res, &err) != want)
        fail_msg("chat: %s", err.message);
    /* Read before the client goes: its stream threads end their last turns when freed. */
    ends = atomic_load(&t->gathered) ? -1 : atomic_load(&turn_ends);
    if (want == P11TEE_OK)
        assert_string_equal(t->s.text, "echo: turns");
    assert_false(atomic_load(&t->events_off_thread));
    p11tee_chat_result_free(res);
    p11tee_client_free(c);
    return ends;
}

static void turn_ends_on_the_stream_thread(void **state)
{
    turns t;
    int i, ends;

    (void)state;
    memset(&t, 0, sizeof(t));
    for (i = 0; i < 3; i++) {
        ends = chat_with_turn_ends("2", &t, P11TEE_OK);
        assert_int_not_equal(ends, -1); /* the turn ended before the chat returned */
        assert_true(ends > 1);          /* not only the finished transfer's: each turn's */
        assert_false(pthread_equal(t.events_on, pthread_self()));
    }
    /* A stream stopped by its event ends in the turn of its last text: that turn ends first. */
    for (i = 1; i <= 3; i++) {
        memset(&t, 0, sizeof(t));
        t.stop_at = i;
        assert_int_not_equal(chat_with_turn_ends("1", &t, P11TEE_E_INVALID_ARG), -1);
        assert_int_equal(t.s.fields, i);
    }
    /* Without stream threads a chat's events run on its caller's thread: no turns. */
    memset(&t, 0, sizeof(t));
    assert_int_equal(chat_with_turn_ends(NULL, &t, P11TEE_OK), -1);
    assert_int_equal(atomic_load(&turn_ends), 0);
    assert_true(pthread_equal(t.events_on, pthread_self()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(turn_ends_on_the_stream_thread),
    };

    return TEST_MAIN(tests, NULL, NULL);
}
