/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * What the quote says was loaded, and the ACI envelope around it (internal
 * to src/attest): dstack's event log and its replay into RTMR3
 * (eventlog.c), the ACI checks of a response, its keyset and the operator's
 * native report (aci.c), and the Ed25519 and ECDSA primitives they and the
 * receipts use (aci_crypto.c). evidence.c calls them.
 */
#ifndef P11TEE_ATTEST_WORKLOAD_H
#define P11TEE_ATTEST_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "attest/attest.h"

/* ---- eventlog.c: dstack's event log --------------------------------------- */

#define EVLOG_TEXT_MAX     (1024 * 1024) /* real logs are ~30 KB */
#define EVLOG_EVENTS_MAX   512
#define EVLOG_RUNTIME_TYPE 0x08000001u /* dstack's runtime events: digest covers the payload */
#define EVLOG_PAYLOAD_MAX  4096        /* bytes of one event's payload */
#define ATTEST_RTMR3_IMR   3

typedef struct evlog_event {
    int imr;
    uint32_t type;
    uint8_t digest[TDX_MR_BYTES]; /* a shorter digest is zero-padded, as dstack replays it */
    strview name;                 /* "compose-hash", ...; "" when none */
    strview payload_hex;          /* "" when none */
} evlog_event;

typedef struct evlog {
    json_object *root; /* owns the views */
    evlog_event *ev;
    size_t n;
} evlog;

/*
 * Parse an event log: a JSON array (or a JSON string holding one) of
 * {imr, event_type, digest, event, event_payload}. Bounded and total:
 * P11TEE_E_JSON, P11TEE_E_JSON_FIELD (naming the entry and field),
 * P11TEE_E_TOO_LARGE. evlog_free() in every case.
 */
p11tee_status evlog_parse(const char *text, size_t len, evlog *out, p11tee_error *err);
void evlog_free(evlog *l);
/*
 * Replay RTMR3: SHA-384-extend a zero register with the digest of each IMR 3
 * event, in order. A dstack runtime event whose digest is not SHA-384(type
 * LE || ":" || name || ":" || payload) is refused (P11TEE_E_MEASUREMENT
 * naming it): its name and payload would prove nothing.
 */
p11tee_status evlog_replay_rtmr3(const evlog *l, uint8_t out[TDX_MR_BYTES], size_t *events,
                                 p11tee_error *err);
/* 1 when both logs hold the same events (imr, type, digest, name, payload) in order. */
int evlog_equal(const evlog *a, const evlog *b);
/*
 * The payload of the last IMR 3 event named `name` as a report shows it: its
 * text when it is printable JSON-ish text (key-provider), else lowercase hex;
 * "" when there is none (truncated to ATTEST_EVENT_TEXT_MAX - 1).
 */
void evlog_event_text(const evlog *l, const char *name, char out[ATTEST_EVENT_TEXT_MAX]);

/* ---- aci.c: the ACI envelope and the native report -------------------------- */

/* Record the aci.* checks of `ev` (the quote and key are in `out`). */
void aci_evaluate(const attest_evidence *ev, const attest_expect *ex, const attest_policy *pol,
                  attest_outcome *out);

/* ---- aci_crypto.c ------------------------------------------------------------- */

/* "sha256:" + hex(SHA-256(JCS(v))) into out (80 bytes); P11TEE_E_JSON_FIELD when it cannot be. */
p11tee_status aci_digest(json_object *v, char out[80], p11tee_error *err);
/* 1 when `sig` (64 bytes) is an Ed25519 signature by `pub` (32 bytes) of msg. */
int aci_ed25519_verify(const uint8_t *pub, const uint8_t *sig, const uint8_t *msg, size_t len);
/*
 * 1 when `sig` (r || s, 64 bytes; a trailing recovery byte is ignored) is an
 * ECDSA secp256k1 signature by `pub` (33 or 65 bytes) of SHA-256(msg).
 */
int aci_secp256k1_verify(const uint8_t *pub, size_t publen, const uint8_t *sig, size_t siglen,
                         const uint8_t *msg, size_t len);

#endif /* P11TEE_ATTEST_WORKLOAD_H */
