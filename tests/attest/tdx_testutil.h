/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Shared by the TDX tests: real-world vectors ($P11TEE_VECTORS/tdx), quotes
 * made by the reference server's builder (tests/server/venice_ref.py
 * build-quote) in one session per test program, certificates made here with
 * the builder's test keys, and assertions on the check report.
 */
#ifndef P11TEE_TDX_TESTUTIL_H
#define P11TEE_TDX_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "attest/tdx.h"

/* The builder's certificates start a day before this; its collateral lasts 30 days. */
#define TDX_BUILD_TIME "2030-01-01T00:00:00Z"
#define TDX_BUILD_AT   ((time_t)1893542400) /* 2030-01-02T00:00:00Z */

/* Inside the dcap-qvl collateral window (2025-06-19T10:32:27Z .. 2025-07-19T10:00:35Z), and around.
 */
#define TDX_DCAP_AT ((time_t)1751328000) /* 2025-07-01T00:00:00Z */
/* The cases' tdx.collateral.max_age_days: the vector is 12 days old at TDX_DCAP_AT. */
#define TDX_CASE_MAX_AGE_DAYS 30
#define TDX_DCAP_LATE         ((time_t)1754006400) /* 2025-08-01T00:00:00Z */
#define TDX_DCAP_EARLY        ((time_t)1748736000) /* 2025-06-01T00:00:00Z */
/* The v5 vector's PCK certificate is valid from 2026-01-27. */
#define TDX_V5_AT ((time_t)1780272000) /* 2026-06-01T00:00:00Z */

/* What the builder binds unless told otherwise: address 0x11..11, nonce ab..ab. */
extern const uint8_t tdx_test_address[ETH_ADDRESS_BYTES];
extern const uint8_t tdx_test_nonce[P11TEE_NONCE_BYTES];

/*
 * A builder session: a private temp dir holding the test PKI and outputs.
 * tdx_builder_open() leaves `dir` NULL (and says why on stderr) when Python
 * with cryptography or the builder is unavailable. (The NVIDIA tests use
 * sessions of their own.)
 */
typedef struct tdx_builder {
    char *dir;
    char *root_pem; /* the TDX test root, once read (tdx_test_root()) */
    size_t root_len;
} tdx_builder;

void tdx_builder_open(tdx_builder *b);
void tdx_builder_close(tdx_builder *b);

/* cmocka group fixtures opening and closing the session the TDX helpers below use. */
int tdx_setup(void **state);
int tdx_teardown(void **state);

/* The session's test root (PEM) to pin, once a build has made it. */
const char *tdx_test_root(size_t *len);

/* Bytes of vector tdx/NAME; skips the current test when the vectors are absent. */
uint8_t *tdx_vector(const char *name, size_t *len);

/*
 * Run `build-quote --out DIR/quote.bin --collateral-out DIR/coll.json` with
 * the given extra arguments (a NULL-terminated list) and read both outputs.
 * Skips the current test when the session is unavailable.
 */
void tdx_build(uint8_t **quote, size_t *qlen, char **coll, size_t *clen, ...);

/* One verification: what goes in, and what came out. */
typedef struct tdx_case {
    uint8_t *q;
    size_t qlen;
    char *coll; /* NUL-terminated; NULL: none */
    size_t clen;
    tdx_verify_opts o;
    attest_report rep;
    tdx_verdict v;
    p11tee_error err;
} tdx_case;

/*
 * A builder quote (extra arguments NULL-terminated) with its collateral, and
 * options for it: TDX_BUILD_AT, the test root, the default address and nonce.
 */
void tdx_case_build(tdx_case *c, ...);
/* A vector quote, with vector collateral `coll` unless NULL, verified at `at`. */
void tdx_case_vector(tdx_case *c, const char *quote, const char *coll, time_t at);
/* Replace the quote (taking ownership of `q`). */
void tdx_case_set_quote(tdx_case *c, uint8_t *q, size_t len);
/* Replace the collateral (taking ownership of `coll`; NULL: none). */
void tdx_case_set_collateral(tdx_case *c, char *coll);
/* Parse the quote (it must parse), reset the report, verify. */
p11tee_status tdx_case_run(tdx_case *c);
void tdx_case_free(tdx_case *c);

/* Assert that check `name` has `result` (and `code` when it failed). */
void tdx_expect(const attest_report *rep, const char *name, p11tee_check_result result,
                p11tee_status code);
/* Assert that `name` is the only failed check and carries `code`. */
void tdx_expect_only_failure(const attest_report *rep, const char *name, p11tee_status code);
/* Assert that no check failed. */
void tdx_expect_no_failure(const attest_report *rep);
/* Assert that all TDX checks ran and passed, but those named with `skipped` (not checked). */
void tdx_expect_all_pass(const attest_report *rep, const char *skipped);
/* Assert that the reason of check `name` contains `part`. */
void tdx_assert_reason(const attest_report *rep, const char *name, const char *part);

/* Run the case: `check` alone fails with `code`, its reason holds `why` (P11TEE_OK: all pass). */
void tdx_case_expect(tdx_case *c, const char *check, p11tee_status code, const char *why);
/* Build with up to two arguments (NULL for none) and tdx_case_expect(). */
void tdx_expect_fault(const char *a1, const char *a2, const char *check, p11tee_status code,
                      const char *why);

/* ---- editing collateral and quotes (results are malloc'd) ---------------- */

/* `text` with the first `from` replaced by `to`, which must occur. */
char *tdx_replace_once(const char *text, const char *from, const char *to);
/* String field `key` of collateral JSON `coll`. */
char *tdx_coll_get(const char *coll, const char *key);
/* `coll` with string field `key` set to `value` (NULL: removed). */
char *tdx_coll_set(const char *coll, const char *key, const char *value);
/*
 * `coll` whose `what` (tcb_info or qe_identity) has `from` replaced by `to`
 * (and `from2` by `to2` unless NULL), re-signed by the test TCB signing key.
 */
char *tdx_resigned(const char *coll, const char *what, const char *from, const char *to,
                   const char *from2, const char *to2);
/* Re-sign a quote in place with the test attestation key (after editing it). */
void tdx_resign_quote(uint8_t *q, size_t len);
/* The quote with its PCK chain replaced by `pem` (NUL-terminated text). */
uint8_t *tdx_with_chain(const uint8_t *q, size_t len, const char *pem, size_t *outlen);

/* ---- certificates -------------------------------------------------------- */

/* The session's test key pki/NAME.key and certificate pki/NAME.pem. */
EVP_PKEY *tdx_pki_key(const char *name);
X509 *tdx_pki_cert(const char *name);
/* A fresh P-256 key. */
EVP_PKEY *tdx_new_key(void);
/*
 * A certificate for `key` named CN=`cn`, issued by `issuer`/`issuer_key`
 * (NULL issuer: self-signed), valid around TDX_BUILD_AT; a CA when `ca`;
 * with the SGX extension `ext` (DER, `ext_len` bytes) unless NULL.
 */
X509 *tdx_make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int ca,
                    const uint8_t *ext, size_t ext_len);
/* PEM text of the certificates, in order (a NULL-terminated list). */
char *tdx_pem_of(X509 *first, ...);
/* Raw r || s ECDSA P-256/SHA-256 signature of msg by `key`. */
void tdx_sign_raw(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t sig[64]);

#endif /* P11TEE_TDX_TESTUTIL_H */
