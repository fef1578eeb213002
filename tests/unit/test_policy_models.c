/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Per-model policy sections ("models"): what a section replaces (pins,
 * events by name, TCB statuses, the collateral) and what it adds (check
 * rules that win ties), what stays the file's (test roots, other pins),
 * that a model without a section gets none, and the sections refused when
 * the policy is read, each naming its section.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/attest.h"
#include "testlib.h"

#define S(x) x, strlen(x)
#define Z96                                                                                        \
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" \
    "0000"
#define A96                                                                                        \
    "aa000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" \
    "0000"
#define B96                                                                                        \
    "bb000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" \
    "0000"

static attest_policy *parse(const char *json)
{
    attest_policy *p = NULL;
    p11tee_error err;

    if (attest_policy_parse(S(json), NULL, &p, &err) != P11TEE_OK)
        fail_msg("%s: %s", json, err.message);
    return p;
}

static attest_policy *for_model(const attest_policy *base, const char *model)
{
    attest_policy *m = NULL;
    p11tee_error err;

    if (attest_policy_for_model(base, model, &m, &err) != P11TEE_OK)
        fail_msg("%s: %s", model, err.message);
    return m;
}

static void section_replaces_and_adds(void **state)
{
    attest_policy *p =
        parse("{\"version\": 1, \"checks\": {\"nvidia.*\": \"if-checked\"},"
              " \"tdx\": {\"mrtd\": \"" Z96 "\", \"rtmr1\": \"" Z96 "\","
              "  \"events\": {\"compose-hash\": \"aa\", \"app-id\": \"bb\"},"
              "  \"accepted_tcb_statuses\": [\"UpToDate\"]},"
              " \"models\": {\"m1\": {\"checks\": {\"nvidia.*\": \"advisory\"},"
              "   \"tdx\": {\"mrtd\": [\"" A96 "\", \"" B96 "\"], \"events\": {\"app-id\": \"cc\"},"
              "    \"accepted_tcb_statuses\": [\"UpToDate\", \"SWHardeningNeeded\"],"
              "    \"collateral\": {\"cache\": false}},"
              "   \"tee_chat_requires_attestation\": false}}}");
    attest_policy *m;

    (void)state;
    assert_int_equal(p->nmodels, 1);
    assert_string_equal(p->model, "");
    m = for_model(p, "m1");
    assert_non_null(m);
    assert_string_equal(m->model, "m1");
    assert_string_equal(m->source, "built-in default (models.m1)");
    /* Replaced: the MRTD pin (now two values), app-id, the TCB statuses, the collateral. */
    assert_int_equal(m->mrtd.n, 2);
    assert_int_equal(m->mrtd.v[0][0], 0xaa);
    assert_int_equal(m->mrtd.v[1][0], 0xbb);
    assert_int_equal(m->events[ATTEST_EVENT_APP_ID].n, 1);
    assert_string_equal(m->events[ATTEST_EVENT_APP_ID].v[0], "cc");
    assert_int_equal(m->accepted_tcb,
                     TDX_TCB_BIT(TDX_TCB_UP_TO_DATE) | TDX_TCB_BIT(TDX_TCB_SW_HARDENING_NEEDED));
    assert_int_equal(m->collateral_source, ATTEST_COLL_OFF);
    assert_int_equal(m->tee_chat_requires_attestation, 0);
    /* Kept: what the section does not name. */
    assert_int_equal(m->rtmr[1].n, 1);
    assert_int_equal(m->events[ATTEST_EVENT_COMPOSE_HASH].n, 1);
    assert_string_equal(m->events[ATTEST_EVENT_COMPOSE_HASH].v[0], "aa");
    /* Added after the file's rules: the section's wins the tie. */
    assert_int_equal(attest_policy_requirement(m, "nvidia.payload"), P11TEE_ADVISORY);
    assert_int_equal(attest_policy_requirement(p, "nvidia.payload"), P11TEE_IF_CHECKED);
    /* The defaults are untouched. */
    assert_int_equal(p->mrtd.n, 1);
    assert_int_equal(p->tee_chat_requires_attestation, 1);
    assert_int_equal(m->nmodels, 0);
    attest_policy_free(m);
    /* Another model, or none: no section. */
    assert_null(for_model(p, "m2"));
    assert_null(for_model(p, NULL));
    attest_policy_free(p);
}

/* A self-signed P-256 certificate in `path`, to name as a test root. */
static void write_root(const char *path)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    FILE *f = fopen(path, "w");

    assert_non_null(key);
    assert_non_null(x);
    assert_non_null(f);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"test root", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    X509_set_pubkey(x, key);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    assert_int_equal(PEM_write_X509(f, x), 1);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(key);
}

static void section_keeps_file_things(void **state)
{
    char *dir = test_mkdtemp(), path[1024], json[2048];
    attest_policy *p, *m;

    (void)state;
    /* Files a section names are read relative to the policy's directory. */
    snprintf(path, sizeof(path), "%s/compose.json", dir);
    assert_int_equal(test_write_file(path, "{\"services\": {}}"), 0);
    snprintf(path, sizeof(path), "%s/root.pem", dir);
    write_root(path);
    snprintf(json, sizeof(json),
             "{\"test_roots\": {\"tdx\": [\"root.pem\"]},"
             " \"tdx\": {\"app_compose_sha256\": \"%s\"},"
             " \"models\": {\"m\": {\"tdx\": {\"app_compose_file\": \"compose.json\"}}}}",
             "0000000000000000000000000000000000000000000000000000000000000000");
    assert_int_equal(attest_policy_parse(S(json), dir, &p, NULL), P11TEE_OK);
    m = for_model(p, "m");
    /* The section's app_compose replaces the defaults' digest (no "both" refusal). */
    assert_int_equal(m->app_compose_sha256.n, 1);
    assert_int_not_equal(m->app_compose_sha256.v[0][0] | m->app_compose_sha256.v[0][1], 0);
    assert_string_equal(m->base_dir, dir);
    /* The test roots are the file's, in the model's policy too (a copy of its own). */
    assert_int_equal(m->tdx_test_roots_len, p->tdx_test_roots_len);
    assert_ptr_not_equal(m->tdx_test_roots, p->tdx_test_roots);
    assert_memory_equal(m->tdx_test_roots, p->tdx_test_roots, p->tdx_test_roots_len);
    assert_non_null(strstr(m->tdx_test_root_files, "/root.pem\n"));
    assert_int_equal(p->tdx_test_root_files[0], '/');
    attest_policy_free(m);
    attest_policy_free(p);
    test_rmtree(dir);
    free(dir);
}

static void sections_refused(void **state)
{
    static const struct {
        const char *json, *why;
    } bad[] = {
        {"{\"models\": []}", "models must be an object"},
        {"{\"models\": {\"m\": 1}}", "models.m must be an object"},
        {"{\"models\": {\"\": {}}}", "models: a model id of 1 to 127 characters"},
        {"{\"models\": {\"m\": {\"test_roots\": {}}}}",
         "models.m: test_roots cannot be set per model"},
        {"{\"models\": {\"m\": {\"preset\": \"strict\"}}}", "models.m: preset cannot be set"},
        {"{\"models\": {\"m\": {\"models\": {}}}}", "models.m: models cannot be set"},
        {"{\"models\": {\"m\": {\"tdx\": {\"mrtd\": \"00\"}}}}",
         "models.m: tdx.mrtd must be 96 hex characters"},
        {"{\"models\": {\"m\": {\"tdx\": {\"nope\": 1}}}}",
         "models.m: policy key tdx.nope is unknown"},
        {"{\"models\": {\"m\": {\"checks\": {\"x\": \"often\"}}}}", "models.m: "},
        {"{\"models\": {\"m\": {\"tee_chat_requires_attestation\": 1}}}",
         "models.m: tee_chat_requires_attestation must be true or false"},
    };
    attest_policy *p = NULL;
    p11tee_error err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(attest_policy_parse(S(bad[i].json), NULL, &p, &err), P11TEE_E_POLICY);
        if (strstr(err.message, bad[i].why) == NULL)
            fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].json, err.message, bad[i].why);
        assert_null(p);
    }
}

static void sections_bounded(void **state)
{
    char json[8192];
    size_t n = 0, i;
    attest_policy *p = NULL;
    p11tee_error err;

    (void)state;
    n += (size_t)snprintf(json + n, sizeof(json) - n, "{\"models\": {");
    for (i = 0; i <= ATTEST_POLICY_MODELS_MAX; i++)
        n += (size_t)snprintf(json + n, sizeof(json) - n, "%s\"m%zu\": {}", i ? ", " : "", i);
    snprintf(json + n, sizeof(json) - n, "}}");
    assert_int_equal(attest_policy_parse(S(json), NULL, &p, &err), P11TEE_E_POLICY);
    assert_non_null(strstr(err.message, "models names more than 64 models"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(section_replaces_and_adds),
        cmocka_unit_test(section_keeps_file_things),
        cmocka_unit_test(sections_refused),
        cmocka_unit_test(sections_bounded),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
