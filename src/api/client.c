/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The client: a deep copy of the configuration, the network client, the
 * policy, and what it learns on first use (the token, the model list, the
 * session cache; struct p11tee_client in api.h states the lock contract).
 * It sits above everything else in this layer: nothing here is called back
 * from below.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "hsm/hsm.h"
#include "net/net.h"

const char *p11tee_version(void)
{
    return PACKAGE_VERSION;
}

static void client_net_log(void *ctx, const char *line)
{
    const p11tee_client *c = ctx;

    c->cfg.log(c->cfg.log_ud, line);
}

static p11tee_status client_net_new(p11tee_client *c, p11tee_error *err)
{
    net_options o;

    api_net_options(&c->cfg, &o);
    o.log = c->cfg.log != NULL ? client_net_log : NULL;
    o.log_ctx = c;
    return net_client_new(&o, &c->net, err);
}

/*
 * The native ACI report lives on the gateway operator's own host: a client
 * of its own, which never carries the API key (the report is public and the
 * host is not Venice's). The URL is split into its origin and path.
 */
static p11tee_status client_aci_new(p11tee_client *c, p11tee_error *err)
{
    const char *url = c->cfg.aci_report_url, *scheme, *path;
    char origin[512];
    net_options o;

    if (url == NULL)
        return P11TEE_OK;
    scheme = strstr(url, "://");
    path = scheme != NULL ? strchr(scheme + 3, '/') : NULL;
    if (path == NULL || strpbrk(url, "?#") != NULL || (size_t)(path - url) >= sizeof(origin) ||
        strlen(path) >= sizeof(c->aci_path))
        return err_set(err, P11TEE_E_CONFIG,
                       "aci-report-url must be a URL with a path and without a query, such as "
                       "https://gateway.example/v1/aci/attestation");
    snprintf(origin, sizeof(origin), "%.*s", (int)(path - url), url);
    snprintf(c->aci_path, sizeof(c->aci_path), "%s", path);
    memset(&o, 0, sizeof(o));
    o.base_url = origin;
    o.ca_file = c->cfg.cacert;
    o.connect_timeout_ms = c->cfg.connect_timeout_ms;
    o.idle_timeout_ms = c->cfg.idle_timeout_ms;
    o.total_timeout_ms = c->cfg.timeout_ms;
    o.log = c->cfg.log != NULL ? client_net_log : NULL;
    o.log_ctx = c;
    return net_client_new(&o, &c->aci_net, err);
}

p11tee_status p11tee_client_new(const p11tee_config *cfg, p11tee_client **out, p11tee_error *err)
{
    p11tee_client *c;
    attest_policy *rules = NULL;
    p11tee_status rc;

    *out = NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    rc = api_config_copy(cfg, &c->cfg, err);
    if (rc != P11TEE_OK) {
        free(c);
        return rc;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->landed, NULL);
    api_gate_init(&c->token_gate, c->cfg.token_workers);
    rc = api_policy_load(c->cfg.policy_file, &rules, err);
    if (rc == P11TEE_OK)
        rc = api_policy_new(rules, &c->policy, err);
    if (rc == P11TEE_OK)
        rc = client_net_new(c, err);
    if (rc == P11TEE_OK)
        rc = client_aci_new(c, err);
    if (rc != P11TEE_OK) {
        p11tee_client_free(c);
        return rc;
    }
    api_log(c, "* policy: %s", c->policy->rules->source);
    *out = c;
    return P11TEE_OK;
}

void p11tee_client_free(p11tee_client *c)
{
    if (c == NULL)
        return;
    /* Sessions first: their keys live in the token, which closes after them. */
    api_sessions_clear(c);
    api_model_list_free(&c->models);
    hsm_ctx_free(c->hsm);
    net_client_free(c->net);
    net_client_free(c->aci_net);
    api_policy_free(c->policy);
    api_config_clear(&c->cfg);
    pthread_cond_destroy(&c->landed);
    pthread_mutex_destroy(&c->lock);
    api_gate_destroy(&c->token_gate);
    free(c);
}
