/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The policy's collateral rule (tdx.collateral: a file, the cache, a cache
 * directory, none; max_age_days) and the shipped preset
 * strict-with-collateral: the same bytes as docs/policies/, the collateral
 * checks required, loaded by name.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "testlib.h"

#define S(x) x, strlen(x)

static attest_policy *parse(const char *json, const char *base_dir)
{
    attest_policy *p = NULL;
    p11tee_error err;

    if (attest_policy_parse(S(json), base_dir, &p, &err) != P11TEE_OK)
        fail_msg("%s: %s", json, err.message);
    return p;
}

static void collateral_sources(void **state)
{
    attest_policy *p;
    char *dir = test_mkdtemp(), path[1024], json[1200];
    FILE *f;

    (void)state;
    p = parse("{\"version\": 1}", NULL);
    assert_int_equal(p->collateral_source, ATTEST_COLL_DEFAULT);
    assert_int_equal(p->max_age_days, 0);
    attest_policy_free(p);
    p = parse("{\"tdx\": {\"collateral\": {\"cache\": true, \"max_age_days\": 7}}}", NULL);
    assert_int_equal(p->collateral_source, ATTEST_COLL_CACHE);
    assert_null(p->collateral_cache);
    assert_int_equal(p->max_age_days, 7);
    attest_policy_free(p);
    p = parse("{\"tdx\": {\"collateral\": {\"cache\": \"/srv/collateral\"}}}", NULL);
    assert_int_equal(p->collateral_source, ATTEST_COLL_CACHE);
    assert_string_equal(p->collateral_cache, "/srv/collateral");
    attest_policy_free(p);
    p = parse("{\"tdx\": {\"collateral\": {\"cache\": false}}}", NULL);
    assert_int_equal(p->collateral_source, ATTEST_COLL_OFF);
    attest_policy_free(p);
    /* A file, by either spelling, relative to the policy's directory. */
    snprintf(path, sizeof(path), "%s/coll.json", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"x\": 1}", f);
    fclose(f);
    p = parse("{\"tdx\": {\"collateral\": {\"file\": \"coll.json\"}}}", dir);
    assert_int_equal(p->collateral_source, ATTEST_COLL_FILE);
    assert_string_equal(p->collateral_name, "coll.json");
    assert_int_equal(p->collateral_len, 8);
    attest_policy_free(p);
    snprintf(json, sizeof(json), "{\"tdx\": {\"collateral_file\": \"%s\"}}", path);
    p = parse(json, NULL);
    assert_int_equal(p->collateral_source, ATTEST_COLL_FILE);
    attest_policy_free(p);
    test_rmtree(dir);
    free(dir);
}

static void collateral_refusals(void **state)
{
    static const struct {
        const char *json, *why;
    } bad[] = {
        {"{\"tdx\": {\"collateral\": true}}", "tdx.collateral must be an object"},
        {"{\"tdx\": {\"collateral\": {\"cache\": \"relative/dir\"}}}",
         "tdx.collateral.cache must be true, false or an absolute directory"},
        {"{\"tdx\": {\"collateral\": {\"cache\": true, \"file\": \"x.json\"}}}",
         "names its collateral twice"},
        {"{\"tdx\": {\"collateral_file\": \"x.json\", \"collateral\": {\"cache\": true}}}",
         "cannot open"},
        {"{\"tdx\": {\"collateral\": {\"max_age_days\": 0}}}",
         "max_age_days must be a whole number from 1 to 3650"},
        {"{\"tdx\": {\"collateral\": {\"max_age_days\": 4000}}}", "from 1 to 3650"},
        {"{\"tdx\": {\"collateral\": {\"max_age_days\": \"7\"}}}", "from 1 to 3650"},
        {"{\"tdx\": {\"collateral\": {\"maxage\": 7}}}",
         "policy key tdx.collateral.maxage is unknown (file, cache, max_age_days)"},
        {"{\"tdx\": {\"collateral\": {\"file\": \"\"}}}",
         "tdx.collateral.file must be a file name"},
    };
    attest_policy *p = NULL;
    p11tee_error err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(attest_policy_parse(S(bad[i].json), "/nonexistent", &p, &err),
                         P11TEE_E_POLICY);
        if (strstr(err.message, bad[i].why) == NULL)
            fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].json, err.message, bad[i].why);
        assert_null(p);
    }
}

static void preset_strict_with_collateral(void **state)
{
    const char *text = attest_policy_preset("strict-with-collateral");
    char path[1024], *shipped, hash[65];
    attest_policy *p = NULL;
    p11tee_error err;
    size_t i;
    static const char *const required[] = {
        "tdx.collateral.format", "tdx.collateral.crl",   "tdx.collateral.tcb_info",
        "tdx.collateral.dates",  "tdx.collateral.age",   "tdx.pck.revocation",
        "tdx.qe.identity",       "tdx.tdx_module",       "tdx.tcb.status",
        "tdx.pck.chain",         "nvidia.evidence.nonce"};

    (void)state;
    assert_non_null(text);
    assert_null(attest_policy_preset("strict"));
    snprintf(path, sizeof(path), "%s/docs/policies/strict-with-collateral.json",
             test_require_env("top_srcdir"));
    shipped = test_read_file(path, NULL);
    assert_non_null(shipped);
    assert_string_equal(text, shipped); /* the compiled-in preset is the shipped file */
    free(shipped);
    assert_int_equal(api_policy_load("strict-with-collateral", &p, &err), P11TEE_OK);
    assert_string_equal(p->source, "built-in strict-with-collateral preset");
    assert_int_equal(api_sha256_hex(text, strlen(text), hash, NULL), P11TEE_OK);
    assert_string_equal(p->sha256, hash);
    assert_int_equal(p->collateral_source, ATTEST_COLL_CACHE);
    assert_int_equal(p->max_age_days, 14);
    for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        assert_int_equal(attest_policy_requirement(p, required[i]), P11TEE_REQUIRED);
    /* The server's own statements stay if-checked, as in the strict default. */
    assert_int_equal(attest_policy_requirement(p, "server.verified"), P11TEE_IF_CHECKED);
    attest_policy_free(p);
    /* A name with a '/' is a file. */
    assert_int_equal(api_policy_load("./strict-with-collateral", &p, &err), P11TEE_E_POLICY_FILE);
    /* A file starting from it keeps its collateral rule, or names its own instead. */
    p = parse("{\"preset\": \"strict-with-collateral\", \"checks\": {\"tdx.tcb.status\": "
              "\"advisory\"}}",
              NULL);
    assert_int_equal(p->collateral_source, ATTEST_COLL_CACHE);
    assert_int_equal(p->max_age_days, 14);
    assert_int_equal(attest_policy_requirement(p, "tdx.pck.revocation"), P11TEE_REQUIRED);
    assert_int_equal(attest_policy_requirement(p, "tdx.tcb.status"), P11TEE_ADVISORY);
    attest_policy_free(p);
    p = parse("{\"preset\": \"strict-with-collateral\", \"tdx\": {\"collateral\": "
              "{\"cache\": \"/srv/c\"}}}",
              NULL);
    assert_int_equal(p->collateral_source, ATTEST_COLL_CACHE);
    assert_string_equal(p->collateral_cache, "/srv/c");
    attest_policy_free(p);
    /* An unknown preset names the three. */
    assert_int_equal(attest_policy_parse(S("{\"preset\": \"lax\"}"), NULL, &p, &err),
                     P11TEE_E_POLICY);
    assert_non_null(strstr(err.message, "default, strict, strict-with-collateral"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(collateral_sources),
        cmocka_unit_test(collateral_refusals),
        cmocka_unit_test(preset_strict_with_collateral),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
