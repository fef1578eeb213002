/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * NVIDIA GPU evidence: parsing by structure (every refusal named), the FWID
 * extension forms, the payload's JSON, and NVIDIA's real sample report and
 * chain (skipped when $P11TEE_VECTORS is absent): it verifies at a pinned
 * time and fails when any byte, the nonce or the root changes.
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

/* ---- a hand-built, unsigned report: every offset known --------------------------------- */

#define SYN_LEN        345
#define SYN_BLOCKS     41 /* NumberOfBlocks */
#define SYN_RECLEN     42 /* record length, 3 bytes */
#define SYN_BLOCK1     45 /* index, spec, size(2), type, value size(2), value(48) */
#define SYN_BLOCK2     100
#define SYN_OPAQUE_LEN 187
#define SYN_FIELD1     189 /* type 3, size 4 */
#define SYN_FIELD2     197 /* type 20 (FWID), size 48 */
#define SYN_SIG        249

static size_t put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    return 2;
}

static size_t put_block(uint8_t *p, unsigned index)
{
    p[0] = (uint8_t)index;
    p[1] = 0x01;
    put16(p + 2, 51);
    p[4] = 0x01;
    put16(p + 5, 48);
    memset(p + 7, (int)index, 48);
    return 55;
}

static void syn_report(uint8_t ev[SYN_LEN])
{
    static const uint8_t req[4] = {0x11, 0xe0, 0x01, 0xff}, resp[4] = {0x11, 0x60, 0x00, 0x00};
    size_t o = 0;

    memcpy(ev, req, 4);
    memset(ev + 4, 0x11, NV_NONCE_BYTES);
    ev[36] = 0;
    memcpy(ev + 37, resp, 4);
    ev[41] = 2;
    ev[42] = 110;
    ev[43] = 0;
    ev[44] = 0;
    o = SYN_BLOCK1 + put_block(ev + SYN_BLOCK1, 1);
    o += put_block(ev + o, 2);
    memset(ev + o, 0x22, NV_NONCE_BYTES); /* responder nonce */
    o += NV_NONCE_BYTES;
    o += put16(ev + o, 60);
    o += put16(ev + o, 3);
    o += put16(ev + o, 4);
    memcpy(ev + o, "abcd", 4);
    o += 4;
    o += put16(ev + o, NV_OPAQUE_FWID);
    o += put16(ev + o, NV_FWID_BYTES);
    memset(ev + o, 0x33, NV_FWID_BYTES);
    o += NV_FWID_BYTES;
    memset(ev + o, 0x44, NV_SIG_BYTES);
    assert_int_equal(o, SYN_SIG);
    assert_int_equal(o + NV_SIG_BYTES, SYN_LEN);
}

static void synthetic_report_parses(void **state)
{
    uint8_t ev[SYN_LEN + 3];
    nv_report r;
    p11tee_error err;

    (void)state;
    syn_report(ev);
    assert_int_equal(nv_report_parse(ev, SYN_LEN, &r, &err), P11TEE_OK);
    assert_ptr_equal(r.request_nonce, ev + 4);
    assert_int_equal(r.slot, 0);
    assert_ptr_equal(r.response, ev + 37);
    assert_int_equal(r.blocks, 2);
    assert_ptr_equal(r.record, ev + SYN_BLOCK1);
    assert_int_equal(r.record_len, 110);
    assert_ptr_equal(r.responder_nonce, ev + 155);
    assert_ptr_equal(r.opaque, ev + SYN_FIELD1);
    assert_int_equal(r.opaque_len, 60);
    assert_ptr_equal(r.fwid, ev + SYN_FIELD2 + 4);
    assert_int_equal(r.fwid_len, NV_FWID_BYTES);
    assert_ptr_equal(r.signature, ev + SYN_SIG);
    assert_int_equal(r.signed_len, SYN_SIG);
    assert_int_equal(r.trailing, 0);
    /* bytes after the signature are counted, not signed, not refused */
    memset(ev + SYN_LEN, 0, 3);
    assert_int_equal(nv_report_parse(ev, SYN_LEN + 3, &r, &err), P11TEE_OK);
    assert_int_equal(r.trailing, 3);
    assert_int_equal(r.signed_len, SYN_SIG);
    /* no FWID field: parsed, fwid NULL */
    ev[SYN_FIELD2] = 21;
    assert_int_equal(nv_report_parse(ev, SYN_LEN, &r, &err), P11TEE_OK);
    assert_null(r.fwid);
}

/* One mutation of the synthetic report and the refusal it must meet. */
typedef struct mutation {
    size_t at;  /* byte to set */
    int value;  /* -1: leave bytes, only cut */
    size_t len; /* evidence length to parse */
    const char *says;
} mutation;

static const mutation mutations[] = {
    {0, -1, 36, "cannot hold the 37-byte GET_MEASUREMENTS request"},
    {2, 0x00, SYN_LEN, "not 11 e0 01 ff"},
    {3, 0x01, SYN_LEN, "not 11 e0 01 ff"},
    {36, 9, SYN_LEN, "request slot 9 is not 0..7"},
    {0, -1, 44, "MEASUREMENTS header is cut short (7 of 8 bytes)"},
    {38, 0x61, SYN_LEN, "not 11 60"},
    {40, 0x01, SYN_LEN, "response is for slot 1"},
    {SYN_RECLEN + 2, 0x01, SYN_LEN, "measurement record length 65646 exceeds"},
    {SYN_BLOCKS, 0, SYN_LEN, "no measurement block"},
    {SYN_BLOCKS, 3, SYN_LEN, "measurement block 3 of 3 is cut short"},
    {SYN_BLOCKS, 1, SYN_LEN, "55 bytes after its 1 blocks"},
    {SYN_BLOCK1 + 1, 0x02, SYN_LEN, "not in DMTF form"},
    {SYN_BLOCK1 + 2, 200, SYN_LEN, "claims 200 bytes"},
    {SYN_BLOCK1 + 5, 47, SYN_LEN, "DMTF value does not fill"},
    {SYN_BLOCK1, 0, SYN_LEN, "index 0 is reserved or repeated"},
    {SYN_BLOCK1, 0xff, SYN_LEN, "index 255 is reserved or repeated"},
    {SYN_BLOCK2, 1, SYN_LEN, "index 1 is reserved or repeated"},
    {0, -1, 185, "responder nonce and opaque length are cut short"},
    {SYN_OPAQUE_LEN + 1, 0x01, SYN_LEN, "opaque data length 316 exceeds"},
    {SYN_OPAQUE_LEN, 2, SYN_LEN, "ends inside a field header"},
    {SYN_FIELD1 + 2, 100, SYN_LEN, "opaque field 3 claims 100 bytes"},
    {SYN_FIELD1, NV_OPAQUE_FWID, SYN_LEN, "two FWID fields"},
    {0, -1, SYN_SIG + 50, "signature is cut short: 50 of 96 bytes"},
};

static void synthetic_report_refusals(void **state)
{
    uint8_t ev[SYN_LEN];
    nv_report r;
    size_t i;
    p11tee_error err;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(mutations); i++) {
        syn_report(ev);
        if (mutations[i].value >= 0)
            ev[mutations[i].at] = (uint8_t)mutations[i].value;
        if (nv_report_parse(ev, mutations[i].len, &r, &err) != P11TEE_E_NVIDIA_FORMAT ||
            strstr(err.message, mutations[i].says) == NULL)
            fail_msg("mutation %zu: got %d \"%s\", wanted \"%s\"", i, err.code, err.message,
                     mutations[i].says);
    }
}

static void oversized_evidence_refused(void **state)
{
    uint8_t *ev = calloc(1, NV_EVIDENCE_MAX + 1);
    nv_report r;
    p11tee_error err;

    (void)state;
    assert_non_null(ev);
    syn_report(ev);
    assert_int_equal(nv_report_parse(ev, NV_EVIDENCE_MAX + 1, &r, &err), P11TEE_E_NVIDIA_FORMAT);
    assert_non_null(strstr(err.message, "exceed the 65536 allowed"));
    free(ev);
}

/* ---- the FWID extension ------------------------------------------------------------------- */

static const uint8_t sha256_oid[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                     0x65, 0x03, 0x04, 0x02, 0x01};
static const uint8_t sha384_oid[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                     0x65, 0x03, 0x04, 0x02, 0x02};

/* tag, short length, value; returns the bytes written */
static size_t tlv(uint8_t *out, uint8_t tag, const uint8_t *val, size_t len)
{
    assert_true(len < 128);
    out[0] = tag;
    out[1] = (uint8_t)len;
    if (len > 0)
        memmove(out + 2, val, len);
    return 2 + len;
}

static size_t fwid_seq(uint8_t *out, const uint8_t *oid, uint8_t fill, size_t digest_len)
{
    uint8_t body[80], digest[64];
    size_t n = sizeof(sha384_oid);

    memcpy(body, oid, n);
    memset(digest, fill, digest_len);
    n += tlv(body + n, 0x04, digest, digest_len);
    return tlv(out, 0x30, body, n);
}

/* NVIDIA's form: SEQUENCE { INTEGER 1, SEQUENCE {} (the key), FWID } */
static size_t nvidia_form(uint8_t *out, size_t extra_elements)
{
    uint8_t body[120];
    size_t n = 0;

    n += tlv(body + n, 0x02, (const uint8_t *)"\x01", 1);
    n += tlv(body + n, 0x30, NULL, 0);
    n += fwid_seq(body + n, sha384_oid, 0x5a, NV_FWID_BYTES);
    while (extra_elements-- > 0)
        n += tlv(body + n, 0x05, NULL, 0);
    return tlv(out, 0x30, body, n);
}

/* TCG DiceTcbInfo: vendor [0], svn [3], fwids [6] with SHA-256 then (optionally) SHA-384 */
static size_t dice_form(uint8_t *out, int with_sha384, int with_fwids)
{
    uint8_t body[124], fwids[120];
    size_t n = 0, f = 0;

    n += tlv(body + n, 0x80, (const uint8_t *)"NVDA", 4);
    n += tlv(body + n, 0x83, (const uint8_t *)"\x01", 1);
    f += fwid_seq(fwids + f, sha256_oid, 0x11, 32);
    if (with_sha384)
        f += fwid_seq(fwids + f, sha384_oid, 0x6b, NV_FWID_BYTES);
    if (with_fwids)
        n += tlv(body + n, 0xa6, fwids, f);
    return tlv(out, 0x30, body, n);
}

static void fwid_extension_forms(void **state)
{
    uint8_t der[128], fwid[NV_FWID_BYTES], want[NV_FWID_BYTES];
    size_t n;
    p11tee_error err;

    (void)state;
    n = nvidia_form(der, 0);
    assert_int_equal(nv_fwid_from_ext(der, n, fwid, &err), P11TEE_OK);
    memset(want, 0x5a, sizeof(want));
    assert_memory_equal(fwid, want, sizeof(want));
    n = dice_form(der, 1, 1);
    assert_int_equal(nv_fwid_from_ext(der, n, fwid, &err), P11TEE_OK);
    memset(want, 0x6b, sizeof(want));
    assert_memory_equal(fwid, want, sizeof(want));
}

static void fwid_extension_refusals(void **state)
{
    uint8_t der[130], fwid[NV_FWID_BYTES];
    size_t n;
    p11tee_error err;

    (void)state;
    n = nvidia_form(der, 1); /* an element too many */
    assert_int_equal(nv_fwid_from_ext(der, n, fwid, &err), P11TEE_E_NVIDIA_FWID);
    assert_non_null(strstr(err.message, "2.23.133.5.4.1"));
    n = nvidia_form(der, 0);
    der[n] = 0x00; /* a byte after the SEQUENCE */
    assert_int_equal(nv_fwid_from_ext(der, n + 1, fwid, &err), P11TEE_E_NVIDIA_FWID);
    assert_int_equal(nv_fwid_from_ext(der, n - 1, fwid, &err), P11TEE_E_NVIDIA_FWID); /* cut */
    der[0] = 0x31; /* a SET, not a SEQUENCE */
    assert_int_equal(nv_fwid_from_ext(der, n, fwid, &err), P11TEE_E_NVIDIA_FWID);
    n = dice_form(der, 0, 1); /* SHA-256 FWID only */
    assert_int_equal(nv_fwid_from_ext(der, n, fwid, &err), P11TEE_E_NVIDIA_FWID);
    n = dice_form(der, 1, 0); /* no fwids */
    assert_int_equal(nv_fwid_from_ext(der, n, fwid, &err), P11TEE_E_NVIDIA_FWID);
    assert_int_equal(nv_fwid_from_ext(der, 0, fwid, &err), P11TEE_E_NVIDIA_FWID);
}

/* ---- the payload's JSON ------------------------------------------------------------------- */

static p11tee_status check_text(const char *text, attest_report *rep, p11tee_error *err)
{
    nv_options o = {NV_VECTOR_AT, NULL, NULL, 0};

    attest_report_init(rep);
    return nv_verify_text(text, strlen(text), &o, rep, err);
}

static void payload_shape_refusals(void **state)
{
    static const struct {
        const char *json;
        const char *says;
    } bad[] = {
        {"", "truncated JSON"},
        {"{\"nonce\":", "truncated JSON"},
        {"{} x", "not valid JSON"},
        {"[]", "not a JSON object"},
        {"\"\\\"x\\\"\"", "not a JSON object"}, /* a string holding a string */
        {"{\"evidence_list\":[]}", "nonce is not a string of 64 hex digits"},
        {"{\"nonce\":\"abcd\",\"evidence_list\":[]}", "nonce is not a string of 64 hex"},
        {"{\"nonce\":\""
         "zz00000000000000000000000000000000000000000000000000000000000000"
         "\",\"evidence_list\":[]}",
         "nonce is not a string of 64 hex"},
        {"{\"nonce\":\""
         "0000000000000000000000000000000000000000000000000000000000000000"
         "\",\"arch\":7,\"evidence_list\":[]}",
         "arch is not a string"},
        {"{\"nonce\":\""
         "0000000000000000000000000000000000000000000000000000000000000000"
         "\",\"evidence_list\":{}}",
         "evidence_list is not an array"},
        {"{\"nonce\":\""
         "0000000000000000000000000000000000000000000000000000000000000000"
         "\",\"evidence_list\":[{\"evidence\":\"AA==\"}]}",
         "evidence_list[0] lacks the string fields"},
        {"{\"nonce\":\""
         "0000000000000000000000000000000000000000000000000000000000000000"
         "\",\"evidence_list\":[7]}",
         "evidence_list[0] lacks the string fields"},
    };
    attest_report rep;
    size_t i;
    p11tee_error err;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(bad); i++) {
        if (check_text(bad[i].json, &rep, &err) != P11TEE_E_NVIDIA_FORMAT ||
            strstr(nv_reason(&rep, "nvidia.payload"), bad[i].says) == NULL)
            fail_msg("payload %zu: %d \"%s\", wanted \"%s\"", i, err.code,
                     nv_reason(&rep, "nvidia.payload"), bad[i].says);
        tdx_expect(&rep, "nvidia.payload", P11TEE_CHECK_FAIL, P11TEE_E_NVIDIA_FORMAT);
        tdx_expect(&rep, "nvidia.evidence.signature", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
        tdx_expect(&rep, "nvidia.chain", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
        tdx_expect(&rep, "nvidia.rim", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
        assert_non_null(strstr(err.message, "nvidia.payload"));
    }
}

/* A payload of `gpus` synthetic (unsigned) reports, each with a chain that is not PEM. */
static struct json_object *syn_payload(int gpus)
{
    uint8_t ev[SYN_LEN];
    struct json_object *p;

    syn_report(ev);
    p = nv_payload_new(ev + 4);
    while (gpus-- > 0)
        nv_payload_add(p, ev, sizeof(ev), "x", 1);
    return p;
}

/*
 * An empty evidence_list (the gateway could not fetch the GPU node's): not a
 * format error but evidence that is not there, said so; the nonce is still
 * compared, and the default policy then refuses with that sentence.
 */
static void payload_without_gpus(void **state)
{
    static const char empty[] = "{\"nonce\":\""
                                "0000000000000000000000000000000000000000000000000000000000000000"
                                "\",\"arch\":\"HOPPER\",\"evidence_list\":[]}";
    static const char *const gpu_checks[] = {"nvidia.payload",        "nvidia.evidence.format",
                                             "nvidia.evidence.nonce", "nvidia.evidence.signature",
                                             "nvidia.chain",          "nvidia.fwid"};
    attest_report rep;
    attest_policy *pol;
    p11tee_error err;
    size_t i;

    (void)state;
    assert_int_equal(check_text(empty, &rep, &err), P11TEE_OK);
    for (i = 0; i < P11TEE_ARRAY_LEN(gpu_checks); i++) {
        tdx_expect(&rep, gpu_checks[i], P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
        assert_string_equal(nv_reason(&rep, gpu_checks[i]),
                            "the server sent no GPU evidence (evidence_list is empty)");
    }
    tdx_expect(&rep, "nvidia.nonce", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK); /* no nonce given */
    assert_int_equal(attest_policy_default(&pol, NULL), P11TEE_OK);
    assert_int_equal(attest_verdict(&rep, pol, &err), P11TEE_E_ATTEST_REQUIRED);
    assert_string_equal(err.message, "attestation check nvidia.payload is required by the policy "
                                     "but was not performed: the server sent no GPU evidence "
                                     "(evidence_list is empty)");
    attest_policy_free(pol);
}

static void payload_too_many_gpus(void **state)
{
    struct json_object *p = syn_payload(NV_MAX_GPUS + 1);
    attest_report rep;
    p11tee_error err;

    (void)state;
    assert_int_equal(nv_check(p, NULL, NV_VECTOR_AT, NULL, &rep, &err), P11TEE_E_NVIDIA_FORMAT);
    assert_non_null(strstr(nv_reason(&rep, "nvidia.payload"), "holds 17 entries"));
    json_object_put(p);
}

static void payload_oversized_text(void **state)
{
    char *big = malloc(NV_PAYLOAD_MAX + 2);
    attest_report rep;
    p11tee_error err;

    (void)state;
    assert_non_null(big);
    memset(big, ' ', NV_PAYLOAD_MAX + 1);
    big[NV_PAYLOAD_MAX + 1] = '\0';
    assert_int_equal(check_text(big, &rep, &err), P11TEE_E_NVIDIA_FORMAT);
    assert_non_null(strstr(nv_reason(&rep, "nvidia.payload"), "exceeds the 1048576 bytes allowed"));
    free(big);
}

/* Unusable evidence and chain: each refusal lands on its own check, the rest are not checked. */
static void payload_undecodable_entries(void **state)
{
    static const char *const json =
        "{\"nonce\":\"1111111111111111111111111111111111111111111111111111111111111111\","
        "\"evidence_list\":[{\"evidence\":\"not base64!\",\"certificate\":\"bm90IFBFTQ==\"}]}";
    attest_report rep;
    p11tee_error err;

    (void)state;
    assert_int_equal(check_text(json, &rep, &err), P11TEE_E_NVIDIA_FORMAT);
    tdx_expect(&rep, "nvidia.payload", P11TEE_CHECK_PASS, P11TEE_OK);
    tdx_expect(&rep, "nvidia.nonce", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    tdx_expect(&rep, "nvidia.evidence.format", P11TEE_CHECK_FAIL, P11TEE_E_NVIDIA_FORMAT);
    assert_non_null(
        strstr(nv_reason(&rep, "nvidia.evidence.format"), "GPU 0 of 1: evidence does not decode"));
    tdx_expect(&rep, "nvidia.evidence.nonce", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    tdx_expect(&rep, "nvidia.evidence.signature", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    tdx_expect(&rep, "nvidia.chain", P11TEE_CHECK_FAIL, P11TEE_E_NVIDIA_CHAIN);
    assert_non_null(strstr(nv_reason(&rep, "nvidia.chain"), "not base64 of 1 to 8 PEM"));
    tdx_expect(&rep, "nvidia.fwid", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    tdx_expect(&rep, "nvidia.ocsp", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK);
    assert_non_null(strstr(nv_reason(&rep, "nvidia.ocsp"), "needs NVIDIA services"));
    assert_non_null(strstr(nv_reason(&rep, "nvidia.rim"), "need NVIDIA services"));
    /* the first failure in report order decides */
    assert_non_null(strstr(err.message, "nvidia.evidence.format"));
}

static void extra_roots_must_be_pem(void **state)
{
    struct json_object *p = syn_payload(1);
    attest_report rep;
    p11tee_error err;

    (void)state;
    assert_int_equal(nv_check(p, NULL, 0, "no certificate here", &rep, &err), P11TEE_E_CONFIG);
    assert_non_null(strstr(err.message, "extra trusted roots"));
    assert_int_equal(rep.count, 0);
    json_object_put(p);
}

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
    syn_report(ev);
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
        cmocka_unit_test(synthetic_report_parses),
        cmocka_unit_test(synthetic_report_refusals),
        cmocka_unit_test(oversized_evidence_refused),
        cmocka_unit_test(fwid_extension_forms),
        cmocka_unit_test(fwid_extension_refusals),
        cmocka_unit_test(payload_shape_refusals),
        cmocka_unit_test(payload_without_gpus),
        cmocka_unit_test(payload_too_many_gpus),
        cmocka_unit_test(payload_oversized_text),
        cmocka_unit_test(payload_undecodable_entries),
        cmocka_unit_test(extra_roots_must_be_pem),
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
