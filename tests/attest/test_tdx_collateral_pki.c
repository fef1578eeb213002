/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * TDX collateral and the PKI behind it: collateral under another root, its
 * signing chains, the PCK certificate's SGX extension, and certificates and
 * CRLs made here (a revoked TCB signer, TCB info signed by a PCK key): each
 * collateral check fails by name.
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

/* Collateral signed under another trusted root does not speak for this platform. */
static void collateral_under_other_root(void **state)
{
    size_t ilen;
    char *intel = (char *)tdx_vector("dcap-qvl_tdx_quote_collateral.json", &ilen);
    tdx_case c;

    (void)state;
    tdx_case_build(&c, NULL);
    tdx_case_set_collateral(&c, intel);
    assert_int_equal(tdx_case_run(&c), P11TEE_E_COLLATERAL);
    tdx_expect(&c.rep, "tdx.collateral.tcb_info", P11TEE_CHECK_FAIL, P11TEE_E_COLLATERAL);
    tdx_assert_reason(&c.rep, "tdx.collateral.tcb_info",
                      "tcb_info is signed under Intel SGX Root CA (built in, SHA-256 "
                      "44a0196b...74d3) but the PCK chain ends at TEST root");
    tdx_expect(&c.rep, "tdx.collateral.qe_identity", P11TEE_CHECK_FAIL, P11TEE_E_COLLATERAL);
    tdx_expect(&c.rep, "tdx.collateral.crl", P11TEE_CHECK_FAIL, P11TEE_E_COLLATERAL);
    tdx_expect(&c.rep, "tdx.pck.chain", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_case_free(&c);
}

static void generated_signing_chain_errors(void **state)
{
    tdx_case c;
    char *coll, *chain;

    (void)state;
    tdx_case_build(&c, NULL);
    coll = strdup(c.coll);
    tdx_case_set_collateral(&c, tdx_coll_set(coll, "tcb_info_issuer_chain", "no certificate"));
    tdx_case_expect(&c, "tdx.collateral.tcb_info", P11TEE_E_COLLATERAL,
                    "tcb_info_issuer_chain holds no PEM certificate");
    tdx_case_set_collateral(&c, tdx_coll_set(coll, "qe_identity_signature", "00112233"));
    tdx_case_expect(&c, "tdx.collateral.qe_identity", P11TEE_E_COLLATERAL,
                    "qe_identity_signature is not 64 bytes of hex");
    /* The PCK CA's chain verifies to the root, but a PCK CA does not sign TCB info. */
    chain = tdx_coll_get(coll, "pck_crl_issuer_chain");
    tdx_case_set_collateral(&c, tdx_coll_set(coll, "tcb_info_issuer_chain", chain));
    tdx_case_expect(&c, "tdx.collateral.tcb_info", P11TEE_E_COLLATERAL,
                    "not signed by an \"Intel SGX TCB Signing\" end-entity certificate");
    free(chain);
    free(coll);
    tdx_case_free(&c);
}

/* The DER of the builder's PCK leaf SGX extension. */
static uint8_t *sgx_ext(size_t *len)
{
    X509 *pck = tdx_pki_cert("sgx_pck");
    ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
    ASN1_OCTET_STRING *data;
    uint8_t *out;

    data = X509_EXTENSION_get_data(X509_get_ext(pck, X509_get_ext_by_OBJ(pck, obj, -1)));
    *len = (size_t)ASN1_STRING_length(data);
    out = malloc(*len);
    assert_non_null(out);
    memcpy(out, ASN1_STRING_get0_data(data), *len);
    ASN1_OBJECT_free(obj);
    X509_free(pck);
    return out;
}

static size_t find(const uint8_t *hay, size_t len, const uint8_t *needle, size_t n)
{
    size_t i;

    for (i = 0; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return i;
    fail_msg("pattern not found in the SGX extension");
    return 0;
}

/*
 * The case's quote re-issued with a PCK leaf (same key, same CA) carrying
 * extension `ext`: it verifies (ok) or fails tdx.collateral.fmspc alone.
 */
static void expect_ext(const tdx_case *base, const uint8_t *ext, size_t ext_len, int ok)
{
    EVP_PKEY *pck_key = tdx_pki_key("sgx_pck"), *ca_key = tdx_pki_key("sgx_pck_ca");
    X509 *ca = tdx_pki_cert("sgx_pck_ca"), *root = tdx_pki_cert("sgx_root");
    X509 *leaf = tdx_make_cert("Intel SGX PCK Certificate", pck_key, ca, ca_key, 0, ext, ext_len);
    char *pem = tdx_pem_of(leaf, ca, root, NULL);
    tdx_case c = *base;

    c.coll = NULL;
    c.q = tdx_with_chain(base->q, base->qlen, pem, &c.qlen);
    if (ok)
        tdx_case_expect(&c, "tdx.collateral.fmspc", P11TEE_OK, "matches the PCK certificate");
    else
        tdx_case_expect(&c, "tdx.collateral.fmspc", P11TEE_E_PCK_CHAIN,
                        "no readable SGX extension");
    free(c.q);
    free(pem);
    X509_free(leaf);
    X509_free(root);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(pck_key);
}

/* The PCK certificate's SGX extension: intact it is read, damaged in any way it is refused. */
static void sgx_extension_variants(void **state)
{
    static const uint8_t fmspc_oid[] = {0x06, 0x0a, 0x2a, 0x86, 0x48, 0x86,
                                        0xf8, 0x4d, 0x01, 0x0d, 0x01, 0x04};
    static const uint8_t comp1_oid[] = {0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf8,
                                        0x4d, 0x01, 0x0d, 0x01, 0x02, 0x01};
    uint8_t *ext, *bad;
    size_t len, at;
    tdx_case c;

    (void)state;
    tdx_case_build(&c, NULL);
    ext = sgx_ext(&len);
    bad = malloc(len);
    assert_non_null(bad);
    expect_ext(&c, ext, len, 1);
    expect_ext(&c, NULL, 0, 0);
    expect_ext(&c, ext, len - 1, 0); /* truncated */
    memcpy(bad, ext, len);
    bad[0] = 0x3f; /* a high tag number */
    expect_ext(&c, bad, len, 0);
    memcpy(bad, ext, len);
    assert_int_equal(bad[1], 0x82);
    bad[1] = 0x85; /* a five-byte length */
    expect_ext(&c, bad, len, 0);
    memcpy(bad, ext, len);
    at = find(bad, len, fmspc_oid, sizeof(fmspc_oid));
    bad[at + sizeof(fmspc_oid) - 1] = 0x09; /* no FMSPC any more */
    expect_ext(&c, bad, len, 0);
    memcpy(bad, ext, len);
    at = find(bad, len, comp1_oid, sizeof(comp1_oid)) + sizeof(comp1_oid);
    assert_int_equal(bad[at], 0x02);
    bad[at + 2] = 0x80; /* a negative SVN */
    expect_ext(&c, bad, len, 0);
    free(bad);
    free(ext);
    tdx_case_free(&c);
}

/* Hex of a root CA CRL made here, signed by the test root, revoking `serial`. */
static char *root_crl_revoking(ASN1_INTEGER *serial)
{
    EVP_PKEY *root_key = tdx_pki_key("sgx_root");
    X509 *root = tdx_pki_cert("sgx_root");
    X509_CRL *crl = X509_CRL_new();
    X509_REVOKED *entry = X509_REVOKED_new();
    ASN1_TIME *t = ASN1_TIME_new();
    uint8_t *der = NULL;
    char *hex;
    int n;

    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(root));
    ASN1_TIME_set(t, TDX_BUILD_AT - 86400);
    X509_CRL_set1_lastUpdate(crl, t);
    X509_REVOKED_set_revocationDate(entry, t);
    ASN1_TIME_set(t, TDX_BUILD_AT + 30 * 86400);
    X509_CRL_set1_nextUpdate(crl, t);
    X509_REVOKED_set_serialNumber(entry, serial);
    X509_CRL_add0_revoked(crl, entry);
    assert_true(X509_CRL_sign(crl, root_key, EVP_sha256()) > 0);
    n = i2d_X509_CRL(crl, &der);
    assert_true(n > 0);
    hex = malloc(2 * (size_t)n + 1);
    assert_non_null(hex);
    hex_encode(der, (size_t)n, hex, 2 * (size_t)n + 1);
    OPENSSL_free(der);
    ASN1_TIME_free(t);
    X509_CRL_free(crl);
    X509_free(root);
    EVP_PKEY_free(root_key);
    return hex;
}

static void tcb_signer_revoked(void **state)
{
    X509 *signer;
    char *hex;
    tdx_case c;

    (void)state;
    tdx_case_build(&c, NULL);
    signer = tdx_pki_cert("sgx_tcb_signing");
    hex = root_crl_revoking(X509_get_serialNumber(signer));
    tdx_case_set_collateral(&c, tdx_coll_set(c.coll, "root_ca_crl", hex));
    assert_int_equal(tdx_case_run(&c), P11TEE_E_COLLATERAL);
    tdx_expect(&c.rep, "tdx.collateral.crl", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(&c.rep, "tdx.collateral.tcb_info", P11TEE_CHECK_FAIL, P11TEE_E_COLLATERAL);
    tdx_assert_reason(&c.rep, "tdx.collateral.tcb_info",
                      "tcb_info signing certificate is revoked by the root CA CRL");
    tdx_expect(&c.rep, "tdx.collateral.qe_identity", P11TEE_CHECK_FAIL, P11TEE_E_COLLATERAL);
    tdx_expect(&c.rep, "tdx.tcb.status", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    tdx_expect(&c.rep, "tdx.pck.revocation", P11TEE_CHECK_PASS, P11TEE_OK);
    free(hex);
    X509_free(signer);
    tdx_case_free(&c);
}

/*
 * Only Intel's TCB Signing certificate speaks for TCB levels, never a PCK key.
 * (The session's keys exist once a case is built: build first.)
 */
static void tcb_info_signed_by_pck_key(void **state)
{
    EVP_PKEY *pck_key;
    X509 *pck, *ca;
    char *text, *chain, *c1, *c2, *c3, hex[129];
    uint8_t sig[64];
    tdx_case c;

    (void)state;
    tdx_case_build(&c, NULL);
    pck_key = tdx_pki_key("sgx_pck");
    pck = tdx_pki_cert("sgx_pck");
    ca = tdx_pki_cert("sgx_pck_ca");
    text = tdx_coll_get(c.coll, "tcb_info");
    tdx_sign_raw(pck_key, (const uint8_t *)text, strlen(text), sig);
    hex_encode(sig, 64, hex, sizeof(hex));
    chain = tdx_pem_of(pck, ca, NULL);
    c1 = tdx_coll_set(c.coll, "tcb_info_signature", hex);
    c2 = tdx_coll_set(c1, "tcb_info_issuer_chain", chain);
    c3 = strdup(c2);
    tdx_case_set_collateral(&c, c3);
    assert_int_equal(tdx_case_run(&c), P11TEE_E_COLLATERAL);
    tdx_expect(&c.rep, "tdx.collateral.tcb_info", P11TEE_CHECK_FAIL, P11TEE_E_COLLATERAL);
    tdx_assert_reason(&c.rep, "tdx.collateral.tcb_info",
                      "not signed by an \"Intel SGX TCB Signing\" end-entity certificate");
    tdx_expect(&c.rep, "tdx.tcb.status", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    free(text);
    free(chain);
    free(c1);
    free(c2);
    X509_free(pck);
    X509_free(ca);
    EVP_PKEY_free(pck_key);
    tdx_case_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tcb_info_signed_by_pck_key),
        cmocka_unit_test(collateral_under_other_root),
        cmocka_unit_test(generated_signing_chain_errors),
        cmocka_unit_test(sgx_extension_variants),
        cmocka_unit_test(tcb_signer_revoked),
    };
    return TEST_MAIN(tests, tdx_setup, tdx_teardown);
}
