/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * NVIDIA GPU evidence, parsed by structure: the hand-built report of
 * nv_syn_report() (every refusal named), the FWID extension forms and the
 * payload's JSON. Signatures, chains and NVIDIA's real sample are in
 * test_nvidia_chain.c.
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

static void synthetic_report_parses(void **state)
{
    uint8_t ev[SYN_LEN + 3];
    nv_report r;
    p11tee_error err;

    (void)state;
    nv_syn_report(ev);
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
        nv_syn_report(ev);
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
    nv_syn_report(ev);
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

    nv_syn_report(ev);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(synthetic_report_parses),    cmocka_unit_test(synthetic_report_refusals),
        cmocka_unit_test(oversized_evidence_refused), cmocka_unit_test(fwid_extension_forms),
        cmocka_unit_test(fwid_extension_refusals),    cmocka_unit_test(payload_shape_refusals),
        cmocka_unit_test(payload_without_gpus),       cmocka_unit_test(payload_too_many_gpus),
        cmocka_unit_test(payload_oversized_text),     cmocka_unit_test(payload_undecodable_entries),
        cmocka_unit_test(extra_roots_must_be_pem),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
