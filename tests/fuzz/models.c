/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * GET /models (src/api/models.c). Oracles: every entry, serialised as
 * `p11tee models --json` prints it, and every field the table shows hold
 * no spelling of the API key the input carries (fuzz_with_key()); an E2EE
 * model is a TEE model; ids are not empty.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "fuzz.h"

static void models_field(const char *what, strview v)
{
    if (v.p != NULL)
        fuzz_no_api_key(what, v.p, v.len);
}

static int models_fuzz_one(const uint8_t *data, size_t size)
{
    size_t len, i;
    uint8_t *in = fuzz_with_key(data, size, &len);
    api_model_list l;
    p11tee_error err;
    const char *json;

    memset(&err, 0, sizeof(err));
    if (api_parse_models((const char *)in, len, fuzz_api_key, &l, &err) != P11TEE_OK) {
        fuzz_no_api_key("a models error", err.message, strlen(err.message));
        free(in);
        return 0;
    }
    for (i = 0; i < l.count; i++) {
        const api_model *m = &l.items[i];

        FUZZ_CHECK(m->id.p != NULL && m->id.len > 0, "model %zu has no id", i);
        FUZZ_CHECK(!m->supports_e2ee || m->supports_tee, "an E2EE model that is not TEE");
        FUZZ_CHECK(strlen(m->id.p) != m->id.len || api_model_find(&l, m->id.p) != NULL,
                   "model %zu cannot be found by its id", i);
        models_field("a model id", m->id);
        models_field("a model type", m->type);
        models_field("a model name", m->name);
        json = json_object_to_json_string_ext(m->json, JSON_C_TO_STRING_PLAIN |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE);
        fuzz_no_api_key("a model's JSON", json, strlen(json));
        json = json_object_to_json_string_ext(m->json, JSON_C_TO_STRING_PRETTY);
        fuzz_no_api_key("a model's pretty JSON", json, strlen(json));
    }
    api_model_list_free(&l);
    free(in);
    return 0;
}

static const fuzz_seed models_seeds[] = {
    FUZZ_SEED("{\"object\":\"list\",\"data\":[{\"id\":\"e2ee-x\",\"type\":\"text\",\"model_spec\":{"
              "\"name\":\"X\",\"availableContextTokens\":131072,\"capabilities\":{"
              "\"supportsE2EE\":true,\"supportsTeeAttestation\":false}}}]}"),
    FUZZ_SEED("{\"data\":[{\"id\":\"a\",\"description\":\"@J\",\"model_spec\":{\"name\":\"@W\"}},"
              "{\"id\":\"@K\",\"@U\":{\"x\":[\"@E\",\"@P\"]}}]}"),
    FUZZ_SEED("{\"data\":[]}"),
    FUZZ_SEED("{\"data\":[{\"id\":\"\"}]}"),
    FUZZ_SEED("{\"data\":[{\"id\":7}]}"),
    /* fuzzing found: a member name that is the key's first 6 characters overran its redacted copy
     */
    FUZZ_SEED("{\"vk-FUZ\":\"list\",\"data\":[{\"id\":\"e2\"}]}"),
};

FUZZ_REGISTER(models, models_fuzz_one, models_seeds)
