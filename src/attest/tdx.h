/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * TDX quotes, internal to src/attest: parsing (tdx.c), offline verification
 * (tdx_verify.c), the collateral's authenticity (collateral.c), what it says
 * about the quote (tdx_tcb.c) and the PCK certificate's SGX extension
 * (tdx_pck.c). The quote structure itself is in attest.h, since src/api
 * shows its measurements.
 *
 * The files call each other one way only:
 *   tdx_verify.c -> collateral.c -> tdx_tcb.c -> tdx_pck.c
 * collateral.c decides which documents are authentic and hands them to
 * tdx_tcb.c, which knows nothing of where they came from.
 */
#ifndef P11TEE_ATTEST_TDX_H
#define P11TEE_ATTEST_TDX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "attest/attest.h"
#include "attest/pki.h"

/* PROTOCOL.md section 6. Multi-byte fields are little-endian as in the quote. */
#define TDX_HEADER_BYTES     48
#define TDX_DESCRIPTOR_BYTES 6
#define TDX_BODY10_BYTES     584 /* body type 2, TDX 1.0 */
#define TDX_BODY15_BYTES     648 /* body type 3, TDX 1.5 */
#define TDX_QE_REPORT_BYTES  384 /* an SGX report */
#define TDX_QE_REPORTDATA_AT 320 /* its REPORTDATA, whose first half binds the attestation key */
#define TDX_ECDSA_SIG_BYTES  64  /* raw r || s on P-256 */
#define TDX_ECDSA_KEY_BYTES  64  /* raw X || Y on P-256 */
/* REPORTDATA: the signing address, zeros up to the nonce, the nonce. */
#define TDX_REPORTDATA_NONCE_AT 32
/* Bounds on what a peer can make us decode; real quotes are about 5 KB. */
#define TDX_QUOTE_MAX (256 * 1024)

_Static_assert(TDX_REPORTDATA_NONCE_AT + P11TEE_NONCE_BYTES == TDX_REPORTDATA_BYTES,
               "REPORTDATA ends with the attestation nonce");
_Static_assert(ETH_ADDRESS_BYTES <= TDX_REPORTDATA_NONCE_AT,
               "the signing address fits before the nonce in REPORTDATA");
_Static_assert(SHA256_DIGEST_LENGTH == TDX_REPORTDATA_BYTES - TDX_REPORTDATA_NONCE_AT,
               "the SHA-256 nonce fallback fills the nonce half of REPORTDATA");
_Static_assert(SHA256_DIGEST_LENGTH <= TDX_QE_REPORT_BYTES - TDX_QE_REPORTDATA_AT,
               "the QE's key binding fits in its REPORTDATA");

/*
 * Parse a binary quote v4/v5 (body types 2 and 3; one certification-data
 * layout: type 6 wrapping type 5). Total and bounded: every length is checked
 * before use. Errors: P11TEE_E_QUOTE_FORMAT (truncated or inconsistent),
 * P11TEE_E_QUOTE_UNSUPPORTED (version, key type, TEE type, body or
 * certification-data type this code does not read).
 */
p11tee_status tdx_quote_parse(const uint8_t *in, size_t len, tdx_quote *q, p11tee_error *err);

/*
 * The transport forms of a quote: hex (with or without 0x), base64 or
 * base64url; surrounding whitespace is ignored. `*out` is malloc'd.
 */
p11tee_status tdx_quote_decode(const char *text, size_t len, uint8_t **out, size_t *outlen,
                               p11tee_error *err);

/*
 * A quote file as `p11tee quote FILE` reads it: a binary quote (any byte
 * that is not printable text) is copied as is, otherwise the text is
 * decoded as by tdx_quote_decode(). `*out` is malloc'd.
 */
p11tee_status tdx_quote_load(const uint8_t *data, size_t len, uint8_t **out, size_t *outlen,
                             p11tee_error *err);

typedef struct tdx_verify_opts {
    time_t at;              /* verification time; 0: now */
    const char *collateral; /* collateral JSON (vector shape); NULL: not checked */
    size_t collateral_len;
    const char *extra_roots_pem; /* test roots only, PEM; NULL: Intel's root alone */
    size_t extra_roots_len;
    const uint8_t *address;        /* ETH_ADDRESS_BYTES expected in REPORTDATA; NULL: not checked */
    const uint8_t *nonce;          /* P11TEE_NONCE_BYTES; NULL: not checked */
    int allow_nonce_sha256;        /* accept REPORTDATA[32:64] == SHA-256(hex of nonce) */
    unsigned accepted_tcb;         /* TDX_TCB_BIT() set; 0: UpToDate only */
    int max_age_days;              /* the collateral's oldest accepted issue; 0: no limit */
    const char *no_collateral_why; /* NULL: "no collateral given" */
} tdx_verify_opts;

/*
 * Verify a parsed quote offline and record the checks from TDX_CHECK_FIRST
 * to TDX_CHECK_END in `rep`, all of them, in that order. Returns P11TEE_OK
 * when no TDX check failed; otherwise the code of the first failed check,
 * with `err` naming it. P11TEE_E_INTERNAL when the built-in Intel root does
 * not match its pinned fingerprint (then nothing is recorded). `verdict` may
 * be NULL.
 */
p11tee_status tdx_verify(const tdx_quote *q, const tdx_verify_opts *opts, attest_report *rep,
                         tdx_verdict *verdict, p11tee_error *err);

/* Load the built-in Intel SGX Root CA and check its SHA-256 fingerprint. */
p11tee_status tdx_root_check(p11tee_error *err);

/*
 * The checks tdx_verify() records, a range of the check table: from
 * TDX_COLLATERAL_FIRST on they need collateral (without it they are "not
 * checked"). tdx.quote.format, before the range, is evidence.c's.
 */
#define TDX_CHECK_FIRST      ATTEST_CK_TDX_QUOTE_HEADER
#define TDX_COLLATERAL_FIRST ATTEST_CK_TDX_COLLATERAL_FORMAT
#define TDX_CHECK_END        (ATTEST_CK_TDX_TCB_STATUS + 1)
#define TDX_CHECK_COUNT      (TDX_CHECK_END - TDX_CHECK_FIRST)

/* ---- internal to the TDX files -------------------------------------------- */

/* The PCK chain as verified (all NULL when it did not verify). */
typedef struct tdx_pck {
    X509 *leaf;
    X509 *ca;     /* Intel SGX PCK Platform/Processor CA */
    X509 *anchor; /* the root it verified to */
} tdx_pck;

/* tdx_verify.c: the built-in Intel SGX Root CA plus the caller's test roots, at `at`. */
p11tee_status tdx_trust_init(attest_trust *t, const char *extra_pem, size_t extra_len, time_t at,
                             p11tee_error *err);

/* collateral.c: the collateral document, parsed (the CRLs decoded, the signed texts parsed). */
typedef struct tdx_collateral {
    struct json_object *root;
    X509_CRL *root_crl; /* issued by the root CA */
    X509_CRL *pck_crl;  /* issued by the PCK Platform/Processor CA */
    struct json_object *tcb_info;
    struct json_object *qe_identity;
} tdx_collateral;
/* 1, or 0 with `why` naming the field to fix; tdx_collateral_free() either way. */
int tdx_collateral_parse(tdx_collateral *c, const char *text, size_t len, char *why, size_t wl);
void tdx_collateral_free(tdx_collateral *c);
/* NULL when `crl` is issued and signed by `issuer` and current at `at`; else what is wrong. */
const char *tdx_crl_problem(X509_CRL *crl, X509 *issuer, time_t at);
/*
 * The signed document `what` ("tcb_info", "qe_identity"): its issuer chain
 * verifies to a trust anchor of `t` (`want_anchor` when not NULL), its signer
 * is an "Intel SGX TCB Signing" end-entity certificate issued by that root
 * and, when `root_crl_ok`, not revoked by the root CRL, and its signature
 * covers the exact text. 1, or 0; `why` says which, either way.
 */
int tdx_collateral_signed(const tdx_collateral *c, const attest_trust *t, X509 *want_anchor,
                          int root_crl_ok, const char *what, char *why, size_t wl);

/* collateral.c: the checks from TDX_COLLATERAL_FIRST on. */
void tdx_check_collateral(const tdx_quote *q, const tdx_verify_opts *o, const attest_trust *t,
                          const tdx_pck *pck, attest_report *rep, tdx_verdict *v);

struct json_object;
/* tdx_tcb.c: the string member `key` of `obj` with its length, or NULL (sjson_get_str()). */
const char *tdx_json_str(struct json_object *obj, const char *key, size_t *len);
/* tdx_tcb.c: a document's issueDate and nextUpdate; 1 when both are well-formed. */
int tdx_doc_dates(struct json_object *doc, time_t *issue, time_t *next);
/*
 * tdx_tcb.c: what authentic TCB info and QE identity say about the quote
 * (dates, FMSPC, QE identity, TDX module, TCB status). A NULL document (not
 * authentic) leaves the checks that need it not checked.
 */
void tdx_check_tcb(const tdx_quote *q, X509 *pck_leaf, struct json_object *tcb_info,
                   struct json_object *qe_identity, const tdx_verify_opts *o, time_t at,
                   attest_report *rep, tdx_verdict *v);

/* tdx_pck.c: the PCK certificate's SGX extension. */
typedef struct tdx_pck_tcb {
    uint8_t fmspc[6];
    uint8_t pceid[2];
    uint8_t comp[16]; /* SGX TCB component SVNs */
    unsigned pcesvn;
} tdx_pck_tcb;
/* 1 when `leaf` carries a complete, well-formed SGX extension; 0 otherwise. */
int tdx_pck_tcb_read(X509 *leaf, tdx_pck_tcb *out);

#endif /* P11TEE_ATTEST_TDX_H */
