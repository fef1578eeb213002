/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Offline verification of a parsed TDX quote (PROTOCOL.md sections 2 and 6):
 * the quote and QE signatures, the QE report-data binding, the PCK chain to
 * the Intel SGX Root CA built into this file, debug mode and the REPORTDATA
 * binding of the signing address and nonce. Each finding is a named check
 * in the attest_report; collateral.c adds TCB status and revocation.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "attest/tdx.h"
#include "crypto/crypto.h"

/*
 * Intel SGX Root CA (the same certificate Intel publishes and PCS chains end
 * at). Trusted only after its DER hashes to intel_root_fp, so a corrupted
 * build can never silently trust something else.
 */
static const char intel_root_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw\n"
    "aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv\n"
    "cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ\n"
    "BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG\n"
    "A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0\n"
    "aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT\n"
    "AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7\n"
    "1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB\n"
    "uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ\n"
    "MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50\n"
    "ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV\n"
    "Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI\n"
    "KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg\n"
    "AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=\n"
    "-----END CERTIFICATE-----\n";

/* SHA-256 of the DER: 44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3 */
/* How reasons name the built-in root. */
#define INTEL_ROOT_NAME "Intel SGX Root CA (built in, SHA-256 44a0196b...74d3)"

static const uint8_t intel_root_fp[SHA256_DIGEST_LENGTH] = {
    0x44, 0xa0, 0x19, 0x6b, 0x2b, 0x99, 0xf8, 0x89, 0xb8, 0xe1, 0x49, 0xe9, 0x5b, 0x80, 0x7a, 0x35,
    0x0e, 0x74, 0x24, 0x96, 0x43, 0x99, 0xe8, 0x85, 0xa7, 0xcb, 0xb8, 0xcc, 0xfa, 0xb6, 0x74, 0xd3,
};

static const uint8_t intel_qe_vendor[16] = {
    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07,
};

p11tee_status tdx_trust_init(attest_trust *t, const char *extra_pem, size_t extra_len, time_t at,
                             p11tee_error *err)
{
    return attest_trust_init(t, intel_root_pem, intel_root_fp, INTEL_ROOT_NAME, extra_pem,
                             extra_len, at, err);
}

p11tee_status tdx_root_check(p11tee_error *err)
{
    X509 *root;
    p11tee_status rc =
        attest_root_from_pem(intel_root_pem, intel_root_fp, INTEL_ROOT_NAME, &root, err);

    X509_free(root);
    return rc;
}

/* The attestation key as carried: raw X || Y on P-256. NULL when not a curve point. */
static EVP_PKEY *p256_from_raw(const uint8_t xy[TDX_ECDSA_KEY_BYTES])
{
    char group[] = "prime256v1";
    uint8_t point[1 + TDX_ECDSA_KEY_BYTES];
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *key = NULL;

    point[0] = 0x04;
    memcpy(point + 1, xy, TDX_ECDSA_KEY_BYTES);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
    params[2] = OSSL_PARAM_construct_end();
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
        key = NULL;
    err_openssl_clear();
    EVP_PKEY_CTX_free(ctx);
    return key;
}

static void check_header(const tdx_quote *q, attest_report *rep)
{
    if (CRYPTO_memcmp(q->qe_vendor_id, intel_qe_vendor, 16) != 0) {
        attest_report_add(rep, ATTEST_CK_TDX_QUOTE_HEADER, P11TEE_CHECK_FAIL,
                          P11TEE_E_QUOTE_UNSUPPORTED,
                          "QE vendor ID is not Intel's (939a7233f79c4ca9940a0db3957f0607)");
        return;
    }
    attest_report_add(rep, ATTEST_CK_TDX_QUOTE_HEADER, P11TEE_CHECK_PASS, P11TEE_OK,
                      "version %u, attestation key type 2 (ECDSA P-256), TEE type 0x81 (TDX), "
                      "Intel QE vendor, body TDX %s",
                      q->version, q->body_type == 3 ? "1.5" : "1.0");
}

static void check_debug(const tdx_quote *q, attest_report *rep)
{
    char hex[17];

    hex_encode(q->td_attributes, 8, hex, sizeof(hex));
    if (q->td_attributes[0] & 0x01)
        attest_report_add(rep, ATTEST_CK_TDX_TD_DEBUG, P11TEE_CHECK_FAIL, P11TEE_E_ATTEST_DEBUG,
                          "TDX debug mode detected: TDATTRIBUTES %s has bit 0 (DEBUG) set", hex);
    else
        attest_report_add(rep, ATTEST_CK_TDX_TD_DEBUG, P11TEE_CHECK_PASS, P11TEE_OK,
                          "TDATTRIBUTES %s: bit 0 (DEBUG) clear", hex);
}

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;

    while (n-- > 0)
        acc |= *p++;
    return acc == 0;
}

static void check_address(const tdx_quote *q, const tdx_verify_opts *o, attest_report *rep)
{
    char want[2 * ETH_ADDRESS_BYTES + 1], got[2 * ETH_ADDRESS_BYTES + 1];

    if (o->address == NULL) {
        attest_report_add(rep, ATTEST_CK_TDX_REPORTDATA_ADDRESS, P11TEE_CHECK_NOT_CHECKED,
                          P11TEE_OK, "no expected signing address given");
        return;
    }
    hex_encode(o->address, ETH_ADDRESS_BYTES, want, sizeof(want));
    hex_encode(q->report_data, ETH_ADDRESS_BYTES, got, sizeof(got));
    if (CRYPTO_memcmp(q->report_data, o->address, ETH_ADDRESS_BYTES) != 0)
        attest_report_add(rep, ATTEST_CK_TDX_REPORTDATA_ADDRESS, P11TEE_CHECK_FAIL,
                          P11TEE_E_REPORTDATA_ADDRESS,
                          "REPORTDATA[0:20] 0x%s is not the signing address 0x%s", got, want);
    else if (!all_zero(q->report_data + ETH_ADDRESS_BYTES,
                       TDX_REPORTDATA_NONCE_AT - ETH_ADDRESS_BYTES))
        attest_report_add(rep, ATTEST_CK_TDX_REPORTDATA_ADDRESS, P11TEE_CHECK_FAIL,
                          P11TEE_E_REPORTDATA_ADDRESS,
                          "REPORTDATA[0:20] is the signing address but REPORTDATA[20:32] is not "
                          "zero");
    else
        attest_report_add(rep, ATTEST_CK_TDX_REPORTDATA_ADDRESS, P11TEE_CHECK_PASS, P11TEE_OK,
                          "REPORTDATA[0:20] == signing address 0x%s, REPORTDATA[20:32] == 0", want);
}

/*
 * SHA-256 of the nonce as sent on the wire: 64 lowercase hex characters. 0
 * when it could not be computed (out of memory, which err_oom_seen() reports).
 */
static int nonce_text_hash(const uint8_t nonce[P11TEE_NONCE_BYTES],
                           uint8_t md[SHA256_DIGEST_LENGTH])
{
    char text[2 * P11TEE_NONCE_BYTES + 1];

    hex_encode(nonce, P11TEE_NONCE_BYTES, text, sizeof(text));
    return digest_sha256(text, 2 * P11TEE_NONCE_BYTES, md, NULL) == P11TEE_OK;
}

static void check_nonce(const tdx_quote *q, const tdx_verify_opts *o, attest_report *rep)
{
    const uint8_t *rd = q->report_data + TDX_REPORTDATA_NONCE_AT;
    uint8_t md[SHA256_DIGEST_LENGTH];
    int hashed;

    if (o->nonce == NULL) {
        attest_report_add(rep, ATTEST_CK_TDX_REPORTDATA_NONCE, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "no nonce given");
        attest_report_add(rep, ATTEST_CK_TDX_REPORTDATA_NONCE_SHA256, P11TEE_CHECK_NOT_CHECKED,
                          P11TEE_OK, "no nonce given");
        return;
    }
    if (CRYPTO_memcmp(rd, o->nonce, P11TEE_NONCE_BYTES) == 0) {
        attest_report_add(rep, ATTEST_CK_TDX_REPORTDATA_NONCE, P11TEE_CHECK_PASS, P11TEE_OK,
                          "REPORTDATA[32:64] == nonce (raw 32 bytes)");
        attest_report_add(rep, ATTEST_CK_TDX_REPORTDATA_NONCE_SHA256, P11TEE_CHECK_NOT_CHECKED,
                          P11TEE_OK, "not needed: the raw nonce is bound");
        return;
    }
    hashed = nonce_text_hash(o->nonce, md) && CRYPTO_memcmp(rd, md, sizeof(md)) == 0;
    if (hashed && o->allow_nonce_sha256) {
        attest_report_add(rep, ATTEST_CK_TDX_REPORTDATA_NONCE, P11TEE_CHECK_PASS, P11TEE_OK,
                          "REPORTDATA[32:64] == SHA-256(nonce hex string), accepted by the "
                          "fallback (see %s)",
                          attest_check_name(ATTEST_CK_TDX_REPORTDATA_NONCE_SHA256));
        attest_report_add(rep, ATTEST_CK_TDX_REPORTDATA_NONCE_SHA256, P11TEE_CHECK_PASS, P11TEE_OK,
                          "fallback used: REPORTDATA[32:64] == SHA-256(nonce hex string)");
    } else if (hashed) {
        attest_report_add(rep, ATTEST_CK_TDX_REPORTDATA_NONCE, P11TEE_CHECK_FAIL,
                          P11TEE_E_REPORTDATA_NONCE,
                          "REPORTDATA[32:64] is SHA-256(nonce hex string), not the raw nonce, "
                          "and the SHA-256 fallback is not allowed");
        attest_report_add(rep, ATTEST_CK_TDX_REPORTDATA_NONCE_SHA256, P11TEE_CHECK_FAIL,
                          P11TEE_E_REPORTDATA_NONCE,
                          "REPORTDATA[32:64] == SHA-256(nonce hex string) but the fallback is not "
                          "allowed by policy");
    } else {
        attest_report_add(rep, ATTEST_CK_TDX_REPORTDATA_NONCE, P11TEE_CHECK_FAIL,
                          P11TEE_E_REPORTDATA_NONCE,
                          "REPORTDATA[32:64] is neither the nonce nor SHA-256 of its hex string "
                          "(possible replay)");
        attest_report_add(rep, ATTEST_CK_TDX_REPORTDATA_NONCE_SHA256, P11TEE_CHECK_NOT_CHECKED,
                          P11TEE_OK, "REPORTDATA[32:64] does not match this form either");
    }
}

static void check_quote_signature(const tdx_quote *q, attest_report *rep)
{
    EVP_PKEY *key = p256_from_raw(q->attest_key);

    if (key == NULL)
        attest_report_add(rep, ATTEST_CK_TDX_QUOTE_SIGNATURE, P11TEE_CHECK_FAIL,
                          P11TEE_E_QUOTE_SIGNATURE,
                          "the attestation key is not a valid P-256 point");
    else if (!attest_ecdsa_verify_raw(key, "SHA256", q->signed_region.ptr, q->signed_region.len,
                                      q->signature, TDX_ECDSA_SIG_BYTES))
        attest_report_add(rep, ATTEST_CK_TDX_QUOTE_SIGNATURE, P11TEE_CHECK_FAIL,
                          P11TEE_E_QUOTE_SIGNATURE,
                          "ECDSA P-256 signature over header||%sbody (%zu bytes) does not verify "
                          "with the attestation key",
                          q->version == 5 ? "descriptor||" : "", q->signed_region.len);
    else
        attest_report_add(rep, ATTEST_CK_TDX_QUOTE_SIGNATURE, P11TEE_CHECK_PASS, P11TEE_OK,
                          "attestation key signed header||%sbody (%zu bytes)",
                          q->version == 5 ? "descriptor||" : "", q->signed_region.len);
    EVP_PKEY_free(key);
}

static void check_qe_reportdata(const tdx_quote *q, attest_report *rep)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t h[SHA256_DIGEST_LENGTH];
    int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(md, q->attest_key, TDX_ECDSA_KEY_BYTES) == 1 &&
             EVP_DigestUpdate(md, q->qe_auth_data.ptr, q->qe_auth_data.len) == 1 &&
             EVP_DigestFinal_ex(md, h, NULL) == 1;

    EVP_MD_CTX_free(md);
    if (!ok)
        attest_report_add(rep, ATTEST_CK_TDX_QE_REPORTDATA, P11TEE_CHECK_FAIL, P11TEE_E_CRYPTO,
                          "could not compute SHA-256 of the attestation key and QE auth data");
    else if (CRYPTO_memcmp(h, q->qe_report + TDX_QE_REPORTDATA_AT, sizeof(h)) != 0)
        attest_report_add(rep, ATTEST_CK_TDX_QE_REPORTDATA, P11TEE_CHECK_FAIL,
                          P11TEE_E_QE_REPORTDATA,
                          "QE REPORTDATA[0:32] != SHA-256(attestation key || QE auth data): the QE "
                          "did not certify this attestation key");
    else
        attest_report_add(rep, ATTEST_CK_TDX_QE_REPORTDATA, P11TEE_CHECK_PASS, P11TEE_OK,
                          "QE REPORTDATA[0:32] == SHA-256(attestation key || QE auth data (%zu B))",
                          q->qe_auth_data.len);
}

static void check_qe_signature(const tdx_quote *q, STACK_OF(X509) *certs, attest_report *rep)
{
    EVP_PKEY *key = certs != NULL ? X509_get0_pubkey(sk_X509_value(certs, 0)) : NULL;

    if (key == NULL)
        attest_report_add(rep, ATTEST_CK_TDX_QE_SIGNATURE, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "the quote carries no readable PCK certificate");
    else if (!attest_ecdsa_verify_raw(key, "SHA256", q->qe_report, TDX_QE_REPORT_BYTES,
                                      q->qe_report_sig, TDX_ECDSA_SIG_BYTES))
        attest_report_add(rep, ATTEST_CK_TDX_QE_SIGNATURE, P11TEE_CHECK_FAIL, P11TEE_E_QE_SIGNATURE,
                          "ECDSA signature over the 384-byte QE report does not verify with the "
                          "PCK leaf key");
    else
        attest_report_add(rep, ATTEST_CK_TDX_QE_SIGNATURE, P11TEE_CHECK_PASS, P11TEE_OK,
                          "PCK leaf key signed the 384-byte QE report");
    err_openssl_clear();
}

static int cn_is(X509 *cert, const char *a, const char *b)
{
    return attest_cert_cn_is(cert, a) || (b != NULL && attest_cert_cn_is(cert, b));
}

static void chain_pass(const attest_trust *t, STACK_OF(X509) *chain, tdx_pck *pck,
                       attest_report *rep, tdx_verdict *v)
{
    char anchor[220], at[ATTEST_TIME_TEXT];

    pck->leaf = sk_X509_value(chain, 0);
    pck->ca = sk_X509_value(chain, 1);
    pck->anchor = sk_X509_value(chain, 2);
    v->test_root = X509_cmp(pck->anchor, t->root) != 0;
    attest_anchor_name(t, pck->anchor, anchor, sizeof(anchor));
    attest_time_text(t->at, at);
    attest_report_add(rep, ATTEST_CK_TDX_PCK_CHAIN, P11TEE_CHECK_PASS, P11TEE_OK,
                      "PCK leaf -> %s CA -> verified to %s at %s",
                      cn_is(pck->ca, "Intel SGX PCK Platform CA", NULL) ? "Platform" : "Processor",
                      anchor, at);
}

static void check_pck_chain(const attest_trust *t, STACK_OF(X509) *certs, STACK_OF(X509) **chain,
                            tdx_pck *pck, attest_report *rep, tdx_verdict *v)
{
    char why[ATTEST_REASON_MAX - 40];

    memset(pck, 0, sizeof(*pck));
    if (certs == NULL) {
        attest_report_add(rep, ATTEST_CK_TDX_PCK_CHAIN, P11TEE_CHECK_FAIL, P11TEE_E_PCK_CHAIN,
                          "the quote's PCK chain holds no readable PEM certificate");
        return;
    }
    if (!attest_chain_verify(t, sk_X509_value(certs, 0), certs, chain, why, sizeof(why))) {
        attest_report_add(rep, ATTEST_CK_TDX_PCK_CHAIN, P11TEE_CHECK_FAIL, P11TEE_E_PCK_CHAIN,
                          "PCK chain does not verify to a trusted root: %s", why);
        return;
    }
    if (sk_X509_num(*chain) != 3)
        attest_report_add(rep, ATTEST_CK_TDX_PCK_CHAIN, P11TEE_CHECK_FAIL, P11TEE_E_PCK_CHAIN,
                          "PCK chain has %d certificates, expected leaf, PCK CA and root",
                          sk_X509_num(*chain));
    else if (!cn_is(sk_X509_value(*chain, 0), "Intel SGX PCK Certificate", NULL))
        attest_report_add(rep, ATTEST_CK_TDX_PCK_CHAIN, P11TEE_CHECK_FAIL, P11TEE_E_PCK_CHAIN,
                          "PCK leaf subject CN is not \"Intel SGX PCK Certificate\"");
    else if (!cn_is(sk_X509_value(*chain, 1), "Intel SGX PCK Platform CA",
                    "Intel SGX PCK Processor CA"))
        attest_report_add(rep, ATTEST_CK_TDX_PCK_CHAIN, P11TEE_CHECK_FAIL, P11TEE_E_PCK_CHAIN,
                          "PCK intermediate is neither \"Intel SGX PCK Platform CA\" nor "
                          "\"Intel SGX PCK Processor CA\"");
    else
        chain_pass(t, *chain, pck, rep, v);
}

p11tee_status tdx_verify(const tdx_quote *q, const tdx_verify_opts *opts, attest_report *rep,
                         tdx_verdict *verdict, p11tee_error *err)
{
    tdx_verdict v = {TDX_TCB_UNKNOWN, 0, 0};
    STACK_OF(X509) *certs, *chain = NULL;
    attest_trust t;
    tdx_pck pck;
    p11tee_status rc;

    if (verdict != NULL)
        *verdict = v;
    if (q == NULL || q->signature == NULL || opts == NULL)
        return err_set(err, P11TEE_E_INVALID_ARG, "tdx_verify needs a parsed quote and options");
    rc = tdx_trust_init(&t, opts->extra_roots_pem, opts->extra_roots_len, opts->at, err);
    if (rc != P11TEE_OK) {
        attest_trust_free(&t);
        return rc;
    }
    check_header(q, rep);
    check_debug(q, rep);
    check_address(q, opts, rep);
    check_nonce(q, opts, rep);
    check_quote_signature(q, rep);
    check_qe_reportdata(q, rep);
    certs = attest_certs_from_pem((const char *)q->pck_chain.ptr, q->pck_chain.len);
    check_qe_signature(q, certs, rep);
    check_pck_chain(&t, certs, &chain, &pck, rep, &v);
    tdx_check_collateral(q, opts, &t, &pck, rep, &v);
    sk_X509_pop_free(chain, X509_free);
    sk_X509_pop_free(certs, X509_free);
    attest_trust_free(&t);
    if (verdict != NULL)
        *verdict = v;
    return attest_report_first_failure_in(
        rep, ATTEST_AREA_BIT(ATTEST_AREA_TDX) | ATTEST_AREA_BIT(ATTEST_AREA_TDX_COLLATERAL), "TDX",
        err);
}
