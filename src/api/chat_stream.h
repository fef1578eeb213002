/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The answer of a chat as its bytes arrive (chat_stream.c): the SSE parser,
 * each chunk's JSON, its plain fields kept (the API key redacted) and its
 * text fields opened (E2EE) and handed to the caller's events. It neither
 * sends nor receives: flow_chat.c feeds it a transfer's bytes, the fuzz
 * harness (tests/fuzz/chat.c) anything. One stream serves every attempt of
 * a chat (api_chat_stream_begin() for each).
 */
#ifndef P11TEE_API_CHAT_STREAM_H
#define P11TEE_API_CHAT_STREAM_H

#include "api/api.h"
#include "e2ee/e2ee.h"
#include "net/net.h"

typedef struct api_chat_stream {
    const p11tee_client *c; /* for its log; may be NULL */
    const p11tee_chat_events *ev;
    void *ud;
    api_gate *gate;      /* the client's token-workers gate; NULL: none */
    e2ee_session *e2ee;  /* NULL: the text fields arrive in the clear */
    e2ee_stream *fields; /* the AES keys of this response's ephemeral keys (secret memory) */
    int allow_plaintext;
    int record;         /* keep the exact bodies (record-exchange) */
    const char *secret; /* the API key: never in a message, even if a server echoes it */
    p11tee_chat_result *res;
    sjson_parser *json;
    sse_parser sse;
    int done;      /* data: [DONE] seen */
    int delivered; /* text handed to the caller, in any attempt */
    int announced; /* on_response was called (in this attempt) */
} api_chat_stream;

/* The caller's optional events; the struct may predate some members, but is zeroed. */
#define CHAT_EV(st, member) ((st)->ev != NULL ? (st)->ev->member : NULL)

/*
 * The settings of every attempt (`c` may be NULL: no log); P11TEE_E_NOMEM.
 * The derived AES keys live in secret memory (secmem_alloc(): locked, out
 * of core dumps, cleansed when freed).
 */
p11tee_status api_chat_stream_init(api_chat_stream *st, const p11tee_client *c,
                                   const p11tee_chat_events *ev, void *ud, int allow_plaintext,
                                   int record, const char *secret, p11tee_error *err);
void api_chat_stream_free(api_chat_stream *st);
/* One attempt: its answer goes into `res`, opened with `e2ee` (NULL: in the clear). */
void api_chat_stream_begin(api_chat_stream *st, p11tee_chat_result *res, e2ee_session *e2ee);
/* The attempt is over: the stream's keys are cleansed, its parser freed. */
void api_chat_stream_end(api_chat_stream *st);
/*
 * A token operation of the chat: one at a time per token-workers turn, timed
 * for on_token; `did`: the operation reached the token (a cached key opens a
 * field without it).
 */
void api_chat_token_begin(api_chat_stream *st, uint64_t *t0);
void api_chat_token_end(api_chat_stream *st, p11tee_token_op op, int did, uint64_t t0);
/* Keep `data` in `b` (a body of st->res) with record-exchange; past the bound, give up keeping. */
void api_chat_record(api_chat_stream *st, bytebuf *b, const void *data, size_t len);
/* A net_sink_fn (`ctx`: the stream): the bytes are recorded as they are, then parsed. */
p11tee_status api_chat_sink(void *ctx, const uint8_t *data, size_t len, p11tee_error *err);
/* The transfer ended: P11TEE_E_STREAM_INCOMPLETE unless [DONE] arrived. */
p11tee_status api_chat_stream_finish(api_chat_stream *st, p11tee_error *err);
/* A whole (not streamed) completion: its JSON, kept and delivered as one part. */
p11tee_status api_chat_whole(api_chat_stream *st, const uint8_t *body, size_t len,
                             p11tee_error *err);

#endif /* P11TEE_API_CHAT_STREAM_H */
