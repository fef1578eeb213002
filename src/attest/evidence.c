/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Everything a client checks about an attestation before it trusts the key
 * (PROTOCOL.md section 2): the server's statements, the key and its address,
 * the TDX quote and its bindings, the policy's pins, the GPU evidence. Each
 * check is recorded by name; attest_verdict() then applies the policy.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "attest/attest.h"
#include "attest/eth.h"
#include "attest/nvidia.h"
#include "attest/tdx.h"
#include "attest/workload.h"
#include "crypto/crypto.h"

static int ev_hex_equals(strview hex, const uint8_t *bytes, size_t n)
{
    uint8_t buf[P11TEE_NONCE_BYTES];

    return hex.p != NULL && hex.len == 2 * n && n <= sizeof(buf) &&
           hex_decode(hex.p, hex.len, buf, sizeof(buf), NULL, NULL) == P11TEE_OK &&
           memcmp(buf, bytes, n) == 0;
}

/* What the server says about itself: never sufficient, fatal when false. */
static void ev_statements(const attest_evidence *ev, const attest_expect *ex, attest_report *rep)
{
    if (!ev->has_verified)
        attest_report_add(rep, ATTEST_CK_SERVER_VERIFIED, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "the response has no \"verified\" field");
    else
        attest_report_add(rep, ATTEST_CK_SERVER_VERIFIED,
                          ev->verified ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL,
                          P11TEE_E_ATTEST_NOT_VERIFIED, "server reports verified: %s",
                          ev->verified ? "true (a hint; checked below)" : "false");
    if (ex->nonce == NULL)
        attest_report_add(rep, ATTEST_CK_NONCE_ECHO, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "no nonce was given to compare with");
    else if (ev->nonce.p == NULL)
        attest_report_add(rep, ATTEST_CK_NONCE_ECHO, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK,
                          "the response does not echo the nonce");
    else
        attest_report_add(rep, ATTEST_CK_NONCE_ECHO,
                          ev_hex_equals(ev->nonce, ex->nonce, P11TEE_NONCE_BYTES)
                              ? P11TEE_CHECK_PASS
                              : P11TEE_CHECK_FAIL,
                          P11TEE_E_ATTEST_NONCE_MISMATCH, "%s",
                          ev_hex_equals(ev->nonce, ex->nonce, P11TEE_NONCE_BYTES)
                              ? "the response echoes our nonce"
                              : "the echoed nonce is not the one we sent (possible replay)");
    if (ex->model == NULL || ev->model.p == NULL)
        attest_report_add(rep, ATTEST_CK_MODEL_ECHO, P11TEE_CHECK_NOT_CHECKED, P11TEE_OK, "%s",
                          ex->model == NULL ? "no model was given to compare with"
                                            : "the response does not name its model");
    else
        attest_report_add(rep, ATTEST_CK_MODEL_ECHO,
                          strview_eq(ev->model, ex->model) ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL,
                          P11TEE_E_ATTEST_MODEL_MISMATCH, "attestation is for %.*s, asked for %s",
                          (int)(ev->model.len > 128 ? 128 : ev->model.len), ev->model.p, ex->model);
    if (ev->has_debug)
        attest_report_add(rep, ATTEST_CK_DEBUG_FLAG,
                          ev->debug ? P11TEE_CHECK_FAIL : P11TEE_CHECK_PASS, P11TEE_E_ATTEST_DEBUG,
                          "server reports debug: %s",
                          ev->debug ? "true (debug mode: secrets are readable)" : "false");
}

/* Decode and parse the quote into `out` (not recorded: ev_tdx() does that); 1 on success. */
static int ev_quote_load(const attest_evidence *ev, attest_outcome *out)
{
    p11tee_error e;

    if (out->quote_buf == NULL &&
        (ev->intel_quote.p == NULL ||
         tdx_quote_decode(ev->intel_quote.p, ev->intel_quote.len, &out->quote_buf, &out->quote_len,
                          &e) != P11TEE_OK))
        return 0;
    return tdx_quote_parse(out->quote_buf, out->quote_len, &out->quote, &e) == P11TEE_OK;
}

/*
 * The E2EE key as received: the legacy field, else (the ACI envelope alone)
 * the keyset's key whose address REPORTDATA binds, else its first.
 */
static strview ev_key_text(const attest_evidence *ev, attest_outcome *out, const char **where,
                           size_t *index)
{
    const attest_copies *c = &ev->keyset_keys;
    uint8_t key[P11TEE_PUBKEY_BYTES], addr[ETH_ADDRESS_BYTES];
    size_t i;

    *where = ev->signing_key_field;
    *index = 0;
    if (ev->signing_key.p != NULL || c->n == 0)
        return ev->signing_key;
    *where = c->where[0];
    for (i = 0; c->n > 1 && ev_quote_load(ev, out) && i < c->n; i++)
        if (key_parse_model(c->text[i].p, c->text[i].len, key, NULL) == P11TEE_OK &&
            eth_address_from_pubkey(key, sizeof(key), addr, NULL) == P11TEE_OK &&
            memcmp(addr, out->quote.report_data, ETH_ADDRESS_BYTES) == 0) {
            *index = i;
            break;
        }
    return c->text[*index];
}

/* The signing key (the E2EE model key) and the address it must hash to. */
static void ev_key(const attest_evidence *ev, attest_outcome *out)
{
    attest_report *rep = &out->report;
    p11tee_error e;
    uint8_t claimed[ETH_ADDRESS_BYTES];
    char mine[ETH_ADDRESS_TEXT];
    const char *where;
    size_t index;
    strview key = ev_key_text(ev, out, &where, &index);

    out->model_key_text = key; /* shown as received, well-formed or not */
    if (key.p == NULL || key_parse_model(key.p, key.len, out->model_key, &e) != P11TEE_OK) {
        attest_report_add(rep, ATTEST_CK_SIGNING_KEY_FORMAT, P11TEE_CHECK_FAIL,
                          P11TEE_E_ATTEST_SIGNING_KEY, "%s",
                          key.p == NULL ? "the response carries no signing key" : e.message);
        return;
    }
    out->has_model_key = 1;
    if (ev->signing_key.p != NULL)
        attest_report_add(rep, ATTEST_CK_SIGNING_KEY_FORMAT, P11TEE_CHECK_PASS, P11TEE_OK,
                          "secp256k1 point from \"%s\" (%zu hex characters)", where, key.len);
    else
        attest_report_add(rep, ATTEST_CK_SIGNING_KEY_FORMAT, P11TEE_CHECK_PASS, P11TEE_OK,
                          "secp256k1 point from %s[%zu] of %zu of its algorithm (%zu hex "
                          "characters)",
                          where, index, ev->keyset_keys.n, key.len);
    if (eth_address_from_pubkey(out->model_key, P11TEE_PUBKEY_BYTES, out->address, &e) != P11TEE_OK)
        return;
    out->has_address = 1;
    eth_address_format(out->address, mine);
    if (ev->signing_address.p == NULL && ev->signing_key.p == NULL)
        attest_report_add(rep, ATTEST_CK_SIGNING_ADDRESS_BINDING, P11TEE_CHECK_NOT_CHECKED,
                          P11TEE_OK,
                          "the ACI envelope states no address; the key's own is %s (REPORTDATA "
                          "must bind it)",
                          mine);
    else if (ev->signing_address.p == NULL)
        attest_report_add(rep, ATTEST_CK_SIGNING_ADDRESS_BINDING, P11TEE_CHECK_FAIL,
                          P11TEE_E_ATTEST_ADDRESS_MISMATCH,
                          "the response carries no signing_address (key hashes to %s)", mine);
    else if (eth_address_parse(ev->signing_address.p, ev->signing_address.len, claimed, &e) !=
             P11TEE_OK)
        attest_report_add(rep, ATTEST_CK_SIGNING_ADDRESS_BINDING, P11TEE_CHECK_FAIL,
                          P11TEE_E_ATTEST_ADDRESS_MISMATCH, "signing_address: %s", e.message);
    else
        attest_report_add(rep, ATTEST_CK_SIGNING_ADDRESS_BINDING,
                          memcmp(claimed, out->address, ETH_ADDRESS_BYTES) == 0 ? P11TEE_CHECK_PASS
                                                                                : P11TEE_CHECK_FAIL,
                          P11TEE_E_ATTEST_ADDRESS_MISMATCH,
                          "Keccak-256 of the key gives %s; the response says %.*s", mine,
                          (int)(ev->signing_address.len > 64 ? 64 : ev->signing_address.len),
                          ev->signing_address.p);
}

static void ev_tdx_options(const attest_expect *ex, const attest_policy *pol,
                           const attest_outcome *out, tdx_verify_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->at = ex->at;
    o->collateral = ex->collateral != NULL ? ex->collateral : pol->collateral;
    o->collateral_len = ex->collateral != NULL ? ex->collateral_len : pol->collateral_len;
    o->extra_roots_pem = pol->tdx_test_roots;
    o->extra_roots_len = pol->tdx_test_roots_len;
    o->address = out->has_address ? out->address : NULL;
    o->nonce = ex->nonce;
    o->allow_nonce_sha256 = pol->allow_nonce_sha256;
    o->accepted_tcb = pol->accepted_tcb;
    o->max_age_days = pol->max_age_days;
    o->no_collateral_why = ex->collateral_why;
}

/*
 * A verifier that could not run (its trust anchors could not be set up)
 * records nothing; every check it owes then fails, so that nothing missing
 * can let the verdict pass.
 */
static void ev_tdx_complete(attest_report *rep, const p11tee_error *e)
{
    int id;

    for (id = TDX_CHECK_FIRST; id < TDX_CHECK_END; id++)
        if (attest_report_find(rep, attest_check_name((attest_check_id)id)) == NULL)
            attest_report_add(rep, (attest_check_id)id, P11TEE_CHECK_FAIL, P11TEE_E_ATTEST_REQUIRED,
                              "the TDX verification could not run: %s", e->message);
}

/* Decode, parse and verify the quote; record why when it cannot be read. */
static void ev_tdx(const attest_evidence *ev, const attest_expect *ex, const attest_policy *pol,
                   attest_outcome *out)
{
    tdx_verify_opts o;
    p11tee_error e;

    if (ev->intel_quote.p == NULL && out->quote_buf == NULL) {
        attest_report_add(&out->report, ATTEST_CK_TDX_QUOTE_FORMAT, P11TEE_CHECK_NOT_CHECKED,
                          P11TEE_E_QUOTE_MISSING, "the attestation carries no TDX quote");
        return;
    }
    if ((out->quote_buf == NULL &&
         tdx_quote_decode(ev->intel_quote.p, ev->intel_quote.len, &out->quote_buf, &out->quote_len,
                          &e) != P11TEE_OK) ||
        tdx_quote_parse(out->quote_buf, out->quote_len, &out->quote, &e) != P11TEE_OK) {
        attest_report_add(&out->report, ATTEST_CK_TDX_QUOTE_FORMAT, P11TEE_CHECK_FAIL,
                          e.code == P11TEE_E_QUOTE_UNSUPPORTED ? e.code : P11TEE_E_QUOTE_FORMAT,
                          "%s", e.message);
        return;
    }
    out->has_quote = 1;
    attest_report_add(&out->report, ATTEST_CK_TDX_QUOTE_FORMAT, P11TEE_CHECK_PASS, P11TEE_OK,
                      "TDX quote v%u, %zu bytes, TDX %s body", out->quote.version, out->quote.used,
                      out->quote.body_type == 3 ? "1.5" : "1.0");
    ev_tdx_options(ex, pol, out, &o);
    p11tee_error_clear(&e);
    if (tdx_verify(&out->quote, &o, &out->report, &out->tdx, &e) != P11TEE_OK)
        ev_tdx_complete(&out->report, &e);
}

/* A pin: the value is one of the policy's accepted values (a list, for rolling upgrades). */
static void ev_pin(attest_report *rep, attest_check_id id, int has_quote, const uint8_t *got,
                   const attest_pin *pin)
{
    char hex[2 * TDX_MR_BYTES + 1];
    size_t k;

    if (!has_quote) {
        attest_report_add(rep, id, P11TEE_CHECK_FAIL, P11TEE_E_MEASUREMENT,
                          "the policy pins it but there is no readable quote");
        return;
    }
    for (k = 0; k < pin->n; k++)
        if (CRYPTO_memcmp(got, pin->v[k], TDX_MR_BYTES) == 0)
            break;
    hex_encode(got, TDX_MR_BYTES, hex, sizeof(hex));
    if (k < pin->n)
        attest_report_add(rep, id, P11TEE_CHECK_PASS, P11TEE_OK,
                          "%s matches the policy's pin (value %zu of %zu)", hex, k + 1, pin->n);
    else
        attest_report_add(rep, id, P11TEE_CHECK_FAIL, P11TEE_E_MEASUREMENT,
                          "%s differs from the policy's pin (%zu value%s)", hex, pin->n,
                          pin->n > 1 ? "s" : "");
}

/* dstack: MRCONFIGID = 0x01 || SHA-256(app_compose) || zeros. */
static void ev_mrconfigid_of(const uint8_t sha[SHA256_DIGEST_LENGTH], uint8_t out[TDX_MR_BYTES])
{
    memset(out, 0, TDX_MR_BYTES);
    out[0] = 0x01;
    memcpy(out + 1, sha, SHA256_DIGEST_LENGTH);
}

/*
 * How the quote measured this app_compose: MRCONFIGID carries its SHA-256,
 * or RTMR3's replayed compose-hash event is it (dstack). Returns the words.
 */
static const char *ev_compose_measured(const attest_outcome *out,
                                       const uint8_t sha[SHA256_DIGEST_LENGTH])
{
    uint8_t want[TDX_MR_BYTES];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];

    ev_mrconfigid_of(sha, want);
    if (memcmp(out->quote.mr_config_id, want, TDX_MR_BYTES) == 0)
        return "MRCONFIGID carries";
    hex_encode(sha, SHA256_DIGEST_LENGTH, hex, sizeof(hex));
    if (out->events_valid && strcmp(out->events[ATTEST_EVENT_COMPOSE_HASH], hex) == 0)
        return "RTMR3's replayed compose-hash event is";
    return NULL;
}

static void ev_compose_pin(const attest_policy *pol, attest_outcome *out)
{
    const char *how = NULL;
    size_t k;

    for (k = 0; out->has_quote && how == NULL && k < pol->app_compose_sha256.n; k++)
        how = ev_compose_measured(out, pol->app_compose_sha256.v[k]);
    attest_report_add(&out->report, ATTEST_CK_POLICY_APP_COMPOSE,
                      how != NULL ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL, P11TEE_E_MEASUREMENT,
                      "%s %s",
                      how != NULL ? how
                                  : "neither MRCONFIGID nor a replayed compose-hash "
                                    "event is",
                      "the SHA-256 of a pinned app_compose");
}

/* The named events the policy pins: measured only when the log replays to RTMR3. */
static void ev_event_pins(const attest_policy *pol, attest_outcome *out)
{
    size_t e, k;

    for (e = 0; e < ATTEST_EVENTS; e++) {
        if (pol->events[e].n == 0)
            continue;
        for (k = 0; out->events_valid && k < pol->events[e].n; k++)
            if (strcmp(out->events[e], pol->events[e].v[k]) == 0)
                break;
        if (out->events_valid && k < pol->events[e].n)
            attest_report_add(&out->report,
                              (attest_check_id)(ATTEST_CK_POLICY_EVENT_COMPOSE_HASH + e),
                              P11TEE_CHECK_PASS, P11TEE_OK,
                              "%s %.80s matches the policy's pin (value %zu of %zu)",
                              attest_event_names[e], out->events[e], k + 1, pol->events[e].n);
        else
            attest_report_add(
                &out->report, (attest_check_id)(ATTEST_CK_POLICY_EVENT_COMPOSE_HASH + e),
                P11TEE_CHECK_FAIL, P11TEE_E_MEASUREMENT, "%s %.80s %s", attest_event_names[e],
                out->events[e][0] ? out->events[e] : "(absent)",
                !out->events_valid ? "is not measured (the event log does not "
                                     "replay to RTMR3)"
                                   : "differs from the policy's pin");
    }
}

static void ev_measurements(const attest_evidence *ev, const attest_policy *pol,
                            attest_outcome *out)
{
    const tdx_quote *q = &out->quote;
    uint8_t sha[SHA256_DIGEST_LENGTH];
    const char *how;
    size_t i;

    if (pol->mrtd.n > 0)
        ev_pin(&out->report, ATTEST_CK_POLICY_MRTD, out->has_quote, q->mr_td, &pol->mrtd);
    for (i = 0; i < 4; i++)
        if (pol->rtmr[i].n > 0)
            ev_pin(&out->report, (attest_check_id)(ATTEST_CK_POLICY_RTMR0 + i), out->has_quote,
                   q->rtmr[i], &pol->rtmr[i]);
    if (pol->mrconfigid.n > 0)
        ev_pin(&out->report, ATTEST_CK_POLICY_MRCONFIGID, out->has_quote, q->mr_config_id,
               &pol->mrconfigid);
    if (pol->app_compose_sha256.n > 0)
        ev_compose_pin(pol, out);
    ev_event_pins(pol, out);
    if (ev->app_compose.p != NULL && out->has_quote) {
        how = digest_sha256(ev->app_compose.p, ev->app_compose.len, sha, NULL) == P11TEE_OK
                  ? ev_compose_measured(out, sha)
                  : NULL;
        attest_report_add(&out->report, ATTEST_CK_APP_COMPOSE_BINDING,
                          how != NULL ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL, P11TEE_E_MEASUREMENT,
                          "%s SHA-256 of the app_compose sent",
                          how != NULL ? how
                                      : "neither MRCONFIGID nor a replayed compose-hash "
                                        "event is");
    }
}

/* vm_config's num_gpus (the quoted VM's GPUs: 0 for Venice's gateway), or -1. */
static int ev_vm_gpus(const attest_copies *vm)
{
    json_object *root = NULL, *n = NULL;
    int gpus = -1;

    if (vm->n > 0 &&
        sjson_parse(vm->text[0].p, vm->text[0].len, SJSON_DOC_MAX, "vm_config", &root, NULL) ==
            P11TEE_OK &&
        json_object_object_get_ex(root, "num_gpus", &n) && json_object_is_type(n, json_type_int) &&
        json_object_get_int64(n) >= 0 && json_object_get_int64(n) <= 1024)
        gpus = (int)json_object_get_int64(n);
    json_object_put(root);
    return gpus;
}

/* dstack's event log replayed into RTMR3: only then do its named events say anything. */
static void ev_workload(const attest_evidence *ev, attest_outcome *out)
{
    uint8_t rtmr3[TDX_MR_BYTES];
    char got[2 * TDX_MR_BYTES + 1];
    size_t e, n = 0;
    evlog log;
    p11tee_error err;

    out->vm_num_gpus = ev_vm_gpus(&ev->vm_config);
    if (ev->event_log.n == 0 || !out->has_quote) {
        attest_report_add(&out->report, ATTEST_CK_TDX_RTMR3_REPLAY, P11TEE_CHECK_NOT_CHECKED,
                          P11TEE_OK, "%s",
                          out->has_quote ? "the response carries no event log"
                                         : "no readable quote to compare with");
        return;
    }
    if (evlog_parse(ev->event_log.text[0].p, ev->event_log.text[0].len, &log, &err) != P11TEE_OK) {
        attest_report_add(&out->report, ATTEST_CK_TDX_RTMR3_REPLAY, P11TEE_CHECK_FAIL,
                          P11TEE_E_MEASUREMENT, "%s", err.message);
        return;
    }
    for (e = 0; e < ATTEST_EVENTS; e++)
        evlog_event_text(&log, attest_event_names[e], out->events[e]);
    if (evlog_replay_rtmr3(&log, rtmr3, &n, &err) != P11TEE_OK)
        attest_report_add(&out->report, ATTEST_CK_TDX_RTMR3_REPLAY, P11TEE_CHECK_FAIL,
                          P11TEE_E_MEASUREMENT, "%s", err.message);
    else {
        out->events_valid = CRYPTO_memcmp(rtmr3, out->quote.rtmr[3], TDX_MR_BYTES) == 0;
        hex_encode(rtmr3, sizeof(rtmr3), got, sizeof(got));
        attest_report_add(&out->report, ATTEST_CK_TDX_RTMR3_REPLAY,
                          out->events_valid ? P11TEE_CHECK_PASS : P11TEE_CHECK_FAIL,
                          P11TEE_E_MEASUREMENT, "the replay of %zu IMR 3 events gives %.32s... %s",
                          n, got, out->events_valid ? "= RTMR3" : "!= the quote's RTMR3");
    }
    if (!out->events_valid) /* an unmeasured event is not shown as what the quote says */
        memset(out->events, 0, sizeof(out->events));
    evlog_free(&log);
}

/* GPUs in the payload, for the report (0 when it cannot be read). */
static int ev_gpu_count(strview payload)
{
    json_object *root = NULL, *list = NULL, *inner = NULL;
    int n = 0;

    if (sjson_parse(payload.p, payload.len, NV_PAYLOAD_MAX, "nvidia_payload", &root, NULL) !=
        P11TEE_OK)
        return 0;
    if (json_object_is_type(root, json_type_string) &&
        sjson_parse(json_object_get_string(root), (size_t)json_object_get_string_len(root),
                    NV_PAYLOAD_MAX, "nvidia_payload", &inner, NULL) == P11TEE_OK) {
        json_object_put(root);
        root = inner;
    }
    if (json_object_object_get_ex(root, "evidence_list", &list) &&
        json_object_is_type(list, json_type_array))
        n = (int)json_object_array_length(list);
    json_object_put(root);
    return n;
}

static void ev_nvidia(const attest_evidence *ev, const attest_expect *ex, const attest_policy *pol,
                      attest_outcome *out)
{
    nv_options o;
    p11tee_error e;
    p11tee_status rc;

    if (ev->nvidia_payload.p == NULL) {
        attest_report_add(&out->report, ATTEST_CK_NVIDIA_PAYLOAD, P11TEE_CHECK_NOT_CHECKED,
                          P11TEE_OK, "the attestation carries no NVIDIA GPU evidence");
        return;
    }
    memset(&o, 0, sizeof(o));
    o.at = ex->at;
    o.nonce = ex->nonce;
    o.extra_roots_pem = pol->nvidia_test_roots;
    o.extra_roots_len = pol->nvidia_test_roots_len;
    rc = nv_verify_text(ev->nvidia_payload.p, ev->nvidia_payload.len, &o, &out->report, &e);
    if (rc == P11TEE_E_INTERNAL || rc == P11TEE_E_CONFIG || rc == P11TEE_E_NOMEM)
        attest_report_add(&out->report, ATTEST_CK_NVIDIA_CHAIN, P11TEE_CHECK_FAIL,
                          P11TEE_E_ATTEST_REQUIRED, "the NVIDIA verification could not run: %s",
                          e.message);
    out->gpu_count = ev_gpu_count(ev->nvidia_payload);
}

void attest_evaluate(const attest_evidence *ev, const attest_expect *ex, const attest_policy *pol,
                     attest_outcome *out)
{
    memset(out, 0, sizeof(*out)); /* "overwritten": nothing of a previous use survives */
    ev_statements(ev, ex, &out->report);
    ev_key(ev, out);
    ev_tdx(ev, ex, pol, out);
    ev_workload(ev, out);
    ev_measurements(ev, pol, out);
    ev_nvidia(ev, ex, pol, out);
    aci_evaluate(ev, ex, pol, out);
}

p11tee_status attest_evaluate_quote(const uint8_t *data, size_t len, const attest_expect *ex,
                                    const attest_policy *pol, attest_outcome *out,
                                    p11tee_error *err)
{
    attest_evidence none;
    p11tee_status rc;

    memset(&none, 0, sizeof(none));
    memset(out, 0, sizeof(*out)); /* "overwritten": nothing of a previous use survives */
    rc = tdx_quote_load(data, len, &out->quote_buf, &out->quote_len, err);
    if (rc != P11TEE_OK) {
        /* The check's code stays in the attestation class, whatever the decoder said. */
        attest_report_add(&out->report, ATTEST_CK_TDX_QUOTE_FORMAT, P11TEE_CHECK_FAIL,
                          rc == P11TEE_E_QUOTE_UNSUPPORTED ? rc : P11TEE_E_QUOTE_FORMAT, "%s",
                          err != NULL ? err->message : p11tee_strerror(rc));
        return rc;
    }
    ev_tdx(&none, ex, pol, out);
    out->vm_num_gpus = -1;
    ev_measurements(&none, pol, out);
    return P11TEE_OK;
}

void attest_outcome_free(attest_outcome *out)
{
    if (out == NULL)
        return;
    free(out->quote_buf);
    out->quote_buf = NULL;
    out->has_quote = 0;
}
