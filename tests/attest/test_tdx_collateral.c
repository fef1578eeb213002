/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * TDX collateral: the dcap-qvl vector at pinned times, and the reference
 * server's collateral with one fault each, or edited and re-signed with its
 * test keys: every collateral check fails by name, alone; the TCB status,
 * the TDX module and their convergence. Who signed the collateral is in
 * test_tdx_collateral_pki.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "attest/tdx.h"
#include "crypto/crypto.h"
#include "tdx_testutil.h"
#include "testlib.h"

static void vector_up_to_date(void **state)
{
    tdx_case c;

    (void)state;
    tdx_case_vector(&c, "dcap-qvl_tdx_quote", "dcap-qvl_tdx_quote_collateral.json", TDX_DCAP_AT);
    tdx_case_expect(&c, "tdx.tcb.status", P11TEE_OK, "UpToDate (level of 2024-03-13T00:00:00Z");
    tdx_expect_all_pass(&c.rep, "reportdata.");
    assert_int_equal(c.v.tcb, TDX_TCB_UP_TO_DATE);
    assert_int_equal(c.v.test_root, 0);
    tdx_assert_reason(&c.rep, "tdx.pck.chain", "at 2025-07-01T00:00:00Z");
    tdx_assert_reason(&c.rep, "tdx.collateral.tcb_info", "verified to Intel SGX Root CA");
    tdx_assert_reason(&c.rep, "tdx.collateral.fmspc", "FMSPC b0c06f000000 PCE-ID 0000");
    tdx_assert_reason(&c.rep, "tdx.qe.identity", "ISVSVN 6 >= 4: QE TCB UpToDate");
    tdx_assert_reason(&c.rep, "tdx.tdx_module", "TDX_01; module SVN 6 >= 4: UpToDate");
    tdx_assert_reason(&c.rep, "tdx.pck.revocation", "PCK CA CRL, 44 entries");
    tdx_case_free(&c);
}

static void vector_outside_window(void **state)
{
    tdx_case c;

    (void)state;
    tdx_case_vector(&c, "dcap-qvl_tdx_quote", "dcap-qvl_tdx_quote_collateral.json", TDX_DCAP_LATE);
    assert_int_equal(tdx_case_run(&c), P11TEE_E_COLLATERAL);
    tdx_expect(&c.rep, "tdx.collateral.dates", P11TEE_CHECK_FAIL, P11TEE_E_COLLATERAL);
    tdx_assert_reason(&c.rep, "tdx.collateral.dates",
                      "TCB info expired: nextUpdate 2025-07-19T10:16:03Z is before");
    tdx_expect(&c.rep, "tdx.collateral.crl", P11TEE_CHECK_FAIL, P11TEE_E_COLLATERAL);
    tdx_assert_reason(&c.rep, "tdx.collateral.crl", "PCK CA CRL refused at 2025-08-01T00:00:00Z");
    tdx_expect(&c.rep, "tdx.pck.revocation", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    tdx_expect(&c.rep, "tdx.pck.chain", P11TEE_CHECK_PASS, P11TEE_OK);
    c.o.at = TDX_DCAP_EARLY;
    assert_int_equal(tdx_case_run(&c), P11TEE_E_COLLATERAL);
    tdx_assert_reason(&c.rep, "tdx.collateral.dates",
                      "TCB info issued 2025-06-19T10:16:03Z, after the verification time");
    assert_non_null(strstr(c.err.message, "TDX check tdx.collateral."));
    tdx_case_free(&c);
}

/* The vector collateral with field `key` set to `value`: `check` alone fails. */
static void vector_edit(const char *key, const char *value, const char *check, const char *why)
{
    tdx_case c;

    tdx_case_vector(&c, "dcap-qvl_tdx_quote", "dcap-qvl_tdx_quote_collateral.json", TDX_DCAP_AT);
    tdx_case_set_collateral(&c, tdx_coll_set(c.coll, key, value));
    tdx_case_expect(&c, check, P11TEE_E_COLLATERAL, why);
    if (strcmp(check, "tdx.collateral.format") == 0)
        tdx_assert_reason(&c.rep, "tdx.tcb.status", "the collateral is unusable");
    tdx_case_free(&c);
}

static void vector_collateral_edits(void **state)
{
    tdx_case c;
    char *crl, *edited;

    (void)state;
    /* Intel's words changed after signing: the signature no longer holds. */
    tdx_case_vector(&c, "dcap-qvl_tdx_quote", "dcap-qvl_tdx_quote_collateral.json", TDX_DCAP_AT);
    edited = tdx_replace_once(c.coll, "\\\"tcbStatus\\\":\\\"UpToDate\\\"",
                              "\\\"tcbStatus\\\":\\\"Revoked\\\"");
    tdx_case_set_collateral(&c, edited);
    tdx_case_expect(&c, "tdx.collateral.tcb_info", P11TEE_E_COLLATERAL,
                    "tcb_info_signature does not verify");
    tdx_expect(&c.rep, "tdx.tcb.status", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    tdx_expect(&c.rep, "tdx.collateral.dates", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    tdx_expect(&c.rep, "tdx.collateral.fmspc", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    crl = tdx_coll_get(c.coll, "pck_crl");
    tdx_case_free(&c);
    /* Each CRL where the other belongs; a PCK CRL whose signature was altered. */
    vector_edit("root_ca_crl", crl, "tdx.collateral.crl",
                "root CA CRL refused at 2025-07-01T00:00:00Z: its issuer is not the CA it should "
                "come from");
    crl[strlen(crl) - 1] = crl[strlen(crl) - 1] == '0' ? '1' : '0';
    vector_edit("pck_crl", crl, "tdx.collateral.crl", "PCK CA CRL refused");
    vector_edit("pck_crl", crl, "tdx.collateral.crl", "its signature does not verify");
    free(crl);
}

static void collateral_format_errors(void **state)
{
    tdx_case c;

    (void)state;
    vector_edit("tcb_info", NULL, "tdx.collateral.format",
                "collateral field \"tcb_info\" is missing or not a string");
    vector_edit("root_ca_crl", "0x30", "tdx.collateral.format",
                "collateral root_ca_crl is not a hex DER CRL");
    vector_edit("pck_crl", "3082", "tdx.collateral.format",
                "collateral pck_crl is not a hex DER CRL");
    vector_edit("tcb_info", "[1,2]", "tdx.collateral.format",
                "collateral tcb_info is not a JSON object text");
    vector_edit("qe_identity", "{\"id\":", "tdx.collateral.format",
                "collateral qe_identity is not a JSON object text");
    tdx_case_vector(&c, "dcap-qvl_tdx_quote", NULL, TDX_DCAP_AT);
    tdx_case_set_collateral(&c, strdup("{\"a\":1} x"));
    tdx_case_expect(&c, "tdx.collateral.format", P11TEE_E_COLLATERAL,
                    "the collateral is not valid JSON");
    tdx_case_set_collateral(&c, strdup("[]"));
    tdx_case_expect(&c, "tdx.collateral.format", P11TEE_E_COLLATERAL,
                    "the collateral is not a JSON object");
    tdx_case_free(&c);
}

static void accepted_statuses(void **state)
{
    tdx_case c;

    (void)state;
    tdx_case_vector(&c, "dcap-qvl_tdx_quote", "dcap-qvl_tdx_quote_collateral.json", TDX_DCAP_AT);
    c.o.accepted_tcb = TDX_TCB_BIT(TDX_TCB_SW_HARDENING_NEEDED) | TDX_TCB_BIT(TDX_TCB_OUT_OF_DATE);
    tdx_case_expect(&c, "tdx.tcb.status", P11TEE_E_TCB_STATUS,
                    "TCB status UpToDate is not accepted (accepted: SWHardeningNeeded, OutOfDate;");
    assert_int_equal(c.v.tcb, TDX_TCB_UP_TO_DATE);
    tdx_case_free(&c);
}

static void generated_collateral_faults(void **state)
{
    (void)state;
    tdx_expect_fault("--revoke-pck", NULL, "tdx.pck.revocation", P11TEE_E_REVOKED,
                     "the PCK leaf certificate is revoked by the PCK CA CRL");
    tdx_expect_fault("--revoke-intermediate", NULL, "tdx.pck.revocation", P11TEE_E_REVOKED,
                     "the PCK CA certificate is revoked by the root CA CRL");
    tdx_expect_fault("--qe-identity-mismatch", NULL, "tdx.qe.identity", P11TEE_E_QE_IDENTITY,
                     "QE MRSIGNER is not the one the QE identity names");
    tdx_expect_fault("--collateral-fault", "tcb-info-signature", "tdx.collateral.tcb_info",
                     P11TEE_E_COLLATERAL, "tcb_info_signature does not verify");
    tdx_expect_fault("--collateral-fault", "qe-identity-signature", "tdx.collateral.qe_identity",
                     P11TEE_E_COLLATERAL, "qe_identity_signature does not verify");
}

static void generated_expired_collateral(void **state)
{
    tdx_case c;

    (void)state;
    tdx_case_build(&c, "--issue-date", "2029-11-01T00:00:00Z", "--next-update",
                   "2029-12-01T00:00:00Z", NULL);
    assert_int_equal(tdx_case_run(&c), P11TEE_E_COLLATERAL);
    tdx_expect(&c.rep, "tdx.collateral.dates", P11TEE_CHECK_FAIL, P11TEE_E_COLLATERAL);
    tdx_assert_reason(&c.rep, "tdx.collateral.dates",
                      "at 2030-01-02T00:00:00Z: TCB info expired: nextUpdate 2029-12-01T00:00:00Z");
    /* The CRLs share that nextUpdate; nothing else fails. */
    tdx_expect(&c.rep, "tdx.collateral.crl", P11TEE_CHECK_FAIL, P11TEE_E_COLLATERAL);
    tdx_assert_reason(&c.rep, "tdx.collateral.crl", "not valid at the verification time");
    tdx_expect(&c.rep, "tdx.tcb.status", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(&c.rep, "tdx.pck.chain", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_case_free(&c);
}

static void generated_tcb_statuses(void **state)
{
    tdx_tcb_status s;
    tdx_case c;

    (void)state;
    for (s = TDX_TCB_UP_TO_DATE; s <= TDX_TCB_REVOKED; s++) {
        tdx_case_build(&c, "--tcb-status", tdx_tcb_status_name(s), NULL);
        c.o.accepted_tcb = TDX_TCB_BIT(s);
        tdx_case_expect(&c, "tdx.tcb.status", P11TEE_OK, tdx_tcb_status_name(s));
        assert_int_equal(c.v.tcb, s);
        c.o.accepted_tcb = 0; /* default: UpToDate only */
        if (s != TDX_TCB_UP_TO_DATE)
            tdx_case_expect(&c, "tdx.tcb.status", P11TEE_E_TCB_STATUS,
                            "advisories INTEL-SA-TEST-0001");
        tdx_case_free(&c);
    }
}

/* TCB info and QE identity edited and re-signed with the test signing key. */
static void generated_resigned_collateral(void **state)
{
    static const struct {
        const char *what, *from, *to, *check;
        p11tee_status code;
        const char *why;
    } cases[] = {
        {"tcb_info", "\"fmspc\":\"90C06F000000\"", "\"fmspc\":\"90C06F000001\"",
         "tdx.collateral.fmspc", P11TEE_E_COLLATERAL,
         "TCB info is for FMSPC 90c06f000001 PCE-ID 0000, the PCK certificate for FMSPC "
         "90c06f000000"},
        {"tcb_info", "\"pceId\":\"0000\"", "\"pceId\":\"0100\"", "tdx.collateral.fmspc",
         P11TEE_E_COLLATERAL, "PCE-ID 0100"},
        {"tcb_info", "\"id\":\"TDX\"", "\"id\":\"SGX\"", "tdx.collateral.fmspc",
         P11TEE_E_COLLATERAL, "not TDX TCB info version 3"},
        {"tcb_info", "\"id\":\"TDX_01\"", "\"id\":\"TDX_02\"", "tdx.tdx_module",
         P11TEE_E_TDX_MODULE, "no TDX module identity for this TEE_TCB_SVN"},
        {"tcb_info", "\"id\":\"TDX_01\",\"mrsigner\":\"00", "\"id\":\"TDX_01\",\"mrsigner\":\"01",
         "tdx.tdx_module", P11TEE_E_TDX_MODULE, "MRSIGNERSEAM is not the TDX module signer"},
        {"tcb_info", "\"id\":\"TDX_01\",\"mrsigner\":\"00", "\"id\":\"TDX_01\",\"mrsigner\":\"0",
         "tdx.tdx_module", P11TEE_E_TDX_MODULE, "lacks mrsigner, attributes or attributesMask"},
        {"tcb_info",
         "\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\","
         "\"tcbLevels\"",
         "\"attributes\":\"0100000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\","
         "\"tcbLevels\"",
         "tdx.tdx_module", P11TEE_E_TDX_MODULE, "SEAMATTRIBUTES under the mask differ"},
        {"tcb_info", "{\"isvsvn\":5}", "{\"isvsvn\":6}", "tdx.tdx_module", P11TEE_E_TDX_MODULE,
         "TDX module SVN is below every TCB level of its identity (TEE_TCB_SVN: module version 1, "
         "SVN 5)"},
        {"tcb_info",
         "{\"isvsvn\":5},\"tcbDate\":\"2029-10-02T00:00:00Z\",\"tcbStatus\":\"UpToDate\"",
         "{\"isvsvn\":5},\"tcbDate\":\"2029-10-02T00:00:00Z\",\"tcbStatus\":\"OutOfDate\"",
         "tdx.tcb.status", P11TEE_E_TCB_STATUS,
         "TCB status OutOfDate is not accepted (accepted: UpToDate; level UpToDate, TDX module "
         "OutOfDate, QE UpToDate"},
        {"tcb_info",
         "{\"isvsvn\":5},\"tcbDate\":\"2029-10-02T00:00:00Z\",\"tcbStatus\":\"UpToDate\"",
         "{\"isvsvn\":5},\"tcbDate\":\"2029-10-02T00:00:00Z\",\"tcbStatus\":\"Revoked\"",
         "tdx.tcb.status", P11TEE_E_TCB_STATUS, "TCB status Revoked is not accepted"},
        {"tcb_info", "{\"svn\":2,\"category\":\"OS/VMM\",\"type\":\"TDX Late Microcode Update\"}",
         "{\"svn\":9,\"category\":\"OS/VMM\",\"type\":\"TDX Late Microcode Update\"}",
         "tdx.tcb.status", P11TEE_E_TCB_STATUS,
         "TCB status OutOfDate is not accepted (accepted: UpToDate; level OutOfDate"},
        {"tcb_info", "\"tcbDate\":\"2018-01-04T00:00:00Z\",\"tcbStatus\":\"OutOfDate\"",
         "\"tcbDate\":\"2018-01-04T00:00:00Z\",\"tcbStatus\":\"Outdated\"", "tdx.tcb.status",
         P11TEE_E_COLLATERAL, "tcbLevels are malformed"},
        {"tcb_info", "\"issueDate\":\"2029-12-31T00:00:00Z\"", "\"issueDate\":\"2029-12-31\"",
         "tdx.collateral.dates", P11TEE_E_COLLATERAL,
         "TCB info issueDate/nextUpdate missing or not YYYY-MM-DDThh:mm:ssZ"},
        {"qe_identity", "\"nextUpdate\":\"2030-01-30T00:00:00Z\"",
         "\"nextUpdate\":\"2030-01-01T23:59:59Z\"", "tdx.collateral.dates", P11TEE_E_COLLATERAL,
         "QE identity expired: nextUpdate 2030-01-01T23:59:59Z"},
        {"qe_identity", "\"id\":\"TD_QE\"", "\"id\":\"QE\"", "tdx.qe.identity",
         P11TEE_E_QE_IDENTITY, "not a TD_QE identity version 2"},
        {"qe_identity", "\"isvprodid\":2", "\"isvprodid\":3", "tdx.qe.identity",
         P11TEE_E_QE_IDENTITY, "QE ISVPRODID differs"},
        {"qe_identity", "\"miscselect\":\"00000000\"", "\"miscselect\":\"00000001\"",
         "tdx.qe.identity", P11TEE_E_QE_IDENTITY, "QE MISCSELECT under miscselectMask differs"},
        {"qe_identity", "\"attributes\":\"11", "\"attributes\":\"15", "tdx.qe.identity",
         P11TEE_E_QE_IDENTITY, "QE ATTRIBUTES under attributesMask differ"},
        {"qe_identity", "\"isvprodid\":2", "\"isvprodid\":\"2\"", "tdx.qe.identity",
         P11TEE_E_QE_IDENTITY, "lacks miscselect, attributes, their masks, mrsigner or isvprodid"},
        {"qe_identity", "{\"isvsvn\":4}", "{\"isvsvn\":\"4\"}", "tdx.qe.identity",
         P11TEE_E_QE_IDENTITY, "QE identity tcbLevels are malformed"},
        {"tcb_info", "{\"isvsvn\":5}", "{\"isvsvn\":\"5\"}", "tdx.tdx_module", P11TEE_E_TDX_MODULE,
         "TDX module identity tcbLevels are malformed"},
        {"qe_identity", "{\"isvsvn\":4}", "{\"isvsvn\":200}", "tdx.qe.identity",
         P11TEE_E_QE_IDENTITY, "is below every TCB level of the QE identity (TCB not supported)"},
        {"qe_identity", "\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"OutOfDate\"",
         "tdx.tcb.status", P11TEE_E_TCB_STATUS,
         "TCB status OutOfDate is not accepted (accepted: UpToDate; level UpToDate, TDX module "
         "UpToDate, QE OutOfDate"},
    };
    tdx_case c;
    size_t i;

    (void)state;
    tdx_case_build(&c, NULL);
    for (i = 0; i < P11TEE_ARRAY_LEN(cases); i++) {
        char *edited = tdx_resigned(c.coll, cases[i].what, cases[i].from, cases[i].to, NULL, NULL);
        tdx_case cc = c;

        cc.coll = NULL; /* shares c's quote; only the collateral differs */
        cc.o.collateral = edited;
        cc.o.collateral_len = strlen(edited);
        tdx_case_expect(&cc, cases[i].check, cases[i].code, cases[i].why);
        free(edited);
    }
    tdx_case_free(&c);
}

/* Both TCB levels out of reach: by the PCK certificate's SGX TCB, or by TEE_TCB_SVN. */
static void generated_no_tcb_level(void **state)
{
    static const char late2[] =
        "{\"svn\":2,\"category\":\"OS/VMM\",\"type\":\"TDX Late Microcode Update\"}";
    static const char late0[] =
        "{\"svn\":0,\"category\":\"OS/VMM\",\"type\":\"TDX Late Microcode Update\"}";
    static const char late9[] =
        "{\"svn\":9,\"category\":\"OS/VMM\",\"type\":\"TDX Late Microcode Update\"}";
    tdx_case c;
    char *coll;

    (void)state;
    tdx_case_build(&c, NULL);
    coll = strdup(c.coll);
    tdx_case_set_collateral(&c, tdx_resigned(coll, "tcb_info", "\"pcesvn\":11", "\"pcesvn\":12",
                                             "\"pcesvn\":5", "\"pcesvn\":12"));
    tdx_case_expect(&c, "tdx.tcb.status", P11TEE_E_TCB_STATUS,
                    "TCB not supported: no TCB level is met by the PCK certificate's SGX TCB and "
                    "PCESVN");
    tdx_case_set_collateral(&c, tdx_resigned(coll, "tcb_info", late2, late9, late0, late9));
    tdx_case_expect(&c, "tdx.tcb.status", P11TEE_E_TCB_STATUS,
                    "TCB not supported: no TCB level is met by the quote's TEE_TCB_SVN");
    free(coll);
    tdx_case_free(&c);
}

/* TD report fields the collateral judges, changed and the quote re-signed. */
static void module_fields(void **state)
{
    tdx_case c;
    uint8_t *orig;

    (void)state;
    tdx_case_build(&c, NULL);
    orig = malloc(c.qlen);
    assert_non_null(orig);
    memcpy(orig, c.q, c.qlen);
    /* TEE_TCB_SVN[1] = 0: a TDX 1.0 module, judged by tdxModule and all 16 TDX SVNs. */
    c.q[48 + 1] = 0;
    tdx_resign_quote(c.q, c.qlen);
    tdx_case_expect(&c, "tdx.tcb.status", P11TEE_E_TCB_STATUS,
                    "TCB status OutOfDate is not accepted (accepted: UpToDate; level OutOfDate, "
                    "TDX module UpToDate");
    tdx_assert_reason(&c.rep, "tdx.tdx_module", "match the TCB info's TDX module");
    assert_int_equal(c.v.tcb, TDX_TCB_OUT_OF_DATE);
    /* MRSIGNERSEAM of another signer. */
    memcpy(c.q, orig, c.qlen);
    c.q[48 + 64] = 0x01;
    tdx_resign_quote(c.q, c.qlen);
    tdx_case_expect(&c, "tdx.tdx_module", P11TEE_E_TDX_MODULE,
                    "MRSIGNERSEAM is not the TDX module signer the TCB info names "
                    "(TEE_TCB_SVN: module version 1, SVN 5)");
    free(orig);
    tdx_case_free(&c);
}

/* How the TDX module's and the QE's own status lower the platform's (Intel's convergence). */
static void status_convergence(void **state)
{
    static const char module_ok[] =
        "{\"isvsvn\":5},\"tcbDate\":\"2029-10-02T00:00:00Z\",\"tcbStatus\":\"UpToDate\"";
    static const char module_old[] =
        "{\"isvsvn\":5},\"tcbDate\":\"2029-10-02T00:00:00Z\",\"tcbStatus\":\"OutOfDate\"";
    static const struct {
        const char *level, *what, *from, *to;
        tdx_tcb_status want;
    } cases[] = {
        {"ConfigurationNeeded", "tcb_info", module_ok, module_old,
         TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED},
        {"SWHardeningNeeded", "tcb_info", module_ok, module_old, TDX_TCB_OUT_OF_DATE},
        {"ConfigurationAndSWHardeningNeeded", "qe_identity", "\"tcbStatus\":\"UpToDate\"",
         "\"tcbStatus\":\"OutOfDate\"", TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED},
        {"UpToDate", "qe_identity", "\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"Revoked\"",
         TDX_TCB_REVOKED},
        /* A QE level neither UpToDate nor Revoked counts as OutOfDate. */
        {"UpToDate", "qe_identity", "\"tcbStatus\":\"UpToDate\"",
         "\"tcbStatus\":\"ConfigurationNeeded\"", TDX_TCB_OUT_OF_DATE},
        {"OutOfDate", "tcb_info", module_ok, module_old, TDX_TCB_OUT_OF_DATE},
    };
    size_t i;
    tdx_case c;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(cases); i++) {
        tdx_case_build(&c, "--tcb-status", cases[i].level, NULL);
        tdx_case_set_collateral(
            &c, tdx_resigned(c.coll, cases[i].what, cases[i].from, cases[i].to, NULL, NULL));
        c.o.accepted_tcb = TDX_TCB_BIT(cases[i].want);
        tdx_case_expect(&c, "tdx.tcb.status", P11TEE_OK, tdx_tcb_status_name(cases[i].want));
        assert_int_equal(c.v.tcb, cases[i].want);
        tdx_case_free(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vector_up_to_date),
        cmocka_unit_test(vector_outside_window),
        cmocka_unit_test(vector_collateral_edits),
        cmocka_unit_test(collateral_format_errors),
        cmocka_unit_test(accepted_statuses),
        cmocka_unit_test(generated_collateral_faults),
        cmocka_unit_test(generated_expired_collateral),
        cmocka_unit_test(generated_tcb_statuses),
        cmocka_unit_test(generated_resigned_collateral),
        cmocka_unit_test(generated_no_tcb_level),
        cmocka_unit_test(module_fields),
        cmocka_unit_test(status_convergence),
    };
    return TEST_MAIN(tests, tdx_setup, tdx_teardown);
}
