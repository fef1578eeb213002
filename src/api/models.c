/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* GET /models: the model list and each model's capability flags. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"

/* model_spec.capabilities.<flag>, false when absent. */
static p11tee_status model_flag(json_object *caps, const char *flag, int *value, p11tee_error *err)
{
    int present;

    return sjson_get_bool(caps, flag, "model capabilities", &present, value, err);
}

static p11tee_status model_parse_one(json_object *entry, api_model *m, p11tee_error *err)
{
    json_object *spec = NULL, *caps = NULL;
    int present;
    p11tee_status rc;

    memset(m, 0, sizeof(*m));
    m->json = entry;
    if (!json_object_is_type(entry, json_type_object))
        return err_set(err, P11TEE_E_JSON_FIELD, "models list entry is not an object");
    rc = sjson_get_str(entry, "id", 1, "model", &m->id, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(entry, "type", 0, "model", &m->type, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_obj(entry, "model_spec", json_type_object, 0, "model", &spec, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(spec, "name", 0, "model_spec", &m->name, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_int(spec, "availableContextTokens", "model_spec", &present,
                           &m->context_tokens, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_obj(spec, "capabilities", json_type_object, 0, "model_spec", &caps, err);
    if (rc == P11TEE_OK)
        rc = model_flag(caps, "supportsE2EE", &m->supports_e2ee, err);
    if (rc == P11TEE_OK)
        rc = model_flag(caps, "supportsTeeAttestation", &m->supports_tee, err);
    if (rc == P11TEE_OK)
        rc = model_flag(caps, "supportsFunctionCalling", &m->supports_functions, err);
    if (rc == P11TEE_OK && m->id.len == 0)
        rc = err_set(err, P11TEE_E_JSON_FIELD, "models list has an entry with an empty id");
    /* E2EE runs in the enclave, so it implies attestation (PROTOCOL.md section 1). */
    if (m->supports_e2ee)
        m->supports_tee = 1;
    return rc;
}

p11tee_status api_parse_models(const char *buf, size_t len, const char *secret, api_model_list *out,
                               p11tee_error *err)
{
    json_object *data = NULL;
    size_t i, n;
    p11tee_status rc;

    memset(out, 0, sizeof(*out));
    rc = sjson_parse_redacted(buf, len, SJSON_DOC_MAX, "models response", secret, &out->root, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_obj(out->root, "data", json_type_array, 1, "models response", &data, err);
    if (rc != P11TEE_OK)
        goto fail;
    n = json_object_array_length(data);
    if (n > API_MODELS_MAX) {
        rc = err_set(err, P11TEE_E_TOO_LARGE, "models response lists %zu models, more than %d", n,
                     API_MODELS_MAX);
        goto fail;
    }
    out->items = calloc(n ? n : 1, sizeof(*out->items));
    if (out->items == NULL) {
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory listing %zu models", n);
        goto fail;
    }
    for (i = 0; i < n && rc == P11TEE_OK; i++)
        rc = model_parse_one(json_object_array_get_idx(data, i), &out->items[i], err);
    if (rc != P11TEE_OK)
        goto fail;
    out->count = n;
    return P11TEE_OK;
fail:
    api_model_list_free(out);
    return rc;
}

void api_model_list_free(api_model_list *l)
{
    if (l == NULL)
        return;
    free(l->items);
    json_object_put(l->root);
    memset(l, 0, sizeof(*l));
}

const api_model *api_model_find(const api_model_list *l, const char *id)
{
    size_t i;

    for (i = 0; i < l->count; i++)
        if (strview_eq(l->items[i].id, id))
            return &l->items[i];
    return NULL;
}
