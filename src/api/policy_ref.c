/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The policy, shared by reference: the client holds one, and so does every
 * attestation it judged, so that a report can be read (and its
 * requirements named) after the client is gone.
 */
#include "config.h"

#include <stdlib.h>

#include "api/api.h"

p11tee_status api_policy_load(const char *path, attest_policy **out, p11tee_error *err)
{
    p11tee_status rc;

    if (path == NULL)
        return attest_policy_default(out, err);
    rc = attest_policy_load(path, out, err);
    /* A policy file that cannot be used is the configuration's fault, not the evidence's. */
    if (rc != P11TEE_OK && rc != P11TEE_E_NOMEM && err != NULL)
        err->code = P11TEE_E_POLICY_FILE;
    return rc == P11TEE_OK || rc == P11TEE_E_NOMEM ? rc : P11TEE_E_POLICY_FILE;
}

p11tee_status api_policy_new(attest_policy *rules, api_policy **out, p11tee_error *err)
{
    api_policy *p = calloc(1, sizeof(*p));

    *out = NULL;
    if (p == NULL) {
        attest_policy_free(rules);
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    }
    api_refs_init(&p->refs);
    p->rules = rules;
    *out = p;
    return P11TEE_OK;
}

api_policy *api_policy_ref(api_policy *p)
{
    if (p != NULL)
        api_refs_get(&p->refs);
    return p;
}

void api_policy_free(api_policy *p)
{
    if (p == NULL || !api_refs_put(&p->refs))
        return;
    attest_policy_free(p->rules);
    free(p);
}

p11tee_status api_policy_for_model(api_policy *pol, const char *model, api_policy **out,
                                   p11tee_error *err)
{
    attest_policy *rules = NULL;
    p11tee_status rc = attest_policy_for_model(pol->rules, model, &rules, err);

    *out = NULL;
    if (rc != P11TEE_OK)
        return rc;
    if (rules == NULL) {
        *out = api_policy_ref(pol);
        return P11TEE_OK;
    }
    return api_policy_new(rules, out, err);
}

int api_policy_tee_chat_requires_attestation(api_policy *pol, const char *model)
{
    api_policy *m = NULL;
    int requires = 1; /* a section that cannot be applied: attest, the safe side */

    if (api_policy_for_model(pol, model, &m, NULL) == P11TEE_OK)
    requires = m->rules->tee_chat_requires_attestation;
    api_policy_free(m);
    return requires;
}
