/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * attest/: offline verification of what a confidential-AI server presents.
 * Every verifier records its findings in an attest_report, check by check
 * (stable names such as "tdx.quote.signature"), each pass / fail / not
 * checked with a reason. The policy (policy.c) then decides which checks are
 * required. Parsers here are pure functions over caller-owned buffers.
 */
#ifndef P11TEE_ATTEST_H
#define P11TEE_ATTEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/common.h"

/* ==== report (report.c) ==================================================== */

typedef enum attest_result {
    ATTEST_NOT_CHECKED = 0,
    ATTEST_PASS = 1,
    ATTEST_FAIL = 2,
} attest_result;

#define ATTEST_MAX_CHECKS 96
#define ATTEST_NAME_MAX   48
#define ATTEST_REASON_MAX 256

typedef struct attest_check {
    char name[ATTEST_NAME_MAX]; /* stable id, e.g. "tdx.quote.signature" */
    attest_result result;
    p11tee_status code;             /* why it failed; P11TEE_OK otherwise */
    char reason[ATTEST_REASON_MAX]; /* one line for a person */
} attest_check;

typedef struct attest_report {
    attest_check checks[ATTEST_MAX_CHECKS];
    size_t count;
} attest_report;

void attest_report_init(attest_report *rep);

/*
 * Record one check. A second record under the same name replaces the first
 * (so a later, more precise finding wins). Beyond ATTEST_MAX_CHECKS records
 * are dropped and the report is marked by a failing "report.overflow".
 */
void attest_report_add(attest_report *rep, const char *name, attest_result result,
                       p11tee_status code, const char *fmt, ...) P11TEE_PRINTF(5, 6);

/* The check of that name, or NULL. */
const attest_check *attest_report_find(const attest_report *rep, const char *name);

/* The first failed check, or NULL when none failed. */
const attest_check *attest_report_first_failure(const attest_report *rep);

const char *attest_result_name(attest_result result);

/*
 * The first failed check whose name starts with `prefix` ("tdx."), as a
 * status with `err` saying "<what> check <name> failed: <reason>"; P11TEE_OK
 * when there is none.
 */
p11tee_status attest_report_first_failure_in(const attest_report *rep, const char *prefix,
                                             const char *what, p11tee_error *err);

/* ==== certificates and signatures shared by the verifiers (pki.c) ============ */

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Trust anchors and time of one verification. */
typedef struct attest_trust {
    X509 *root;            /* built in, fingerprint-checked */
    const char *root_name; /* how reasons name it */
    STACK_OF(X509) *extra; /* caller-given test roots (may be empty) */
    time_t at;
} attest_trust;

/* Root from PEM, refused unless SHA-256(DER) == fp: P11TEE_E_INTERNAL naming `name`. */
p11tee_status attest_root_from_pem(const char *pem, const uint8_t fp[32], const char *name,
                                   X509 **out, p11tee_error *err);
/*
 * The built-in root (fingerprint-checked) plus the caller's test roots
 * (PEM, may be NULL; none in it is P11TEE_E_CONFIG), at `at` (0: now).
 */
p11tee_status attest_trust_init(attest_trust *t, const char *root_pem, const uint8_t fp[32],
                                const char *root_name, const char *extra_pem, size_t extra_len,
                                time_t at, p11tee_error *err);
void attest_trust_free(attest_trust *t);
/* Every certificate of a PEM text, in order (NULL when there is none). */
STACK_OF(X509) *attest_certs_from_pem(const char *pem, size_t len);
/*
 * Verify `leaf` over `untrusted` to a trust anchor at t->at; self-signed
 * certificates in `untrusted` are ignored, so a root the peer carries is
 * never trusted. 1 on success with `*chain` (leaf first, anchor last; free
 * with sk_X509_pop_free(chain, X509_free)); 0 with `why` filled otherwise.
 */
int attest_chain_verify(const attest_trust *t, X509 *leaf, STACK_OF(X509) *untrusted,
                        STACK_OF(X509) **chain, char *why, size_t whylen);
/* t->root_name for the built-in root, else "TEST root <subject>", for reasons. */
void attest_anchor_name(const attest_trust *t, X509 *anchor, char *out, size_t outlen);
/*
 * ECDSA over msg with `digest` ("SHA256", "SHA384") and a raw r || s
 * signature of `siglen` bytes (two equal halves), as TDX and NVIDIA evidence
 * carry them. 1 when it verifies.
 */
int attest_ecdsa_verify_raw(EVP_PKEY *key, const char *digest, const uint8_t *msg, size_t len,
                            const uint8_t *sig, size_t siglen);
/* 1 when the certificate's subject common name is exactly `cn`. */
int attest_cert_cn_is(X509 *cert, const char *cn);
/* "2025-07-01T00:00:00Z" */
void attest_time_text(time_t t, char out[32]);

/* ==== TDX quotes (tdx.c, tdx_verify.c, collateral.c, tdx_tcb.c, tdx_pck.c) = */

#include <openssl/evp.h>
#include <openssl/x509.h>

/* PROTOCOL.md section 6. Multi-byte fields are little-endian as in the quote. */
#define TDX_HEADER_BYTES     48
#define TDX_DESCRIPTOR_BYTES 6
#define TDX_BODY10_BYTES     584 /* body type 2, TDX 1.0 */
#define TDX_BODY15_BYTES     648 /* body type 3, TDX 1.5 */
#define TDX_QE_REPORT_BYTES  384
#define TDX_MR_BYTES         48
#define TDX_REPORTDATA_BYTES 64
#define TDX_ADDRESS_BYTES    20
#define TDX_NONCE_BYTES      32
/* Bounds on what a peer can make us decode; real quotes are about 5 KB. */
#define TDX_QUOTE_MAX      (256 * 1024)
#define TDX_COLLATERAL_MAX (1024 * 1024)

typedef struct tdx_span {
    const uint8_t *ptr;
    size_t len;
} tdx_span;

/*
 * A parsed quote. Header and TD report fields are copies (they outlive the
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
    const uint8_t *signature;     /* 64 B raw r || s */
    const uint8_t *attest_key;    /* 64 B raw X || Y (P-256) */
    const uint8_t *qe_report;     /* 384 B SGX report of the quoting enclave */
    const uint8_t *qe_report_sig; /* 64 B raw r || s by the PCK leaf */
    tdx_span qe_auth_data;
    tdx_span pck_chain; /* PEM leaf -> intermediate -> root, as carried */
    size_t used;        /* quote length; input bytes beyond it are padding */
} tdx_quote;

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

typedef struct tdx_verify_opts {
    time_t at;              /* verification time; 0: now */
    const char *collateral; /* collateral JSON (vector shape); NULL: not checked */
    size_t collateral_len;
    const char *extra_roots_pem; /* test roots only, PEM; NULL: Intel's root alone */
    size_t extra_roots_len;
    const uint8_t *address; /* TDX_ADDRESS_BYTES expected in REPORTDATA; NULL: not checked */
    const uint8_t *nonce;   /* TDX_NONCE_BYTES; NULL: not checked */
    int allow_nonce_sha256; /* accept REPORTDATA[32:64] == SHA-256(hex of nonce) */
    unsigned accepted_tcb;  /* TDX_TCB_BIT() set; 0: UpToDate only */
} tdx_verify_opts;

typedef struct tdx_verdict {
    tdx_tcb_status tcb; /* TDX_TCB_UNKNOWN without collateral */
    int test_root;      /* 1: the PCK chain ends at a caller-given (test) root */
} tdx_verdict;

/*
 * Verify a parsed quote offline and record every "tdx." check in `rep`.
 * Returns P11TEE_OK when no check failed; otherwise the code of the first
 * failed check, with `err` naming it. P11TEE_E_INTERNAL when the built-in
 * Intel root does not match its pinned fingerprint. `verdict` may be NULL.
 */
p11tee_status tdx_verify(const tdx_quote *q, const tdx_verify_opts *opts, attest_report *rep,
                         tdx_verdict *verdict, p11tee_error *err);

/* Load the built-in Intel SGX Root CA and check its SHA-256 fingerprint. */
p11tee_status tdx_root_check(p11tee_error *err);

/*
 * The names of every check tdx_verify() records, in the order it records
 * them; those from TDX_COLLATERAL_FIRST on need collateral (without it they
 * are "not checked"). docs/DESIGN.md says what each one compares.
 */
#define TDX_CHECK_COUNT      19
#define TDX_COLLATERAL_FIRST 9
extern const char *const tdx_check_names[TDX_CHECK_COUNT];

/* -- internal to the TDX files (tdx*.c, collateral.c) -- */

/* The PCK chain as verified (all NULL when it did not verify). */
typedef struct tdx_pck {
    X509 *leaf;
    X509 *ca;     /* Intel SGX PCK Platform/Processor CA */
    X509 *anchor; /* the root it verified to */
} tdx_pck;

/* The collateral checks (collateral.c): "tdx.collateral.*", "tdx.pck.revocation", ... */
void tdx_check_collateral(const tdx_quote *q, const tdx_verify_opts *o, const attest_trust *t,
                          const tdx_pck *pck, attest_report *rep, tdx_verdict *v);
/* The PCK certificate's SGX extension (tdx_pck.c). */
typedef struct tdx_pck_tcb {
    uint8_t fmspc[6];
    uint8_t pceid[2];
    uint8_t comp[16]; /* SGX TCB component SVNs */
    unsigned pcesvn;
} tdx_pck_tcb;
/* 1 when `leaf` carries a complete, well-formed SGX extension; 0 otherwise. */
int tdx_pck_tcb_read(X509 *leaf, tdx_pck_tcb *out);
struct json_object;
/* The string member `key` of `obj` with its length, or NULL (sjson_get_str()). */
const char *tdx_json_str(struct json_object *obj, const char *key, size_t *len);
/*
 * What authentic TCB info and QE identity say about the quote (tdx_tcb.c):
 * dates, FMSPC, QE identity, TDX module, TCB status. A NULL document (not
 * authentic) leaves the checks that need it not checked.
 */
void tdx_check_tcb(const tdx_quote *q, X509 *pck_leaf, struct json_object *tcb_info,
                   struct json_object *qe_identity, const tdx_verify_opts *o, time_t at,
                   attest_report *rep, tdx_verdict *v);

/* ==== end TDX ============================================================== */

/* ==== NVIDIA GPU evidence (nvidia.c, nvidia_verify.c) ====================== */

#include <openssl/evp.h>
#include <openssl/x509.h>

struct json_object;

/* PROTOCOL.md section 7. SPDM integers are little-endian. */
#define NV_NONCE_BYTES   32
#define NV_REQUEST_BYTES 37 /* GET_MEASUREMENTS with a nonce and a slot */
#define NV_SIG_BYTES     96 /* P-384 r || s */
#define NV_FWID_BYTES    48 /* SHA-384 */
#define NV_OPAQUE_FWID   20 /* opaque-data field id of the FWID (nvtrust's numbering) */
/* Bounds on what a peer can make us decode; one real GPU report is about 4 KB. */
#define NV_MAX_GPUS        16
#define NV_PAYLOAD_MAX     (1024 * 1024) /* payload JSON text */
#define NV_EVIDENCE_MAX    (64 * 1024)   /* one decoded report */
#define NV_CHAIN_MAX       (64 * 1024)   /* one decoded PEM chain */
#define NV_CHAIN_CERTS_MAX 8

/*
 * One GPU report parsed by structure: an SPDM 1.1 GET_MEASUREMENTS request
 * followed by the MEASUREMENTS response. Pointers are views into the
 * caller's buffer.
 */
typedef struct nv_report {
    const uint8_t *request_nonce; /* NV_NONCE_BYTES, request offset 4 */
    uint8_t slot;                 /* request offset 36 */
    const uint8_t *response;      /* MEASUREMENTS, from its 11 60 header */
    unsigned blocks;              /* measurement blocks in the record */
    const uint8_t *record;        /* the blocks, each index/spec/size/DMTF value checked */
    size_t record_len;
    const uint8_t *responder_nonce; /* NV_NONCE_BYTES */
    const uint8_t *opaque;          /* type/size/value fields, all in bounds */
    size_t opaque_len;
    const uint8_t *fwid; /* opaque field NV_OPAQUE_FWID; NULL when absent */
    size_t fwid_len;
    const uint8_t *signature; /* NV_SIG_BYTES right after the opaque data */
    size_t signed_len;        /* request + response up to the signature */
    size_t trailing;          /* bytes after the signature: not signed, ignored */
} nv_report;

/*
 * Parse one decoded evidence (at most NV_EVIDENCE_MAX bytes). The signature
 * is where the parsed lengths put it, never "the last 96 bytes"; bytes after
 * it are counted in `trailing` and otherwise ignored (some reports carry
 * one). Total and bounded. Error: P11TEE_E_NVIDIA_FORMAT.
 */
p11tee_status nv_report_parse(const uint8_t *ev, size_t len, nv_report *r, p11tee_error *err);

/*
 * ECDSA P-384/SHA-384 of the signed bytes (`ev` is the buffer `r` was parsed
 * from) with `key`, which must be a P-384 key. Error: P11TEE_E_NVIDIA_SIGNATURE.
 */
p11tee_status nv_report_verify(const uint8_t *ev, const nv_report *r, EVP_PKEY *key,
                               p11tee_error *err);

/*
 * The SHA-384 FWID of a DER extension 2.23.133.5.4.1 value: NVIDIA's form
 * SEQUENCE { INTEGER, SubjectPublicKeyInfo, FWID } or TCG DiceTcbInfo with
 * fwids [6]. Error: P11TEE_E_NVIDIA_FWID.
 */
p11tee_status nv_fwid_from_ext(const uint8_t *der, size_t len, uint8_t out[NV_FWID_BYTES],
                               p11tee_error *err);

typedef struct nv_options {
    time_t at;                   /* verification time; 0: now */
    const uint8_t *nonce;        /* NV_NONCE_BYTES we sent; NULL: not compared */
    const char *extra_roots_pem; /* test roots only, PEM; NULL: NVIDIA's root alone */
    size_t extra_roots_len;
} nv_options;

/*
 * Verify an nvidia_payload (a JSON object, or a JSON string holding one)
 * offline and record the "nvidia." checks, each over every GPU of the payload
 * (a failure names the GPU):
 *   nvidia.payload             JSON shape, sizes, payload nonce, GPU count
 *   nvidia.nonce               payload nonce == the nonce we sent
 *   nvidia.evidence.format     each report parsed by structure
 *   nvidia.evidence.nonce      each request nonce == payload nonce (and ours)
 *   nvidia.evidence.signature  each P-384 signature verifies with its leaf
 *   nvidia.chain               each chain verifies to the built-in NVIDIA
 *                              Device Identity CA (or a named TEST root)
 *   nvidia.fwid                each leaf FWID == its report's FWID
 *   nvidia.ocsp, nvidia.rim    not checked: they need NVIDIA's services
 * Returns P11TEE_OK when no check failed, else the code of the first failed
 * check with `err` naming it; P11TEE_E_INTERNAL when the built-in root does
 * not match its pinned fingerprint; P11TEE_E_CONFIG for unusable extra roots.
 */
p11tee_status nv_verify(struct json_object *payload, const nv_options *opts, attest_report *rep,
                        p11tee_error *err);

/* nv_verify() over the text of the payload (at most NV_PAYLOAD_MAX bytes). */
p11tee_status nv_verify_text(const char *text, size_t len, const nv_options *opts,
                             attest_report *rep, p11tee_error *err);

/* Load the built-in NVIDIA Device Identity CA and check its SHA-256 fingerprint. */
p11tee_status nv_root_check(p11tee_error *err);

/* -- internal to nvidia.c and nvidia_verify.c -- */

#define NV_ROOT_NAME "NVIDIA Device Identity CA (built in, SHA-256 102bf659...7b48)"
/* The built-in root and its pinned fingerprint, for attest_trust_init(). */
extern const char nv_root_pem[];
extern const uint8_t nv_root_fp[32];
/* nv_fwid_from_ext() of the certificate's extension 2.23.133.5.4.1. */
p11tee_status nv_cert_fwid(X509 *cert, uint8_t out[NV_FWID_BYTES], p11tee_error *err);

/* ==== end NVIDIA =========================================================== */

/* ==== Ethereum: Keccak-256, addresses, EIP-191 (eth.c) ====================== */

#define ETH_HASH_BYTES    32
#define ETH_ADDRESS_BYTES 20
#define ETH_ADDRESS_TEXT  43   /* "0x" + 40 hex + NUL */
#define ETH_PUBKEY_BYTES  65   /* 04 || X || Y */
#define ETH_SIG_BYTES     65   /* r || s || v */
#define ETH_KECCAK_RATE   136  /* bytes: Keccak[c=512] */
#define ETH_KECCAK_DOMAIN 0x01 /* original Keccak padding (Ethereum) */
#define ETH_SHA3_DOMAIN   0x06 /* FIPS 202 SHA3-256 */
/* Longest signed text accepted: two SHA-256 hex digests and a model id. */
#define ETH_SIGNED_TEXT_MAX 512
#define ETH_MODEL_MAX       256

/* The Keccak[c=512] sponge (keccak.c); `domain` picks Keccak-256 or SHA3-256. */
typedef struct eth_keccak {
    uint64_t lanes[25];
    size_t pos;
    uint8_t domain;
} eth_keccak;

void eth_keccak_init(eth_keccak *k, uint8_t domain);
void eth_keccak_update(eth_keccak *k, const void *data, size_t len);
/* Writes the 32-byte digest and wipes the context. */
void eth_keccak_final(eth_keccak *k, uint8_t out[ETH_HASH_BYTES]);
/* Keccak-256 of one buffer. */
void eth_keccak256(const void *data, size_t len, uint8_t out[ETH_HASH_BYTES]);

/*
 * Address of a secp256k1 public key: the last 20 bytes of Keccak-256(X || Y).
 * `pub` is 65 bytes (04 || X || Y) or 64 (X || Y) and must be on the curve.
 * Error: P11TEE_E_ATTEST_SIGNING_KEY.
 */
p11tee_status eth_address_from_pubkey(const uint8_t *pub, size_t len,
                                      uint8_t addr[ETH_ADDRESS_BYTES], p11tee_error *err);

/* "0x" + EIP-55 mixed-case checksummed hex, NUL-terminated. */
void eth_address_format(const uint8_t addr[ETH_ADDRESS_BYTES], char out[ETH_ADDRESS_TEXT]);

/*
 * "0x" + 40 hex digits. All-lowercase and all-uppercase digits are accepted
 * as they are; mixed case must carry a valid EIP-55 checksum.
 * Error: P11TEE_E_ADDRESS_FORMAT.
 */
p11tee_status eth_address_parse(const char *s, size_t len, uint8_t addr[ETH_ADDRESS_BYTES],
                                p11tee_error *err);

/* EIP-191 personal message hash: Keccak-256("\x19Ethereum Signed Message:\n" || len || msg). */
void eth_personal_hash(const void *msg, size_t len, uint8_t out[ETH_HASH_BYTES]);

typedef struct eth_signature {
    uint8_t rs[64]; /* r || s, big-endian */
    int recid;      /* 0 or 1 */
} eth_signature;

/*
 * "0x" (optional) + 130 hex digits of r || s || v, v in {27, 28} or {0, 1}.
 * Error: P11TEE_E_SIGNATURE_FORMAT.
 */
p11tee_status eth_signature_parse(const char *s, size_t len, eth_signature *sig, p11tee_error *err);

/*
 * The address whose key made `sig` over the 32-byte `hash` (libsecp256k1's
 * recovery module). Error: P11TEE_E_SIGNATURE_FORMAT (r or s out of range,
 * or no key recovers).
 */
p11tee_status eth_recover_address(const uint8_t hash[ETH_HASH_BYTES], const eth_signature *sig,
                                  uint8_t addr[ETH_ADDRESS_BYTES], p11tee_error *err);

/* What a response signature signs: "<req>:<resp>" or NEAR's "<model>:<req>:<resp>". */
typedef struct eth_signed_text {
    const char *model; /* view into the text; NULL in the two-field form */
    size_t model_len;
    uint8_t request_sha256[32];
    uint8_t response_sha256[32];
} eth_signed_text;

/*
 * Split a signed text; the hashes are 64 hex digits (either case), the
 * model (NEAR form) is whatever precedes them, non-empty, at most
 * ETH_MODEL_MAX bytes. Error: P11TEE_E_SIGNATURE_FORMAT.
 */
p11tee_status eth_signed_text_parse(const char *text, size_t len, eth_signed_text *out,
                                    p11tee_error *err);

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
 * Verify a response signature and record the "signature." checks:
 *   signature.text             the text parses (two- or three-field form)
 *   signature.format           the signature decodes
 *   signature.recovered        EIP-191 recovery gives the attested address
 *   signature.signing_address  the response's own claim agrees (advisory)
 *   signature.model            NEAR form: the model named equals `model` (advisory)
 *   signature.request_hash     SHA-256 of the request bytes (advisory)
 *   signature.response_hash    SHA-256 of the response bytes (advisory)
 * Advisory checks fail on a mismatch but do not change the result: returns
 * P11TEE_OK when the text and signature parse and recover to the attested
 * address, else the code of the first such failure (P11TEE_E_SIGNATURE_FORMAT,
 * P11TEE_E_SIGNATURE_MISMATCH) with `err` naming it.
 */
p11tee_status eth_verify_response(const eth_response_sig *in, attest_report *rep,
                                  p11tee_error *err);

/* ==== end Ethereum ========================================================= */

/* ==== policy (policy.c) and evidence (evidence.c) ========================== */

/* How the policy treats a check (docs/policy.md). */
typedef enum attest_requirement {
    ATTEST_REQUIRED = 0,   /* must pass */
    ATTEST_IF_CHECKED = 1, /* must not fail; not checked is fine */
    ATTEST_ADVISORY = 2,   /* reported only */
} attest_requirement;

#define ATTEST_POLICY_RULES_MAX 128

/* "name", "prefix.*" or "*"; the most specific pattern wins, later rules win ties. */
typedef struct attest_rule {
    char pattern[ATTEST_NAME_MAX];
    attest_requirement req;
} attest_rule;

typedef struct attest_policy {
    attest_rule rules[ATTEST_POLICY_RULES_MAX]; /* built-in defaults, then the file's */
    size_t nrules;
    int pin_mrtd, pin_rtmr[4], pin_mrconfigid, pin_app_compose;
    uint8_t mrtd[TDX_MR_BYTES], rtmr[4][TDX_MR_BYTES], mrconfigid[TDX_MR_BYTES];
    uint8_t app_compose_sha256[32];
    unsigned accepted_tcb;  /* TDX_TCB_BIT() set; default UpToDate */
    int allow_nonce_sha256; /* the named REPORTDATA fallback */
    char *tdx_test_roots;   /* PEM; reference-server test chains only */
    size_t tdx_test_roots_len;
    char *nvidia_test_roots;
    size_t nvidia_test_roots_len;
    char *collateral; /* TDX collateral JSON, from tdx.collateral_file */
    size_t collateral_len;
    int tee_chat_requires_attestation; /* default 1 */
    char source[256];                  /* "built-in strict default" or the file's path */
} attest_policy;

p11tee_status attest_policy_default(attest_policy **out, p11tee_error *err);
/* Files the policy names are read relative to its directory. Error: P11TEE_E_POLICY. */
p11tee_status attest_policy_load(const char *path, attest_policy **out, p11tee_error *err);
p11tee_status attest_policy_parse(const char *json, size_t len, const char *base_dir,
                                  attest_policy **out, p11tee_error *err);
void attest_policy_free(attest_policy *p);
attest_requirement attest_policy_requirement(const attest_policy *p, const char *name);
/* Add a rule after the others (so it wins ties). Error: P11TEE_E_POLICY. */
p11tee_status attest_policy_add_rule(attest_policy *p, const char *pattern, attest_requirement r,
                                     p11tee_error *err);
const char *attest_requirement_name(attest_requirement r);
/* 1 when a check with this result makes the verdict fail under `r`. */
int attest_check_blocks(const attest_check *c, attest_requirement r);
/*
 * The verdict: P11TEE_OK, or for the first blocking check its code (a
 * failure) or P11TEE_E_ATTEST_REQUIRED (a required check not performed),
 * with a message naming the check.
 */
p11tee_status attest_verdict(const attest_report *rep, const attest_policy *p, p11tee_error *err);

/* What a server sent (views into the caller's parsed response). */
typedef struct attest_evidence {
    int has_verified, verified;
    int has_debug, debug;
    strview nonce, model, signing_key, signing_address;
    const char *signing_key_field;
    strview intel_quote, nvidia_payload, app_compose;
} attest_evidence;

/* What the client knows independently of the server. */
typedef struct attest_expect {
    const char *model;      /* requested model; NULL: not compared */
    const uint8_t *nonce;   /* the 32 bytes sent; NULL: freshness not checked */
    time_t at;              /* verification time; 0: now */
    const char *collateral; /* overrides the policy's collateral; NULL: none */
    size_t collateral_len;
} attest_expect;

typedef struct attest_outcome {
    attest_report report;
    uint8_t *quote_buf; /* the decoded quote; `quote` points into it */
    size_t quote_len;
    tdx_quote quote;
    int has_quote;
    tdx_verdict tdx;
    uint8_t model_key[ETH_PUBKEY_BYTES];
    int has_model_key;
    uint8_t address[ETH_ADDRESS_BYTES]; /* of the model key */
    int has_address;
    int gpu_count;
} attest_outcome;

/* Run every check of PROTOCOL.md section 2 and record it; `out` is overwritten. */
void attest_evaluate(const attest_evidence *ev, const attest_expect *ex, const attest_policy *pol,
                     attest_outcome *out);
/* A bare quote (binary, hex or base64): authenticity checks and the policy's pins. */
p11tee_status attest_evaluate_quote(const uint8_t *data, size_t len, const attest_expect *ex,
                                    const attest_policy *pol, attest_outcome *out,
                                    p11tee_error *err);
void attest_outcome_free(attest_outcome *out);

/* ==== end policy =========================================================== */

#endif /* P11TEE_ATTEST_H */
