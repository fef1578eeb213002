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

#include "api/chat_stream.h"
#include "api/flow.h"

/* The server's E2EE refusals and key rotations (PROTOCOL.md section 4) get their own code. */
static p11tee_status chat_http_error(api_chat_stream *st, const net_response *resp,
                                     p11tee_status rc, p11tee_error *err)
{
    api_server_error kind;

    if (st->e2ee == NULL || rc != P11TEE_E_HTTP)
        return rc;
    kind = api_classify_error(resp->error_text, resp->error_type);
    if (kind == API_SERR_NONCE || kind == API_SERR_RECEIPT_GONE)
        return rc;
    return api_server_error_set(kind, resp->status, resp->error_text, rc, err);
}

static p11tee_status chat_send(p11tee_client *c, api_chat_stream *st, const char *body, size_t len,
                               int stream, p11tee_error *err)
{
    char e2ee_hdr[3][E2EE_HEADER_MAX];
    const char *headers[6];
    net_request req;
    net_response resp;
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
        req.sink = api_chat_sink;
        req.sink_ctx = st;
    }
    /* Each attempt records afresh: only the exchange that answered counts. */
    st->res->recorded = st->record;
    bytebuf_reset(&st->res->request);
    bytebuf_reset(&st->res->response);
    api_chat_record(st, &st->res->request, body, len);
    rc = net_perform(c->net, &req, &resp, err);
    if (rc == P11TEE_OK && !stream)
        api_chat_record(st, &st->res->response, resp.body.data, resp.body.len);
    rc = chat_http_error(st, &resp, rc, err);
    if (rc == P11TEE_OK)
        rc = stream ? api_chat_stream_finish(st, err)
                    : api_chat_whole(st, resp.body.data, resp.body.len, err);
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
static p11tee_status chat_body(api_chat_stream *st, api_chat_mode mode, api_session *s,
                               const char *json, size_t len, char **body, size_t *body_len,
                               p11tee_error *err)
{
    if (mode == API_CHAT_E2EE) {
        uint64_t t0;
        p11tee_status rc;

        api_chat_token_begin(st, &t0);
        rc = e2ee_prepare_request(s->e2ee_session, json, len, body, body_len, err);
        api_chat_token_end(st, P11TEE_TOKEN_SEAL, 1, t0);
        return rc;
    }
    if (mode == API_CHAT_TEE_ONLY)
        return api_tee_only_request(json, len, body, body_len, err);
    return P11TEE_OK;
}

/* One attempt: session (attested before anything else), body, send. */
static p11tee_status chat_attempt(p11tee_client *c, const char *model, api_chat_mode mode,
                                  int stream, const char *json, size_t len, api_chat_stream *st,
                                  p11tee_chat_result **res, p11tee_error *err)
{
    int e2ee = mode == API_CHAT_E2EE;
    api_session *s = NULL;
    char *body = NULL;
    size_t body_len = len;
    p11tee_status rc = P11TEE_OK;

    if (p11tee_cancel_triggered(CHAT_EV(st, cancel)))
        return err_set(err, P11TEE_E_CANCELLED, "the request was cancelled");
    if (mode != API_CHAT_TEE || api_policy_tee_chat_requires_attestation(c->policy, model))
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
        api_chat_stream_begin(st, *res, st->e2ee);
        rc = chat_send(c, st, body != NULL ? body : json, body_len, stream, err);
        if (st->e2ee != NULL)
            api_log(c, "* E2EE: %lu fields opened with %lu ECDH in the token", st->fields->fields,
                    st->fields->derives);
        api_chat_stream_end(st);
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
static int chat_retry(p11tee_status rc, const api_chat_stream *st)
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
    api_chat_stream st;
    p11tee_error local;
    p11tee_status rc;

    if (err == NULL)
        err = &local;
    *out = NULL;
    rc = chat_plan(c, json, len, model, &mode, &stream, err);
    if (rc != P11TEE_OK)
        return rc;
    rc = api_chat_stream_init(&st, c, events, userdata, c->cfg.allow_plaintext,
                              c->cfg.record_exchange, c->cfg.api_key, err);
    if (rc != P11TEE_OK)
        return rc;
    st.gate = &c->token_gate;
    rc = chat_attempt(c, model, mode, stream, json, len, &st, out, err);
    if (chat_retry(rc, &st)) {
        /* The enclave key rotated, or our session no longer opens: attest once more. */
        api_log(c, "* %s; attesting %s again",
                rc == P11TEE_E_E2EE_MODEL_KEY_MISMATCH ? "the model key changed"
                                                       : "a streamed field did not open",
                model);
        rc = chat_attempt(c, model, mode, stream, json, len, &st, out, err);
        if (rc == P11TEE_E_E2EE_MODEL_KEY_MISMATCH)
            err_set(err, rc,
                    "the server refused the model key it had just attested, twice: the enclave "
                    "that attests is not the one that decrypts; nothing was answered (%s)",
                    model);
    }
    if (rc != P11TEE_OK && *out != NULL)
        (*out)->incomplete = 1;
    api_chat_stream_free(&st);
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
