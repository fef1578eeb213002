/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Intel's TDX collateral on its own, outside a verification: verifying a
 * document before it is cached (collateral_alone.c), the platform a quote
 * needs it for, and a document made of a PCS's answers (collateral_pcs.c).
 * Part of what the layer offers src/api/: attest.h includes it.
 */
#ifndef P11TEE_ATTEST_COLLATERAL_H
#define P11TEE_ATTEST_COLLATERAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <p11tee/error.h>

/* What collateral must be for, and how to trust it. */
typedef struct attest_collateral_want {
    const char *fmspc;      /* 12 hex digits (either case); NULL: any */
    const char *ca;         /* "platform" or "processor"; NULL: either */
    const char *test_roots; /* PEM test roots besides Intel's (the policy's); NULL: none */
    size_t test_roots_len;
    time_t at; /* 0: now */
} attest_collateral_want;

typedef struct attest_collateral_info {
    char fmspc[13];     /* the TCB info's, upper-case hex */
    char ca[16];        /* "platform" or "processor": the PCK CRL's issuer */
    time_t issued;      /* the older issueDate of the TCB info and QE identity */
    time_t next_update; /* the earliest nextUpdate of the four documents */
    char anchor[160];   /* the root they verified to, as reasons name it */
    int test_root;      /* 1: a caller-given test root, not Intel's */
} attest_collateral_info;

/*
 * Verify collateral in the dcap-qvl JSON shape on its own, before it is
 * kept: the PCK CRL's issuer chain verifies to the pinned Intel SGX Root CA
 * (or a test root), both CRLs are signed by their CA and current, the TCB
 * info and QE identity are signed by an Intel SGX TCB Signing certificate
 * under the same root and not revoked, they are TDX's (ids TDX and TD_QE),
 * for `want->fmspc` and `want->ca`, and current. Error: P11TEE_E_COLLATERAL
 * with the reason (stale, tampered, wrong FMSPC, ...).
 */
p11tee_status attest_collateral_verify(const char *json, size_t len,
                                       const attest_collateral_want *want,
                                       attest_collateral_info *info, p11tee_error *err);

/*
 * The platform a quote (binary, hex or base64) needs collateral for: its PCK
 * certificate's FMSPC (12 upper-case hex digits) and the CA that issued it
 * ("platform" or "processor"). Errors: the quote's (P11TEE_E_QUOTE_FORMAT, ...).
 */
p11tee_status attest_quote_platform(const uint8_t *data, size_t len, char fmspc[13], char ca[16],
                                    p11tee_error *err);

/* What a PCS or PCCS answered (collateral_pcs.c); the chains as their headers carry them. */
typedef struct attest_pcs_answers {
    const uint8_t *pck_crl; /* /sgx/certification/v4/pckcrl: DER, PEM or hex */
    size_t pck_crl_len;
    const char *pck_crl_chain; /* SGX-PCK-CRL-Issuer-Chain, percent-encoded PEM */
    const uint8_t *root_crl;   /* the root CA CRL: DER, PEM or hex */
    size_t root_crl_len;
    const uint8_t *tcb; /* /tdx/certification/v4/tcb: {"tcbInfo": ..., "signature": ...} */
    size_t tcb_len;
    const char *tcb_chain; /* TCB-Info-Issuer-Chain */
    const uint8_t *qe;     /* /tdx/certification/v4/qe/identity: {"enclaveIdentity": ...} */
    size_t qe_len;
    const char *qe_chain; /* SGX-Enclave-Identity-Issuer-Chain */
} attest_pcs_answers;

/*
 * The collateral document (dcap-qvl's JSON shape, what --collateral and the
 * cache hold) made of a PCS's answers, with the signed texts cut out exactly.
 * Nothing is verified here. `*json` is malloc'd. Errors:
 * P11TEE_E_COLLATERAL naming the answer that is not what PCS sends.
 */
p11tee_status attest_collateral_from_pcs(const attest_pcs_answers *a, char **json, size_t *len,
                                         p11tee_error *err);

#endif /* P11TEE_ATTEST_COLLATERAL_H */
