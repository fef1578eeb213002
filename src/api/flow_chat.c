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

#include "api/api.h"
#include "e2ee/e2ee.h"
#include "net/net.h"

/* What one response may make us keep for the final JSON object. */
#define CHAT_TEXT_MAX (64u * 1024 * 1024)

struct p11tee_chat_result {
    char *id, *model, *finish_reason;
    int e2ee, incomplete;
    size_t plaintext_fields;
    api_usage usage;
    bytebuf content, reasoning;
    bytebuf request, response; /* record-exchange: the exact bodies */
    int recorded;              /* both bodies were kept whole */
    p11tee_attestation *att;
};

typedef struct chat_stream {
    const p11tee_chat_events *ev;
    void *ud;
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
} chat_stream;

static p11tee_status chat_keep(char **dst, strview v, p11tee_error *err)
{
    if (v.p == NULL || (*dst != NULL && strlen(*dst) == v.len && memcmp(*dst, v.p, v.len) == 0))
        return P11TEE_OK;
    free(*dst);
    *dst = strndup(v.p, v.len);
    return *dst != NULL ? P11TEE_OK : err_set(err, P11TEE_E_NOMEM, "out of memory");
}

/* Open (E2EE) and hand on one text field; the text of a failed field is never shown. */
static p11tee_status chat_deliver(chat_stream *st, p11tee_field field, strview v, p11tee_error *err)
{
    uint8_t *pt = NULL;
    size_t len = v.len;
    int plain = 0, stop = 0;
    p11tee_status rc = P11TEE_OK;

    if (v.p == NULL || v.len == 0)
        return P11TEE_OK;
    if (st->e2ee != NULL) {
        rc = e2ee_stream_open_field(&st->fields, v, st->allow_plaintext, &pt, &len, &plain, err);
        if (rc != P11TEE_OK)
            return rc;
    }
    st->res->plaintext_fields += (size_t)plain;
    rc = bytebuf_append(field == P11TEE_FIELD_CONTENT ? &st->res->content : &st->res->reasoning,
                        pt != NULL ? (const char *)pt : v.p, len);
    if (rc != P11TEE_OK)
        rc = err_set(err, rc, "response text exceeds %u bytes", CHAT_TEXT_MAX);
    if (rc == P11TEE_OK && st->ev != NULL && st->ev->on_text != NULL)
        stop = st->ev->on_text(st->ud, field, pt != NULL ? (const char *)pt : v.p, len, plain);
    st->delivered = 1;
    if (pt != NULL)
        envelope_plaintext_free(pt, len + 1);
    if (rc == P11TEE_OK && stop)
        rc = err_set(err, P11TEE_E_INVALID_ARG, "the caller stopped the stream");
    return rc;
}

/* One chunk or whole completion: keep the plain metadata, deliver the text. */
static p11tee_status chat_part(chat_stream *st, json_object *root, int whole, p11tee_error *err)
{
    api_chat_part part;
    strview e;
    p11tee_status rc;

    if (sjson_get_str(root, "error", 0, "chat response", &e, NULL) == P11TEE_OK && e.p != NULL) {
        char text[200];

        /* The server's words: made printable, and the key redacted should it echo it. */
        net_printable(text, sizeof(text), e.p, e.len, st->secret);
        return err_set(err, P11TEE_E_E2EE_SERVER, "the server reported an error in the stream: %s",
                       text);
    }
    rc = whole ? api_parse_chat_completion(root, &part, err)
               : api_parse_chat_chunk(root, &part, err);
    if (rc == P11TEE_OK)
        rc = chat_keep(&st->res->id, part.id, err);
    if (rc == P11TEE_OK)
        rc = chat_keep(&st->res->model, part.model, err);
    if (rc == P11TEE_OK)
        rc = chat_keep(&st->res->finish_reason, part.finish_reason, err);
    if (part.usage.present)
        st->res->usage = part.usage;
    if (rc == P11TEE_OK)
        rc = chat_deliver(st, P11TEE_FIELD_REASONING, part.reasoning_content, err);
    if (rc == P11TEE_OK)
        rc = chat_deliver(st, P11TEE_FIELD_REASONING, part.reasoning, err);
    if (rc == P11TEE_OK)
        rc = chat_deliver(st, P11TEE_FIELD_CONTENT, part.content, err);
    return rc;
}

static p11tee_status chat_on_event(void *ctx, const sse_event *ev, p11tee_error *err)
{
    chat_stream *st = ctx;
    json_object *root = NULL;
    p11tee_status rc;

    if (st->done)
        return P11TEE_OK; /* nothing after [DONE] is part of the answer */
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

static p11tee_chat_result *chat_result_new(int e2ee, p11tee_attestation *att)
{
    p11tee_chat_result *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->e2ee = e2ee;
    r->att = p11tee_attestation_ref(att);
    bytebuf_init(&r->content, CHAT_TEXT_MAX);
    bytebuf_init(&r->reasoning, CHAT_TEXT_MAX);
    bytebuf_init(&r->request, CHAT_TEXT_MAX);
    bytebuf_init(&r->response, CHAT_TEXT_MAX);
    return r;
}

/* The server's E2EE refusals (PROTOCOL.md section 4) get their own code. */
static p11tee_status chat_http_error(chat_stream *st, const net_response *resp, p11tee_status rc,
                                     p11tee_error *err)
{
    static const char *const e2ee_errors[] = {
        "E2EE requires streaming", "Encrypted field is not valid hex", "Failed to decrypt field",
        "E2EE decryption failed", "Invalid public key"};
    size_t i;

    if (st->e2ee == NULL || rc != P11TEE_E_HTTP)
        return rc;
    if (strcasestr(resp->error_text, "key mismatch") != NULL)
        return err_set(err, P11TEE_E_E2EE_MODEL_KEY_MISMATCH,
                       "the server no longer accepts the attested model key (%s)",
                       resp->error_text);
    for (i = 0; i < P11TEE_ARRAY_LEN(e2ee_errors); i++)
        if (strcasestr(resp->error_text, e2ee_errors[i]) != NULL)
            return err_set(err, P11TEE_E_E2EE_SERVER,
                           "the server could not process the encrypted request: %s",
                           resp->error_text);
    return rc;
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

/* The request's "model" and "stream", read before anything else happens. */
static p11tee_status chat_request_info(const char *json, size_t len, char *model, size_t cap,
                                       int *stream, p11tee_error *err)
{
    json_object *root = NULL;
    strview m;
    int present;
    p11tee_status rc = sjson_parse(json, len, SJSON_DOC_MAX, "chat request", &root, err);

    if (rc == P11TEE_OK)
        rc = sjson_get_str(root, "model", 1, "chat request", &m, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_bool(root, "stream", "chat request", &present, stream, err);
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

/* One attempt: session (attested before anything else), body, send. */
static p11tee_status chat_attempt(p11tee_client *c, const char *model, int e2ee, int stream,
                                  const char *json, size_t len, chat_stream *st,
                                  p11tee_chat_result **res, p11tee_error *err)
{
    api_session *s = NULL;
    char *body = NULL;
    size_t body_len = len;
    p11tee_status rc = P11TEE_OK;

    if (e2ee || c->policy->rules->tee_chat_requires_attestation)
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
    if (e2ee)
        rc = e2ee_prepare_request(s->e2ee_session, json, len, &body, &body_len, err);
    if (rc == P11TEE_OK && *res == NULL &&
        (*res = chat_result_new(e2ee, s != NULL ? s->att : NULL)) == NULL)
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory");
    if (rc == P11TEE_OK) {
        st->res = *res;
        e2ee_stream_begin(&st->fields, st->e2ee);
        rc = chat_send(c, st, body != NULL ? body : json, body_len, stream, err);
        if (st->e2ee != NULL)
            api_log(c, "* E2EE: %lu fields opened with %lu ECDH in the token", st->fields.fields,
                    st->fields.derives);
        e2ee_stream_end(&st->fields);
    }
    if (rc == P11TEE_E_E2EE_MODEL_KEY_MISMATCH)
        api_session_invalidate(c, s);
    free(body);
    api_session_free(s);
    return rc;
}

p11tee_status p11tee_chat(p11tee_client *c, const char *json, size_t len,
                          const p11tee_chat_events *events, void *userdata,
                          p11tee_chat_result **out, p11tee_error *err)
{
    char model[API_MODEL_MAX];
    int flag_e2ee = 0, flag_tee = 0, e2ee, stream = 0;
    api_chat_mode mode = API_CHAT_TEE;
    chat_stream st;
    p11tee_error local;
    p11tee_status rc;

    if (err == NULL)
        err = &local;
    *out = NULL;
    rc = chat_request_info(json, len, model, sizeof(model), &stream, err);
    if (rc == P11TEE_OK)
        rc = api_model_caps(c, model, &flag_e2ee, &flag_tee, err);
    if (rc == P11TEE_OK)
        rc = api_chat_route(model, flag_e2ee, flag_tee, c->cfg.require_e2ee, &mode, err);
    e2ee = rc == P11TEE_OK && mode == API_CHAT_E2EE;
    if (rc == P11TEE_OK && e2ee)
        rc = e2ee_check_request(json, len, err); /* refusals cost no attestation */
    if (rc != P11TEE_OK)
        return rc;
    memset(&st, 0, sizeof(st));
    st.ev = events;
    st.ud = userdata;
    st.allow_plaintext = c->cfg.allow_plaintext;
    st.record = c->cfg.record_exchange;
    st.secret = c->cfg.api_key;
    st.json = sjson_parser_new();
    if (st.json == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    stream = e2ee || stream;
    sse_init(&st.sse, 0, 0, chat_on_event, &st);
    rc = chat_attempt(c, model, e2ee, stream, json, len, &st, out, err);
    if (rc == P11TEE_E_E2EE_MODEL_KEY_MISMATCH && !st.delivered) {
        /* The enclave key rotated since we attested: attest once more, then give up. */
        api_log(c, "* the model key changed; attesting %s again", model);
        sse_free(&st.sse);
        sse_init(&st.sse, 0, 0, chat_on_event, &st);
        rc = chat_attempt(c, model, e2ee, stream, json, len, &st, out, err);
    }
    if (rc != P11TEE_OK && *out != NULL)
        (*out)->incomplete = 1;
    sse_free(&st.sse);
    sjson_parser_free(st.json);
    return rc;
}

const char *p11tee_chat_result_id(const p11tee_chat_result *r)
{
    return r->id;
}

const char *p11tee_chat_result_model(const p11tee_chat_result *r)
{
    return r->model;
}

const char *p11tee_chat_result_finish_reason(const p11tee_chat_result *r)
{
    return r->finish_reason;
}

int p11tee_chat_result_e2ee(const p11tee_chat_result *r)
{
    return r->e2ee;
}

int p11tee_chat_result_incomplete(const p11tee_chat_result *r)
{
    return r->incomplete;
}

size_t p11tee_chat_result_plaintext_fields(const p11tee_chat_result *r)
{
    return r->plaintext_fields;
}

int p11tee_chat_result_exchange(const p11tee_chat_result *r, const uint8_t **request,
                                size_t *request_len, const uint8_t **response, size_t *response_len)
{
    if (!r->recorded)
        return -1;
    *request = r->request.data;
    *request_len = r->request.len;
    *response = r->response.data;
    *response_len = r->response.len;
    return 0;
}

const p11tee_attestation *p11tee_chat_result_attestation(const p11tee_chat_result *r)
{
    return r->att;
}

static void chat_json_str(json_object *o, const char *key, const char *v, size_t len)
{
    if (v != NULL)
        json_object_object_add(o, key, sjson_new_string_valid(v, len));
}

char *p11tee_chat_result_json(const p11tee_chat_result *r)
{
    json_object *root = json_object_new_object(), *msg = json_object_new_object();
    json_object *choice = json_object_new_object(), *choices = json_object_new_array();
    json_object *meta = json_object_new_object(), *usage;
    char *out;

    chat_json_str(root, "id", r->id, r->id ? strlen(r->id) : 0);
    json_object_object_add(root, "object", json_object_new_string("chat.completion"));
    chat_json_str(root, "model", r->model, r->model ? strlen(r->model) : 0);
    json_object_object_add(msg, "role", json_object_new_string("assistant"));
    chat_json_str(msg, "content", r->content.data ? (const char *)r->content.data : "",
                  r->content.len);
    if (r->reasoning.len > 0)
        chat_json_str(msg, "reasoning_content", (const char *)r->reasoning.data, r->reasoning.len);
    json_object_object_add(choice, "index", json_object_new_int(0));
    json_object_object_add(choice, "message", msg);
    json_object_object_add(choice, "finish_reason",
                           r->finish_reason
                               ? sjson_new_string_valid(r->finish_reason, strlen(r->finish_reason))
                               : NULL);
    json_object_array_add(choices, choice);
    json_object_object_add(root, "choices", choices);
    if (r->usage.present) {
        usage = json_object_new_object();
        json_object_object_add(usage, "prompt_tokens",
                               json_object_new_int64(r->usage.prompt_tokens));
        json_object_object_add(usage, "completion_tokens",
                               json_object_new_int64(r->usage.completion_tokens));
        json_object_object_add(usage, "total_tokens", json_object_new_int64(r->usage.total_tokens));
        json_object_object_add(root, "usage", usage);
    }
    json_object_object_add(meta, "e2ee", json_object_new_boolean(r->e2ee));
    json_object_object_add(meta, "attested", json_object_new_boolean(r->att != NULL));
    json_object_object_add(meta, "incomplete", json_object_new_boolean(r->incomplete));
    json_object_object_add(meta, "plaintext_fields",
                           json_object_new_int64((int64_t)r->plaintext_fields));
    json_object_object_add(root, "p11tee", meta);
    out = strdup(json_object_to_json_string_ext(
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    return out;
}

void p11tee_chat_result_free(p11tee_chat_result *r)
{
    if (r == NULL)
        return;
    free(r->id);
    free(r->model);
    free(r->finish_reason);
    bytebuf_free(&r->content);
    bytebuf_free(&r->reasoning);
    bytebuf_free(&r->request);
    bytebuf_free(&r->response);
    p11tee_attestation_free(r->att);
    free(r);
}
