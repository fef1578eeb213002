/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* The public attestation object: the checks, the policy's view of them, the fields. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "crypto/crypto.h"

static const char *const att_field_names[] = {
    "model",         "nonce",      "signing_address", "signing_key",   "tee_provider",
    "quote_version", "mrtd",       "rtmr0",           "rtmr1",         "rtmr2",
    "rtmr3",         "mrconfigid", "mrowner",         "mrownerconfig", "mrseam",
    "td_attributes", "xfam",       "reportdata",      "tcb_status",    "gpu_count",
    "policy",
};

static int att_field_index(const char *field)
{
    size_t i;

    for (i = 0; i < P11TEE_ARRAY_LEN(att_field_names); i++)
        if (strcmp(att_field_names[i], field) == 0)
            return (int)i;
    return -1;
}

p11tee_status api_attestation_set(p11tee_attestation *a, const char *field, const char *value,
                                  size_t len)
{
    int i = att_field_index(field);
    char *copy;

    if (i < 0 || value == NULL)
        return P11TEE_OK;
    copy = strndup(value, len);
    if (copy == NULL)
        return P11TEE_E_NOMEM;
    free(a->fields[i]);
    a->fields[i] = copy;
    return P11TEE_OK;
}

static void att_set_hex(p11tee_attestation *a, const char *field, const uint8_t *v, size_t n)
{
    char hex[2 * 64 + 1];

    hex_encode(v, n, hex, sizeof(hex));
    api_attestation_set(a, field, hex, 2 * n);
}

static void att_set_str(p11tee_attestation *a, const char *field, const char *s)
{
    if (s != NULL)
        api_attestation_set(a, field, s, strlen(s));
}

static void att_set_view(p11tee_attestation *a, const char *field, strview v)
{
    if (v.p != NULL)
        api_attestation_set(a, field, v.p, v.len);
}

void api_attestation_fill(p11tee_attestation *a)
{
    static const char *const rtmr[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
    const tdx_quote *q = &a->outcome.quote;
    char num[32];
    size_t i;

    if (!a->outcome.has_quote) {
        att_set_str(a, "policy", a->policy->source);
        return;
    }
    snprintf(num, sizeof(num), "%u", q->version);
    att_set_str(a, "quote_version", num);
    att_set_hex(a, "mrtd", q->mr_td, TDX_MR_BYTES);
    for (i = 0; i < 4; i++)
        att_set_hex(a, rtmr[i], q->rtmr[i], TDX_MR_BYTES);
    att_set_hex(a, "mrconfigid", q->mr_config_id, TDX_MR_BYTES);
    att_set_hex(a, "mrowner", q->mr_owner, TDX_MR_BYTES);
    att_set_hex(a, "mrownerconfig", q->mr_owner_config, TDX_MR_BYTES);
    att_set_hex(a, "mrseam", q->mr_seam, TDX_MR_BYTES);
    att_set_hex(a, "td_attributes", q->td_attributes, sizeof(q->td_attributes));
    att_set_hex(a, "xfam", q->xfam, sizeof(q->xfam));
    att_set_hex(a, "reportdata", q->report_data, TDX_REPORTDATA_BYTES);
    if (a->outcome.tdx.tcb != TDX_TCB_UNKNOWN)
        att_set_str(a, "tcb_status", tdx_tcb_status_name(a->outcome.tdx.tcb));
    att_set_str(a, "policy", a->policy->source);
}

p11tee_status api_attestation_judge(p11tee_attestation *a, p11tee_error *err)
{
    const attest_report *rep = &a->outcome.report;
    size_t i;

    for (i = 0; i < rep->count; i++)
        a->req[i] = attest_policy_requirement(a->policy, rep->checks[i].name);
    p11tee_error_clear(&a->verdict);
    attest_verdict(rep, a->policy, &a->verdict);
    if (err != NULL && a->verdict.code != P11TEE_OK)
        *err = a->verdict;
    return a->verdict.code;
}

p11tee_attestation *api_attestation_new(const attest_policy *pol)
{
    p11tee_attestation *a = calloc(1, sizeof(*a));

    if (a != NULL) {
        a->refs = 1;
        a->policy = pol;
    }
    return a;
}

p11tee_status api_attestation_build(const api_attestation *parsed, const attest_expect *ex,
                                    const char *nonce_hex, const attest_policy *pol,
                                    p11tee_attestation **out, p11tee_error *err)
{
    p11tee_attestation *a = api_attestation_new(pol);
    attest_evidence ev;
    char num[16];

    *out = NULL;
    if (a == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    memset(&ev, 0, sizeof(ev));
    ev.has_verified = parsed->has_verified;
    ev.verified = parsed->verified;
    ev.has_debug = parsed->has_debug;
    ev.debug = parsed->debug;
    ev.nonce = parsed->nonce;
    ev.model = parsed->model;
    ev.signing_key = parsed->signing_key;
    ev.signing_key_field = parsed->signing_key_field;
    ev.signing_address = parsed->signing_address;
    ev.intel_quote = parsed->intel_quote;
    ev.nvidia_payload = parsed->nvidia_payload;
    ev.app_compose = parsed->app_compose;
    attest_evaluate(&ev, ex, pol, &a->outcome);
    if (ex->model != NULL)
        att_set_str(a, "model", ex->model);
    else
        att_set_view(a, "model", parsed->model);
    if (nonce_hex != NULL)
        att_set_str(a, "nonce", nonce_hex);
    else
        att_set_view(a, "nonce", parsed->nonce);
    att_set_view(a, "signing_address", parsed->signing_address);
    att_set_view(a, "signing_key", parsed->signing_key);
    att_set_view(a, "tee_provider", parsed->tee_provider);
    api_attestation_fill(a);
    if (parsed->nvidia_payload.p != NULL) {
        snprintf(num, sizeof(num), "%d", a->outcome.gpu_count);
        att_set_str(a, "gpu_count", num);
    }
    *out = a;
    return api_attestation_judge(a, err);
}

p11tee_attestation *api_attestation_ref(p11tee_attestation *a)
{
    if (a != NULL)
        __atomic_add_fetch(&a->refs, 1, __ATOMIC_RELAXED);
    return a;
}

void p11tee_attestation_free(p11tee_attestation *a)
{
    size_t i;

    if (a == NULL || __atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    attest_outcome_free(&a->outcome);
    for (i = 0; i < P11TEE_ARRAY_LEN(a->fields); i++)
        free(a->fields[i]);
    attest_policy_free(a->owned_policy);
    free(a);
}

size_t p11tee_attestation_check_count(const p11tee_attestation *a)
{
    return a->outcome.report.count;
}

static p11tee_check_result att_result(attest_result r)
{
    switch (r) {
    case ATTEST_PASS: return P11TEE_CHECK_PASS;
    case ATTEST_FAIL: return P11TEE_CHECK_FAIL;
    case ATTEST_NOT_CHECKED: return P11TEE_CHECK_NOT_CHECKED;
    }
    return P11TEE_CHECK_NOT_CHECKED;
}

static p11tee_requirement att_requirement(attest_requirement r)
{
    switch (r) {
    case ATTEST_REQUIRED: return P11TEE_REQUIRED;
    case ATTEST_IF_CHECKED: return P11TEE_IF_CHECKED;
    case ATTEST_ADVISORY: return P11TEE_ADVISORY;
    }
    return P11TEE_REQUIRED;
}

int p11tee_attestation_check(const p11tee_attestation *a, size_t index, p11tee_check *out)
{
    const attest_check *c;

    if (index >= a->outcome.report.count)
        return -1;
    c = &a->outcome.report.checks[index];
    out->name = c->name;
    out->result = att_result(c->result);
    out->requirement = att_requirement(a->req[index]);
    out->blocking = attest_check_blocks(c, a->req[index]);
    out->code = c->code;
    out->reason = c->reason;
    return 0;
}

const char *p11tee_attestation_get(const p11tee_attestation *a, const char *field)
{
    int i = att_field_index(field);

    return i < 0 ? NULL : a->fields[i];
}

p11tee_status p11tee_attestation_verdict(const p11tee_attestation *a, p11tee_error *err)
{
    if (err != NULL)
        *err = a->verdict;
    return a->verdict.code;
}

static void att_json_add(json_object *o, const char *key, json_object *v)
{
    if (v != NULL)
        json_object_object_add(o, key, v);
}

static json_object *att_json_checks(const p11tee_attestation *a)
{
    json_object *list = json_object_new_array();
    p11tee_check c;
    size_t i;
    static const char *const results[] = {"not checked", "pass", "fail"};

    for (i = 0; p11tee_attestation_check(a, i, &c) == 0; i++) {
        json_object *o = json_object_new_object();

        att_json_add(o, "name", json_object_new_string(c.name));
        att_json_add(o, "result", json_object_new_string(results[c.result]));
        att_json_add(o, "requirement", json_object_new_string(attest_requirement_name(a->req[i])));
        att_json_add(o, "blocking", json_object_new_boolean(c.blocking));
        att_json_add(o, "reason", sjson_new_string_valid(c.reason, strlen(c.reason)));
        if (c.result == P11TEE_CHECK_FAIL)
            att_json_add(o, "error", json_object_new_string(p11tee_strerror(c.code)));
        json_object_array_add(list, o);
    }
    return list;
}

char *p11tee_attestation_json(const p11tee_attestation *a)
{
    json_object *root = json_object_new_object(), *fields = json_object_new_object();
    size_t i;
    char *out;

    att_json_add(root, "verdict",
                 json_object_new_string(a->verdict.code == P11TEE_OK ? "pass" : "fail"));
    if (a->verdict.code != P11TEE_OK)
        att_json_add(root, "error",
                     sjson_new_string_valid(a->verdict.message, strlen(a->verdict.message)));
    att_json_add(root, "checks", att_json_checks(a));
    for (i = 0; i < P11TEE_ARRAY_LEN(att_field_names); i++)
        if (a->fields[i] != NULL)
            att_json_add(fields, att_field_names[i],
                         sjson_new_string_valid(a->fields[i], strlen(a->fields[i])));
    att_json_add(root, "fields", fields);
    out = strdup(json_object_to_json_string_ext(
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    return out;
}
