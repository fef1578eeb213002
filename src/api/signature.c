/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * GET /tee/signature (PROTOCOL.md section 3). The signature comes as a
 * string, or as an object {algorithm, value, public_key}.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

#define WHAT "signature response"

p11tee_status api_parse_signature(const char *buf, size_t len, api_signature *out,
                                  p11tee_error *err)
{
    json_object *sig = NULL;
    p11tee_status rc;

    memset(out, 0, sizeof(*out));
    rc = sjson_parse(buf, len, 64 * 1024, WHAT, &out->root, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(out->root, "text", 1, WHAT, &out->text, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(out->root, "signing_address", 0, WHAT, &out->signing_address, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(out->root, "signing_algo", 0, WHAT, &out->signing_algo, err);
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
