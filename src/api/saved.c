/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * A saved attestation: the exact responses an attestation judged (the
 * /tee/attestation response and the native ACI report), the nonce sent,
 * the model and when it was fetched, the verdict, the policy and its
 * SHA-256, and the collateral the verification used, in one JSON document
 * tagged "p11tee_saved_attestation" (version 1). Keys rotate: a response
 * signature is checked against the attestation that was current when the
 * response was made, so chat --save-exchange keeps this document (attest
 * --save writes it too), and p11tee_attest_offline() (signature
 * --attestation, audit verify) reads it back.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"

#define SAVED_TAG "p11tee_saved_attestation" /* its version, 1 */
#define WHAT      "saved attestation"

/* A member, null when there is no text (the document is whole or not at all: sjson_set). */
static void saved_add_text(json_object *o, const char *key, const char *text, size_t len, int *ok)
{
    sjson_set_nullable(o, key, text != NULL,
                       text != NULL ? json_object_new_string_len(text, (int)len) : NULL, ok);
}

static void saved_add_str(json_object *o, const char *key, const char *text, int *ok)
{
    saved_add_text(o, key, text, text != NULL ? strlen(text) : 0, ok);
}

char *p11tee_attestation_save(const p11tee_attestation *a)
{
    const api_attestation *r = &a->response;
    const attest_policy *pol = a->policy->rules;
    const char *coll = a->collateral_doc != NULL ? a->collateral_doc : pol->collateral;
    size_t coll_len = a->collateral_doc != NULL ? a->collateral_doc_len : pol->collateral_len;
    json_object *root;
    int ok = 1;

    if (r->raw == NULL)
        return NULL; /* a bare quote: nothing to save */
    root = json_object_new_object();
    if (root == NULL)
        return NULL;
    sjson_set(root, SAVED_TAG, json_object_new_int(1), &ok);
    saved_add_str(root, "p11tee", PACKAGE_VERSION, &ok);
    saved_add_str(root, "model", p11tee_attestation_get(a, "model"), &ok);
    saved_add_str(root, "nonce", p11tee_attestation_get(a, "nonce"), &ok);
    /* A response read offline without a time of its own: the time it was verified as of. */
    sjson_set(root, "fetched_at",
              json_object_new_int64((int64_t)(a->fetched_at != 0 ? a->fetched_at : a->verified_at)),
              &ok);
    saved_add_str(root, "verdict", a->verdict.code == P11TEE_OK ? "pass" : "fail", &ok);
    saved_add_str(root, "policy", pol->source, &ok);
    saved_add_str(root, "policy_sha256", pol->sha256[0] != '\0' ? pol->sha256 : NULL, &ok);
    saved_add_str(root, "collateral_source", a->collateral[0] != '\0' ? a->collateral : NULL, &ok);
    saved_add_text(root, "collateral", coll, coll_len, &ok);
    saved_add_text(root, "response", r->raw, r->raw_len, &ok);
    saved_add_text(root, "aci_report", r->native_raw, r->native_raw_len, &ok);
    return sjson_finish(
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE,
        ok);
}

p11tee_status api_saved_read(const char *json, size_t len, api_saved *out, p11tee_error *err)
{
    int present;
    int64_t version = 0;
    p11tee_status rc;

    memset(out, 0, sizeof(*out));
    rc = sjson_parse(json, len, SJSON_DOC_MAX, WHAT, &out->root, err);
    if (rc != P11TEE_OK)
        return rc;
    if (!json_object_is_type(out->root, json_type_object) ||
        !json_object_object_get_ex(out->root, SAVED_TAG, NULL))
        return P11TEE_OK; /* a response as the server sent it */
    out->present = 1;
    rc = sjson_get_int(out->root, SAVED_TAG, WHAT, &present, &version, err);
    if (rc == P11TEE_OK && version != 1)
        rc = err_set(err, P11TEE_E_JSON_FIELD,
                     "saved attestation version %lld is not one this p11tee reads (1)",
                     (long long)version);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(out->root, "response", 1, WHAT, &out->response, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(out->root, "aci_report", 0, WHAT, &out->aci_report, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(out->root, "nonce", 0, WHAT, &out->nonce, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(out->root, "model", 0, WHAT, &out->model, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(out->root, "collateral", 0, WHAT, &out->collateral, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_int(out->root, "fetched_at", WHAT, &present, &out->fetched_at, err);
    if (rc != P11TEE_OK)
        api_saved_free(out);
    return rc;
}

void api_saved_free(api_saved *s)
{
    json_object_put(s->root);
    memset(s, 0, sizeof(*s));
}
