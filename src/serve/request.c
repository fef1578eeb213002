/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * A chat request as an OpenAI client sends it, checked before anything goes
 * upstream. E2EE encrypts message contents only, so whatever would travel
 * in clear, or make the server answer in clear, is refused with a 400 that
 * names the parameter: function calling, non-text content parts, message
 * names, logprobs, for E2EE models stop and response_format (the server
 * reads them in clear), n beyond the library's bound, and every parameter
 * not known to be harmless.
 * Members that carry nothing (null, false, an empty list) and an assistant
 * message's own reasoning (which would travel back in clear) are dropped.
 * The library applies its own, equal or stricter, refusals again.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "serve/gateway.h"

#define GW_JSON_DEPTH 32

/* Passed on as they are: no user text in them, nothing answered in clear. */
static const char *const gw_top_allowed[] = {
    "model",
    "messages",
    "stream",
    "stream_options",
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "max_tokens",
    "max_completion_tokens",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "repetition_penalty",
    "reasoning_effort",
    "venice_parameters",
};

/* Read by the server in clear: refused for E2EE models, passed on for TEE ones. */
static const char *const gw_clear_keys[] = {"stop", "response_format"};

static const char *const gw_function_keys[] = {"tools", "tool_choice", "functions", "function_call",
                                               "parallel_tool_calls"};

static int gw_in(const char *key, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(key, list[i]) == 0)
            return 1;
    return 0;
}

#define GW_IN(key, list) gw_in(key, list, sizeof(list) / sizeof(list[0]))

/* null, false, "", [] and {} say nothing. */
static int gw_empty(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null: return 1;
    case json_type_boolean: return !json_object_get_boolean(v);
    case json_type_string: return json_object_get_string_len(v) == 0;
    case json_type_array: return json_object_array_length(v) == 0;
    case json_type_object: return json_object_object_length(v) == 0;
    default: return 0;
    }
}

typedef struct gw_refusal {
    char message[256];
    char param[96];
    const char *code;
} gw_refusal;

static int gw_refuse(gw_refusal *r, const char *code, const char *param, const char *fmt, ...)
    GW_PRINTF(4, 5);

static int gw_refuse(gw_refusal *r, const char *code, const char *param, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->message, sizeof(r->message), fmt, ap);
    va_end(ap);
    snprintf(r->param, sizeof(r->param), "%s", param != NULL ? param : "");
    r->code = code;
    return -1;
}

static int gw_check_part(json_object *part, size_t m, size_t i, gw_refusal *r)
{
    char param[96];
    json_object *type = NULL, *text = NULL;

    snprintf(param, sizeof(param), "messages[%zu].content[%zu]", m, i);
    if (!json_object_is_type(part, json_type_object) ||
        !json_object_object_get_ex(part, "type", &type) ||
        !json_object_is_type(type, json_type_string))
        return gw_refuse(r, "invalid_value", param, "%s is not a typed content part", param);
    if (strcmp(json_object_get_string(type), "text") != 0)
        return gw_refuse(r, "e2ee_unsupported", param,
                         "%s is a \"%.32s\" part: only text can be end-to-end encrypted", param,
                         json_object_get_string(type));
    if (!json_object_object_get_ex(part, "text", &text) ||
        !json_object_is_type(text, json_type_string))
        return gw_refuse(r, "invalid_value", param, "%s has no text", param);
    return 0;
}

static int gw_check_content(json_object *content, size_t m, gw_refusal *r)
{
    char param[64];
    size_t i;

    snprintf(param, sizeof(param), "messages[%zu].content", m);
    if (json_object_is_type(content, json_type_string))
        return 0;
    if (!json_object_is_type(content, json_type_array))
        return gw_refuse(r, "invalid_value", param, "%s must be a string or a list of text parts",
                         param);
    for (i = 0; i < json_object_array_length(content); i++)
        if (gw_check_part(json_object_array_get_idx(content, i), m, i, r) != 0)
            return -1;
    return 0;
}

/* Drop what says nothing, refuse what would travel in clear. */
static int gw_check_members(json_object *msg, size_t m, int assistant, gw_refusal *r)
{
    char param[96];
    struct json_object_iterator it = json_object_iter_begin(msg), end = json_object_iter_end(msg);

    while (!json_object_iter_equal(&it, &end)) {
        const char *key = json_object_iter_peek_name(&it);
        json_object *v = json_object_iter_peek_value(&it);

        json_object_iter_next(&it);
        if (strcmp(key, "role") == 0 || strcmp(key, "content") == 0)
            continue;
        snprintf(param, sizeof(param), "messages[%zu].%.64s", m, key);
        if (strcmp(key, "tool_calls") == 0 || strcmp(key, "function_call") == 0 ||
            strcmp(key, "tool_call_id") == 0) {
            if (!gw_empty(v))
                return gw_refuse(r, "e2ee_unsupported", param,
                                 "function calling is not available with end-to-end encryption");
        } else if (!gw_empty(v) && !(assistant && (strcmp(key, "reasoning_content") == 0 ||
                                                   strcmp(key, "reasoning") == 0))) {
            return gw_refuse(r, "e2ee_unsupported", param,
                             "%s would travel unencrypted (only message contents are "
                             "encrypted); remove it",
                             param);
        }
        json_object_object_del(msg, key);
    }
    return 0;
}

static int gw_check_message(json_object *msg, size_t m, gw_refusal *r)
{
    char param[64];
    json_object *role = NULL, *content = NULL;
    const char *rs;

    snprintf(param, sizeof(param), "messages[%zu]", m);
    if (!json_object_is_type(msg, json_type_object) ||
        !json_object_object_get_ex(msg, "role", &role) ||
        !json_object_is_type(role, json_type_string))
        return gw_refuse(r, "invalid_value", param, "%s needs a role", param);
    rs = json_object_get_string(role);
    if (strcmp(rs, "tool") == 0 || strcmp(rs, "function") == 0)
        return gw_refuse(r, "e2ee_unsupported", param,
                         "%s: function calling is not available with end-to-end encryption", param);
    if (!json_object_object_get_ex(msg, "content", &content) || content == NULL)
        return gw_refuse(r, "invalid_value", param, "%s has no content", param);
    if (gw_check_content(content, m, r) != 0)
        return -1;
    return gw_check_members(msg, m, strcmp(rs, "assistant") == 0, r);
}

static int gw_check_messages(json_object *root, gw_refusal *r)
{
    json_object *msgs = NULL;
    size_t i, n;

    if (!json_object_object_get_ex(root, "messages", &msgs) ||
        !json_object_is_type(msgs, json_type_array) || (n = json_object_array_length(msgs)) == 0)
        return gw_refuse(r, "invalid_value", "messages", "messages must be a non-empty list");
    if (n > gw_opts->max_messages)
        return gw_refuse(r, "invalid_value", "messages",
                         "%zu messages: this gateway takes at most %zu", n, gw_opts->max_messages);
    for (i = 0; i < n; i++)
        if (gw_check_message(json_object_array_get_idx(msgs, i), i, r) != 0)
            return -1;
    return 0;
}

/* How many choices: 1 to the library's bound (each streamed with its index). */
static int gw_check_n(json_object *v, gw_refusal *r)
{
    int64_t n;

    if (json_object_is_type(v, json_type_null))
        return 0;
    n = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
    if (n < 1 || n > P11TEE_CHOICES_MAX)
        return gw_refuse(r, "invalid_value", "n", "n must be a whole number from 1 to %d",
                         P11TEE_CHOICES_MAX);
    return 0;
}

/* The top-level parameters; `stream` and the usage request are read on the way. */
static int gw_check_top(gw_job *j, json_object *root, gw_refusal *r)
{
    struct json_object_iterator it = json_object_iter_begin(root), end = json_object_iter_end(root);

    while (!json_object_iter_equal(&it, &end)) {
        const char *key = json_object_iter_peek_name(&it);
        json_object *v = json_object_iter_peek_value(&it), *u = NULL;

        json_object_iter_next(&it);
        if (GW_IN(key, gw_function_keys)) {
            if (!gw_empty(v))
                return gw_refuse(r, "e2ee_unsupported", key,
                                 "function calling (%s) is not available with end-to-end "
                                 "encryption",
                                 key);
            json_object_object_del(root, key);
        } else if (strcmp(key, "logprobs") == 0 || strcmp(key, "top_logprobs") == 0) {
            if (!gw_empty(v) && !(json_object_is_type(v, json_type_int) && !json_object_get_int(v)))
                return gw_refuse(r, "e2ee_unsupported", key,
                                 "%s would make the server send every token in clear", key);
            json_object_object_del(root, key);
        } else if (GW_IN(key, gw_clear_keys)) {
            if (!gw_empty(v) && gw_model_mode(j->model) == 1)
                return gw_refuse(r, "e2ee_unsupported", key,
                                 "%s is read by the server in clear: not available with "
                                 "end-to-end encryption",
                                 key);
        } else if (strcmp(key, "n") == 0) {
            if (gw_check_n(v, r) != 0)
                return -1;
        } else if (strcmp(key, "stream") == 0) {
            if (!json_object_is_type(v, json_type_boolean) &&
                !json_object_is_type(v, json_type_null))
                return gw_refuse(r, "invalid_value", key, "stream must be true or false");
            j->stream = json_object_get_boolean(v);
        } else if (strcmp(key, "stream_options") == 0) {
            if (json_object_is_type(v, json_type_object) &&
                json_object_object_get_ex(v, "include_usage", &u))
                j->include_usage = json_object_get_boolean(u);
        } else if (!GW_IN(key, gw_top_allowed)) {
            return gw_refuse(r, "unsupported_parameter", key,
                             "parameter %.64s is not supported: it would travel unencrypted", key);
        }
    }
    return 0;
}

static int gw_check_model(gw_job *j, json_object *root, gw_refusal *r)
{
    json_object *model = NULL;
    size_t len;

    if (!json_object_object_get_ex(root, "model", &model) ||
        !json_object_is_type(model, json_type_string))
        return gw_refuse(r, "invalid_value", "model", "model is required");
    len = (size_t)json_object_get_string_len(model);
    if (len == 0 || len >= sizeof(j->model) || memchr(json_object_get_string(model), 0, len))
        return gw_refuse(r, "invalid_value", "model", "model must be 1 to %zu characters",
                         sizeof(j->model) - 1);
    memcpy(j->model, json_object_get_string(model), len + 1);
    return 0;
}

/*
 * 1 when `text` reads back as `root`. json-c 0.16's serialiser goes on when
 * its buffer cannot grow, leaving a piece out of a text that still looks
 * whole; a body that lost a value must not go upstream.
 */
static int gw_same_json(json_object *root, const char *text, size_t len)
{
    json_tokener *tok = len <= (size_t)INT32_MAX ? json_tokener_new_ex(GW_JSON_DEPTH) : NULL;
    json_object *back = tok != NULL ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
    int same = back != NULL && json_tokener_get_error(tok) == json_tokener_success &&
               json_tokener_get_parse_end(tok) == len && json_object_equal(root, back);

    json_object_put(back);
    if (tok != NULL)
        json_tokener_free(tok);
    return same;
}

/* Upstream always streams; usage is asked for so that it can be passed on. */
static int gw_rewrite(gw_job *j, json_object *root)
{
    json_object *so = json_object_new_object(), *usage = json_object_new_boolean(1),
                *stream = json_object_new_boolean(1);
    const char *text;
    size_t n = 0;

    /* A NULL value would be added as JSON null: each object is checked before it is added. */
    if (so == NULL || usage == NULL || stream == NULL) {
        json_object_put(so);
        json_object_put(usage);
        json_object_put(stream);
        return -1;
    }
    if (json_object_object_add(so, "include_usage", usage) != 0) {
        json_object_put(usage);
        json_object_put(so);
        json_object_put(stream);
        return -1;
    }
    if (json_object_object_add(root, "stream_options", so) != 0) {
        json_object_put(so);
        json_object_put(stream);
        return -1;
    }
    if (json_object_object_add(root, "stream", stream) != 0) {
        json_object_put(stream);
        return -1;
    }
    text = json_object_to_json_string_length(
        root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    j->body = text != NULL && gw_same_json(root, text, n) ? strndup(text, n) : NULL;
    j->body_len = n;
    return j->body != NULL ? 0 : -1;
}

/* The body's JSON, or NULL (with `nomem` set when that was for want of memory). */
static json_object *gw_parse(const char *body, size_t len, int *nomem)
{
    json_tokener *tok = json_tokener_new_ex(GW_JSON_DEPTH);
    json_object *root;

    *nomem = tok == NULL;
    if (tok == NULL)
        return NULL;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    root = json_tokener_parse_ex(tok, body, (int)len);
    if (root != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
                         json_tokener_get_parse_end(tok) != len)) {
        json_object_put(root);
        root = NULL;
    }
    json_tokener_free(tok);
    return root;
}

int gw_chat_prepare(gw_job *j, const char *body, size_t len, unsigned *status, gw_buf *err)
{
    int nomem, rc = -1;
    json_object *root = gw_parse(body, len, &nomem);
    gw_refusal r;

    memset(&r, 0, sizeof(r));
    *status = 400;
    if (nomem) {
        *status = 500;
        gw_refuse(&r, "internal_error", NULL, "out of memory");
    } else if (root == NULL || !json_object_is_type(root, json_type_object))
        gw_refuse(&r, "invalid_json", NULL,
                  "the body is not a JSON object (or not UTF-8, or nested too deep)");
    else if (gw_check_model(j, root, &r) == 0 && gw_check_top(j, root, &r) == 0 &&
             gw_check_messages(root, &r) == 0) {
        rc = gw_rewrite(j, root);
        if (rc != 0) {
            *status = 500;
            gw_refuse(&r, "internal_error", NULL, "out of memory");
        }
    }
    json_object_put(root);
    if (rc != 0) {
        snprintf(j->code, sizeof(j->code), "%s", r.code);
        gw_error_body(err, r.message, *status == 400 ? "invalid_request_error" : "server_error",
                      r.param[0] ? r.param : NULL, r.code);
        if (err->failed) { /* no whole error body: the gateway's failure, not the caller's */
            *status = 500;
            snprintf(j->code, sizeof(j->code), "internal_error");
        }
    }
    return rc;
}
