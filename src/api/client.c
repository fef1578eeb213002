/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Configuration, the client, model capabilities and the session cache.
 * The token is opened at the first E2EE chat, so that listing models or
 * attesting needs no token.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api/api.h"
#include "e2ee/e2ee.h"
#include "hsm/hsm.h"
#include "net/net.h"

#define API_DEFAULT_BASE_URL "https://api.venice.ai/api/v1"

const char *p11tee_version(void)
{
    return PACKAGE_VERSION;
}

/* ---- configuration --------------------------------------------------------- */

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

static void api_secret_free(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

void api_config_clear(p11tee_config *cfg)
{
    free(cfg->base_url);
    api_secret_free(cfg->api_key);
    free(cfg->module);
    api_secret_free(cfg->token); /* a URI may carry pin-value */
    free(cfg->policy_file);
    free(cfg->cacert);
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
    {"policy-file", offsetof(p11tee_config, policy_file), 0},
    {"cacert", offsetof(p11tee_config, cacert), 0},
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
    size_t i;

    for (i = 0; i < P11TEE_ARRAY_LEN(api_string_options); i++) {
        char **field = (char **)((char *)cfg + api_string_options[i].offset);
        char *copy = NULL;

        if (strcmp(name, api_string_options[i].name) != 0)
            continue;
        if (value != NULL && (copy = strdup(value)) == NULL)
            return err_set(err, P11TEE_E_NOMEM, "out of memory");
        if (api_string_options[i].secret)
            api_secret_free(*field);
        else
            free(*field);
        *field = copy;
        return P11TEE_OK;
    }
    for (i = 0; i < P11TEE_ARRAY_LEN(api_number_options); i++)
        if (strcmp(name, api_number_options[i].name) == 0)
            return api_set_number(cfg, i, value != NULL ? value : "0", err);
    if (strcmp(name, "allow-plaintext") == 0)
        return api_set_flag(name, value, &cfg->allow_plaintext, err);
    if (strcmp(name, "record-exchange") == 0)
        return api_set_flag(name, value, &cfg->record_exchange, err);
    if (strcmp(name, "require-e2ee") == 0)
        return api_set_flag(name, value, &cfg->require_e2ee, err);
    return err_set(err, P11TEE_E_CONFIG, "unknown configuration option \"%s\"", name);
}

void p11tee_config_set_log(p11tee_config *cfg, p11tee_log_fn fn, void *userdata)
{
    cfg->log = fn;
    cfg->log_ud = userdata;
}

static char *api_dup(const char *s, int *ok)
{
    char *d = s != NULL ? strdup(s) : NULL;

    if (s != NULL && d == NULL)
        *ok = 0;
    return d;
}

p11tee_status api_config_copy(const p11tee_config *src, p11tee_config *dst, p11tee_error *err)
{
    int ok = 1;

    *dst = *src;
    dst->base_url = api_dup(src->base_url, &ok);
    dst->api_key = api_dup(src->api_key, &ok);
    dst->module = api_dup(src->module, &ok);
    dst->token = api_dup(src->token, &ok);
    dst->policy_file = api_dup(src->policy_file, &ok);
    dst->cacert = api_dup(src->cacert, &ok);
    if (!ok) {
        api_config_clear(dst);
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    }
    return P11TEE_OK;
}

/* ---- client ------------------------------------------------------------------ */

void api_log(const p11tee_client *c, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (c->cfg.log == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    c->cfg.log(c->cfg.log_ud, line);
}

static void api_net_log(void *ctx, const char *line)
{
    const p11tee_client *c = ctx;

    c->cfg.log(c->cfg.log_ud, line);
}

static p11tee_status api_net_new(p11tee_client *c, p11tee_error *err)
{
    net_options o;

    memset(&o, 0, sizeof(o));
    o.base_url = c->cfg.base_url != NULL ? c->cfg.base_url : API_DEFAULT_BASE_URL;
    o.api_key = c->cfg.api_key;
    o.ca_file = c->cfg.cacert;
    o.connect_timeout_ms = c->cfg.connect_timeout_ms;
    o.idle_timeout_ms = c->cfg.idle_timeout_ms;
    o.total_timeout_ms = c->cfg.timeout_ms;
    o.log = c->cfg.log != NULL ? api_net_log : NULL;
    o.log_ctx = c;
    return net_client_new(&o, &c->net, err);
}

p11tee_status p11tee_client_new(const p11tee_config *cfg, p11tee_client **out, p11tee_error *err)
{
    p11tee_client *c;
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
    rc = c->cfg.policy_file != NULL ? attest_policy_load(c->cfg.policy_file, &c->policy, err)
                                    : attest_policy_default(&c->policy, err);
    if (rc == P11TEE_OK)
        rc = api_net_new(c, err);
    if (rc != P11TEE_OK) {
        p11tee_client_free(c);
        return rc;
    }
    api_log(c, "* policy: %s", c->policy->source);
    *out = c;
    return P11TEE_OK;
}

void p11tee_client_free(p11tee_client *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < API_SESSIONS_MAX; i++) {
        api_session *s = c->sessions[i];

        c->sessions[i] = NULL;
        api_session_release(c, s);
    }
    api_model_list_free(&c->models);
    hsm_ctx_free(c->hsm);
    net_client_free(c->net);
    attest_policy_free(c->policy);
    api_config_clear(&c->cfg);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* ---- models ------------------------------------------------------------------ */

struct p11tee_models {
    api_model_list list;
};

static p11tee_status api_get_models(p11tee_client *c, const char *type, api_model_list *out,
                                    p11tee_error *err)
{
    char path[160], esc[96];
    net_request req;
    net_response resp;
    p11tee_status rc;

    if (type != NULL && !api_query_escape(type, esc, sizeof(esc)))
        return err_set(err, P11TEE_E_INVALID_ARG, "model type is too long");
    snprintf(path, sizeof(path), "/models%s%s", type ? "?type=" : "", type ? esc : "");
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = path;
    rc = net_perform(c->net, &req, &resp, err);
    if (rc == P11TEE_OK)
        rc = api_parse_models((const char *)resp.body.data, resp.body.len, out, err);
    net_response_free(&resp);
    return rc;
}

p11tee_status p11tee_models_fetch(p11tee_client *client, const char *type, p11tee_models **out,
                                  p11tee_error *err)
{
    p11tee_models *m = calloc(1, sizeof(*m));
    p11tee_status rc;

    *out = NULL;
    if (m == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    rc = api_get_models(client, type, &m->list, err);
    if (rc != P11TEE_OK) {
        free(m);
        return rc;
    }
    *out = m;
    return P11TEE_OK;
}

size_t p11tee_models_count(const p11tee_models *models)
{
    return models->list.count;
}

int p11tee_models_get(const p11tee_models *models, size_t index, p11tee_model_info *info)
{
    const api_model *m;

    if (index >= models->list.count)
        return -1;
    m = &models->list.items[index];
    info->id = m->id.p;
    info->type = m->type.p;
    info->name = m->name.p;
    info->e2ee = m->supports_e2ee;
    info->tee = m->supports_tee;
    info->context_tokens = (long long)m->context_tokens;
    return 0;
}

const char *p11tee_models_json(const p11tee_models *models, size_t index)
{
    if (index >= models->list.count)
        return NULL;
    return json_object_to_json_string_ext(models->list.items[index].json,
                                          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

void p11tee_models_free(p11tee_models *models)
{
    if (models == NULL)
        return;
    api_model_list_free(&models->list);
    free(models);
}

p11tee_status api_model_caps(p11tee_client *c, const char *model, int *e2ee, int *tee,
                             p11tee_error *err)
{
    const api_model *m;
    p11tee_status rc = P11TEE_OK;

    pthread_mutex_lock(&c->lock);
    if (!c->have_models) {
        rc = api_get_models(c, NULL, &c->models, err);
        c->have_models = rc == P11TEE_OK;
    }
    m = rc == P11TEE_OK ? api_model_find(&c->models, model) : NULL;
    if (m != NULL) {
        *e2ee = m->supports_e2ee;
        *tee = m->supports_tee;
    }
    pthread_mutex_unlock(&c->lock);
    if (rc == P11TEE_OK && m == NULL)
        rc = err_set(err, P11TEE_E_MODEL_NOT_FOUND,
                     "model %s is not in the server's model list (see p11tee models)", model);
    return rc;
}

/* ---- token ------------------------------------------------------------------- */

p11tee_status api_hsm(p11tee_client *c, hsm_ctx **out, p11tee_error *err)
{
    hsm_config hc;
    p11tee_status rc = P11TEE_OK;

    pthread_mutex_lock(&c->lock);
    if (c->hsm == NULL) {
        hc.module = c->cfg.module;
        hc.token = c->cfg.token;
        if (hc.module == NULL || hc.token == NULL)
            rc = err_set(err, P11TEE_E_CONFIG,
                         "E2EE needs a PKCS#11 token: give the module and the token "
                         "(--module/--token or P11TEE_MODULE/P11TEE_TOKEN)");
        else
            rc = hsm_ctx_new(&hc, &c->hsm, err);
        if (rc == P11TEE_OK)
            api_log(c, "* token opened (module %s)", hc.module);
    }
    *out = c->hsm;
    pthread_mutex_unlock(&c->lock);
    return rc;
}

/* ---- sessions ---------------------------------------------------------------- */

/* Seconds on a clock nobody can set back: a session's TTL must not be stretched. */
static time_t api_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static void api_session_free(api_session *s)
{
    e2ee_session_free(s->e2ee);
    p11tee_attestation_free(s->att);
    free(s);
}

void api_session_release(p11tee_client *c, api_session *s)
{
    unsigned left;

    if (s == NULL)
        return;
    pthread_mutex_lock(&c->lock);
    left = --s->refs;
    pthread_mutex_unlock(&c->lock);
    if (left == 0)
        api_session_free(s);
}

void api_session_invalidate(p11tee_client *c, api_session *s)
{
    size_t i;
    int dropped = 0;

    pthread_mutex_lock(&c->lock);
    for (i = 0; i < API_SESSIONS_MAX; i++)
        if (c->sessions[i] == s) {
            c->sessions[i] = NULL;
            dropped = 1;
        }
    if (dropped)
        s->refs--; /* the cache's reference; the caller still holds one */
    pthread_mutex_unlock(&c->lock);
}

/* A live cached session for `model` with one more reference, or NULL. */
static api_session *api_session_lookup(p11tee_client *c, const char *model, int e2ee)
{
    time_t now = api_now();
    api_session *found = NULL, *expired[API_SESSIONS_MAX];
    size_t i, n = 0;

    pthread_mutex_lock(&c->lock);
    for (i = 0; i < API_SESSIONS_MAX; i++) {
        api_session *s = c->sessions[i];

        if (s == NULL || strcmp(s->model, model) != 0 || (s->e2ee != NULL) != e2ee)
            continue;
        if (now - s->created >= c->cfg.session_ttl_s) {
            c->sessions[i] = NULL;
            if (--s->refs == 0)
                expired[n++] = s;
            continue;
        }
        s->refs++;
        found = s;
        break;
    }
    pthread_mutex_unlock(&c->lock);
    for (i = 0; i < n; i++)
        api_session_free(expired[i]);
    return found;
}

/* Put `s` into the cache (it gains the cache's reference); evicts the oldest. */
static void api_session_store(p11tee_client *c, api_session *s)
{
    api_session *evicted = NULL;
    size_t i, slot = 0;

    pthread_mutex_lock(&c->lock);
    for (i = 0; i < API_SESSIONS_MAX; i++) {
        if (c->sessions[i] == NULL) {
            slot = i;
            break;
        }
        if (c->sessions[i]->created < c->sessions[slot]->created)
            slot = i;
    }
    if (c->sessions[slot] != NULL && --c->sessions[slot]->refs == 0)
        evicted = c->sessions[slot];
    s->refs++;
    c->sessions[slot] = s;
    pthread_mutex_unlock(&c->lock);
    if (evicted != NULL)
        api_session_free(evicted);
}

static p11tee_status api_session_create(p11tee_client *c, const char *model, int e2ee,
                                        api_session **out, p11tee_error *err)
{
    api_session *s = calloc(1, sizeof(*s));
    const char *key;
    hsm_ctx *hsm = NULL;
    p11tee_status rc;

    if (s == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    snprintf(s->model, sizeof(s->model), "%s", model);
    s->refs = 1;
    /* Nothing that depends on the attestation happens before its verdict. */
    rc = api_attest_model(c, model, &s->att, err);
    if (rc == P11TEE_OK && e2ee)
        rc = api_hsm(c, &hsm, err);
    if (rc == P11TEE_OK && e2ee) {
        key = p11tee_attestation_get(s->att, "signing_key");
        rc = e2ee_session_new(hsm, model, (strview){key, key ? strlen(key) : 0}, &s->e2ee, err);
    }
    if (rc != P11TEE_OK) {
        api_session_free(s);
        return rc;
    }
    s->created = api_now();
    api_log(c, "* %s session for %s ready%s", e2ee ? "E2EE" : "TEE", model,
            e2ee ? "; session key generated in the token" : "");
    *out = s;
    return P11TEE_OK;
}

p11tee_status api_session_get(p11tee_client *c, const char *model, int e2ee, api_session **out,
                              p11tee_error *err)
{
    p11tee_status rc;

    *out = api_session_lookup(c, model, e2ee);
    if (*out != NULL) {
        api_log(c, "* reusing the attested session for %s", model);
        return P11TEE_OK;
    }
    rc = api_session_create(c, model, e2ee, out, err);
    if (rc == P11TEE_OK)
        api_session_store(c, *out);
    return rc;
}

int api_query_escape(const char *in, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (; *in != '\0'; in++) {
        unsigned char ch = (unsigned char)*in;
        int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~';

        if (o + (plain ? 1 : 3) >= cap)
            return 0;
        if (plain) {
            out[o++] = (char)ch;
        } else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = '\0';
    return 1;
}
