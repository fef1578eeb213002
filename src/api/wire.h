/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The bottom of api/ (included by api.h): the JSON of the Venice API
 * (PROTOCOL.md sections 1-5) parsed where the bytes enter, by pure
 * functions over a caller's buffer: bounded size and depth, exact types, a
 * named field in every error; parsed strings are views into the json-c tree
 * the result owns. models.c, aci.c, attestation.c, signature.c, chat.c;
 * saved.c reads a saved attestation, errors.c classifies the servers' errors.
 */
#ifndef P11TEE_API_WIRE_H
#define P11TEE_API_WIRE_H

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

/*
 * Capability flags are trusted, not the id prefix; E2EE implies TEE. Every
 * parser of a response here (models, attestation, signature) redacts `secret`
 * (the API key; may be NULL) from every string of the response before it
 * reads a field, so nothing the response makes us show or serialise can
 * carry it.
 */
p11tee_status api_parse_models(const char *buf, size_t len, const char *secret, api_model_list *out,
                               p11tee_error *err);
void api_model_list_free(api_model_list *l);
const api_model *api_model_find(const api_model_list *l, const char *id);

/* ---- aci.c: the ACI envelope (aci/1) ---------------------------------------- */

/* The algo of the E2EE keys this client speaks (PROTOCOL.md section 2). */
#define API_ACI_E2EE_ALGO "secp256k1-aes-256-gcm-hkdf-sha256"

/* The ACI fields of a response entry (presence and types only; views into `entry`). */
p11tee_status api_parse_aci(json_object *entry, attest_aci *a, p11tee_error *err);
/*
 * The operator's native ACI report (GET <aci-report-url>?nonce=): it must
 * carry a keyset and a quote. `*root` owns what `a` views.
 */
p11tee_status api_parse_aci_report(const char *buf, size_t len, json_object **root, attest_aci *a,
                                   p11tee_error *err);

/* ---- attestation.c: GET /tee/attestation ---------------------------------- */

#define API_OWNED_MAX 8 /* texts made from JSON values that came as objects */

typedef struct api_attestation {
    json_object *root;
    json_object *entry; /* the attestation object (inside a wrapper, if any) */
    attest_evidence ev; /* what attest/ judges: views into `root` (or owned texts) */
    strview signing_algo, tee_provider, tee_hardware, workload_id; /* shown, not judged */
    json_object *tcb_info_owned; /* info.tcb_info when it came as a JSON string */
    char *owned[API_OWNED_MAX];  /* backing store of texts that came as JSON values */
    size_t nowned;
    char *raw; /* the response as received (NUL-terminated), for a saved attestation */
    size_t raw_len;
    /* The operator's native ACI report, when aci-report-url is set (same nonce). */
    json_object *native_root; /* ev.native views it */
    char *native_raw;
    size_t native_raw_len;
    char native_error[P11TEE_ERROR_MESSAGE_MAX]; /* ev.native_error points here */
} api_attestation;

/*
 * Parse an attestation response. NEAR-style wrappers are unwrapped: in
 * {"model_attestations": [...]} the entry whose "model" is `want_model` is
 * chosen (the only entry when `want_model` is NULL and there is one).
 * Nothing is judged here: presence and types only; attest/ decides.
 */
p11tee_status api_parse_attestation(const char *buf, size_t len, const char *want_model,
                                    const char *secret, api_attestation *out, p11tee_error *err);
void api_attestation_free(api_attestation *a);
/* Parse the native ACI report `buf` into `a` (a copy is kept). P11TEE_E_JSON*, NOMEM. */
p11tee_status api_attestation_add_native(api_attestation *a, const char *buf, size_t len,
                                         p11tee_error *err);

/* ---- signature.c: GET /tee/signature -------------------------------------- */

typedef struct api_signature {
    json_object *root;
    strview text;      /* "<req>:<resp>" or "<model>:<req>:<resp>" (or text_built) */
    strview signature; /* "0x" + r||s||v hex (string form or object.value) */
    strview signing_address;
    strview signing_algo;
    strview public_key;   /* object form only */
    json_object *receipt; /* an ACI receipt, a view; NULL when none */
    int payload_form;     /* the text was rebuilt from "payload" */
    char text_built[260]; /* "<request_hash>:<response_hash>" of the payload form */
} api_signature;

p11tee_status api_parse_signature(const char *buf, size_t len, const char *secret,
                                  api_signature *out, p11tee_error *err);
void api_signature_free(api_signature *s);

/* ---- chat.c: chat completion responses ------------------------------------ */

typedef struct api_usage {
    int present;
    int64_t prompt_tokens, completion_tokens, total_tokens;
} api_usage;

/* n > 1: the choices one response may carry, told apart by their index. */
#define API_CHOICES_MAX 16

/* One choice of a chunk (its delta) or of a whole completion (its message). */
typedef struct api_chat_choice {
    size_t index; /* choices[].index; 0 when absent */
    strview role;
    strview content;
    strview reasoning_content;
    strview reasoning;
    strview finish_reason;
    /* reasoning_details / thinking_blocks: never encrypted by any server; 1 when non-empty */
    int clear_reasoning;
} api_chat_choice;

/* An error object or string the server put in the stream ({"error": ...}). */
typedef struct api_chat_error {
    int present;
    strview message; /* the string form, or error.message; may be absent */
    strview type;    /* error.type, e.g. "e2ee_model_key_mismatch" */
} api_chat_error;

/* One streamed chunk, or a whole non-streamed completion (message instead of delta). */
typedef struct api_chat_part {
    strview id;
    strview model;
    api_chat_choice choices[API_CHOICES_MAX];
    size_t nchoices; /* 0: a usage-only chunk ("choices": []), or no choices */
    api_usage usage;
    api_chat_error error; /* when present, nothing else is read */
} api_chat_part;

/*
 * Fields of a chunk; the views live as long as `root`. "delta": null and a
 * choice without one are accepted. A choice index beyond API_CHOICES_MAX is
 * P11TEE_E_JSON_FIELD.
 */
p11tee_status api_parse_chat_chunk(json_object *root, api_chat_part *out, p11tee_error *err);
p11tee_status api_parse_chat_completion(json_object *root, api_chat_part *out, p11tee_error *err);

/* ---- saved.c: an attestation saved with an exchange ------------------------------ */

typedef struct api_saved {
    int present; /* the document is a saved attestation (else a response as sent) */
    json_object *root;
    strview response, aci_report, nonce, model; /* aci_report, nonce, model may be absent */
    strview collateral; /* the TDX collateral the verification used; may be absent */
    int64_t fetched_at;
} api_saved;

/*
 * Read `json`: a saved attestation (p11tee_attestation_save()) fills `out`
 * (out->present = 1); anything else leaves out->present 0 for the caller to
 * read as a response. api_saved_free() in every case.
 */
p11tee_status api_saved_read(const char *json, size_t len, api_saved *out, p11tee_error *err);
void api_saved_free(api_saved *s);

/* ---- errors.c: the servers' errors (PROTOCOL.md section 4), by type or text ---- */

struct net_response;

typedef enum api_server_error {
    API_SERR_OTHER = 0,
    API_SERR_KEY_MISMATCH,   /* the enclave's E2EE key rotated: attest again */
    API_SERR_E2EE_DECRYPT,   /* plaintext or undecryptable content */
    API_SERR_E2EE_HEADER,    /* the E2EE headers */
    API_SERR_E2EE_STREAMING, /* "E2EE requires streaming" */
    API_SERR_NONCE,          /* the attestation nonce */
    API_SERR_RECEIPT_GONE,   /* a signature asked for too late */
} api_server_error;

/* The class of a server error; `text` and `type` may be NULL. */
api_server_error api_classify_error(const char *text, const char *type);
/*
 * The status and message (with what to do) for `kind`; `status` is the HTTP
 * status, or 0 for an error inside a stream. API_SERR_OTHER returns
 * `otherwise` and leaves `err` as it is.
 */
p11tee_status api_server_error_set(api_server_error kind, long status, const char *text,
                                   p11tee_status otherwise, p11tee_error *err);
/*
 * An attestation request that failed with `rc`: HTTP 502/503/504 become
 * P11TEE_E_ATTEST_UNAVAILABLE (retry), known texts their own class.
 */
p11tee_status api_attest_http_error(const struct net_response *resp, p11tee_status rc,
                                    p11tee_error *err);

#endif /* P11TEE_API_WIRE_H */
