/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * What the chat_ext tests share (chat_ext.c): the reference server that
 * tests/serve/chat_ext.sh started, a client of it, and events that record.
 */
#ifndef P11TEE_TESTS_CHAT_EXT_H
#define P11TEE_TESTS_CHAT_EXT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <p11tee/p11tee.h>

#include "testlib.h"

#define E2EE_MODEL "e2ee-qwen3-5-122b-a10b"
#define TEE_MODEL  "tee-llama-3-3-70b"
#define REQUEST(prompt)                                                                            \
    "{\"model\":\"" E2EE_MODEL "\",\"messages\":[{\"role\":\"user\",\"content\":\"" prompt "\"}]}"

typedef struct seen {
    pthread_mutex_t lock;
    pthread_cond_t more;
    char text[4096];
    size_t len;
    int fields, opens, seals, responses, text_before_response;
    char id[128];
    int attestations; /* "* attesting" lines of the library's log */
} seen;

/* The server's /__control and /__stats; the reply (a static buffer). */
char *server(const char *method, const char *path, const char *body);
void control(const char *json);
long stat_of(const char *name); /* a counter of /__stats ("streams_client_closed") */

/* `workers`, `streams`: token-workers and stream-threads (NULL: the default). */
p11tee_client *client_new(seen *s, const char *workers, const char *streams);
/* The same, with a turn-end callback (p11tee_config_set_turn_end). */
p11tee_client *client_new_with_turns(seen *s, const char *workers, const char *streams,
                                     p11tee_turn_fn turn_end, void *turn_ud);

/* Events that record into a `seen`. */
int on_text(void *ud, size_t choice, p11tee_field field, const char *text, size_t len,
            int plaintext);
void on_response(void *ud, const char *id, const char *model);
void on_token(void *ud, p11tee_token_op op, uint64_t ns);
p11tee_status chat(p11tee_client *c, const char *req, seen *s, p11tee_cancel *cancel,
                   p11tee_chat_result **res, p11tee_error *err);

#endif /* P11TEE_TESTS_CHAT_EXT_H */
