/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * p11tee_config_check(): every local setting, checked before anything is
 * sent, so that a typo costs no request, no attestation and no prompt.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"
#include "hsm/hsm.h"
#include "net/net.h"

p11tee_status p11tee_config_check(const p11tee_config *cfg, unsigned what, p11tee_error *err)
{
    attest_policy *rules = NULL;
    net_client *net = NULL;
    net_options o;
    hsm_config hc;
    p11tee_status rc;

    p11tee_error_clear(err);
    rc = api_policy_load(cfg->policy_file, &rules, err);
    attest_policy_free(rules);
    if (rc != P11TEE_OK)
        return rc;
    /* The network client checks the URL, the proxy and the CA file; it connects nowhere. */
    api_net_options(cfg, &o);
    rc = net_client_new(&o, &net, err);
    net_client_free(net);
    if (rc != P11TEE_OK)
        return rc;
    if ((what & P11TEE_CHECK_API_KEY) && (cfg->api_key == NULL || cfg->api_key[0] == '\0'))
        return err_set(err, P11TEE_E_API_KEY_MISSING,
                       "no API key is configured: the server wants one with every request");
    if (what & P11TEE_CHECK_TOKEN) {
        rc = api_hsm_config(cfg, "an E2EE chat", &hc, err);
        if (rc == P11TEE_OK)
            rc = hsm_config_probe(&hc, err);
    }
    return rc;
}
