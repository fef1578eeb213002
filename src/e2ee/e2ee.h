/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * e2ee/: an E2EE session (attested model key + a session key pair whose
 * private half lives in the token) and what it does to requests and
 * streamed responses (PROTOCOL.md section 4).
 */
#ifndef P11TEE_E2EE_H
#define P11TEE_E2EE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/common.h"
#include "crypto/crypto.h"
#include "hsm/hsm.h"

#define E2EE_MODEL_MAX 128

/*
 * replay.c: the envelopes a session opened, by (ephemeral key, GCM nonce),
 * so that a field repeated verbatim is refused. At most E2EE_SEEN_MAX per
 * session (16 bytes each); a session past half of it is not reused.
 */
#define E2EE_SEEN_MAX   (1u << 18)
#define E2EE_SEEN_BYTES 16

typedef struct e2ee_seen {
    pthread_mutex_t lock; /* guards the rest */
    uint8_t (*slots)[E2EE_SEEN_BYTES];
    size_t cap, count;
} e2ee_seen;

void e2ee_seen_init(e2ee_seen *s);
void e2ee_seen_free(e2ee_seen *s);
/*
 * Remember the envelope (eph, nonce). Errors: P11TEE_E_E2EE_REPLAY when the
 * session opened it before, P11TEE_E_E2EE_SESSION_FULL past E2EE_SEEN_MAX,
 * P11TEE_E_NOMEM.
 */
p11tee_status e2ee_seen_add(e2ee_seen *s, const uint8_t eph[P11TEE_PUBKEY_BYTES],
                            const uint8_t nonce[ENVELOPE_NONCE_BYTES], p11tee_error *err);
size_t e2ee_seen_count(e2ee_seen *s);

typedef struct e2ee_session {
    hsm_ctx *hsm; /* borrowed: the client's token */
    hsm_key *key; /* session key; private half in the token */
    char client_pub_hex[2 * P11TEE_PUBKEY_BYTES + 1];
    uint8_t model_pub[P11TEE_PUBKEY_BYTES];             /* normalised (04 prefix) */
    char model_pub_header[2 * P11TEE_PUBKEY_BYTES + 1]; /* as the attestation sent it */
    char model[E2EE_MODEL_MAX];
    time_t created;
    e2ee_seen seen; /* every envelope opened in this session */
} e2ee_session;

/* 1 when the session has used half of what it can remember: make a new one. */
int e2ee_session_worn(e2ee_session *s);

/*
 * A session for `model` whose attested key is `model_key` (hex, 130 chars
 * with 04 or 128 without): generates the session key pair in the token.
 * Call only after the attestation checks the policy requires have passed.
 */
p11tee_status e2ee_session_new(hsm_ctx *hsm, const char *model, strview model_key,
                               e2ee_session **out, p11tee_error *err);
void e2ee_session_free(e2ee_session *s);

/*
 * Turn an OpenAI-style chat request into its E2EE form: refuse what E2EE
 * cannot carry (stream:false, tools/functions, non-text content parts, web
 * search, and by name logprobs, top_logprobs, stop and response_format,
 * which would travel or come back in clear) with P11TEE_E_E2EE_UNSUPPORTED
 * before anything is sealed; seal the content of every message (all roles)
 * to the model key as one envelope, each with a fresh token ephemeral key: a
 * string as it is, or, when its text parses as a JSON array (which the
 * server would take for parts), as a one-part array's JSON text; an array of
 * text parts as its JSON text. Set stream:true and venice_parameters
 * (enable_e2ee, no Venice system prompt, web search off). `*out` is
 * malloc'd JSON.
 */
p11tee_status e2ee_prepare_request(e2ee_session *s, const char *json, size_t len, char **out,
                                   size_t *outlen, p11tee_error *err);

/*
 * Only the refusals of e2ee_prepare_request(), without a session: run
 * before attesting, so a request E2EE cannot carry costs no round trip.
 */
p11tee_status e2ee_check_request(const char *json, size_t len, p11tee_error *err);

/* The three E2EE headers, "Name: value", into `hdr` (caller's storage). */
#define E2EE_HEADER_MAX 192
void e2ee_headers(const e2ee_session *s, char hdr[3][E2EE_HEADER_MAX]);

/*
 * One streamed response. A server may seal many fields with one ephemeral
 * key (vllm-proxy seals a whole response with one): the stream keeps the
 * AES key of each ephemeral key it saw (the last E2EE_STREAM_KEYS), so
 * that a key costs one ECDH in the token per stream, not one per field.
 * The keys live only as long as the stream and are cleansed at its end.
 */
#define E2EE_STREAM_KEYS 8

typedef struct e2ee_stream {
    e2ee_session *session;
    struct {
        int valid; /* derived; a failed derive leaves nothing to find */
        uint8_t eph[P11TEE_PUBKEY_BYTES];
        uint8_t aes[ENVELOPE_KEY_BYTES];
    } keys[E2EE_STREAM_KEYS];
    size_t nkeys, next;
    unsigned long fields;  /* envelopes opened */
    unsigned long derives; /* ECDH operations in the token they cost */
} e2ee_stream;

void e2ee_stream_begin(e2ee_stream *st, e2ee_session *s);
/* Cleanses the keys; the stream may begin again. Accepts a stream never begun (zeroed). */
void e2ee_stream_end(e2ee_stream *st);

/*
 * Open one streamed text field. An envelope the session opened before (the
 * same ephemeral key and nonce) is refused with P11TEE_E_E2EE_REPLAY, its
 * text never returned. A field that is not an envelope (not hex,
 * or shorter than 186 characters) is a downgrade: refused with
 * P11TEE_E_E2EE_PLAINTEXT unless `allow_plaintext`, in which case it is
 * returned as is with *was_plaintext = 1. The result is NUL-terminated;
 * free it with envelope_plaintext_free(*pt, *ptlen + 1).
 */
p11tee_status e2ee_stream_open_field(e2ee_stream *st, strview field, int allow_plaintext,
                                     uint8_t **pt, size_t *ptlen, int *was_plaintext,
                                     p11tee_error *err);

#endif /* P11TEE_E2EE_H */
