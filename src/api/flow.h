/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The api layer's flows among themselves: which way a chat goes
 * (route.c), a model's capability flags (flow_models.c), and attesting and
 * judging, live or saved (flow_attest.c, flow_offline.c). Included by the
 * flow files and the session cache only; the rest of the layer uses api.h.
 */
#ifndef P11TEE_API_FLOW_H
#define P11TEE_API_FLOW_H

#include "api/api.h"

/* flow_models.c: the capability flags of `model` (/models fetched once per client). */
p11tee_status api_model_caps(p11tee_client *c, const char *model, int *e2ee, int *tee,
                             p11tee_error *err);

/*
 * flow_attest.c: the verifier's outcome of `response` (moved into the
 * attestation) under `pol`, as a sealed and judged public object; the verdict
 * is returned. Only an allocation failure leaves `*out` NULL. The collateral
 * is ex->collateral (the file `given` names), else the policy's (its file,
 * or cfg's collateral cache).
 */
p11tee_status api_judge(const p11tee_config *cfg, api_attestation *response,
                        const attest_expect *ex, const char *given, const char *nonce_hex,
                        api_policy *pol, p11tee_attestation **out, p11tee_error *err);
/*
 * The collateral for the quote: the caller's (ex->collateral: the file
 * `given` names, or a saved document's when `given` is NULL), else by the
 * policy's rule (its file, the cache); where it came from, or why there is
 * none, goes into `a` and `ex`. A document that is not the policy's own file
 * is kept in the attestation (a->collateral_doc) for
 * p11tee_attestation_save(). Error: P11TEE_E_NOMEM.
 */
p11tee_status api_judge_collateral(const p11tee_config *cfg, const uint8_t *quote, size_t qlen,
                                   const char *given, p11tee_attestation *a, attest_expect *ex,
                                   char *why, size_t wcap, p11tee_error *err);
/* Fetch and verify a model's attestation with a fresh nonce. */
p11tee_status api_attest_model(p11tee_client *c, const char *model, p11tee_attestation **out,
                               p11tee_error *err);
/*
 * flow_offline.c: verify a saved attestation (or a response as sent) under
 * `pol`. What `ex` leaves unset (model, nonce, time) comes from the saved
 * document; a model that differs from the saved one is refused.
 */
p11tee_status api_attest_saved(const p11tee_config *cfg, api_policy *pol, const char *json,
                               size_t len, const attest_expect *ex, const char *given,
                               p11tee_attestation **out, p11tee_error *err);

/* route.c */
typedef enum api_chat_mode {
    API_CHAT_TEE = 1,      /* attested as the policy says, then plain chat over TLS */
    API_CHAT_E2EE = 2,     /* attested, sealed and opened in the token */
    API_CHAT_TEE_ONLY = 3, /* asked for: attested always, then plain with enable_e2ee false */
} api_chat_mode;

typedef struct api_route_options {
    int require_e2ee; /* refuse any model that is not E2EE */
    int tee_only;     /* use TEE and E2EE models TEE-only, on purpose */
} api_route_options;

/*
 * How a chat with `model` goes, given the server's capability flags. The
 * flags come from the gateway E2EE protects against, so they may upgrade a
 * chat to E2EE but never downgrade one: a model named e2ee-* is never sent
 * in the clear, nor is any model with `require_e2ee`, unless the caller
 * asked for tee_only. No name decides anything else (there is no tee-*
 * rule: the flags say which models run in an enclave). Errors:
 * P11TEE_E_MODEL_NO_TEE, P11TEE_E_MODEL_NO_E2EE (nothing was sent),
 * P11TEE_E_CONFIG (tee_only with require_e2ee).
 */
p11tee_status api_chat_route(const char *model, int flag_e2ee, int flag_tee,
                             const api_route_options *o, api_chat_mode *mode, p11tee_error *err);
/* A TEE-only request: `json` with venice_parameters.enable_e2ee false (malloc'd). */
p11tee_status api_tee_only_request(const char *json, size_t len, char **out, size_t *outlen,
                                   p11tee_error *err);

#endif /* P11TEE_API_FLOW_H */
