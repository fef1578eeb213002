/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Offline TDX quote verification without collateral: the real-world vectors
 * (Intel chain, the DEBUG quote, the v5 quote) and the reference server's
 * generated quotes, each built with one fault, which must fail exactly the
 * named check. Collateral checks are in test_tdx_collateral.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "attest/tdx.h"
#include "crypto/crypto.h"
#include "tdx_testutil.h"
#include "testlib.h"

static void root_is_pinned(void **state)
{
    uint8_t fp[32], wrong[32];
    unsigned int n;
    size_t len;
    const char *pem;
    char *two;
    X509 *root;
    STACK_OF(X509) *certs;
    tdx_case c;
    p11tee_error err;

    (void)state;
    assert_int_equal(tdx_root_check(&err), P11TEE_OK);
    /* The same code path with another root: only the exact fingerprint loads it. */
    tdx_case_build(&c, NULL);
    pem = tdx_test_root(&len);
    certs = attest_certs_from_pem(pem, len);
    assert_non_null(certs);
    assert_int_equal(X509_digest(sk_X509_value(certs, 0), EVP_sha256(), fp, &n), 1);
    sk_X509_pop_free(certs, X509_free);
    assert_int_equal(attest_root_from_pem(pem, fp, "TEST", &root, &err), P11TEE_OK);
    X509_free(root);
    memcpy(wrong, fp, 32);
    wrong[31] ^= 1;
    assert_int_equal(attest_root_from_pem(pem, wrong, "TEST", &root, &err), P11TEE_E_INTERNAL);
    assert_null(root);
    assert_non_null(strstr(err.message, "does not match its pinned SHA-256 fingerprint"));
    assert_int_not_equal(asprintf(&two, "%s%s", pem, pem), -1);
    assert_int_equal(attest_root_from_pem(two, fp, "TEST", &root, &err), P11TEE_E_INTERNAL);
    assert_int_equal(attest_root_from_pem("", fp, "TEST", &root, &err), P11TEE_E_INTERNAL);
    free(two);
    tdx_case_free(&c);
}

static void vector_without_collateral(void **state)
{
    tdx_case c;
    int id;

    (void)state;
    tdx_case_vector(&c, "dcap-qvl_tdx_quote", NULL, 0); /* now */
    tdx_case_expect(&c, NULL, P11TEE_OK, NULL);
    for (id = TDX_COLLATERAL_FIRST; id < TDX_CHECK_END; id++) {
        const char *name = attest_check_name((attest_check_id)id);

        tdx_expect(&c.rep, name, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
        tdx_assert_reason(&c.rep, name, "no collateral given");
    }
    for (id = TDX_CHECK_FIRST; id < TDX_COLLATERAL_FIRST; id++) {
        const char *name = attest_check_name((attest_check_id)id);

        tdx_expect(&c.rep, name,
                   strstr(name, "reportdata.") ? P11TEE_CHECK_NOT_CHECKED : P11TEE_CHECK_PASS,
                   P11TEE_OK);
    }
    assert_int_equal(c.rep.count, TDX_CHECK_COUNT);
    assert_int_equal(c.v.tcb, TDX_TCB_UNKNOWN);
    assert_int_equal(c.v.test_root, 0);
    tdx_assert_reason(&c.rep, "tdx.pck.chain",
                      "Platform CA -> verified to Intel SGX Root CA (built in");
    tdx_case_free(&c);
}

static void debug_quote_refused(void **state)
{
    tdx_case c;

    (void)state;
    tdx_case_vector(&c, "trustee_tdx_quote_4_DEBUG.dat", NULL, TDX_DCAP_AT);
    tdx_case_expect(&c, "tdx.td.debug", P11TEE_E_ATTEST_DEBUG,
                    "TDX debug mode detected: TDATTRIBUTES 0100001000000000");
    assert_non_null(strstr(c.err.message, "tdx.td.debug failed: TDX debug mode detected"));
    tdx_case_free(&c);
}

static void other_vectors_verify(void **state)
{
    tdx_case c;

    (void)state;
    tdx_case_vector(&c, "trustee_tdx_quote_6.dat", NULL, TDX_DCAP_AT);
    tdx_case_expect(&c, "tdx.pck.chain", P11TEE_OK, "verified to Intel SGX Root CA");
    tdx_case_free(&c);
    /* v5: the signature covers header || descriptor || body. */
    tdx_case_vector(&c, "go-tdx-guest_quote_v5_sample.dat", NULL, TDX_V5_AT);
    tdx_case_expect(&c, "tdx.quote.signature", P11TEE_OK, "header||descriptor||body (702 bytes)");
    tdx_expect(&c.rep, "tdx.qe.signature", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(&c.rep, "tdx.qe.reportdata", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(&c.rep, "tdx.pck.chain", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_assert_reason(&c.rep, "tdx.quote.header", "version 5");
    /* ... and before its PCK certificate was issued, the chain does not hold. */
    c.o.at = TDX_DCAP_AT;
    tdx_case_expect(&c, "tdx.pck.chain", P11TEE_E_PCK_CHAIN, "certificate is not yet valid");
    tdx_case_free(&c);
}

/* Flip one byte of the vector at `off`: exactly `check` fails. */
static void tamper_vector(size_t off, const char *check, p11tee_status code)
{
    tdx_case c;

    tdx_case_vector(&c, "dcap-qvl_tdx_quote", NULL, TDX_DCAP_AT);
    c.q[off] ^= 0x01;
    tdx_case_expect(&c, check, code, NULL);
    tdx_case_free(&c);
}

static void vector_tampering(void **state)
{
    (void)state;
    tamper_vector(48 + 136, "tdx.quote.signature", P11TEE_E_QUOTE_SIGNATURE);       /* MRTD */
    tamper_vector(636 + 10, "tdx.quote.signature", P11TEE_E_QUOTE_SIGNATURE);       /* r */
    tamper_vector(770, "tdx.qe.signature", P11TEE_E_QE_SIGNATURE);                  /* QE CPUSVN */
    tamper_vector(770 + 384 + 64 + 2, "tdx.qe.reportdata", P11TEE_E_QE_REPORTDATA); /* auth */
}

static void vector_reportdata(void **state)
{
    uint8_t addr[20], nonce[32];
    tdx_case c;

    (void)state;
    tdx_case_vector(&c, "dcap-qvl_tdx_quote", NULL, TDX_DCAP_AT);
    /* This REPORTDATA binds no address: bytes 20..31 are not zero. */
    memcpy(addr, c.q + 48 + 520, 20);
    memcpy(nonce, c.q + 48 + 520 + 32, 32);
    c.o.address = addr;
    c.o.nonce = nonce;
    tdx_case_expect(&c, "tdx.reportdata.address", P11TEE_E_REPORTDATA_ADDRESS,
                    "REPORTDATA[20:32] is not zero");
    tdx_expect(&c.rep, "tdx.reportdata.nonce", P11TEE_CHECK_PASS, P11TEE_OK);
    nonce[31] ^= 1;
    c.o.address = NULL;
    tdx_case_expect(&c, "tdx.reportdata.nonce", P11TEE_E_REPORTDATA_NONCE, NULL);
    tdx_expect(&c.rep, "tdx.reportdata.address", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    tdx_case_free(&c);
}

static void generated_passes_with_test_root(void **state)
{
    tdx_case c;

    (void)state;
    tdx_case_build(&c, NULL);
    tdx_case_expect(&c, "tdx.pck.chain", P11TEE_OK,
                    "verified to TEST root CN=p11tee TEST SGX Root CA (not Intel),O=p11tee TEST");
    tdx_expect_all_pass(&c.rep, "nonce_sha256");
    assert_int_equal(c.v.tcb, TDX_TCB_UP_TO_DATE);
    assert_int_equal(c.v.test_root, 1);
    tdx_assert_reason(&c.rep, "tdx.collateral.tcb_info", "TEST root");
    tdx_assert_reason(&c.rep, "tdx.reportdata.address",
                      "0x1111111111111111111111111111111111111111");
    /* Without the test root nothing chains: Intel's root alone is trusted. */
    c.o.extra_roots_pem = NULL;
    assert_int_equal(tdx_case_run(&c), P11TEE_E_PCK_CHAIN);
    tdx_expect(&c.rep, "tdx.pck.chain", P11TEE_CHECK_FAIL, P11TEE_E_PCK_CHAIN);
    tdx_assert_reason(&c.rep, "tdx.pck.chain", "unable to get local issuer certificate");
    tdx_expect(&c.rep, "tdx.collateral.tcb_info", P11TEE_CHECK_FAIL, P11TEE_E_COLLATERAL);
    assert_int_equal(c.v.test_root, 0);
    tdx_case_free(&c);
}

static void generated_quote_faults(void **state)
{
    (void)state;
    tdx_expect_fault("--fault", "bad-quote-signature", "tdx.quote.signature",
                     P11TEE_E_QUOTE_SIGNATURE, "does not verify with the attestation key");
    tdx_expect_fault("--fault", "bad-qe-signature", "tdx.qe.signature", P11TEE_E_QE_SIGNATURE,
                     "does not verify with the PCK leaf key");
    tdx_expect_fault("--fault", "qe-reportdata", "tdx.qe.reportdata", P11TEE_E_QE_REPORTDATA,
                     "!= SHA-256(attestation key || QE auth data)");
    tdx_expect_fault("--fault", "foreign-root", "tdx.pck.chain", P11TEE_E_PCK_CHAIN,
                     "does not verify to a trusted root");
    tdx_expect_fault("--fault", "expired-pck", "tdx.pck.chain", P11TEE_E_PCK_CHAIN,
                     "certificate has expired");
    tdx_expect_fault("--fault", "debug-td", "tdx.td.debug", P11TEE_E_ATTEST_DEBUG,
                     "TDX debug mode detected");
}

static void generated_reportdata(void **state)
{
    tdx_case c;

    (void)state;
    tdx_expect_fault("--address", "0x2222222222222222222222222222222222222222",
                     "tdx.reportdata.address", P11TEE_E_REPORTDATA_ADDRESS,
                     "REPORTDATA[0:20] 0x2222222222222222222222222222222222222222 is not the "
                     "signing address 0x1111111111111111111111111111111111111111");
    tdx_case_build(&c, "--nonce",
                   "abababababababababababababababababababababababababababababababac", NULL);
    tdx_case_expect(&c, "tdx.reportdata.nonce", P11TEE_E_REPORTDATA_NONCE,
                    "neither the nonce nor SHA-256");
    tdx_expect(&c.rep, "tdx.reportdata.nonce_sha256", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    tdx_case_free(&c);
}

/* REPORTDATA = address || zeros || SHA-256 of the nonce's 64 hex characters. */
static void generated_nonce_sha256(void **state)
{
    char nonce_hex[65], rd[129];
    uint8_t md[32], rdb[64] = {0};
    tdx_case c;

    (void)state;
    hex_encode(tdx_test_nonce, 32, nonce_hex, sizeof(nonce_hex));
    EVP_Digest(nonce_hex, 64, md, NULL, EVP_sha256(), NULL);
    memcpy(rdb, tdx_test_address, 20);
    memcpy(rdb + 32, md, 32);
    hex_encode(rdb, 64, rd, sizeof(rd));
    tdx_case_build(&c, "--reportdata", rd, NULL);
    c.o.allow_nonce_sha256 = 1;
    tdx_case_expect(&c, "tdx.reportdata.nonce", P11TEE_OK, "accepted by the fallback");
    tdx_expect(&c.rep, "tdx.reportdata.nonce_sha256", P11TEE_CHECK_PASS, P11TEE_OK);
    c.o.allow_nonce_sha256 = 0;
    assert_int_equal(tdx_case_run(&c), P11TEE_E_REPORTDATA_NONCE);
    tdx_expect(&c.rep, "tdx.reportdata.nonce", P11TEE_CHECK_FAIL, P11TEE_E_REPORTDATA_NONCE);
    tdx_expect(&c.rep, "tdx.reportdata.nonce_sha256", P11TEE_CHECK_FAIL, P11TEE_E_REPORTDATA_NONCE);
    tdx_assert_reason(&c.rep, "tdx.reportdata.nonce_sha256",
                      "the fallback is not allowed by policy");
    assert_ptr_equal(attest_report_first_failure(&c.rep),
                     attest_report_find(&c.rep, "tdx.reportdata.nonce"));
    tdx_case_free(&c);
}

/* The case's quote with its PCK chain replaced by these certificates (NULL-terminated). */
static void expect_chain(tdx_case *c, p11tee_status code, const char *why, X509 *first, ...)
{
    X509 *certs[5] = {first};
    size_t n = 1, len;
    char *pem;
    uint8_t *q;
    va_list ap;

    va_start(ap, first);
    while (n < 4 && (certs[n] = va_arg(ap, X509 *)) != NULL)
        n++;
    va_end(ap);
    certs[n] = NULL;
    pem = tdx_pem_of(certs[0], certs[1], certs[2], certs[3], certs[4]);
    q = tdx_with_chain(c->q, c->qlen, pem, &len);
    tdx_case_set_quote(c, q, len);
    tdx_case_expect(c, "tdx.pck.chain", code, why);
    free(pem);
}

/* PCK chains made here around the builder's own PCK key, so the QE signature holds. */
static void pck_chain_shape(void **state)
{
    EVP_PKEY *pck_key, *ca_key, *root_key, *k[3];
    X509 *ca, *root, *c1[2], *c2[2], *c3[4];
    char *own_pem;
    tdx_case c;
    size_t i;

    (void)state;
    tdx_case_build(&c, NULL); /* makes the test PKI */
    tdx_case_set_collateral(&c, NULL);
    pck_key = tdx_pki_key("sgx_pck");
    ca_key = tdx_pki_key("sgx_pck_ca");
    root_key = tdx_pki_key("sgx_root");
    ca = tdx_pki_cert("sgx_pck_ca");
    root = tdx_pki_cert("sgx_root");
    for (i = 0; i < 3; i++)
        k[i] = tdx_new_key();
    /* As the builder makes it, but issued here: it verifies. */
    c1[0] = tdx_make_cert("Intel SGX PCK Certificate", pck_key, ca, ca_key, 0, NULL, 0);
    expect_chain(&c, P11TEE_OK, NULL, c1[0], ca, root, NULL);
    c1[1] = tdx_make_cert("Some Leaf", pck_key, ca, ca_key, 0, NULL, 0);
    expect_chain(&c, P11TEE_E_PCK_CHAIN, "PCK leaf subject CN is not \"Intel SGX PCK Certificate\"",
                 c1[1], ca, root, NULL);
    c2[1] = tdx_make_cert("Intel SGX PCK Other CA", k[0], root, root_key, 1, NULL, 0);
    c2[0] = tdx_make_cert("Intel SGX PCK Certificate", pck_key, c2[1], k[0], 0, NULL, 0);
    expect_chain(&c, P11TEE_E_PCK_CHAIN,
                 "PCK intermediate is neither \"Intel SGX PCK Platform CA\" nor", c2[0], c2[1],
                 root, NULL);
    /* One CA too many, under a root of our own without a path length limit. */
    c3[3] = tdx_make_cert("Own Test Root", k[2], NULL, k[2], 1, NULL, 0);
    c3[2] = tdx_make_cert("Extra CA", k[1], c3[3], k[2], 1, NULL, 0);
    c3[1] = tdx_make_cert("Intel SGX PCK Platform CA", k[0], c3[2], k[1], 1, NULL, 0);
    c3[0] = tdx_make_cert("Intel SGX PCK Certificate", pck_key, c3[1], k[0], 0, NULL, 0);
    own_pem = tdx_pem_of(c3[3], NULL);
    c.o.extra_roots_pem = own_pem;
    c.o.extra_roots_len = strlen(own_pem);
    expect_chain(&c, P11TEE_E_PCK_CHAIN,
                 "PCK chain has 4 certificates, expected leaf, PCK CA and root", c3[0], c3[1],
                 c3[2], c3[3], NULL);
    tdx_case_free(&c);
    free(own_pem);
    for (i = 0; i < 4; i++)
        X509_free(c3[i]);
    for (i = 0; i < 2; i++)
        X509_free(c2[i]);
    X509_free(c1[0]);
    X509_free(c1[1]);
    for (i = 0; i < 3; i++)
        EVP_PKEY_free(k[i]);
    X509_free(root);
    X509_free(ca);
    EVP_PKEY_free(root_key);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(pck_key);
}

static void pck_chain_unreadable(void **state)
{
    uint8_t *q;
    size_t len;
    tdx_case c;

    (void)state;
    tdx_case_build(&c, NULL);
    q = tdx_with_chain(c.q, c.qlen, "no certificate here", &len);
    tdx_case_set_quote(&c, q, len);
    tdx_case_set_collateral(&c, NULL);
    tdx_case_expect(&c, "tdx.pck.chain", P11TEE_E_PCK_CHAIN, "holds no readable PEM certificate");
    tdx_expect(&c.rep, "tdx.qe.signature", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    tdx_case_free(&c);
}

static void attestation_key_off_curve(void **state)
{
    tdx_case c;
    tdx_quote t;
    size_t i;

    (void)state;
    tdx_case_build(&c, NULL);
    assert_int_equal(tdx_quote_parse(c.q, c.qlen, &t, &c.err), P11TEE_OK);
    c.q[t.attest_key - c.q + 63] ^= 0x01; /* Y no longer matches X on the curve */
    assert_int_equal(tdx_case_run(&c), P11TEE_E_QUOTE_SIGNATURE);
    tdx_expect(&c.rep, "tdx.quote.signature", P11TEE_CHECK_FAIL, P11TEE_E_QUOTE_SIGNATURE);
    tdx_assert_reason(&c.rep, "tdx.quote.signature", "not a valid P-256 point");
    /* The QE certified the original key, not this one. */
    tdx_expect(&c.rep, "tdx.qe.reportdata", P11TEE_CHECK_FAIL, P11TEE_E_QE_REPORTDATA);
    for (i = 0; i < c.rep.count; i++)
        if (c.rep.checks[i].result == P11TEE_CHECK_FAIL)
            assert_true(strcmp(c.rep.checks[i].name, "tdx.quote.signature") == 0 ||
                        strcmp(c.rep.checks[i].name, "tdx.qe.reportdata") == 0);
    tdx_case_free(&c);
}

/* A quote from another vendor's QE, correctly signed: the header check alone refuses it. */
static void foreign_qe_vendor(void **state)
{
    tdx_case c;

    (void)state;
    tdx_case_build(&c, NULL);
    c.q[12] ^= 0x01;
    tdx_resign_quote(c.q, c.qlen);
    tdx_case_expect(&c, "tdx.quote.header", P11TEE_E_QUOTE_UNSUPPORTED,
                    "QE vendor ID is not Intel's");
    tdx_case_free(&c);
}

static void bad_arguments(void **state)
{
    tdx_verify_opts o = {.extra_roots_pem = "not a certificate", .extra_roots_len = 17};
    tdx_quote q;
    tdx_case c;

    (void)state;
    attest_report_init(&c.rep);
    memset(&q, 0, sizeof(q));
    assert_int_equal(tdx_verify(&q, &o, &c.rep, &c.v, &c.err), P11TEE_E_INVALID_ARG);
    assert_int_equal(tdx_verify(NULL, &o, &c.rep, &c.v, &c.err), P11TEE_E_INVALID_ARG);
    tdx_case_build(&c, NULL);
    c.o = o;
    assert_int_equal(tdx_case_run(&c), P11TEE_E_CONFIG);
    assert_non_null(strstr(c.err.message, "the extra trusted roots hold no PEM certificate"));
    assert_int_equal(c.rep.count, 0);
    tdx_case_free(&c);
}

/*
 * A verifier whose trust anchors cannot be set up records nothing itself;
 * the evidence checks must then fail every check it owes, never pass.
 */
static void evidence_when_the_verifier_cannot_run(void **state)
{
    uint8_t *q;
    size_t qlen;
    int id;
    char *coll;
    size_t clen;
    attest_policy *p;
    attest_expect ex;
    attest_outcome out;
    p11tee_error err;

    (void)state;
    tdx_build(&q, &qlen, &coll, &clen, NULL);
    assert_int_equal(attest_policy_default(&p, NULL), P11TEE_OK);
    p->tdx_test_roots = strdup("not a certificate"); /* what the policy loader would refuse */
    p->tdx_test_roots_len = strlen(p->tdx_test_roots);
    memset(&ex, 0, sizeof(ex));
    ex.at = TDX_BUILD_AT;
    assert_int_equal(attest_evaluate_quote(q, qlen, &ex, p, &out, &err), P11TEE_OK);
    for (id = TDX_CHECK_FIRST; id < TDX_CHECK_END; id++) {
        const attest_check *c =
            attest_report_find(&out.report, attest_check_name((attest_check_id)id));

        assert_non_null(c);
        assert_int_equal(c->result, P11TEE_CHECK_FAIL);
        assert_int_equal(c->code, P11TEE_E_ATTEST_REQUIRED);
        assert_non_null(strstr(c->reason, "could not run"));
    }
    assert_int_equal(attest_verdict(&out.report, p, &err), P11TEE_E_ATTEST_REQUIRED);
    attest_outcome_free(&out);
    attest_policy_free(p);
    free(q);
    free(coll);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(root_is_pinned),
        cmocka_unit_test(vector_without_collateral),
        cmocka_unit_test(debug_quote_refused),
        cmocka_unit_test(other_vectors_verify),
        cmocka_unit_test(vector_tampering),
        cmocka_unit_test(vector_reportdata),
        cmocka_unit_test(generated_passes_with_test_root),
        cmocka_unit_test(generated_quote_faults),
        cmocka_unit_test(generated_reportdata),
        cmocka_unit_test(generated_nonce_sha256),
        cmocka_unit_test(pck_chain_shape),
        cmocka_unit_test(pck_chain_unreadable),
        cmocka_unit_test(attestation_key_off_curve),
        cmocka_unit_test(foreign_qe_vendor),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(evidence_when_the_verifier_cannot_run),
    };
    return TEST_MAIN(tests, tdx_setup, tdx_teardown);
}
