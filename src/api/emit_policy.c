/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * A policy that pins what an attestation just verified (attest
 * --emit-policy), for a person to review before using it: the quote's
 * measurements (MRTD, RTMR0-2, MRCONFIGID), the compose hash (the
 * app_compose sent, when MRCONFIGID or the replayed log measures it), the
 * replayed events that name the app and its image (not instance-id, nor
 * RTMR3, which differ per instance) and the TCB status, in the model's own
 * section ("models"), each pin a list so that an upgrade adds a value. The
 * policy it was judged under carries over: its preset, its test roots, its
 * collateral.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "crypto/crypto.h"

/*
 * The document is built whole or not at all (sjson_set/sjson_push): a
 * policy with a pin missing would pin less than the attestation verified.
 */

/* A list of one lowercase hex value. */
static json_object *emit_pin(const uint8_t *v, size_t n, int *ok)
{
    char hex[2 * TDX_MR_BYTES + 1];
    json_object *list = json_object_new_array();

    hex_encode(v, n, hex, sizeof(hex));
    sjson_push(list, json_object_new_string(hex), ok);
    return list;
}

/* A newline-separated list of paths as a JSON list. */
static json_object *emit_paths(const char *lines, int *ok)
{
    json_object *list = json_object_new_array();
    const char *p = lines, *nl;

    while (p != NULL && (nl = strchr(p, '\n')) != NULL) {
        sjson_push(list, json_object_new_string_len(p, (int)(nl - p)), ok);
        p = nl + 1;
    }
    return list;
}

/* The compose hash, when the quote measures the app_compose sent. */
static void emit_compose(const p11tee_attestation *a, json_object *tdx, int *ok)
{
    const strview compose = a->response.ev.app_compose;
    const attest_check *binding = attest_report_find(&a->outcome.report, "app_compose.binding");
    uint8_t sha[SHA256_DIGEST_LENGTH];

    if (compose.p == NULL || binding == NULL || binding->result != P11TEE_CHECK_PASS)
        return;
    if (digest_sha256(compose.p, compose.len, sha, NULL) != P11TEE_OK)
        *ok = 0;
    else
        sjson_set(tdx, "app_compose_sha256", emit_pin(sha, sizeof(sha), ok), ok);
}

/* The pins of the quote and the replayed log, and the TCB status. */
static json_object *emit_tdx(const p11tee_attestation *a, int *ok)
{
    const attest_outcome *o = &a->outcome;
    static const size_t named[] = {ATTEST_EVENT_COMPOSE_HASH, ATTEST_EVENT_OS_IMAGE_HASH,
                                   ATTEST_EVENT_KEY_PROVIDER, ATTEST_EVENT_APP_ID};
    json_object *tdx = json_object_new_object(), *events = json_object_new_object(), *list;
    static const char *const rtmr[] = {"rtmr0", "rtmr1", "rtmr2"};
    size_t i;

    sjson_set(tdx, "mrtd", emit_pin(o->quote.mr_td, TDX_MR_BYTES, ok), ok);
    for (i = 0; i < P11TEE_ARRAY_LEN(rtmr); i++)
        sjson_set(tdx, rtmr[i], emit_pin(o->quote.rtmr[i], TDX_MR_BYTES, ok), ok);
    sjson_set(tdx, "mrconfigid", emit_pin(o->quote.mr_config_id, TDX_MR_BYTES, ok), ok);
    emit_compose(a, tdx, ok);
    for (i = 0; o->events_valid && i < P11TEE_ARRAY_LEN(named); i++) {
        if (o->events[named[i]][0] == '\0')
            continue;
        list = json_object_new_array();
        sjson_push(list, json_object_new_string(o->events[named[i]]), ok);
        sjson_set(events, attest_event_names[named[i]], list, ok);
    }
    if (events != NULL && json_object_object_length(events) == 0)
        json_object_put(events);
    else
        sjson_set(tdx, "events", events, ok);
    if (o->tdx.tcb != TDX_TCB_UNKNOWN) {
        list = json_object_new_array();
        sjson_push(list, json_object_new_string(tdx_tcb_status_name(o->tdx.tcb)), ok);
        sjson_set(tdx, "accepted_tcb_statuses", list, ok);
    }
    return tdx;
}

/* Where the collateral came from, as a policy names it; NULL: nowhere a policy can name. */
static json_object *emit_collateral(const p11tee_attestation *a, int *ok)
{
    const attest_policy *p = a->policy->rules;
    json_object *c = json_object_new_object();
    char path[PATH_MAX + 1], *abs = NULL;

    if (c == NULL) {
        *ok = 0;
        return NULL;
    }
    if (a->collateral_file != NULL) {
        sjson_set(c, "file", json_object_new_string(a->collateral_file), ok);
    } else if (p->collateral_source == ATTEST_COLL_FILE) {
        snprintf(path, sizeof(path), "%s%s%s",
                 p->base_dir != NULL && p->collateral_name[0] != '/' ? p->base_dir : "",
                 p->base_dir != NULL && p->collateral_name[0] != '/' ? "/" : "",
                 p->collateral_name);
        abs = realpath(path, NULL);
        sjson_set(c, "file", json_object_new_string(abs != NULL ? abs : path), ok);
        free(abs);
    } else if (a->collateral_doc != NULL) { /* the cache */
        sjson_set(c, "cache",
                  p->collateral_cache != NULL ? json_object_new_string(p->collateral_cache)
                                              : json_object_new_boolean(1),
                  ok);
    } else {
        json_object_put(c);
        return NULL;
    }
    if (p->max_age_days > 0)
        sjson_set(c, "max_age_days", json_object_new_int(p->max_age_days), ok);
    return c;
}

/* What carries over from the policy the attestation was judged under. */
static void emit_carry(const p11tee_attestation *a, json_object *root, json_object *tdx_top,
                       int *ok)
{
    const attest_policy *p = a->policy->rules;
    json_object *roots, *coll;

    if (p->preset[0] != '\0' && strcmp(p->preset, "default") != 0)
        sjson_set(root, "preset", json_object_new_string(p->preset), ok);
    if (p->tdx_test_root_files != NULL || p->nvidia_test_root_files != NULL) {
        roots = json_object_new_object();
        if (p->tdx_test_root_files != NULL)
            sjson_set(roots, "tdx", emit_paths(p->tdx_test_root_files, ok), ok);
        if (p->nvidia_test_root_files != NULL)
            sjson_set(roots, "nvidia", emit_paths(p->nvidia_test_root_files, ok), ok);
        sjson_set(root, "test_roots", roots, ok);
    }
    if (a->outcome.tdx.tcb != TDX_TCB_UNKNOWN && (coll = emit_collateral(a, ok)) != NULL)
        sjson_set(tdx_top, "collateral", coll, ok);
}

char *p11tee_attestation_emit_policy(const p11tee_attestation *a)
{
    const char *model = p11tee_attestation_get(a, "model");
    json_object *root, *section, *models, *checks, *top;
    char *text, *out;
    int ok = 1;

    if (!a->outcome.has_quote || a->verdict.code != P11TEE_OK || model == NULL)
        return NULL; /* only what was verified is pinned, for the model it was verified for */
    root = json_object_new_object();
    top = json_object_new_object();
    sjson_set(root, "version", json_object_new_int(1), &ok);
    emit_carry(a, root, top, &ok);
    if (top != NULL && json_object_object_length(top) == 0)
        json_object_put(top);
    else
        sjson_set(root, "tdx", top, &ok);
    section = json_object_new_object();
    /* A pinned TCB status holds only where it is evaluated: the status is required. */
    if (a->outcome.tdx.tcb != TDX_TCB_UNKNOWN) {
        checks = json_object_new_object();
        sjson_set(checks, "tdx.tcb.status", json_object_new_string("required"), &ok);
        sjson_set(section, "checks", checks, &ok);
    }
    sjson_set(section, "tdx", emit_tdx(a, &ok), &ok);
    models = json_object_new_object();
    sjson_set(models, model, section, &ok);
    sjson_set(root, "models", models, &ok);
    text = sjson_finish(
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE,
        ok);
    /* A file for a person to edit: it ends with a newline. */
    out = text != NULL ? malloc(strlen(text) + 2) : NULL;
    if (out != NULL)
        snprintf(out, strlen(text) + 2, "%s\n", text);
    free(text);
    return out;
}
