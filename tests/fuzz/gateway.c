/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The gateway's request parser (src/serve/request.c): the body of a
 * POST /v1/chat/completions as any local caller may send it, checked and
 * rewritten before anything goes upstream. The first input byte picks what
 * the upstream says of the model (byte % 3: 2 E2EE, 1 TEE-only, 0 unknown);
 * the rest is the
 * body. Oracles:
 * - a refusal is status 400 (or 500, out of memory) with OpenAI's error
 *   body: valid JSON whose error.code is the job's code, a message, a type;
 * - an accepted body comes out as a JSON object that streams and asks for
 *   usage, names the job's model, holds only known parameters, no function
 *   calling and no logprobs, and for an E2EE model no stop or
 *   response_format; no message carries a member besides role and content
 *   (an assistant's reasoning is dropped, never passed on);
 * - the rewrite is a fixed point: the accepted body, checked again, is
 *   accepted and comes out byte for byte the same.
 * The gateway's options and its upstream's model table are this file's:
 * request.c and buf.c are linked alone.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "serve/gateway.h"

#define GATEWAY_FUZZ_MESSAGES 64 /* small, so that the bound is reached */

static const serve_options gateway_fuzz_options = {.max_messages = GATEWAY_FUZZ_MESSAGES};
const serve_options *gw_opts = &gateway_fuzz_options;

/* What the upstream knows of the model: 1 E2EE, 0 TEE-only, -1 unknown. */
static int gateway_fuzz_mode;

int gw_model_mode(const char *model)
{
    (void)model;
    return gateway_fuzz_mode;
}

static const char *const gateway_fuzz_known[] = {
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
    "n",
    "stop",
    "response_format",
};

static int gateway_fuzz_known_key(const char *key)
{
    size_t i;

    for (i = 0; i < P11TEE_ARRAY_LEN(gateway_fuzz_known); i++)
        if (strcmp(key, gateway_fuzz_known[i]) == 0)
            return 1;
    return 0;
}

static json_object *gateway_fuzz_parse(const char *text, size_t len, const char *what)
{
    json_tokener *tok = json_tokener_new();
    json_object *root;

    if (tok == NULL)
        fuzz_fail("out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    root = json_tokener_parse_ex(tok, text, (int)len);
    FUZZ_CHECK(root != NULL && json_tokener_get_error(tok) == json_tokener_success &&
                   json_tokener_get_parse_end(tok) == len &&
                   json_object_is_type(root, json_type_object),
               "%s is not one JSON object: %.200s", what, text);
    json_tokener_free(tok);
    return root;
}

static const char *gateway_fuzz_string(json_object *o, const char *key)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static void gateway_fuzz_refusal(const gw_job *j, unsigned status, const gw_buf *err)
{
    json_object *root, *e = NULL, *param = NULL;
    const char *code, *message, *type;

    FUZZ_CHECK(status == 400 || status == 500, "a refusal with status %u", status);
    FUZZ_CHECK(!err->failed && err->p != NULL, "a refusal without an error body");
    FUZZ_CHECK(j->code[0] != '\0', "a refusal without a code");
    root = gateway_fuzz_parse(err->p, err->len, "the error body");
    FUZZ_CHECK(json_object_object_get_ex(root, "error", &e) &&
                   json_object_is_type(e, json_type_object),
               "the error body has no error object: %s", err->p);
    code = gateway_fuzz_string(e, "code");
    message = gateway_fuzz_string(e, "message");
    type = gateway_fuzz_string(e, "type");
    FUZZ_CHECK(code != NULL && strcmp(code, j->code) == 0, "error.code is not \"%s\": %s", j->code,
               err->p);
    FUZZ_CHECK(message != NULL && message[0] != '\0' && type != NULL, "no message or type: %s",
               err->p);
    FUZZ_CHECK(json_object_object_get_ex(e, "param", &param) &&
                   (param == NULL || json_object_is_type(param, json_type_string)),
               "error.param is neither null nor a string: %s", err->p);
    json_object_put(root);
}

static void gateway_fuzz_messages(json_object *root, const char *body)
{
    json_object *msgs = NULL;
    size_t i, n;

    FUZZ_CHECK(json_object_object_get_ex(root, "messages", &msgs) &&
                   json_object_is_type(msgs, json_type_array),
               "accepted without messages: %.200s", body);
    n = json_object_array_length(msgs);
    FUZZ_CHECK(n >= 1 && n <= GATEWAY_FUZZ_MESSAGES, "accepted with %zu messages", n);
    for (i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(msgs, i);
        const char *role = gateway_fuzz_string(m, "role");

        json_object_object_foreach(m, key, v)
        {
            (void)v;
            FUZZ_CHECK(strcmp(key, "role") == 0 || strcmp(key, "content") == 0,
                       "messages[%zu].%s was passed on: %.200s", i, key, body);
        }
        FUZZ_CHECK(role != NULL && strcmp(role, "tool") != 0 && strcmp(role, "function") != 0,
                   "messages[%zu] passed with role %s", i, role != NULL ? role : "(none)");
    }
}

/* null, false, "", [] or {}: what an E2EE request may carry as stop or response_format. */
static int gateway_fuzz_says_nothing(json_object *v)
{
    if (v == NULL)
        return 1;
    if (json_object_is_type(v, json_type_boolean))
        return !json_object_get_boolean(v);
    if (json_object_is_type(v, json_type_string))
        return json_object_get_string_len(v) == 0;
    if (json_object_is_type(v, json_type_array))
        return json_object_array_length(v) == 0;
    if (json_object_is_type(v, json_type_object))
        return json_object_object_length(v) == 0;
    return 0;
}

static void gateway_fuzz_accepted(const gw_job *j, int mode)
{
    json_object *root, *so = NULL, *v = NULL;
    const char *model;

    FUZZ_CHECK(j->body != NULL && strlen(j->body) == j->body_len, "the rewritten body's length");
    root = gateway_fuzz_parse(j->body, j->body_len, "the rewritten body");
    FUZZ_CHECK(json_object_object_get_ex(root, "stream", &v) &&
                   json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v),
               "upstream is not asked to stream: %.200s", j->body);
    FUZZ_CHECK(json_object_object_get_ex(root, "stream_options", &so) &&
                   json_object_object_get_ex(so, "include_usage", &v) &&
                   json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v),
               "usage is not asked for: %.200s", j->body);
    model = gateway_fuzz_string(root, "model");
    FUZZ_CHECK(model != NULL && strcmp(model, j->model) == 0, "the body's model is not the job's");
    json_object_object_foreach(root, key, val)
    {
        FUZZ_CHECK(gateway_fuzz_known_key(key), "parameter %s was passed on", key);
        if (mode == 1 && (strcmp(key, "stop") == 0 || strcmp(key, "response_format") == 0))
            FUZZ_CHECK(gateway_fuzz_says_nothing(val), "%s passed for an E2EE model: %.200s", key,
                       j->body);
    }
    gateway_fuzz_messages(root, j->body);
    json_object_put(root);
}

/* gw_chat_prepare() on a fresh job; the job keeps the body (free it) and the code. */
static int gateway_fuzz_prepare(gw_job *j, const char *body, size_t len, unsigned *status,
                                gw_buf *err)
{
    memset(j, 0, sizeof(*j));
    gw_buf_init(err);
    *status = 0;
    return gw_chat_prepare(j, body, len, status, err);
}

static int gateway_fuzz_one(const uint8_t *data, size_t size)
{
    gw_job j, again;
    gw_buf err, err2;
    unsigned status, status2;
    int mode;

    if (size < 1)
        return 0;
    mode = (int)(data[0] % 3) - 1;
    gateway_fuzz_mode = mode;
    if (gateway_fuzz_prepare(&j, (const char *)data + 1, size - 1, &status, &err) != 0) {
        gateway_fuzz_refusal(&j, status, &err);
        FUZZ_CHECK(j.body == NULL, "a refused request kept a body");
        gw_buf_free(&err);
        return 0;
    }
    gateway_fuzz_accepted(&j, mode);
    FUZZ_CHECK(gateway_fuzz_prepare(&again, j.body, j.body_len, &status2, &err2) == 0,
               "the rewritten body is refused (%s): %.200s", again.code, j.body);
    FUZZ_CHECK(again.body_len == j.body_len && memcmp(again.body, j.body, j.body_len) == 0,
               "the rewrite is not a fixed point: %.200s became %.200s", j.body, again.body);
    FUZZ_CHECK(strcmp(again.model, j.model) == 0, "the model changed in the rewrite");
    free(again.body);
    gw_buf_free(&err2);
    free(j.body);
    gw_buf_free(&err);
    return 0;
}

static const fuzz_seed gateway_seeds[] = {
    FUZZ_SEED(
        "\x01{\"model\":\"e2ee-qwen3\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],"
        "\"stream\":true}"),
    FUZZ_SEED("\x02{\"model\":\"e2ee-qwen3\",\"messages\":[{\"role\":\"system\",\"content\":"
              "\"be brief\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]},"
              "{\"role\":\"assistant\",\"content\":\"hey\",\"reasoning_content\":\"think\","
              "\"tool_calls\":[]},{\"role\":\"user\",\"content\":\"again\",\"name\":null}],"
              "\"temperature\":0.7,\"n\":2,\"tools\":[],\"logprobs\":false,\"top_logprobs\":0,"
              "\"stream_options\":{\"include_usage\":false},\"venice_parameters\":{}}"),
    FUZZ_SEED("\x01{\"model\":\"tee-llama\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
              "\"stop\":[\"\\n\"],\"response_format\":{\"type\":\"json_object\"},"
              "\"max_tokens\":16}"),
    FUZZ_SEED("\x02{\"model\":\"e2ee-qwen3\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
              "\"stop\":\"\\n\"}"),
    FUZZ_SEED("\x00{\"model\":\"m\",\"messages\":[{\"role\":\"tool\",\"content\":\"r\","
              "\"tool_call_id\":\"c1\"}],\"tools\":[{\"type\":\"function\"}]}"),
    FUZZ_SEED("\x01{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
              "\"image_url\",\"image_url\":{\"url\":\"data:\"}}]}],\"n\":65,\"user\":\"u\"}"),
    FUZZ_SEED("\x01{\"model\":\"\",\"messages\":[]}"),
    FUZZ_SEED("\x01[1,2,3]"),
    FUZZ_SEED("\x01{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800\"}]}"),
    FUZZ_SEED("\x01{\"model\":\"m\",\"model\":\"n\",\"messages\":[{\"role\":\"user\",\"content\":"
              "\"a\"}],\"stream\":null}"),
    FUZZ_SEED("\x01{\"model\":\"m\\u0000x\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}"),
    FUZZ_SEED("\x01{\"model\":\"m\",\"messages\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]"
              "]]]]]]]]]]]]]]]]]]]]]]]]]}"),
};

FUZZ_REGISTER(gateway, gateway_fuzz_one, gateway_seeds)
