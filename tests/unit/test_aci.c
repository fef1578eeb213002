/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The ACI envelope as Venice's gateway serves it, judged offline
 * (p11tee_attest_offline): the reference server's dump-attestation makes
 * each shape and fault, and every aci.*, tdx.rtmr3.replay and event-pin
 * check is asserted by its result, code and reason, with the verdict of the
 * default policy, the strict preset and pins given as lists. The operator's
 * native report comes in a saved attestation (aci_report).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <p11tee/p11tee.h>

#include "testlib.h"

#define MODEL    "e2ee-qwen3-5-122b-a10b"
#define NONCE    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static struct {
    const char *py;
    char script[1024];
    char *dir;
} env;

static int setup(void **state)
{
    const char *src = test_require_env("top_srcdir");
    char *import[] = {NULL, "-c", "import cryptography", NULL};

    (void)state;
    env.py = getenv("PYTHON3") != NULL ? getenv("PYTHON3") : "/usr/bin/python3";
    import[0] = (char *)env.py;
    if (test_run(import) != 0)
        test_skip_all("%s cannot import cryptography (install python3-cryptography)", env.py);
    snprintf(env.script, sizeof(env.script), "%s/tests/server/venice_ref.py", src);
    env.dir = test_mkdtemp();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_rmtree(env.dir);
    free(env.dir);
    return 0;
}

/* ---- documents ------------------------------------------------------------------ */

/*
 * dump-attestation with the arguments given (NULL-terminated); the response,
 * and in *native (unless NULL) the native report for the same keyset and nonce.
 */
static char *dump(char **native, ...)
{
    char out[1024], nat[1024], *argv[40];
    size_t n = 0;
    const char *a;
    va_list ap;
    char *text;

    snprintf(out, sizeof(out), "%s/att.json", env.dir);
    snprintf(nat, sizeof(nat), "%s/native.json", env.dir);
    argv[n++] = (char *)env.py;
    argv[n++] = env.script;
    argv[n++] = "dump-attestation";
    argv[n++] = "--model";
    argv[n++] = MODEL;
    argv[n++] = "--nonce";
    argv[n++] = NONCE;
    argv[n++] = "--state-dir";
    argv[n++] = env.dir;
    argv[n++] = "--out";
    argv[n++] = out;
    if (native != NULL) {
        argv[n++] = "--native-out";
        argv[n++] = nat;
    }
    va_start(ap, native);
    while ((a = va_arg(ap, const char *)) != NULL && n < 38)
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    if (test_run(argv) != 0)
        fail_msg("venice_ref.py dump-attestation failed");
    text = test_read_file(out, NULL);
    assert_non_null(text);
    if (native != NULL) {
        *native = test_read_file(nat, NULL);
        assert_non_null(*native);
    }
    return text;
}

/* A saved attestation holding `response` and the native report `native`. */
static char *saved(const char *response, const char *native)
{
    json_object *o = json_object_new_object();
    char *text;

    json_object_object_add(o, "p11tee_saved_attestation", json_object_new_int(1));
    json_object_object_add(o, "model", json_object_new_string(MODEL));
    json_object_object_add(o, "nonce", json_object_new_string(NONCE));
    json_object_object_add(o, "response", json_object_new_string(response));
    json_object_object_add(o, "aci_report", json_object_new_string(native));
    text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    assert_non_null(text);
    return text;
}

/* A config whose policy pins the builder's test roots, plus `extra` members ("" for none). */
static p11tee_config *config(const char *extra)
{
    char path[1024];
    FILE *fp;
    p11tee_config *cfg = p11tee_config_new();

    snprintf(path, sizeof(path), "%s/policy.json", env.dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp,
            "{\"version\": 1, \"test_roots\": {\"tdx\": [\"sgx_test_root.pem\"], "
            "\"nvidia\": [\"nvidia_test_root.pem\"]}%s%s}\n",
            extra[0] ? ", " : "", extra);
    fclose(fp);
    assert_non_null(cfg);
    assert_int_equal(p11tee_config_set(cfg, "policy-file", path, NULL), P11TEE_OK);
    return cfg;
}

/* Verify `doc` under the policy with `extra`; returns the verdict, *out the attestation. */
static p11tee_status verify(const char *doc, const char *extra, time_t at, p11tee_attestation **out,
                            p11tee_error *err)
{
    p11tee_config *cfg = config(extra);
    p11tee_offline_options o = {.model = MODEL, .nonce_hex = NONCE, .at = at};
    p11tee_status rc = p11tee_attest_offline(cfg, doc, strlen(doc), &o, out, err);

    p11tee_config_free(cfg);
    assert_non_null(*out);
    return rc;
}

static void expect(const p11tee_attestation *a, const char *name, p11tee_check_result r,
                   p11tee_status code, const char *part)
{
    p11tee_check c;
    size_t i;

    for (i = 0; p11tee_attestation_check(a, i, &c) == 0; i++)
        if (strcmp(c.name, name) == 0)
            break;
    if (p11tee_attestation_check(a, i, &c) != 0)
        fail_msg("check %s was not recorded", name);
    if (c.result != r || (r == P11TEE_CHECK_FAIL && c.code != code))
        fail_msg("%s: result %d code %d (want %d, %d): %s", name, c.result, c.code, r, code,
                 c.reason);
    if (part != NULL && strstr(c.reason, part) == NULL)
        fail_msg("%s: \"%s\" lacks \"%s\"", name, c.reason, part);
}

static void expect_verdict(p11tee_status rc, const p11tee_error *err, p11tee_status want,
                           const char *part)
{
    if (rc != want)
        fail_msg("verdict %d (want %d): %s", rc, want, rc != P11TEE_OK ? err->message : "");
    if (part != NULL && strstr(err->message, part) == NULL)
        fail_msg("the verdict's message \"%s\" lacks \"%s\"", err->message, part);
}

static const char *const aci_checks[] = {
    "aci.api_version",       "aci.report_data",        "aci.agree.quote",
    "aci.agree.app_compose", "aci.agree.event_log",    "aci.keyset.digest",
    "aci.keyset.e2ee_key",   "aci.keyset.endorsement", "aci.keyset.expiry",
};

/* ---- the envelope ------------------------------------------------------------------- */

static void both_shapes_pass(void **state)
{
    char *doc = dump(NULL, "--shape", "both", NULL);
    json_object *resp = json_tokener_parse(doc), *digest = NULL;
    p11tee_attestation *a = NULL;
    p11tee_error err;
    size_t i;

    (void)state;
    expect_verdict(verify(doc, "", 0, &a, &err), &err, P11TEE_OK, NULL);
    for (i = 0; i < COUNT(aci_checks); i++)
        expect(a, aci_checks[i], P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    expect(a, "tdx.rtmr3.replay", P11TEE_CHECK_PASS, P11TEE_OK, "events");
    expect(a, "app_compose.binding", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    expect(a, "aci.native.quote", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, "aci-report-url");
    /* the named events are shown once the log replays */
    assert_int_equal(strlen(p11tee_attestation_get(a, "compose_hash")), 64);
    assert_non_null(p11tee_attestation_get(a, "app_id"));
    assert_non_null(strstr(p11tee_attestation_get(a, "key_provider"), "{"));
    assert_non_null(p11tee_attestation_get(a, "os_image_hash"));
    assert_true(json_object_object_get_ex(resp, "workload_keyset_digest", &digest));
    assert_string_equal(p11tee_attestation_get(a, "workload_keyset_digest"),
                        json_object_get_string(digest));
    p11tee_attestation_free(a);
    json_object_put(resp);
    free(doc);
}

/* The legacy fields alone: nothing of ACI to check; the strict preset wants it. */
static void legacy_shape(void **state)
{
    char *doc = dump(NULL, "--shape", "legacy", NULL);
    p11tee_attestation *a = NULL;
    p11tee_error err;

    (void)state;
    expect_verdict(verify(doc, "", 0, &a, &err), &err, P11TEE_OK, NULL);
    expect(a, "aci.api_version", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, NULL);
    expect(a, "aci.keyset.digest", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, NULL);
    p11tee_attestation_free(a);
    expect_verdict(verify(doc, "\"preset\": \"strict\"", 0, &a, &err), &err,
                   P11TEE_E_ATTEST_REQUIRED, "aci.");
    p11tee_attestation_free(a);
    free(doc);
}

/* The envelope alone: the quote under attestation.evidence, the key from the keyset. */
static void aci_shape(void **state)
{
    char *doc = dump(NULL, "--shape", "aci", NULL);
    p11tee_attestation *a = NULL;
    p11tee_error err;

    (void)state;
    /* no GPU evidence in the envelope: the default policy requires it */
    expect_verdict(verify(doc, "", 0, &a, &err), &err, P11TEE_E_ATTEST_REQUIRED, "nvidia.");
    expect(a, "tdx.quote.signature", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    expect(a, "tdx.reportdata.address", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    expect(a, "aci.keyset.e2ee_key", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    p11tee_attestation_free(a);
    expect_verdict(verify(doc, "\"checks\": {\"nvidia.*\": \"if-checked\"}", 0, &a, &err), &err,
                   P11TEE_OK, NULL);
    assert_non_null(p11tee_attestation_get(a, "signing_key"));
    p11tee_attestation_free(a);
    free(doc);
}

/* info.tcb_info as a JSON string (as the live gateway sends it) reads the same. */
static void tcb_info_string(void **state)
{
    char *doc = dump(NULL, "--tcb-info-form", "string", NULL);
    p11tee_attestation *a = NULL;
    p11tee_error err;

    (void)state;
    expect_verdict(verify(doc, "", 0, &a, &err), &err, P11TEE_OK, NULL);
    expect(a, "aci.agree.event_log", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    expect(a, "tdx.rtmr3.replay", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    assert_int_equal(strlen(p11tee_attestation_get(a, "compose_hash")), 64);
    p11tee_attestation_free(a);
    free(doc);
}

/* Each disagreement fails its check, by name, and the verdict with it. */
static void disagreements(void **state)
{
    static const struct {
        const char *fault, *check;
        p11tee_status code;
        const char *part;
    } cases[] = {
        {"aci-quote-disagree", "aci.agree.quote", P11TEE_E_QUOTE_FORMAT, "different quotes"},
        {"aci-compose-disagree", "aci.agree.app_compose", P11TEE_E_MEASUREMENT, NULL},
        {"aci-key-outside-keyset", "aci.keyset.e2ee_key", P11TEE_E_ATTEST_SIGNING_KEY, "none of"},
        {"aci-keyset-digest", "aci.keyset.digest", P11TEE_E_MEASUREMENT, NULL},
        {"rtmr3-mismatch", "tdx.rtmr3.replay", P11TEE_E_MEASUREMENT, "RTMR3"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < COUNT(cases); i++) {
        char *doc = dump(NULL, "--fault", cases[i].fault, NULL);
        p11tee_attestation *a = NULL;
        p11tee_error err;
        p11tee_status rc = verify(doc, "", 0, &a, &err);

        print_message("# %s\n", cases[i].fault);
        expect(a, cases[i].check, P11TEE_CHECK_FAIL, cases[i].code, cases[i].part);
        assert_int_not_equal(rc, P11TEE_OK);
        assert_non_null(strstr(err.message, cases[i].check));
        p11tee_attestation_free(a);
        free(doc);
    }
}

/* A field of the response replaced by `value` (JSON text). */
static char *with_field(const char *doc, const char *path1, const char *path2, const char *key,
                        const char *value)
{
    json_object *root = json_tokener_parse(doc), *o = root;
    char *text;

    if (path1 != NULL)
        o = json_object_object_get(o, path1);
    if (path2 != NULL)
        o = json_object_object_get(o, path2);
    assert_non_null(o);
    json_object_object_add(o, key, json_tokener_parse(value));
    text = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
    json_object_put(root);
    return text;
}

/* Fields changed after the gateway made them: each check that covers one fails. */
static void tampered_fields(void **state)
{
    char *doc = dump(NULL, NULL), *t;
    p11tee_attestation *a = NULL;
    p11tee_error err;

    (void)state;
    t = with_field(doc, NULL, NULL, "api_version", "\"aci/2\"");
    verify(t, "", 0, &a, &err);
    expect(a, "aci.api_version", P11TEE_CHECK_FAIL, P11TEE_E_JSON_FIELD, "aci/2");
    p11tee_attestation_free(a);
    free(t);
    t = with_field(doc, "attestation", NULL, "report_data", "\"00\"");
    verify(t, "", 0, &a, &err);
    expect(a, "aci.report_data", P11TEE_CHECK_FAIL, P11TEE_E_MEASUREMENT, NULL);
    p11tee_attestation_free(a);
    free(t);
    t = with_field(doc, "attestation", "keyset_endorsement", "value", "\"" NONCE NONCE "\"");
    verify(t, "", 0, &a, &err);
    expect(a, "aci.keyset.endorsement", P11TEE_CHECK_FAIL, P11TEE_E_SIGNATURE_MISMATCH, NULL);
    p11tee_attestation_free(a);
    free(t);
    /* the keyset expires 2030-01-01 */
    expect_verdict(verify(doc, "", (time_t)1900000000, &a, &err), &err, P11TEE_E_MEASUREMENT, NULL);
    expect(a, "aci.keyset.expiry", P11TEE_CHECK_FAIL, P11TEE_E_MEASUREMENT, "expired");
    p11tee_attestation_free(a);
    free(doc);
}

/* GPU evidence absent (the gateway could not fetch it): not checked, said why; required. */
static void no_gpu_evidence(void **state)
{
    char *doc = dump(NULL, "--fault", "no-gpu-evidence", NULL);
    p11tee_attestation *a = NULL;
    p11tee_error err;

    (void)state;
    expect_verdict(verify(doc, "", 0, &a, &err), &err, P11TEE_E_ATTEST_REQUIRED,
                   "the server sent no GPU evidence");
    expect(a, "nvidia.evidence.signature", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
           "the server sent no GPU evidence");
    expect(a, "nvidia.nonce", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    p11tee_attestation_free(a);
    free(doc);
}

/* ---- the native report ------------------------------------------------------------------ */

static void native_report(void **state)
{
    char *native = NULL, *doc = dump(&native, NULL), *s = saved(doc, native);
    p11tee_attestation *a = NULL;
    p11tee_error err;

    (void)state;
    expect_verdict(verify(s, "", 0, &a, &err), &err, P11TEE_OK, NULL);
    expect(a, "aci.native.quote", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    expect(a, "aci.native.binding", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    expect(a, "aci.native.keyset", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    p11tee_attestation_free(a);
    /* the strict preset passes with it (receipts are a signature's checks) ... */
    expect_verdict(verify(s, "\"preset\": \"strict\"", 0, &a, &err), &err, P11TEE_OK, NULL);
    p11tee_attestation_free(a);
    /* ... and fails without it, naming what is missing */
    expect_verdict(verify(doc, "\"preset\": \"strict\"", 0, &a, &err), &err,
                   P11TEE_E_ATTEST_REQUIRED, "aci.native.quote");
    p11tee_attestation_free(a);
    free(s);
    free(native);
    free(doc);
}

static void native_faults(void **state)
{
    static const struct {
        const char *fault, *check;
        p11tee_status code;
    } cases[] = {
        {"aci-native-binding", "aci.native.binding", P11TEE_E_REPORTDATA_NONCE},
        {"aci-native-keyset", "aci.native.keyset", P11TEE_E_MEASUREMENT},
    };
    size_t i;

    (void)state;
    for (i = 0; i < COUNT(cases); i++) {
        char *native = NULL, *doc = dump(&native, "--native-fault", cases[i].fault, NULL),
             *s = saved(doc, native);
        p11tee_attestation *a = NULL;
        p11tee_error err;

        expect_verdict(verify(s, "", 0, &a, &err), &err, cases[i].code, cases[i].check);
        expect(a, cases[i].check, P11TEE_CHECK_FAIL, cases[i].code, NULL);
        expect(a, "aci.native.quote", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
        p11tee_attestation_free(a);
        free(s);
        free(native);
        free(doc);
    }
}

/* A native report that is no report: the checks fail, saying why. */
static void native_unreadable(void **state)
{
    char *doc = dump(NULL, NULL), *s = saved(doc, "{\"api_version\": \"aci/1\"}");
    p11tee_attestation *a = NULL;
    p11tee_error err;

    (void)state;
    expect_verdict(verify(s, "", 0, &a, &err), &err, P11TEE_E_JSON_FIELD, "aci.native.quote");
    expect(a, "aci.native.quote", P11TEE_CHECK_FAIL, P11TEE_E_JSON_FIELD, NULL);
    p11tee_attestation_free(a);
    free(s);
    free(doc);
}

/* ---- pins as lists ----------------------------------------------------------------------- */

static void event_pins(void **state)
{
    char *doc = dump(NULL, NULL), *bad = dump(NULL, "--fault", "rtmr3-mismatch", NULL);
    char pin[1024], compose[65], rtmr3[97];
    p11tee_attestation *a = NULL;
    p11tee_error err;
    static const char other[] =
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"";

    (void)state;
    verify(doc, "", 0, &a, &err);
    snprintf(compose, sizeof(compose), "%s", p11tee_attestation_get(a, "compose_hash"));
    snprintf(rtmr3, sizeof(rtmr3), "%s", p11tee_attestation_get(a, "rtmr3"));
    p11tee_attestation_free(a);
    /* the old release and the new one: the new one matches */
    snprintf(pin, sizeof(pin),
             "\"tdx\": {\"events\": {\"compose-hash\": [%s, \"%s\"]}, \"rtmr3\": [\"%096d\", "
             "\"%s\"]}",
             other, compose, 0, rtmr3);
    expect_verdict(verify(doc, pin, 0, &a, &err), &err, P11TEE_OK, NULL);
    expect(a, "policy.event.compose_hash", P11TEE_CHECK_PASS, P11TEE_OK, "value 2 of 2");
    expect(a, "policy.rtmr3", P11TEE_CHECK_PASS, P11TEE_OK, "value 2 of 2");
    p11tee_attestation_free(a);
    /* the old one only */
    snprintf(pin, sizeof(pin), "\"tdx\": {\"events\": {\"compose-hash\": %s}}", other);
    expect_verdict(verify(doc, pin, 0, &a, &err), &err, P11TEE_E_MEASUREMENT,
                   "policy.event.compose_hash");
    p11tee_attestation_free(a);
    /* a log that does not replay proves no event, whatever it names */
    snprintf(pin, sizeof(pin),
             "\"checks\": {\"tdx.rtmr3.replay\": \"advisory\"}, \"tdx\": {\"events\": "
             "{\"compose-hash\": \"%s\"}}",
             compose);
    expect_verdict(verify(bad, pin, 0, &a, &err), &err, P11TEE_E_MEASUREMENT,
                   "policy.event.compose_hash");
    expect(a, "policy.event.compose_hash", P11TEE_CHECK_FAIL, P11TEE_E_MEASUREMENT,
           "does not replay");
    assert_null(p11tee_attestation_get(a, "compose_hash")); /* not shown as measured */
    p11tee_attestation_free(a);
    free(bad);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(both_shapes_pass), cmocka_unit_test(legacy_shape),
        cmocka_unit_test(aci_shape),        cmocka_unit_test(tcb_info_string),
        cmocka_unit_test(disagreements),    cmocka_unit_test(tampered_fields),
        cmocka_unit_test(no_gpu_evidence),  cmocka_unit_test(native_report),
        cmocka_unit_test(native_faults),    cmocka_unit_test(native_unreadable),
        cmocka_unit_test(event_pins),
    };

    return TEST_MAIN(tests, setup, teardown);
}
