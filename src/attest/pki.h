/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Certificates and signatures shared by the TDX and NVIDIA verifiers
 * (pki.c): a built-in root trusted only after its DER hashes to a pinned
 * fingerprint, the caller's test roots, chain verification that never
 * trusts a root the peer carries, and raw r || s ECDSA. Internal to
 * src/attest.
 */
#ifndef P11TEE_ATTEST_PKI_H
#define P11TEE_ATTEST_PKI_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "attest/attest.h"

/* "2025-07-01T00:00:00Z", NUL included, with room for the "@<seconds>" fallback. */
#define ATTEST_TIME_TEXT 32

/* Trust anchors and time of one verification. */
typedef struct attest_trust {
    X509 *root;            /* built in, fingerprint-checked */
    const char *root_name; /* how reasons name it */
    STACK_OF(X509) *extra; /* caller-given test roots (may be empty) */
    time_t at;
} attest_trust;

/* Root from PEM, refused unless SHA-256(DER) == fp: P11TEE_E_INTERNAL naming `name`. */
p11tee_status attest_root_from_pem(const char *pem, const uint8_t fp[SHA256_DIGEST_LENGTH],
                                   const char *name, X509 **out, p11tee_error *err);
/*
 * The built-in root (fingerprint-checked) plus the caller's test roots
 * (PEM, may be NULL; none in it is P11TEE_E_CONFIG), at `at` (0: now).
 */
p11tee_status attest_trust_init(attest_trust *t, const char *root_pem,
                                const uint8_t fp[SHA256_DIGEST_LENGTH], const char *root_name,
                                const char *extra_pem, size_t extra_len, time_t at,
                                p11tee_error *err);
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
void attest_time_text(time_t t, char out[ATTEST_TIME_TEXT]);

#endif /* P11TEE_ATTEST_PKI_H */
