/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The chat-stream pipeline (src/api/chat_stream.c): SSE events, each
 * chunk's JSON, the fields kept and the text handed on, for an answer in
 * the clear (an E2EE field needs the token; its shape and its opening
 * with a known key are fuzzed by envelope.c). Oracles: the same text,
 * kept fields, status and message however the bytes are cut; no message
 * and no kept field shows the API key the input carries
 * (fuzz_with_key()); the recorded response is exactly the bytes fed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/chat_stream.h"
#include "fuzz.h"

#define CHAT_FUZZ_CUTS 64

typedef struct chat_run {
    bytebuf text; /* field byte, then the text, per delivery */
    p11tee_status rc;
    p11tee_error err;
    p11tee_chat_result *res;
} chat_run;

static int chat_fuzz_text(void *ud, size_t choice, p11tee_field field, const char *text, size_t len,
                          int plain)
{
    chat_run *r = ud;
    char tag[2] = {(char)('0' + (int)field + 2 * plain), (char)('a' + choice)};

    if (bytebuf_append(&r->text, tag, 2) != P11TEE_OK ||
        bytebuf_append(&r->text, text, len) != P11TEE_OK)
        return 1;
    return 0;
}

static void chat_fuzz_run(chat_run *r, const uint8_t *data, size_t size, const size_t *cuts,
                          size_t ncuts)
{
    static const p11tee_chat_events events = {.on_text = chat_fuzz_text};
    api_chat_stream st;
    size_t i, from = 0, to;

    memset(r, 0, sizeof(*r));
    bytebuf_init(&r->text, 128u * 1024 * 1024);
    if ((r->res = api_chat_result_new(0, 0, NULL)) == NULL ||
        api_chat_stream_init(&st, NULL, &events, r, 0, 1, fuzz_api_key, NULL) != P11TEE_OK)
        fuzz_fail("out of memory");
    r->res->recorded = 1;
    api_chat_stream_begin(&st, r->res, NULL);
    for (i = 0; i <= ncuts && r->rc == P11TEE_OK; i++) {
        to = i < ncuts ? cuts[i] : size;
        r->rc = api_chat_sink(&st, data + from, to - from, &r->err);
        from = to;
    }
    if (r->rc == P11TEE_OK)
        r->rc = api_chat_stream_finish(&st, &r->err);
    api_chat_stream_end(&st);
    api_chat_stream_free(&st);
}

static int chat_fuzz_str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void chat_fuzz_same(const chat_run *a, const chat_run *b)
{
    FUZZ_CHECK(a->rc == b->rc && strcmp(a->err.message, b->err.message) == 0,
               "cut in pieces the stream ends with %d \"%s\", whole with %d \"%s\"", b->rc,
               b->err.message, a->rc, a->err.message);
    FUZZ_CHECK(a->text.len == b->text.len &&
                   (a->text.len == 0 || memcmp(a->text.data, b->text.data, a->text.len) == 0),
               "cut in pieces the stream delivers other text");
    size_t i;

    FUZZ_CHECK(chat_fuzz_str_eq(a->res->id, b->res->id) &&
                   chat_fuzz_str_eq(a->res->model, b->res->model) &&
                   a->res->nchoices == b->res->nchoices &&
                   a->res->usage.present == b->res->usage.present &&
                   a->res->usage.total_tokens == b->res->usage.total_tokens,
               "cut in pieces the stream keeps other fields");
    for (i = 0; i < API_CHOICES_MAX; i++)
        FUZZ_CHECK(
            chat_fuzz_str_eq(a->res->choices[i].finish_reason, b->res->choices[i].finish_reason),
            "cut in pieces the stream keeps another finish_reason");
}

static void chat_fuzz_no_key(const chat_run *r, const uint8_t *data, size_t size)
{
    const char *kept[2 + API_CHOICES_MAX] = {r->res->id, r->res->model};
    size_t i;

    for (i = 0; i < API_CHOICES_MAX; i++)
        kept[2 + i] = r->res->choices[i].finish_reason;
    fuzz_no_api_key("a chat stream's error", r->err.message, strlen(r->err.message));
    for (i = 0; i < 2 + API_CHOICES_MAX; i++)
        if (kept[i] != NULL)
            fuzz_no_api_key("a kept field of the chat", kept[i], strlen(kept[i]));
    FUZZ_CHECK(r->res->response.len == size &&
                   (size == 0 || memcmp(r->res->response.data, data, size) == 0) &&
                   r->res->recorded,
               "the recorded response is not the bytes received");
}

static void chat_fuzz_free(chat_run *r)
{
    bytebuf_free(&r->text);
    p11tee_chat_result_free(r->res);
}

static int chat_fuzz_one(const uint8_t *raw, size_t rawlen)
{
    size_t size, cuts[CHAT_FUZZ_CUTS], n;
    uint8_t *data = fuzz_with_key(raw, rawlen, &size);
    chat_run whole, split;

    n = fuzz_cuts(data, size, cuts, CHAT_FUZZ_CUTS);
    chat_fuzz_run(&whole, data, size, NULL, 0);
    chat_fuzz_run(&split, data, size, cuts, n);
    chat_fuzz_same(&whole, &split);
    chat_fuzz_no_key(&whole, data, size);
    chat_fuzz_free(&whole);
    chat_fuzz_free(&split);
    free(data);
    return 0;
}

static const fuzz_seed chat_seeds[] = {
    FUZZ_SEED("data: {\"id\":\"chatcmpl-1\",\"model\":\"m\",\"choices\":[{\"delta\":{\"role\":"
              "\"assistant\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"hel\"}}]}\n\n"
              "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"why\",\"content\":\"lo\"},"
              "\"finish_reason\":\"stop\"}],\"usage\":{\"total_tokens\":3}}\n\ndata: [DONE]\n\n"),
    FUZZ_SEED("data: {\"choices\":[{\"delta\":{\"content\":\"cut\"}}]}\n\n"),
    FUZZ_SEED("data: {\"error\":\"rate limited for key @K\\u001b]52;c;ZXZpbA==\\u0007\"}\n\n"
              "data: [DONE]\n\n"),
    FUZZ_SEED("data: {\"id\":\"chatcmpl-@J\",\"model\":\"@W\",\"choices\":[]}\r\n\r\ndata: [DONE]"
              "\r\n\r\ndata: after done\n\n"),
    FUZZ_SEED("data: {\"choices\":[{\"delta\":null}]}\n\ndata: {\"choices\":[7]}\n\n"),
    FUZZ_SEED(": keepalive\n\ndata: not json\n\n"),
    FUZZ_SEED("data:\n\ndata: {\"id\":\"c\",\"choices\":[{\"index\":1,\"delta\":{\"content\":"
              "\"b\"}},{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}]}"
              "\n\ndata: {\"choices\":[],\"usage\":{\"total_tokens\":2}}\n\ndata: [DONE]\n\n"),
    FUZZ_SEED(
        "data: {\"error\":{\"message\":\"upstream failed for @K\",\"type\":\"upstream_error\","
        "\"code\":502}}\n\ndata: [DONE]\n\n"),
};

FUZZ_REGISTER(chat, chat_fuzz_one, chat_seeds)
