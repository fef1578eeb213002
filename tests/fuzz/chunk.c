/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * One chat response object (src/api/chat.c): a streamed chunk and a whole
 * completion. Oracles: a field the parser returns is exactly what an
 * independent walk of the same JSON finds there (so no view points
 * elsewhere), usage only when present, and no error message shows the API
 * key the input may carry (fuzz_with_key()).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "fuzz.h"

/* choices[i].<inner>.<key> as a string, by hand; NULL when it is not one. */
static json_object *chunk_walk(json_object *root, size_t i, const char *inner, const char *key)
{
    json_object *o = NULL;

    if (!json_object_object_get_ex(root, "choices", &o) ||
        !json_object_is_type(o, json_type_array) || json_object_array_length(o) <= i)
        return NULL;
    o = json_object_array_get_idx(o, i);
    if (inner != NULL && !json_object_object_get_ex(o, inner, &o))
        return NULL;
    if (!json_object_object_get_ex(o, key, &o) || !json_object_is_type(o, json_type_string))
        return NULL;
    return o;
}

static void chunk_same(strview v, json_object *want, const char *what)
{
    if (v.p == NULL)
        return;
    FUZZ_CHECK(want != NULL && (size_t)json_object_get_string_len(want) == v.len &&
                   memcmp(json_object_get_string(want), v.p, v.len) == 0,
               "the parser's %s is not the one in the JSON", what);
}

static void chunk_one(json_object *root, int whole)
{
    const char *inner = whole ? "message" : "delta";
    api_chat_part part;
    p11tee_error err;
    p11tee_status rc;
    size_t i;

    memset(&err, 0, sizeof(err));
    rc = whole ? api_parse_chat_completion(root, &part, &err)
               : api_parse_chat_chunk(root, &part, &err);
    if (rc != P11TEE_OK) {
        FUZZ_CHECK(err.code == rc && err.message[0] != '\0', "a failure without a message");
        fuzz_no_api_key("a chunk error", err.message, strlen(err.message));
        return;
    }
    if (part.error.present)
        return; /* nothing else is read */
    FUZZ_CHECK(part.nchoices <= API_CHOICES_MAX, "%zu choices", part.nchoices);
    for (i = 0; i < part.nchoices; i++) {
        const api_chat_choice *c = &part.choices[i];

        FUZZ_CHECK(c->index < API_CHOICES_MAX, "choice index %zu", c->index);
        chunk_same(c->content, chunk_walk(root, i, inner, "content"), "content");
        chunk_same(c->reasoning_content, chunk_walk(root, i, inner, "reasoning_content"),
                   "reasoning_content");
        chunk_same(c->reasoning, chunk_walk(root, i, inner, "reasoning"), "reasoning");
        chunk_same(c->role, chunk_walk(root, i, inner, "role"), "role");
        chunk_same(c->finish_reason, chunk_walk(root, i, NULL, "finish_reason"), "finish_reason");
    }
    FUZZ_CHECK(part.usage.present == json_object_object_get_ex(root, "usage", NULL),
               "usage present is %d", part.usage.present);
}

static int chunk_fuzz_one(const uint8_t *data, size_t size)
{
    size_t len;
    uint8_t *in = fuzz_with_key(data, size, &len);
    json_object *root = NULL;

    if (sjson_parse((const char *)in, len, SJSON_DOC_MAX, "chunk", &root, NULL) == P11TEE_OK) {
        chunk_one(root, 0);
        chunk_one(root, 1);
    }
    json_object_put(root);
    free(in);
    return 0;
}

static const fuzz_seed chunk_seeds[] = {
    FUZZ_SEED("{\"id\":\"chatcmpl-1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{"
              "\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":null}]}"),
    FUZZ_SEED("{\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,"
              "\"total_tokens\":3}}"),
    FUZZ_SEED("{\"choices\":[{\"message\":{\"content\":\"whole\",\"reasoning\":\"r\"},"
              "\"finish_reason\":\"stop\"}]}"),
    FUZZ_SEED("{\"choices\":[{\"delta\":null}]}"),
    FUZZ_SEED("{\"id\":\"@K\",\"choices\":[{\"delta\":{\"content\":7}}]}"),
    FUZZ_SEED("{\"@J\":1,\"usage\":{\"total_tokens\":\"@W\"}}"),
};

FUZZ_REGISTER(chunk, chunk_fuzz_one, chunk_seeds)
