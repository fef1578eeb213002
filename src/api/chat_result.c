/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The result of a chat: what was received (every choice's text, ids, usage,
 * how many fields arrived unencrypted or were dropped), the exact bodies
 * when record-exchange is on, and the attestation the request relied on.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"

p11tee_chat_result *api_chat_result_new(int e2ee, int tee_only, p11tee_attestation *att)
{
    p11tee_chat_result *r = calloc(1, sizeof(*r));
    size_t i;

    if (r == NULL)
        return NULL;
    r->e2ee = e2ee;
    r->tee_only = tee_only;
    r->att = p11tee_attestation_ref(att);
    for (i = 0; i < API_CHOICES_MAX; i++) {
        bytebuf_init(&r->choices[i].text[0], API_CHAT_TEXT_MAX);
        bytebuf_init(&r->choices[i].text[1], API_CHAT_TEXT_MAX);
    }
    bytebuf_init(&r->request, API_CHAT_TEXT_MAX);
    bytebuf_init(&r->response, API_CHAT_TEXT_MAX);
    return r;
}

p11tee_status api_chat_result_keep(p11tee_chat_result *r, size_t choice, p11tee_field field,
                                   const char *text, size_t len, p11tee_error *err)
{
    p11tee_status rc;

    if (len > API_CHAT_TEXT_MAX - r->kept)
        return err_set(err, P11TEE_E_TOO_LARGE, "response text exceeds %u bytes",
                       API_CHAT_TEXT_MAX);
    rc = bytebuf_append(&r->choices[choice].text[field == P11TEE_FIELD_CONTENT ? 0 : 1], text, len);
    if (rc != P11TEE_OK)
        return err_set(err, rc, "response text exceeds %u bytes", API_CHAT_TEXT_MAX);
    r->kept += len;
    if (choice >= r->nchoices)
        r->nchoices = choice + 1;
    return P11TEE_OK;
}

p11tee_status api_keep_string(char **dst, strview v, const char *secret, p11tee_error *err)
{
    if (v.p == NULL || (*dst != NULL && strlen(*dst) == v.len && memcmp(*dst, v.p, v.len) == 0))
        return P11TEE_OK;
    free(*dst);
    *dst = redact_dup(v.p, strnlen(v.p, v.len), secret, NULL);
    return *dst != NULL ? P11TEE_OK : err_set(err, P11TEE_E_NOMEM, "out of memory");
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
    return r->choices[0].finish_reason;
}

const char *p11tee_chat_result_choice_finish_reason(const p11tee_chat_result *r, size_t choice)
{
    return choice < API_CHOICES_MAX ? r->choices[choice].finish_reason : NULL;
}

int p11tee_chat_result_e2ee(const p11tee_chat_result *r)
{
    return r->e2ee;
}

int p11tee_chat_result_tee_only(const p11tee_chat_result *r)
{
    return r->tee_only;
}

int p11tee_chat_result_incomplete(const p11tee_chat_result *r)
{
    return r->incomplete;
}

size_t p11tee_chat_result_plaintext_fields(const p11tee_chat_result *r)
{
    return r->plaintext_fields;
}

/* The legacy protocol's limit, said wherever an E2EE answer is reported. */
#define CHAT_INTEGRITY_LEGACY                                                                      \
    "each field authenticated alone: a repeated field is refused, but dropped or reordered "       \
    "fields cannot be detected on this protocol version (legacy E2EE, no sequence numbers)"

const char *p11tee_chat_result_integrity(const p11tee_chat_result *r)
{
    return r->e2ee ? CHAT_INTEGRITY_LEGACY : NULL;
}

size_t p11tee_chat_result_dropped_reasoning(const p11tee_chat_result *r)
{
    return r->clear_reasoning;
}

int p11tee_chat_result_usage(const p11tee_chat_result *r, long long *prompt_tokens,
                             long long *completion_tokens, long long *total_tokens)
{
    if (!r->usage.present)
        return -1;
    *prompt_tokens = (long long)r->usage.prompt_tokens;
    *completion_tokens = (long long)r->usage.completion_tokens;
    *total_tokens = (long long)r->usage.total_tokens;
    return 0;
}

size_t p11tee_chat_result_choices(const p11tee_chat_result *r)
{
    return r->nchoices > 0 ? r->nchoices : 1;
}

const char *p11tee_chat_result_text(const p11tee_chat_result *r, size_t choice, p11tee_field field,
                                    size_t *len)
{
    const bytebuf *b;

    if (choice >= API_CHOICES_MAX ||
        (field != P11TEE_FIELD_CONTENT && field != P11TEE_FIELD_REASONING))
        return NULL;
    b = &r->choices[choice].text[field == P11TEE_FIELD_CONTENT ? 0 : 1];
    if (len != NULL)
        *len = b->len;
    return b->data != NULL ? (const char *)b->data : "";
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

/* A string of the answer (valid UTF-8 whatever the server sent); absent: nothing added. */
static void chat_json_str(json_object *o, const char *key, const char *v, size_t len, int *ok)
{
    if (v != NULL)
        sjson_set(o, key, sjson_new_string_valid(v, len), ok);
}

static json_object *chat_json_usage(const api_usage *u, int *ok)
{
    json_object *usage = json_object_new_object();

    sjson_set(usage, "prompt_tokens", json_object_new_int64(u->prompt_tokens), ok);
    sjson_set(usage, "completion_tokens", json_object_new_int64(u->completion_tokens), ok);
    sjson_set(usage, "total_tokens", json_object_new_int64(u->total_tokens), ok);
    return usage;
}

static json_object *chat_json_choice(const p11tee_chat_result *r, size_t i, int *ok)
{
    const api_choice_text *c = &r->choices[i];
    json_object *choice = json_object_new_object(), *msg = json_object_new_object();

    sjson_set(msg, "role", json_object_new_string("assistant"), ok);
    chat_json_str(msg, "content", c->text[0].data ? (const char *)c->text[0].data : "",
                  c->text[0].len, ok);
    if (c->text[1].len > 0)
        chat_json_str(msg, "reasoning_content", (const char *)c->text[1].data, c->text[1].len, ok);
    sjson_set(choice, "index", json_object_new_int((int)i), ok);
    sjson_set(choice, "message", msg, ok);
    if (c->finish_reason != NULL)
        chat_json_str(choice, "finish_reason", c->finish_reason, strlen(c->finish_reason), ok);
    else if (choice == NULL || json_object_object_add(choice, "finish_reason", NULL) != 0)
        *ok = 0; /* JSON null, as OpenAI sends it */
    return choice;
}

static json_object *chat_json_meta(const p11tee_chat_result *r, int *ok)
{
    json_object *meta = json_object_new_object();

    sjson_set(meta, "e2ee", json_object_new_boolean(r->e2ee), ok);
    sjson_set(meta, "tee_only", json_object_new_boolean(r->tee_only), ok);
    sjson_set(meta, "attested", json_object_new_boolean(r->att != NULL), ok);
    sjson_set(meta, "incomplete", json_object_new_boolean(r->incomplete), ok);
    sjson_set(meta, "plaintext_fields", json_object_new_int64((int64_t)r->plaintext_fields), ok);
    sjson_set(meta, "dropped_plaintext_reasoning",
              json_object_new_int64((int64_t)r->clear_reasoning), ok);
    if (p11tee_chat_result_integrity(r) != NULL)
        sjson_set(meta, "stream_integrity", json_object_new_string(p11tee_chat_result_integrity(r)),
                  ok);
    return meta;
}

char *p11tee_chat_result_json(const p11tee_chat_result *r)
{
    json_object *root = json_object_new_object(), *choices = json_object_new_array();
    size_t i;
    int ok = 1;

    chat_json_str(root, "id", r->id, r->id ? strlen(r->id) : 0, &ok);
    sjson_set(root, "object", json_object_new_string("chat.completion"), &ok);
    chat_json_str(root, "model", r->model, r->model ? strlen(r->model) : 0, &ok);
    for (i = 0; i < p11tee_chat_result_choices(r); i++)
        sjson_push(choices, chat_json_choice(r, i, &ok), &ok);
    sjson_set(root, "choices", choices, &ok);
    if (r->usage.present)
        sjson_set(root, "usage", chat_json_usage(&r->usage, &ok), &ok);
    sjson_set(root, "p11tee", chat_json_meta(r, &ok), &ok);
    return sjson_finish(
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE,
        ok);
}

void p11tee_chat_result_free(p11tee_chat_result *r)
{
    size_t i;

    if (r == NULL)
        return;
    free(r->id);
    free(r->model);
    for (i = 0; i < API_CHOICES_MAX; i++) {
        bytebuf_free(&r->choices[i].text[0]);
        bytebuf_free(&r->choices[i].text[1]);
        free(r->choices[i].finish_reason);
    }
    bytebuf_free(&r->request);
    bytebuf_free(&r->response);
    p11tee_attestation_free(r->att);
    free(r);
}
