/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * What the thread tests share: a client on the reference server and the
 * token that the scripts of tests/threads set up (tests/integration/lib.sh), the
 * server's /__stats and /__control, the library's log lines counted (and a
 * way to hold the thread that attests until the others wait for it), and
 * threads started together.
 */
#ifndef P11TEE_THREADLIB_H
#define P11TEE_THREADLIB_H

#include <pthread.h>
#include <stddef.h>

#include <p11tee/p11tee.h>

#define TL_E2EE_MODEL  "e2ee-qwen3-5-122b-a10b"
#define TL_THINK_MODEL "e2ee-qwen3-30b-thinking"
#define TL_TEE_MODEL   "tee-llama-3-3-70b"

/* The library's log lines that tell what the session cache did. */
typedef struct tl_log {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int attesting;    /* "* attesting ...": an attestation request */
    int waiting;      /* "* waiting for the attestation of ...": joined one in progress */
    int token_opened; /* "* token opened ..." */
    /* While set, the thread that attests waits until `waiting` reaches `hold_for`. */
    int hold;
    int hold_for;
    int hold_timed_out; /* the others never came (a test failure, not a hang) */
} tl_log;

/*
 * A client on the reference server with the test policy; `log` may be NULL, `ttl` and
 * `stream_threads` (the option's value) too.
 */
p11tee_client *tl_client_new(tl_log *log, const char *ttl, const char *stream_threads);
/* The counts of `log` (a copy taken under its lock). */
tl_log tl_log_read(tl_log *log);

/* A number from the server's /__stats ("attestations_served", "requests.models"); 0 if absent. */
long tl_stat(const char *key);
/* POST /__control with `json`; fails the test on an error. */
void tl_control(const char *json);

/* The reference model's answer to `prompt` (8 pieces) and its reasoning model's thinking. */
void tl_answer(const char *prompt, char *out, size_t cap);
void tl_thinking(const char *prompt, char *out, size_t cap);

/* What one streamed chat delivered. */
typedef struct tl_text {
    char content[1024];
    char reasoning[1024];
    size_t content_len, reasoning_len;
    int plaintext; /* fields passed through as plaintext */
} tl_text;

/* One chat with `prompt`; the texts go to `t`. */
p11tee_status tl_chat(p11tee_client *c, const char *model, const char *prompt, int stream,
                      tl_text *t, p11tee_chat_result **res, p11tee_error *err);

/* Run fn(arg_i) on `n` threads that start at once; args are `size` bytes apart. */
void tl_run_together(size_t n, void *(*fn)(void *), void *args, size_t size);

#endif /* P11TEE_THREADLIB_H */
