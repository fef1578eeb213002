/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* The attestation policy and the evidence checks that do not need a quote. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/attest.h"
#include "testlib.h"

#define S(x) x, strlen(x)

/* secp256k1 generator G: the public key of private key 1, and its address. */
static const char key1[] = "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
                           "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8";
static const char addr1[] = "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf";

static void defaults(void **state)
{
    attest_policy *p;

    (void)state;
    assert_int_equal(attest_policy_default(&p, NULL), P11TEE_OK);
    assert_int_equal(attest_policy_requirement(p, "tdx.quote.signature"), P11TEE_REQUIRED);
    assert_int_equal(attest_policy_requirement(p, "nvidia.chain"), P11TEE_REQUIRED);
    assert_int_equal(attest_policy_requirement(p, "tdx.collateral.crl"), P11TEE_IF_CHECKED);
    assert_int_equal(attest_policy_requirement(p, "tdx.collateral"), P11TEE_IF_CHECKED);
    assert_int_equal(attest_policy_requirement(p, "tdx.collateralx"), P11TEE_REQUIRED);
    assert_int_equal(attest_policy_requirement(p, "nvidia.ocsp"), P11TEE_IF_CHECKED);
    assert_int_equal(attest_policy_requirement(p, "server.verified"), P11TEE_IF_CHECKED);
    assert_int_equal(attest_policy_requirement(p, "signature.request_hash"), P11TEE_ADVISORY);
    assert_int_equal(attest_policy_requirement(p, "signature.recovered"), P11TEE_REQUIRED);
    assert_int_equal(p->accepted_tcb, TDX_TCB_BIT(TDX_TCB_UP_TO_DATE));
    assert_true(p->tee_chat_requires_attestation);
    assert_string_equal(p->source, "built-in default");
    attest_policy_free(p);
}

static void rules_and_specificity(void **state)
{
    static const char json[] = "{\"version\":1,\"checks\":{\"nvidia.*\":\"advisory\","
                               "\"nvidia.chain\":\"required\",\"tdx.collateral.*\":\"required\","
                               "\"server.verified\":\"required\"}}";
    attest_policy *p;
    p11tee_error err;

    (void)state;
    assert_int_equal(attest_policy_parse(S(json), NULL, &p, &err), P11TEE_OK);
    assert_int_equal(attest_policy_requirement(p, "nvidia.fwid"), P11TEE_ADVISORY);
    assert_int_equal(attest_policy_requirement(p, "nvidia.chain"), P11TEE_REQUIRED);
    /* the file's rule wins the tie with the default of the same pattern */
    assert_int_equal(attest_policy_requirement(p, "tdx.collateral.crl"), P11TEE_REQUIRED);
    assert_int_equal(attest_policy_requirement(p, "server.verified"), P11TEE_REQUIRED);
    assert_int_equal(attest_policy_requirement(p, "tdx.quote.signature"), P11TEE_REQUIRED);
    attest_policy_free(p);
}

/* The policy file, the CLI and the JSON spell requirements and results one way each. */
static void names(void **state)
{
    static const p11tee_requirement reqs[] = {P11TEE_REQUIRED, P11TEE_IF_CHECKED, P11TEE_ADVISORY};
    attest_policy *p;
    p11tee_error err;
    char json[128];
    size_t i;

    (void)state;
    assert_string_equal(p11tee_requirement_name(P11TEE_REQUIRED), "required");
    assert_string_equal(p11tee_requirement_name(P11TEE_IF_CHECKED), "if-checked");
    assert_string_equal(p11tee_requirement_name(P11TEE_ADVISORY), "advisory");
    assert_string_equal(p11tee_check_result_name(P11TEE_CHECK_PASS), "pass");
    assert_string_equal(p11tee_check_result_name(P11TEE_CHECK_FAIL), "FAIL");
    assert_string_equal(p11tee_check_result_name(P11TEE_CHECK_NOT_CHECKED), "not checked");
    /* What p11tee_requirement_name() says is what a policy file may write. */
    for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        snprintf(json, sizeof(json), "{\"checks\":{\"nvidia.chain\":\"%s\"}}",
                 p11tee_requirement_name(reqs[i]));
        assert_int_equal(attest_policy_parse(S(json), NULL, &p, &err), P11TEE_OK);
        assert_int_equal(attest_policy_requirement(p, "nvidia.chain"), reqs[i]);
        attest_policy_free(p);
    }
    assert_int_equal(
        attest_policy_parse(S("{\"checks\":{\"nvidia.chain\":\"if checked\"}}"), NULL, &p, &err),
        P11TEE_E_POLICY);
    assert_non_null(strstr(err.message, "\"required\", \"if-checked\" or \"advisory\""));
}

static void refusals(void **state)
{
    static const struct {
        const char *json;
        const char *needle;
    } bad[] = {
        {"[]", "JSON object"},
        {"{\"checks\":{\"nvidia.*\":\"maybe\"}}", "\"required\""},
        {"{\"checks\":{\"nv*dia\":\"advisory\"}}", "not a check name"},
        {"{\"checks\":{\"Tdx\":\"advisory\"}}", "not a check name"},
        {"{\"checks\":{\"\":\"advisory\"}}", "not a check name"},
        {"{\"unknown\":{}}", "unknown"},
        {"{\"tdx\":{\"mrtd\":\"00\"}}", "tdx.mrtd must be 96 hex"},
        {"{\"tdx\":{\"rtmr2\":5}}", "tdx.rtmr2 must be 96 hex"},
        {"{\"tdx\":{\"shoesize\":5}}", "tdx.shoesize is unknown"},
        {"{\"tdx\":{\"accepted_tcb_statuses\":[]}}", "non-empty"},
        {"{\"tdx\":{\"accepted_tcb_statuses\":[\"uptodate\"]}}", "Intel TCB status"},
        {"{\"tdx\":{\"allow_nonce_sha256\":\"yes\"}}", "true or false"},
        {"{\"tdx\":{\"app_compose_sha256\":\"" /* 64 zeros */
         "0000000000000000000000000000000000000000000000000000000000000000\","
         "\"app_compose_file\":\"x\"}}",
         "keep one"},
        {"{\"tdx\":{\"collateral_file\":\"/nonexistent/c.json\"}}",
         "cannot open /nonexistent/c.json"},
        {"{\"test_roots\":{\"amd\":[]}}", "unknown key \"amd\""},
        {"{\"test_roots\":{\"tdx\":\"root.pem\"}}", "list of files"},
        {"{\"version\":2}", "version must be 1"},
        {"{\"tee_chat_requires_attestation\":1}", "true or false"},
        {"{\"checks\":", "truncated"},
    };
    attest_policy *p;
    p11tee_error err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(attest_policy_parse(S(bad[i].json), NULL, &p, &err), P11TEE_E_POLICY);
        assert_null(p);
        if (strstr(err.message, bad[i].needle) == NULL)
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.message, bad[i].needle);
    }
}

static void pins_and_files(void **state)
{
    char *dir = test_mkdtemp(), path[512], json[1024];
    const char *vectors = getenv("P11TEE_VECTORS");
    attest_policy *p;
    p11tee_error err;
    FILE *f;

    (void)state;
    snprintf(path, sizeof(path), "%s/compose.json", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"services\":{}}", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/not-a-cert.pem", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("hello", f);
    fclose(f);
    snprintf(json, sizeof(json),
             "{\"tdx\":{\"mrtd\":\"0x%096d\",\"rtmr3\":\"%096d\",\"app_compose_file\":"
             "\"compose.json\",\"accepted_tcb_statuses\":[\"UpToDate\",\"SWHardeningNeeded\"],"
             "\"allow_nonce_sha256\":true},\"tee_chat_requires_attestation\":false}",
             0, 0);
    assert_int_equal(attest_policy_parse(S(json), dir, &p, &err), P11TEE_OK);
    assert_true(p->mrtd.n == 1 && p->rtmr[3].n == 1 && p->rtmr[0].n == 0 &&
                p->app_compose_sha256.n == 1);
    /* SHA-256 of {"services":{}} is d8bb5768...98366 (sha256sum) */
    assert_int_equal(p->app_compose_sha256.v[0][0], 0xd8);
    assert_int_equal(p->app_compose_sha256.v[0][31], 0x66);
    assert_int_equal(p->accepted_tcb,
                     TDX_TCB_BIT(TDX_TCB_UP_TO_DATE) | TDX_TCB_BIT(TDX_TCB_SW_HARDENING_NEEDED));
    assert_true(p->allow_nonce_sha256);
    assert_false(p->tee_chat_requires_attestation);
    attest_policy_free(p);

    assert_int_equal(
        attest_policy_parse(S("{\"test_roots\":{\"tdx\":[\"not-a-cert.pem\"]}}"), dir, &p, &err),
        P11TEE_E_POLICY);
    assert_non_null(strstr(err.message, "holds no PEM certificate"));
    if (vectors != NULL && vectors[0] != '\0') {
        snprintf(json, sizeof(json),
                 "{\"test_roots\":{\"nvidia\":[\"%s/tdx/intel_sgx_root_ca.pem\"]}}", vectors);
        if (attest_policy_parse(S(json), dir, &p, &err) == P11TEE_OK) {
            assert_non_null(strstr(p->nvidia_test_roots, "BEGIN CERTIFICATE"));
            attest_policy_free(p);
        }
    }
    test_rmtree(dir);
    free(dir);
}

/* Every pin takes one value or a list of accepted values (a rolling upgrade). */
static void pins_as_lists(void **state)
{
    char json[2048];
    attest_policy *p;
    p11tee_error err;

    (void)state;
    snprintf(json, sizeof(json),
             "{\"tdx\":{\"mrtd\":[\"%096d\",\"0x%095d1\"],\"rtmr1\":[\"%096d\"],"
             "\"app_compose_sha256\":[\"%064d\",\"%063d2\"],"
             "\"events\":{\"compose-hash\":[\"AB\",\"0xcd\"],\"key-provider\":"
             "\"{\\\"name\\\":\\\"kms\\\"}\"}}}",
             0, 0, 0, 0, 0);
    assert_int_equal(attest_policy_parse(S(json), NULL, &p, &err), P11TEE_OK);
    assert_int_equal(p->mrtd.n, 2);
    assert_int_equal(p->mrtd.v[1][TDX_MR_BYTES - 1], 1);
    assert_int_equal(p->rtmr[1].n, 1);
    assert_int_equal(p->app_compose_sha256.n, 2);
    assert_int_equal(p->app_compose_sha256.v[1][31], 2);
    assert_int_equal(p->events[ATTEST_EVENT_COMPOSE_HASH].n, 2);
    assert_string_equal(p->events[ATTEST_EVENT_COMPOSE_HASH].v[0], "ab"); /* hex, lowercase */
    assert_string_equal(p->events[ATTEST_EVENT_COMPOSE_HASH].v[1], "cd");
    assert_string_equal(p->events[ATTEST_EVENT_KEY_PROVIDER].v[0], "{\"name\":\"kms\"}");
    assert_int_equal(p->events[ATTEST_EVENT_APP_ID].n, 0);
    attest_policy_free(p);

    assert_int_equal(attest_policy_parse(S("{\"tdx\":{\"mrtd\":[]}}"), NULL, &p, &err),
                     P11TEE_E_POLICY);
    assert_non_null(strstr(err.message, "tdx.mrtd must list 1 to 16 accepted values"));
    assert_int_equal(attest_policy_parse(S("{\"tdx\":{\"rtmr0\":[\"00\"]}}"), NULL, &p, &err),
                     P11TEE_E_POLICY);
    assert_non_null(strstr(err.message, "tdx.rtmr0 must be 96 hex characters"));
    assert_int_equal(
        attest_policy_parse(S("{\"tdx\":{\"events\":{\"boot-mr-done\":\"00\"}}}"), NULL, &p, &err),
        P11TEE_E_POLICY);
    assert_non_null(strstr(err.message, "tdx.events.boot-mr-done is not a pinnable event"));
    assert_int_equal(
        attest_policy_parse(S("{\"tdx\":{\"events\":{\"app-id\":[5]}}}"), NULL, &p, &err),
        P11TEE_E_POLICY);
}

/* The strict preset: by name, or as a file's starting point. */
static void presets(void **state)
{
    static const char *const strict[] = {
        "tdx.rtmr3.replay",    "app_compose.binding", "aci.api_version",        "aci.agree.quote",
        "aci.keyset.e2ee_key", "aci.native.quote",    "receipt.signature",      "receipt.anchor",
        "upstream.verified",   "upstream.session",    "signature.response_hash"};
    attest_policy *p;
    p11tee_error err;
    size_t i;

    (void)state;
    assert_int_equal(attest_policy_load("strict", &p, &err), P11TEE_OK);
    for (i = 0; i < P11TEE_ARRAY_LEN(strict); i++)
        if (attest_policy_requirement(p, strict[i]) != P11TEE_REQUIRED)
            fail_msg("the strict preset does not require %s", strict[i]);
    assert_int_equal(attest_policy_requirement(p, "receipt.request_hash"), P11TEE_ADVISORY);
    assert_int_equal(attest_policy_requirement(p, "nvidia.ocsp"), P11TEE_IF_CHECKED);
    assert_string_equal(p->source, "built-in strict preset");
    attest_policy_free(p);
    /* the default: the same checks are if-checked (or advisory) */
    assert_int_equal(attest_policy_load("default", &p, &err), P11TEE_OK);
    assert_int_equal(attest_policy_requirement(p, "aci.native.quote"), P11TEE_IF_CHECKED);
    assert_int_equal(attest_policy_requirement(p, "tdx.rtmr3.replay"), P11TEE_IF_CHECKED);
    assert_int_equal(attest_policy_requirement(p, "upstream.verified"), P11TEE_ADVISORY);
    attest_policy_free(p);
    /* a file starting from the preset keeps its own rules on top, whatever the key order */
    assert_int_equal(attest_policy_parse(S("{\"checks\":{\"aci.native.*\":\"if-checked\"},"
                                           "\"preset\":\"strict\"}"),
                                         NULL, &p, &err),
                     P11TEE_OK);
    assert_int_equal(attest_policy_requirement(p, "aci.native.binding"), P11TEE_IF_CHECKED);
    assert_int_equal(attest_policy_requirement(p, "aci.keyset.digest"), P11TEE_REQUIRED);
    attest_policy_free(p);
    assert_int_equal(attest_policy_parse(S("{\"preset\":\"lenient\"}"), NULL, &p, &err),
                     P11TEE_E_POLICY);
    assert_non_null(strstr(err.message, "preset \"lenient\" is not one of default, strict"));
    /* "./strict" is a file, not the preset */
    assert_int_equal(attest_policy_load("./strict", &p, &err), P11TEE_E_POLICY);
    assert_non_null(strstr(err.message, "cannot open ./strict"));
}

static void verdicts(void **state)
{
    attest_policy *p;
    attest_report rep;
    p11tee_error err;

    (void)state;
    assert_int_equal(attest_policy_default(&p, NULL), P11TEE_OK);
    attest_report_init(&rep);
    attest_report_add(&rep, ATTEST_CK_SIGNATURE_REQUEST_HASH, P11TEE_CHECK_FAIL,
                      P11TEE_E_SIGNATURE_MISMATCH, "differs");
    attest_report_add(&rep, ATTEST_CK_NVIDIA_OCSP, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, "offline");
    assert_int_equal(attest_verdict(&rep, p, &err), P11TEE_OK);
    attest_report_add(&rep, ATTEST_CK_TDX_COLLATERAL_CRL, P11TEE_CHECK_FAIL, P11TEE_E_REVOKED,
                      "revoked");
    assert_int_equal(attest_verdict(&rep, p, &err), P11TEE_E_REVOKED);
    assert_non_null(strstr(err.message, "tdx.collateral.crl failed: revoked"));
    attest_report_init(&rep);
    attest_report_add(&rep, ATTEST_CK_TDX_QUOTE_SIGNATURE, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                      "no quote");
    assert_int_equal(attest_verdict(&rep, p, &err), P11TEE_E_ATTEST_REQUIRED);
    assert_non_null(strstr(err.message, "tdx.quote.signature is required"));
    attest_policy_free(p);
}

/* Evidence with everything right except what each case breaks. */
static void evidence_base(attest_evidence *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->has_verified = ev->verified = 1;
    ev->nonce = (strview){"0A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20212223242526272829", 64};
    ev->model = (strview){"e2ee-test", 9};
    ev->signing_key = (strview){key1, 130};
    ev->signing_key_field = "signing_key";
    ev->signing_address = (strview){addr1, 42};
}

static const attest_check *evaluate(const attest_evidence *ev, const attest_policy *p,
                                    attest_outcome *out, const char *name)
{
    static const uint8_t nonce[32] = {10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                                      21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
                                      32, 33, 34, 35, 36, 37, 38, 39, 40, 41};
    attest_expect ex;

    memset(&ex, 0, sizeof(ex));
    ex.model = "e2ee-test";
    ex.nonce = nonce;
    attest_evaluate(ev, &ex, p, out);
    return attest_report_find(&out->report, name);
}

static void evidence_statements(void **state)
{
    attest_policy *p;
    attest_evidence ev;
    attest_outcome out;
    const attest_check *c;
    p11tee_error err;

    (void)state;
    assert_int_equal(attest_policy_default(&p, NULL), P11TEE_OK);
    evidence_base(&ev);
    assert_int_equal(evaluate(&ev, p, &out, "nonce.echo")->result, P11TEE_CHECK_PASS);
    assert_int_equal(attest_report_find(&out.report, "model.echo")->result, P11TEE_CHECK_PASS);
    assert_int_equal(attest_report_find(&out.report, "server.verified")->result, P11TEE_CHECK_PASS);
    assert_int_equal(attest_report_find(&out.report, "signing_key.format")->result,
                     P11TEE_CHECK_PASS);
    assert_int_equal(attest_report_find(&out.report, "signing_address.binding")->result,
                     P11TEE_CHECK_PASS);
    assert_true(out.has_address);
    /* no quote, no GPU evidence: the strict default refuses, naming the quote */
    assert_int_equal(attest_report_find(&out.report, "tdx.quote.format")->result,
                     P11TEE_CHECK_NOT_CHECKED);
    assert_int_equal(attest_report_find(&out.report, "nvidia.payload")->result,
                     P11TEE_CHECK_NOT_CHECKED);
    assert_int_equal(attest_verdict(&out.report, p, &err), P11TEE_E_ATTEST_REQUIRED);
    assert_non_null(strstr(err.message, "tdx.quote.format"));
    attest_outcome_free(&out);

    ev.nonce.p = "ff0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526272829";
    c = evaluate(&ev, p, &out, "nonce.echo");
    assert_int_equal(c->result, P11TEE_CHECK_FAIL);
    assert_int_equal(c->code, P11TEE_E_ATTEST_NONCE_MISMATCH);
    assert_int_equal(attest_verdict(&out.report, p, &err), P11TEE_E_ATTEST_NONCE_MISMATCH);
    attest_outcome_free(&out);

    evidence_base(&ev);
    ev.model = (strview){"e2ee-other", 10};
    assert_int_equal(evaluate(&ev, p, &out, "model.echo")->code, P11TEE_E_ATTEST_MODEL_MISMATCH);
    attest_outcome_free(&out);

    evidence_base(&ev);
    ev.verified = 0;
    assert_int_equal(evaluate(&ev, p, &out, "server.verified")->code, P11TEE_E_ATTEST_NOT_VERIFIED);
    assert_int_equal(attest_verdict(&out.report, p, &err), P11TEE_E_ATTEST_NOT_VERIFIED);
    attest_outcome_free(&out);

    evidence_base(&ev);
    ev.has_debug = ev.debug = 1;
    assert_int_equal(evaluate(&ev, p, &out, "debug.flag")->code, P11TEE_E_ATTEST_DEBUG);
    attest_outcome_free(&out);

    evidence_base(&ev);
    ev.has_verified = 0;
    ev.nonce.p = NULL;
    assert_int_equal(evaluate(&ev, p, &out, "nonce.echo")->result, P11TEE_CHECK_NOT_CHECKED);
    assert_int_equal(attest_report_find(&out.report, "server.verified")->result,
                     P11TEE_CHECK_NOT_CHECKED);
    attest_outcome_free(&out);
    attest_policy_free(p);
}

static void evidence_key(void **state)
{
    attest_policy *p;
    attest_evidence ev;
    attest_outcome out;
    const attest_check *c;

    (void)state;
    assert_int_equal(attest_policy_default(&p, NULL), P11TEE_OK);
    evidence_base(&ev);
    ev.signing_key = (strview){key1 + 2, 128}; /* without the 04 prefix */
    ev.signing_address = (strview){"0x7e5f4552091a69125d5dfcb7b8c2659029395bdf", 42};
    assert_int_equal(evaluate(&ev, p, &out, "signing_address.binding")->result, P11TEE_CHECK_PASS);
    assert_int_equal(out.model_key[0], 0x04);
    attest_outcome_free(&out);

    ev.signing_address = (strview){"0x7e5f4552091a69125d5dfcb7b8c2659029395be0", 42};
    c = evaluate(&ev, p, &out, "signing_address.binding");
    assert_int_equal(c->code, P11TEE_E_ATTEST_ADDRESS_MISMATCH);
    assert_non_null(strstr(c->reason, addr1));
    attest_outcome_free(&out);

    ev.signing_address.p = NULL;
    assert_int_equal(evaluate(&ev, p, &out, "signing_address.binding")->result, P11TEE_CHECK_FAIL);
    attest_outcome_free(&out);

    ev.signing_key = (strview){"04abcdef", 8};
    c = evaluate(&ev, p, &out, "signing_key.format");
    assert_int_equal(c->code, P11TEE_E_ATTEST_SIGNING_KEY);
    assert_null(attest_report_find(&out.report, "signing_address.binding"));
    attest_outcome_free(&out);

    /* 130 hex characters but not a point on the curve */
    ev.signing_key = (strview){"04000000000000000000000000000000000000000000000000000000000000000"
                               "10000000000000000000000000000000000000000000000000000000000000001",
                               130};
    assert_int_equal(evaluate(&ev, p, &out, "signing_key.format")->result, P11TEE_CHECK_FAIL);
    attest_outcome_free(&out);
    attest_policy_free(p);
}

static void evidence_quote_and_pins(void **state)
{
    attest_policy *p;
    attest_evidence ev;
    attest_outcome out;
    const attest_check *c;
    p11tee_error err;
    char json[512];

    (void)state;
    snprintf(json, sizeof(json), "{\"tdx\":{\"mrtd\":\"%096d\"}}", 0);
    assert_int_equal(attest_policy_parse(S(json), NULL, &p, &err), P11TEE_OK);
    evidence_base(&ev);
    ev.intel_quote = (strview){"0x0400zz", 8};
    c = evaluate(&ev, p, &out, "tdx.quote.format");
    assert_int_equal(c->result, P11TEE_CHECK_FAIL);
    assert_int_equal(c->code, P11TEE_E_QUOTE_FORMAT);
    c = attest_report_find(&out.report, "policy.mrtd");
    assert_non_null(c);
    assert_int_equal(c->code, P11TEE_E_MEASUREMENT);
    assert_non_null(strstr(c->reason, "no readable quote"));
    attest_outcome_free(&out);

    ev.intel_quote = (strview){"04000200810000000000", 20}; /* a header cut short */
    assert_int_equal(evaluate(&ev, p, &out, "tdx.quote.format")->code, P11TEE_E_QUOTE_FORMAT);
    attest_outcome_free(&out);
    attest_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(rules_and_specificity),
        cmocka_unit_test(names),
        cmocka_unit_test(refusals),
        cmocka_unit_test(pins_and_files),
        cmocka_unit_test(pins_as_lists),
        cmocka_unit_test(presets),
        cmocka_unit_test(verdicts),
        cmocka_unit_test(evidence_statements),
        cmocka_unit_test(evidence_key),
        cmocka_unit_test(evidence_quote_and_pins),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
