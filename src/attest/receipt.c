/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * ACI receipts (PROTOCOL.md section 3): a signed per-request event log that
 * may come with a /tee/signature response. Ed25519 over the RFC 8785 form of
 * the receipt with signature.value removed, by a key of the attested
 * keyset's receipt_signing_keys; the keyset it names must be the attested
 * one, and is worth what its anchor is (the operator's native report). Its
 * upstream.verified event says whether the upstream that served was
 * verified, and cites that session.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "attest/workload.h"
#include "crypto/crypto.h"

#define RECEIPT_KEYS_MAX    64
#define RECEIPT_EVENTS_MAX  256
#define RECEIPT_SESSION_HEX 64

/* The string member `key` of `obj`, or NULL. */
static const char *rc_str(json_object *obj, const char *key)
{
    json_object *v = NULL;

    if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* The receipt key entry `key_id` of the keyset, or NULL. */
static json_object *rc_key(json_object *keyset, const char *key_id)
{
    json_object *keys = NULL, *k;
    size_t i, n;

    if (key_id == NULL || !json_object_object_get_ex(keyset, "receipt_signing_keys", &keys) ||
        !json_object_is_type(keys, json_type_array))
        return NULL;
    n = json_object_array_length(keys);
    for (i = 0; i < n && i < RECEIPT_KEYS_MAX; i++) {
        k = json_object_array_get_idx(keys, i);
        if (rc_str(k, "key_id") != NULL && strcmp(rc_str(k, "key_id"), key_id) == 0)
            return k;
    }
    return NULL;
}

/*
 * The bytes signed: JCS of the receipt with signature.value removed, or,
 * when the signature is a string beside a top-level key_id, without it.
 */
static int rc_signed_bytes(json_object *receipt, bytebuf *out)
{
    json_object *copy = NULL, *sig = NULL;
    int ok;

    if (json_object_deep_copy(receipt, &copy, NULL) != 0)
        return 0;
    if (json_object_object_get_ex(copy, "signature", &sig) &&
        json_object_is_type(sig, json_type_object))
        json_object_object_del(sig, "value");
    else
        json_object_object_del(copy, "signature");
    ok = jcs_write(copy, out, NULL) == P11TEE_OK;
    json_object_put(copy);
    return ok;
}

static void rc_signature(const attest_receipt_in *in, attest_report *rep)
{
    json_object *sig = NULL, *entry;
    const char *value, *key_id, *algo, *pub;
    uint8_t k[32], s[64];
    size_t klen = 0, slen = 0;
    bytebuf msg;
    int ok;

    json_object_object_get_ex(in->receipt, "signature", &sig);
    value = json_object_is_type(sig, json_type_string) ? json_object_get_string(sig)
                                                       : rc_str(sig, "value");
    key_id = rc_str(json_object_is_type(sig, json_type_object) ? sig : in->receipt, "key_id");
    algo = rc_str(sig, "algo");
    entry = rc_key(in->keyset, key_id);
    pub = rc_str(entry, "public_key");
    if (in->keyset == NULL) {
        attest_report_add(rep, ATTEST_CK_RECEIPT_SIGNATURE, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "the attestation carries no keyset to find the receipt key in");
        return;
    }
    if (value == NULL || entry == NULL || pub == NULL) {
        attest_report_add(rep, ATTEST_CK_RECEIPT_SIGNATURE, P11TEE_CHECK_FAIL,
                          P11TEE_E_SIGNATURE_MISMATCH, "%s",
                          value == NULL ? "the receipt carries no signature value"
                                        : "its key_id is not one of the attested keyset's "
                                          "receipt_signing_keys");
        return;
    }
    if (rc_str(entry, "algo") == NULL || strcmp(rc_str(entry, "algo"), "ed25519") != 0 ||
        (algo != NULL && strcmp(algo, "ed25519") != 0)) {
        attest_report_add(rep, ATTEST_CK_RECEIPT_SIGNATURE, P11TEE_CHECK_FAIL,
                          P11TEE_E_SIGNATURE_FORMAT,
                          "the receipt key's algorithm is not ed25519, the one p11tee verifies");
        return;
    }
    bytebuf_init(&msg, SJSON_DOC_MAX);
    ok = hex_decode(pub, strlen(pub), k, sizeof(k), &klen, NULL) == P11TEE_OK && klen == 32 &&
         hex_decode(value, strlen(value), s, sizeof(s), &slen, NULL) == P11TEE_OK && slen == 64 &&
         rc_signed_bytes(in->receipt, &msg) && aci_ed25519_verify(k, s, msg.data, msg.len);
    attest_report_add(
        rep, ATTEST_CK_RECEIPT_SIGNATURE, ok ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL,
        P11TEE_E_SIGNATURE_MISMATCH, "%s (key %.32s)",
        ok ? "Ed25519 by the attested keyset's receipt key over the receipt's RFC 8785 form"
           : "the Ed25519 signature does not verify with the attested receipt key",
        key_id);
    bytebuf_free(&msg);
}

static void rc_keyset(const attest_receipt_in *in, attest_report *rep)
{
    const char *digest = rc_str(in->receipt, "workload_keyset_digest");
    const char *wid = rc_str(in->receipt, "workload_id");
    int ok;

    if (in->att->keyset_digest[0] == '\0') {
        attest_report_add(rep, ATTEST_CK_RECEIPT_KEYSET, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "the attestation carries no keyset to compare");
        return;
    }
    ok = digest != NULL && strcmp(digest, in->att->keyset_digest) == 0 &&
         (wid == NULL || strcmp(wid, in->att->workload_id) == 0);
    attest_report_add(rep, ATTEST_CK_RECEIPT_KEYSET, ok ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL,
                      P11TEE_E_SIGNATURE_MISMATCH, "%s",
                      ok ? "the receipt names the attested keyset and workload"
                         : "the receipt names another keyset or workload than the attested one");
}

static void rc_chat_id(const attest_receipt_in *in, attest_report *rep)
{
    const char *chat = rc_str(in->receipt, "chat_id");
    int ok = chat != NULL && in->request_id != NULL && strcmp(chat, in->request_id) == 0;

    attest_report_add(rep, ATTEST_CK_RECEIPT_CHAT_ID, ok ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL,
                      P11TEE_E_SIGNATURE_MISMATCH, "%s",
                      ok ? "the receipt is for this request id"
                         : "the receipt is for another request");
}

static void rc_anchor(const attest_receipt_in *in, attest_report *rep)
{
    if (in->att->keyset_anchored)
        attest_report_add(rep, ATTEST_CK_RECEIPT_ANCHOR, P11TEE_CHECK_PASS, P11TEE_OK,
                          "the native report's quote bound this keyset and our nonce");
    else if (!in->native_configured)
        attest_report_add(
            rep, ATTEST_CK_RECEIPT_ANCHOR, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
            "the keyset is not anchored in a quote: set aci-report-url to the gateway "
            "operator's native ACI report");
    else
        attest_report_add(rep, ATTEST_CK_RECEIPT_ANCHOR, P11TEE_CHECK_FAIL, P11TEE_E_MEASUREMENT,
                          "the native report did not anchor the keyset (see aci.native.*)");
}

/* The first event of type `type` in the receipt's event_log, or NULL. */
static json_object *rc_event(json_object *receipt, const char *type)
{
    json_object *log = NULL, *e;
    size_t i, n;

    if (!json_object_object_get_ex(receipt, "event_log", &log) ||
        !json_object_is_type(log, json_type_array))
        return NULL;
    n = json_object_array_length(log);
    for (i = 0; i < n && i < RECEIPT_EVENTS_MAX; i++) {
        e = json_object_array_get_idx(log, i);
        if (rc_str(e, "type") != NULL && strcmp(rc_str(e, "type"), type) == 0)
            return e;
    }
    return NULL;
}

/* A body hash of the receipt ("sha256:<hex>") against the bytes given (advisory). */
static void rc_hash(attest_report *rep, attest_check_id id, json_object *event, const char *what,
                    const uint8_t *bytes, size_t len)
{
    const char *h = rc_str(event, "body_hash") != NULL ? rc_str(event, "body_hash")
                                                       : rc_str(event, "wire_hash");
    uint8_t md[SHA256_DIGEST_LENGTH];
    char want[8 + 2 * SHA256_DIGEST_LENGTH] = "sha256:";

    if (bytes == NULL || h == NULL) {
        attest_report_add(rep, id, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, "%s",
                          bytes == NULL ? "the exact bytes were not given"
                                        : "the receipt records no hash");
        return;
    }
    if (digest_sha256(bytes, len, md, NULL) != P11TEE_OK) {
        attest_report_add(rep, id, P11TEE_CHECK_FAIL, P11TEE_E_CRYPTO,
                          "SHA-256 of the %s bytes could not be computed", what);
        return;
    }
    hex_encode(md, sizeof(md), want + 7, sizeof(want) - 7);
    attest_report_add(
        rep, id, strcmp(h, want) == 0 ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL,
        P11TEE_E_SIGNATURE_MISMATCH, "the receipt's %s hash %s SHA-256 of the bytes given", what,
        strcmp(h, want) == 0 ? "is" : "is not (bodies may be re-serialised on the way)");
}

static void rc_upstream(json_object *receipt, attest_report *rep)
{
    json_object *e = rc_event(receipt, "upstream.verified"), *req = NULL;
    const char *result = rc_str(e, "result"), *session = rc_str(e, "session_id");
    const char *why = rc_str(e, "reason");
    int verified = result != NULL && strcmp(result, "verified") == 0;

    if (e == NULL) {
        attest_report_add(rep, ATTEST_CK_UPSTREAM_VERIFIED, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "the receipt records no upstream.verified event (a direct service)");
        attest_report_add(rep, ATTEST_CK_UPSTREAM_SESSION, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "the receipt records no upstream");
        return;
    }
    json_object_object_get_ex(e, "required", &req);
    attest_report_add(rep, ATTEST_CK_UPSTREAM_VERIFIED,
                      verified ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL,
                      P11TEE_E_ATTEST_NOT_VERIFIED, "upstream %s%s%.96s (required: %s)",
                      verified ? "verified" : "NOT verified", why != NULL ? ": " : "",
                      why != NULL ? why : "", json_object_get_boolean(req) ? "true" : "false");
    if (!verified)
        attest_report_add(rep, ATTEST_CK_UPSTREAM_SESSION, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "no session: the upstream was not verified");
    else
        attest_report_add(rep, ATTEST_CK_UPSTREAM_SESSION,
                          session != NULL && strlen(session) == RECEIPT_SESSION_HEX &&
                                  hex_is_valid(session, RECEIPT_SESSION_HEX)
                              ? P11TEE_CHECK_PASS
                              : P11TEE_CHECK_FAIL,
                          P11TEE_E_SIGNATURE_FORMAT, "session %.64s %s",
                          session != NULL ? session : "",
                          session != NULL ? "cited (not fetched: a deep audit re-verifies it)"
                                          : "missing from a verified upstream event");
}

void attest_verify_receipt(const attest_receipt_in *in, attest_report *rep)
{
    static const attest_check_id all[] = {
        ATTEST_CK_RECEIPT_SIGNATURE,    ATTEST_CK_RECEIPT_KEYSET,
        ATTEST_CK_RECEIPT_CHAT_ID,      ATTEST_CK_RECEIPT_ANCHOR,
        ATTEST_CK_RECEIPT_REQUEST_HASH, ATTEST_CK_RECEIPT_RESPONSE_HASH,
        ATTEST_CK_UPSTREAM_VERIFIED,    ATTEST_CK_UPSTREAM_SESSION,
    };
    size_t i;

    if (in->receipt == NULL || !json_object_is_type(in->receipt, json_type_object)) {
        for (i = 0; i < P11TEE_ARRAY_LEN(all); i++)
            attest_report_add(rep, all[i], P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                              "the signature response carries no ACI receipt");
        return;
    }
    rc_signature(in, rep);
    rc_keyset(in, rep);
    rc_chat_id(in, rep);
    rc_anchor(in, rep);
    rc_hash(rep, ATTEST_CK_RECEIPT_REQUEST_HASH, rc_event(in->receipt, "request.received"),
            "request", in->request, in->request_len);
    rc_hash(rep, ATTEST_CK_RECEIPT_RESPONSE_HASH, rc_event(in->receipt, "response.returned"),
            "response", in->response, in->response_len);
    rc_upstream(in->receipt, rep);
}
