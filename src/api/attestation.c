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

/* Keep `text` (len bytes) for as long as the attestation lives: a view into a's storage. */
static p11tee_status att_own(api_attestation *a, const char *text, size_t len, strview *out,
                             p11tee_error *err)
{
    char *copy;

    if (a->nowned == API_OWNED_MAX)
        return err_set(err, P11TEE_E_JSON_FIELD, "attestation response carries too many items");
    copy = text != NULL ? strndup(text, len) : NULL;
    if (copy == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory copying the attestation");
    a->owned[a->nowned++] = copy;
    out->p = copy;
    out->len = len;
    return P11TEE_OK;
}

/*
 * A member that arrives as a JSON string or as the JSON value itself
 * (nvidia_payload, event_log, vm_config, tcb_info): as text. Absent or null:
 * out->p stays NULL. Other types are refused, named.
 */
static p11tee_status att_text(api_attestation *a, json_object *obj, const char *key,
                              const char *what, strview *out, p11tee_error *err)
{
    json_object *v = NULL;
    const char *text;
    size_t len = 0;

    out->p = NULL;
    out->len = 0;
    if (obj == NULL || !json_object_object_get_ex(obj, key, &v) || v == NULL)
        return P11TEE_OK;
    if (json_object_is_type(v, json_type_string))
        return sjson_get_str(obj, key, 0, what, out, err);
    if (!json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_array))
        return err_set(err, P11TEE_E_JSON_FIELD,
                       "%s field \"%s\" is neither a string nor a JSON value", what, key);
    text = sjson_text(v, JSON_C_TO_STRING_PLAIN, &len);
    return att_own(a, text, len, out, err);
}

/* Add the copy of obj.key (text) to `c`, named `where`. */
static p11tee_status att_copy(api_attestation *a, json_object *obj, const char *key,
                              const char *where, attest_copies *c, p11tee_error *err)
{
    strview v;
    p11tee_status rc = att_text(a, obj, key, where, &v, err);

    if (rc == P11TEE_OK && v.p != NULL && c->n < ATTEST_COPIES_MAX) {
        c->text[c->n] = v;
        c->where[c->n++] = where;
    }
    return rc;
}

/* info, and info.tcb_info as an object or a JSON string holding one (dstack). */
static p11tee_status att_tcb_info(api_attestation *a, json_object **tcb, p11tee_error *err)
{
    json_object *info = NULL, *v = NULL;
    p11tee_status rc;

    *tcb = NULL;
    rc = sjson_get_obj(a->entry, "info", json_type_object, 0, WHAT, &info, err);
    if (rc != P11TEE_OK || info == NULL || !json_object_object_get_ex(info, "tcb_info", &v) ||
        v == NULL)
        return rc;
    if (json_object_is_type(v, json_type_object)) {
        *tcb = v;
        return P11TEE_OK;
    }
    if (!json_object_is_type(v, json_type_string))
        return err_set(err, P11TEE_E_JSON_FIELD,
                       "attestation info.tcb_info is neither an object nor a JSON string");
    rc = sjson_parse(json_object_get_string(v), (size_t)json_object_get_string_len(v),
                     SJSON_DOC_MAX, "attestation info.tcb_info", &a->tcb_info_owned, err);
    if (rc == P11TEE_OK && !json_object_is_type(a->tcb_info_owned, json_type_object))
        rc = err_set(err, P11TEE_E_JSON_FIELD, "attestation info.tcb_info is not an object");
    *tcb = a->tcb_info_owned;
    return rc;
}

/*
 * app_compose, event_log and vm_config: at the root, under info.tcb_info
 * (dstack), under attestation.evidence (ACI). Every copy is kept; the first
 * is the one judged, and attest/ requires the others to agree with it.
 */
static p11tee_status att_evidence_copies(api_attestation *a, p11tee_error *err)
{
    json_object *tcb = NULL, *ev = a->ev.aci.evidence;
    p11tee_status rc = att_tcb_info(a, &tcb, err);

    if (rc == P11TEE_OK)
        rc = att_copy(a, a->entry, "app_compose", "app_compose", &a->ev.app_compose_copies, err);
    if (rc == P11TEE_OK)
        rc = att_copy(a, tcb, "app_compose", "info.tcb_info.app_compose", &a->ev.app_compose_copies,
                      err);
    if (rc == P11TEE_OK)
        rc = att_copy(a, ev, "app_compose", "attestation.evidence.app_compose",
                      &a->ev.app_compose_copies, err);
    if (rc == P11TEE_OK)
        rc = att_copy(a, a->entry, "event_log", "event_log", &a->ev.event_log, err);
    if (rc == P11TEE_OK)
        rc = att_copy(a, tcb, "event_log", "info.tcb_info.event_log", &a->ev.event_log, err);
    if (rc == P11TEE_OK)
        rc = att_copy(a, ev, "event_log", "attestation.evidence.event_log", &a->ev.event_log, err);
    if (rc == P11TEE_OK)
        rc = att_copy(a, a->entry, "vm_config", "vm_config", &a->ev.vm_config, err);
    if (rc == P11TEE_OK)
        rc = att_copy(a, tcb, "vm_config", "info.tcb_info.vm_config", &a->ev.vm_config, err);
    if (rc == P11TEE_OK)
        rc = att_copy(a, ev, "vm_config", "attestation.evidence.vm_config", &a->ev.vm_config, err);
    a->ev.app_compose =
        a->ev.app_compose_copies.n > 0 ? a->ev.app_compose_copies.text[0] : (strview){NULL, 0};
    return rc;
}

/*
 * The E2EE key: the legacy field, else the keyset's secp256k1 E2EE keys
 * for the verifier to choose from (an ACI response alone). The quote:
 * intel_quote, else the ACI evidence's.
 */
static p11tee_status att_aci_fallbacks(api_attestation *a, p11tee_error *err)
{
    json_object *keys = NULL, *k;
    size_t i, n;
    strview algo;
    p11tee_status rc = P11TEE_OK;

    if (a->ev.intel_quote.p != NULL && a->ev.quotes.n < ATTEST_COPIES_MAX) {
        a->ev.quotes.text[a->ev.quotes.n] = a->ev.intel_quote;
        a->ev.quotes.where[a->ev.quotes.n++] = "intel_quote";
    }
    if (a->ev.aci.quote.p != NULL && a->ev.quotes.n < ATTEST_COPIES_MAX) {
        a->ev.quotes.text[a->ev.quotes.n] = a->ev.aci.quote;
        a->ev.quotes.where[a->ev.quotes.n++] = "attestation.evidence.quote";
    }
    if (a->ev.intel_quote.p == NULL)
        a->ev.intel_quote = a->ev.aci.quote;
    if (a->ev.signing_key.p != NULL || a->ev.aci.keyset == NULL)
        return P11TEE_OK;
    rc = sjson_get_obj(a->ev.aci.keyset, "e2ee_public_keys", json_type_array, 0, "workload_keyset",
                       &keys, err);
    n = keys != NULL ? json_object_array_length(keys) : 0;
    for (i = 0; rc == P11TEE_OK && i < n && a->ev.keyset_keys.n < ATTEST_COPIES_MAX; i++) {
        attest_copies *c = &a->ev.keyset_keys;

        k = json_object_array_get_idx(keys, i);
        rc = sjson_get_str(k, "algo", 0, "e2ee_public_keys entry", &algo, err);
        if (rc != P11TEE_OK || !strview_eq(algo, API_ACI_E2EE_ALGO))
            continue;
        rc = sjson_get_str(k, "public_key", 1, "e2ee_public_keys entry", &c->text[c->n], err);
        c->where[c->n++] = "attestation.workload_keyset.e2ee_public_keys";
    }
    return rc;
}

/* nvidia_payload arrives as a JSON string, or as the object itself. */
static p11tee_status att_nvidia(api_attestation *a, p11tee_error *err)
{
    return att_text(a, a->entry, "nvidia_payload", WHAT, &a->ev.nvidia_payload, err);
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
        rc = api_parse_aci(a->entry, &a->ev.aci, err);
    if (rc == P11TEE_OK)
        rc = att_evidence_copies(a, err);
    if (rc == P11TEE_OK)
        rc = att_aci_fallbacks(a, err);
    return rc;
}

p11tee_status api_parse_attestation(const char *buf, size_t len, const char *want_model,
                                    const char *secret, api_attestation *out, p11tee_error *err)
{
    p11tee_status rc;

    memset(out, 0, sizeof(*out));
    rc = sjson_parse_redacted(buf, len, SJSON_DOC_MAX, WHAT, secret, &out->root, err);
    if (rc == P11TEE_OK && !json_object_is_type(out->root, json_type_object))
        rc = err_set(err, P11TEE_E_JSON_FIELD, "attestation response is not a JSON object");
    if (rc == P11TEE_OK && (out->raw = strndup(buf, len)) == NULL)
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory copying the attestation");
    out->raw_len = len;
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
    size_t i;

    if (a == NULL)
        return;
    for (i = 0; i < a->nowned; i++)
        free(a->owned[i]);
    free(a->raw);
    free(a->native_raw);
    json_object_put(a->native_root);
    json_object_put(a->tcb_info_owned);
    json_object_put(a->root);
    memset(a, 0, sizeof(*a));
}

p11tee_status api_attestation_add_native(api_attestation *a, const char *buf, size_t len,
                                         p11tee_error *err)
{
    p11tee_status rc = api_parse_aci_report(buf, len, &a->native_root, &a->ev.native, err);

    if (rc == P11TEE_OK && (a->native_raw = strndup(buf, len)) == NULL)
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory copying the native ACI report");
    a->native_raw_len = a->native_raw != NULL ? len : 0;
    return rc;
}
