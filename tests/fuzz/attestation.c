/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * A whole /tee/attestation response through the public offline path
 * (p11tee_attest_offline: parse, redact, every check, the policy's verdict,
 * the JSON report), as `p11tee attest --input` runs it. Oracles: the
 * report's JSON reads back as JSON and shows no spelling of the API key the
 * input carries (fuzz_with_key()), nor does any field or reason; two runs
 * give the same report.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "p11tee/p11tee.h"

/* The nonce and model tests/fuzz/seeds.py made its responses for. */
#define ATT_FUZZ_NONCE "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define ATT_FUZZ_MODEL "e2ee-qwen3-5-122b-a10b"

static char *att_fuzz_run(const p11tee_config *cfg, const uint8_t *data, size_t size)
{
    p11tee_offline_options o;
    p11tee_attestation *a = NULL;
    p11tee_check c;
    p11tee_error err;
    char *json;
    size_t i;

    memset(&o, 0, sizeof(o));
    o.model = ATT_FUZZ_MODEL;
    o.nonce_hex = ATT_FUZZ_NONCE;
    o.at = (time_t)1893542400;
    memset(&err, 0, sizeof(err));
    p11tee_attest_offline(cfg, (const char *)data, size, &o, &a, &err);
    fuzz_no_api_key("the attestation error", err.message, strlen(err.message));
    fuzz_no_api_key("the attestation error's detail", err.detail, strlen(err.detail));
    if (a == NULL)
        return NULL;
    for (i = 0; p11tee_attestation_check(a, i, &c) == 0; i++)
        fuzz_no_api_key("a check's reason", c.reason, strlen(c.reason));
    json = p11tee_attestation_json(a);
    FUZZ_CHECK(json != NULL, "no JSON report");
    fuzz_no_api_key("the attestation report", json, strlen(json));
    FUZZ_CHECK(fuzz_utf8_valid(json, strlen(json)), "the report is not UTF-8");
    p11tee_attestation_free(a);
    return json;
}

static int attestation_fuzz_one(const uint8_t *raw, size_t rawlen)
{
    static p11tee_config *cfg;
    size_t size;
    uint8_t *data = fuzz_with_key(raw, rawlen, &size);
    char *one, *two;

    if (cfg == NULL && ((cfg = p11tee_config_new()) == NULL ||
                        p11tee_config_set(cfg, "api-key", fuzz_api_key, NULL) != P11TEE_OK))
        fuzz_fail("cannot configure");
    one = att_fuzz_run(cfg, data, size);
    two = att_fuzz_run(cfg, data, size);
    FUZZ_CHECK((one == NULL) == (two == NULL) && (one == NULL || strcmp(one, two) == 0),
               "two verifications of one response give different reports");
    free(one);
    free(two);
    free(data);
    return 0;
}

static const fuzz_seed attestation_seeds[] = {
    FUZZ_SEED("{\"verified\":true,\"nonce\":\"" ATT_FUZZ_NONCE "\",\"model\":\"" ATT_FUZZ_MODEL
              "\",\"signing_key\":\"04aa\",\"signing_address\":\"0x11\",\"intel_quote\":\"00\","
              "\"tee_provider\":\"@J\",\"nvidia_payload\":\"{\\\"nonce\\\":1}\"}"),
    FUZZ_SEED("{\"model_attestations\":[{\"model\":\"" ATT_FUZZ_MODEL "\",\"signing_key\":\"@K\"}],"
              "\"gateway_attestation\":{\"debug\":true}}"),
    FUZZ_SEED("{\"info\":{\"tcb_info\":\"{\\\"app_compose\\\":\\\"@W\\\"}\"},\"app_compose\":7}"),
};

FUZZ_REGISTER(attestation, attestation_fuzz_one, attestation_seeds)
