/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * One chat answer as its bytes arrive (chat_stream.h): the SSE parser, each
 * chunk's JSON, the plain fields kept (the API key redacted from them), the
 * text fields opened in the token (E2EE) and handed to the caller as they
 * come. It neither sends nor receives.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/chat_stream.h"

static uint64_t chat_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void api_chat_token_begin(api_chat_stream *st, uint64_t *t0)
{
    if (st->gate != NULL)
        api_gate_enter(st->gate);
    *t0 = chat_now_ns();
}

void api_chat_token_end(api_chat_stream *st, p11tee_token_op op, int did, uint64_t t0)
{
    uint64_t t1 = chat_now_ns();

    if (st->gate != NULL)
        api_gate_leave(st->gate);
    if (did && CHAT_EV(st, on_token) != NULL)
        st->ev->on_token(st->ud, op, t1 - t0);
}

/* Open (E2EE) and hand on one text field; the text of a failed field is never shown. */
static p11tee_status chat_deliver(api_chat_stream *st, size_t choice, p11tee_field field, strview v,
                                  p11tee_error *err)
{
    uint8_t *pt = NULL;
    size_t len = v.len;
    int plain = 0, stop = 0;
    p11tee_status rc = P11TEE_OK;
    const char *text;

    if (v.p == NULL || v.len == 0)
        return P11TEE_OK;
    if (st->e2ee != NULL) {
        unsigned long derives = st->fields->derives;
        uint64_t t0;

        api_chat_token_begin(st, &t0);
        rc = e2ee_stream_open_field(st->fields, v, st->allow_plaintext, &pt, &len, &plain, err);
        /* A field whose ephemeral key came before needs no ECDH: no token operation. */
        api_chat_token_end(st, P11TEE_TOKEN_OPEN, st->fields->derives != derives, t0);
        if (rc != P11TEE_OK)
            return rc;
    }
    text = pt != NULL ? (const char *)pt : v.p;
    st->res->plaintext_fields += (size_t)plain;
    rc = api_chat_result_keep(st->res, choice, field, text, len, err);
    if (rc == P11TEE_OK && st->ev != NULL && st->ev->on_text != NULL)
        stop = st->ev->on_text(st->ud, choice, field, text, len, plain);
    st->delivered = 1;
    if (pt != NULL)
        envelope_plaintext_free(pt, len + 1);
    if (rc == P11TEE_OK && stop)
        rc = err_set(err, P11TEE_E_INVALID_ARG, "the caller stopped the stream");
    return rc;
}

/*
 * Reasoning in the clear inside an E2EE stream is the server's privacy
 * failure, not an injection (it is never shown): dropped and counted, and
 * the answer goes on. Plaintext content stays a refused downgrade.
 */
static void chat_drop_reasoning(api_chat_stream *st)
{
    if (st->res->clear_reasoning++ == 0 && st->c != NULL)
        api_log(st->c, "* PRIVACY FAILURE: the server sent reasoning unencrypted inside the E2EE "
                       "stream; dropped, never shown");
}

static p11tee_status chat_reasoning(api_chat_stream *st, size_t choice, strview v,
                                    p11tee_error *err)
{
    if (st->e2ee != NULL && v.p != NULL && v.len > 0 && !envelope_is_ciphertext(v.p, v.len)) {
        chat_drop_reasoning(st);
        return P11TEE_OK;
    }
    return chat_deliver(st, choice, P11TEE_FIELD_REASONING, v, err);
}

/* An error inside the stream ends the request with the server's words, printable. */
static p11tee_status chat_stream_error(api_chat_stream *st, const api_chat_error *e,
                                       p11tee_error *err)
{
    char text[200], type[64];
    api_server_error kind;

    net_printable(text, sizeof(text), e->message.p != NULL ? e->message.p : "", e->message.len,
                  st->secret);
    net_printable(type, sizeof(type), e->type.p != NULL ? e->type.p : "", e->type.len, st->secret);
    kind = api_classify_error(text, type);
    if (st->e2ee != NULL && kind != API_SERR_OTHER && kind != API_SERR_NONCE &&
        kind != API_SERR_RECEIPT_GONE)
        return api_server_error_set(kind, 0, text, P11TEE_E_STREAM_ERROR, err);
    return err_set(err, P11TEE_E_STREAM_ERROR,
                   "the server reported an error in the stream: %s%s%s%s",
                   text[0] ? text : "(no message)", type[0] ? " (" : "", type, type[0] ? ")" : "");
}

static p11tee_status chat_choice(api_chat_stream *st, const api_chat_choice *ch, p11tee_error *err)
{
    api_choice_text *t = &st->res->choices[ch->index];
    p11tee_status rc = api_keep_string(&t->finish_reason, ch->finish_reason, st->secret, err);

    if (ch->index >= st->res->nchoices)
        st->res->nchoices = ch->index + 1;
    if (st->e2ee != NULL && ch->clear_reasoning)
        chat_drop_reasoning(st);
    if (rc == P11TEE_OK)
        rc = chat_reasoning(st, ch->index, ch->reasoning_content, err);
    if (rc == P11TEE_OK)
        rc = chat_reasoning(st, ch->index, ch->reasoning, err);
    if (rc == P11TEE_OK)
        rc = chat_deliver(st, ch->index, P11TEE_FIELD_CONTENT, ch->content, err);
    return rc;
}

/* One chunk or whole completion: keep the plain metadata, deliver the text. */
static p11tee_status chat_part(api_chat_stream *st, json_object *root, int whole, p11tee_error *err)
{
    api_chat_part part;
    p11tee_status rc;
    size_t i;

    rc = whole ? api_parse_chat_completion(root, &part, err)
               : api_parse_chat_chunk(root, &part, err);
    if (rc == P11TEE_OK && part.error.present)
        return chat_stream_error(st, &part.error, err);
    if (rc == P11TEE_OK)
        rc = api_keep_string(&st->res->id, part.id, st->secret, err);
    if (rc == P11TEE_OK)
        rc = api_keep_string(&st->res->model, part.model, st->secret, err);
    if (rc == P11TEE_OK && !st->announced && st->res->id != NULL &&
        CHAT_EV(st, on_response) != NULL) {
        st->announced = 1;
        st->ev->on_response(st->ud, st->res->id, st->res->model);
    }
    if (part.usage.present)
        st->res->usage = part.usage;
    for (i = 0; rc == P11TEE_OK && i < part.nchoices; i++)
        rc = chat_choice(st, &part.choices[i], err);
    return rc;
}

static p11tee_status chat_on_event(void *ctx, const sse_event *ev, p11tee_error *err)
{
    api_chat_stream *st = ctx;
    json_object *root = NULL;
    p11tee_status rc;

    if (st->done || ev->data_len == 0)
        return P11TEE_OK; /* nothing after [DONE] is part of the answer; "data:" alone is none */
    if (p11tee_cancel_triggered(CHAT_EV(st, cancel)))
        return err_set(err, P11TEE_E_CANCELLED, "the request was cancelled");
    if (sse_is_done(ev)) {
        st->done = 1;
        return P11TEE_OK;
    }
    rc = sjson_parser_parse(st->json, ev->data, ev->data_len, "stream chunk", &root, err);
    if (rc == P11TEE_OK)
        rc = chat_part(st, root, 0, err);
    json_object_put(root);
    return rc;
}

void api_chat_record(api_chat_stream *st, bytebuf *b, const void *data, size_t len)
{
    if (st->record && st->res->recorded && bytebuf_append(b, data, len) != P11TEE_OK) {
        st->res->recorded = 0;
        bytebuf_reset(b);
    }
}

p11tee_status api_chat_sink(void *ctx, const uint8_t *data, size_t len, p11tee_error *err)
{
    api_chat_stream *st = ctx;

    api_chat_record(st, &st->res->response, data, len);
    return sse_feed(&st->sse, data, len, err);
}

p11tee_status api_chat_stream_init(api_chat_stream *st, const p11tee_client *c,
                                   const p11tee_chat_events *ev, void *ud, int allow_plaintext,
                                   int record, const char *secret, p11tee_error *err)
{
    memset(st, 0, sizeof(*st));
    st->c = c;
    st->ev = ev;
    st->ud = ud;
    st->allow_plaintext = allow_plaintext;
    st->record = record;
    st->secret = secret;
    st->json = sjson_parser_new();
    st->fields = secmem_alloc(sizeof(*st->fields));
    if (st->json != NULL && st->fields != NULL)
        return P11TEE_OK;
    api_chat_stream_free(st);
    return err_set(err, P11TEE_E_NOMEM, "out of memory");
}

void api_chat_stream_free(api_chat_stream *st)
{
    sjson_parser_free(st->json);
    st->json = NULL;
    secmem_free(st->fields);
    st->fields = NULL;
}

void api_chat_stream_begin(api_chat_stream *st, p11tee_chat_result *res, e2ee_session *e2ee)
{
    st->res = res;
    st->e2ee = e2ee;
    st->done = 0;
    st->announced = 0;
    sse_init(&st->sse, 0, 0, chat_on_event, st);
    e2ee_stream_begin(st->fields, e2ee);
}

void api_chat_stream_end(api_chat_stream *st)
{
    e2ee_stream_end(st->fields);
    sse_free(&st->sse);
}

p11tee_status api_chat_stream_finish(api_chat_stream *st, p11tee_error *err)
{
    /* After [DONE] the answer is complete, whatever trails it. */
    if (st->done)
        return P11TEE_OK;
    sse_finish(&st->sse, NULL);
    return err_set(err, P11TEE_E_STREAM_INCOMPLETE,
                   "the stream ended without [DONE]: the answer may be cut short");
}

p11tee_status api_chat_whole(api_chat_stream *st, const uint8_t *body, size_t len,
                             p11tee_error *err)
{
    json_object *root = NULL;
    p11tee_status rc =
        sjson_parse((const char *)body, len, SJSON_DOC_MAX, "chat response", &root, err);

    if (rc == P11TEE_OK)
        rc = chat_part(st, root, 1, err);
    json_object_put(root);
    return rc;
}
