/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * api/: the library's public objects and what they need. From the bottom
 * up: the JSON of the Venice API parsed where the bytes enter (wire.h); the
 * shared objects and their
 * reference counts (policy, attestation); the client and its lock contract;
 * the flows (models, attestation, sessions, chat). A file calls only files
 * listed before it here, and client.c sits on top.
 */
#ifndef P11TEE_API_H
#define P11TEE_API_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#include "attest/attest.h"
#include "common/common.h"
#include "p11tee/p11tee.h"
#include "p11tee/token.h"

#include "api/wire.h"

/* ---- reference counts --------------------------------------------------------- */

/*
 * One style for every shared object of this layer (the policy, sessions,
 * attestations): x_ref() adds a reference and returns the object, x_free()
 * drops one and destroys the object with the last. The count is atomic, so
 * references are taken and dropped on any thread without a lock.
 */
typedef atomic_uint api_refs;

static inline void api_refs_init(api_refs *r)
{
    atomic_init(r, 1u);
}

static inline void api_refs_get(api_refs *r)
{
    atomic_fetch_add_explicit(r, 1u, memory_order_relaxed);
}

/* 1 when this dropped the last reference. */
static inline int api_refs_put(api_refs *r)
{
    return atomic_fetch_sub_explicit(r, 1u, memory_order_acq_rel) == 1u;
}

/* ---- policy_ref.c: the policy, shared ------------------------------------------ */

/* A loaded policy: read-only once made, shared by the client and every attestation it judged. */
typedef struct api_policy {
    api_refs refs;
    attest_policy *rules;
} api_policy;

/* Take ownership of `rules` (freed on failure) as a shared policy, one reference. */
p11tee_status api_policy_new(attest_policy *rules, api_policy **out, p11tee_error *err);
/*
 * The policy file's rules, or the strict default when `path` is NULL.
 * P11TEE_E_POLICY_FILE when the file, or one it names, cannot be read or is invalid.
 */
p11tee_status api_policy_load(const char *path, attest_policy **out, p11tee_error *err);
api_policy *api_policy_ref(api_policy *p);
void api_policy_free(api_policy *p);
/*
 * The policy that judges `model`: `pol` itself (one more reference) or, when
 * it has a section for the model, that section applied (a new policy).
 */
p11tee_status api_policy_for_model(api_policy *pol, const char *model, api_policy **out,
                                   p11tee_error *err);
/* tee_chat_requires_attestation as it applies to `model`. */
int api_policy_tee_chat_requires_attestation(api_policy *pol, const char *model);

/* ---- report.c: the public attestation object ------------------------------------ */

#define API_MODEL_MAX 128 /* longest model id a chat or a session names, with its NUL */

/*
 * p11tee_attestation: the verifier's outcome and the response it judged,
 * owned by the object and read by every getter. Made in two steps, because
 * the verifier writes into it: api_attestation_alloc(), attest_evaluate*()
 * into a->outcome, api_attestation_seal(). Immutable once sealed and judged
 * (only its reference count changes), so any thread may read it.
 */
#define API_ATT_TEXT_MAX   (2 * TDX_REPORTDATA_BYTES + 1) /* longest rendered field */
#define API_ATT_FIELDS     36
#define API_ATT_SOURCE_MAX 1300 /* where the collateral came from, for the report */

struct p11tee_attestation {
    api_refs refs;
    api_policy *policy;                     /* the policy that judges it (one reference) */
    attest_outcome outcome;                 /* the verifier's findings */
    api_attestation response;               /* the server's response; all zero for a bare quote */
    char *model;                            /* the model asked for; NULL: the response's */
    char nonce[2 * P11TEE_NONCE_BYTES + 1]; /* the nonce sent (hex); "": the response's */
    p11tee_error verdict;
    time_t fetched_at; /* when the response was fetched (saved with it); 0: unknown */
    char text[API_ATT_FIELDS][API_ATT_TEXT_MAX]; /* quote fields as text, rendered at sealing */
    char collateral[API_ATT_SOURCE_MAX];         /* where the TDX collateral came from; "" none */
    char *collateral_doc; /* the document used unless it is the policy's file; NULL: none */
    size_t collateral_doc_len;
    char *collateral_file; /* the collateral file used (absolute), for an emitted policy */
    time_t verified_at;    /* the verification time */
};

/* An empty attestation judged by `pol` (it takes a reference); NULL when out of memory. */
p11tee_attestation *api_attestation_alloc(api_policy *pol);
/*
 * Finish an attestation whose outcome is filled: `response` (may be NULL)
 * moves into it (`*response` is left empty); `model` and `nonce_hex` (may
 * be NULL) say what the client asked for. P11TEE_E_NOMEM leaves `a` to be
 * freed by the caller; nothing is ever left out silently.
 */
p11tee_status api_attestation_seal(p11tee_attestation *a, api_attestation *response,
                                   const char *model, const char *nonce_hex, p11tee_error *err);
/* Apply the policy (again, after checks were added): the verdict, also kept in `a`. */
p11tee_status api_attestation_judge(p11tee_attestation *a, p11tee_error *err);

/* ---- the client (client.c, config.c, http.c) ----------------------------------- */

struct hsm_ctx;
struct net_client;
struct net_response;
struct net_cancel;
struct e2ee_session;

/* The token settings beyond module and token (token_config.c). */
typedef struct api_token_config {
    char *module_origin, *token_origin, *force_origin; /* how messages name them */
    int force_final_pin_try;
    p11tee_pin_prompt_fn pin_prompt;
    void *pin_prompt_ud;
    p11tee_log_fn warn;
    void *warn_ud;
} api_token_config;

struct p11tee_config {
    char *base_url, *api_key, *module, *token, *pin, *policy_file, *cacert, *proxy;
    char *aci_report_url; /* the operator's native ACI report, fetched with our nonce */
    char *collateral_url, *collateral_root_crl_url, *collateral_cache;
    api_token_config tok;
    long connect_timeout_ms, idle_timeout_ms, timeout_ms, session_ttl_s, token_workers;
    long connections;    /* idle upstream connections kept for reuse; 0: the network default */
    long stream_threads; /* threads that read every streamed answer; 0: each chat's own */
    int allow_plaintext;
    int record_exchange;
    int require_e2ee;
    int tee_only;
    p11tee_log_fn log;
    void *log_ud;
    p11tee_turn_fn turn_end; /* stream threads' end of each turn */
    void *turn_ud;
};

/* An attested E2EE (or TEE) session for one model. */
typedef struct api_session {
    api_refs refs; /* the cache's, a flight's and each chat's */
    char model[API_MODEL_MAX];
    int e2ee;
    struct e2ee_session *e2ee_session; /* NULL for TEE (non-E2EE) models */
    p11tee_attestation *att;           /* the attestation it rests on (one reference) */
    time_t created;                    /* monotonic seconds */
} api_session;

#define API_SESSIONS_MAX   16
#define API_ACI_PATH_MAX   512 /* the path of aci-report-url */
#define API_FLIGHT_KEY_MAX (API_MODEL_MAX + 16)

/* At most `limit` threads inside at once (0: no bound); chat_ctl.c. */
typedef struct api_gate {
    pthread_mutex_t lock;
    pthread_cond_t turn;
    long limit, busy;
} api_gate;

void api_gate_init(api_gate *g, long limit);
void api_gate_destroy(api_gate *g);
/* Wait for a turn; the wait holds no other lock. */
void api_gate_enter(api_gate *g);
void api_gate_leave(api_gate *g);

/* The net-level cancel behind a public p11tee_cancel (NULL for NULL). */
struct net_cancel *api_cancel_net(const p11tee_cancel *c);

/*
 * One call in progress that other threads wait for instead of repeating it
 * (flight.c): opening the token, fetching /models, attesting a model.
 */
typedef struct api_flight {
    struct api_flight *next;
    char key[API_FLIGHT_KEY_MAX];
    int landed;       /* the leader published rc, err and result */
    unsigned holders; /* the leader and every waiter; the last one frees it */
    p11tee_status rc;
    p11tee_error err;
    void *result; /* a reference the flight holds (sessions), or NULL */
} api_flight;

/*
 * The lock contract. `cfg`, `net` and `policy` are set at creation and
 * read-only afterwards (the network client is thread-safe on its own).
 * Everything after `lock` is guarded by it, and while it is held there is no
 * network or token I/O, no callback into the caller, and no object is freed
 * whose last reference might do token I/O: functions named *_locked expect
 * it held, and references dropped under it are collected and released after
 * unlocking. Waiters wait on `landed` (see flight.c).
 */
struct p11tee_client {
    struct p11tee_config cfg; /* a deep copy */
    struct net_client *net;
    struct net_client *aci_net; /* the native ACI report's host, no API key; NULL: none */
    char aci_path[API_ACI_PATH_MAX];
    api_policy *policy;
    pthread_mutex_t lock;
    pthread_cond_t landed; /* a flight landed */
    api_flight *flights;
    struct hsm_ctx *hsm;   /* set once, by the token's flight */
    api_model_list models; /* set once, by the /models flight */
    int have_models;
    api_session *sessions[API_SESSIONS_MAX];
    api_gate token_gate; /* token-workers */
};

/* config.c */
p11tee_status api_config_copy(const p11tee_config *src, p11tee_config *dst, p11tee_error *err);
void api_config_clear(p11tee_config *cfg);

/* http.c: what every request shares. The log callback runs on the calling thread. */
/* Lowercase hex SHA-256 of `len` bytes; on failure (digest_sha256()) `out` is "". */
p11tee_status api_sha256_hex(const void *data, size_t len, char out[2 * SHA256_DIGEST_LENGTH + 1],
                             p11tee_error *err);
struct net_options;
#define API_DEFAULT_BASE_URL "https://api.venice.ai/api/v1"
/* The network options of `cfg` (without a log callback; strings borrowed). */
void api_net_options(const p11tee_config *cfg, struct net_options *o);
void api_log(const p11tee_client *c, const char *fmt, ...) P11TEE_PRINTF(2, 3);
/* GET path, collected (net_response_free() it). */
p11tee_status api_get(p11tee_client *c, const char *path, struct net_response *resp,
                      p11tee_error *err);
/* Percent-encode `in` for a query string into `out`; 0 when it does not fit. */
int api_query_escape(const char *in, char *out, size_t cap);

/*
 * collateral.c: the TDX collateral cache (collateral_fetch.c fills it). A
 * platform is an FMSPC (12 hex digits) and a PCK CA ("platform" or
 * "processor"); its file is DIR/tdx-FMSPC-CA.json.
 */
int api_collateral_platform_ok(const char *fmspc, const char *ca);
void api_collateral_file(const char *dir, const char *fmspc, const char *ca, char *out, size_t cap);
/* The configured policy, whose test roots `w` then names (P11TEE_E_POLICY_FILE). */
p11tee_status api_collateral_test_roots(const p11tee_config *cfg, attest_policy **pol,
                                        attest_collateral_want *w, p11tee_error *err);
void api_collateral_info(const attest_collateral_info *ai, const char *path,
                         p11tee_collateral_info *info);
/*
 * The collateral for a quote (binary or text) by the policy's rule: the
 * policy's file (nothing to do here), the cache (when it holds the quote's
 * platform's, or always), or none. `*json` is malloc'd or NULL; `source`
 * says where it came from, or, when there is none, why (for the report).
 */
void api_collateral_for_quote(const p11tee_config *cfg, const attest_policy *pol,
                              const uint8_t *quote, size_t qlen, char **json, size_t *len,
                              char *source, size_t scap, char *why, size_t wcap);

/* flight.c (all under c->lock) */
/* Join the flight for `key`, or start one (*lead = 1: run it, then land it); NULL: no memory. */
api_flight *api_flight_join_locked(p11tee_client *c, const char *key, int *lead);
/* Wait until the flight landed; c->lock is released while waiting. */
void api_flight_wait_locked(p11tee_client *c, api_flight *f);
/* The leader's outcome, for every holder; later callers start a new flight. */
void api_flight_land_locked(p11tee_client *c, api_flight *f, p11tee_status rc,
                            const p11tee_error *err, void *result);
/* The landed status, with its error copied to `err`. */
p11tee_status api_flight_status_locked(const api_flight *f, p11tee_error *err);
/* Let go; the last holder frees the flight and gets its result to release after unlocking. */
void *api_flight_leave_locked(api_flight *f);

/* token.c: the token, opened once, on first use (waiters share the outcome). */
p11tee_status api_hsm(p11tee_client *c, struct hsm_ctx **out, p11tee_error *err);

/* ---- token settings (token_config.c; the check is public: token_check.c) ---- */

struct hsm_config;
/*
 * The token part of `cfg` as the hsm layer takes it (borrowed strings);
 * P11TEE_E_CONFIG, saying what `purpose` needs, when no token is named.
 */
p11tee_status api_hsm_config(const p11tee_config *cfg, const char *purpose, struct hsm_config *hc,
                             p11tee_error *err);
/* "force-final-pin-try": 1 if `name` was a token option (then *rc is its result). */
int api_token_option_is_set(p11tee_config *cfg, const char *name, const char *value,
                            p11tee_status *rc, p11tee_error *err);
p11tee_status api_token_config_copy(const api_token_config *src, api_token_config *dst);
void api_token_config_clear(api_token_config *tok);

/* ---- chat_result.c: what a chat received ----------------------------------------- */

/* What one response may make us keep, all choices together. */
#define API_CHAT_TEXT_MAX (64u * 1024 * 1024)

typedef struct api_choice_text {
    bytebuf text[2]; /* P11TEE_FIELD_CONTENT, P11TEE_FIELD_REASONING */
    char *finish_reason;
} api_choice_text;

struct p11tee_chat_result {
    char *id, *model;
    int e2ee, tee_only, incomplete;
    size_t plaintext_fields; /* passed through flagged (allow-plaintext) */
    size_t clear_reasoning;  /* plaintext reasoning fields of an E2EE stream, dropped */
    api_usage usage;
    api_choice_text choices[API_CHOICES_MAX];
    size_t nchoices;           /* highest index seen + 1 */
    size_t kept;               /* text bytes kept, all choices */
    bytebuf request, response; /* record-exchange: the exact bodies */
    int recorded;              /* both bodies were kept whole */
    p11tee_attestation *att;
};

p11tee_chat_result *api_chat_result_new(int e2ee, int tee_only, p11tee_attestation *att);
/* Keep `len` bytes of `field` of choice `choice` (< API_CHOICES_MAX); P11TEE_E_TOO_LARGE. */
p11tee_status api_chat_result_keep(p11tee_chat_result *r, size_t choice, p11tee_field field,
                                   const char *text, size_t len, p11tee_error *err);
/* Replace *dst by a copy of `v` (absent: unchanged), `secret` (the API key) redacted from it. */
p11tee_status api_keep_string(char **dst, strview v, const char *secret, p11tee_error *err);

/*
 * sessions.c: the session cache. api_session_get() returns a live cached
 * session or makes one; of the threads asking at once for the same model
 * one attests and the others wait for it (a failure is handed to each of
 * them and not cached). A session lives until session-ttl-s or a key
 * mismatch. api_session_free() may do token I/O: never under c->lock.
 */
p11tee_status api_session_get(p11tee_client *c, const char *model, int e2ee, api_session **out,
                              p11tee_error *err);
api_session *api_session_ref(api_session *s);
void api_session_free(api_session *s);
/* Drop `s` from the cache (the enclave key changed); the caller's reference stays. */
void api_session_invalidate(p11tee_client *c, api_session *s);
/* Empty the cache (the client is going away). */
void api_sessions_clear(p11tee_client *c);

#endif /* P11TEE_API_H */
