/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * ACI's primitives and receipts (src/attest/aci_crypto.c, receipt.c):
 * Ed25519 against RFC 8032's test vectors, ECDSA secp256k1 over SHA-256,
 * the keyset digest; then receipts made here (a keyset with a fresh Ed25519
 * key, receipts signed over their RFC 8785 form) and each receipt.* and
 * upstream.* check by its result and code.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <secp256k1.h>

#include "attest/workload.h"
#include "crypto/crypto.h"
#include "testlib.h"

#define S(x)       x, strlen(x)
#define CHAT_ID    "chatcmpl-p11tee-test"
#define SESSION_ID "5e55105e55105e55105e55105e55105e55105e55105e55105e55105e55105e55"

static void unhex(const char *hex, uint8_t *out, size_t want)
{
    size_t len = 0;

    assert_int_equal(hex_decode(S(hex), out, want, &len, NULL), P11TEE_OK);
    assert_int_equal(len, want);
}

/* ---- primitives -------------------------------------------------------------------- */

/* RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (one byte, 0x72). */
static void ed25519_rfc8032(void **state)
{
    uint8_t pub[32], sig[64], msg = 0x72;

    (void)state;
    unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", pub, 32);
    unhex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e3970"
          "1cf9b46bd25bf5f0595bbe24655141438e7a100b",
          sig, 64);
    assert_true(aci_ed25519_verify(pub, sig, (const uint8_t *)"", 0));
    assert_false(aci_ed25519_verify(pub, sig, &msg, 1));
    sig[10] ^= 1;
    assert_false(aci_ed25519_verify(pub, sig, (const uint8_t *)"", 0));
    unhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", pub, 32);
    unhex("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613"
          "d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
          sig, 64);
    assert_true(aci_ed25519_verify(pub, sig, &msg, 1));
    /* a public key that is not a point: no signature verifies */
    memset(pub, 0xff, sizeof(pub));
    assert_false(aci_ed25519_verify(pub, sig, &msg, 1));
}

static void secp256k1_sha256(void **state)
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t sk[32], pub[65], comp[33], md[32], sig[65];
    const uint8_t msg[] = "aci.keyset.endorsement.v1";
    secp256k1_pubkey pk;
    secp256k1_ecdsa_signature s;
    size_t n = sizeof(pub);

    (void)state;
    memset(sk, 0x42, sizeof(sk));
    assert_int_equal(secp256k1_ec_pubkey_create(ctx, &pk, sk), 1);
    secp256k1_ec_pubkey_serialize(ctx, pub, &n, &pk, SECP256K1_EC_UNCOMPRESSED);
    n = sizeof(comp);
    secp256k1_ec_pubkey_serialize(ctx, comp, &n, &pk, SECP256K1_EC_COMPRESSED);
    SHA256(msg, sizeof(msg) - 1, md);
    assert_int_equal(secp256k1_ecdsa_sign(ctx, &s, md, sk, NULL, NULL), 1);
    secp256k1_ecdsa_signature_serialize_compact(ctx, sig, &s);
    sig[64] = 27; /* a recovery byte after r || s is ignored */
    assert_true(aci_secp256k1_verify(pub, 65, sig, 64, msg, sizeof(msg) - 1));
    assert_true(aci_secp256k1_verify(comp, 33, sig, 65, msg, sizeof(msg) - 1));
    assert_false(aci_secp256k1_verify(pub, 65, sig, 64, msg, sizeof(msg) - 2));
    assert_false(aci_secp256k1_verify(pub, 65, sig, 63, msg, sizeof(msg) - 1));
    assert_false(aci_secp256k1_verify(pub, 64, sig, 64, msg, sizeof(msg) - 1));
    secp256k1_context_destroy(ctx);
}

/* "sha256:" + SHA-256 of the RFC 8785 form, whatever the member order and spacing. */
static void keyset_digest(void **state)
{
    json_object *a = json_tokener_parse("{\"b\": [1, 2.50, \"\\u00e9\"], \"a\": {\"z\": null}}");
    json_object *b = json_tokener_parse("{\"a\":{\"z\":null},\"b\":[1,2.5,\"\xc3\xa9\"]}");
    char da[80], db[80], want[80] = "sha256:";
    uint8_t md[32];
    p11tee_error err;

    (void)state;
    assert_int_equal(aci_digest(a, da, &err), P11TEE_OK);
    assert_int_equal(aci_digest(b, db, &err), P11TEE_OK);
    assert_string_equal(da, db);
    SHA256((const uint8_t *)S("{\"a\":{\"z\":null},\"b\":[1,2.5,\"\xc3\xa9\"]}"), md);
    hex_encode(md, sizeof(md), want + 7, sizeof(want) - 7);
    assert_string_equal(da, want);
    json_object_put(a);
    json_object_put(b);
}

/* ---- receipts ------------------------------------------------------------------------- */

typedef struct fixture {
    EVP_PKEY *key;
    json_object *keyset;
    attest_outcome att;
    const char *request, *response;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    uint8_t pub[32];
    size_t n = sizeof(pub);
    char hex[65], text[1024];
    json_object *wid = NULL;

    assert_non_null(f);
    assert_non_null(kctx);
    assert_int_equal(EVP_PKEY_keygen_init(kctx), 1);
    assert_int_equal(EVP_PKEY_keygen(kctx, &f->key), 1);
    EVP_PKEY_CTX_free(kctx);
    assert_int_equal(EVP_PKEY_get_raw_public_key(f->key, pub, &n), 1);
    hex_encode(pub, sizeof(pub), hex, sizeof(hex));
    snprintf(text, sizeof(text),
             "{\"workload_identity\":{\"public_key\":{\"algo\":\"secp256k1\",\"public_key\":"
             "\"04aa\"},\"subject\":null},\"keyset_epoch\":{\"version\":1,\"not_after\":"
             "1893456000},\"receipt_signing_keys\":[{\"key_id\":\"old\",\"algo\":\"ed25519\","
             "\"public_key\":\"%064d\"},{\"key_id\":\"receipt-1\",\"algo\":\"ed25519\","
             "\"public_key\":\"%s\"},{\"key_id\":\"ecdsa-1\",\"algo\":\"ecdsa-p256\","
             "\"public_key\":\"%s\"}],\"e2ee_public_keys\":[],\"tls_public_keys\":[]}",
             0, hex, hex);
    f->keyset = json_tokener_parse(text);
    assert_non_null(f->keyset);
    assert_int_equal(aci_digest(f->keyset, f->att.keyset_digest, NULL), P11TEE_OK);
    json_object_object_get_ex(json_object_object_get(f->keyset, "workload_identity"), "public_key",
                              &wid);
    assert_int_equal(aci_digest(wid, f->att.workload_id, NULL), P11TEE_OK);
    f->att.keyset_anchored = 1;
    f->request = "{\"model\":\"m\",\"messages\":[]}";
    f->response = "data: {\"id\":\"" CHAT_ID "\"}\n\ndata: [DONE]\n\n";
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    EVP_PKEY_free(f->key);
    json_object_put(f->keyset);
    free(f);
    return 0;
}

static const char *hash_of(const char *body, char out[72])
{
    uint8_t md[32];

    strcpy(out, "sha256:");
    SHA256((const uint8_t *)body, strlen(body), md);
    hex_encode(md, sizeof(md), out + 7, 72 - 7);
    return out;
}

/* A receipt as the gateway makes it, unsigned; `upstream` is the upstream event or "". */
static json_object *receipt_new(const fixture *f, const char *upstream)
{
    char text[4096], rq[72], rs[72];
    json_object *r;

    snprintf(text, sizeof(text),
             "{\"api_version\":\"aci/1\",\"receipt_id\":\"rcpt-1\",\"chat_id\":\"" CHAT_ID
             "\",\"model\":\"m\",\"workload_id\":\"%s\",\"workload_keyset_digest\":\"%s\","
             "\"served_at\":1767225600,\"amount\":1.5e-7,\"note\":\"caf\xc3\xa9 \\u2028\","
             "\"event_log\":[{\"type\":\"request.received\",\"body_hash\":\"%s\",\"seq\":0},%s"
             "{\"type\":\"response.returned\",\"wire_hash\":\"%s\",\"seq\":3}],"
             "\"signature\":{\"algo\":\"ed25519\",\"key_id\":\"receipt-1\"}}",
             f->att.workload_id, f->att.keyset_digest, hash_of(f->request, rq), upstream,
             hash_of(f->response, rs));
    r = json_tokener_parse(text);
    assert_non_null(r);
    return r;
}

/* Sign the RFC 8785 form of `r` as it is (signature.value absent) and set the value. */
static void receipt_sign(const fixture *f, json_object *r, json_object *into, const char *key)
{
    bytebuf msg;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t sig[64];
    size_t n = sizeof(sig);
    char hex[129];

    bytebuf_init(&msg, SJSON_DOC_MAX);
    assert_int_equal(jcs_write(r, &msg, NULL), P11TEE_OK);
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, f->key), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &n, msg.data, msg.len), 1);
    EVP_MD_CTX_free(ctx);
    bytebuf_free(&msg);
    hex_encode(sig, sizeof(sig), hex, sizeof(hex));
    json_object_object_add(into, key, json_object_new_string(hex));
}

static void sign_object_form(const fixture *f, json_object *r)
{
    receipt_sign(f, r, json_object_object_get(r, "signature"), "value");
}

static void run(const fixture *f, json_object *receipt, int native_configured, attest_report *rep)
{
    attest_receipt_in in = {
        .receipt = receipt,
        .keyset = f->keyset,
        .att = &f->att,
        .native_configured = native_configured,
        .request_id = CHAT_ID,
        .request = (const uint8_t *)f->request,
        .request_len = strlen(f->request),
        .response = (const uint8_t *)f->response,
        .response_len = strlen(f->response),
    };

    attest_report_init(rep);
    attest_verify_receipt(&in, rep);
}

static void expect(const attest_report *rep, const char *name, p11tee_check_result r,
                   p11tee_status code, const char *part)
{
    const attest_check *c = attest_report_find(rep, name);

    if (c == NULL)
        fail_msg("check %s was not recorded", name);
    if (c->result != r || c->code != code)
        fail_msg("%s: result %d code %d (want %d, %d): %s", name, c->result, c->code, r, code,
                 c->reason);
    if (part != NULL && strstr(c->reason, part) == NULL)
        fail_msg("%s: \"%s\" lacks \"%s\"", name, c->reason, part);
}

#define VERIFIED_UPSTREAM                                                                          \
    "{\"type\":\"upstream.verified\",\"result\":\"verified\",\"required\":true,\"session_id\":"    \
    "\"" SESSION_ID "\",\"seq\":2},"

static void receipt_valid(void **state)
{
    fixture *f = *state;
    json_object *r = receipt_new(f, VERIFIED_UPSTREAM);
    attest_report rep;

    sign_object_form(f, r);
    run(f, r, 1, &rep);
    expect(&rep, "receipt.signature", P11TEE_CHECK_PASS, P11TEE_OK, "receipt-1");
    expect(&rep, "receipt.keyset", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    expect(&rep, "receipt.chat_id", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    expect(&rep, "receipt.anchor", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    expect(&rep, "receipt.request_hash", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    expect(&rep, "receipt.response_hash", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    expect(&rep, "upstream.verified", P11TEE_CHECK_PASS, P11TEE_OK, "required: true");
    expect(&rep, "upstream.session", P11TEE_CHECK_PASS, P11TEE_OK, SESSION_ID);
    assert_null(attest_report_first_failure(&rep));
    json_object_put(r);
}

/* The older form: "signature" a string beside a top-level key_id, signed without it. */
static void receipt_string_signature(void **state)
{
    fixture *f = *state;
    json_object *r = receipt_new(f, "");
    attest_report rep;

    json_object_object_del(r, "signature");
    json_object_object_add(r, "key_id", json_object_new_string("receipt-1"));
    receipt_sign(f, r, r, "signature");
    run(f, r, 1, &rep);
    expect(&rep, "receipt.signature", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    /* no upstream event: a direct service */
    expect(&rep, "upstream.verified", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, "direct service");
    expect(&rep, "upstream.session", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, NULL);
    json_object_put(r);
}

/* Any member changed after signing, or another signer: the signature fails. */
static void receipt_tampered(void **state)
{
    fixture *f = *state;
    json_object *r = receipt_new(f, VERIFIED_UPSTREAM);
    attest_report rep;

    sign_object_form(f, r);
    json_object_object_add(r, "served_at", json_object_new_int64(1767225601));
    run(f, r, 1, &rep);
    expect(&rep, "receipt.signature", P11TEE_CHECK_FAIL, P11TEE_E_SIGNATURE_MISMATCH,
           "does not verify");
    json_object_put(r);
    /* the same receipt re-ordered and re-spaced still verifies: JCS is over the value */
    r = receipt_new(f, VERIFIED_UPSTREAM);
    sign_object_form(f, r);
    {
        json_object *again = json_tokener_parse(json_object_to_json_string_ext(
            r, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));

        run(f, again, 1, &rep);
        expect(&rep, "receipt.signature", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
        json_object_put(again);
    }
    json_object_put(r);
}

static void receipt_key_refusals(void **state)
{
    fixture *f = *state;
    json_object *r = receipt_new(f, ""), *sig = json_object_object_get(r, "signature");
    attest_report rep;

    /* a key the keyset does not hold */
    json_object_object_add(sig, "key_id", json_object_new_string("receipt-9"));
    sign_object_form(f, r);
    run(f, r, 1, &rep);
    expect(&rep, "receipt.signature", P11TEE_CHECK_FAIL, P11TEE_E_SIGNATURE_MISMATCH,
           "not one of the attested keyset's receipt_signing_keys");
    /* a key of another algorithm */
    json_object_object_del(sig, "value");
    json_object_object_add(sig, "key_id", json_object_new_string("ecdsa-1"));
    sign_object_form(f, r);
    run(f, r, 1, &rep);
    expect(&rep, "receipt.signature", P11TEE_CHECK_FAIL, P11TEE_E_SIGNATURE_FORMAT, "ed25519");
    /* the right key, signed by another: an old key of the keyset does not verify */
    json_object_object_del(sig, "value");
    json_object_object_add(sig, "key_id", json_object_new_string("old"));
    sign_object_form(f, r);
    run(f, r, 1, &rep);
    expect(&rep, "receipt.signature", P11TEE_CHECK_FAIL, P11TEE_E_SIGNATURE_MISMATCH, NULL);
    /* no value at all */
    json_object_object_del(sig, "value");
    run(f, r, 1, &rep);
    expect(&rep, "receipt.signature", P11TEE_CHECK_FAIL, P11TEE_E_SIGNATURE_MISMATCH,
           "no signature value");
    json_object_put(r);
}

/* Signed by the attested key, but for another keyset, workload or request. */
static void receipt_names_another(void **state)
{
    fixture *f = *state;
    json_object *r = receipt_new(f, "");
    attest_report rep;

    json_object_object_add(r, "workload_keyset_digest", json_object_new_string("sha256:00"));
    sign_object_form(f, r);
    run(f, r, 1, &rep);
    expect(&rep, "receipt.signature", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    expect(&rep, "receipt.keyset", P11TEE_CHECK_FAIL, P11TEE_E_SIGNATURE_MISMATCH,
           "another keyset");
    json_object_put(r);
    r = receipt_new(f, "");
    json_object_object_add(r, "workload_id", json_object_new_string("sha256:00"));
    json_object_object_add(r, "chat_id", json_object_new_string("chatcmpl-other"));
    sign_object_form(f, r);
    run(f, r, 1, &rep);
    expect(&rep, "receipt.keyset", P11TEE_CHECK_FAIL, P11TEE_E_SIGNATURE_MISMATCH, NULL);
    expect(&rep, "receipt.chat_id", P11TEE_CHECK_FAIL, P11TEE_E_SIGNATURE_MISMATCH,
           "another request");
    json_object_put(r);
}

/* The anchor: the native report bound the keyset, was not asked for, or did not bind it. */
static void receipt_anchor(void **state)
{
    fixture *f = *state;
    json_object *r = receipt_new(f, "");
    attest_report rep;

    sign_object_form(f, r);
    f->att.keyset_anchored = 0;
    run(f, r, 0, &rep);
    expect(&rep, "receipt.anchor", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, "aci-report-url");
    run(f, r, 1, &rep);
    expect(&rep, "receipt.anchor", P11TEE_CHECK_FAIL, P11TEE_E_MEASUREMENT, "aci.native");
    f->att.keyset_anchored = 1;
    json_object_put(r);
}

/* The body hashes: compared only with the bytes given, advisory by default. */
static void receipt_hashes(void **state)
{
    fixture *f = *state;
    json_object *r = receipt_new(f, "");
    attest_report rep;
    const char *response = f->response;

    sign_object_form(f, r);
    f->response = "data: [DONE]\n\n";
    run(f, r, 1, &rep);
    expect(&rep, "receipt.request_hash", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    expect(&rep, "receipt.response_hash", P11TEE_CHECK_FAIL, P11TEE_E_SIGNATURE_MISMATCH, "is not");
    f->response = response;
    {
        attest_receipt_in in = {
            .receipt = r, .keyset = f->keyset, .att = &f->att, .request_id = CHAT_ID};

        attest_report_init(&rep);
        attest_verify_receipt(&in, &rep);
        expect(&rep, "receipt.request_hash", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
               "bytes were not given");
    }
    json_object_put(r);
}

static void receipt_upstream(void **state)
{
    fixture *f = *state;
    json_object *r = receipt_new(f, "{\"type\":\"upstream.verified\",\"result\":\"failed\","
                                    "\"required\":false,\"reason\":\"unavailable\",\"seq\":2},");
    attest_report rep;

    sign_object_form(f, r);
    run(f, r, 1, &rep);
    expect(&rep, "upstream.verified", P11TEE_CHECK_FAIL, P11TEE_E_ATTEST_NOT_VERIFIED,
           "NOT verified: unavailable (required: false)");
    expect(&rep, "upstream.session", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, NULL);
    json_object_put(r);
    r = receipt_new(f, "{\"type\":\"upstream.verified\",\"result\":\"verified\",\"seq\":2},");
    sign_object_form(f, r);
    run(f, r, 1, &rep);
    expect(&rep, "upstream.verified", P11TEE_CHECK_PASS, P11TEE_OK, NULL);
    expect(&rep, "upstream.session", P11TEE_CHECK_FAIL, P11TEE_E_SIGNATURE_FORMAT, "missing");
    json_object_put(r);
}

/* No receipt, no keyset: each check says why it was not checked. */
static void receipt_absent(void **state)
{
    fixture *f = *state;
    json_object *r = receipt_new(f, ""), *keyset = f->keyset;
    attest_report rep;
    size_t i;

    run(f, NULL, 1, &rep);
    assert_int_equal(rep.count, 8);
    for (i = 0; i < rep.count; i++) {
        assert_int_equal(rep.checks[i].result, P11TEE_CHECK_NOT_CHECKED);
        assert_non_null(strstr(rep.checks[i].reason, "carries no ACI receipt"));
    }
    sign_object_form(f, r);
    f->keyset = NULL;
    f->att.keyset_digest[0] = '\0';
    run(f, r, 1, &rep);
    expect(&rep, "receipt.signature", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, "no keyset");
    expect(&rep, "receipt.keyset", P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, "no keyset");
    f->keyset = keyset;
    assert_int_equal(aci_digest(keyset, f->att.keyset_digest, NULL), P11TEE_OK);
    json_object_put(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ed25519_rfc8032),
        cmocka_unit_test(secp256k1_sha256),
        cmocka_unit_test(keyset_digest),
        cmocka_unit_test_setup_teardown(receipt_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(receipt_string_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(receipt_tampered, setup, teardown),
        cmocka_unit_test_setup_teardown(receipt_key_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(receipt_names_another, setup, teardown),
        cmocka_unit_test_setup_teardown(receipt_anchor, setup, teardown),
        cmocka_unit_test_setup_teardown(receipt_hashes, setup, teardown),
        cmocka_unit_test_setup_teardown(receipt_upstream, setup, teardown),
        cmocka_unit_test_setup_teardown(receipt_absent, setup, teardown),
    };

    return TEST_MAIN(tests, NULL, NULL);
}
