/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* The configuration: options by name, and the deep copy a client keeps. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

p11tee_config *p11tee_config_new(void)
{
    p11tee_config *cfg = calloc(1, sizeof(*cfg));

    if (cfg == NULL)
        return NULL;
    cfg->connect_timeout_ms = 10000;
    cfg->idle_timeout_ms = 60000;
    cfg->session_ttl_s = 600;
    return cfg;
}

void api_config_clear(p11tee_config *cfg)
{
    free(cfg->base_url);
    secmem_free(cfg->api_key); /* secrets live in secret memory (src/common/secmem.c) */
    free(cfg->module);
    secmem_free(cfg->token); /* a URI may carry pin-value */
    secmem_free(cfg->pin);
    free(cfg->policy_file);
    free(cfg->cacert);
    free(cfg->aci_report_url);
    free(cfg->proxy);
    free(cfg->collateral_url);
    free(cfg->collateral_root_crl_url);
    free(cfg->collateral_cache);
    api_token_config_clear(&cfg->tok);
    memset(cfg, 0, sizeof(*cfg));
}

void p11tee_config_free(p11tee_config *cfg)
{
    if (cfg == NULL)
        return;
    api_config_clear(cfg);
    free(cfg);
}

static const struct {
    const char *name;
    size_t offset;
    int secret;
} api_string_options[] = {
    {"base-url", offsetof(p11tee_config, base_url), 0},
    {"api-key", offsetof(p11tee_config, api_key), 1},
    {"pkcs11-module", offsetof(p11tee_config, module), 0},
    {"pkcs11-token", offsetof(p11tee_config, token), 1},
    {"pin", offsetof(p11tee_config, pin), 1},
    {"policy-file", offsetof(p11tee_config, policy_file), 0},
    {"cacert", offsetof(p11tee_config, cacert), 0},
    {"aci-report-url", offsetof(p11tee_config, aci_report_url), 0},
    {"proxy", offsetof(p11tee_config, proxy), 0},
    {"collateral-url", offsetof(p11tee_config, collateral_url), 0},
    {"collateral-root-crl-url", offsetof(p11tee_config, collateral_root_crl_url), 0},
    {"collateral-cache", offsetof(p11tee_config, collateral_cache), 0},
};

static const struct {
    const char *name;
    size_t offset;
    long max;
} api_number_options[] = {
    {"connect-timeout-ms", offsetof(p11tee_config, connect_timeout_ms), 86400000L},
    {"idle-timeout-ms", offsetof(p11tee_config, idle_timeout_ms), 86400000L},
    {"timeout-ms", offsetof(p11tee_config, timeout_ms), 86400000L},
    {"session-ttl-s", offsetof(p11tee_config, session_ttl_s), 86400L},
    {"token-workers", offsetof(p11tee_config, token_workers), 1024L},
    {"connections", offsetof(p11tee_config, connections), 1024L},
    {"stream-threads", offsetof(p11tee_config, stream_threads), P11TEE_STREAM_THREADS_MAX},
};

static const struct {
    const char *name;
    size_t offset;
} api_flag_options[] = {
    {"allow-plaintext", offsetof(p11tee_config, allow_plaintext)},
    {"record-exchange", offsetof(p11tee_config, record_exchange)},
    {"require-e2ee", offsetof(p11tee_config, require_e2ee)},
    {"tee-only", offsetof(p11tee_config, tee_only)},
};

static p11tee_status api_set_number(p11tee_config *cfg, size_t i, const char *value,
                                    p11tee_error *err)
{
    long *field = (long *)((char *)cfg + api_number_options[i].offset);
    char *end;
    long v;

    errno = 0;
    v = strtol(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || v < 0 || v > api_number_options[i].max)
        return err_set(err, P11TEE_E_CONFIG, "%s must be a whole number from 0 to %ld, not \"%s\"",
                       api_number_options[i].name, api_number_options[i].max, value);
    *field = v;
    return P11TEE_OK;
}

static p11tee_status api_set_flag(const char *name, const char *value, int *flag, p11tee_error *err)
{
    if (value != NULL && strcmp(value, "0") != 0 && strcmp(value, "1") != 0)
        return err_set(err, P11TEE_E_CONFIG, "%s must be 0 or 1", name);
    *flag = value != NULL && strcmp(value, "1") == 0;
    return P11TEE_OK;
}

p11tee_status p11tee_config_set(p11tee_config *cfg, const char *name, const char *value,
                                p11tee_error *err)
{
    p11tee_status rc;
    size_t i;

    for (i = 0; i < P11TEE_ARRAY_LEN(api_string_options); i++) {
        char **field = (char **)((char *)cfg + api_string_options[i].offset);
        char *copy = NULL;

        if (strcmp(name, api_string_options[i].name) != 0)
            continue;
        if (value != NULL &&
            (copy = api_string_options[i].secret ? secmem_strdup(value) : strdup(value)) == NULL)
            return err_set(err, P11TEE_E_NOMEM, "out of memory");
        if (api_string_options[i].secret)
            secmem_free(*field);
        else
            free(*field);
        *field = copy;
        return P11TEE_OK;
    }
    for (i = 0; i < P11TEE_ARRAY_LEN(api_number_options); i++)
        if (strcmp(name, api_number_options[i].name) == 0)
            return api_set_number(cfg, i, value != NULL ? value : "0", err);
    for (i = 0; i < P11TEE_ARRAY_LEN(api_flag_options); i++)
        if (strcmp(name, api_flag_options[i].name) == 0)
            return api_set_flag(name, value, (int *)((char *)cfg + api_flag_options[i].offset),
                                err);
    if (api_token_option_is_set(cfg, name, value, &rc, err))
        return rc;
    return err_set(err, P11TEE_E_CONFIG, "unknown configuration option \"%s\"", name);
}

void p11tee_config_set_log(p11tee_config *cfg, p11tee_log_fn fn, void *userdata)
{
    cfg->log = fn;
    cfg->log_ud = userdata;
}

void p11tee_config_set_turn_end(p11tee_config *cfg, p11tee_turn_fn fn, void *userdata)
{
    cfg->turn_end = fn;
    cfg->turn_ud = userdata;
}

/* A copy; `secret` ones go to secret memory. Clears *ok when out of memory. */
static char *api_dup(const char *s, int secret, int *ok)
{
    char *d = s == NULL ? NULL : secret ? secmem_strdup(s) : strdup(s);

    if (s != NULL && d == NULL)
        *ok = 0;
    return d;
}

p11tee_status api_config_copy(const p11tee_config *src, p11tee_config *dst, p11tee_error *err)
{
    int ok = 1;

    *dst = *src;
    dst->base_url = api_dup(src->base_url, 0, &ok);
    dst->api_key = api_dup(src->api_key, 1, &ok);
    dst->module = api_dup(src->module, 0, &ok);
    dst->token = api_dup(src->token, 1, &ok);
    dst->pin = api_dup(src->pin, 1, &ok);
    dst->policy_file = api_dup(src->policy_file, 0, &ok);
    dst->cacert = api_dup(src->cacert, 0, &ok);
    dst->aci_report_url = api_dup(src->aci_report_url, 0, &ok);
    dst->proxy = api_dup(src->proxy, 0, &ok);
    dst->collateral_url = api_dup(src->collateral_url, 0, &ok);
    dst->collateral_root_crl_url = api_dup(src->collateral_root_crl_url, 0, &ok);
    dst->collateral_cache = api_dup(src->collateral_cache, 0, &ok);
    ok &= api_token_config_copy(&src->tok, &dst->tok) == P11TEE_OK;
    if (!ok) {
        api_config_clear(dst);
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    }
    return P11TEE_OK;
}
