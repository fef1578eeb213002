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

/* A list of one lowercase hex value. */
static json_object *emit_pin(const uint8_t *v, size_t n)
{
    char hex[2 * TDX_MR_BYTES + 1];
    json_object *list = json_object_new_array();

    hex_encode(v, n, hex, sizeof(hex));
    json_object_array_add(list, json_object_new_string(hex));
    return list;
}

/* A newline-separated list of paths as a JSON list. */
static json_object *emit_paths(const char *lines)
{
    json_object *list = json_object_new_array();
    const char *p = lines, *nl;

    while (p != NULL && (nl = strchr(p, '\n')) != NULL) {
        json_object_array_add(list, json_object_new_string_len(p, (int)(nl - p)));
        p = nl + 1;
    }
    return list;
}

/* The pins of the quote and the replayed log, and the TCB status. */
static json_object *emit_tdx(const p11tee_attestation *a)
{
    const attest_outcome *o = &a->outcome;
    const strview compose = a->response.ev.app_compose;
    const attest_check *binding = attest_report_find(&o->report, "app_compose.binding");
    static const size_t named[] = {ATTEST_EVENT_COMPOSE_HASH, ATTEST_EVENT_OS_IMAGE_HASH,
                                   ATTEST_EVENT_KEY_PROVIDER, ATTEST_EVENT_APP_ID};
    json_object *tdx = json_object_new_object(), *events = NULL, *list;
    uint8_t sha[SHA256_DIGEST_LENGTH];
    static const char *const rtmr[] = {"rtmr0", "rtmr1", "rtmr2"};
    size_t i;

    json_object_object_add(tdx, "mrtd", emit_pin(o->quote.mr_td, TDX_MR_BYTES));
    for (i = 0; i < P11TEE_ARRAY_LEN(rtmr); i++)
        json_object_object_add(tdx, rtmr[i], emit_pin(o->quote.rtmr[i], TDX_MR_BYTES));
    json_object_object_add(tdx, "mrconfigid", emit_pin(o->quote.mr_config_id, TDX_MR_BYTES));
    if (compose.p != NULL && binding != NULL && binding->result == P11TEE_CHECK_PASS) {
        SHA256((const uint8_t *)compose.p, compose.len, sha);
        json_object_object_add(tdx, "app_compose_sha256", emit_pin(sha, sizeof(sha)));
    }
    for (i = 0; o->events_valid && i < P11TEE_ARRAY_LEN(named); i++) {
        if (o->events[named[i]][0] == '\0')
            continue;
        if (events == NULL)
            events = json_object_new_object();
        list = json_object_new_array();
        json_object_array_add(list, json_object_new_string(o->events[named[i]]));
        json_object_object_add(events, attest_event_names[named[i]], list);
    }
    if (events != NULL)
        json_object_object_add(tdx, "events", events);
    if (o->tdx.tcb != TDX_TCB_UNKNOWN) {
        list = json_object_new_array();
        json_object_array_add(list, json_object_new_string(tdx_tcb_status_name(o->tdx.tcb)));
        json_object_object_add(tdx, "accepted_tcb_statuses", list);
    }
    return tdx;
}

/* Where the collateral came from, as a policy names it; NULL: nowhere a policy can name. */
static json_object *emit_collateral(const p11tee_attestation *a)
{
    const attest_policy *p = a->policy->rules;
    json_object *c = json_object_new_object();
    char path[PATH_MAX + 1], *abs = NULL;

    if (a->collateral_file != NULL) {
        json_object_object_add(c, "file", json_object_new_string(a->collateral_file));
    } else if (p->collateral_source == ATTEST_COLL_FILE) {
        snprintf(path, sizeof(path), "%s%s%s",
                 p->base_dir != NULL && p->collateral_name[0] != '/' ? p->base_dir : "",
                 p->base_dir != NULL && p->collateral_name[0] != '/' ? "/" : "",
                 p->collateral_name);
        abs = realpath(path, NULL);
        json_object_object_add(c, "file", json_object_new_string(abs != NULL ? abs : path));
        free(abs);
    } else if (a->collateral_doc != NULL) { /* the cache */
        json_object_object_add(c, "cache",
                               p->collateral_cache != NULL
                                   ? json_object_new_string(p->collateral_cache)
                                   : json_object_new_boolean(1));
    } else {
        json_object_put(c);
        return NULL;
    }
    if (p->max_age_days > 0)
        json_object_object_add(c, "max_age_days", json_object_new_int(p->max_age_days));
    return c;
}

/* What carries over from the policy the attestation was judged under. */
static void emit_carry(const p11tee_attestation *a, json_object *root, json_object *tdx_top)
{
    const attest_policy *p = a->policy->rules;
    json_object *roots, *coll;

    if (p->preset[0] != '\0' && strcmp(p->preset, "default") != 0)
        json_object_object_add(root, "preset", json_object_new_string(p->preset));
    if (p->tdx_test_root_files != NULL || p->nvidia_test_root_files != NULL) {
        roots = json_object_new_object();
        if (p->tdx_test_root_files != NULL)
            json_object_object_add(roots, "tdx", emit_paths(p->tdx_test_root_files));
        if (p->nvidia_test_root_files != NULL)
            json_object_object_add(roots, "nvidia", emit_paths(p->nvidia_test_root_files));
        json_object_object_add(root, "test_roots", roots);
    }
    if (a->outcome.tdx.tcb != TDX_TCB_UNKNOWN && (coll = emit_collateral(a)) != NULL)
        json_object_object_add(tdx_top, "collateral", coll);
}

char *p11tee_attestation_emit_policy(const p11tee_attestation *a)
{
    const char *model = p11tee_attestation_get(a, "model");
    json_object *root, *section, *models, *top = json_object_new_object();
    const char *text;
    char *out;

    if (!a->outcome.has_quote || a->verdict.code != P11TEE_OK || model == NULL) {
        json_object_put(top);
        return NULL; /* only what was verified is pinned, for the model it was verified for */
    }
    root = json_object_new_object();
    json_object_object_add(root, "version", json_object_new_int(1));
    emit_carry(a, root, top);
    if (json_object_object_length(top) > 0)
        json_object_object_add(root, "tdx", top);
    else
        json_object_put(top);
    section = json_object_new_object();
    /* A pinned TCB status holds only where it is evaluated: the status is required. */
    if (a->outcome.tdx.tcb != TDX_TCB_UNKNOWN) {
        json_object *checks = json_object_new_object();

        json_object_object_add(checks, "tdx.tcb.status", json_object_new_string("required"));
        json_object_object_add(section, "checks", checks);
    }
    json_object_object_add(section, "tdx", emit_tdx(a));
    models = json_object_new_object();
    json_object_object_add(models, model, section);
    json_object_object_add(root, "models", models);
    text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
    /* A file for a person to edit: it ends with a newline. */
    out = text != NULL ? malloc(strlen(text) + 2) : NULL;
    if (out != NULL)
        snprintf(out, strlen(text) + 2, "%s\n", text);
    json_object_put(root);
    return out;
}
