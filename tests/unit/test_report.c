/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The public attestation object: its fields come from the verifier's
 * outcome and the response it judged, a reference outlives the call that
 * made it, and an allocation failure is an error, never a missing field.
 * Allocations of the library's own code fail on demand: this program is
 * linked with --wrap for malloc, calloc, realloc, strdup and strndup
 * (tests/unit/local.mk), and every allocation of a verification is made to
 * fail in turn. Evidence comes from the reference server's dump-attestation.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <p11tee/p11tee.h>

#include "testlib.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define MODEL    "e2ee-qwen3-5-122b-a10b"
#define NONCE    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

/* ---- allocation failures on demand -------------------------------------------- */

static struct {
    int armed;
    long countdown; /* allocations to let through before failing one */
    int fired;
} inject;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

static int inject_fail(void)
{
    if (!inject.armed || inject.countdown-- != 0)
        return 0;
    inject.fired = 1;
    return 1;
}

void *__wrap_malloc(size_t n)
{
    return inject_fail() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return inject_fail() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return inject_fail() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return inject_fail() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    return inject_fail() ? NULL : __real_strndup(s, n);
}

/* ---- the evidence --------------------------------------------------------------- */

static struct {
    char *dir;
    char *response; /* a /tee/attestation response for MODEL and NONCE */
    size_t response_len;
    json_object *parsed;       /* the same, parsed */
    json_object *measurements; /* the state dir's measurements.json */
    char policy[1024];
    p11tee_config *cfg; /* names the policy, which pins the builder's test roots */
} ev;

static void evidence_make(void)
{
    const char *src = test_require_env("top_srcdir");
    const char *py = getenv("PYTHON3") != NULL ? getenv("PYTHON3") : "/usr/bin/python3";
    char script[1024], out[1024], path[1024],
        *import[] = {(char *)py, "-c", "import cryptography", NULL};
    FILE *fp;

    if (test_run(import) != 0)
        test_skip_all("%s cannot import cryptography (install python3-cryptography)", py);
    ev.dir = test_mkdtemp();
    snprintf(script, sizeof(script), "%s/tests/server/venice_ref.py", src);
    snprintf(out, sizeof(out), "%s/att.json", ev.dir);
    {
        char *argv[] = {(char *)py, script, "dump-attestation", "--model", MODEL,
                        "--nonce",  NONCE,  "--state-dir",      ev.dir,    "--out",
                        out,        NULL};

        if (test_run(argv) != 0)
            test_skip_all("venice_ref.py dump-attestation failed");
    }
    ev.response = test_read_file(out, &ev.response_len);
    snprintf(path, sizeof(path), "%s/measurements.json", ev.dir);
    ev.measurements = json_object_from_file(path);
    ev.parsed = json_tokener_parse(ev.response);
    if (ev.response == NULL || ev.measurements == NULL || ev.parsed == NULL)
        test_skip_all("the builder's output cannot be read");
    snprintf(ev.policy, sizeof(ev.policy), "%s/policy.json", ev.dir);
    fp = fopen(ev.policy, "w");
    assert_non_null(fp);
    fprintf(fp,
            "{\"version\": 1, \"test_roots\": {\"tdx\": [\"%s/sgx_test_root.pem\"], "
            "\"nvidia\": [\"%s/nvidia_test_root.pem\"]}}\n",
            ev.dir, ev.dir);
    fclose(fp);
    ev.cfg = p11tee_config_new();
    assert_non_null(ev.cfg);
    assert_int_equal(p11tee_config_set(ev.cfg, "policy-file", ev.policy, NULL), P11TEE_OK);
}

static void evidence_free(void)
{
    p11tee_config_free(ev.cfg);
    json_object_put(ev.parsed);
    json_object_put(ev.measurements);
    free(ev.response);
    test_rmtree(ev.dir);
    free(ev.dir);
}

static const char *json_str(json_object *o, const char *key)
{
    json_object *v = NULL;

    assert_true(json_object_object_get_ex(o, key, &v));
    return json_object_get_string(v);
}

/* ---- what a verification must give ----------------------------------------------- */

static const char *const measurement_fields[] = {
    "mrtd",    "rtmr0",         "rtmr1",  "rtmr2",         "rtmr3", "mrconfigid",
    "mrowner", "mrownerconfig", "mrseam", "td_attributes", "xfam",
};
static const char *const response_fields[] = {"model",       "nonce",        "signing_address",
                                              "signing_key", "tee_provider", "gpu_count"};
static const char *const quote_fields[] = {"quote_version", "reportdata", "policy"};

static int has_all(const p11tee_attestation *a, const char *const *names, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p11tee_attestation_get(a, names[i]) == NULL)
            return 0;
    return 1;
}

/* A failed check that says it ran out of memory. */
static int reports_no_memory(const p11tee_attestation *a)
{
    p11tee_check c;
    size_t i;

    for (i = 0; p11tee_attestation_check(a, i, &c) == 0; i++)
        if (c.result == P11TEE_CHECK_FAIL && strstr(c.reason, "out of memory") != NULL)
            return 1;
    return 0;
}

/*
 * After a verification with one allocation failing: no attestation and
 * P11TEE_E_NOMEM, or an attestation whose fields are all there, or one whose
 * verdict fails on a check that names the failure. Never a passing report
 * with a field missing.
 */
static void expect_whole_or_error(p11tee_status rc, const p11tee_attestation *a, int bare,
                                  int *nomem)
{
    int whole;

    if (a == NULL) {
        assert_int_equal(rc, P11TEE_E_NOMEM);
        (*nomem)++;
        return;
    }
    whole = has_all(a, measurement_fields, COUNT(measurement_fields)) &&
            has_all(a, quote_fields, COUNT(quote_fields)) &&
            (bare || has_all(a, response_fields, COUNT(response_fields)));
    if (!whole) {
        assert_int_not_equal(rc, P11TEE_OK);
        assert_true(reports_no_memory(a));
    }
}

static p11tee_status verify_offline(p11tee_attestation **out)
{
    p11tee_offline_options o = {.model = MODEL, .nonce_hex = NONCE};
    p11tee_error err;

    return p11tee_attest_offline(ev.cfg, ev.response, ev.response_len, &o, out, &err);
}

static p11tee_status verify_quote(p11tee_attestation **out)
{
    const char *quote = json_str(ev.parsed, "intel_quote");
    p11tee_error err;

    return p11tee_quote_verify(ev.cfg, (const uint8_t *)quote, strlen(quote), NULL, out, &err);
}

/* Every field as the verifier and the server gave it; the report outlives its maker. */
static void fields_come_from_the_outcome(void **state)
{
    p11tee_attestation *a = NULL, *kept;
    p11tee_check c;
    char *json, want[160];
    size_t i;

    (void)state;
    assert_int_equal(verify_offline(&a), P11TEE_OK);
    for (i = 0; i < COUNT(measurement_fields); i++)
        assert_string_equal(p11tee_attestation_get(a, measurement_fields[i]),
                            json_str(ev.measurements, measurement_fields[i]));
    assert_string_equal(p11tee_attestation_get(a, "model"), MODEL);
    assert_string_equal(p11tee_attestation_get(a, "nonce"), NONCE);
    assert_string_equal(p11tee_attestation_get(a, "signing_address"),
                        json_str(ev.parsed, "signing_address"));
    assert_string_equal(p11tee_attestation_get(a, "signing_key"),
                        json_str(ev.parsed, "signing_key"));
    assert_string_equal(p11tee_attestation_get(a, "tee_provider"),
                        json_str(ev.parsed, "tee_provider"));
    assert_string_equal(p11tee_attestation_get(a, "quote_version"), "4");
    assert_string_equal(p11tee_attestation_get(a, "gpu_count"), "1");
    assert_string_equal(p11tee_attestation_get(a, "policy"), ev.policy);
    assert_int_equal(strlen(p11tee_attestation_get(a, "reportdata")), 128);
    assert_null(p11tee_attestation_get(a, "tcb_status")); /* no collateral: not evaluated */
    assert_null(p11tee_attestation_get(a, "no-such-field"));
    /* The policy's requirement is read from the policy the report holds. */
    for (i = 0; p11tee_attestation_check(a, i, &c) == 0; i++)
        if (strcmp(c.name, "tdx.quote.signature") == 0)
            break;
    assert_string_equal(c.name, "tdx.quote.signature");
    assert_int_equal(c.result, P11TEE_CHECK_PASS);
    assert_int_equal(c.requirement, P11TEE_REQUIRED);
    /* A second reference keeps the report after the first is dropped. */
    kept = p11tee_attestation_ref(a);
    assert_ptr_equal(kept, a);
    p11tee_attestation_free(a);
    json = p11tee_attestation_json(kept);
    assert_non_null(json);
    snprintf(want, sizeof(want), "\"mrtd\": \"%s\"", json_str(ev.measurements, "mrtd"));
    assert_non_null(strstr(json, want));
    assert_non_null(strstr(json, "\"verdict\": \"pass\""));
    free(json);
    p11tee_attestation_free(kept);
}

/* A bare quote: its fields, and none of a response's. */
static void quote_fields_come_from_the_outcome(void **state)
{
    p11tee_attestation *a = NULL;

    (void)state;
    assert_int_equal(verify_quote(&a), P11TEE_OK);
    assert_string_equal(p11tee_attestation_get(a, "mrtd"), json_str(ev.measurements, "mrtd"));
    assert_string_equal(p11tee_attestation_get(a, "quote_version"), "4");
    assert_null(p11tee_attestation_get(a, "model"));
    assert_null(p11tee_attestation_get(a, "nonce"));
    assert_null(p11tee_attestation_get(a, "gpu_count"));
    p11tee_attestation_free(a);
}

/* Fail the library's allocations one at a time, from the first to the last. */
static void allocation_failures(p11tee_status (*verify)(p11tee_attestation **), int bare)
{
    long k;
    int nomem = 0;

    for (k = 0;; k++) {
        p11tee_attestation *a = NULL;
        p11tee_status rc;

        assert_true(k < 100000);
        inject.countdown = k;
        inject.fired = 0;
        inject.armed = 1;
        rc = verify(&a);
        inject.armed = 0;
        if (!inject.fired) {
            /* Past the last allocation: everything went through. */
            assert_int_equal(rc, P11TEE_OK);
            assert_true(has_all(a, measurement_fields, COUNT(measurement_fields)));
            p11tee_attestation_free(a);
            break;
        }
        expect_whole_or_error(rc, a, bare, &nomem);
        p11tee_attestation_free(a);
    }
    print_message("# %ld allocations failed in turn, %d of them gave P11TEE_E_NOMEM\n", k, nomem);
    assert_true(k > 0);
    assert_true(nomem > 0);
}

static void offline_allocation_failures(void **state)
{
    (void)state;
    allocation_failures(verify_offline, 0);
}

static void quote_allocation_failures(void **state)
{
    (void)state;
    allocation_failures(verify_quote, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fields_come_from_the_outcome),
        cmocka_unit_test(quote_fields_come_from_the_outcome),
        cmocka_unit_test(offline_allocation_failures),
        cmocka_unit_test(quote_allocation_failures),
    };
    int failed;

    evidence_make();
    failed = TEST_MAIN(tests, NULL, NULL);
    evidence_free();
    return failed;
}
