/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * A configuration for the reference server and the throwaway token that the
 * integration fixture (tests/integration/lib.sh) exported. Its own object, so
 * that only the tests that call it link the library's configuration calls.
 */
#include "config.h"

#include <p11tee/p11tee.h>

#include "testlib.h"

static void test_config_set(p11tee_config *cfg, const char *name, const char *env)
{
    p11tee_error err;

    if (p11tee_config_set(cfg, name, test_require_env(env), &err) != P11TEE_OK)
        fail_msg("p11tee_config_set(%s): %s", name, err.message);
}

void test_config_refserver(p11tee_config *cfg)
{
    assert_non_null(cfg);
    test_config_set(cfg, "base-url", "REFSERVER_URL");
    test_config_set(cfg, "api-key", "REFSERVER_API_KEY");
    test_config_set(cfg, "pkcs11-module", "P11TEE_MODULE");
    test_config_set(cfg, "pkcs11-token", "P11TEE_TOKEN");
    test_config_set(cfg, "policy-file", "IT_POLICY");
}
