/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Chat completion responses: one streamed chunk (choices[].delta) or a whole
 * completion (choices[].message), each choice told apart by its index (n > 1).
 * Ids, roles, finish_reason and usage are plaintext even under E2EE; the
 * text fields may be envelopes. A chunk may instead be an error the server
 * put in the stream, as an object or a string (PROTOCOL.md section 4).
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

static p11tee_status chat_usage(json_object *root, api_usage *u, p11tee_error *err)
{
    json_object *usage = NULL;
    int present;
    p11tee_status rc;

    memset(u, 0, sizeof(*u));
    rc = sjson_get_obj(root, "usage", json_type_object, 0, "chat response", &usage, err);
    if (rc != P11TEE_OK || usage == NULL)
        return rc;
    u->present = 1;
    rc = sjson_get_int(usage, "prompt_tokens", "usage", &present, &u->prompt_tokens, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_int(usage, "completion_tokens", "usage", &present, &u->completion_tokens,
                           err);
    if (rc == P11TEE_OK)
        rc = sjson_get_int(usage, "total_tokens", "usage", &present, &u->total_tokens, err);
    return rc;
}

/* A member that carries text in any non-empty form (string, array, object). */
static int chat_nonempty(json_object *body, const char *key)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(body, key, &v) || v == NULL)
        return 0;
    if (json_object_is_type(v, json_type_string))
        return json_object_get_string_len(v) > 0;
    if (json_object_is_type(v, json_type_array))
        return json_object_array_length(v) > 0;
    return json_object_is_type(v, json_type_object) ? json_object_object_length(v) > 0 : 1;
}

/* The text fields of one choice's <inner> ("delta" or "message"). */
static p11tee_status chat_body(json_object *body, const char *inner, api_chat_choice *c,
                               p11tee_error *err)
{
    p11tee_status rc = sjson_get_str(body, "role", 0, inner, &c->role, err);

    if (rc == P11TEE_OK)
        rc = sjson_get_str(body, "content", 0, inner, &c->content, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(body, "reasoning_content", 0, inner, &c->reasoning_content, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(body, "reasoning", 0, inner, &c->reasoning, err);
    c->clear_reasoning =
        chat_nonempty(body, "reasoning_details") || chat_nonempty(body, "thinking_blocks");
    return rc;
}

static p11tee_status chat_choice(json_object *choice, size_t i, const char *inner,
                                 api_chat_choice *c, p11tee_error *err)
{
    json_object *body = NULL;
    int present;
    int64_t index;
    p11tee_status rc;

    memset(c, 0, sizeof(*c));
    if (!json_object_is_type(choice, json_type_object))
        return err_set(err, P11TEE_E_JSON_FIELD, "chat response choices[%zu] is not an object", i);
    rc = sjson_get_int(choice, "index", "choice", &present, &index, err);
    if (rc == P11TEE_OK && present && (index < 0 || index >= API_CHOICES_MAX))
        rc = err_set(err, P11TEE_E_JSON_FIELD,
                     "chat response choice index %lld is outside 0..%d (n is at most %d)",
                     (long long)index, API_CHOICES_MAX - 1, API_CHOICES_MAX);
    c->index = present ? (size_t)index : 0;
    if (rc == P11TEE_OK)
        rc = sjson_get_str(choice, "finish_reason", 0, "choice", &c->finish_reason, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_obj(choice, inner, json_type_object, 0, "choice", &body, err);
    if (rc == P11TEE_OK && body != NULL)
        rc = chat_body(body, inner, c, err);
    return rc;
}

static p11tee_status chat_choices(json_object *root, const char *inner, api_chat_part *out,
                                  p11tee_error *err)
{
    json_object *choices = NULL;
    size_t i, n;
    p11tee_status rc;

    rc = sjson_get_obj(root, "choices", json_type_array, 0, "chat response", &choices, err);
    if (rc != P11TEE_OK || choices == NULL)
        return rc;
    n = json_object_array_length(choices);
    if (n > API_CHOICES_MAX)
        return err_set(err, P11TEE_E_JSON_FIELD,
                       "chat response carries %zu choices; at most %d are read", n,
                       API_CHOICES_MAX);
    for (i = 0; i < n && rc == P11TEE_OK; i++)
        rc = chat_choice(json_object_array_get_idx(choices, i), i, inner, &out->choices[i], err);
    out->nchoices = rc == P11TEE_OK ? n : 0;
    return rc;
}

/*
 * {"error": "text"} or {"error": {"message": ..., "type": ..., "code": ...}}.
 * A malformed error is an error all the same: what cannot be read is left out.
 */
static void chat_error(json_object *root, api_chat_error *e)
{
    json_object *v = NULL;
    p11tee_error ignored;

    if (!json_object_object_get_ex(root, "error", &v) || v == NULL)
        return;
    e->present = 1;
    if (json_object_is_type(v, json_type_string)) {
        sjson_get_str(root, "error", 0, "chat response", &e->message, &ignored);
        return;
    }
    sjson_get_str(v, "message", 0, "stream error", &e->message, &ignored);
    sjson_get_str(v, "type", 0, "stream error", &e->type, &ignored);
}

static p11tee_status chat_parse(json_object *root, const char *inner, api_chat_part *out,
                                p11tee_error *err)
{
    p11tee_status rc;

    memset(out, 0, sizeof(*out));
    if (!json_object_is_type(root, json_type_object))
        return err_set(err, P11TEE_E_JSON_FIELD, "chat response is not a JSON object");
    chat_error(root, &out->error);
    if (out->error.present)
        return P11TEE_OK;
    rc = sjson_get_str(root, "id", 0, "chat response", &out->id, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(root, "model", 0, "chat response", &out->model, err);
    if (rc == P11TEE_OK)
        rc = chat_choices(root, inner, out, err);
    if (rc == P11TEE_OK)
        rc = chat_usage(root, &out->usage, err);
    return rc;
}

p11tee_status api_parse_chat_chunk(json_object *root, api_chat_part *out, p11tee_error *err)
{
    return chat_parse(root, "delta", out, err);
}

p11tee_status api_parse_chat_completion(json_object *root, api_chat_part *out, p11tee_error *err)
{
    return chat_parse(root, "message", out, err);
}
