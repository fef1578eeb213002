/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The policy presets, named instead of a policy file (--policy NAME, policy
 * = NAME; "./NAME" is a file) or started from in one ("preset": NAME):
 * "default" (the check table's defaults), "strict" (rules compiled in
 * here) and the presets written as policy text, each also installed as
 * PKGDATADIR/policies/NAME.json to read and copy (test_policy_collateral
 * checks that the two are the same bytes).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "attest/policy.h"
#include "crypto/crypto.h"

/*
 * The strict preset: the default, and everything the live service can prove
 * beyond the quote is required too: the event log's replay and the
 * app_compose it measures, the ACI envelope and keyset, their anchor in the
 * operator's own quote (aci-report-url), receipts and the verified upstream,
 * and a response signature over the exact response kept (--save-exchange:
 * the legacy stream authenticates each field alone, so only this hash shows
 * a dropped or reordered field).
 */
static const char *const policy_strict_required[] = {
    "app_compose.binding", "tdx.rtmr3.replay", "aci.*",
    "aci.agree.*",         "aci.keyset.*",     "aci.native.*",
    "receipt.signature",   "receipt.keyset",   "receipt.chat_id",
    "receipt.anchor",      "upstream.*",       "signature.response_hash",
};

/*
 * strict-with-collateral: the default, and Intel's collateral from the
 * cache (p11tee collateral fetch), issued at most 14 days before: TCB
 * status, revocation, QE identity and TDX module are required.
 */
static const char strict_with_collateral[] =
    "{\n"
    "  \"version\": 1,\n"
    "  \"checks\": {\n"
    "    \"tdx.collateral.*\": \"required\",\n"
    "    \"tdx.pck.revocation\": \"required\",\n"
    "    \"tdx.qe.identity\": \"required\",\n"
    "    \"tdx.tdx_module\": \"required\",\n"
    "    \"tdx.tcb.status\": \"required\"\n"
    "  },\n"
    "  \"tdx\": {\n"
    "    \"collateral\": {\"cache\": true, \"max_age_days\": 14}\n"
    "  }\n"
    "}\n";

static const struct {
    const char *name, *text;
} policy_texts[] = {
    {"strict-with-collateral", strict_with_collateral},
};

const char *attest_policy_preset(const char *name)
{
    size_t i;

    for (i = 0; i < P11TEE_ARRAY_LEN(policy_texts); i++)
        if (strcmp(policy_texts[i].name, name) == 0)
            return policy_texts[i].text;
    return NULL;
}

int attest_policy_is_preset(const char *name)
{
    return strcmp(name, "default") == 0 || strcmp(name, "strict") == 0 ||
           attest_policy_preset(name) != NULL;
}

p11tee_status policy_preset(attest_policy *p, const char *name, p11tee_error *err)
{
    const char *text = attest_policy_preset(name);
    uint8_t d[SHA256_DIGEST_LENGTH];
    size_t i;
    p11tee_status rc = P11TEE_OK;

    if (!attest_policy_is_preset(name))
        return err_set(err, P11TEE_E_POLICY, "preset \"%s\" is not one of %s", name,
                       POLICY_PRESETS);
    for (i = 0; rc == P11TEE_OK && strcmp(name, "strict") == 0 &&
                i < P11TEE_ARRAY_LEN(policy_strict_required);
         i++)
        rc = attest_policy_add_rule(p, policy_strict_required[i], P11TEE_REQUIRED, err);
    if (rc == P11TEE_OK && text != NULL) {
        rc = policy_apply(p, text, strlen(text), err);
        /* Its hash names the text, as a file's names its bytes. */
        if (rc == P11TEE_OK && (rc = digest_sha256(text, strlen(text), d, err)) == P11TEE_OK)
            hex_encode(d, sizeof(d), p->sha256, sizeof(p->sha256));
    }
    snprintf(p->source, sizeof(p->source), "built-in %s preset", name);
    snprintf(p->preset, sizeof(p->preset), "%s", name);
    return rc;
}
