/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * NVIDIA GPU evidence, internal to src/attest: one SPDM report parsed by
 * structure, its signature and the certificate's FWID (nvidia.c); the
 * nvidia_payload and the NVIDIA checks over every GPU it carries
 * (nvidia_verify.c, which calls nvidia.c, never the reverse).
 */
#ifndef P11TEE_ATTEST_NVIDIA_H
#define P11TEE_ATTEST_NVIDIA_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "attest/attest.h"
#include "attest/pki.h"

struct json_object;

/* PROTOCOL.md section 7. SPDM integers are little-endian. */
#define NV_NONCE_BYTES      32 /* an SPDM nonce */
#define NV_REQUEST_NONCE_AT 4  /* after 11 e0 01 ff */
#define NV_REQUEST_SLOT_AT  (NV_REQUEST_NONCE_AT + NV_NONCE_BYTES)
#define NV_REQUEST_BYTES    (NV_REQUEST_SLOT_AT + 1) /* GET_MEASUREMENTS with a nonce, a slot */
#define NV_SIG_BYTES        96                       /* P-384 r || s */
#define NV_FWID_BYTES       SHA384_DIGEST_LENGTH
#define NV_OPAQUE_FWID      20 /* opaque-data field id of the FWID (nvtrust's numbering) */
/* Bounds on what a peer can make us decode; one real GPU report is about 4 KB. */
#define NV_MAX_GPUS        16
#define NV_PAYLOAD_MAX     (1024 * 1024) /* payload JSON text */
#define NV_EVIDENCE_MAX    (64 * 1024)   /* one decoded report */
#define NV_CHAIN_MAX       (64 * 1024)   /* one decoded PEM chain */
#define NV_CHAIN_CERTS_MAX 8

_Static_assert(NV_NONCE_BYTES == P11TEE_NONCE_BYTES,
               "the SPDM request nonce is the attestation nonce we sent");
_Static_assert(NV_REQUEST_BYTES == 37, "SPDM 1.1 GET_MEASUREMENTS with a nonce is 37 bytes");

/*
 * One GPU report parsed by structure: an SPDM 1.1 GET_MEASUREMENTS request
 * followed by the MEASUREMENTS response. Pointers are views into the
 * caller's buffer.
 */
typedef struct nv_report {
    const uint8_t *request_nonce; /* NV_NONCE_BYTES at NV_REQUEST_NONCE_AT */
    uint8_t slot;                 /* at NV_REQUEST_SLOT_AT */
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
    const uint8_t *nonce;        /* P11TEE_NONCE_BYTES we sent; NULL: not compared */
    const char *extra_roots_pem; /* test roots only, PEM; NULL: NVIDIA's root alone */
    size_t extra_roots_len;
} nv_options;

/*
 * Verify an nvidia_payload (a JSON object, or a JSON string holding one)
 * offline and record the checks of the NVIDIA area (checks.c), each over
 * every GPU of the payload (a failure names the GPU); nvidia.ocsp and
 * nvidia.rim are always "not checked": they need NVIDIA's services. Returns
 * P11TEE_OK when no check failed, else the code of the first failed check
 * with `err` naming it; P11TEE_E_INTERNAL when the built-in root does not
 * match its pinned fingerprint; P11TEE_E_CONFIG for unusable extra roots.
 */
p11tee_status nv_verify(struct json_object *payload, const nv_options *opts, attest_report *rep,
                        p11tee_error *err);

/* nv_verify() over the text of the payload (at most NV_PAYLOAD_MAX bytes). */
p11tee_status nv_verify_text(const char *text, size_t len, const nv_options *opts,
                             attest_report *rep, p11tee_error *err);

/* Load the built-in NVIDIA Device Identity CA and check its SHA-256 fingerprint. */
p11tee_status nv_root_check(p11tee_error *err);

/* ---- internal to nvidia.c and nvidia_verify.c ------------------------------ */

#define NV_ROOT_NAME "NVIDIA Device Identity CA (built in, SHA-256 102bf659...7b48)"
/* The built-in root and its pinned fingerprint, for attest_trust_init(). */
extern const char nv_root_pem[];
extern const uint8_t nv_root_fp[SHA256_DIGEST_LENGTH];
/* nv_fwid_from_ext() of the certificate's extension 2.23.133.5.4.1. */
p11tee_status nv_cert_fwid(X509 *cert, uint8_t out[NV_FWID_BYTES], p11tee_error *err);

#endif /* P11TEE_ATTEST_NVIDIA_H */
