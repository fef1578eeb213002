/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * libp11tee and the PKCS#11 token: how a program supplies the PIN and
 * hears warnings, how errors name its settings, and the token check
 * behind `p11tee token check`. Part of the public API with p11tee.h.
 */
#ifndef P11TEE_TOKEN_H
#define P11TEE_TOKEN_H

#include <stddef.h>

#include <p11tee/p11tee.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the local checks ----------------------------------------------------------- */

/* What p11tee_config_check() checks besides the files and URLs. */
#define P11TEE_CHECK_API_KEY 1u /* an API key is set */
#define P11TEE_CHECK_TOKEN   2u /* token URI, module (loaded, not initialised), PIN file */

/*
 * Check every local setting before anything leaves the machine: the policy
 * file (and the files it names) loads, the CA file is readable, the base
 * URL and the proxy are acceptable, and, as `what` asks, an API key is set
 * and the token settings hold (the URI parses, the module loads and is a
 * PKCS#11 module, a pin-source file is readable by its owner only). No
 * network request, no login, no PIN prompt. Errors: P11TEE_E_POLICY_FILE,
 * P11TEE_E_CONFIG, P11TEE_E_API_KEY_MISSING, P11TEE_E_TOKEN_URI,
 * P11TEE_E_MODULE_LOAD, P11TEE_E_PIN_MISSING (a pin-source file that cannot
 * be used).
 */
p11tee_status p11tee_config_check(const p11tee_config *cfg, unsigned what, p11tee_error *err);

/* ---- PIN, warnings and the words of messages --------------------------------- */

/*
 * Asked for the PIN when the token needs one and neither the token URI
 * (pin-source, pin-value) nor $P11TEE_PIN gives it, and the reader has no
 * PIN pad. `token` names the token ("token "x" (slot 1, serial ..., model
 * ...)"). Write the PIN, NUL-terminated, into `pin` (at most cap - 1 bytes)
 * and return 0; return -1 when no PIN can be had (no terminal). Called at
 * most once per login: a wrong PIN is never asked for again.
 */
typedef int (*p11tee_pin_prompt_fn)(void *userdata, const char *token, char *pin, size_t cap);
void p11tee_config_set_pin_prompt(p11tee_config *cfg, p11tee_pin_prompt_fn fn, void *userdata);

/*
 * Warnings the user should see even without -v, one line each (a token
 * whose PIN retry count is low). Never a PIN or an API key.
 */
void p11tee_config_set_warn(p11tee_config *cfg, p11tee_log_fn fn, void *userdata);

/*
 * How error messages name where an option's value came from, so that they
 * speak the user's words: for "pkcs11-module", "pkcs11-token" and
 * "force-final-pin-try", e.g. "--token" or "P11TEE_TOKEN" (NULL: the
 * option's own name, the default). Errors: P11TEE_E_CONFIG for other names.
 */
p11tee_status p11tee_config_set_origin(p11tee_config *cfg, const char *option, const char *origin,
                                       p11tee_error *err);

/* ---- the token check ----------------------------------------------------------- */

/* The steps, in order; a failed step leaves the later ones not checked. */
typedef enum p11tee_token_step {
    P11TEE_TOKEN_STEP_MODULE = 0, /* the module loads and initialises */
    P11TEE_TOKEN_STEP_TOKEN = 1,  /* one token matches the URI */
    P11TEE_TOKEN_STEP_LOGIN = 2,  /* the PIN rules and the login */
    P11TEE_TOKEN_STEP_KEYGEN = 3, /* a secp256k1 session key with the promised attributes */
    P11TEE_TOKEN_STEP_ECDH = 4,   /* ECDH with an extractable secret, equal to software ECDH */
    P11TEE_TOKEN_STEP_RATE = 5,   /* ECDH per second with 1, 2 and 4 sessions */
} p11tee_token_step;
#define P11TEE_TOKEN_STEPS 6

typedef struct p11tee_token_step_info {
    const char *name; /* "module", "token", "login", "keygen", "ecdh", "rate" */
    p11tee_check_result result;
    p11tee_status code; /* why it failed */
    const char *text;   /* what was found, or why it failed */
} p11tee_token_step_info;

typedef struct p11tee_token_rate {
    unsigned sessions;     /* threads deriving at once, each on its own session */
    unsigned long derives; /* ECDH operations done */
    double seconds;        /* how long they took */
    double per_second;
} p11tee_token_rate;

/* The chunk rate the verdict is stated for: a chat stream's order of magnitude. */
#define P11TEE_TOKEN_CHUNKS_PER_SECOND 50

typedef struct p11tee_token_report p11tee_token_report;

/*
 * Check the configured token as p11tee will use it: module, token, login,
 * key generation (attributes read back), ECDH, and the ECDH rate with 1, 2
 * and 4 sessions for about `rate_ms` milliseconds each (0: no rate step).
 * `*out` is set whenever the module could be tried, also when a step
 * failed; the return value is P11TEE_OK or the code of the failed step.
 */
p11tee_status p11tee_token_check(const p11tee_config *cfg, unsigned rate_ms,
                                 p11tee_token_report **out, p11tee_error *err);

/* 0 on success, -1 when `step` is out of range. */
int p11tee_token_report_step(const p11tee_token_report *r, p11tee_token_step step,
                             p11tee_token_step_info *out);
/*
 * What the token said, or NULL: "module", "library", "slot", "label",
 * "serial", "model", "manufacturer", "flags", "pin_from", "attributes",
 * "attributes_promised".
 */
const char *p11tee_token_report_get(const p11tee_token_report *r, const char *field);
size_t p11tee_token_report_rate_count(const p11tee_token_report *r);
/* 0 on success, -1 when `index` is out of range. */
int p11tee_token_report_rate(const p11tee_token_report *r, size_t index, p11tee_token_rate *out);
/*
 * Streams of P11TEE_TOKEN_CHUNKS_PER_SECOND chunks (one ECDH each) the best
 * measured rate sustains, and the verdict in those words ("this token
 * sustains about 45 concurrent streams at 50 chunks/s"); NULL before the
 * rate step passed.
 */
unsigned long p11tee_token_report_streams(const p11tee_token_report *r);
const char *p11tee_token_report_verdict(const p11tee_token_report *r);
/* The whole report as JSON (malloc'd; free()), or NULL when out of memory. */
char *p11tee_token_report_json(const p11tee_token_report *r);
void p11tee_token_report_free(p11tee_token_report *r);

#ifdef __cplusplus
}
#endif

#endif /* P11TEE_TOKEN_H */
