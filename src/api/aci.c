/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The ACI envelope (api_version "aci/1", PROTOCOL.md section 2), in a
 * /tee/attestation response beside the legacy fields or alone, and as the
 * operator's native report: presence and types only; attest/ recomputes
 * every digest and binding and decides.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

#define WHAT "ACI attestation"

static p11tee_status aci_provenance(json_object *att, attest_aci *a, p11tee_error *err)
{
    json_object *sp = NULL;
    p11tee_status rc = sjson_get_obj(att, "source_provenance", json_type_object, 0, WHAT, &sp, err);

    if (rc == P11TEE_OK)
        rc = sjson_get_str(sp, "repo_url", 0, "source_provenance", &a->repo_url, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(sp, "repo_commit", 0, "source_provenance", &a->repo_commit, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(sp, "image_digest", 0, "source_provenance", &a->image_digest, err);
    return rc;
}

static p11tee_status aci_endorsement(json_object *att, attest_aci *a, p11tee_error *err)
{
    json_object *e = NULL;
    p11tee_status rc = sjson_get_obj(att, "keyset_endorsement", json_type_object, 0, WHAT, &e, err);

    if (rc == P11TEE_OK)
        rc = sjson_get_str(e, "algo", 0, "keyset_endorsement", &a->endorsement_algo, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(e, "value", 0, "keyset_endorsement", &a->endorsement_value, err);
    return rc;
}

/* attestation{...}: the keyset, the report data, the evidence's quote. */
static p11tee_status aci_attestation(json_object *att, attest_aci *a, p11tee_error *err)
{
    p11tee_status rc;

    rc = sjson_get_obj(att, "workload_keyset", json_type_object, 0, WHAT, &a->keyset, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(att, "tee_type", 0, WHAT, &a->tee_type, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(att, "vendor", 0, WHAT, &a->vendor, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(att, "report_data", 0, WHAT, &a->report_data, err);
    if (rc == P11TEE_OK)
        rc = aci_endorsement(att, a, err);
    if (rc == P11TEE_OK)
        rc = aci_provenance(att, a, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_obj(att, "evidence", json_type_object, 0, WHAT, &a->evidence, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(a->evidence, "quote", 0, "attestation evidence", &a->quote, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(a->evidence, "quote_report_data", 0, "attestation evidence",
                           &a->quote_report_data, err);
    return rc;
}

p11tee_status api_parse_aci(json_object *entry, attest_aci *a, p11tee_error *err)
{
    json_object *att = NULL;
    p11tee_status rc;

    memset(a, 0, sizeof(*a));
    rc = sjson_get_str(entry, "api_version", 0, WHAT, &a->api_version, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_obj(entry, "attestation", json_type_object, 0, WHAT, &att, err);
    if (rc != P11TEE_OK || (a->api_version.p == NULL && att == NULL))
        return rc; /* the legacy shape alone */
    a->present = 1;
    rc = sjson_get_str(entry, "workload_id", 0, WHAT, &a->workload_id, err);
    if (rc == P11TEE_OK)
        rc = sjson_get_str(entry, "workload_keyset_digest", 0, WHAT, &a->keyset_digest, err);
    if (rc == P11TEE_OK && att != NULL)
        rc = aci_attestation(att, a, err);
    return rc;
}

p11tee_status api_parse_aci_report(const char *buf, size_t len, json_object **root, attest_aci *a,
                                   p11tee_error *err)
{
    p11tee_status rc = sjson_parse(buf, len, SJSON_DOC_MAX, "native ACI report", root, err);

    if (rc == P11TEE_OK && !json_object_is_type(*root, json_type_object))
        rc = err_set(err, P11TEE_E_JSON_FIELD, "the native ACI report is not a JSON object");
    if (rc == P11TEE_OK)
        rc = api_parse_aci(*root, a, err);
    if (rc == P11TEE_OK && (!a->present || a->keyset == NULL || a->quote.p == NULL))
        rc = err_set(err, P11TEE_E_JSON_FIELD,
                     "the native ACI report lacks its keyset or its quote (attestation."
                     "workload_keyset, attestation.evidence.quote)");
    if (rc != P11TEE_OK) {
        json_object_put(*root);
        *root = NULL;
    }
    return rc;
}
