/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * libp11tee's attestation reports: fetching and verifying a model's
 * attestation (or a saved one, or a bare quote offline), reading its checks
 * and fields, and checking a response signature against it. p11tee.h
 * includes it.
 */
#ifndef P11TEE_ATTESTATION_H
#define P11TEE_ATTESTATION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <p11tee/p11tee.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- attestation ---------------------------------------------------------- */

typedef enum p11tee_check_result {
    P11TEE_CHECK_NOT_CHECKED = 0,
    P11TEE_CHECK_PASS = 1,
    P11TEE_CHECK_FAIL = 2,
} p11tee_check_result;

/* How the policy treats a check. */
typedef enum p11tee_requirement {
    P11TEE_REQUIRED = 0,   /* must pass */
    P11TEE_IF_CHECKED = 1, /* must not fail; not checked is fine */
    P11TEE_ADVISORY = 2,   /* reported only */
} p11tee_requirement;

/* "pass", "FAIL" or "not checked": how reports and JSON name a result. */
const char *p11tee_check_result_name(p11tee_check_result result);

/* "required", "if-checked" or "advisory": the policy file's spelling (p11tee-policy(5)). */
const char *p11tee_requirement_name(p11tee_requirement requirement);

typedef struct p11tee_check {
    const char *name; /* stable id, e.g. "tdx.quote.signature" */
    p11tee_check_result result;
    p11tee_requirement requirement;
    int blocking;       /* this check makes the verdict fail */
    p11tee_status code; /* why it failed */
    const char *reason;
} p11tee_check;

/*
 * Fetch the attestation of `model` with a fresh 32-byte nonce and verify it
 * offline against the pinned roots and the policy. `*out` is set whenever
 * the evidence could be parsed, also when the verdict fails, so that the
 * report can be shown; the return value is the verdict (P11TEE_OK, or the
 * code of the first blocking check).
 */
p11tee_status p11tee_attest(p11tee_client *client, const char *model, p11tee_attestation **out,
                            p11tee_error *err);

typedef struct p11tee_offline_options {
    const char *model;      /* expected model (picks a NEAR model_attestations entry) */
    const char *nonce_hex;  /* the nonce that was sent (64 hex), or NULL: not checked */
    time_t at;              /* verification time; 0 = now */
    const char *collateral; /* TDX collateral JSON file, or NULL */
} p11tee_offline_options;

/*
 * Verify a saved attestation response (no network): a response as the
 * server sent it, or what p11tee_attestation_save() wrote (whose nonce,
 * model, time and collateral stand in for options left unset). Same
 * contract as p11tee_attest().
 */
p11tee_status p11tee_attest_offline(const p11tee_config *cfg, const char *json, size_t len,
                                    const p11tee_offline_options *opts, p11tee_attestation **out,
                                    p11tee_error *err);

/* Parse and verify a bare TDX quote (binary, hex or base64). */
p11tee_status p11tee_quote_verify(const p11tee_config *cfg, const uint8_t *data, size_t len,
                                  const p11tee_offline_options *opts, p11tee_attestation **out,
                                  p11tee_error *err);

size_t p11tee_attestation_check_count(const p11tee_attestation *a);
/* 0 on success, -1 when `index` is out of range. */
int p11tee_attestation_check(const p11tee_attestation *a, size_t index, p11tee_check *out);

/*
 * A field of the attestation, or NULL: "model", "nonce", "signing_address",
 * "signing_key", "tee_provider", "quote_version", "mrtd", "rtmr0".."rtmr3",
 * "mrconfigid", "mrowner", "mrownerconfig", "mrseam", "td_attributes",
 * "xfam", "reportdata", "tcb_status", "gpu_count", "vm_num_gpus" (the quoted
 * VM's); the events the replayed log measured: "compose_hash",
 * "os_image_hash", "key_provider", "instance_id", "app_id"; the keyset's
 * "workload_id" and "workload_keyset_digest"; "policy"; "fmspc" and "pck_ca"
 * (the platform the quote needs collateral for), "collateral" (where the
 * collateral came from), "collateral_issued" and "collateral_age_days" (how
 * old it was at the verification time), "policy_sha256" (of the policy
 * file, or of a preset written as a policy; NULL for default and strict),
 * "test_roots" ("tdx", "nvidia" or "tdx, nvidia": the policy trusts test
 * roots besides Intel's and NVIDIA's; NULL when it trusts none).
 */
const char *p11tee_attestation_get(const p11tee_attestation *a, const char *field);

/* The verdict again (as returned by the call that made `a`). */
p11tee_status p11tee_attestation_verdict(const p11tee_attestation *a, p11tee_error *err);

/* The whole report as JSON (malloc'd; free(); NULL when out of memory). */
char *p11tee_attestation_json(const p11tee_attestation *a);

/*
 * One more reference to `a` (returned), to be dropped with
 * p11tee_attestation_free(): so an attestation lent by a chat result or a
 * callback outlives them, and the client too. Only the reference count
 * changes (atomically), hence the const argument.
 */
p11tee_attestation *p11tee_attestation_ref(const p11tee_attestation *a);

/* Drop a reference; the last one frees the attestation. Accepts NULL. */
void p11tee_attestation_free(p11tee_attestation *a);

/* ---- response signatures -------------------------------------------------- */

typedef struct p11tee_signature_options {
    const uint8_t *request; /* the exact request body sent, or NULL */
    size_t request_len;
    const uint8_t *response; /* the exact response body received, or NULL */
    size_t response_len;
    /* p11tee_attestation_save() of the exchange's, or NULL: attest afresh. */
    const char *attestation;
    size_t attestation_len;
} p11tee_signature_options;

/*
 * Check the signature of `request_id` against an attestation of `model`,
 * the saved one (verified offline) or a fresh one: it must recover to the
 * attested address; a receipt is checked against the attested keyset;
 * hashes when the bytes are given. Reported like an attestation; returns
 * the verdict.
 */
p11tee_status p11tee_signature_verify(p11tee_client *client, const char *model,
                                      const char *request_id, const p11tee_signature_options *opts,
                                      p11tee_attestation **out, p11tee_error *err);

#ifdef __cplusplus
}
#endif

#endif /* P11TEE_ATTESTATION_H */
