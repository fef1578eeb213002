/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Chat: the model's capability flags choose the path. E2EE models: attest,
 * seal every content field in the token, open every streamed field in the
 * token and hand it on as it arrives. TEE models: attest (as the policy
 * says), then plain OpenAI chat over TLS. Nothing is sent before the checks
 * the policy requires have passed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/api.h"
#include "e2ee/e2ee.h"
#include "net/net.h"

typedef struct chat_stream {
    p11tee_client *c;
    const p11tee_chat_events *ev;
    void *ud;
    api_gate *gate;     /* the client's token-workers gate */
    e2ee_session *e2ee; /* NULL: the text fields arrive in the clear */
    e2ee_stream fields; /* the AES keys of this response's ephemeral keys */
    int allow_plaintext;
    int record;         /* keep the exact bodies (record-exchange) */
    const char *secret; /* the API key: never in a message, even if a server echoes it */
    p11tee_chat_result *res;
    sjson_parser *json;
    sse_parser sse;
    int done;      /* data: [DONE] seen */
    int delivered; /* text handed to the caller */
    int announced; /* on_response was called */
} chat_stream;

/* The caller's optional events; the struct may predate some members, but is zeroed. */
#define CHAT_EV(st, member) ((st)->ev != NULL ? (st)->ev->member : NULL)

static uint64_t chat_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A token operation of this chat: one at a time per token-workers turn, timed for on_token. */
static void chat_token_begin(chat_stream *st, uint64_t *t0)
{
    api_gate_enter(st->gate);
    *t0 = chat_now_ns();
}

/* `did`: the operation reached the token (a cached key opens a field without it). */
static void chat_token_end(chat_stream *st, p11tee_token_op op, int did, uint64_t t0)
{
    uint64_t t1 = chat_now_ns();

    api_gate_leave(st->gate);
    if (did && CHAT_EV(st, on_token) != NULL)
        st->ev->on_token(st->ud, op, t1 - t0);
}

/* Open (E2EE) and hand on one text field; the text of a failed field is never shown. */
static p11tee_status chat_deliver(chat_stream *st, size_t choice, p11tee_field field, strview v,
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
        unsigned long derives = st->fields.derives;
        uint64_t t0;

        chat_token_begin(st, &t0);
        rc = e2ee_stream_open_field(&st->fields, v, st->allow_plaintext, &pt, &len, &plain, err);
        /* A field whose ephemeral key came before needs no ECDH: no token operation. */
        chat_token_end(st, P11TEE_TOKEN_OPEN, st->fields.derives != derives, t0);
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
static void chat_drop_reasoning(chat_stream *st)
{
    if (st->res->clear_reasoning++ == 0)
        api_log(st->c, "* PRIVACY FAILURE: the server sent reasoning unencrypted inside the E2EE "
                       "stream; dropped, never shown");
}

static p11tee_status chat_reasoning(chat_stream *st, size_t choice, strview v, p11tee_error *err)
{
    if (st->e2ee != NULL && v.p != NULL && v.len > 0 && !envelope_is_ciphertext(v.p, v.len)) {
        chat_drop_reasoning(st);
        return P11TEE_OK;
    }
    return chat_deliver(st, choice, P11TEE_FIELD_REASONING, v, err);
}

/* An error inside the stream ends the request with the server's words, printable. */
static p11tee_status chat_stream_error(chat_stream *st, const api_chat_error *e, p11tee_error *err)
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

static p11tee_status chat_choice(chat_stream *st, const api_chat_choice *ch, p11tee_error *err)
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
static p11tee_status chat_part(chat_stream *st, json_object *root, int whole, p11tee_error *err)
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
    chat_stream *st = ctx;
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

/* Keep `data` for p11tee_chat_result_exchange(); past the bound, give up keeping. */
static void chat_record(chat_stream *st, bytebuf *b, const void *data, size_t len)
{
    if (st->record && st->res->recorded && bytebuf_append(b, data, len) != P11TEE_OK) {
        st->res->recorded = 0;
        bytebuf_reset(b);
    }
}

/* The stream's bytes: recorded as they are, then parsed. */
static p11tee_status chat_sink(void *ctx, const uint8_t *data, size_t len, p11tee_error *err)
{
    chat_stream *st = ctx;

    chat_record(st, &st->res->response, data, len);
    return sse_feed(&st->sse, data, len, err);
}

/* The server's E2EE refusals and key rotations (PROTOCOL.md section 4) get their own code. */
static p11tee_status chat_http_error(chat_stream *st, const net_response *resp, p11tee_status rc,
                                     p11tee_error *err)
{
    api_server_error kind;

    if (st->e2ee == NULL || rc != P11TEE_E_HTTP)
        return rc;
    kind = api_classify_error(resp->error_text, resp->error_type);
    if (kind == API_SERR_NONCE || kind == API_SERR_RECEIPT_GONE)
        return rc;
    return api_server_error_set(kind, resp->status, resp->error_text, rc, err);
}

static p11tee_status chat_send(p11tee_client *c, chat_stream *st, const char *body, size_t len,
                               int stream, p11tee_error *err)
{
    char e2ee_hdr[3][E2EE_HEADER_MAX];
    const char *headers[6];
    net_request req;
    net_response resp;
    json_object *root = NULL;
    size_t n = 0;
    p11tee_status rc;

    headers[n++] = "Content-Type: application/json";
    if (stream)
        headers[n++] = "Accept: text/event-stream";
    if (st->e2ee != NULL) {
        e2ee_headers(st->e2ee, e2ee_hdr);
        headers[n++] = e2ee_hdr[0];
        headers[n++] = e2ee_hdr[1];
        headers[n++] = e2ee_hdr[2];
    }
    headers[n] = NULL;
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = "/chat/completions";
    req.headers = headers;
    req.body = body;
    req.body_len = len;
    req.cancel = api_cancel_net(CHAT_EV(st, cancel));
    if (stream) {
        req.sink = chat_sink;
        req.sink_ctx = st;
    }
    /* Each attempt records afresh: only the exchange that answered counts. */
    st->res->recorded = st->record;
    bytebuf_reset(&st->res->request);
    bytebuf_reset(&st->res->response);
    chat_record(st, &st->res->request, body, len);
    rc = net_perform(c->net, &req, &resp, err);
    if (rc == P11TEE_OK && !stream)
        chat_record(st, &st->res->response, resp.body.data, resp.body.len);
    rc = chat_http_error(st, &resp, rc, err);
    /* After [DONE] the answer is complete, whatever trails it. */
    if (rc == P11TEE_OK && stream && !st->done) {
        sse_finish(&st->sse, NULL);
        rc = err_set(err, P11TEE_E_STREAM_INCOMPLETE,
                     "the stream ended without [DONE]: the answer may be cut short");
    }
    if (rc == P11TEE_OK && !stream)
        rc = sjson_parse((const char *)resp.body.data, resp.body.len, SJSON_DOC_MAX,
                         "chat response", &root, err);
    if (rc == P11TEE_OK && !stream)
        rc = chat_part(st, root, 1, err);
    json_object_put(root);
    net_response_free(&resp);
    return rc;
}

/* The request's "model", "stream" and "n", read before anything else happens. */
static p11tee_status chat_request_info(const char *json, size_t len, char *model, size_t cap,
                                       int *stream, p11tee_error *err)
{
    json_object *root = NULL;
    strview m;
    int present;
    int64_t n;
    p11tee_status rc = sjson_parse(json, len, SJSON_DOC_MAX, "chat request", &root, err);

    if (rc == P11TEE_OK)
        rc = sjson_get_str(root, "model", 1, "chat request", &m, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_bool(root, "stream", "chat request", &present, stream, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_int(root, "n", "chat request", &present, &n, err);
    if (rc == P11TEE_OK && present && (n < 1 || n > P11TEE_CHOICES_MAX))
        rc = err_set(err, P11TEE_E_INVALID_ARG, "the request's n must be 1 to %d, not %lld",
                     P11TEE_CHOICES_MAX, (long long)n);
    if (rc == P11TEE_OK && (m.len == 0 || m.len >= cap))
        rc = err_set(err, P11TEE_E_INVALID_ARG, "the request's model id is empty or too long");
    if (rc == P11TEE_OK)
        snprintf(model, cap, "%.*s", (int)m.len, m.p);
    json_object_put(root);
    if (rc == P11TEE_E_JSON || rc == P11TEE_E_JSON_FIELD || rc == P11TEE_E_TOO_LARGE) {
        rc = P11TEE_E_INVALID_ARG; /* the caller's JSON, not the server's */
        err->code = rc;
    }
    return rc;
}

/* A streamed field did not open: the session key or the attested key may be stale. */
static int chat_open_failed(p11tee_status rc)
{
    return rc == P11TEE_E_ENVELOPE_AUTH || rc == P11TEE_E_ENVELOPE_EPHEMERAL ||
           rc == P11TEE_E_ENVELOPE_SHORT;
}

/* The body for `mode`: sealed (E2EE), marked enable_e2ee false (TEE-only), or as given. */
static p11tee_status chat_body(chat_stream *st, api_chat_mode mode, api_session *s,
                               const char *json, size_t len, char **body, size_t *body_len,
                               p11tee_error *err)
{
    if (mode == API_CHAT_E2EE) {
        uint64_t t0;
        p11tee_status rc;

        chat_token_begin(st, &t0);
        rc = e2ee_prepare_request(s->e2ee_session, json, len, body, body_len, err);
        chat_token_end(st, P11TEE_TOKEN_SEAL, 1, t0);
        return rc;
    }
    if (mode == API_CHAT_TEE_ONLY)
        return api_tee_only_request(json, len, body, body_len, err);
    return P11TEE_OK;
}

/* One attempt: session (attested before anything else), body, send. */
static p11tee_status chat_attempt(p11tee_client *c, const char *model, api_chat_mode mode,
                                  int stream, const char *json, size_t len, chat_stream *st,
                                  p11tee_chat_result **res, p11tee_error *err)
{
    int e2ee = mode == API_CHAT_E2EE;
    api_session *s = NULL;
    char *body = NULL;
    size_t body_len = len;
    p11tee_status rc = P11TEE_OK;

    if (p11tee_cancel_triggered(CHAT_EV(st, cancel)))
        return err_set(err, P11TEE_E_CANCELLED, "the request was cancelled");
    if (mode != API_CHAT_TEE || c->policy->rules->tee_chat_requires_attestation)
        rc = api_session_get(c, model, e2ee, &s, err);
    if (rc != P11TEE_OK)
        return rc;
    if (s != NULL && st->ev != NULL && st->ev->on_attested != NULL)
        st->ev->on_attested(st->ud, s->att);
    /* After a re-attestation the result must name the attestation this attempt used. */
    if (*res != NULL && s != NULL && (*res)->att != s->att) {
        p11tee_attestation_free((*res)->att);
        (*res)->att = p11tee_attestation_ref(s->att);
    }
    st->e2ee = s != NULL ? s->e2ee_session : NULL;
    rc = chat_body(st, mode, s, json, len, &body, &body_len, err);
    if (rc == P11TEE_OK && p11tee_cancel_triggered(CHAT_EV(st, cancel)))
        rc = err_set(err, P11TEE_E_CANCELLED, "the request was cancelled before it was sent");
    if (rc == P11TEE_OK && *res == NULL &&
        (*res = api_chat_result_new(e2ee, mode == API_CHAT_TEE_ONLY, s != NULL ? s->att : NULL)) ==
            NULL)
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory");
    if (rc == P11TEE_OK && mode == API_CHAT_TEE_ONLY)
        api_log(c, "* TEE-only, as asked: the prompt goes in the clear to the attested enclave; "
                   "the API layer in between can read it");
    if (rc == P11TEE_OK) {
        st->res = *res;
        e2ee_stream_begin(&st->fields, st->e2ee);
        rc = chat_send(c, st, body != NULL ? body : json, body_len, stream, err);
        if (st->e2ee != NULL)
            api_log(c, "* E2EE: %lu fields opened with %lu ECDH in the token", st->fields.fields,
                    st->fields.derives);
        e2ee_stream_end(&st->fields);
    }
    if (rc == P11TEE_E_E2EE_MODEL_KEY_MISMATCH || (chat_open_failed(rc) && !st->delivered))
        api_session_invalidate(c, s);
    free(body);
    api_session_free(s);
    return rc;
}

/* May `model` be used, and how (api_chat_route: flags may upgrade, never downgrade)? */
static p11tee_status chat_mode(p11tee_client *c, const char *model, api_chat_mode *mode,
                               p11tee_error *err)
{
    api_route_options ro = {c->cfg.require_e2ee, c->cfg.tee_only};
    int flag_e2ee = 0, flag_tee = 0;
    p11tee_status rc = api_model_caps(c, model, &flag_e2ee, &flag_tee, err);

    if (rc == P11TEE_OK)
        rc = api_chat_route(model, flag_e2ee, flag_tee, &ro, mode, err);
    return rc;
}

/* What is known before anything is sent: the model, its path, and E2EE's refusals. */
static p11tee_status chat_plan(p11tee_client *c, const char *json, size_t len, char *model,
                               api_chat_mode *mode, int *stream, p11tee_error *err)
{
    p11tee_status rc = chat_request_info(json, len, model, API_MODEL_MAX, stream, err);

    if (rc == P11TEE_OK)
        rc = chat_mode(c, model, mode, err);
    if (rc == P11TEE_OK && *mode == API_CHAT_E2EE)
        rc = e2ee_check_request(json, len, err); /* refusals cost no attestation */
    *stream = *stream || (rc == P11TEE_OK && *mode == API_CHAT_E2EE);
    return rc;
}

/* Worth one more attempt with a fresh attestation: nothing was shown yet. */
static int chat_retry(p11tee_status rc, const chat_stream *st)
{
    return !st->delivered && (rc == P11TEE_E_E2EE_MODEL_KEY_MISMATCH || chat_open_failed(rc));
}

p11tee_status p11tee_chat(p11tee_client *c, const char *json, size_t len,
                          const p11tee_chat_events *events, void *userdata,
                          p11tee_chat_result **out, p11tee_error *err)
{
    char model[API_MODEL_MAX];
    int stream = 0;
    api_chat_mode mode = API_CHAT_TEE;
    chat_stream st;
    p11tee_error local;
    p11tee_status rc;

    if (err == NULL)
        err = &local;
    *out = NULL;
    rc = chat_plan(c, json, len, model, &mode, &stream, err);
    if (rc != P11TEE_OK)
        return rc;
    memset(&st, 0, sizeof(st));
    st.c = c;
    st.ev = events;
    st.ud = userdata;
    st.gate = &c->token_gate;
    st.allow_plaintext = c->cfg.allow_plaintext;
    st.record = c->cfg.record_exchange;
    st.secret = c->cfg.api_key;
    st.json = sjson_parser_new();
    if (st.json == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    sse_init(&st.sse, 0, 0, chat_on_event, &st);
    rc = chat_attempt(c, model, mode, stream, json, len, &st, out, err);
    if (chat_retry(rc, &st)) {
        /* The enclave key rotated, or our session no longer opens: attest once more. */
        api_log(c, "* %s; attesting %s again",
                rc == P11TEE_E_E2EE_MODEL_KEY_MISMATCH ? "the model key changed"
                                                       : "a streamed field did not open",
                model);
        sse_free(&st.sse);
        sse_init(&st.sse, 0, 0, chat_on_event, &st);
        st.done = 0;
        st.announced = 0;
        rc = chat_attempt(c, model, mode, stream, json, len, &st, out, err);
        if (rc == P11TEE_E_E2EE_MODEL_KEY_MISMATCH)
            err_set(err, rc,
                    "the server refused the model key it had just attested, twice: the enclave "
                    "that attests is not the one that decrypts; nothing was answered (%s)",
                    model);
    }
    if (rc != P11TEE_OK && *out != NULL)
        (*out)->incomplete = 1;
    sse_free(&st.sse);
    sjson_parser_free(st.json);
    return rc;
}

p11tee_status p11tee_chat_prepare(p11tee_client *c, const char *model, p11tee_attestation **out,
                                  p11tee_error *err)
{
    api_session *s = NULL;
    api_chat_mode mode = API_CHAT_TEE;
    p11tee_error local;
    p11tee_status rc;

    if (err == NULL)
        err = &local;
    if (out != NULL)
        *out = NULL;
    if (strlen(model) == 0 || strlen(model) >= API_MODEL_MAX)
        return err_set(err, P11TEE_E_INVALID_ARG, "the model id is empty or too long");
    rc = chat_mode(c, model, &mode, err);
    if (rc == P11TEE_OK)
        rc = api_session_get(c, model, mode == API_CHAT_E2EE, &s, err);
    if (rc == P11TEE_OK && out != NULL)
        *out = p11tee_attestation_ref(s->att);
    api_session_free(s);
    return rc;
}
