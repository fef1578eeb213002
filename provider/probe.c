/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The configuration probe: what can be known about a token configuration
 * without initialising the module or logging in. The URI parses, the module
 * it names is found and loads, and a pin-source file is readable by its
 * owner only. Programs run it before their first network request, so that
 * a typo in the configuration costs no attestation and no prompt.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "token.h"

static prov_status probe_uri(const prov_ctx *ctx, const prov_uri *uri, prov_err *e)
{
    char *path = NULL, *pin = NULL;
    prov_status rc = prov_module_locate(ctx, uri, &path, e);

    if (rc == PROV_R_OK)
        rc = prov_module_probe(ctx, path, e);
    free(path);
    /* Only a named PIN file is read: $P11TEE_PIN, a pin pad or the prompt come later. */
    if (rc == PROV_R_OK && uri->pin_source != NULL &&
        prov_pin_resolve(uri, NULL, &pin, e->msg, sizeof(e->msg)) != PROV_PIN_OK)
        rc = e->reason = PROV_R_PIN_SOURCE;
    prov_pin_free(pin);
    return rc;
}

int prov_config_probe(const prov_builtin_config *cfg, char *why, size_t whylen)
{
    prov_ctx ctx;
    prov_uri uri;
    prov_err e;
    prov_status rc;

    memset(&ctx, 0, sizeof(ctx));
    memset(&e, 0, sizeof(e));
    ctx.module_path = (char *)cfg->module;
    ctx.module_word = (char *)(cfg->module_word != NULL ? cfg->module_word : PROV_PARAM_MODULE);
    ctx.token_word = (char *)(cfg->token_word != NULL ? cfg->token_word : PROV_PARAM_TOKEN);
    if (cfg->token == NULL) {
        rc = prov_err_set(&e, PROV_R_CONFIG,
                          "%s is not configured: name the token (an RFC 7512 URI or its label)",
                          ctx.token_word);
    } else if (prov_uri_parse(cfg->token, &uri, e.msg, sizeof(e.msg)) != PROV_R_OK) {
        size_t n = strlen(e.msg);

        snprintf(e.msg + n, sizeof(e.msg) - n, " in %s", ctx.token_word);
        rc = PROV_R_TOKEN_URI;
    } else {
        rc = probe_uri(&ctx, &uri, &e);
        prov_uri_clear(&uri);
    }
    snprintf(why, whylen, "%s", rc == PROV_R_OK ? "" : e.msg);
    return rc;
}
