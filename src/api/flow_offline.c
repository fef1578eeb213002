/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Offline verification: a saved attestation (the document chat
 * --save-exchange writes, or a response as the server sent it) or a bare
 * quote, without a network, under the configured policy or a given one.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/flow.h"
#include "crypto/crypto.h"

/* What an offline verification knows: the caller's expectations and the policy. */
typedef struct flow_offline {
    attest_expect ex;
    uint8_t nonce[P11TEE_NONCE_BYTES];
    char *collateral;
    attest_policy *rules; /* the configured policy, until it is shared */
} flow_offline;

static p11tee_status flow_offline_collateral(const char *path, flow_offline *f, p11tee_error *err)
{
    FILE *fp;
    size_t n = 0;
    int oom;

    err_errno_reset();
    fp = fopen(path, "rb");
    f->collateral = fp != NULL ? malloc(TDX_COLLATERAL_MAX + 1) : NULL;
    if (f->collateral != NULL)
        n = fread(f->collateral, 1, TDX_COLLATERAL_MAX + 1, fp);
    oom = f->collateral == NULL && errno == ENOMEM; /* fopen() or malloc() */
    if (fp != NULL)
        fclose(fp);
    if (oom)
        return err_set(err, P11TEE_E_NOMEM, "out of memory reading collateral file %s", path);
    if (f->collateral == NULL || n > TDX_COLLATERAL_MAX)
        return err_set(err, P11TEE_E_IO, "cannot read collateral file %s (or it exceeds %d bytes)",
                       path, TDX_COLLATERAL_MAX);
    f->ex.collateral = f->collateral;
    f->ex.collateral_len = n;
    return P11TEE_OK;
}

/* The options as expectations, and the configured policy (or the built-in default). */
static p11tee_status flow_offline_begin(const p11tee_config *cfg, const p11tee_offline_options *o,
                                        flow_offline *f, p11tee_error *err)
{
    memset(f, 0, sizeof(*f));
    if (o != NULL) {
        f->ex.model = o->model;
        f->ex.at = o->at;
        if (o->nonce_hex != NULL) {
            if (strlen(o->nonce_hex) != 2 * P11TEE_NONCE_BYTES ||
                hex_decode(o->nonce_hex, 2 * P11TEE_NONCE_BYTES, f->nonce, P11TEE_NONCE_BYTES, NULL,
                           NULL) != P11TEE_OK)
                return err_set(err, P11TEE_E_INVALID_ARG, "the nonce must be 64 hex characters");
            f->ex.nonce = f->nonce;
        }
        if (o->collateral != NULL && flow_offline_collateral(o->collateral, f, err) != P11TEE_OK)
            return err->code;
    }
    return api_policy_load(cfg->policy_file, &f->rules, err);
}

static void flow_offline_end(flow_offline *f)
{
    attest_policy_free(f->rules);
    free(f->collateral);
}

/* The policy rules of `f`, shared from now on (f->rules is handed over). */
static p11tee_status flow_offline_policy(flow_offline *f, api_policy **out, p11tee_error *err)
{
    attest_policy *rules = f->rules;

    f->rules = NULL;
    return api_policy_new(rules, out, err);
}

/* The saved document's model, nonce and time where the caller gave none. */
typedef struct flow_saved_expect {
    attest_expect ex;
    char model[API_MODEL_MAX];
    char nonce_hex[2 * P11TEE_NONCE_BYTES + 1];
    uint8_t nonce[P11TEE_NONCE_BYTES];
} flow_saved_expect;

static p11tee_status flow_saved_expect_of(const api_saved *s, const attest_expect *ex,
                                          flow_saved_expect *f, p11tee_error *err)
{
    f->ex = *ex;
    f->nonce_hex[0] = '\0';
    if (!s->present)
        return P11TEE_OK;
    if (s->model.p != NULL && ex->model != NULL && !strview_eq(s->model, ex->model))
        return err_set(err, P11TEE_E_ATTEST_MODEL_MISMATCH,
                       "the saved attestation is for model %.*s, not %s",
                       (int)(s->model.len < 128 ? s->model.len : 128), s->model.p, ex->model);
    if (s->model.p != NULL && ex->model == NULL && s->model.len < sizeof(f->model)) {
        snprintf(f->model, sizeof(f->model), "%.*s", (int)s->model.len, s->model.p);
        f->ex.model = f->model;
    }
    if (s->nonce.p != NULL && ex->nonce == NULL) {
        if (s->nonce.len != 2 * P11TEE_NONCE_BYTES ||
            hex_decode(s->nonce.p, s->nonce.len, f->nonce, sizeof(f->nonce), NULL, NULL) !=
                P11TEE_OK)
            return err_set(err, P11TEE_E_JSON_FIELD,
                           "the saved attestation's nonce is not 64 hex characters");
        snprintf(f->nonce_hex, sizeof(f->nonce_hex), "%.*s", (int)s->nonce.len, s->nonce.p);
        f->ex.nonce = f->nonce;
    }
    /* Certificates are checked as of the time the attestation was fetched. */
    if (ex->at == 0 && s->fetched_at > 0)
        f->ex.at = (time_t)s->fetched_at;
    /* With the collateral it was verified with, unless the caller gave some. */
    if (ex->collateral == NULL && s->collateral.p != NULL) {
        f->ex.collateral = s->collateral.p;
        f->ex.collateral_len = s->collateral.len;
    }
    return P11TEE_OK;
}

p11tee_status api_attest_saved(const p11tee_config *cfg, api_policy *pol, const char *json,
                               size_t len, const attest_expect *ex, const char *given,
                               p11tee_attestation **out, p11tee_error *err)
{
    flow_saved_expect f;
    api_saved saved;
    api_attestation parsed;
    p11tee_error native;
    p11tee_status rc;

    *out = NULL;
    rc = api_saved_read(json, len, &saved, err);
    if (rc == P11TEE_OK)
        rc = flow_saved_expect_of(&saved, ex, &f, err);
    if (rc == P11TEE_OK && saved.present)
        rc = api_parse_attestation(saved.response.p, saved.response.len, f.ex.model, cfg->api_key,
                                   &parsed, err);
    else if (rc == P11TEE_OK)
        rc = api_parse_attestation(json, len, f.ex.model, cfg->api_key, &parsed, err);
    if (rc == P11TEE_OK && saved.aci_report.p != NULL) {
        parsed.ev.native_wanted = 1;
        parsed.ev.native_rc =
            api_attestation_add_native(&parsed, saved.aci_report.p, saved.aci_report.len, &native);
        if (parsed.ev.native_rc != P11TEE_OK)
            snprintf(parsed.native_error, sizeof(parsed.native_error), "%s", native.message);
        parsed.ev.native_error = parsed.native_error;
    }
    if (rc == P11TEE_OK)
        rc = api_judge(cfg, &parsed, &f.ex, f.ex.collateral == ex->collateral ? given : NULL,
                       f.nonce_hex[0] ? f.nonce_hex : NULL, pol, out, err);
    if (*out != NULL)
        (*out)->fetched_at = (time_t)saved.fetched_at;
    api_saved_free(&saved);
    return rc;
}

p11tee_status p11tee_attest_offline(const p11tee_config *cfg, const char *json, size_t len,
                                    const p11tee_offline_options *opts, p11tee_attestation **out,
                                    p11tee_error *err)
{
    flow_offline f;
    api_policy *pol = NULL;
    p11tee_error local;
    p11tee_status rc;

    if (err == NULL)
        err = &local;
    *out = NULL;
    rc = flow_offline_begin(cfg, opts, &f, err);
    if (rc == P11TEE_OK)
        rc = flow_offline_policy(&f, &pol, err);
    /* The nonce the caller gave is the one rendered; else the saved one. */
    if (rc == P11TEE_OK)
        rc = api_attest_saved(cfg, pol, json, len, &f.ex, opts != NULL ? opts->collateral : NULL,
                              out, err);
    if (*out != NULL && opts != NULL && opts->nonce_hex != NULL)
        snprintf((*out)->nonce, sizeof((*out)->nonce), "%s", opts->nonce_hex);
    api_policy_free(pol);
    flow_offline_end(&f);
    return rc;
}

p11tee_status p11tee_quote_verify(const p11tee_config *cfg, const uint8_t *data, size_t len,
                                  const p11tee_offline_options *opts, p11tee_attestation **out,
                                  p11tee_error *err)
{
    flow_offline f;
    api_policy *pol = NULL;
    p11tee_attestation *a = NULL;
    p11tee_error local;
    p11tee_status rc;

    if (err == NULL)
        err = &local;
    *out = NULL;
    rc = flow_offline_begin(cfg, opts, &f, err);
    /* A bare quote binds no key and no nonce of ours: REPORTDATA is shown, not judged. */
    if (rc == P11TEE_OK)
        rc = attest_policy_add_rule(f.rules, "tdx.reportdata.*", P11TEE_ADVISORY, err);
    if (rc == P11TEE_OK)
        rc = flow_offline_policy(&f, &pol, err);
    if (rc == P11TEE_OK && (a = api_attestation_alloc(pol)) == NULL)
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory");
    api_policy_free(pol);
    if (rc == P11TEE_OK) {
        attest_expect with = f.ex;
        char why[ATTEST_REASON_MAX];

        rc = api_judge_collateral(cfg, data, len, opts != NULL ? opts->collateral : NULL, a, &with,
                                  why, sizeof(why), err);
        /* A quote that cannot be read is recorded as a failed check: judge it like the rest. */
        err_oom_reset();
        if (rc == P11TEE_OK)
            attest_evaluate_quote(data, len, &with, a->policy->rules, &a->outcome, &local);
        if (rc == P11TEE_OK)
            rc = err_oom_seen() ? err_set(err, P11TEE_E_NOMEM, "out of memory verifying the quote")
                                : api_attestation_seal(a, NULL, NULL, NULL, err);
    }
    flow_offline_end(&f);
    if (rc != P11TEE_OK) {
        p11tee_attestation_free(a);
        return rc;
    }
    *out = a;
    return api_attestation_judge(a, err);
}
