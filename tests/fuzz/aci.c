/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The ACI envelope (aci/1): the fields of an attestation response
 * (src/api/aci.c), the operator's native report, and the keyset digest
 * (src/attest/aci_crypto.c). Oracles: a field the parser returns is
 * exactly the string an independent walk of the same JSON finds there; a
 * native report that parses has its keyset and quote; the keyset digest is
 * "sha256:" + hex(SHA-256(JCS(keyset))) and the same when asked twice;
 * every failure has its code and a message without the API key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "attest/workload.h"
#include "fuzz.h"

/* <outer>.<inner>.<key> (each step optional) as a string, by hand; NULL when it is not one. */
static json_object *aci_walk(json_object *o, const char *outer, const char *inner, const char *key)
{
    if (outer != NULL && !json_object_object_get_ex(o, outer, &o))
        return NULL;
    if (inner != NULL && !json_object_object_get_ex(o, inner, &o))
        return NULL;
    if (!json_object_object_get_ex(o, key, &o) || !json_object_is_type(o, json_type_string))
        return NULL;
    return o;
}

static void aci_same(strview v, json_object *want, const char *what)
{
    if (v.p == NULL)
        return;
    FUZZ_CHECK(want != NULL && (size_t)json_object_get_string_len(want) == v.len &&
                   json_object_get_string(want) == v.p,
               "the parser's %s is not the one in the JSON", what);
}

static void aci_fields(json_object *root, const attest_aci *a)
{
    json_object *ks = NULL;

    aci_same(a->api_version, aci_walk(root, NULL, NULL, "api_version"), "api_version");
    aci_same(a->workload_id, aci_walk(root, NULL, NULL, "workload_id"), "workload_id");
    aci_same(a->keyset_digest, aci_walk(root, NULL, NULL, "workload_keyset_digest"),
             "workload_keyset_digest");
    aci_same(a->tee_type, aci_walk(root, "attestation", NULL, "tee_type"), "tee_type");
    aci_same(a->vendor, aci_walk(root, "attestation", NULL, "vendor"), "vendor");
    aci_same(a->report_data, aci_walk(root, "attestation", NULL, "report_data"), "report_data");
    aci_same(a->quote, aci_walk(root, "attestation", "evidence", "quote"), "quote");
    aci_same(a->quote_report_data, aci_walk(root, "attestation", "evidence", "quote_report_data"),
             "quote_report_data");
    if (a->keyset != NULL) {
        json_object *att = NULL;

        FUZZ_CHECK(json_object_object_get_ex(root, "attestation", &att) &&
                       json_object_object_get_ex(att, "workload_keyset", &ks) && ks == a->keyset &&
                       json_object_is_type(ks, json_type_object),
                   "the parser's keyset is not attestation.workload_keyset");
    }
}

/* aci_digest() against SHA-256 of jcs_write() done here. */
static void aci_keyset_digest(json_object *ks)
{
    char d1[80], d2[80], want[80];
    uint8_t h[32];
    p11tee_error err;
    p11tee_status rc = aci_digest(ks, d1, &err);
    size_t i;

    FUZZ_CHECK(aci_digest(ks, d2, NULL) == rc, "the keyset digest changed its mind");
    if (rc != P11TEE_OK) {
        FUZZ_CHECK(err.code == rc && err.message[0] != '\0', "a failure without a message");
        return;
    }
    FUZZ_CHECK(jcs_sha256(ks, h, NULL) == P11TEE_OK, "JCS fails where the digest did not");
    strcpy(want, "sha256:");
    for (i = 0; i < sizeof(h); i++)
        snprintf(want + 7 + 2 * i, 3, "%02x", h[i]);
    FUZZ_CHECK(strcmp(d1, want) == 0 && strcmp(d2, want) == 0,
               "the keyset digest %s is not sha256:hex(SHA-256(JCS))", d1);
}

static void aci_report(const char *in, size_t len)
{
    json_object *root = NULL;
    attest_aci a;
    p11tee_error err;
    p11tee_status rc;

    memset(&err, 0, sizeof(err));
    rc = api_parse_aci_report(in, len, &root, &a, &err);
    if (rc == P11TEE_OK)
        FUZZ_CHECK(a.present && a.keyset != NULL && a.quote.p != NULL,
                   "a native report without its keyset or quote was accepted");
    else
        FUZZ_CHECK(err.code == rc && err.message[0] != '\0', "a failure without a message");
    fuzz_no_api_key("a native report error", err.message, strlen(err.message));
    json_object_put(root);
}

static int aci_fuzz_one(const uint8_t *data, size_t size)
{
    size_t len;
    uint8_t *in = fuzz_with_key(data, size, &len);
    json_object *root = NULL;
    attest_aci a;
    p11tee_error err;
    p11tee_status rc;

    if (sjson_parse((const char *)in, len, SJSON_DOC_MAX, "aci", &root, NULL) == P11TEE_OK &&
        json_object_is_type(root, json_type_object)) {
        memset(&err, 0, sizeof(err));
        rc = api_parse_aci(root, &a, &err);
        if (rc == P11TEE_OK)
            aci_fields(root, &a);
        else
            FUZZ_CHECK(err.code == rc && err.message[0] != '\0', "a failure without a message");
        fuzz_no_api_key("an ACI error", err.message, strlen(err.message));
        if (rc == P11TEE_OK && a.keyset != NULL)
            aci_keyset_digest(a.keyset);
    }
    json_object_put(root);
    aci_report((const char *)in, len);
    free(in);
    return 0;
}

static const fuzz_seed aci_seeds[] = {
    FUZZ_SEED(
        "{\"api_version\":\"aci/1\",\"workload_id\":\"sha256:00\",\"workload_keyset_digest\":"
        "\"sha256:11\",\"attestation\":{\"tee_type\":\"tdx\",\"vendor\":\"intel\","
        "\"report_data\":\"ab\",\"workload_keyset\":{\"keys\":[{\"kid\":\"r\",\"alg\":"
        "\"ed25519\",\"x\":\"AA\"}],\"not_after\":1893456000,\"e\":1.5e-7},"
        "\"keyset_endorsement\":{\"algo\":\"ecdsa\",\"value\":\"@K\"},\"source_provenance\":"
        "{\"repo_url\":\"@J\"},\"evidence\":{\"quote\":\"00\",\"quote_report_data\":\"ff\"}}}"),
    FUZZ_SEED("{\"api_version\":7}"),
    FUZZ_SEED("{\"attestation\":{\"evidence\":{\"quote\":[]}}}"),
    FUZZ_SEED("{\"attestation\":{\"workload_keyset\":{\"\\ud800\":1}}}"),
};

FUZZ_REGISTER(aci, aci_fuzz_one, aci_seeds)
