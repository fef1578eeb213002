/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Collateral on its own, as `p11tee collateral fetch` checks it before
 * caching (attest_collateral_verify): the dcap-qvl vector under Intel's
 * pinned root, the builder's under the test root; stale, tampered,
 * wrong-FMSPC, wrong-CA and foreign-root collateral refused with the reason.
 * The platform a quote needs (attest_quote_platform), and the age check
 * against tdx.collateral.max_age_days.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "attest/tdx.h"
#include "tdx_testutil.h"
#include "testlib.h"

static const char *vector_name = "dcap-qvl_tdx_quote_collateral.json";

/* Verify `coll` as asked; the status, with `err` and `info` filled. */
static p11tee_status check(const char *coll, const char *fmspc, const char *ca, int test_roots,
                           time_t at, attest_collateral_info *info, p11tee_error *err)
{
    attest_collateral_want w;

    memset(&w, 0, sizeof(w));
    w.fmspc = fmspc;
    w.ca = ca;
    w.at = at;
    if (test_roots)
        w.test_roots = tdx_test_root(&w.test_roots_len);
    return attest_collateral_verify(coll, strlen(coll), &w, info, err);
}

static void expect_refused(const char *coll, const char *fmspc, const char *ca, int test_roots,
                           time_t at, const char *why)
{
    attest_collateral_info info;
    p11tee_error err;

    assert_int_equal(check(coll, fmspc, ca, test_roots, at, &info, &err), P11TEE_E_COLLATERAL);
    if (strstr(err.message, why) == NULL)
        fail_msg("\"%s\" lacks \"%s\"", err.message, why);
}

static void vector_under_intel_root(void **state)
{
    size_t len;
    char *coll = (char *)tdx_vector(vector_name, &len);
    attest_collateral_info info;
    p11tee_error err;
    char when[ATTEST_TIME_TEXT];

    (void)state;
    assert_int_equal(check(coll, "b0c06f000000", "platform", 0, TDX_DCAP_AT, &info, &err),
                     P11TEE_OK);
    assert_string_equal(info.fmspc, "B0C06F000000");
    assert_string_equal(info.ca, "platform");
    assert_string_equal(info.anchor, "Intel SGX Root CA (built in, SHA-256 44a0196b...74d3)");
    assert_int_equal(info.test_root, 0);
    attest_time_text(info.issued, when);
    assert_string_equal(when, "2025-06-19T10:16:03Z"); /* the TCB info's, the older one */
    attest_time_text(info.next_update, when);
    assert_string_equal(when, "2025-07-19T10:00:35Z"); /* the earliest, a CRL's */
    /* Any FMSPC or CA when none is asked for. */
    assert_int_equal(check(coll, NULL, NULL, 0, TDX_DCAP_AT, &info, &err), P11TEE_OK);
    free(coll);
}

static void vector_refusals(void **state)
{
    size_t len;
    char *coll = (char *)tdx_vector(vector_name, &len), *edited, *text, *changed;

    (void)state;
    expect_refused(coll, "00906ED50000", "platform", 0, TDX_DCAP_AT,
                   "the TCB info is for FMSPC B0C06F000000, not 00906ED50000 as asked: refused");
    expect_refused(coll, "B0C06F000000", "processor", 0, TDX_DCAP_AT,
                   "the PCK CRL is the platform CA's, not the processor CA's as asked: refused");
    expect_refused(coll, NULL, NULL, 0, TDX_DCAP_LATE,
                   "the PCK CA CRL is refused: it is not valid");
    /* Tampered: one digit of the TCB info changed, its signature no longer covers it. */
    text = tdx_coll_get(coll, "tcb_info");
    changed =
        tdx_replace_once(text, "\"tcbEvaluationDataNumber\":17", "\"tcbEvaluationDataNumber\":18");
    edited = tdx_coll_set(coll, "tcb_info", changed);
    expect_refused(edited, NULL, NULL, 0, TDX_DCAP_AT,
                   "tcb_info_signature does not verify over the");
    free(edited);
    free(changed);
    free(text);
    edited = tdx_coll_set(coll, "qe_identity_signature",
                          "00000000000000000000000000000000000000000000000000000000000000000000000"
                          "000000000000000000000000000000000000000000000000000000000");
    expect_refused(edited, NULL, NULL, 0, TDX_DCAP_AT, "qe_identity_signature does not verify");
    free(edited);
    edited = tdx_coll_set(coll, "pck_crl", NULL);
    expect_refused(edited, NULL, NULL, 0, TDX_DCAP_AT, "collateral field \"pck_crl\" is missing");
    free(edited);
    free(coll);
}

static void builder_under_test_root(void **state)
{
    uint8_t *q;
    char *coll;
    size_t qlen, clen;
    attest_collateral_info info;
    p11tee_error err;

    (void)state;
    tdx_build(&q, &qlen, &coll, &clen, NULL);
    assert_int_equal(check(coll, "90C06F000000", "platform", 1, TDX_BUILD_AT, &info, &err),
                     P11TEE_OK);
    assert_int_equal(info.test_root, 1);
    assert_non_null(strstr(info.anchor, "TEST root"));
    /* Intel's root alone does not vouch for it. */
    expect_refused(coll, NULL, NULL, 0, TDX_BUILD_AT, "the PCK CRL's issuer chain does not verify");
    /* Stale: past its nextUpdate (30 days after issue); before its certificates even. */
    expect_refused(coll, NULL, NULL, 1, TDX_BUILD_AT + 40 * 86400,
                   "CRL is refused: it is not valid at the verification time");
    expect_refused(coll, NULL, NULL, 1, TDX_BUILD_AT - 5 * 86400, "certificate is not yet valid");
    free(coll);
    free(q);
}

static void quote_platform(void **state)
{
    size_t len;
    uint8_t *q = tdx_vector("dcap-qvl_tdx_quote", &len), *b;
    char fmspc[13], ca[16], *coll;
    size_t clen;
    p11tee_error err;

    (void)state;
    assert_int_equal(attest_quote_platform(q, len, fmspc, ca, &err), P11TEE_OK);
    assert_string_equal(fmspc, "B0C06F000000");
    assert_string_equal(ca, "platform");
    free(q);
    tdx_build(&b, &len, &coll, &clen, NULL);
    assert_int_equal(attest_quote_platform(b, len, fmspc, ca, &err), P11TEE_OK);
    assert_string_equal(fmspc, "90C06F000000");
    assert_int_equal(attest_quote_platform(b, 100, fmspc, ca, &err), P11TEE_E_QUOTE_FORMAT);
    free(coll);
    free(b);
}

static void age_against_the_policy(void **state)
{
    tdx_case c;

    (void)state;
    tdx_case_vector(&c, "dcap-qvl_tdx_quote", vector_name, TDX_DCAP_AT);
    tdx_case_expect(&c, "tdx.collateral.age", P11TEE_OK, "");
    tdx_assert_reason(&c.rep, "tdx.collateral.age",
                      "issued 2025-06-19T10:16:03Z, 11 days before the verification time (at most "
                      "30)");
    c.o.max_age_days = 5;
    tdx_case_expect(&c, "tdx.collateral.age", P11TEE_E_COLLATERAL,
                    "older than the policy's 5 days (run p11tee collateral fetch)");
    c.o.max_age_days = 0;
    assert_int_equal(tdx_case_run(&c), P11TEE_OK);
    tdx_expect(&c.rep, "tdx.collateral.age", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    tdx_assert_reason(&c.rep, "tdx.collateral.age",
                      "the policy sets no tdx.collateral.max_age_days");
    assert_int_equal(c.v.collateral_issued, 1750328163); /* 2025-06-19T10:16:03Z */
    tdx_case_free(&c);
}

/* The exact text of a member: strings with braces and escapes, nesting, absent, twice. */
static void raw_member(void **state)
{
    static const char doc[] =
        " { \"a\" : \"x}\\\"{\" , \"tcbInfo\":{\"k\":[1,{\"b\":\"}\"}],\"n\":2} ,"
        "\"signature\":\"ab\"}";
    strview v;
    p11tee_error err;

    (void)state;
    assert_int_equal(sjson_raw_member(doc, strlen(doc), 4096, "t", "tcbInfo", &v, &err), P11TEE_OK);
    assert_int_equal(v.len, strlen("{\"k\":[1,{\"b\":\"}\"}],\"n\":2}"));
    assert_memory_equal(v.p, "{\"k\":[1,{\"b\":\"}\"}],\"n\":2}", v.len);
    assert_int_equal(sjson_raw_member(doc, strlen(doc), 4096, "t", "signature", &v, &err),
                     P11TEE_OK);
    assert_memory_equal(v.p, "\"ab\"", v.len);
    assert_int_equal(sjson_raw_member(doc, strlen(doc), 4096, "t", "tcb", &v, &err),
                     P11TEE_E_JSON_FIELD);
    assert_int_equal(sjson_raw_member("{\"a\":1,\"a\":2}", 13, 4096, "t", "a", &v, &err),
                     P11TEE_E_JSON);
    assert_int_equal(sjson_raw_member("[1]", 3, 4096, "t", "a", &v, &err), P11TEE_E_JSON);
    assert_int_equal(sjson_raw_member("{\"a\":", 5, 4096, "t", "a", &v, &err), P11TEE_E_JSON);
}

/* PCS answers into the collateral document: the builder's, served in every encoding. */
static void from_pcs(void **state)
{
    uint8_t *q, *der;
    char *coll, *pck_hex, *root_hex, *chain, *tcb, *sig, *body, *qe_body, *out, *enc, *pck_enc;
    size_t qlen, clen, len, i, n;
    attest_pcs_answers a;
    attest_collateral_info info;
    p11tee_error err;
    attest_collateral_want w;

    (void)state;
    tdx_build(&q, &qlen, &coll, &clen, NULL);
    pck_hex = tdx_coll_get(coll, "pck_crl");
    root_hex = tdx_coll_get(coll, "root_ca_crl");
    chain = tdx_coll_get(coll, "tcb_info_issuer_chain");
    tcb = tdx_coll_get(coll, "tcb_info");
    sig = tdx_coll_get(coll, "tcb_info_signature");
    body = malloc(strlen(tcb) + strlen(sig) + 64);
    sprintf(body, "{\"tcbInfo\": %s ,\"signature\":\"%s\"}", tcb, sig);
    free(tcb);
    free(sig);
    tcb = tdx_coll_get(coll, "qe_identity");
    sig = tdx_coll_get(coll, "qe_identity_signature");
    qe_body = malloc(strlen(tcb) + strlen(sig) + 64);
    sprintf(qe_body, "{\"enclaveIdentity\":%s,\"signature\":\"%s\"}", tcb, sig);
    /* A chain percent-encoded as PCS sends it (every byte, as the strictest encoder). */
    enc = malloc(3 * strlen(chain) + 1);
    for (i = n = 0; chain[i] != '\0'; i++)
        n += (size_t)sprintf(enc + n, "%%%02X", (unsigned char)chain[i]);
    free(chain);
    chain = tdx_coll_get(coll, "pck_crl_issuer_chain");
    pck_enc = malloc(3 * strlen(chain) + 1);
    for (i = n = 0; chain[i] != '\0'; i++)
        n += (size_t)sprintf(pck_enc + n, "%%%02X", (unsigned char)chain[i]);
    der = malloc(strlen(pck_hex) / 2);
    for (i = 0; i < strlen(pck_hex) / 2; i++)
        sscanf(pck_hex + 2 * i, "%2hhx", &der[i]);
    memset(&a, 0, sizeof(a));
    a.pck_crl = der; /* DER */
    a.pck_crl_len = strlen(pck_hex) / 2;
    a.pck_crl_chain = pck_enc;
    a.root_crl = (const uint8_t *)root_hex; /* hex, as a PCCS sends it */
    a.root_crl_len = strlen(root_hex);
    a.tcb = (const uint8_t *)body;
    a.tcb_len = strlen(body);
    a.tcb_chain = enc;
    a.qe = (const uint8_t *)qe_body;
    a.qe_len = strlen(qe_body);
    a.qe_chain = enc;
    assert_int_equal(attest_collateral_from_pcs(&a, &out, &len, &err), P11TEE_OK);
    memset(&w, 0, sizeof(w));
    w.at = TDX_BUILD_AT;
    w.test_roots = tdx_test_root(&w.test_roots_len);
    assert_int_equal(attest_collateral_verify(out, len, &w, &info, &err), P11TEE_OK);
    free(out);
    /* What a PCS never sends is named. */
    a.tcb_chain = NULL;
    assert_int_equal(attest_collateral_from_pcs(&a, &out, &len, &err), P11TEE_E_COLLATERAL);
    assert_string_equal(err.message, "the server sent no TCB-Info-Issuer-Chain header");
    a.tcb_chain = "%2D%2D%2D";
    assert_int_equal(attest_collateral_from_pcs(&a, &out, &len, &err), P11TEE_E_COLLATERAL);
    assert_string_equal(err.message, "the TCB-Info-Issuer-Chain header holds no PEM certificate");
    a.tcb_chain = enc;
    a.root_crl = (const uint8_t *)"not a crl";
    a.root_crl_len = 9;
    assert_int_equal(attest_collateral_from_pcs(&a, &out, &len, &err), P11TEE_E_COLLATERAL);
    assert_string_equal(err.message,
                        "the root CA CRL the server sent is not a CRL (DER, PEM or hex)");
    a.root_crl = (const uint8_t *)root_hex;
    a.root_crl_len = strlen(root_hex);
    a.tcb = (const uint8_t *)"{\"tcbInfo\":[1],\"signature\":\"00\"}";
    a.tcb_len = strlen((const char *)a.tcb);
    assert_int_equal(attest_collateral_from_pcs(&a, &out, &len, &err), P11TEE_E_COLLATERAL);
    assert_string_equal(err.message, "tcbInfo in the server's answer is not an object");
    free(enc);
    free(pck_enc);
    free(der);
    free(body);
    free(qe_body);
    free(tcb);
    free(sig);
    free(chain);
    free(pck_hex);
    free(root_hex);
    free(coll);
    free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vector_under_intel_root),
        cmocka_unit_test(vector_refusals),
        cmocka_unit_test(builder_under_test_root),
        cmocka_unit_test(quote_platform),
        cmocka_unit_test(age_against_the_policy),
        cmocka_unit_test(raw_member),
        cmocka_unit_test(from_pcs),
    };
    return TEST_MAIN(tests, tdx_setup, tdx_teardown);
}
