/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The policy's "tdx" object (p11tee-policy(5)): measurement pins (mrtd,
 * rtmr0-3, mrconfigid, app_compose), dstack's event pins, each one value or
 * a list of accepted values; accepted TCB statuses; where the collateral
 * comes from (policy_collateral.c). A model's section replaces what it names
 * (policy_tdx_forget()).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "attest/policy.h"
#include "crypto/crypto.h"

/* One hex value of exactly `n` bytes (an optional 0x). */
static p11tee_status policy_pin_value(json_object *v, const char *name, uint8_t *out, size_t n,
                                      p11tee_error *err)
{
    const char *s = json_object_get_string(v);
    size_t len = json_object_is_type(v, json_type_string) ? strlen(s) : 0;

    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        len -= 2;
    }
    if (len != 2 * n || hex_decode(s, len, out, n, NULL, NULL) != P11TEE_OK)
        return err_set(err, P11TEE_E_POLICY,
                       "tdx.%s must be %zu hex characters, or a list of such values", name, 2 * n);
    return P11TEE_OK;
}

/*
 * The values of a pin: one value, or a non-empty list of accepted values
 * (a rolling upgrade names the old and the new), each handed to `one`.
 */
static p11tee_status policy_values(json_object *v, const char *name, size_t *n,
                                   p11tee_status (*one)(json_object *, const char *, size_t, void *,
                                                        p11tee_error *),
                                   void *ctx, p11tee_error *err)
{
    size_t i, count = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 1;
    p11tee_status rc = P11TEE_OK;

    if (*n != 0)
        return err_set(err, P11TEE_E_POLICY, "tdx.%s is pinned twice; keep one", name);
    if (count == 0 || count > ATTEST_PIN_VALUES_MAX)
        return err_set(err, P11TEE_E_POLICY, "tdx.%s must list 1 to %d accepted values", name,
                       ATTEST_PIN_VALUES_MAX);
    for (i = 0; rc == P11TEE_OK && i < count; i++)
        rc = one(json_object_is_type(v, json_type_array) ? json_object_array_get_idx(v, i) : v,
                 name, i, ctx, err);
    if (rc == P11TEE_OK)
        *n = count;
    return rc;
}

typedef struct policy_pin_ctx {
    attest_pin *pin;
    size_t bytes; /* TDX_MR_BYTES or SHA256_DIGEST_LENGTH */
} policy_pin_ctx;

static p11tee_status policy_pin_one(json_object *v, const char *name, size_t i, void *ctx,
                                    p11tee_error *err)
{
    policy_pin_ctx *c = ctx;

    return policy_pin_value(v, name, c->pin->v[i], c->bytes, err);
}

/* A measurement pin: one hex value or a list of them. */
static p11tee_status policy_pin(json_object *v, const char *name, attest_pin *pin, size_t bytes,
                                p11tee_error *err)
{
    policy_pin_ctx c = {pin, bytes};

    return policy_values(v, name, &pin->n, policy_pin_one, &c, err);
}

static p11tee_status policy_event_one(json_object *v, const char *name, size_t i, void *ctx,
                                      p11tee_error *err)
{
    attest_event_pin *pin = ctx;
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
    size_t k;

    if (s == NULL || s[0] == '\0' || strlen(s) >= ATTEST_EVENT_TEXT_MAX)
        return err_set(err, P11TEE_E_POLICY,
                       "tdx.events.%s must be the payload (hex, or the text) of at most %d "
                       "characters, or a list of them",
                       name, ATTEST_EVENT_TEXT_MAX - 1);
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    for (k = 0; s[k] != '\0'; k++)
        pin->v[i][k] = (char)(s[k] >= 'A' && s[k] <= 'F' ? s[k] - 'A' + 'a' : s[k]);
    pin->v[i][k] = '\0';
    return P11TEE_OK;
}

/* tdx.events: {"compose-hash": "<hex>" | [...], ...}, dstack's names. */
static p11tee_status policy_events(attest_policy *p, json_object *v, p11tee_error *err)
{
    json_object_iter it;
    size_t e;
    p11tee_status rc;

    if (!json_object_is_type(v, json_type_object))
        return err_set(err, P11TEE_E_POLICY, "tdx.events must be an object of event names");
    json_object_object_foreachC(v, it)
    {
        for (e = 0; e < ATTEST_EVENTS; e++)
            if (strcmp(it.key, attest_event_names[e]) == 0)
                break;
        if (e == ATTEST_EVENTS)
            return err_set(err, P11TEE_E_POLICY,
                           "tdx.events.%s is not a pinnable event (compose-hash, os-image-hash, "
                           "key-provider, instance-id, app-id)",
                           it.key);
        rc = policy_values(it.val, it.key, &p->events[e].n, policy_event_one, &p->events[e], err);
        if (rc != P11TEE_OK)
            return rc;
    }
    return P11TEE_OK;
}

static p11tee_status policy_tcb(attest_policy *p, json_object *list, p11tee_error *err)
{
    size_t i;

    if (!json_object_is_type(list, json_type_array) || json_object_array_length(list) == 0)
        return err_set(err, P11TEE_E_POLICY,
                       "tdx.accepted_tcb_statuses must be a non-empty list of Intel status names");
    p->accepted_tcb = 0;
    for (i = 0; i < json_object_array_length(list); i++) {
        json_object *s = json_object_array_get_idx(list, i);
        tdx_tcb_status st;

        if (!json_object_is_type(s, json_type_string) ||
            tdx_tcb_status_from_name(json_object_get_string(s), &st, NULL) != P11TEE_OK ||
            st == TDX_TCB_UNKNOWN)
            return err_set(err, P11TEE_E_POLICY,
                           "tdx.accepted_tcb_statuses[%zu] is not an Intel TCB status name "
                           "(UpToDate, SWHardeningNeeded, ...)",
                           i);
        p->accepted_tcb |= TDX_TCB_BIT(st);
    }
    return P11TEE_OK;
}

static const char *const policy_rtmr_names[4] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};

typedef struct policy_file_ctx {
    attest_pin *pin;
    const char *base_dir;
} policy_file_ctx;

/* One app_compose file: its SHA-256 is the value. */
static p11tee_status policy_compose_file(json_object *v, const char *name, size_t i, void *ctx,
                                         p11tee_error *err)
{
    policy_file_ctx *c = ctx;
    char *data = NULL;
    size_t len = 0;
    p11tee_status rc;

    if (!json_object_is_type(v, json_type_string))
        return err_set(err, P11TEE_E_POLICY, "tdx.%s must be a file name, or a list of them", name);
    rc = policy_read(c->base_dir, json_object_get_string(v), POLICY_FILE_MAX, &data, &len, err);
    if (rc == P11TEE_OK)
        rc = digest_sha256(data, len, c->pin->v[i], err);
    free(data);
    return rc;
}

/* app_compose pinned by digest or by the file itself (whose SHA-256 is taken); lists too. */
static p11tee_status policy_app_compose(attest_policy *p, json_object *v, int is_file,
                                        const char *base_dir, p11tee_error *err)
{
    policy_file_ctx c = {&p->app_compose_sha256, base_dir};

    if (p->app_compose_sha256.n != 0)
        return err_set(err, P11TEE_E_POLICY,
                       "tdx has both app_compose_sha256 and app_compose_file; keep one");
    if (!is_file)
        return policy_pin(v, "app_compose_sha256", &p->app_compose_sha256, SHA256_DIGEST_LENGTH,
                          err);
    return policy_values(v, "app_compose_file", &p->app_compose_sha256.n, policy_compose_file, &c,
                         err);
}

p11tee_status policy_tdx_member(attest_policy *p, const char *key, json_object *v,
                                const char *base_dir, p11tee_error *err)
{
    size_t i;

    if (strcmp(key, "mrtd") == 0)
        return policy_pin(v, key, &p->mrtd, TDX_MR_BYTES, err);
    if (strcmp(key, "mrconfigid") == 0)
        return policy_pin(v, key, &p->mrconfigid, TDX_MR_BYTES, err);
    for (i = 0; i < 4; i++)
        if (strcmp(key, policy_rtmr_names[i]) == 0)
            return policy_pin(v, key, &p->rtmr[i], TDX_MR_BYTES, err);
    if (strcmp(key, "events") == 0)
        return policy_events(p, v, err);
    if (strcmp(key, "app_compose_sha256") == 0 || strcmp(key, "app_compose_file") == 0)
        return policy_app_compose(p, v, strcmp(key, "app_compose_file") == 0, base_dir, err);
    if (strcmp(key, "accepted_tcb_statuses") == 0)
        return policy_tcb(p, v, err);
    if (strcmp(key, "allow_nonce_sha256") == 0) {
        if (!json_object_is_type(v, json_type_boolean))
            return err_set(err, P11TEE_E_POLICY, "tdx.allow_nonce_sha256 must be true or false");
        p->allow_nonce_sha256 = json_object_get_boolean(v);
        return P11TEE_OK;
    }
    if (strcmp(key, "collateral_file") == 0 || strcmp(key, "collateral") == 0)
        return policy_collateral(p, v, strcmp(key, "collateral_file") == 0, base_dir, err);
    return err_set(err, P11TEE_E_POLICY, "policy key tdx.%s is unknown (see p11tee-policy(5))",
                   key);
}

void policy_tdx_forget(attest_policy *p, const char *key, json_object *v)
{
    json_object_iter it;
    size_t i;

    if (strcmp(key, "mrtd") == 0)
        p->mrtd.n = 0;
    if (strcmp(key, "mrconfigid") == 0)
        p->mrconfigid.n = 0;
    for (i = 0; i < 4; i++)
        if (strcmp(key, policy_rtmr_names[i]) == 0)
            p->rtmr[i].n = 0;
    if (strcmp(key, "app_compose_sha256") == 0 || strcmp(key, "app_compose_file") == 0)
        p->app_compose_sha256.n = 0;
    if (strcmp(key, "events") == 0 && json_object_is_type(v, json_type_object))
        json_object_object_foreachC(v, it)
        {
            for (i = 0; i < ATTEST_EVENTS; i++)
                if (strcmp(it.key, attest_event_names[i]) == 0)
                    p->events[i].n = 0;
        }
    if (strcmp(key, "collateral") == 0 || strcmp(key, "collateral_file") == 0) {
        free(p->collateral);
        free(p->collateral_cache);
        p->collateral = p->collateral_cache = NULL;
        p->collateral_len = 0;
        p->collateral_source = ATTEST_COLL_DEFAULT;
        p->collateral_name[0] = '\0';
        p->max_age_days = 0;
    }
}
