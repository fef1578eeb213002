/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * GET /tee/signature (PROTOCOL.md section 3). The signature comes as a
 * string, or as an object {algorithm, value, public_key}; the signed text as
 * "text", or as its parts in "payload" {request_hash, response_hash,
 * timestamp}. An ACI receipt may come along.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"

#define WHAT         "signature response"
#define SIG_DOC_MAX  (256 * 1024) /* a signature with its receipt */
#define SIG_HASH_MAX 128

/* The payload-only form: no text; the signed text is rebuilt from the payload's hashes. */
static p11tee_status sig_payload(api_signature *out, p11tee_error *err)
{
    json_object *payload = NULL;
    strview req, resp;
    p11tee_status rc;

    rc = sjson_get_obj(out->root, "payload", json_type_object, 0, WHAT, &payload, err);
    if (rc != P11TEE_OK || payload == NULL)
        return rc != P11TEE_OK ? rc
                               : err_set(err, P11TEE_E_JSON_FIELD,
                                         "signature response has neither \"text\" nor \"payload\"");
    rc = sjson_get_str(payload, "request_hash", 1, "signature payload", &req, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(payload, "response_hash", 1, "signature payload", &resp, err);
    if (rc != P11TEE_OK)
        return rc;
    if (req.len > SIG_HASH_MAX || resp.len > SIG_HASH_MAX)
        return err_set(err, P11TEE_E_JSON_FIELD, "signature payload hashes are too long");
    snprintf(out->text_built, sizeof(out->text_built), "%.*s:%.*s", (int)req.len, req.p,
             (int)resp.len, resp.p);
    out->text.p = out->text_built;
    out->text.len = strlen(out->text_built);
    out->payload_form = 1;
    return P11TEE_OK;
}

p11tee_status api_parse_signature(const char *buf, size_t len, const char *secret,
                                  api_signature *out, p11tee_error *err)
{
    json_object *sig = NULL;
    p11tee_status rc;

    memset(out, 0, sizeof(*out));
    rc = sjson_parse_redacted(buf, len, SIG_DOC_MAX, WHAT, secret, &out->root, err);
    if (rc == P11TEE_OK && !json_object_is_type(out->root, json_type_object))
        rc = err_set(err, P11TEE_E_JSON_FIELD, "signature response is not a JSON object");
    if (rc == P11TEE_OK)
        rc = sjson_get_str(out->root, "text", 0, WHAT, &out->text, err);
    if (rc == P11TEE_OK && out->text.p == NULL)
        rc = sig_payload(out, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(out->root, "signing_address", 0, WHAT, &out->signing_address, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(out->root, "signing_algo", 0, WHAT, &out->signing_algo, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_obj(out->root, "receipt", json_type_object, 0, WHAT, &out->receipt, err);
    if (rc == P11TEE_OK && json_object_object_get_ex(out->root, "signature", &sig) &&
        json_object_is_type(sig, json_type_object)) {
        rc = sjson_get_str(sig, "value", 1, "signature object", &out->signature, err);
        if (rc == P11TEE_OK)
            rc = sjson_get_str(sig, "public_key", 0, "signature object", &out->public_key, err);
        if (rc == P11TEE_OK && out->signing_algo.p == NULL)
            rc = sjson_get_str(sig, "algorithm", 0, "signature object", &out->signing_algo, err);
    } else if (rc == P11TEE_OK) {
        rc = sjson_get_str(out->root, "signature", 1, WHAT, &out->signature, err);
    }
    if (rc != P11TEE_OK)
        api_signature_free(out);
    return rc;
}

void api_signature_free(api_signature *s)
{
    if (s == NULL)
        return;
    json_object_put(s->root);
    memset(s, 0, sizeof(*s));
}
