/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * E2EE requests: what E2EE cannot carry is refused before anything leaves
 * the machine; every text the user or history supplies is sealed to the
 * attested model key, one fresh token ephemeral key per field.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "e2ee/e2ee.h"

#define WHAT "chat request"

static p11tee_status req_refuse(p11tee_error *err, const char *what)
{
    return err_set(err, P11TEE_E_E2EE_UNSUPPORTED, "%s is not available with E2EE", what);
}

/* Keys whose presence (other than null/false) means function calling. */
static const char *const req_function_keys[] = {"tools", "tool_choice", "functions",
                                                "function_call", "parallel_tool_calls"};

static int req_truthy(json_object *v)
{
    if (v == NULL)
        return 0;
    if (json_object_is_type(v, json_type_boolean))
        return json_object_get_boolean(v);
    if (json_object_is_type(v, json_type_string))
        return strcmp(json_object_get_string(v), "off") != 0 &&
               strcmp(json_object_get_string(v), "false") != 0 && json_object_get_string_len(v) > 0;
    if (json_object_is_type(v, json_type_array))
        return json_object_array_length(v) > 0;
    return 1;
}

/*
 * Only message contents are encrypted; every other member of the request
 * travels as it is. So only parameters known to carry no user text are let
 * through (an allowlist: a new parameter is refused until it is known safe).
 */
static const char *const req_top_allowed[] = {
    "model",
    "messages",
    "stream",
    "stream_options",
    "venice_parameters",
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "max_tokens",
    "max_completion_tokens",
    "n",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "repetition_penalty",
    "reasoning_effort",
};

/*
 * Known parameters E2EE cannot carry safely, refused by name with the reason
 * (PROTOCOL.md section 4): the server answers logprobs with every output
 * token in clear, and stop sequences and response formats are not encrypted.
 */
static const struct {
    const char *key;
    const char *why;
} req_refused[] = {
    {"logprobs", "the server would return every output token in clear next to the encrypted "
                 "answer"},
    {"top_logprobs", "the server would return every output token in clear next to the encrypted "
                     "answer"},
    {"stop", "stop sequences travel unencrypted (E2EE encrypts message contents only)"},
    {"response_format", "a response format and its schema travel unencrypted (E2EE encrypts "
                        "message contents only)"},
};

/* Present with a value that asks for something (not null, false, "", [] or {"type":"text"}). */
static int req_asks(json_object *v)
{
    json_object *type = NULL;

    if (v == NULL || (json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v)))
        return 0;
    if (json_object_is_type(v, json_type_string))
        return json_object_get_string_len(v) > 0;
    if (json_object_is_type(v, json_type_array))
        return json_object_array_length(v) > 0;
    if (json_object_is_type(v, json_type_object) && json_object_object_length(v) == 1 &&
        json_object_object_get_ex(v, "type", &type) &&
        json_object_is_type(type, json_type_string) &&
        strcmp(json_object_get_string(type), "text") == 0)
        return 0; /* the default format says nothing */
    return 1;
}

static p11tee_status req_check_refused(json_object *root, p11tee_error *err)
{
    json_object *v = NULL;
    size_t i;

    for (i = 0; i < P11TEE_ARRAY_LEN(req_refused); i++)
        if (json_object_object_get_ex(root, req_refused[i].key, &v) && req_asks(v))
            return err_set(err, P11TEE_E_E2EE_UNSUPPORTED,
                           "request parameter \"%s\" is refused with E2EE: %s; remove it",
                           req_refused[i].key, req_refused[i].why);
    return P11TEE_OK;
}

static int req_known(const char *key, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(key, list[i]) == 0)
            return 1;
    return 0;
}

static p11tee_status req_check_members(json_object *root, p11tee_error *err)
{
    json_object_iter it;

    json_object_object_foreachC(root, it)
    {
        size_t i;
        int refused = 0;

        for (i = 0; i < P11TEE_ARRAY_LEN(req_refused); i++)
            refused |= strcmp(it.key, req_refused[i].key) == 0;
        if (refused || req_known(it.key, req_function_keys, P11TEE_ARRAY_LEN(req_function_keys)) ||
            req_known(it.key, req_top_allowed, P11TEE_ARRAY_LEN(req_top_allowed)))
            continue;
        return err_set(err, P11TEE_E_E2EE_UNSUPPORTED,
                       "request parameter \"%.64s\" would travel unencrypted (E2EE encrypts "
                       "message contents only); remove it",
                       it.key);
    }
    return P11TEE_OK;
}

static p11tee_status req_check_top(json_object *root, p11tee_error *err)
{
    json_object *v = NULL, *vp = NULL;
    p11tee_status rc;
    size_t i;

    if (!json_object_is_type(root, json_type_object))
        return err_set(err, P11TEE_E_INVALID_ARG, "chat request is not a JSON object");
    for (i = 0; i < P11TEE_ARRAY_LEN(req_function_keys); i++)
        if (json_object_object_get_ex(root, req_function_keys[i], &v) && req_truthy(v))
            return req_refuse(err, "function calling");
    rc = req_check_refused(root, err);
    if (rc == P11TEE_OK)
        rc = req_check_members(root, err);
    if (rc != P11TEE_OK)
        return rc;
    if (json_object_object_get_ex(root, "stream", &v) && v != NULL &&
        !(json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v)))
        return err_set(err, P11TEE_E_E2EE_UNSUPPORTED,
                       "E2EE requires streaming: remove \"stream\": false from the request");
    if (json_object_object_get_ex(root, "venice_parameters", &vp) && vp != NULL) {
        if (!json_object_is_type(vp, json_type_object))
            return err_set(err, P11TEE_E_INVALID_ARG, "venice_parameters is not an object");
        if ((json_object_object_get_ex(vp, "enable_web_search", &v) && req_truthy(v)) ||
            (json_object_object_get_ex(vp, "enable_web_scraping", &v) && req_truthy(v)) ||
            (json_object_object_get_ex(vp, "enable_web_citations", &v) && req_truthy(v)))
            return req_refuse(err, "web search");
    }
    return P11TEE_OK;
}

/* A content part: text is allowed (and sealed later); images, audio, files are not. */
static p11tee_status req_check_part(json_object *part, size_t m, size_t i, p11tee_error *err)
{
    json_object *type = NULL, *text = NULL;

    if (!json_object_is_type(part, json_type_object) ||
        !json_object_object_get_ex(part, "type", &type) ||
        !json_object_is_type(type, json_type_string))
        return err_set(err, P11TEE_E_INVALID_ARG,
                       "messages[%zu].content[%zu] is not a typed content part", m, i);
    if (strcmp(json_object_get_string(type), "text") != 0)
        return err_set(err, P11TEE_E_E2EE_UNSUPPORTED,
                       "messages[%zu].content[%zu] is a \"%s\" part; only text is available "
                       "with E2EE",
                       m, i, json_object_get_string(type));
    if (!json_object_object_get_ex(part, "text", &text) ||
        !json_object_is_type(text, json_type_string))
        return err_set(err, P11TEE_E_INVALID_ARG, "messages[%zu].content[%zu] has no text", m, i);
    return P11TEE_OK;
}

/* A name, a replayed reasoning_content, ...: anything but the content goes in clear. */
static p11tee_status req_check_message_members(json_object *msg, size_t m, p11tee_error *err)
{
    json_object_iter it;

    json_object_object_foreachC(msg, it)
    {
        if (strcmp(it.key, "role") != 0 && strcmp(it.key, "content") != 0)
            return err_set(err, P11TEE_E_E2EE_UNSUPPORTED,
                           "messages[%zu].%.64s would travel unencrypted (E2EE encrypts "
                           "contents only); remove it",
                           m, it.key);
    }
    return P11TEE_OK;
}

static p11tee_status req_check_message(json_object *msg, size_t m, p11tee_error *err)
{
    json_object *role = NULL, *content = NULL, *v = NULL;
    size_t i;
    p11tee_status rc;

    if (!json_object_is_type(msg, json_type_object) ||
        !json_object_object_get_ex(msg, "role", &role) ||
        !json_object_is_type(role, json_type_string))
        return err_set(err, P11TEE_E_INVALID_ARG, "messages[%zu] has no role", m);
    if (strcmp(json_object_get_string(role), "tool") == 0 ||
        strcmp(json_object_get_string(role), "function") == 0 ||
        (json_object_object_get_ex(msg, "tool_calls", &v) && req_truthy(v)) ||
        (json_object_object_get_ex(msg, "function_call", &v) && req_truthy(v)))
        return req_refuse(err, "function calling");
    if (!json_object_object_get_ex(msg, "content", &content) || content == NULL)
        return err_set(err, P11TEE_E_INVALID_ARG, "messages[%zu] has no content", m);
    rc = req_check_message_members(msg, m, err);
    if (rc != P11TEE_OK)
        return rc;
    if (json_object_is_type(content, json_type_string))
        return P11TEE_OK;
    if (!json_object_is_type(content, json_type_array))
        return err_set(err, P11TEE_E_INVALID_ARG,
                       "messages[%zu].content is neither a string nor a list of parts", m);
    for (i = 0; i < json_object_array_length(content); i++) {
        rc = req_check_part(json_object_array_get_idx(content, i), m, i, err);
        if (rc != P11TEE_OK)
            return rc;
    }
    return P11TEE_OK;
}

static p11tee_status req_check(json_object *root, json_object **messages, p11tee_error *err)
{
    size_t m, n;
    p11tee_status rc = req_check_top(root, err);

    if (rc != P11TEE_OK)
        return rc;
    if (!json_object_object_get_ex(root, "messages", messages) ||
        !json_object_is_type(*messages, json_type_array) ||
        (n = json_object_array_length(*messages)) == 0)
        return err_set(err, P11TEE_E_INVALID_ARG, "chat request has no messages");
    for (m = 0; m < n; m++) {
        rc = req_check_message(json_object_array_get_idx(*messages, m), m, err);
        if (rc != P11TEE_OK)
            return rc;
    }
    return P11TEE_OK;
}

p11tee_status e2ee_check_request(const char *json, size_t len, p11tee_error *err)
{
    json_object *root = NULL, *messages;
    p11tee_status rc = sjson_parse(json, len, SJSON_DOC_MAX, WHAT, &root, err);

    if (rc == P11TEE_OK)
        rc = req_check(root, &messages, err);
    json_object_put(root);
    return rc;
}

/* Set content of `msg` to the envelope of `text`. */
static p11tee_status req_seal_text(e2ee_session *s, json_object *msg, const char *text, size_t len,
                                   p11tee_error *err)
{
    json_object *sealed;
    char *hex = NULL;
    size_t hexlen = 0;
    p11tee_status rc;

    rc = envelope_seal(s->hsm, s->model_pub, (const uint8_t *)text, len, &hex, &hexlen, err);
    if (rc != P11TEE_OK)
        return rc;
    sealed = json_object_new_string_len(hex, (int)hexlen);
    free(hex);
    if (sealed == NULL || json_object_object_add(msg, "content", sealed) != 0) {
        json_object_put(sealed);
        return err_set(err, P11TEE_E_NOMEM, "out of memory building the encrypted request");
    }
    return P11TEE_OK;
}

/* 1 when the server, having decrypted `text`, would take it for a list of parts. */
static int req_reads_as_array(const char *text, size_t len)
{
    json_object *v = NULL;
    p11tee_error ignored;
    int array;

    if (sjson_parse(text, len, SJSON_DOC_MAX, "content", &v, &ignored) != P11TEE_OK)
        return 0;
    array = json_object_is_type(v, json_type_array);
    json_object_put(v);
    return array;
}

/*
 * The server decrypts a content string whole and, when the text parses as a
 * JSON array, replaces the content by those parts. So text that is itself a
 * JSON array travels as a one-part array, and an array of text parts as one
 * envelope of its JSON text (servers that do not decrypt inside arrays read
 * it too): every content becomes exactly one envelope.
 */
static p11tee_status req_seal_message(e2ee_session *s, json_object *msg, p11tee_error *err)
{
    json_object *content = json_object_object_get(msg, "content"), *parts = NULL, *part;
    const char *text;
    size_t len = 0;
    p11tee_status rc;

    if (json_object_is_type(content, json_type_string)) {
        text = json_object_get_string(content);
        len = (size_t)json_object_get_string_len(content);
        if (!req_reads_as_array(text, len))
            return req_seal_text(s, msg, text, len, err);
        parts = json_object_new_array();
        part = json_object_new_object();
        if (parts == NULL || part == NULL || json_object_array_add(parts, part) != 0 ||
            json_object_object_add(part, "type", json_object_new_string("text")) != 0 ||
            json_object_object_add(part, "text", json_object_get(content)) != 0) {
            json_object_put(parts);
            return err_set(err, P11TEE_E_NOMEM, "out of memory building the encrypted request");
        }
        content = parts;
    }
    text = sjson_text(content, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    rc = text != NULL ? req_seal_text(s, msg, text, len, err)
                      : err_set(err, P11TEE_E_NOMEM, "out of memory building the request");
    json_object_put(parts);
    return rc;
}

static p11tee_status req_set_params(json_object *root, p11tee_error *err)
{
    json_object *vp = json_object_object_get(root, "venice_parameters");
    int ok;

    if (vp == NULL) {
        vp = json_object_new_object();
        if (vp == NULL || json_object_object_add(root, "venice_parameters", vp) != 0) {
            json_object_put(vp);
            return err_set(err, P11TEE_E_NOMEM, "out of memory building the request");
        }
    }
    /* A value json-c could not make must not go out as null ("enable_e2ee": null). */
    ok = 1;
    sjson_set(root, "stream", json_object_new_boolean(1), &ok);
    sjson_set(vp, "enable_e2ee", json_object_new_boolean(1), &ok);
    sjson_set(vp, "include_venice_system_prompt", json_object_new_boolean(0), &ok);
    sjson_set(vp, "enable_web_search", json_object_new_string("off"), &ok);
    return ok ? P11TEE_OK : err_set(err, P11TEE_E_NOMEM, "out of memory building the request");
}

p11tee_status e2ee_prepare_request(e2ee_session *s, const char *json, size_t len, char **out,
                                   size_t *outlen, p11tee_error *err)
{
    json_object *root = NULL, *messages = NULL;
    size_t i;
    p11tee_status rc;
    int ok;

    *out = NULL;
    rc = sjson_parse(json, len, SJSON_DOC_MAX, WHAT, &root, err);
    if (rc == P11TEE_OK)
        rc = req_check(root, &messages, err);
    if (rc == P11TEE_OK) {
        ok = 1;
        sjson_set(root, "model", json_object_new_string(s->model), &ok);
        if (!ok)
            rc = err_set(err, P11TEE_E_NOMEM, "out of memory building the request");
    }
    for (i = 0; rc == P11TEE_OK && i < json_object_array_length(messages); i++)
        rc = req_seal_message(s, json_object_array_get_idx(messages, i), err);
    if (rc == P11TEE_OK)
        rc = req_set_params(root, err);
    if (rc == P11TEE_OK) {
        /* Read back whole, or not sent: a request with a piece missing may still be JSON. */
        *out = sjson_finish(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, 1);
        root = NULL;
        if (*out == NULL)
            rc = err_set(err, P11TEE_E_NOMEM, "out of memory serialising the request");
        else if (outlen != NULL)
            *outlen = strlen(*out);
    }
    json_object_put(root);
    return rc;
}
