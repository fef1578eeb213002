/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Per-model sections of a policy (docs/policy.md, "models"):
 *   "models": {"e2ee-glm-5": {"checks": {...}, "tdx": {...},
 *                             "tee_chat_requires_attestation": false}}
 * Each section is kept as text and applied, when that model is judged, on
 * top of a copy of the file's defaults: its check rules come after the
 * file's (so they win ties), and each tdx member it names (a pin, an event,
 * the accepted TCB statuses, the collateral) replaces the defaults'. Every
 * section is applied once while the policy is read, so a bad one is refused
 * before anything is sent.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/policy.h"

/* A model's section may set these; the rest (presets, roots, version) is the file's. */
static int section_key_ok(const char *key)
{
    return strcmp(key, "checks") == 0 || strcmp(key, "tdx") == 0 ||
           strcmp(key, "tee_chat_requires_attestation") == 0;
}

static char *dup_or_null(const char *s, size_t len, int *failed)
{
    char *d;

    if (s == NULL)
        return NULL;
    d = malloc(len + 1);
    if (d == NULL) {
        *failed = 1;
        return NULL;
    }
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

/* A deep copy of `p` without its sections (a model's policy has none of its own). */
static attest_policy *policy_clone(const attest_policy *p)
{
    attest_policy *c = malloc(sizeof(*c));
    int failed = 0;

    if (c == NULL)
        return NULL;
    *c = *p;
    c->models = NULL;
    c->nmodels = 0;
    c->tdx_test_roots = dup_or_null(p->tdx_test_roots, p->tdx_test_roots_len, &failed);
    c->nvidia_test_roots = dup_or_null(p->nvidia_test_roots, p->nvidia_test_roots_len, &failed);
    c->tdx_test_root_files =
        dup_or_null(p->tdx_test_root_files,
                    p->tdx_test_root_files != NULL ? strlen(p->tdx_test_root_files) : 0, &failed);
    c->nvidia_test_root_files = dup_or_null(
        p->nvidia_test_root_files,
        p->nvidia_test_root_files != NULL ? strlen(p->nvidia_test_root_files) : 0, &failed);
    c->collateral = dup_or_null(p->collateral, p->collateral_len, &failed);
    c->collateral_cache =
        dup_or_null(p->collateral_cache,
                    p->collateral_cache != NULL ? strlen(p->collateral_cache) : 0, &failed);
    c->base_dir = dup_or_null(p->base_dir, p->base_dir != NULL ? strlen(p->base_dir) : 0, &failed);
    if (failed) {
        attest_policy_free(c);
        return NULL;
    }
    return c;
}

/* The section's members on top of `p`. */
static p11tee_status section_apply(attest_policy *p, json_object *section, p11tee_error *err)
{
    json_object_iter it, t;
    p11tee_status rc = P11TEE_OK;

    json_object_object_foreachC(section, it)
    {
        if (!section_key_ok(it.key))
            return err_set(err, P11TEE_E_POLICY,
                           "%s cannot be set per model (checks, tdx, "
                           "tee_chat_requires_attestation can)",
                           it.key);
        if (strcmp(it.key, "tdx") == 0 && json_object_is_type(it.val, json_type_object)) {
            json_object_object_foreachC(it.val, t)
            {
                policy_tdx_forget(p, t.key, t.val);
                rc = policy_tdx_member(p, t.key, t.val, p->base_dir, err);
                if (rc != P11TEE_OK)
                    return rc;
            }
            continue;
        }
        rc = policy_member(p, it.key, it.val, p->base_dir, err);
        if (rc != P11TEE_OK)
            return rc;
    }
    return P11TEE_OK;
}

/* "models.NAME: " before the message, so that the file's error names the section. */
static p11tee_status section_error(p11tee_error *err, const char *model, p11tee_status rc)
{
    char msg[sizeof(err->message) + ATTEST_MODEL_NAME_MAX + 16];
    size_t n;

    if (err == NULL || rc == P11TEE_E_NOMEM)
        return rc;
    snprintf(msg, sizeof(msg), "models.%s: %s", model, err->message);
    n = strlen(msg) < sizeof(err->message) ? strlen(msg) : sizeof(err->message) - 1;
    memcpy(err->message, msg, n);
    err->message[n] = '\0';
    return rc;
}

static p11tee_status policy_derive(const attest_policy *base, const attest_model_section *s,
                                   attest_policy **out, p11tee_error *err)
{
    json_object *section = NULL;
    attest_policy *p;
    p11tee_status rc;
    size_t n;

    *out = NULL;
    rc = sjson_parse(s->json, strlen(s->json), POLICY_FILE_MAX, "policy section", &section, err);
    if (rc != P11TEE_OK)
        return rc;
    p = policy_clone(base);
    rc = p != NULL ? section_apply(p, section, err) : err_set(err, P11TEE_E_NOMEM, "out of memory");
    json_object_put(section);
    if (rc != P11TEE_OK) {
        attest_policy_free(p);
        return section_error(err, s->model, rc);
    }
    snprintf(p->model, sizeof(p->model), "%s", s->model);
    n = strlen(p->source);
    if (n + strlen(" (models.)") + strlen(s->model) < sizeof(p->source))
        snprintf(p->source + n, sizeof(p->source) - n, " (models.%s)", s->model);
    *out = p;
    return P11TEE_OK;
}

p11tee_status attest_policy_for_model(const attest_policy *base, const char *model,
                                      attest_policy **out, p11tee_error *err)
{
    size_t i;

    *out = NULL;
    for (i = 0; model != NULL && i < base->nmodels; i++)
        if (strcmp(base->models[i].model, model) == 0)
            return policy_derive(base, &base->models[i], out, err);
    return P11TEE_OK;
}

/* Keep one section, after checking its shape. */
static p11tee_status section_keep(attest_policy *p, const char *model, json_object *v,
                                  p11tee_error *err)
{
    attest_model_section *s = &p->models[p->nmodels];
    const char *text;

    if (model[0] == '\0' || strlen(model) >= sizeof(s->model))
        return err_set(err, P11TEE_E_POLICY, "models: a model id of 1 to %d characters",
                       ATTEST_MODEL_NAME_MAX - 1);
    if (!json_object_is_type(v, json_type_object))
        return err_set(err, P11TEE_E_POLICY,
                       "models.%s must be an object of checks, tdx and "
                       "tee_chat_requires_attestation",
                       model);
    text = sjson_text(v, JSON_C_TO_STRING_PLAIN, NULL);
    s->json = text != NULL ? strdup(text) : NULL;
    if (s->json == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    snprintf(s->model, sizeof(s->model), "%s", model);
    p->nmodels++;
    return P11TEE_OK;
}

p11tee_status policy_models(attest_policy *p, json_object *v, p11tee_error *err)
{
    json_object_iter it;
    attest_policy *check;
    p11tee_status rc;
    size_t n;

    if (!json_object_is_type(v, json_type_object))
        return err_set(err, P11TEE_E_POLICY,
                       "models must be an object: {\"MODEL\": {\"checks\": ..., \"tdx\": ...}}");
    n = (size_t)json_object_object_length(v);
    if (n > ATTEST_POLICY_MODELS_MAX)
        return err_set(err, P11TEE_E_POLICY, "models names more than %d models",
                       ATTEST_POLICY_MODELS_MAX);
    p->models = calloc(n > 0 ? n : 1, sizeof(*p->models));
    if (p->models == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    json_object_object_foreachC(v, it)
    {
        rc = section_keep(p, it.key, it.val, err);
        /* Applied once now: a section that cannot be used is refused with the file. */
        if (rc == P11TEE_OK)
            rc = policy_derive(p, &p->models[p->nmodels - 1], &check, err);
        if (rc != P11TEE_OK)
            return rc;
        attest_policy_free(check);
    }
    return P11TEE_OK;
}

void policy_models_free(attest_policy *p)
{
    size_t i;

    for (i = 0; i < p->nmodels; i++)
        free(p->models[i].json);
    free(p->models);
    p->models = NULL;
    p->nmodels = 0;
}
