/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Where a policy takes the TDX collateral from (p11tee-policy(5), tdx.collateral):
 *   "collateral_file": "x.json"              a file (the older spelling)
 *   "collateral": {"file": "x.json"}         the same
 *   "collateral": {"cache": true}            the collateral cache (p11tee
 *                                            collateral fetch), always
 *   "collateral": {"cache": "/dir"}          a cache directory of its own
 *   "collateral": {"cache": false}           none
 *   "collateral": {..., "max_age_days": N}   refuse collateral issued more
 *                                            than N days before (tdx.collateral.age)
 * Without any of them the cache is used when it holds collateral for the
 * quote's platform.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "attest/attest.h"
#include "attest/policy.h"

#define POLICY_MAX_AGE_DAYS 3650

static p11tee_status coll_file(attest_policy *p, json_object *v, const char *key,
                               const char *base_dir, p11tee_error *err)
{
    const char *name = json_object_get_string(v);

    if (!json_object_is_type(v, json_type_string) || name[0] == '\0')
        return err_set(err, P11TEE_E_POLICY, "%s must be a file name", key);
    if (p->collateral_source != ATTEST_COLL_DEFAULT)
        return err_set(err, P11TEE_E_POLICY,
                       "the policy names its collateral twice (tdx.collateral_file, "
                       "tdx.collateral.file, tdx.collateral.cache): keep one");
    p->collateral_source = ATTEST_COLL_FILE;
    snprintf(p->collateral_name, sizeof(p->collateral_name), "%s", name);
    return policy_read(base_dir, name, TDX_COLLATERAL_MAX, &p->collateral, &p->collateral_len, err);
}

static p11tee_status coll_cache(attest_policy *p, json_object *v, p11tee_error *err)
{
    if (p->collateral_source != ATTEST_COLL_DEFAULT)
        return err_set(err, P11TEE_E_POLICY,
                       "the policy names its collateral twice (tdx.collateral_file, "
                       "tdx.collateral.file, tdx.collateral.cache): keep one");
    if (json_object_is_type(v, json_type_boolean)) {
        p->collateral_source = json_object_get_boolean(v) ? ATTEST_COLL_CACHE : ATTEST_COLL_OFF;
        return P11TEE_OK;
    }
    if (!json_object_is_type(v, json_type_string) || json_object_get_string(v)[0] != '/')
        return err_set(err, P11TEE_E_POLICY,
                       "tdx.collateral.cache must be true, false or an absolute directory");
    p->collateral_source = ATTEST_COLL_CACHE;
    p->collateral_cache = strdup(json_object_get_string(v));
    return p->collateral_cache != NULL ? P11TEE_OK : err_set(err, P11TEE_E_NOMEM, "out of memory");
}

p11tee_status policy_collateral(attest_policy *p, json_object *v, int is_file, const char *base_dir,
                                p11tee_error *err)
{
    json_object_iter it;
    p11tee_status rc = P11TEE_OK;
    int64_t days;

    if (is_file)
        return coll_file(p, v, "tdx.collateral_file", base_dir, err);
    if (!json_object_is_type(v, json_type_object))
        return err_set(err, P11TEE_E_POLICY,
                       "tdx.collateral must be an object: {\"file\": ...} or {\"cache\": ...}, "
                       "and \"max_age_days\"");
    json_object_object_foreachC(v, it)
    {
        if (strcmp(it.key, "file") == 0) {
            rc = coll_file(p, it.val, "tdx.collateral.file", base_dir, err);
        } else if (strcmp(it.key, "cache") == 0) {
            rc = coll_cache(p, it.val, err);
        } else if (strcmp(it.key, "max_age_days") == 0) {
            days = json_object_is_type(it.val, json_type_int) ? json_object_get_int64(it.val) : 0;
            if (days < 1 || days > POLICY_MAX_AGE_DAYS)
                return err_set(err, P11TEE_E_POLICY,
                               "tdx.collateral.max_age_days must be a whole number from 1 to %d",
                               POLICY_MAX_AGE_DAYS);
            p->max_age_days = (int)days;
        } else {
            return err_set(err, P11TEE_E_POLICY,
                           "policy key tdx.collateral.%s is unknown (file, cache, max_age_days)",
                           it.key);
        }
        if (rc != P11TEE_OK)
            return rc;
    }
    return P11TEE_OK;
}
