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

#include "common/common.h"

/* Bounds on what the server may make us parse. */
#define API_MODELS_MAX 4096               /* entries in /models */

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
p11tee_status api_parse_models(const char *buf, size_t len, api_model_list *out,
                               p11tee_error *err);
void api_model_list_free(api_model_list *l);
const api_model *api_model_find(const api_model_list *l, const char *id);

/* ---- attestation.c: GET /tee/attestation ---------------------------------- */

typedef struct api_attestation {
    json_object *root;
    json_object *entry;         /* the attestation object (inside a wrapper, if any) */
    int has_verified, verified;
    int has_debug, debug;
    strview nonce;
    strview model;
    strview signing_key;        /* from signing_key or signing_public_key, as received */
    const char *signing_key_field;
    strview signing_address;
    strview signing_algo;
    strview intel_quote;
    strview nvidia_payload;     /* the JSON text, whether sent as a string or an object */
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
    strview text;            /* "<req>:<resp>" or "<model>:<req>:<resp>" */
    strview signature;       /* "0x" + r||s||v hex (string form or object.value) */
    strview signing_address;
    strview signing_algo;
    strview public_key;      /* object form only */
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
p11tee_status api_parse_chat_completion(json_object *root, api_chat_part *out,
                                        p11tee_error *err);

#endif /* P11TEE_API_H */
