/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * api/: the JSON of the Venice API (PROTOCOL.md sections 1-5), parsed where
 * the bytes enter. Every parser is a pure function over a caller's buffer:
 * bounded input size and nesting depth, exact types, a named field in every
 * error. Parsed strings are views into the json-c tree the result owns.
 */
#ifndef P11TEE_API_H
#define P11TEE_API_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "attest/attest.h"
#include "common/common.h"
#include "p11tee/p11tee.h"

/* Bounds on what the server may make us parse. */
#define API_MODELS_MAX 4096 /* entries in /models */

/* ---- models.c: GET /models ------------------------------------------------ */

typedef struct api_model {
    strview id;
    strview type;
    strview name;
    int supports_e2ee;
    int supports_tee;
    int supports_functions;
    int64_t context_tokens; /* 0 when not given */
    json_object *json;      /* the entry itself, for --json */
} api_model;

typedef struct api_model_list {
    json_object *root;
    api_model *items;
    size_t count;
} api_model_list;

/* Capability flags are trusted, not the id prefix; E2EE implies TEE. */
p11tee_status api_parse_models(const char *buf, size_t len, api_model_list *out, p11tee_error *err);
void api_model_list_free(api_model_list *l);
const api_model *api_model_find(const api_model_list *l, const char *id);

/* ---- attestation.c: GET /tee/attestation ---------------------------------- */

typedef struct api_attestation {
    json_object *root;
    json_object *entry; /* the attestation object (inside a wrapper, if any) */
    int has_verified, verified;
    int has_debug, debug;
    strview nonce;
    strview model;
    strview signing_key; /* from signing_key or signing_public_key, as received */
    const char *signing_key_field;
    strview signing_address;
    strview signing_algo;
    strview intel_quote;
    strview nvidia_payload; /* the JSON text, whether sent as a string or an object */
    strview tee_provider, tee_hardware, workload_id;
    strview app_compose;        /* from app_compose or info.tcb_info.app_compose */
    char *nvidia_payload_owned; /* backing store when it came as an object */
} api_attestation;

/*
 * Parse an attestation response. NEAR-style wrappers are unwrapped: in
 * {"model_attestations": [...]} the entry whose "model" is `want_model` is
 * chosen (the only entry when `want_model` is NULL and there is one).
 * Nothing is judged here: presence and types only; attest/ decides.
 */
p11tee_status api_parse_attestation(const char *buf, size_t len, const char *want_model,
                                    api_attestation *out, p11tee_error *err);
void api_attestation_free(api_attestation *a);

/* ---- signature.c: GET /tee/signature -------------------------------------- */

typedef struct api_signature {
    json_object *root;
    strview text;      /* "<req>:<resp>" or "<model>:<req>:<resp>" */
    strview signature; /* "0x" + r||s||v hex (string form or object.value) */
    strview signing_address;
    strview signing_algo;
    strview public_key; /* object form only */
} api_signature;

p11tee_status api_parse_signature(const char *buf, size_t len, api_signature *out,
                                  p11tee_error *err);
void api_signature_free(api_signature *s);

/* ---- chat.c: chat completion responses ------------------------------------ */

typedef struct api_usage {
    int present;
    int64_t prompt_tokens, completion_tokens, total_tokens;
} api_usage;

/* One streamed chunk, or a whole non-streamed completion (message instead of delta). */
typedef struct api_chat_part {
    strview id;
    strview model;
    strview role;
    strview content;
    strview reasoning_content;
    strview reasoning;
    strview finish_reason;
    api_usage usage;
} api_chat_part;

/* Fields of a chunk; the views live as long as `root`. */
p11tee_status api_parse_chat_chunk(json_object *root, api_chat_part *out, p11tee_error *err);
p11tee_status api_parse_chat_completion(json_object *root, api_chat_part *out, p11tee_error *err);

/* ---- the public API's objects (client.c, report.c, flow_*.c) ------------- */

#include <pthread.h>

struct hsm_ctx;
struct net_client;
struct e2ee_session;

struct p11tee_config {
    char *base_url, *api_key, *module, *token, *policy_file, *cacert;
    long connect_timeout_ms, idle_timeout_ms, timeout_ms, session_ttl_s;
    int allow_plaintext;
    int record_exchange;
    int require_e2ee;
    p11tee_log_fn log;
    void *log_ud;
};

/* An attested E2EE (or TEE) session for one model, shared by reference. */
typedef struct api_session {
    char model[128];
    struct e2ee_session *e2ee; /* NULL for TEE (non-E2EE) models */
    p11tee_attestation *att;   /* the attestation it rests on (one reference) */
    time_t created;
    unsigned refs; /* the cache's and each chat's; under client->lock */
} api_session;

#define API_SESSIONS_MAX 16

struct p11tee_client {
    struct p11tee_config cfg; /* a deep copy */
    struct net_client *net;
    attest_policy *policy;
    pthread_mutex_t lock; /* guards everything below */
    struct hsm_ctx *hsm;  /* opened at the first E2EE chat */
    api_model_list models;
    int have_models;
    api_session *sessions[API_SESSIONS_MAX];
};

struct p11tee_attestation {
    attest_outcome outcome;
    attest_requirement req[ATTEST_MAX_CHECKS];
    const attest_policy *policy; /* the client's or a caller's, for recomputing */
    attest_policy *owned_policy; /* set when the attestation owns it (offline use) */
    p11tee_error verdict;
    char *fields[24]; /* see p11tee_attestation_get(); NULL when absent */
    unsigned refs;    /* atomic */
};

void api_log(const p11tee_client *c, const char *fmt, ...) P11TEE_PRINTF(2, 3);
p11tee_status api_config_copy(const p11tee_config *src, p11tee_config *dst, p11tee_error *err);
void api_config_clear(p11tee_config *cfg);

/* Build an attestation object from a parsed response; the verdict is returned. */
p11tee_status api_attestation_build(const api_attestation *parsed, const attest_expect *ex,
                                    const char *nonce_hex, const attest_policy *pol,
                                    p11tee_attestation **out, p11tee_error *err);
/* An empty attestation judged by `pol` (which must outlive it), one reference. */
p11tee_attestation *api_attestation_new(const attest_policy *pol);
/* Set the fields the outcome determines (measurements, TCB status, policy). */
void api_attestation_fill(p11tee_attestation *a);
/* Re-apply the policy after checks were added (signature verification). */
p11tee_status api_attestation_judge(p11tee_attestation *a, p11tee_error *err);
p11tee_attestation *api_attestation_ref(p11tee_attestation *a);
/* Set a string field by name (copied); used by the flows. */
p11tee_status api_attestation_set(p11tee_attestation *a, const char *field, const char *value,
                                  size_t len);

/* Fetch and verify a model's attestation with a fresh nonce (client.c's net). */
p11tee_status api_attest_model(p11tee_client *c, const char *model, p11tee_attestation **out,
                               p11tee_error *err);

/* The capability flags of `model` (fetching /models once per client). */
p11tee_status api_model_caps(p11tee_client *c, const char *model, int *e2ee, int *tee,
                             p11tee_error *err);

/* The token, opened on first use. */
p11tee_status api_hsm(p11tee_client *c, struct hsm_ctx **out, p11tee_error *err);

/* An attested session for `model` (cached until its TTL), one reference for the caller. */
p11tee_status api_session_get(p11tee_client *c, const char *model, int e2ee, api_session **out,
                              p11tee_error *err);
void api_session_release(p11tee_client *c, api_session *s);
/* Drop `s` from the cache (the enclave key changed); the caller's reference stays. */
void api_session_invalidate(p11tee_client *c, api_session *s);

/* Percent-encode `in` for a query string into `out`; 0 when it does not fit. */
int api_query_escape(const char *in, char *out, size_t cap);

#endif /* P11TEE_API_H */
