/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Shared by the NVIDIA tests: real-world vectors ($P11TEE_VECTORS/nvidia),
 * nvidia_payload objects built around evidence and chains, and a verify
 * call with the usual options.
 */
#ifndef P11TEE_TEST_NVIDIA_UTIL_H
#define P11TEE_TEST_NVIDIA_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#include "attest/nvidia.h"

/* Inside the validity of NVIDIA's sample chain: 2025-06-01T00:00:00Z. */
#define NV_VECTOR_AT ((time_t)1748736000)

/* A hand-built, unsigned report: every offset known. */
#define SYN_LEN        345
#define SYN_BLOCKS     41 /* NumberOfBlocks */
#define SYN_RECLEN     42 /* record length, 3 bytes */
#define SYN_BLOCK1     45 /* index, spec, size(2), type, value size(2), value(48) */
#define SYN_BLOCK2     100
#define SYN_OPAQUE_LEN 187
#define SYN_FIELD1     189 /* type 3, size 4 */
#define SYN_FIELD2     197 /* type 20 (FWID), size 48 */
#define SYN_SIG        249

/*
 * Fill `ev` with that report: request nonce 0x11.., slot 0, two measurement
 * blocks, responder nonce 0x22.., an opaque field of type 3 and the FWID
 * (0x33..), and a signature of 0x44.. that nothing signed.
 */
void nv_syn_report(uint8_t ev[SYN_LEN]);

/* The sample report (hex in the vector file) decoded; skips the test when absent. */
uint8_t *nv_vector_evidence(size_t *len);
/* The sample's PEM chain; skips the test when absent. */
char *nv_vector_chain(size_t *len);

/* {"nonce": hex(nonce), "arch": "HOPPER", "evidence_list": []} */
struct json_object *nv_payload_new(const uint8_t nonce[NV_NONCE_BYTES]);
/* Append {"evidence": b64(ev), "certificate": b64(pem), "arch": "HOPPER"}. */
void nv_payload_add(struct json_object *payload, const uint8_t *ev, size_t ev_len, const char *pem,
                    size_t pem_len);

/* nv_verify() with a fresh report; `nonce` and `extra_roots` may be NULL. */
p11tee_status nv_check(struct json_object *payload, const uint8_t *nonce, time_t at,
                       const char *extra_roots, attest_report *rep, p11tee_error *err);

/* The reason of check `name` (fails the test when it was not recorded). */
const char *nv_reason(const attest_report *rep, const char *name);

/* The builder's certificates start a day before 2030-01-01; verify inside. */
#define NV_BUILD_TIME "2030-01-01T00:00:00Z"
#define NV_BUILD_AT   ((time_t)1893542400) /* 2030-01-02T00:00:00Z */

/*
 * Run `venice_ref.py build-nvidia --state-dir DIR --time NV_BUILD_TIME --out
 * DIR/payload.json --nonce HEX(nonce)` plus `args` (NULL-terminated; NULL
 * for none) in a session dir from tdx_builder_open(); returns the payload and
 * sets *root to the test root PEM (free both). Skips the test when the
 * builder is unavailable.
 */
struct json_object *nv_build(const char *dir, const uint8_t nonce[NV_NONCE_BYTES],
                             const char *const *args, char **root);

#endif /* P11TEE_TEST_NVIDIA_UTIL_H */
