/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * GET /tee/attestation: the union of the fields live servers send
 * (PROTOCOL.md section 2). Only presence and types are checked here; what
 * the fields mean is judged in attest/.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"

#define WHAT "attestation response"

/* NEAR's gateway wraps attestations: {"model_attestations": [{...}, ...]}. */
static p11tee_status att_unwrap(json_object *root, const char *want_model, json_object **entry,
                                p11tee_error *err)
{
    json_object *list = NULL;
    size_t i, n;
    p11tee_status rc;

    *entry = root;
    rc = sjson_get_obj(root, "model_attestations", json_type_array, 0, WHAT, &list, err);
    if (rc != P11TEE_OK || list == NULL)
        return rc;
    n = json_object_array_length(list);
    for (i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(list, i);
        strview model;

        if (!json_object_is_type(e, json_type_object))
            return err_set(err, P11TEE_E_JSON_FIELD, "model_attestations[%zu] is not an object", i);
        rc = sjson_get_str(e, "model", 0, "model_attestations entry", &model, err);
        if (rc != P11TEE_OK)
            return rc;
        if ((want_model != NULL && strview_eq(model, want_model)) ||
            (want_model == NULL && n == 1)) {
            *entry = e;
            return P11TEE_OK;
        }
    }
    if (want_model == NULL)
        return err_set(err, P11TEE_E_JSON_FIELD,
                       "attestation holds %zu model attestations; name the model to pick one", n);
    return err_set(err, P11TEE_E_ATTEST_MODEL_MISMATCH, "attestation holds no entry for model %s",
                   want_model);
}

/* nvidia_payload arrives as a JSON string, or as the object itself. */
static p11tee_status att_nvidia(api_attestation *a, p11tee_error *err)
{
    json_object *v = NULL;
    const char *text;
    size_t len;

    if (!json_object_object_get_ex(a->entry, "nvidia_payload", &v) || v == NULL)
        return P11TEE_OK;
    if (json_object_is_type(v, json_type_string))
        return sjson_get_str(a->entry, "nvidia_payload", 0, WHAT, &a->ev.nvidia_payload, err);
    if (!json_object_is_type(v, json_type_object))
        return err_set(err, P11TEE_E_JSON_FIELD,
                       "attestation field \"nvidia_payload\" is neither a string nor an object");
    text = json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN, &len);
    a->nvidia_payload_owned = text != NULL ? strndup(text, len) : NULL;
    if (a->nvidia_payload_owned == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory copying nvidia_payload");
    a->ev.nvidia_payload.p = a->nvidia_payload_owned;
    a->ev.nvidia_payload.len = len;
    return P11TEE_OK;
}

/* dstack puts app_compose at the top or under info.tcb_info. */
static p11tee_status att_app_compose(api_attestation *a, p11tee_error *err)
{
    json_object *info = NULL, *tcb = NULL;
    p11tee_status rc = sjson_get_str(a->entry, "app_compose", 0, WHAT, &a->ev.app_compose, err);

    if (rc != P11TEE_OK || a->ev.app_compose.p != NULL)
        return rc;
    rc = sjson_get_obj(a->entry, "info", json_type_object, 0, WHAT, &info, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_obj(info, "tcb_info", json_type_object, 0, "attestation info", &tcb, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(tcb, "app_compose", 0, "attestation tcb_info", &a->ev.app_compose, err);
    return rc;
}

static p11tee_status att_fields(api_attestation *a, p11tee_error *err)
{
    json_object *e = a->entry;
    p11tee_status rc;

    rc = sjson_get_bool(e, "verified", WHAT, &a->ev.has_verified, &a->ev.verified, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_bool(e, "debug", WHAT, &a->ev.has_debug, &a->ev.debug, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(e, "nonce", 0, WHAT, &a->ev.nonce, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(e, "model", 0, WHAT, &a->ev.model, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(e, "signing_key", 0, WHAT, &a->ev.signing_key, err);
    a->ev.signing_key_field = "signing_key";
    if (rc == P11TEE_OK && a->ev.signing_key.p == NULL) {
        rc = sjson_get_str(e, "signing_public_key", 0, WHAT, &a->ev.signing_key, err);
        a->ev.signing_key_field = "signing_public_key";
    }
    if (rc == P11TEE_OK)
        rc = sjson_get_str(e, "signing_address", 0, WHAT, &a->ev.signing_address, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(e, "signing_algo", 0, WHAT, &a->signing_algo, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(e, "intel_quote", 0, WHAT, &a->ev.intel_quote, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(e, "tee_provider", 0, WHAT, &a->tee_provider, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(e, "tee_hardware", 0, WHAT, &a->tee_hardware, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(e, "workload_id", 0, WHAT, &a->workload_id, err);
    if (rc == P11TEE_OK)
        rc = att_nvidia(a, err);
    if (rc == P11TEE_OK)
        rc = att_app_compose(a, err);
    return rc;
}

p11tee_status api_parse_attestation(const char *buf, size_t len, const char *want_model,
                                    api_attestation *out, p11tee_error *err)
{
    p11tee_status rc;

    memset(out, 0, sizeof(*out));
    rc = sjson_parse(buf, len, SJSON_DOC_MAX, WHAT, &out->root, err);
    if (rc == P11TEE_OK && !json_object_is_type(out->root, json_type_object))
        rc = err_set(err, P11TEE_E_JSON_FIELD, "attestation response is not a JSON object");
    if (rc == P11TEE_OK)
        rc = att_unwrap(out->root, want_model, &out->entry, err);
    if (rc == P11TEE_OK)
        rc = att_fields(out, err);
    if (rc != P11TEE_OK)
        api_attestation_free(out);
    return rc;
}

void api_attestation_free(api_attestation *a)
{
    if (a == NULL)
        return;
    free(a->nvidia_payload_owned);
    json_object_put(a->root);
    memset(a, 0, sizeof(*a));
}
