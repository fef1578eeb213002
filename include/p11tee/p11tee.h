/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * libp11tee: a client for confidential-AI chat services whose private keys
 * live in a PKCS#11 token. This header, the ones it includes
 * (<p11tee/error.h>, <p11tee/attestation.h>, <p11tee/audit.h>) and
 * <p11tee/token.h> are the whole public API.
 *
 * Ownership: objects come from *_new / *_fetch / p11tee_attest... and go to
 * the matching *_free, which accepts NULL. Strings returned by getters are
 * owned by the object they came from. An attestation is reference counted:
 * p11tee_attestation_ref() keeps one that was lent (by a chat result or the
 * on_attested callback) for as long as the caller needs it, and every
 * reference goes to p11tee_attestation_free(). Every fallible call returns a
 * p11tee_status and, when given one, fills a p11tee_error.
 *
 * Threads: a p11tee_client may be used by any number of threads at once
 * (chat, attest, models, signatures); they share its token, its model list
 * and its attested sessions, and the log callback may then be called from
 * several threads. An attestation never changes once returned, so any
 * thread may read it, and references may be taken and dropped on any
 * thread. A p11tee_config, a p11tee_models list and a p11tee_chat_result
 * belong to one thread at a time. Free a client only when no call on it is
 * running.
 */
#ifndef P11TEE_H
#define P11TEE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <p11tee/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define P11TEE_PUBKEY_BYTES 65 /* uncompressed secp256k1 point */
#define P11TEE_NONCE_BYTES  32 /* attestation nonce */

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *p11tee_version(void);

/* ---- configuration -------------------------------------------------------- */

typedef struct p11tee_config p11tee_config;

p11tee_config *p11tee_config_new(void);
void p11tee_config_free(p11tee_config *cfg);

/*
 * Set one option by name (the value is copied; NULL resets it):
 *   base-url            API base URL (default https://api.venice.ai/api/v1)
 *   api-key             the API key (kept in memory excluded from core dumps,
 *                       cleansed on free)
 *   pkcs11-module       path of the PKCS#11 module
 *   pkcs11-token        RFC 7512 token URI or label; the PIN comes from its
 *                       pin-source=file:... or pin-value, else from "pin",
 *                       else $P11TEE_PIN
 *   pin                 the token PIN when the URI names none: for a program
 *                       that reads $P11TEE_PIN itself and clears it (kept like
 *                       the API key)
 *   policy-file         attestation policy: a JSON file (p11tee-policy(5)), or
 *                       a preset without a '/': "default", "strict"
 *   cacert              a CA file trusted in addition to the system roots
 *   proxy               the proxy for https:// requests ("http://proxy:3128",
 *                       "socks5h://host:1080"; no credentials: those go into
 *                       https_proxy), overriding libcurl's environment variables
 *   collateral-url      Intel PCS (default https://api.trustedservices.intel.com)
 *                       or a PCCS serving /sgx/certification/v4/ and
 *                       /tdx/certification/v4/, for p11tee_collateral_fetch()
 *   collateral-root-crl-url  where the root CA CRL comes from; default: Intel's
 *                       https://certificates.trustedservices.intel.com/
 *                       IntelSGXRootCA.der with Intel's PCS, else the PCCS's
 *                       /sgx/certification/v4/rootcacrl
 *   collateral-cache    the collateral cache directory; default
 *                       $XDG_CACHE_HOME/p11tee when set, else /var/cache/p11tee
 *   connect-timeout-ms  default 10000
 *   idle-timeout-ms     longest silence inside a response, default 60000
 *   timeout-ms          whole request, default 0 (none)
 *   session-ttl-s       E2EE session reuse, default 600
 *   allow-plaintext     "1": pass plaintext fields of an E2EE stream through,
 *                       flagged, instead of stopping (default "0")
 *   require-e2ee        "1": refuse to chat with any model the server does not
 *                       list as E2EE (models named e2ee-... always are)
 *   record-exchange     "1": keep the exact request and response bodies of each
 *                       chat (p11tee_chat_result_exchange()), to check response
 *                       signature hashes later (default "0")
 *   aci-report-url      the operator's native ACI report (https://host/v1/aci/
 *                       attestation), fetched with each nonce, never the API key
 *   tee-only            "1": E2EE models TEE-only on purpose: attested, then in
 *                       clear (enable_e2ee false); not with require-e2ee
 *   connections         idle connections to the server kept for the next
 *                       requests (each running request has its own), default 4,
 *                       at most 1024
 *   token-workers       at most this many threads of the client use the token
 *                       at once for chats (sealing requests, opening streamed
 *                       fields); the others wait their turn. Default 0: no
 *                       bound but the provider's pool of token sessions
 *   stream-threads      0 (the default): a chat reads its answer on the thread
 *                       that called p11tee_chat(). N (at most
 *                       P11TEE_STREAM_THREADS_MAX): N threads of the client
 *                       read every streamed answer, open its fields and call
 *                       the chat's events (on_text, on_response, on_token),
 *                       while the caller's thread waits; a thread wakes per
 *                       batch of arrived chunks, not per chat and chunk. The
 *                       events must return quickly (hold a chat instead:
 *                       p11tee_cancel_hold()); see p11tee_config_set_turn_end()
 * Errors: P11TEE_E_CONFIG (unknown name or bad value).
 */
p11tee_status p11tee_config_set(p11tee_config *cfg, const char *name, const char *value,
                                p11tee_error *err);

#define P11TEE_STREAM_THREADS_MAX 64 /* the most stream-threads a client may have */

/* Diagnostic lines for -v; never carry the API key or the PIN. */
typedef void (*p11tee_log_fn)(void *userdata, const char *line);
void p11tee_config_set_log(p11tee_config *cfg, p11tee_log_fn fn, void *userdata);

/*
 * Stream threads call fn(userdata) at the end of each turn, after the chats' events for what
 * arrived and before waiting, and before a chat they read returns: work the events gathered
 * (a gateway's wake-ups of its senders) is done once per batch of chunks, on the events'
 * thread. Called also with nothing gathered, with no lock of the client held; it must return
 * quickly and not call the client.
 */
typedef void (*p11tee_turn_fn)(void *userdata);
void p11tee_config_set_turn_end(p11tee_config *cfg, p11tee_turn_fn fn, void *userdata);

/* ---- client --------------------------------------------------------------- */

typedef struct p11tee_client p11tee_client;

/*
 * A client for one server. The token is opened on first use (the first
 * E2EE chat), so listing models or attesting needs no token. The policy
 * file, when configured, is loaded here (P11TEE_E_POLICY_FILE when it cannot
 * be read or is invalid).
 */
p11tee_status p11tee_client_new(const p11tee_config *cfg, p11tee_client **out, p11tee_error *err);
void p11tee_client_free(p11tee_client *client);

/* ---- models --------------------------------------------------------------- */

typedef struct p11tee_models p11tee_models;

typedef struct p11tee_model_info {
    const char *id;
    const char *type;
    const char *name;         /* may be NULL */
    int e2ee;                 /* supportsE2EE */
    int tee;                  /* supportsTeeAttestation (implied by e2ee) */
    long long context_tokens; /* 0 when unknown */
} p11tee_model_info;

/* GET /models; `type` as the API's ?type= (NULL: text models). */
p11tee_status p11tee_models_fetch(p11tee_client *client, const char *type, p11tee_models **out,
                                  p11tee_error *err);
size_t p11tee_models_count(const p11tee_models *models);
/* 0 on success, -1 when `index` is out of range. */
int p11tee_models_get(const p11tee_models *models, size_t index, p11tee_model_info *info);
/* The model's entry as the server sent it (JSON text); NULL: `index` out of range, or no memory. */
const char *p11tee_models_json(const p11tee_models *models, size_t index);
void p11tee_models_free(p11tee_models *models);

/* ---- attestation (the calls: attestation.h) ---------------------------------- */

typedef struct p11tee_attestation p11tee_attestation;

/* ---- chat ----------------------------------------------------------------- */

typedef enum p11tee_field {
    P11TEE_FIELD_CONTENT = 0,
    P11TEE_FIELD_REASONING = 1,
} p11tee_field;

/*
 * Stopping a chat from another thread (a gateway whose caller went away):
 * give the chat a p11tee_cancel in its events; p11tee_cancel_trigger() from
 * any thread ends it at once, also while it waits for the server, and
 * p11tee_chat() returns P11TEE_E_CANCELLED. One object serves one chat at a
 * time and stays triggered; free it after the chat returned.
 */
typedef struct p11tee_cancel p11tee_cancel;

p11tee_cancel *p11tee_cancel_new(void); /* NULL when out of memory */
void p11tee_cancel_trigger(p11tee_cancel *c);
int p11tee_cancel_triggered(const p11tee_cancel *c);
/*
 * Backpressure, from any thread (from on_text too): `hold` non-zero stops
 * reading the answer once the bytes at hand are handed on, until the chat is
 * held no more (0). The server's silence is not timed while held
 * (idle-timeout-ms); the whole-request limit still runs.
 */
void p11tee_cancel_hold(p11tee_cancel *c, int hold);
void p11tee_cancel_free(p11tee_cancel *c);

/* Work done in the token for a chat (see p11tee_chat_events.on_token). */
typedef enum p11tee_token_op {
    P11TEE_TOKEN_OPEN = 0, /* one streamed field opened: one ECDH */
    P11TEE_TOKEN_SEAL = 1, /* the request sealed: one key pair and one ECDH per field */
} p11tee_token_op;

/*
 * Zero the whole struct before setting members (`= {0}` or a designated
 * initialiser): members are added at the end, and unused ones must be NULL.
 */
typedef struct p11tee_chat_events {
    /*
     * The checks the policy requires have passed; nothing was sent before.
     * `a` is lent for the call (p11tee_attestation_ref() keeps it).
     */
    void (*on_attested)(void *userdata, const p11tee_attestation *a);
    /*
     * Text as it arrives, decrypted for E2EE models, of choice `choice` (0
     * unless n > 1; choices may interleave). `plaintext` is 1 only for
     * content that arrived unencrypted in an E2EE stream, passed through by
     * allow-plaintext (reasoning in clear is never handed on). Return
     * non-zero to stop the stream (the call returns P11TEE_E_INVALID_ARG).
     */
    int (*on_text)(void *userdata, size_t choice, p11tee_field field, const char *text, size_t len,
                   int plaintext);
    /* The response's id and model as the server sent them: once, before any text. */
    void (*on_response)(void *userdata, const char *id, const char *model);
    /*
     * A token operation of this chat finished, `nanoseconds` after it got
     * its turn (see the token-workers option); waiting is not counted.
     */
    void (*on_token)(void *userdata, p11tee_token_op op, uint64_t nanoseconds);
    /* Not NULL: triggering it stops the chat (see p11tee_cancel). */
    p11tee_cancel *cancel;
} p11tee_chat_events;

#define P11TEE_CHOICES_MAX 16 /* the most choices (n) one chat may ask for */

typedef struct p11tee_chat_result p11tee_chat_result;

/*
 * Send an OpenAI-style chat request (JSON text with "model" and
 * "messages"). The model's capability flags decide the path: E2EE models
 * are attested, the request sealed in the token and the stream opened in
 * the token; TEE models are attested (as the policy requires) and chat in
 * the clear over TLS (so do E2EE models with tee-only). `*out` is set as
 * soon as the request was sent, also when the stream later fails (then it
 * is marked incomplete). An error inside the stream ends the call with the
 * server's message (P11TEE_E_STREAM_ERROR, or the E2EE class), [DONE] or not.
 */
p11tee_status p11tee_chat(p11tee_client *client, const char *request_json, size_t len,
                          const p11tee_chat_events *events, void *userdata,
                          p11tee_chat_result **out, p11tee_error *err);
/*
 * A chat is attempted at most twice: when the server no longer accepts the
 * attested model key, or when a streamed field does not open before any text
 * was delivered, the session is dropped, the model attested again, and the
 * request sent once more. After text was delivered a failure ends the chat.
 */

/*
 * Get ready to chat with `model` without sending anything to it: the
 * capability checks of p11tee_chat(), the attestation, and for E2EE models
 * the token login and the session key, all kept in the client's session
 * cache for the chats that follow. `*out` (when `out` is not NULL) receives
 * the attestation the session rests on: free it with p11tee_attestation_free().
 */
p11tee_status p11tee_chat_prepare(p11tee_client *client, const char *model,
                                  p11tee_attestation **out, p11tee_error *err);

const char *p11tee_chat_result_id(const p11tee_chat_result *r);
const char *p11tee_chat_result_model(const p11tee_chat_result *r);
/* Of choice 0; may be NULL. */
const char *p11tee_chat_result_finish_reason(const p11tee_chat_result *r);
int p11tee_chat_result_e2ee(const p11tee_chat_result *r);
/* 1 when an E2EE model was used TEE-only (the tee-only option). */
int p11tee_chat_result_tee_only(const p11tee_chat_result *r);
int p11tee_chat_result_incomplete(const p11tee_chat_result *r);
size_t p11tee_chat_result_plaintext_fields(const p11tee_chat_result *r);
/* Reasoning fields that arrived UNENCRYPTED in an E2EE stream (dropped). */
size_t p11tee_chat_result_dropped_reasoning(const p11tee_chat_result *r);
/* How many choices arrived (the highest index + 1; at least 1). */
size_t p11tee_chat_result_choices(const p11tee_chat_result *r);
/* One field of one choice (NUL-terminated; `len` may be NULL); NULL: no such choice. */
const char *p11tee_chat_result_text(const p11tee_chat_result *r, size_t choice, p11tee_field field,
                                    size_t *len);
/* Why choice `choice` ended ("stop", "length", ...); NULL when the server did not say. */
const char *p11tee_chat_result_choice_finish_reason(const p11tee_chat_result *r, size_t choice);
/* The token counts the server reported (its last usage object): 0, or -1 when none came. */
int p11tee_chat_result_usage(const p11tee_chat_result *r, long long *prompt_tokens,
                             long long *completion_tokens, long long *total_tokens);
/*
 * What the client could check about the stream as a whole, in one sentence
 * for people; NULL when the answer was not end-to-end encrypted. The
 * deployed (legacy) E2EE protocol authenticates each field alone, without
 * a sequence number: a field repeated verbatim is refused (the chat fails
 * with P11TEE_E_E2EE_REPLAY), but a dropped or reordered field cannot be
 * detected, which this says.
 */
const char *p11tee_chat_result_integrity(const p11tee_chat_result *r);
/*
 * With record-exchange: the exact request body sent and response body
 * received (for a stream, every byte of the event stream), as the server's
 * /tee/signature hashes them. 0 on success, -1 when not recorded (the option
 * is off, or a body exceeded 64 MiB).
 */
int p11tee_chat_result_exchange(const p11tee_chat_result *r, const uint8_t **request,
                                size_t *request_len, const uint8_t **response,
                                size_t *response_len);
/* The attestation relied on, or NULL (plain models); lent while `r` lives (or: _ref()). */
const p11tee_attestation *p11tee_chat_result_attestation(const p11tee_chat_result *r);
/* An OpenAI-style chat.completion of what was received, every choice (malloc'd, or NULL). */
char *p11tee_chat_result_json(const p11tee_chat_result *r);
void p11tee_chat_result_free(p11tee_chat_result *r);

/* ---- showing untrusted text ------------------------------------------------ */

/*
 * Text from a server (answers, reasons, ids) may carry bytes that are not
 * UTF-8 and control sequences that would steer a terminal. The filter turns
 * both into U+FFFD. It streams: a character cut at the end of one call is
 * completed by the next (servers may split a character across fields).
 */
#define P11TEE_TEXT_KEEP_NEWLINES 1u /* keep newline and tab */
#define P11TEE_TEXT_KEEP_CONTROLS 2u /* keep every control character: only fix the UTF-8 */

typedef struct p11tee_text_filter {
    unsigned flags;
    unsigned char held[4];
    size_t nheld;
} p11tee_text_filter;

void p11tee_text_filter_init(p11tee_text_filter *f, unsigned flags);
/* Filter `len` bytes into `out`, which needs 3 * len + 12 bytes; returns the bytes written. */
size_t p11tee_text_filter_run(p11tee_text_filter *f, const char *in, size_t len, char *out);
/* End of the text: a sequence still held is written as U+FFFD (`out`: 3 bytes). */
size_t p11tee_text_filter_finish(p11tee_text_filter *f, char *out);

#ifdef __cplusplus
}
#endif

/* Attestation reports and response signatures. */
#include <p11tee/attestation.h>
/* Saved attestations, emitted policies, collateral, the audit log. */
#include <p11tee/audit.h>

#endif /* P11TEE_H */
