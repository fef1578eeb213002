/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * NVIDIA GPU evidence, signed and chained: the pinned root, a leaf key that
 * cannot have signed the report, and NVIDIA's real sample report and chain
 * (skipped when $P11TEE_VECTORS is absent): it verifies at a pinned time and
 * fails when any byte, the nonce or the root changes. Parsing is in
 * test_nvidia.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/nvidia.h"
#include "crypto/crypto.h"
#include "tdx_testutil.h"
#include "test_nvidia_util.h"
#include "testlib.h"

/* ---- certificates made here --------------------------------------------------------------- */

static EVP_PKEY *key_new(const char *curve)
{
    EVP_PKEY *k = EVP_EC_gen(curve);

    assert_non_null(k);
    return k;
}

static char *cert_pem(X509 *c, size_t *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data, *out;
    long n;

    assert_true(PEM_write_bio_X509(bio, c));
    n = BIO_get_mem_data(bio, &data);
    out = malloc((size_t)n + 1);
    assert_non_null(out);
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    *len = (size_t)n;
    BIO_free(bio);
    return out;
}

/* A self-signed P-256 certificate: a leaf whose key cannot have signed a P-384 report. */
static char *p256_self_signed(size_t *len)
{
    EVP_PKEY *k = key_new("P-256");
    X509 *c = X509_new();
    char *pem;

    X509_set_version(c, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
                               (const unsigned char *)"p11tee TEST P-256 leaf", -1, -1, 0);
    X509_set_issuer_name(c, X509_get_subject_name(c));
    X509_gmtime_adj(X509_getm_notBefore(c), -86400);
    X509_gmtime_adj(X509_getm_notAfter(c), 86400);
    X509_set_pubkey(c, k);
    assert_true(X509_sign(c, k, EVP_sha256()) > 0);
    pem = cert_pem(c, len);
    X509_free(c);
    EVP_PKEY_free(k);
    return pem;
}

static void leaf_key_must_be_p384(void **state)
{
    uint8_t ev[SYN_LEN];
    struct json_object *p;
    attest_report rep;
    size_t pem_len;
    char *pem = p256_self_signed(&pem_len);
    p11tee_error err;

    (void)state;
    nv_syn_report(ev);
    p = nv_payload_new(ev + 4);
    nv_payload_add(p, ev, sizeof(ev), pem, pem_len);
    assert_int_equal(nv_check(p, ev + 4, 0, NULL, &rep, &err), P11TEE_E_NVIDIA_SIGNATURE);
    tdx_expect(&rep, "nvidia.evidence.format", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(&rep, "nvidia.nonce", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(&rep, "nvidia.evidence.nonce", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(&rep, "nvidia.evidence.signature", P11TEE_CHECK_FAIL, P11TEE_E_NVIDIA_SIGNATURE);
    assert_non_null(strstr(nv_reason(&rep, "nvidia.evidence.signature"), "not an ECDSA P-384"));
    tdx_expect(&rep, "nvidia.chain", P11TEE_CHECK_FAIL, P11TEE_E_NVIDIA_CHAIN);
    tdx_expect(&rep, "nvidia.fwid", P11TEE_CHECK_FAIL, P11TEE_E_NVIDIA_FWID);
    assert_non_null(strstr(nv_reason(&rep, "nvidia.fwid"), "no FWID extension"));
    json_object_put(p);
    free(pem);
}

static void root_is_pinned(void **state)
{
    static const uint8_t wrong_fp[32] = {0x10, 0x2b, 0xf6, 0x59};
    size_t len;
    char *pem = p256_self_signed(&len);
    X509 *root;
    p11tee_error err;

    (void)state;
    assert_int_equal(nv_root_check(&err), P11TEE_OK);
    assert_int_equal(attest_root_from_pem(nv_root_pem, nv_root_fp, NV_ROOT_NAME, &root, &err),
                     P11TEE_OK);
    assert_non_null(root);
    X509_free(root);
    /* any other certificate, or none, under the pinned fingerprint is an internal error */
    assert_int_equal(attest_root_from_pem(pem, wrong_fp, NV_ROOT_NAME, &root, &err),
                     P11TEE_E_INTERNAL);
    assert_null(root);
    assert_non_null(strstr(err.message, "NVIDIA Device Identity CA (built in"));
    assert_non_null(strstr(err.message, "does not match its pinned SHA-256 fingerprint"));
    assert_int_equal(attest_root_from_pem("not PEM", wrong_fp, NV_ROOT_NAME, &root, &err),
                     P11TEE_E_INTERNAL);
    free(pem);
}

/* ---- NVIDIA's sample report and chain --------------------------------------------------- */

typedef struct sample {
    uint8_t *ev;
    size_t ev_len;
    char *pem;
    size_t pem_len;
} sample;

static void sample_load(sample *s)
{
    s->ev = nv_vector_evidence(&s->ev_len);
    s->pem = nv_vector_chain(&s->pem_len);
}

static void sample_free(sample *s)
{
    free(s->ev);
    free(s->pem);
}

/* What a check changes around the sample; zero fields keep the sample's own. */
typedef struct variant {
    const uint8_t *ev; /* evidence */
    size_t ev_len;
    const char *pem; /* chain */
    size_t pem_len;
    const uint8_t *payload_nonce; /* default: the nonce of the sample's request */
    const uint8_t *ours;          /* default: the same */
    int no_nonce;                 /* verify without a nonce of ours */
    time_t at;                    /* default: NV_VECTOR_AT */
    const char *extra_roots;      /* default: none */
} variant;

static struct json_object *sample_payload(const sample *s, const variant *v)
{
    struct json_object *p = nv_payload_new(v->payload_nonce ? v->payload_nonce : s->ev + 4);

    nv_payload_add(p, v->ev ? v->ev : s->ev, v->ev ? v->ev_len : s->ev_len,
                   v->pem ? v->pem : s->pem, v->pem ? v->pem_len : s->pem_len);
    return p;
}

/* nv_check() of a one-GPU payload around the sample. */
static p11tee_status sample_check(const sample *s, variant v, attest_report *rep, p11tee_error *err)
{
    struct json_object *p = sample_payload(s, &v);
    const uint8_t *ours = v.no_nonce ? NULL : v.ours ? v.ours : s->ev + 4;
    p11tee_status rc = nv_check(p, ours, v.at ? v.at : NV_VECTOR_AT, v.extra_roots, rep, err);

    json_object_put(p);
    return rc;
}

static void expect_all_pass(const attest_report *rep)
{
    static const char *const names[] = {"nvidia.payload",
                                        "nvidia.nonce",
                                        "nvidia.evidence.format",
                                        "nvidia.evidence.nonce",
                                        "nvidia.evidence.signature",
                                        "nvidia.chain",
                                        "nvidia.fwid"};
    size_t i;

    for (i = 0; i < P11TEE_ARRAY_LEN(names); i++)
        tdx_expect(rep, names[i], P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(rep, "nvidia.ocsp", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    tdx_expect(rep, "nvidia.rim", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    assert_int_equal(rep->count, 9);
}

static void sample_report_fields(void **state)
{
    static const char fwid_hex[] =
        "f5c384aebb579217a2c66b17ed0f28e6a9b8d639041acd7b4721cec004f72754"
        "94ba94bb5cdfdb3055ee051762b1f75d";
    sample s;
    nv_report r;
    char hex[2 * NV_FWID_BYTES + 1];
    p11tee_error err;

    (void)state;
    sample_load(&s);
    assert_int_equal(s.ev_len, 4117);
    assert_int_equal(nv_report_parse(s.ev, s.ev_len, &r, &err), P11TEE_OK);
    assert_int_equal(r.blocks, 64);
    assert_int_equal(r.record_len, 3520);
    assert_int_equal(r.opaque_len, 422);
    assert_int_equal(r.signed_len, 4021);
    assert_int_equal(r.trailing, 0);
    assert_int_equal(r.slot, 0);
    assert_int_equal(r.fwid_len, NV_FWID_BYTES);
    hex_encode(r.fwid, r.fwid_len, hex, sizeof(hex));
    assert_string_equal(hex, fwid_hex);
    hex_encode(r.request_nonce, 4, hex, sizeof(hex));
    assert_string_equal(hex, "931d8dd0");
    sample_free(&s);
}

static void sample_verifies(void **state)
{
    variant v = {0};
    sample s;
    struct json_object *p, *as_string;
    attest_report rep;
    const char *text;
    nv_options o = {NV_VECTOR_AT, NULL, NULL, 0};
    char *test_root;
    size_t test_root_len;
    p11tee_error err;

    (void)state;
    sample_load(&s);
    assert_int_equal(sample_check(&s, v, &rep, &err), P11TEE_OK);
    expect_all_pass(&rep);
    assert_non_null(strstr(nv_reason(&rep, "nvidia.chain"), "verify to " NV_ROOT_NAME));
    assert_non_null(strstr(nv_reason(&rep, "nvidia.chain"), "2025-06-01T00:00:00Z"));
    assert_non_null(strstr(nv_reason(&rep, "nvidia.payload"), "1 GPU(s), arch HOPPER"));
    assert_non_null(strstr(nv_reason(&rep, "nvidia.evidence.nonce"), "and the nonce we sent"));
    /* the usual wire form: the object's text inside a JSON string; and the text itself */
    p = sample_payload(&s, &v);
    text = json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN);
    as_string = json_object_new_string(text);
    assert_int_equal(nv_check(as_string, s.ev + 4, NV_VECTOR_AT, NULL, &rep, &err), P11TEE_OK);
    expect_all_pass(&rep);
    attest_report_init(&rep);
    o.nonce = s.ev + 4;
    assert_int_equal(nv_verify_text(text, strlen(text), &o, &rep, &err), P11TEE_OK);
    expect_all_pass(&rep);
    /* a test root given as well changes nothing: the chain still ends at NVIDIA's */
    v.extra_roots = test_root = p256_self_signed(&test_root_len);
    assert_int_equal(sample_check(&s, v, &rep, &err), P11TEE_OK);
    assert_non_null(strstr(nv_reason(&rep, "nvidia.chain"), "verify to " NV_ROOT_NAME));
    v.extra_roots = NULL;
    /* without a nonce of ours: consistency only, the nonce check says so */
    v.no_nonce = 1;
    assert_int_equal(sample_check(&s, v, &rep, &err), P11TEE_OK);
    tdx_expect(&rep, "nvidia.nonce", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    assert_non_null(strstr(nv_reason(&rep, "nvidia.evidence.nonce"), "no nonce of ours"));
    json_object_put(as_string);
    json_object_put(p);
    free(test_root);
    sample_free(&s);
}

/*
 * Every byte of the evidence, XORed with 0x01 in turn: either the parse
 * refuses it (a length or header byte) or the signature does not verify.
 * Under valgrind (P11TEE_TEST_QUICK) the headers and every 7th byte.
 */
static void sample_every_byte_matters(void **state)
{
    sample s;
    X509 *leaf;
    BIO *bio;
    nv_report r;
    size_t i, refused = 0, unsigned_ok = 0, quick = getenv("P11TEE_TEST_QUICK") != NULL;
    p11tee_error err;

    (void)state;
    sample_load(&s);
    bio = BIO_new_mem_buf(s.pem, (int)s.pem_len);
    leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    assert_non_null(leaf);
    for (i = 0; i < s.ev_len; i++) {
        if (quick && i >= 45 && i % 7 != 0)
            continue;
        s.ev[i] ^= 0x01;
        if (nv_report_parse(s.ev, s.ev_len, &r, &err) != P11TEE_OK) {
            assert_int_equal(err.code, P11TEE_E_NVIDIA_FORMAT);
            refused++;
        } else if (nv_report_verify(s.ev, &r, X509_get0_pubkey(leaf), &err) == P11TEE_OK) {
            fail_msg("evidence with byte %zu flipped still verifies", i);
        } else {
            assert_int_equal(err.code, P11TEE_E_NVIDIA_SIGNATURE);
            unsigned_ok++;
        }
        s.ev[i] ^= 0x01;
    }
    print_message("# %zu flips refused by the parser, %zu by the signature\n", refused,
                  unsigned_ok);
    assert_true(refused > 0);
    assert_true(unsigned_ok > refused);
    X509_free(leaf);
    BIO_free(bio);
    sample_free(&s);
}

static void sample_other_nonce(void **state)
{
    uint8_t other[NV_NONCE_BYTES];
    variant v = {0};
    sample s;
    attest_report rep;
    p11tee_error err;

    (void)state;
    sample_load(&s);
    memcpy(other, s.ev + 4, sizeof(other));
    other[31] ^= 0x80;
    /* the evidence and payload agree with each other, not with what we sent */
    v.ours = other;
    assert_int_equal(sample_check(&s, v, &rep, &err), P11TEE_E_NVIDIA_NONCE);
    tdx_expect(&rep, "nvidia.nonce", P11TEE_CHECK_FAIL, P11TEE_E_NVIDIA_NONCE);
    tdx_expect(&rep, "nvidia.evidence.nonce", P11TEE_CHECK_FAIL, P11TEE_E_NVIDIA_NONCE);
    assert_non_null(strstr(nv_reason(&rep, "nvidia.evidence.nonce"), "not the nonce we sent"));
    tdx_expect(&rep, "nvidia.evidence.signature", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(&rep, "nvidia.chain", P11TEE_CHECK_PASS, P11TEE_OK);
    assert_non_null(strstr(err.message, "nvidia.nonce"));
    /* the payload names another nonce than its evidence carries */
    v.ours = NULL;
    v.payload_nonce = other;
    assert_int_equal(sample_check(&s, v, &rep, &err), P11TEE_E_NVIDIA_NONCE);
    tdx_expect(&rep, "nvidia.nonce", P11TEE_CHECK_FAIL, P11TEE_E_NVIDIA_NONCE);
    tdx_expect(&rep, "nvidia.evidence.nonce", P11TEE_CHECK_FAIL, P11TEE_E_NVIDIA_NONCE);
    assert_non_null(
        strstr(nv_reason(&rep, "nvidia.evidence.nonce"), "differs from the payload nonce"));
    tdx_expect(&rep, "nvidia.evidence.signature", P11TEE_CHECK_PASS, P11TEE_OK);
    sample_free(&s);
}

/* The sample chain with "NVIDIA GH100 Identity" re-signed by another P-384 key. */
static char *foreign_chain(const sample *s, size_t *len)
{
    BIO *bio = BIO_new_mem_buf(s->pem, (int)s->pem_len), *out = BIO_new(BIO_s_mem());
    EVP_PKEY *k = key_new("P-384");
    X509 *c;
    char *data, *pem;
    long n;
    int i;

    for (i = 0; (c = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL; i++) {
        if (i == 3)
            assert_true(X509_sign(c, k, EVP_sha384()) > 0);
        assert_true(PEM_write_bio_X509(out, c));
        X509_free(c);
    }
    assert_int_equal(i, 5);
    n = BIO_get_mem_data(out, &data);
    pem = malloc((size_t)n + 1);
    assert_non_null(pem);
    memcpy(pem, data, (size_t)n);
    *len = (size_t)n;
    BIO_free(bio);
    BIO_free(out);
    EVP_PKEY_free(k);
    return pem;
}

static void sample_chain_to_other_root(void **state)
{
    variant v = {0};
    sample s;
    attest_report rep;
    char *pem;
    p11tee_error err;

    (void)state;
    sample_load(&s);
    pem = foreign_chain(&s, &v.pem_len);
    v.pem = pem;
    assert_int_equal(sample_check(&s, v, &rep, &err), P11TEE_E_NVIDIA_CHAIN);
    tdx_expect_only_failure(&rep, "nvidia.chain", P11TEE_E_NVIDIA_CHAIN);
    assert_non_null(strstr(nv_reason(&rep, "nvidia.chain"), "GPU 0 of 1"));
    assert_non_null(strstr(nv_reason(&rep, "nvidia.chain"), "signature failure"));
    free(pem);
    sample_free(&s);
}

static void sample_pinned_time_matters(void **state)
{
    variant v = {0};
    sample s;
    attest_report rep;
    p11tee_error err;

    (void)state;
    sample_load(&s);
    /* 2021-01-01: before "NVIDIA GH100 Provisioner ICA 1" (2022-03-01) was valid */
    v.at = (time_t)1609459200;
    assert_int_equal(sample_check(&s, v, &rep, &err), P11TEE_E_NVIDIA_CHAIN);
    tdx_expect_only_failure(&rep, "nvidia.chain", P11TEE_E_NVIDIA_CHAIN);
    assert_non_null(strstr(nv_reason(&rep, "nvidia.chain"), "not yet valid"));
    sample_free(&s);
}

/* The parser refuses every truncation; a sample of them also through the payload. */
static void sample_truncated_everywhere(void **state)
{
    variant v = {0};
    sample s;
    nv_report r;
    attest_report rep;
    size_t len;
    p11tee_error err;

    (void)state;
    sample_load(&s);
    for (len = 0; len < s.ev_len; len++) {
        uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees any over-read */

        assert_non_null(copy);
        memcpy(copy, s.ev, len);
        if (nv_report_parse(copy, len, &r, &err) != P11TEE_E_NVIDIA_FORMAT)
            fail_msg("evidence cut to %zu bytes: status %d", len, err.code);
        free(copy);
    }
    v.ev = s.ev;
    for (v.ev_len = 1; v.ev_len < s.ev_len; v.ev_len += 97) {
        assert_int_equal(sample_check(&s, v, &rep, &err), P11TEE_E_NVIDIA_FORMAT);
        tdx_expect(&rep, "nvidia.evidence.format", P11TEE_CHECK_FAIL, P11TEE_E_NVIDIA_FORMAT);
        tdx_expect(&rep, "nvidia.evidence.signature", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
        tdx_expect(&rep, "nvidia.chain", P11TEE_CHECK_PASS, P11TEE_OK);
    }
    sample_free(&s);
}

static void sample_trailing_byte(void **state)
{
    variant v = {0};
    sample s;
    uint8_t *ev;
    attest_report rep;
    p11tee_error err;

    (void)state;
    sample_load(&s);
    ev = malloc(s.ev_len + 1);
    assert_non_null(ev);
    memcpy(ev, s.ev, s.ev_len);
    ev[s.ev_len] = 0x00;
    v.ev = ev;
    v.ev_len = s.ev_len + 1;
    assert_int_equal(sample_check(&s, v, &rep, &err), P11TEE_OK);
    expect_all_pass(&rep);
    assert_non_null(strstr(nv_reason(&rep, "nvidia.evidence.format"), "ignored"));
    free(ev);
    sample_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(root_is_pinned),
        cmocka_unit_test(leaf_key_must_be_p384),
        cmocka_unit_test(sample_report_fields),
        cmocka_unit_test(sample_verifies),
        cmocka_unit_test(sample_every_byte_matters),
        cmocka_unit_test(sample_other_nonce),
        cmocka_unit_test(sample_chain_to_other_root),
        cmocka_unit_test(sample_pinned_time_matters),
        cmocka_unit_test(sample_truncated_everywhere),
        cmocka_unit_test(sample_trailing_byte),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
