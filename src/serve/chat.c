/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * POST /v1/chat/completions on a pool thread: p11tee_chat() attests, seals
 * and opens in the token; its events become OpenAI chunks
 * ("chat.completion.chunk" events, one choice each, then "data: [DONE]") or,
 * for a request without stream, one "chat.completion" object built from the
 * streamed answer, every choice (n > 1) with its index. The response starts with the first text, so
 * that everything that fails before (attestation, the upstream's refusal, a field that does not
 * open and is retried) gets its own HTTP status. A failure after it is an
 * error event, and the stream closes without [DONE].
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "serve/gateway.h"

/* An id we pass on must look like one: anything else is replaced by our own. */
static int gw_id_ok(const char *id)
{
    size_t i, n = strlen(id);

    if (n == 0 || n >= GW_ID_MAX)
        return 0;
    for (i = 0; i < n; i++)
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
              (id[i] >= '0' && id[i] <= '9') || strchr("-_.:", id[i]) != NULL))
            return 0;
    return 1;
}

static void gw_mint_id(gw_job *j)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char rnd[16];
    size_t i;

    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        memset(rnd, 0, sizeof(rnd));
    memcpy(j->id, "chatcmpl-", 9);
    for (i = 0; i < sizeof(rnd); i++) {
        j->id[9 + 2 * i] = hex[rnd[i] >> 4];
        j->id[10 + 2 * i] = hex[rnd[i] & 15];
    }
    j->id[9 + 2 * sizeof(rnd)] = '\0';
}

/* {"id":..,"object":"chat.completion.chunk","created":..,"model":.., */
static void gw_head(gw_job *j, gw_buf *b, const char *object)
{
    gw_buf_str(b, "{\"id\":");
    gw_buf_json(b, j->id, strlen(j->id));
    gw_buf_printf(b, ",\"object\":\"%s\",\"created\":%lld,\"model\":", object, j->created);
    gw_buf_json_text(b, j->model, strlen(j->model));
    gw_buf_str(b, ",");
}

static void gw_prefix(gw_job *j)
{
    if (j->id[0] == '\0')
        gw_mint_id(j);
    gw_buf_reset(&j->prefix);
    gw_buf_str(&j->prefix, "data: ");
    gw_head(j, &j->prefix, "chat.completion.chunk");
    gw_buf_str(&j->prefix, "\"choices\":[{\"index\":");
}

/* A chunk of choice `c` up to its delta's members. */
static void gw_chunk_open(gw_job *j, size_t c)
{
    gw_buf_add(&j->scratch, j->prefix.p, j->prefix.len);
    gw_buf_printf(&j->scratch, "%zu,\"delta\":{", c);
}

/* OpenAI's first chunk of a choice names the role. */
static void gw_role_chunk(gw_job *j, size_t c)
{
    gw_chunk_open(j, c);
    gw_buf_str(&j->scratch,
               "\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n");
    j->started |= 1u << c;
}

static void gw_text_chunk(gw_job *j, size_t c, size_t f, const char *text, size_t n)
{
    gw_chunk_open(j, c);
    gw_buf_str(&j->scratch, f == 0 ? "\"content\":" : "\"reasoning_content\":");
    gw_buf_json(&j->scratch, text, n);
    gw_buf_str(&j->scratch, "},\"finish_reason\":null}]}\n\n");
}

static void gw_on_attested(void *ud, const p11tee_attestation *a)
{
    gw_job *j = ud;
    char header[GW_HEADER_MAX], id[GW_ATTEST_ID_MAX];

    gw_attest_note(j->model, a, header, sizeof(header), id, sizeof(id));
    pthread_mutex_lock(&j->lock);
    snprintf(j->att_header, sizeof(j->att_header), "%s", header);
    snprintf(j->att_id, sizeof(j->att_id), "%s", id);
    pthread_mutex_unlock(&j->lock);
}

static void gw_on_response(void *ud, const char *id, const char *model)
{
    gw_job *j = ud;

    (void)model;
    if (gw_id_ok(id))
        snprintf(j->id, sizeof(j->id), "%s", id);
    else
        gw_mint_id(j);
    gw_prefix(j);
}

static void gw_on_token(void *ud, p11tee_token_op op, uint64_t ns)
{
    gw_job *j = ud;

    gw_metrics_token(op, ns);
    if (op == P11TEE_TOKEN_OPEN)
        j->last_open_ns = ns;
}

static int gw_on_text(void *ud, size_t choice, p11tee_field field, const char *text, size_t len,
                      int plaintext)
{
    gw_job *j = ud;
    size_t f = field == P11TEE_FIELD_CONTENT ? 0 : 1, n;
    uint64_t now = gw_now_ns();
    char *fixed;

    (void)plaintext; /* never: serve does not pass plaintext fields through */
    if (j->first_ns == 0)
        j->first_ns = now;
    j->chunks++;
    if (!j->stream) /* the answer is built from the result's text at the end */
        return 0;
    if ((fixed = malloc(3 * len + 16)) == NULL)
        return 1;
    /* A character cut between two fields is completed by the next one. */
    n = p11tee_text_filter_run(&j->filter[choice][f], text, len, fixed);
    gw_buf_reset(&j->scratch);
    if (j->prefix.len == 0)
        gw_prefix(j);
    if (!(j->started & 1u << choice))
        gw_role_chunk(j, choice);
    if (n > 0)
        gw_text_chunk(j, choice, f, fixed, n);
    free(fixed);
    if (j->scratch.failed)
        return 1;
    return gw_job_emit(j, j->scratch.p, j->scratch.len, now - j->last_open_ns) != 0;
}

static const char *gw_finish_reason(const p11tee_chat_result *res, size_t c)
{
    const char *f = res != NULL ? p11tee_chat_result_choice_finish_reason(res, c) : NULL;
    size_t i;

    if (f == NULL || f[0] == '\0' || strlen(f) > 32)
        return "stop";
    for (i = 0; f[i] != '\0'; i++)
        if (!((f[i] >= 'a' && f[i] <= 'z') || f[i] == '_'))
            return "stop";
    return f;
}

static void gw_usage(gw_buf *b, const p11tee_chat_result *res)
{
    long long p, c, t;

    if (res != NULL && p11tee_chat_result_usage(res, &p, &c, &t) == 0)
        gw_buf_printf(b,
                      ",\"usage\":{\"prompt_tokens\":%lld,\"completion_tokens\":%lld,"
                      "\"total_tokens\":%lld}",
                      p, c, t);
}

/* Characters still held by a choice's filter end its text as U+FFFD. */
static void gw_flush(gw_job *j, size_t c, size_t f)
{
    char tail[4];
    size_t n = p11tee_text_filter_finish(&j->filter[c][f], tail);

    if (n > 0)
        gw_text_chunk(j, c, f, tail, n);
}

/* Every choice's last chunk names why it ended; usage follows as OpenAI sends it. */
static void gw_stream_end(gw_job *j, const p11tee_chat_result *res)
{
    size_t c, count = p11tee_chat_result_choices(res);

    gw_buf_reset(&j->scratch);
    if (j->prefix.len == 0)
        gw_prefix(j);
    for (c = 0; c < count; c++) {
        if (!(j->started & 1u << c))
            gw_role_chunk(j, c);
        gw_flush(j, c, 1);
        gw_flush(j, c, 0);
        gw_chunk_open(j, c);
        gw_buf_printf(&j->scratch, "},\"finish_reason\":\"%s\"}]", gw_finish_reason(res, c));
        if (!j->include_usage && c + 1 == count)
            gw_usage(&j->scratch, res);
        gw_buf_str(&j->scratch, "}\n\n");
    }
    if (j->include_usage) {
        gw_buf_str(&j->scratch, "data: ");
        gw_head(j, &j->scratch, "chat.completion.chunk");
        gw_buf_str(&j->scratch, "\"choices\":[]");
        gw_usage(&j->scratch, res);
        gw_buf_str(&j->scratch, "}\n\n");
    }
    gw_buf_str(&j->scratch, "data: [DONE]\n\n");
    gw_job_end(j, j->scratch.p, j->scratch.len);
}

/* A choice's text as the result kept it, made valid UTF-8, as a JSON string. */
static int gw_answer_text(gw_buf *b, const p11tee_chat_result *res, size_t c, p11tee_field f)
{
    size_t len = 0, n;
    const char *text = p11tee_chat_result_text(res, c, f, &len);
    p11tee_text_filter filter;
    char *fixed;

    if (text == NULL)
        text = "";
    if (len > GW_CHAT_TEXT_MAX || (fixed = malloc(3 * len + 16)) == NULL)
        return -1;
    p11tee_text_filter_init(&filter, P11TEE_TEXT_KEEP_CONTROLS);
    n = p11tee_text_filter_run(&filter, text, len, fixed);
    n += p11tee_text_filter_finish(&filter, fixed + n);
    gw_buf_json(b, fixed, n);
    free(fixed);
    return 0;
}

static void gw_completion(gw_job *j, const p11tee_chat_result *res)
{
    size_t c, count = p11tee_chat_result_choices(res), len;
    int failed = 0;
    gw_buf b;

    if (j->id[0] == '\0')
        gw_mint_id(j);
    gw_buf_init(&b);
    gw_head(j, &b, "chat.completion");
    gw_buf_str(&b, "\"choices\":[");
    for (c = 0; c < count && !failed; c++) {
        gw_buf_printf(&b, "%s{\"index\":%zu,\"message\":{\"role\":\"assistant\",\"content\":",
                      c > 0 ? "," : "", c);
        failed = gw_answer_text(&b, res, c, P11TEE_FIELD_CONTENT);
        if (!failed && p11tee_chat_result_text(res, c, P11TEE_FIELD_REASONING, &len) != NULL &&
            len > 0) {
            gw_buf_str(&b, ",\"reasoning_content\":");
            failed = gw_answer_text(&b, res, c, P11TEE_FIELD_REASONING);
        }
        gw_buf_printf(&b, "},\"finish_reason\":\"%s\"}", gw_finish_reason(res, c));
    }
    gw_buf_str(&b, "]");
    gw_usage(&b, res);
    gw_buf_str(&b, "}");
    if (b.failed || failed) {
        p11tee_error e;

        p11tee_error_clear(&e);
        snprintf(e.message, sizeof(e.message),
                 "the answer could not be kept whole (more than %u bytes, or out of memory): "
                 "ask for it with \"stream\": true",
                 GW_CHAT_TEXT_MAX);
        gw_job_fail(j, P11TEE_E_NOMEM, &e);
    } else {
        gw_job_finish(j, 200, b.p, b.len);
    }
    gw_buf_free(&b);
}

static void gw_chat_outcome(p11tee_status rc)
{
    switch (p11tee_status_class_of(rc)) {
    case P11TEE_CLASS_OK:
    case P11TEE_CLASS_GENERAL: break;
    case P11TEE_CLASS_CRYPTO:
        /* The server's refusal of a sealed request is no failure to open one. */
        if (rc != P11TEE_E_E2EE_REFUSED && rc != P11TEE_E_E2EE_UNSUPPORTED)
            gw_metrics_count(GW_C_DECRYPT_FAILURES);
        gw_metrics_count(GW_C_UPSTREAM_ERRORS);
        break;
    case P11TEE_CLASS_ATTEST:
        gw_metrics_attestation(0);
        gw_metrics_count(GW_C_UPSTREAM_ERRORS);
        break;
    case P11TEE_CLASS_TOKEN:
    case P11TEE_CLASS_NETWORK:
    case P11TEE_CLASS_HTTP: gw_metrics_count(GW_C_UPSTREAM_ERRORS); break;
    }
}

void gw_chat_run(void *job)
{
    gw_job *j = job;
    p11tee_chat_events ev = {.on_attested = gw_on_attested,
                             .on_text = gw_on_text,
                             .on_response = gw_on_response,
                             .on_token = gw_on_token,
                             .cancel = j->cancel};
    p11tee_chat_result *res = NULL;
    p11tee_error err;
    p11tee_status rc;
    size_t c;

    j->created = (long long)time(NULL);
    for (c = 0; c < P11TEE_CHOICES_MAX; c++) {
        p11tee_text_filter_init(&j->filter[c][0], P11TEE_TEXT_KEEP_CONTROLS);
        p11tee_text_filter_init(&j->filter[c][1], P11TEE_TEXT_KEEP_CONTROLS);
    }
    j->e2ee = gw_model_mode(j->model) != 0;
    j->up = gw_upstream_get();
    p11tee_error_clear(&err);
    gw_metrics_streams(1);
    rc = p11tee_chat(gw_upstream_client(j->up), j->body, j->body_len, &ev, j, &res, &err);
    if (rc == P11TEE_OK && j->stream)
        gw_stream_end(j, res);
    else if (rc == P11TEE_OK)
        gw_completion(j, res);
    else if (j->cancelled == GW_CANCEL_SLOW || j->cancelled == GW_CANCEL_CALLER)
        gw_job_fail(j, P11TEE_E_CANCELLED, &err); /* nobody reads it: just end the job */
    else
        gw_job_fail(j, rc, &err);
    j->rc = rc;
    if (j->cancelled == GW_CANCEL_NONE)
        gw_chat_outcome(rc);
    gw_metrics_streams(-1);
    p11tee_chat_result_free(res);
    gw_job_put(j);
}
