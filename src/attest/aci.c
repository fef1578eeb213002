/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The ACI envelope (api_version "aci/1", PROTOCOL.md section 2) beside the
 * legacy fields: where both carry an item they must agree; the workload
 * keyset must hash to its digest and hold the E2EE key in use. The legacy
 * quote binds the E2EE key, not the keyset: the operator's native report,
 * whose quote binds SHA-256(JCS({purpose, workload_id,
 * workload_keyset_digest, nonce})) with our nonce, anchors the keyset (and so
 * the receipts signed by its keys) in a quote.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "attest/tdx.h"
#include "attest/workload.h"
#include "crypto/crypto.h"

#define ACI_VERSION        "aci/1"
#define ACI_PURPOSE        "aci.report_data.v1"
#define ACI_ENDORSE        "aci.keyset.endorsement.v1"
#define ACI_E2EE_ALGO      "secp256k1-aes-256-gcm-hkdf-sha256"
#define ACI_ENDORSE_ALGO   "ecdsa-secp256k1"
#define ACI_KEYS_MAX       64 /* entries of one key list we read */
#define ACI_IDENTITY_BYTES 65

/* ---- copies that must agree ------------------------------------------------- */

static void aci_agree_quote(const attest_copies *q, attest_report *rep)
{
    uint8_t *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    int same;

    if (q->n < 2) {
        attest_report_add(rep, ATTEST_CK_ACI_AGREE_QUOTE, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "the response carries one copy of the quote");
        return;
    }
    same = tdx_quote_decode(q->text[0].p, q->text[0].len, &a, &alen, NULL) == P11TEE_OK &&
           tdx_quote_decode(q->text[1].p, q->text[1].len, &b, &blen, NULL) == P11TEE_OK &&
           alen == blen && memcmp(a, b, alen) == 0;
    attest_report_add(rep, ATTEST_CK_ACI_AGREE_QUOTE, same ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL,
                      P11TEE_E_QUOTE_FORMAT, "%s and %s %s", q->where[0], q->where[1],
                      same ? "are the same quote"
                           : "are different quotes (which one would be judged?)");
    free(a);
    free(b);
}

static void aci_agree_compose(const attest_copies *c, attest_report *rep)
{
    size_t i;

    if (c->n < 2) {
        attest_report_add(rep, ATTEST_CK_ACI_AGREE_APP_COMPOSE, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "the response carries %s copy of app_compose", c->n == 0 ? "no" : "one");
        return;
    }
    for (i = 1; i < c->n; i++)
        if (c->text[i].len != c->text[0].len || memcmp(c->text[i].p, c->text[0].p, c->text[0].len))
            break;
    if (i == c->n)
        attest_report_add(rep, ATTEST_CK_ACI_AGREE_APP_COMPOSE, P11TEE_CHECK_PASS, P11TEE_OK,
                          "%zu copies of app_compose, one text", c->n);
    else
        attest_report_add(rep, ATTEST_CK_ACI_AGREE_APP_COMPOSE, P11TEE_CHECK_FAIL,
                          P11TEE_E_MEASUREMENT, "%s differs from %s (which one would be judged?)",
                          c->where[i], c->where[0]);
}

/* 1 when every copy of the event log holds the same events (0 with `why` set). */
static int aci_logs_agree(const attest_copies *c, char *why, size_t cap)
{
    evlog first, other;
    size_t i;
    int same = 1;

    if (c->n < 2)
        return 1;
    if (evlog_parse(c->text[0].p, c->text[0].len, &first, NULL) != P11TEE_OK) {
        snprintf(why, cap, "%s cannot be read", c->where[0]);
        return 0;
    }
    for (i = 1; same && i < c->n; i++) {
        same = evlog_parse(c->text[i].p, c->text[i].len, &other, NULL) == P11TEE_OK &&
               evlog_equal(&first, &other);
        evlog_free(&other);
        if (!same)
            snprintf(why, cap, "%s differs from %s", c->where[i], c->where[0]);
    }
    evlog_free(&first);
    return same;
}

/* 1 when every copy of vm_config is the same JSON (0 with `why` set). */
static int aci_configs_agree(const attest_copies *c, char *why, size_t cap)
{
    char first[80] = "", d[80];
    json_object *v;
    size_t i;

    for (i = 0; i < c->n; i++) {
        v = NULL;
        if (sjson_parse(c->text[i].p, c->text[i].len, SJSON_DOC_MAX, "vm_config", &v, NULL) !=
                P11TEE_OK ||
            aci_digest(v, d, NULL) != P11TEE_OK || (i > 0 && strcmp(d, first) != 0)) {
            json_object_put(v);
            snprintf(why, cap, "%s differs from %s (or cannot be read)", c->where[i], c->where[0]);
            return 0;
        }
        json_object_put(v);
        if (i == 0)
            memcpy(first, d, sizeof(first));
    }
    return 1;
}

static void aci_agree_logs(const attest_evidence *ev, attest_report *rep)
{
    char why[ATTEST_REASON_MAX] = "";
    int ok;

    if (ev->event_log.n < 2 && ev->vm_config.n < 2) {
        attest_report_add(
            rep, ATTEST_CK_ACI_AGREE_EVENT_LOG, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
            "the response carries at most one copy of the event log and of vm_config");
        return;
    }
    ok = aci_logs_agree(&ev->event_log, why, sizeof(why)) &&
         aci_configs_agree(&ev->vm_config, why, sizeof(why));
    attest_report_add(rep, ATTEST_CK_ACI_AGREE_EVENT_LOG,
                      ok ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL, P11TEE_E_MEASUREMENT, "%s",
                      ok ? "every copy of the event log and of vm_config says the same" : why);
}

/* ---- the envelope and its keyset ---------------------------------------------- */

static void aci_version(const attest_aci *a, attest_report *rep)
{
    if (a->api_version.p == NULL)
        attest_report_add(rep, ATTEST_CK_ACI_API_VERSION, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "the envelope names no api_version");
    else
        attest_report_add(
            rep, ATTEST_CK_ACI_API_VERSION,
            strview_eq(a->api_version, ACI_VERSION) ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL,
            P11TEE_E_JSON_FIELD, "api_version %.*s%s",
            (int)(a->api_version.len > 32 ? 32 : a->api_version.len), a->api_version.p,
            strview_eq(a->api_version, ACI_VERSION) ? "" : " is not aci/1");
}

/* The envelope's report_data (and evidence.quote_report_data) against the quote's REPORTDATA. */
static void aci_report_data(const attest_aci *a, const attest_outcome *out, attest_report *rep)
{
    uint8_t rd[TDX_REPORTDATA_BYTES], zero[TDX_REPORTDATA_BYTES] = {0};
    const strview *v[2] = {&a->report_data, &a->quote_report_data};
    size_t i, n, seen = 0;
    int ok = 1;

    for (i = 0; i < 2 && out->has_quote; i++) {
        if (v[i]->p == NULL)
            continue;
        seen++;
        /* 64 bytes (legacy binding) or the 32 bytes of an ACI statement, zeros after. */
        ok &= hex_decode(v[i]->p, v[i]->len, rd, sizeof(rd), &n, NULL) == P11TEE_OK &&
              (n == 32 || n == 64) && memcmp(rd, out->quote.report_data, n) == 0 &&
              memcmp(out->quote.report_data + n, zero, TDX_REPORTDATA_BYTES - n) == 0;
    }
    if (seen == 0)
        attest_report_add(rep, ATTEST_CK_ACI_REPORT_DATA, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, "%s",
                          out->has_quote ? "the envelope states no report_data"
                                         : "no readable quote");
    else
        attest_report_add(rep, ATTEST_CK_ACI_REPORT_DATA,
                          ok ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL, P11TEE_E_MEASUREMENT, "%s",
                          ok ? "report_data is the quote's REPORTDATA"
                             : "report_data differs from the quote's REPORTDATA");
}

/* The member path "a.b.c" of `obj`, or NULL. */
static json_object *aci_at(json_object *obj, const char *a, const char *b, const char *c)
{
    json_object *v = obj;

    if (v != NULL && a != NULL && !json_object_object_get_ex(v, a, &v))
        return NULL;
    if (v != NULL && b != NULL && !json_object_object_get_ex(v, b, &v))
        return NULL;
    if (v != NULL && c != NULL && !json_object_object_get_ex(v, c, &v))
        return NULL;
    return v;
}

/* Digest and workload id of `keyset` (recomputed) into d and w; "" for what cannot be. */
static void aci_ids(json_object *keyset, char d[80], char w[80])
{
    aci_digest(keyset, d, NULL);
    w[0] = '\0';
    if (json_object_is_type(aci_at(keyset, "workload_identity", "public_key", NULL),
                            json_type_object))
        aci_digest(aci_at(keyset, "workload_identity", "public_key", NULL), w, NULL);
}

static void aci_keyset_digest(const attest_aci *a, attest_outcome *out)
{
    int d_ok, w_ok;

    aci_ids(a->keyset, out->keyset_digest, out->workload_id);
    if (out->keyset_digest[0] == '\0') {
        attest_report_add(&out->report, ATTEST_CK_ACI_KEYSET_DIGEST, P11TEE_CHECK_FAIL,
                          P11TEE_E_JSON_FIELD,
                          "the keyset has no RFC 8785 form (a number it cannot express?)");
        return;
    }
    d_ok = strview_eq(a->keyset_digest, out->keyset_digest);
    w_ok = a->workload_id.p == NULL || strview_eq(a->workload_id, out->workload_id);
    attest_report_add(&out->report, ATTEST_CK_ACI_KEYSET_DIGEST,
                      d_ok && w_ok ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL, P11TEE_E_MEASUREMENT,
                      "%s %s%s", out->keyset_digest,
                      d_ok                         ? "is workload_keyset_digest"
                      : a->keyset_digest.p == NULL ? "is computed; the envelope states no digest"
                                                   : "is not the stated workload_keyset_digest",
                      w_ok ? "" : "; workload_id is not the identity key's");
}

/* The keyset's secp256k1 E2EE keys: is the key in use one of them? */
static void aci_e2ee_key(const attest_aci *a, const attest_outcome *out, attest_report *rep)
{
    json_object *keys = aci_at(a->keyset, "e2ee_public_keys", NULL, NULL), *k, *algo, *pub;
    uint8_t point[P11TEE_PUBKEY_BYTES];
    size_t i, n = json_object_is_type(keys, json_type_array) ? json_object_array_length(keys) : 0;

    if (!out->has_model_key) {
        attest_report_add(rep, ATTEST_CK_ACI_KEYSET_E2EE_KEY, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "no E2EE key to look for");
        return;
    }
    for (i = 0; i < n && i < ACI_KEYS_MAX; i++) {
        k = json_object_array_get_idx(keys, i);
        algo = aci_at(k, "algo", NULL, NULL);
        pub = aci_at(k, "public_key", NULL, NULL);
        if (json_object_is_type(algo, json_type_string) &&
            strcmp(json_object_get_string(algo), ACI_E2EE_ALGO) == 0 &&
            json_object_is_type(pub, json_type_string) &&
            key_parse_model(json_object_get_string(pub), (size_t)json_object_get_string_len(pub),
                            point, NULL) == P11TEE_OK &&
            memcmp(point, out->model_key, sizeof(point)) == 0) {
            attest_report_add(rep, ATTEST_CK_ACI_KEYSET_E2EE_KEY, P11TEE_CHECK_PASS, P11TEE_OK,
                              "the E2EE key is e2ee_public_keys[%zu] of the keyset", i);
            return;
        }
    }
    attest_report_add(rep, ATTEST_CK_ACI_KEYSET_E2EE_KEY, P11TEE_CHECK_FAIL,
                      P11TEE_E_ATTEST_SIGNING_KEY,
                      "the E2EE key is none of the keyset's %zu e2ee_public_keys", n);
}

/* ECDSA secp256k1 by the workload identity key over JCS({purpose, workload_keyset_digest}). */
static void aci_endorsement(const attest_aci *a, const attest_outcome *out, attest_report *rep)
{
    json_object *pub = aci_at(a->keyset, "workload_identity", "public_key", "public_key"), *payload;
    uint8_t key[ACI_IDENTITY_BYTES], sig[65];
    size_t klen = 0, slen = 0;
    bytebuf msg;
    int ok = 0, built = 1;

    if (a->endorsement_value.p == NULL || !strview_eq(a->endorsement_algo, ACI_ENDORSE_ALGO)) {
        attest_report_add(
            rep, ATTEST_CK_ACI_KEYSET_ENDORSEMENT, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, "%s",
            a->endorsement_value.p == NULL ? "the envelope carries no keyset_endorsement"
                                           : "the endorsement's algo is not ecdsa-secp256k1");
        return;
    }
    payload = json_object_new_object();
    bytebuf_init(&msg, 256);
    sjson_set(payload, "purpose", json_object_new_string(ACI_ENDORSE), &built);
    sjson_set(payload, "workload_keyset_digest", json_object_new_string(out->keyset_digest),
              &built);
    if (built && jcs_write(payload, &msg, NULL) == P11TEE_OK &&
        json_object_is_type(pub, json_type_string) &&
        hex_decode(json_object_get_string(pub), (size_t)json_object_get_string_len(pub), key,
                   sizeof(key), &klen, NULL) == P11TEE_OK &&
        hex_decode(a->endorsement_value.p, a->endorsement_value.len, sig, sizeof(sig), &slen,
                   NULL) == P11TEE_OK)
        ok = aci_secp256k1_verify(key, klen, sig, slen, msg.data, msg.len);
    attest_report_add(
        rep, ATTEST_CK_ACI_KEYSET_ENDORSEMENT, ok ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL,
        P11TEE_E_SIGNATURE_MISMATCH, "%s",
        ok ? "the workload identity key endorsed this keyset's digest"
           : "the endorsement is not the identity key's signature of this keyset's digest");
    bytebuf_free(&msg);
    json_object_put(payload);
}

static void aci_expiry(const attest_aci *a, const attest_expect *ex, attest_report *rep)
{
    json_object *na = aci_at(a->keyset, "keyset_epoch", "not_after", NULL);
    int64_t when;
    time_t now = ex->at != 0 ? ex->at : time(NULL);

    if (na == NULL)
        na = aci_at(a->keyset, "not_after", NULL, NULL);
    if (!json_object_is_type(na, json_type_int)) {
        attest_report_add(rep, ATTEST_CK_ACI_KEYSET_EXPIRY, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "the keyset states no not_after");
        return;
    }
    when = json_object_get_int64(na);
    attest_report_add(rep, ATTEST_CK_ACI_KEYSET_EXPIRY,
                      (int64_t)now < when ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL,
                      P11TEE_E_MEASUREMENT, "the keyset %s at %lld (unix time)",
                      (int64_t)now < when ? "expires" : "expired", (long long)when);
}

/* ---- the native report: the keyset's anchor ------------------------------------- */

/* Every aci.native.* check with one result and reason. */
static void aci_native_all(attest_report *rep, p11tee_check_result r, p11tee_status code,
                           const char *why)
{
    attest_report_add(rep, ATTEST_CK_ACI_NATIVE_QUOTE, r, code, "%s", why);
    attest_report_add(rep, ATTEST_CK_ACI_NATIVE_BINDING, r, code, "%s", why);
    attest_report_add(rep, ATTEST_CK_ACI_NATIVE_KEYSET, r, code, "%s", why);
}

/* The pins of the policy against the native quote: the same image must be there. */
static int aci_native_pins(const tdx_quote *q, const attest_policy *pol, char *why, size_t cap)
{
    const struct {
        const char *name;
        const attest_pin *pin;
        const uint8_t *got;
    } pins[] = {
        {"MRTD", &pol->mrtd, q->mr_td},       {"RTMR0", &pol->rtmr[0], q->rtmr[0]},
        {"RTMR1", &pol->rtmr[1], q->rtmr[1]}, {"RTMR2", &pol->rtmr[2], q->rtmr[2]},
        {"RTMR3", &pol->rtmr[3], q->rtmr[3]}, {"MRCONFIGID", &pol->mrconfigid, q->mr_config_id}};
    size_t i, k;

    for (i = 0; i < P11TEE_ARRAY_LEN(pins); i++) {
        for (k = 0; k < pins[i].pin->n; k++)
            if (CRYPTO_memcmp(pins[i].got, pins[i].pin->v[k], TDX_MR_BYTES) == 0)
                break;
        if (pins[i].pin->n > 0 && k == pins[i].pin->n) {
            snprintf(why, cap, "its %s is not one the policy pins", pins[i].name);
            return 0;
        }
    }
    return 1;
}

/* The policy's verdict on the native quote's TDX checks, but those of the legacy REPORTDATA. */
static p11tee_status aci_native_verdict(const attest_report *tdx, const attest_policy *pol,
                                        p11tee_error *err)
{
    attest_report kept;
    size_t i;

    attest_report_init(&kept);
    for (i = 0; i < tdx->count; i++) {
        const attest_check *c = &tdx->checks[i];

        if (c->id != ATTEST_CK_TDX_REPORTDATA_ADDRESS && c->id != ATTEST_CK_TDX_REPORTDATA_NONCE &&
            c->id != ATTEST_CK_TDX_REPORTDATA_NONCE_SHA256)
            attest_report_add(&kept, c->id, c->result, c->code, "%s", c->reason);
    }
    return attest_verdict(&kept, pol, err);
}

/* The native quote, verified as the model's is (trust, collateral, time, pins). */
static int aci_native_quote(const attest_aci *n, const attest_expect *ex, const attest_policy *pol,
                            tdx_quote *q, uint8_t **buf, attest_report *rep)
{
    attest_report tmp;
    const attest_check *chain;
    tdx_verify_opts o;
    p11tee_error e;
    size_t len = 0;
    char why[ATTEST_REASON_MAX];

    if (tdx_quote_decode(n->quote.p, n->quote.len, buf, &len, &e) != P11TEE_OK ||
        tdx_quote_parse(*buf, len, q, &e) != P11TEE_OK) {
        aci_native_all(rep, P11TEE_CHECK_FAIL, P11TEE_E_QUOTE_FORMAT, e.message);
        return 0;
    }
    memset(&o, 0, sizeof(o));
    o.at = ex->at;
    o.collateral = ex->collateral != NULL ? ex->collateral : pol->collateral;
    o.collateral_len = ex->collateral != NULL ? ex->collateral_len : pol->collateral_len;
    o.extra_roots_pem = pol->tdx_test_roots;
    o.extra_roots_len = pol->tdx_test_roots_len;
    o.accepted_tcb = pol->accepted_tcb;
    attest_report_init(&tmp);
    p11tee_error_clear(&e);
    /* No address or nonce here: this quote binds the ACI statement, checked next. */
    if (tdx_verify(q, &o, &tmp, NULL, &e) == P11TEE_E_INTERNAL ||
        aci_native_verdict(&tmp, pol, &e) != P11TEE_OK) {
        attest_report_add(rep, ATTEST_CK_ACI_NATIVE_QUOTE, P11TEE_CHECK_FAIL, e.code,
                          "the native report's quote: %s", e.message);
        return 1;
    }
    if (!aci_native_pins(q, pol, why, sizeof(why))) {
        attest_report_add(rep, ATTEST_CK_ACI_NATIVE_QUOTE, P11TEE_CHECK_FAIL, P11TEE_E_MEASUREMENT,
                          "the native report's quote: %s", why);
        return 1;
    }
    chain = attest_report_find(&tmp, "tdx.pck.chain");
    attest_report_add(rep, ATTEST_CK_ACI_NATIVE_QUOTE, P11TEE_CHECK_PASS, P11TEE_OK,
                      "the native report's TDX quote verifies as the model's does (%s)",
                      chain != NULL ? chain->reason : "its chain");
    return 1;
}

/* REPORTDATA = SHA-256(JCS({purpose, workload_id, workload_keyset_digest, nonce})) || 0^32. */
static void aci_native_binding(const attest_aci *n, const attest_expect *ex, const tdx_quote *q,
                               const char *digest, const char *wid, attest_report *rep)
{
    char nonce_hex[2 * P11TEE_NONCE_BYTES + 1];
    uint8_t md[SHA256_DIGEST_LENGTH], zero[32] = {0};
    json_object *st;
    int ok;

    if (ex->nonce == NULL) {
        attest_report_add(rep, ATTEST_CK_ACI_NATIVE_BINDING, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "no nonce of ours to find in the statement");
        return;
    }
    hex_encode(ex->nonce, P11TEE_NONCE_BYTES, nonce_hex, sizeof(nonce_hex));
    st = json_object_new_object();
    ok = 1;
    sjson_set(st, "purpose", json_object_new_string(ACI_PURPOSE), &ok);
    sjson_set(st, "workload_id", json_object_new_string(wid), &ok);
    sjson_set(st, "workload_keyset_digest", json_object_new_string(digest), &ok);
    sjson_set(st, "nonce", json_object_new_string(nonce_hex), &ok);
    ok = ok && jcs_sha256(st, md, NULL) == P11TEE_OK && wid[0] != '\0' &&
         CRYPTO_memcmp(md, q->report_data, sizeof(md)) == 0 &&
         memcmp(q->report_data + 32, zero, sizeof(zero)) == 0 &&
         (n->keyset_digest.p == NULL || strview_eq(n->keyset_digest, digest));
    json_object_put(st);
    attest_report_add(
        rep, ATTEST_CK_ACI_NATIVE_BINDING, ok ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL,
        P11TEE_E_REPORTDATA_NONCE, "%s",
        ok ? "its REPORTDATA is SHA-256 of the statement of its keyset with our nonce"
           : "its REPORTDATA is not SHA-256 of the statement of its keyset with our nonce");
}

static void aci_native(const attest_evidence *ev, const attest_expect *ex, const attest_policy *pol,
                       attest_outcome *out)
{
    char digest[80], wid[80], why[ATTEST_REASON_MAX];
    tdx_quote q;
    uint8_t *buf = NULL;
    attest_report *rep = &out->report;

    if (!ev->native_wanted) {
        aci_native_all(rep, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                       "no native ACI report was asked for (aci-report-url)");
        return;
    }
    if (ev->native_rc != P11TEE_OK) {
        snprintf(why, sizeof(why), "the native ACI report %s: %s",
                 p11tee_status_class_of(ev->native_rc) == P11TEE_CLASS_NETWORK
                     ? "could not be fetched"
                     : "cannot be read",
                 ev->native_error != NULL ? ev->native_error : p11tee_strerror(ev->native_rc));
        aci_native_all(rep,
                       p11tee_status_class_of(ev->native_rc) == P11TEE_CLASS_NETWORK
                           ? P11TEE_CHECK_NOT_CHECKED
                           : P11TEE_CHECK_FAIL,
                       ev->native_rc, why);
        return;
    }
    if (!aci_native_quote(&ev->native, ex, pol, &q, &buf, rep)) {
        free(buf);
        return;
    }
    aci_ids(ev->native.keyset, digest, wid);
    aci_native_binding(&ev->native, ex, &q, digest, wid, rep);
    free(buf);
    if (out->keyset_digest[0] == '\0')
        attest_report_add(rep, ATTEST_CK_ACI_NATIVE_KEYSET, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "the model's attestation carries no keyset to compare");
    else
        attest_report_add(rep, ATTEST_CK_ACI_NATIVE_KEYSET,
                          strcmp(digest, out->keyset_digest) == 0 ? P11TEE_CHECK_PASS
                                                                  : P11TEE_CHECK_FAIL,
                          P11TEE_E_MEASUREMENT, "the native report's keyset %s %s the model's",
                          digest, strcmp(digest, out->keyset_digest) == 0 ? "is" : "is not");
    out->keyset_anchored =
        attest_report_find(rep, "aci.native.quote")->result == P11TEE_CHECK_PASS &&
        attest_report_find(rep, "aci.native.binding")->result == P11TEE_CHECK_PASS &&
        attest_report_find(rep, "aci.native.keyset")->result == P11TEE_CHECK_PASS;
}

void aci_evaluate(const attest_evidence *ev, const attest_expect *ex, const attest_policy *pol,
                  attest_outcome *out)
{
    attest_report *rep = &out->report;
    static const attest_check_id envelope[] = {
        ATTEST_CK_ACI_API_VERSION,        ATTEST_CK_ACI_REPORT_DATA,
        ATTEST_CK_ACI_KEYSET_DIGEST,      ATTEST_CK_ACI_KEYSET_E2EE_KEY,
        ATTEST_CK_ACI_KEYSET_ENDORSEMENT, ATTEST_CK_ACI_KEYSET_EXPIRY,
    };
    size_t i;

    aci_agree_quote(&ev->quotes, rep);
    aci_agree_compose(&ev->app_compose_copies, rep);
    aci_agree_logs(ev, rep);
    if (!ev->aci.present || ev->aci.keyset == NULL) {
        for (i = 0; i < P11TEE_ARRAY_LEN(envelope); i++)
            attest_report_add(rep, envelope[i], P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, "%s",
                              ev->aci.present
                                  ? "the ACI envelope carries no workload_keyset"
                                  : "the response carries no ACI envelope (legacy fields only)");
        aci_native(ev, ex, pol, out);
        return;
    }
    aci_version(&ev->aci, rep);
    aci_report_data(&ev->aci, out, rep);
    aci_keyset_digest(&ev->aci, out);
    aci_e2ee_key(&ev->aci, out, rep);
    aci_endorsement(&ev->aci, out, rep);
    aci_expiry(&ev->aci, ex, rep);
    aci_native(ev, ex, pol, out);
}
