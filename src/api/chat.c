/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Chat completion responses: one streamed chunk (choices[0].delta) or a
 * whole completion (choices[0].message). Ids, roles, finish_reason and
 * usage are plaintext even under E2EE; the text fields may be envelopes.
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

/* The text fields of choices[0].<inner> ("delta" or "message"). */
static p11tee_status chat_choice(json_object *root, const char *inner, api_chat_part *out,
                                 p11tee_error *err)
{
    json_object *choices = NULL, *choice, *body = NULL;
    p11tee_status rc;

    rc = sjson_get_obj(root, "choices", json_type_array, 0, "chat response", &choices, err);
    if (rc != P11TEE_OK || choices == NULL || json_object_array_length(choices) == 0)
        return rc;
    choice = json_object_array_get_idx(choices, 0);
    if (!json_object_is_type(choice, json_type_object))
        return err_set(err, P11TEE_E_JSON_FIELD, "chat response choices[0] is not an object");
    rc = sjson_get_str(choice, "finish_reason", 0, "choice", &out->finish_reason, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_obj(choice, inner, json_type_object, 0, "choice", &body, err);
    if (rc != P11TEE_OK || body == NULL)
        return rc;
    rc = sjson_get_str(body, "role", 0, inner, &out->role, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(body, "content", 0, inner, &out->content, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(body, "reasoning_content", 0, inner, &out->reasoning_content, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(body, "reasoning", 0, inner, &out->reasoning, err);
    return rc;
}

static p11tee_status chat_parse(json_object *root, const char *inner, api_chat_part *out,
                                p11tee_error *err)
{
    p11tee_status rc;

    memset(out, 0, sizeof(*out));
    if (!json_object_is_type(root, json_type_object))
        return err_set(err, P11TEE_E_JSON_FIELD, "chat response is not a JSON object");
    rc = sjson_get_str(root, "id", 0, "chat response", &out->id, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(root, "model", 0, "chat response", &out->model, err);
    if (rc == P11TEE_OK)
        rc = chat_choice(root, inner, out, err);
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
