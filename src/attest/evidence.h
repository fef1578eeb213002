/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Evaluating an attestation (evidence.c): what a server sent, every copy of
 * an item with where it was, what the client knows independently, and the
 * outcome of every check of PROTOCOL.md section 2. Part of the attest
 * layer's interface: attest.h includes it, and src/api includes attest.h.
 */
/* First, outside the guard: attest.h includes this file where its types are due. */
#include "attest/attest.h"

#ifndef P11TEE_ATTEST_EVIDENCE_H
#define P11TEE_ATTEST_EVIDENCE_H

/* ==== evaluating an attestation (evidence.c) =============================== */

/* An item a response may carry in several places, every copy with where it was. */
#define ATTEST_COPIES_MAX 8
typedef struct attest_copies {
    strview text[ATTEST_COPIES_MAX];
    const char *where[ATTEST_COPIES_MAX];
    size_t n;
} attest_copies;

/* The ACI envelope (aci/1) of a response or of the native report: views of the parsed JSON. */
typedef struct attest_aci {
    int present; /* api_version or attestation{} seen */
    strview api_version, workload_id, keyset_digest;
    json_object *keyset;   /* attestation.workload_keyset; NULL when absent */
    json_object *evidence; /* attestation.evidence; NULL when absent */
    strview tee_type, vendor, report_data, endorsement_algo, endorsement_value;
    strview repo_url, repo_commit, image_digest; /* source_provenance: shown, not judged */
    strview quote, quote_report_data;            /* attestation.evidence */
} attest_aci;

/* What a server sent (views into the caller's parsed response). */
typedef struct attest_evidence {
    int has_verified, verified, has_debug, debug;
    strview nonce, model, signing_key, signing_address;
    const char *signing_key_field;
    strview intel_quote, nvidia_payload, app_compose;
    attest_copies quotes, app_compose_copies, event_log, vm_config;
    attest_copies keyset_keys; /* no legacy key: the keyset's E2EE keys of our algo */
    attest_aci aci;
    /* The operator's native report (aci-report-url set): `native`, or why not. */
    int native_wanted;
    attest_aci native;
    p11tee_status native_rc;
    const char *native_error;
} attest_evidence;

/* What the client knows independently of the server. */
typedef struct attest_expect {
    const char *model;      /* requested model; NULL: not compared */
    const uint8_t *nonce;   /* the P11TEE_NONCE_BYTES sent; NULL: freshness not checked */
    time_t at;              /* verification time; 0: now */
    const char *collateral; /* overrides the policy's collateral; NULL: none */
    size_t collateral_len;
    const char *collateral_why; /* without collateral: why there is none (for the report) */
} attest_expect;

typedef struct attest_outcome {
    attest_report report;
    uint8_t *quote_buf; /* the decoded quote; `quote` points into it */
    size_t quote_len;
    tdx_quote quote;
    int has_quote;
    tdx_verdict tdx;
    uint8_t model_key[P11TEE_PUBKEY_BYTES], address[ETH_ADDRESS_BYTES]; /* address of the key */
    strview model_key_text; /* the key as received: signing_key, or the keyset entry chosen */
    int has_model_key, has_address;
    int gpu_count, vm_num_gpus; /* vm_num_gpus: vm_config's num_gpus; -1 unknown */
    int events_valid;           /* the event log replays to RTMR3: the events below are measured */
    char events[ATTEST_EVENTS][ATTEST_EVENT_TEXT_MAX]; /* payloads (hex or text); "" absent */
    char keyset_digest[80], workload_id[80];           /* recomputed; "" without a keyset */
    int keyset_anchored; /* the native report bound this keyset to a quote and our nonce */
} attest_outcome;

/* Run every check of PROTOCOL.md section 2 and record it; `out` is overwritten. */
void attest_evaluate(const attest_evidence *ev, const attest_expect *ex, const attest_policy *pol,
                     attest_outcome *out);
/*
 * A bare quote (binary, hex or base64, as tdx_quote_load() reads it):
 * authenticity checks and the policy's pins. A quote that cannot be loaded
 * is recorded as a failed tdx.quote.format and returned as the error.
 */
p11tee_status attest_evaluate_quote(const uint8_t *data, size_t len, const attest_expect *ex,
                                    const attest_policy *pol, attest_outcome *out,
                                    p11tee_error *err);
void attest_outcome_free(attest_outcome *out);

#endif /* P11TEE_ATTEST_EVIDENCE_H */
