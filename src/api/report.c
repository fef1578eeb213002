/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The public attestation object. It owns what the verifier found (the
 * attest_outcome: checks, quote, key) and the response that was judged, and
 * every getter reads from those: there is no second copy of a check, a
 * requirement or a field. Quote fields are rendered as text once, when the
 * object is sealed, into storage inside it, so a getter never allocates and
 * a sealed object never changes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "crypto/crypto.h"

/* Where each field of p11tee_attestation_get() comes from. */
typedef enum att_source {
    ATT_MODEL,         /* the model asked for, else the response's */
    ATT_NONCE,         /* the nonce sent, else the response's */
    ATT_RESPONSE,      /* a string of the response: offset of its strview in api_attestation */
    ATT_MODEL_KEY,     /* the E2EE key as received (the legacy field or the keyset's entry) */
    ATT_QUOTE_HEX,     /* quote bytes as hex: offset and size in tdx_quote */
    ATT_QUOTE_VERSION, /* the quote's version */
    ATT_TCB_STATUS,    /* Intel's name of the TCB status, when evaluated */
    ATT_GPU_COUNT,     /* GPUs in the NVIDIA payload, when there is one */
    ATT_VM_GPUS,       /* vm_config's num_gpus: the quoted VM's own */
    ATT_OUTCOME_TEXT,  /* a text the verifier found: offset of its array in attest_outcome */
    ATT_POLICY,        /* where the policy came from */
    ATT_COLLATERAL,    /* where the TDX collateral came from */
    ATT_COLL_ISSUED,   /* when the collateral used was issued */
    ATT_COLL_AGE,      /* its age in days at the verification time */
    ATT_PLATFORM,      /* the quote's FMSPC (offset 0) or PCK CA (offset 1) */
    ATT_POLICY_SHA,    /* SHA-256 of the policy file */
    ATT_TEST_ROOTS,    /* which test roots the policy trusts */
} att_source;

typedef struct att_field {
    const char *name;
    att_source source;
    size_t offset, size;
} att_field;

#define ATT_RESPONSE_FIELD(name, member)                                                           \
    {                                                                                              \
        name, ATT_RESPONSE, offsetof(api_attestation, member), 0                                   \
    }
#define ATT_OUTCOME_FIELD(name, member)                                                            \
    {                                                                                              \
        name, ATT_OUTCOME_TEXT, offsetof(attest_outcome, member), 0                                \
    }
#define ATT_QUOTE_FIELD(name, member)                                                              \
    {                                                                                              \
        name, ATT_QUOTE_HEX, offsetof(tdx_quote, member), sizeof(((tdx_quote *)0)->member)         \
    }

/* In the order p11tee_attestation_json() lists them. */
static const att_field att_fields[] = {
    {"model", ATT_MODEL, 0, 0},
    {"nonce", ATT_NONCE, 0, 0},
    ATT_RESPONSE_FIELD("signing_address", ev.signing_address),
    {"signing_key", ATT_MODEL_KEY, 0, 0},
    ATT_RESPONSE_FIELD("tee_provider", tee_provider),
    {"quote_version", ATT_QUOTE_VERSION, 0, 0},
    ATT_QUOTE_FIELD("mrtd", mr_td),
    ATT_QUOTE_FIELD("rtmr0", rtmr[0]),
    ATT_QUOTE_FIELD("rtmr1", rtmr[1]),
    ATT_QUOTE_FIELD("rtmr2", rtmr[2]),
    ATT_QUOTE_FIELD("rtmr3", rtmr[3]),
    ATT_QUOTE_FIELD("mrconfigid", mr_config_id),
    ATT_QUOTE_FIELD("mrowner", mr_owner),
    ATT_QUOTE_FIELD("mrownerconfig", mr_owner_config),
    ATT_QUOTE_FIELD("mrseam", mr_seam),
    ATT_QUOTE_FIELD("td_attributes", td_attributes),
    ATT_QUOTE_FIELD("xfam", xfam),
    ATT_QUOTE_FIELD("reportdata", report_data),
    {"tcb_status", ATT_TCB_STATUS, 0, 0},
    {"gpu_count", ATT_GPU_COUNT, 0, 0},
    {"vm_num_gpus", ATT_VM_GPUS, 0, 0},
    ATT_OUTCOME_FIELD("compose_hash", events[ATTEST_EVENT_COMPOSE_HASH]),
    ATT_OUTCOME_FIELD("os_image_hash", events[ATTEST_EVENT_OS_IMAGE_HASH]),
    ATT_OUTCOME_FIELD("key_provider", events[ATTEST_EVENT_KEY_PROVIDER]),
    ATT_OUTCOME_FIELD("instance_id", events[ATTEST_EVENT_INSTANCE_ID]),
    ATT_OUTCOME_FIELD("app_id", events[ATTEST_EVENT_APP_ID]),
    ATT_OUTCOME_FIELD("workload_id", workload_id),
    ATT_OUTCOME_FIELD("workload_keyset_digest", keyset_digest),
    {"policy", ATT_POLICY, 0, 0},
    {"fmspc", ATT_PLATFORM, 0, 0},
    {"pck_ca", ATT_PLATFORM, 1, 0},
    {"collateral", ATT_COLLATERAL, 0, 0},
    {"collateral_issued", ATT_COLL_ISSUED, 0, 0},
    {"collateral_age_days", ATT_COLL_AGE, 0, 0},
    {"policy_sha256", ATT_POLICY_SHA, 0, 0},
    {"test_roots", ATT_TEST_ROOTS, 0, 0},
};

_Static_assert(P11TEE_ARRAY_LEN(att_fields) == API_ATT_FIELDS, "one text slot per field");
_Static_assert(2 * TDX_REPORTDATA_BYTES + 1 == API_ATT_TEXT_MAX,
               "the widest quote field, REPORTDATA, fits a text slot");
_Static_assert(TDX_REPORTDATA_BYTES >= TDX_MR_BYTES, "every other quote field is narrower");

static int att_field_index(const char *name)
{
    size_t i;

    for (i = 0; i < P11TEE_ARRAY_LEN(att_fields); i++)
        if (strcmp(att_fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* "2025-06-19T10:16:03Z" */
static void att_time(time_t t, char *out)
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL ||
        strftime(out, API_ATT_TEXT_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        out[0] = '\0';
}

/*
 * The quote's FMSPC (`which` 0) or PCK CA (1), from its PCK certificate; a
 * quote without them leaves `out` empty, running out of memory is said.
 */
static p11tee_status att_render_platform(const p11tee_attestation *a, size_t which, char *out)
{
    char fmspc[13], ca[16];
    p11tee_error e;
    p11tee_status rc;

    err_oom_reset();
    rc = attest_quote_platform(a->outcome.quote_buf, a->outcome.quote_len, fmspc, ca, &e);
    if (rc == P11TEE_OK)
        snprintf(out, API_ATT_TEXT_MAX, "%s", which == 0 ? fmspc : ca);
    else if (err_oom_seen() || err_openssl_oom())
        return P11TEE_E_NOMEM;
    return P11TEE_OK;
}

/* The text of the rendered fields; "" when the outcome has no value for it. P11TEE_E_NOMEM. */
static p11tee_status att_render(p11tee_attestation *a, size_t i)
{
    const att_field *f = &att_fields[i];
    const attest_outcome *o = &a->outcome;
    char *out = a->text[i];

    out[0] = '\0';
    if (f->source == ATT_GPU_COUNT && a->response.ev.nvidia_payload.p != NULL)
        snprintf(out, API_ATT_TEXT_MAX, "%d", o->gpu_count);
    if (f->source == ATT_VM_GPUS && o->vm_num_gpus >= 0)
        snprintf(out, API_ATT_TEXT_MAX, "%d", o->vm_num_gpus);
    if (!o->has_quote)
        return P11TEE_OK;
    if (f->source == ATT_COLL_ISSUED && o->tdx.collateral_issued != 0)
        att_time(o->tdx.collateral_issued, out);
    else if (f->source == ATT_COLL_AGE && o->tdx.collateral_issued != 0)
        snprintf(out, API_ATT_TEXT_MAX, "%ld",
                 a->verified_at > o->tdx.collateral_issued
                     ? (long)((a->verified_at - o->tdx.collateral_issued) / 86400)
                     : 0L);
    else if (f->source == ATT_PLATFORM)
        return att_render_platform(a, f->offset, out);
    if (f->source == ATT_QUOTE_HEX)
        hex_encode((const uint8_t *)&o->quote + f->offset, f->size, out, API_ATT_TEXT_MAX);
    else if (f->source == ATT_QUOTE_VERSION)
        snprintf(out, API_ATT_TEXT_MAX, "%u", o->quote.version);
    return P11TEE_OK;
}

p11tee_attestation *api_attestation_alloc(api_policy *pol)
{
    p11tee_attestation *a = calloc(1, sizeof(*a));

    if (a != NULL) {
        api_refs_init(&a->refs);
        a->policy = api_policy_ref(pol);
    }
    return a;
}

p11tee_status api_attestation_seal(p11tee_attestation *a, api_attestation *response,
                                   const char *model, const char *nonce_hex, p11tee_error *err)
{
    size_t i;

    if (response != NULL) {
        a->response = *response;
        memset(response, 0, sizeof(*response));
    }
    if (nonce_hex != NULL)
        snprintf(a->nonce, sizeof(a->nonce), "%s", nonce_hex);
    for (i = 0; i < P11TEE_ARRAY_LEN(att_fields); i++)
        if (att_render(a, i) != P11TEE_OK)
            return err_set(err, P11TEE_E_NOMEM, "out of memory reading the quote's platform");
    if (model != NULL && (a->model = strdup(model)) == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory keeping the attestation's model id");
    return P11TEE_OK;
}

p11tee_status api_attestation_judge(p11tee_attestation *a, p11tee_error *err)
{
    p11tee_error_clear(&a->verdict);
    attest_verdict(&a->outcome.report, a->policy->rules, &a->verdict);
    if (err != NULL && a->verdict.code != P11TEE_OK)
        *err = a->verdict;
    return a->verdict.code;
}

p11tee_attestation *p11tee_attestation_ref(const p11tee_attestation *a)
{
    /* Only the count changes, atomically: every attestation handed out was allocated writable. */
    p11tee_attestation *w = (p11tee_attestation *)a;

    if (w != NULL)
        api_refs_get(&w->refs);
    return w;
}

void p11tee_attestation_free(p11tee_attestation *a)
{
    if (a == NULL || !api_refs_put(&a->refs))
        return;
    attest_outcome_free(&a->outcome);
    api_attestation_free(&a->response);
    free(a->model);
    free(a->collateral_doc);
    free(a->collateral_file);
    api_policy_free(a->policy);
    free(a);
}

size_t p11tee_attestation_check_count(const p11tee_attestation *a)
{
    return a->outcome.report.count;
}

int p11tee_attestation_check(const p11tee_attestation *a, size_t index, p11tee_check *out)
{
    const attest_check *c;

    if (index >= a->outcome.report.count)
        return -1;
    c = &a->outcome.report.checks[index];
    out->name = c->name;
    out->result = c->result;
    out->requirement = attest_policy_requirement(a->policy->rules, c->name);
    out->blocking = attest_check_blocks(c, out->requirement);
    out->code = c->code;
    out->reason = c->reason;
    return 0;
}

static const char *att_value(const p11tee_attestation *a, size_t i)
{
    const att_field *f = &att_fields[i];
    const api_attestation *r = &a->response;

    switch (f->source) {
    case ATT_MODEL: return a->model != NULL ? a->model : r->ev.model.p;
    case ATT_NONCE: return a->nonce[0] != '\0' ? a->nonce : r->ev.nonce.p;
    case ATT_RESPONSE: return ((const strview *)((const char *)r + f->offset))->p;
    case ATT_MODEL_KEY: return a->outcome.model_key_text.p;
    case ATT_TCB_STATUS:
        return a->outcome.has_quote && a->outcome.tdx.tcb != TDX_TCB_UNKNOWN
                   ? tdx_tcb_status_name(a->outcome.tdx.tcb)
                   : NULL;
    case ATT_POLICY: return a->policy->rules->source;
    case ATT_OUTCOME_TEXT: {
        const char *t = (const char *)&a->outcome + f->offset;

        return t[0] != '\0' ? t : NULL;
    }
    case ATT_COLLATERAL: return a->collateral[0] != '\0' ? a->collateral : NULL;
    case ATT_TEST_ROOTS: {
        const attest_policy *p = a->policy->rules;

        return p->tdx_test_roots != NULL && p->nvidia_test_roots != NULL ? "tdx, nvidia"
               : p->tdx_test_roots != NULL                               ? "tdx"
               : p->nvidia_test_roots != NULL                            ? "nvidia"
                                                                         : NULL;
    }
    case ATT_POLICY_SHA:
        return a->policy->rules->sha256[0] != '\0' ? a->policy->rules->sha256 : NULL;
    case ATT_COLL_ISSUED:
    case ATT_COLL_AGE:
    case ATT_PLATFORM:
    case ATT_QUOTE_HEX:
    case ATT_QUOTE_VERSION:
    case ATT_VM_GPUS:
    case ATT_GPU_COUNT: return a->text[i][0] != '\0' ? a->text[i] : NULL;
    }
    return NULL;
}

const char *p11tee_attestation_get(const p11tee_attestation *a, const char *field)
{
    int i = att_field_index(field);

    return i < 0 ? NULL : att_value(a, (size_t)i);
}

p11tee_status p11tee_attestation_verdict(const p11tee_attestation *a, p11tee_error *err)
{
    if (err != NULL)
        *err = a->verdict;
    return a->verdict.code;
}

/* The checks as a JSON array; `*ok` cleared when any part of it could not be made. */
static json_object *att_json_checks(const p11tee_attestation *a, int *ok)
{
    json_object *list = json_object_new_array();
    p11tee_check c;
    size_t i;

    for (i = 0; p11tee_attestation_check(a, i, &c) == 0 && *ok; i++) {
        json_object *o = json_object_new_object();

        sjson_set(o, "name", json_object_new_string(c.name), ok);
        sjson_set(o, "result", json_object_new_string(p11tee_check_result_name(c.result)), ok);
        sjson_set(o, "requirement", json_object_new_string(p11tee_requirement_name(c.requirement)),
                  ok);
        sjson_set(o, "blocking", json_object_new_boolean(c.blocking), ok);
        sjson_set(o, "reason", sjson_new_string_valid(c.reason, strlen(c.reason)), ok);
        if (c.result == P11TEE_CHECK_FAIL)
            sjson_set(o, "error", json_object_new_string(p11tee_strerror(c.code)), ok);
        sjson_push(list, o, ok);
    }
    return list;
}

char *p11tee_attestation_json(const p11tee_attestation *a)
{
    json_object *root = json_object_new_object(), *fields = json_object_new_object();
    int ok = 1;
    size_t i;

    sjson_set(root, "verdict",
              json_object_new_string(a->verdict.code == P11TEE_OK ? "pass" : "fail"), &ok);
    if (a->verdict.code != P11TEE_OK)
        sjson_set(root, "error",
                  sjson_new_string_valid(a->verdict.message, strlen(a->verdict.message)), &ok);
    sjson_set(root, "checks", att_json_checks(a, &ok), &ok);
    for (i = 0; i < P11TEE_ARRAY_LEN(att_fields); i++) {
        const char *v = att_value(a, i);

        if (v != NULL)
            sjson_set(fields, att_fields[i].name, sjson_new_string_valid(v, strlen(v)), &ok);
    }
    sjson_set(root, "fields", fields, &ok);
    return sjson_finish(
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE,
        ok);
}
