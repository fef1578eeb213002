/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The token settings of a configuration (PIN prompt, warnings, how messages
 * name the settings, the final PIN try) and how the hsm layer takes them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "hsm/hsm.h"

void p11tee_config_set_pin_prompt(p11tee_config *cfg, p11tee_pin_prompt_fn fn, void *userdata)
{
    cfg->tok.pin_prompt = fn;
    cfg->tok.pin_prompt_ud = userdata;
}

void p11tee_config_set_warn(p11tee_config *cfg, p11tee_log_fn fn, void *userdata)
{
    cfg->tok.warn = fn;
    cfg->tok.warn_ud = userdata;
}

/* The origin field of `option`, or NULL. */
static char **origin_field(api_token_config *tok, const char *option)
{
    if (strcmp(option, "pkcs11-module") == 0)
        return &tok->module_origin;
    if (strcmp(option, "pkcs11-token") == 0)
        return &tok->token_origin;
    if (strcmp(option, "force-final-pin-try") == 0)
        return &tok->force_origin;
    return NULL;
}

p11tee_status p11tee_config_set_origin(p11tee_config *cfg, const char *option, const char *origin,
                                       p11tee_error *err)
{
    char **field = option != NULL ? origin_field(&cfg->tok, option) : NULL;
    char *copy = NULL;

    if (field == NULL)
        return err_set(err, P11TEE_E_CONFIG,
                       "no origin can be set for \"%s\" (pkcs11-module, pkcs11-token and "
                       "force-final-pin-try have one)",
                       option != NULL ? option : "(null)");
    if (origin != NULL && (copy = strdup(origin)) == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    free(*field);
    *field = copy;
    return P11TEE_OK;
}

int api_token_option_is_set(p11tee_config *cfg, const char *name, const char *value,
                            p11tee_status *rc, p11tee_error *err)
{
    if (strcmp(name, "force-final-pin-try") != 0)
        return 0;
    if (value != NULL && strcmp(value, "0") != 0 && strcmp(value, "1") != 0)
        *rc = err_set(err, P11TEE_E_CONFIG, "%s must be 0 or 1", name);
    else
        *rc = P11TEE_OK;
    if (*rc == P11TEE_OK)
        cfg->tok.force_final_pin_try = value != NULL && strcmp(value, "1") == 0;
    return 1;
}

p11tee_status api_token_config_copy(const api_token_config *src, api_token_config *dst)
{
    const char *const from[] = {src->module_origin, src->token_origin, src->force_origin};
    char **to[] = {&dst->module_origin, &dst->token_origin, &dst->force_origin};
    size_t i;
    int ok = 1;

    *dst = *src;
    for (i = 0; i < P11TEE_ARRAY_LEN(to); i++) {
        *to[i] = from[i] != NULL ? strdup(from[i]) : NULL;
        ok &= from[i] == NULL || *to[i] != NULL;
    }
    if (!ok) {
        api_token_config_clear(dst);
        return P11TEE_E_NOMEM;
    }
    return P11TEE_OK;
}

void api_token_config_clear(api_token_config *tok)
{
    free(tok->module_origin);
    free(tok->token_origin);
    free(tok->force_origin);
    memset(tok, 0, sizeof(*tok));
}

p11tee_status api_hsm_config(const p11tee_config *cfg, const char *purpose, hsm_config *hc,
                             p11tee_error *err)
{
    memset(hc, 0, sizeof(*hc));
    if (cfg->token == NULL)
        return err_set(err, P11TEE_E_CONFIG,
                       "%s needs a PKCS#11 token: name it and its module "
                       "(--token/--module or P11TEE_TOKEN/P11TEE_MODULE; the module may be "
                       "module-path= in the token URI)",
                       purpose);
    hc->module = cfg->module;
    hc->token = cfg->token;
    hc->pin = cfg->pin;
    hc->module_word = cfg->tok.module_origin;
    hc->token_word = cfg->tok.token_origin;
    hc->force_word = cfg->tok.force_origin;
    hc->force_final_pin_try = cfg->tok.force_final_pin_try;
    hc->pin_prompt = cfg->tok.pin_prompt;
    hc->pin_prompt_arg = cfg->tok.pin_prompt_ud;
    hc->warn = cfg->tok.warn;
    hc->warn_arg = cfg->tok.warn_ud;
    return P11TEE_OK;
}
