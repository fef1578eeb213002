/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * A policy file (src/attest/policy.c). The files a policy names are read
 * relative to a directory that does not exist, so only the JSON is at
 * stake. Oracles: a policy that loads gives every check one of the three
 * requirements, the same ones when asked twice, and judges an empty report.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "attest/attest.h"
#include "fuzz.h"

static int policy_fuzz_one(const uint8_t *data, size_t size)
{
    attest_policy *p = NULL;
    attest_report *rep;
    p11tee_requirement r;
    int id;

    if (attest_policy_parse((const char *)data, size, "/nonexistent/p11tee-fuzz", &p, NULL) !=
        P11TEE_OK)
        return 0;
    for (id = 0; id < ATTEST_CK_COUNT; id++) {
        r = attest_policy_requirement(p, attest_check_name((attest_check_id)id));
        FUZZ_CHECK(r == P11TEE_REQUIRED || r == P11TEE_IF_CHECKED || r == P11TEE_ADVISORY,
                   "requirement %d for %s", (int)r, attest_check_name((attest_check_id)id));
        FUZZ_CHECK(r == attest_policy_requirement(p, attest_check_name((attest_check_id)id)),
                   "the policy changed its mind");
    }
    if ((rep = malloc(sizeof(*rep))) == NULL)
        fuzz_fail("out of memory");
    attest_report_init(rep);
    attest_verdict(rep, p, NULL);
    free(rep);
    attest_policy_free(p);
    return 0;
}

static const fuzz_seed policy_seeds[] = {
    FUZZ_SEED("{\"version\":1}"),
    FUZZ_SEED(
        "{\"version\":1,\"checks\":{\"nvidia.*\":\"if-checked\",\"tdx.tcb.status\":"
        "\"required\",\"*\":\"advisory\"},\"tdx\":{\"mrtd\":\"0x00\",\"accepted_tcb_statuses\":"
        "[\"UpToDate\",\"OutOfDate\"],\"allow_nonce_sha256\":true},"
        "\"tee_chat_requires_attestation\":false}"),
    FUZZ_SEED("{\"version\":1,\"tdx\":{\"app_compose_file\":\"x.json\"},\"test_roots\":{\"tdx\":"
              "[\"root.pem\"]}}"),
    FUZZ_SEED("{\"version\":2,\"bogus\":1}"),
};

FUZZ_REGISTER(policy, policy_fuzz_one, policy_seeds)
