/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * libp11tee and what an operator or an auditor keeps: saved attestations
 * and policies pinning what was verified (`p11tee attest --save,
 * --emit-policy`), Intel's TDX collateral, fetched, verified and cached
 * (`p11tee collateral`), and the hash-chained audit log a gateway appends
 * to (`p11tee audit verify`). p11tee.h includes it.
 */
#ifndef P11TEE_AUDIT_H
#define P11TEE_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <p11tee/p11tee.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- saved attestations and emitted policies -------------------------------- */

/*
 * What the attestation relied on, to keep with an exchange or for an audit
 * (malloc'd JSON; free()): {"p11tee_saved_attestation": 1, "p11tee",
 * "model", "nonce", "fetched_at" (seconds since 1970), "verdict", "policy",
 * "policy_sha256" (of the policy file; null for a built-in one),
 * "collateral_source", "collateral" (the document the verification used, or
 * null), "response" (the server's exact response), "aci_report" (the native
 * ACI report, or null)}. Keys rotate: check a signature against it later
 * (p11tee_signature_options.attestation); p11tee_attest_offline() verifies
 * it again as of when it was fetched. NULL for a bare quote, or out of
 * memory.
 */
char *p11tee_attestation_save(const p11tee_attestation *a);

/*
 * A policy that pins what `a` verified, for review (malloc'd JSON; free()):
 * {"version": 1, "models": {MODEL: {"tdx": {"mrtd", "rtmr0".."rtmr2",
 * "mrconfigid", "app_compose_sha256" (when the app_compose sent is
 * measured), "events" (compose-hash, os-image-hash, key-provider, app-id,
 * when the event log replayed), "accepted_tcb_statuses"}, "checks":
 * {"tdx.tcb.status": "required"} (when it was evaluated)}}}, each pin a list
 * of one value; the judging policy's preset, test roots and collateral carry
 * over. NULL when the verdict failed, for a bare quote, or out of memory.
 */
char *p11tee_attestation_emit_policy(const p11tee_attestation *a);

/* ---- Intel TDX collateral ---------------------------------------------------- */

/*
 * Intel's collateral (TCB info, QE identity, CRLs and their issuer chains)
 * lets the verifier check a quote's TCB status and revocation; it expires
 * about monthly. The cache holds one verified document per platform (FMSPC
 * and PCK CA) in collateral-cache; verifications use it when the policy
 * says so (by default, whenever it holds the quote's platform's).
 */
typedef struct p11tee_collateral_info {
    char fmspc[13];     /* 12 upper-case hex digits */
    char ca[16];        /* "platform" or "processor": the PCK CA */
    time_t issued;      /* the older issueDate of the TCB info and QE identity */
    time_t next_update; /* the earliest nextUpdate of the documents: refresh before */
    char anchor[160];   /* the root the documents verified to */
    int test_root;      /* 1: a test root of the policy, not Intel's */
    char path[1024];    /* the cache file */
} p11tee_collateral_info;

/*
 * Fetch the collateral of the platform `fmspc` (12 hex digits) whose PCK
 * certificates the `ca` CA issues ("platform", the default when NULL, or
 * "processor") from collateral-url through the configured proxy and CA
 * file, verify it at `at` (0: now) against the pinned Intel SGX Root CA (or
 * the configured policy's test roots), and only then write it into the
 * cache. Errors: the network's and the server's (P11TEE_E_NET_*,
 * P11TEE_E_HTTP), P11TEE_E_COLLATERAL (stale, tampered, for another
 * platform: nothing is written), P11TEE_E_IO (the cache cannot be written),
 * P11TEE_E_POLICY_FILE, P11TEE_E_INVALID_ARG.
 */
p11tee_status p11tee_collateral_fetch(const p11tee_config *cfg, const char *fmspc, const char *ca,
                                      time_t at, p11tee_collateral_info *info, p11tee_error *err);

/* What the cache holds for a platform, verified again at `at`. Errors as above, no network. */
p11tee_status p11tee_collateral_cached(const p11tee_config *cfg, const char *fmspc, const char *ca,
                                       time_t at, p11tee_collateral_info *info, p11tee_error *err);

/* The cache directory `cfg` selects, written into `buf` (returned). */
const char *p11tee_collateral_dir(const p11tee_config *cfg, char *buf, size_t cap);

/* The platforms the cache holds, as "FMSPC:ca" strings; how many were written. */
size_t p11tee_collateral_platforms(const p11tee_config *cfg, char (*out)[24], size_t max);

/* ---- audit log ---------------------------------------------------------------- */

/*
 * An append-only audit log a gateway keeps: one JSON object per line (ids,
 * hashes and verdicts; never a prompt or an answer), each with its sequence
 * number "seq" and "prev", the SHA-256 of the line before it (64 zeros for
 * the first), so that a line deleted or edited before the last one breaks
 * the chain. Lines removed from the end cannot be told from a shorter log:
 * compare the head (the last line's hash) with one recorded elsewhere.
 */
typedef struct p11tee_audit_log p11tee_audit_log;

/*
 * Open (or create, mode 0640) the log at `path` for appending, after
 * checking the chain of what it holds. P11TEE_E_IO when it cannot be opened
 * or does not verify (a log that broke is kept as evidence; start another).
 */
p11tee_status p11tee_audit_log_open(const char *path, p11tee_audit_log **out, p11tee_error *err);
void p11tee_audit_log_close(p11tee_audit_log *log);

/*
 * Append an attestation: model, nonce, verdict (and failure code), TCB
 * status, signing address, MRTD, RTMR3, FMSPC, collateral age, policy and
 * its SHA-256, and the SHA-256 of the whole report. Thread-safe. A line
 * is written whole or not at all: on an error (P11TEE_E_NOMEM when a field
 * or a hash could not be made, P11TEE_E_IO) the log is as it was.
 */
p11tee_status p11tee_audit_log_attestation(p11tee_audit_log *log, const p11tee_attestation *a,
                                           p11tee_error *err);

typedef struct p11tee_audit_request {
    const char *request_id; /* the server's id, or NULL */
    const char *model;
    const char *client; /* the local caller, as the gateway names it, or NULL */
    int e2ee;
    p11tee_status status;   /* the outcome */
    const uint8_t *request; /* hashed, never written; NULL: not known */
    size_t request_len;
    const char *request_sha256; /* or its SHA-256 as hex, when the bytes are gone; or NULL */
    const uint8_t *response;    /* hashed, never written; NULL: not known */
    size_t response_len;
    const char *attestation; /* the nonce of the attestation relied on (its id), or NULL */
} p11tee_audit_request;

/* Append a request (hashes and ids only), whole or not at all as above. Thread-safe. */
p11tee_status p11tee_audit_log_request(p11tee_audit_log *log, const p11tee_audit_request *r,
                                       p11tee_error *err);

typedef struct p11tee_audit_verdict {
    int ok;                      /* the whole chain holds */
    unsigned long long lines;    /* lines read (up to the first bad one) */
    unsigned long long bad_line; /* the first line that breaks it; 0 when ok */
    char head[65];               /* SHA-256 of the last line (ok only) */
    char message[256];           /* why it does not hold */
} p11tee_audit_verdict;

/*
 * Check a log's chain. P11TEE_OK with `v` filled (v->ok says the outcome);
 * P11TEE_E_IO, or P11TEE_E_NOMEM: no verdict, `v` zeroed.
 */
p11tee_status p11tee_audit_log_verify(const char *path, p11tee_audit_verdict *v, p11tee_error *err);

#ifdef __cplusplus
}
#endif

#endif /* P11TEE_AUDIT_H */
