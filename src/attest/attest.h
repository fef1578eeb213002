/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * attest/: offline verification of what a confidential-AI server presents,
 * and the policy that decides whether to trust it. This header is what the
 * layer offers to src/api: the report of named checks (checks.h), the
 * policy, the evaluation of an attestation or a bare quote with what it
 * found (the quote's measurements, the model key and its address), and the
 * verification of a response signature.
 *
 * Inside the layer, one header per module: pki.h (certificates and
 * signatures both verifiers share), tdx.h (TDX quotes and collateral),
 * nvidia.h (GPU evidence), eth.h (Keccak, addresses, EIP-191), policy.h
 * (the policy file's parts) and workload.h (event log, ACI, Ed25519).
 */
#ifndef P11TEE_ATTEST_H
#define P11TEE_ATTEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/sha.h>

#include "p11tee/p11tee.h"

#include "attest/checks.h"
#include "attest/collateral.h"
#include "common/common.h"

/* ==== sizes this interface shows =========================================== */

#define TDX_MR_BYTES         48 /* a TDX measurement register (SHA-384) */
#define TDX_REPORTDATA_BYTES 64 /* signing address, zeros, nonce (PROTOCOL.md section 2) */
#define ETH_ADDRESS_BYTES    20 /* the signing key's address, also in REPORTDATA */
#define TDX_COLLATERAL_MAX   (1024 * 1024) /* collateral JSON a caller may hand over (~30 KB) */

/* ==== the report (report.c) ================================================ */

#define ATTEST_MAX_CHECKS 96
#define ATTEST_NAME_MAX   48 /* longest check name or policy pattern, NUL included */
#define ATTEST_REASON_MAX P11TEE_ERROR_MESSAGE_MAX /* an error message fits a reason */

_Static_assert(ATTEST_CK_COUNT < ATTEST_MAX_CHECKS,
               "a report holds every check once; report.overflow is a defence, not a limit");

typedef struct attest_check {
    attest_check_id id;
    const char *name; /* attest_check_name(id) */
    p11tee_check_result result;
    p11tee_status code;             /* why it failed; P11TEE_OK otherwise */
    char reason[ATTEST_REASON_MAX]; /* one line for a person */
} attest_check;

typedef struct attest_report {
    attest_check checks[ATTEST_MAX_CHECKS];
    size_t count;
} attest_report;

void attest_report_init(attest_report *rep);

/*
 * Record one check. A second record of the same check replaces the first
 * (so a later, more precise finding wins). Beyond ATTEST_MAX_CHECKS records
 * are dropped and the report is marked by a failing "report.overflow".
 */
void attest_report_add(attest_report *rep, attest_check_id id, p11tee_check_result result,
                       p11tee_status code, const char *fmt, ...) P11TEE_PRINTF(5, 6);

/* The check of that name, or NULL. The first failed check, or NULL when none failed. */
const attest_check *attest_report_find(const attest_report *rep, const char *name);
const attest_check *attest_report_first_failure(const attest_report *rep);

/*
 * The first failed check of the areas in `areas` (ATTEST_AREA_BIT()s), as a
 * status with `err` saying "<what> check <name> failed: <reason>"; P11TEE_OK
 * when there is none.
 */
p11tee_status attest_report_first_failure_in(const attest_report *rep, unsigned areas,
                                             const char *what, p11tee_error *err);

/* ==== what a TDX quote says (tdx.c parses it; tdx.h verifies it) =========== */

typedef struct tdx_span {
    const uint8_t *ptr;
    size_t len;
} tdx_span;

/*
 * A parsed quote (PROTOCOL.md section 6; multi-byte fields little-endian as
 * in the quote). Header and TD report fields are copies (they outlive the
 * input); the signature-data fields are views into the caller's buffer and
 * live only as long as it does.
 */
typedef struct tdx_quote {
    uint16_t version;      /* 4 or 5 */
    uint16_t att_key_type; /* 2: ECDSA P-256 */
    uint32_t tee_type;     /* 0x81: TDX */
    uint8_t qe_vendor_id[16];
    uint8_t user_data[20];
    uint16_t body_type; /* 2: TDX 1.0, 3: TDX 1.5 (v4 quotes: always 2) */
    uint32_t body_size; /* 584 or 648 */

    uint8_t tee_tcb_svn[16];
    uint8_t mr_seam[TDX_MR_BYTES];
    uint8_t mr_signer_seam[TDX_MR_BYTES];
    uint8_t seam_attributes[8];
    uint8_t td_attributes[8]; /* byte 0 bit 0: DEBUG */
    uint8_t xfam[8];
    uint8_t mr_td[TDX_MR_BYTES];
    uint8_t mr_config_id[TDX_MR_BYTES];
    uint8_t mr_owner[TDX_MR_BYTES];
    uint8_t mr_owner_config[TDX_MR_BYTES];
    uint8_t rtmr[4][TDX_MR_BYTES];
    uint8_t report_data[TDX_REPORTDATA_BYTES];
    uint8_t tee_tcb_svn2[16];            /* TDX 1.5 only; zero for 1.0 */
    uint8_t mr_service_td[TDX_MR_BYTES]; /* TDX 1.5 only; zero for 1.0 */

    tdx_span signed_region;       /* header || [descriptor] || body */
    const uint8_t *signature;     /* raw r || s (TDX_ECDSA_SIG_BYTES) */
    const uint8_t *attest_key;    /* raw X || Y on P-256 (TDX_ECDSA_KEY_BYTES) */
    const uint8_t *qe_report;     /* TDX_QE_REPORT_BYTES: SGX report of the quoting enclave */
    const uint8_t *qe_report_sig; /* raw r || s by the PCK leaf (TDX_ECDSA_SIG_BYTES) */
    tdx_span qe_auth_data;
    tdx_span pck_chain; /* PEM leaf -> intermediate -> root, as carried */
    size_t used;        /* quote length; input bytes beyond it are padding */
} tdx_quote;

/* Intel's TCB status names, in this order. */
typedef enum tdx_tcb_status {
    TDX_TCB_UNKNOWN = 0, /* not evaluated (no collateral) or no level matched */
    TDX_TCB_UP_TO_DATE,
    TDX_TCB_SW_HARDENING_NEEDED,
    TDX_TCB_CONFIGURATION_NEEDED,
    TDX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
    TDX_TCB_OUT_OF_DATE,
    TDX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
    TDX_TCB_REVOKED,
} tdx_tcb_status;

#define TDX_TCB_BIT(s) (1u << (unsigned)(s))

/* "UpToDate", "SWHardeningNeeded", ...; "Unknown" for TDX_TCB_UNKNOWN. */
const char *tdx_tcb_status_name(tdx_tcb_status s);
/* Exact, case-sensitive Intel name -> status; P11TEE_E_INVALID_ARG otherwise. */
p11tee_status tdx_tcb_status_from_name(const char *name, tdx_tcb_status *out, p11tee_error *err);

typedef struct tdx_verdict {
    tdx_tcb_status tcb;       /* TDX_TCB_UNKNOWN without collateral */
    int test_root;            /* 1: the PCK chain ends at a caller-given (test) root */
    time_t collateral_issued; /* the older issueDate of the authentic TCB info and QE
                                 identity; 0: none */
} tdx_verdict;

/* ==== the policy (policy.c), p11tee-policy(5) ================================ */

#define ATTEST_POLICY_RULES_MAX  128
#define ATTEST_POLICY_MODELS_MAX 64  /* per-model sections in one policy */
#define ATTEST_MODEL_NAME_MAX    128 /* a model id a section names, NUL included */

/* "name", "prefix.*" or "*"; the most specific pattern wins, later rules win ties. */
typedef struct attest_rule {
    char pattern[ATTEST_NAME_MAX];
    p11tee_requirement req;
} attest_rule;

/* The named dstack events (RTMR3) a report shows and a policy pins, in this order. */
enum {
    ATTEST_EVENT_COMPOSE_HASH,
    ATTEST_EVENT_OS_IMAGE_HASH,
    ATTEST_EVENT_KEY_PROVIDER,
    ATTEST_EVENT_INSTANCE_ID,
    ATTEST_EVENT_APP_ID,
    ATTEST_EVENTS
};
extern const char *const attest_event_names[ATTEST_EVENTS]; /* "compose-hash", ... */
#define ATTEST_EVENT_TEXT_MAX 257 /* a payload as hex (or JSON text), NUL included */
#define ATTEST_PIN_VALUES_MAX 16  /* accepted values of one pin (a rolling upgrade) */

/* The values a pin accepts (any one of them passes); n == 0: not pinned. */
typedef struct attest_pin {
    size_t n;
    uint8_t v[ATTEST_PIN_VALUES_MAX][TDX_MR_BYTES]; /* SHA-256 pins use the first 32 */
} attest_pin;

typedef struct attest_event_pin {
    size_t n;
    char v[ATTEST_PIN_VALUES_MAX][ATTEST_EVENT_TEXT_MAX]; /* lowercase hex, or the text */
} attest_event_pin;

/* Where the TDX collateral comes from (tdx.collateral in p11tee-policy(5)). */
typedef enum attest_collateral_source {
    ATTEST_COLL_DEFAULT = 0, /* the collateral cache, when it holds the quote's platform's */
    ATTEST_COLL_FILE,        /* the file the policy names (collateral, collateral_len) */
    ATTEST_COLL_CACHE,       /* the cache, always: no entry means the checks are not done */
    ATTEST_COLL_OFF,         /* none: the collateral checks are not done */
} attest_collateral_source;

typedef struct attest_policy {
    attest_rule rules[ATTEST_POLICY_RULES_MAX]; /* built-in defaults, then the file's */
    size_t nrules;
    attest_pin mrtd, rtmr[4], mrconfigid, app_compose_sha256;
    attest_event_pin events[ATTEST_EVENTS];
    unsigned accepted_tcb;  /* TDX_TCB_BIT() set; default UpToDate */
    int allow_nonce_sha256; /* the named REPORTDATA fallback */
    char *tdx_test_roots;   /* PEM; reference-server test chains only */
    size_t tdx_test_roots_len;
    char *nvidia_test_roots;
    size_t nvidia_test_roots_len;
    char *tdx_test_root_files, *nvidia_test_root_files; /* their absolute paths, a line each */
    char *collateral; /* TDX collateral JSON, from tdx.collateral.file (or collateral_file) */
    size_t collateral_len;
    attest_collateral_source collateral_source;
    char *collateral_cache;    /* the directory tdx.collateral.cache names; NULL: configured */
    char collateral_name[256]; /* the policy's collateral file, as reports name it */
    int max_age_days;          /* tdx.collateral.max_age_days; 0: no limit */
    int tee_chat_requires_attestation;         /* default 1 */
    char source[256];                          /* "built-in default" or the file's path */
    char sha256[2 * SHA256_DIGEST_LENGTH + 1]; /* of the policy file's bytes; "" built in */
    struct attest_model_section *models;       /* "models": applied by attest_policy_for_model() */
    size_t nmodels;
    char *base_dir; /* the policy file's directory (files it names are read from it); NULL */
    char model[ATTEST_MODEL_NAME_MAX]; /* the section applied; "" for the defaults */
    char preset[32];                   /* the preset it starts from; "" none */
} attest_policy;

/* The defaults come from the check table (checks.c). */
p11tee_status attest_policy_default(attest_policy **out, p11tee_error *err);
/* A preset by name ("default", "strict"); 0 when there is no such preset. */
int attest_policy_is_preset(const char *name);
/*
 * `path` names a preset or a file; files the policy names are read relative
 * to its directory. Error: P11TEE_E_POLICY.
 */
p11tee_status attest_policy_load(const char *path, attest_policy **out, p11tee_error *err);
p11tee_status attest_policy_parse(const char *json, size_t len, const char *base_dir,
                                  attest_policy **out, p11tee_error *err);
/*
 * policy_models.c: the policy for `model`: the defaults with the policy's
 * section "models": {"MODEL": {...}} applied on top (its check rules win
 * ties; each tdx member it names replaces the defaults'). *out is NULL when
 * the policy has no section for `model` (use `base`). Error: P11TEE_E_POLICY.
 */
p11tee_status attest_policy_for_model(const attest_policy *base, const char *model,
                                      attest_policy **out, p11tee_error *err);
/* presets.c: the text of a preset written as a policy ("strict-with-collateral"), or NULL. */
const char *attest_policy_preset(const char *name);
void attest_policy_free(attest_policy *p);
p11tee_requirement attest_policy_requirement(const attest_policy *p, const char *name);
/* Add a rule after the others (so it wins ties). Error: P11TEE_E_POLICY. */
p11tee_status attest_policy_add_rule(attest_policy *p, const char *pattern, p11tee_requirement r,
                                     p11tee_error *err);
/* 1 when a check with this result makes the verdict fail under `r`. */
int attest_check_blocks(const attest_check *c, p11tee_requirement r);
/*
 * The verdict: P11TEE_OK, or for the first blocking check its code (a
 * failure) or P11TEE_E_ATTEST_REQUIRED (a required check not performed),
 * with a message naming the check.
 */
p11tee_status attest_verdict(const attest_report *rep, const attest_policy *p, p11tee_error *err);

/* Evaluating a response's evidence: evidence.h. */
#include "attest/evidence.h"

/* ==== response signatures (eth.c) ========================================== */

/* A /tee/signature response and what the client knows, for eth_verify_response(). */
typedef struct eth_response_sig {
    const char *text; /* "text" as received */
    size_t text_len;
    const char *signature; /* "signature" (or its "value" in the object form) */
    size_t signature_len;
    const char *signing_address; /* as the response states it; NULL: absent */
    size_t signing_address_len;
    const uint8_t *attested_address; /* ETH_ADDRESS_BYTES from a verified attestation */
    const char *model;               /* expected model id; NULL: not compared */
    const uint8_t *request;          /* exact request body bytes; NULL: unknown */
    size_t request_len;
    const uint8_t *response; /* exact response body bytes; NULL: unknown */
    size_t response_len;
} eth_response_sig;

/*
 * Verify a response signature and record the checks of the response
 * signature area (checks.c). Advisory ones (by default) fail on a mismatch
 * but do not change the result: returns P11TEE_OK when the text and
 * signature parse and recover to the attested address, else the code of the
 * first such failure (P11TEE_E_SIGNATURE_FORMAT, P11TEE_E_SIGNATURE_MISMATCH)
 * with `err` naming it.
 */
p11tee_status eth_verify_response(const eth_response_sig *in, attest_report *rep,
                                  p11tee_error *err);

/* ==== ACI receipts (receipt.c) ============================================== */

typedef struct attest_receipt_in {
    json_object *receipt;      /* the signature response's "receipt"; NULL: none came */
    json_object *keyset;       /* the attested workload keyset; NULL: none */
    const attest_outcome *att; /* the attestation (digest, workload id, anchor) */
    int native_configured;     /* an anchor was sought (aci-report-url) */
    const char *request_id;    /* the chat completion id asked for */
    const uint8_t *request;    /* exact request body bytes; NULL: unknown */
    size_t request_len;
    const uint8_t *response; /* exact response body bytes; NULL: unknown */
    size_t response_len;
} attest_receipt_in;

/* Record the receipt.* and upstream.* checks (not checked, said why, when no receipt came). */
void attest_verify_receipt(const attest_receipt_in *in, attest_report *rep);

#endif /* P11TEE_ATTEST_H */
