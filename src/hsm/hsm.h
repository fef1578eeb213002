/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * hsm/: the only code that knows the p11tee provider exists. It loads the
 * provider into a private OSSL_LIB_CTX and uses it through EVP alone
 * (EVP_PKEY_generate, EVP_PKEY_derive); no PKCS#11 here. Everything above
 * this layer sees opaque key handles whose private half lives in the token.
 */
#ifndef P11TEE_HSM_H
#define P11TEE_HSM_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* Uncompressed SEC1 point 04||X||Y of a 256-bit curve. */
#define HSM_PUBKEY_BYTES 65
/* Largest ECDH output (X coordinate) of a supported curve (P-521). */
#define HSM_SECRET_MAX 66

/*
 * Asked for the PIN when the token needs one and the configuration gives
 * none; `token` names the token. Writes a NUL-terminated PIN into `pin`
 * (at most cap - 1 bytes) and returns 0, or returns -1 when no PIN can be
 * had (no terminal).
 */
typedef int (*hsm_pin_prompt_fn)(void *arg, const char *token, char *pin, size_t cap);
/* A warning for the user (a token whose PIN retry count is low). */
typedef void (*hsm_warn_fn)(void *arg, const char *text);

/*
 * Token selection. The names match the provider's configuration parameters
 * (and openssl.cnf): "pkcs11-module" and "pkcs11-token".
 */
typedef struct hsm_config {
    const char *module; /* pkcs11-module: path of the PKCS#11 module, or NULL when the
                           token URI names it (module-path=, module-name=) */
    const char *token;  /* pkcs11-token: RFC 7512 URI or a plain token label;
                           the PIN comes from its pin-source / pin-value
                           attribute or, failing that, from `pin` */
    const char *pin;    /* NULL: $P11TEE_PIN, read by the provider */
    /* How messages name the settings ("--module", "--token",
       "--force-final-pin-try"); NULL: the configuration's names. */
    const char *module_word, *token_word, *force_word;
    int force_final_pin_try;      /* log in even when the token allows one more try only */
    hsm_pin_prompt_fn pin_prompt; /* NULL: no prompt */
    void *pin_prompt_arg;
    hsm_warn_fn warn; /* NULL: warnings go nowhere */
    void *warn_arg;
} hsm_config;

typedef struct hsm_ctx hsm_ctx;
typedef struct hsm_key hsm_key;

/*
 * Load the provider with `cfg` into a private library context, then open
 * and log in to the token so that configuration errors (missing module,
 * unknown token, wrong PIN) surface here and not at first use. Errors:
 * P11TEE_E_PROVIDER_LOAD, P11TEE_E_MODULE_LOAD, P11TEE_E_TOKEN_NOT_FOUND,
 * P11TEE_E_TOKEN_URI, P11TEE_E_PIN_MISSING, P11TEE_E_PIN_INCORRECT,
 * P11TEE_E_PIN_LOCKED, P11TEE_E_PIN_FINAL_TRY, P11TEE_E_LOGIN.
 */
p11tee_status hsm_ctx_new(const hsm_config *cfg, hsm_ctx **out, p11tee_error *err);
void hsm_ctx_free(hsm_ctx *ctx);

/*
 * What can be checked without initialising the module or logging in: the
 * token URI parses, the module loads and is a PKCS#11 module, a pin-source
 * file is readable and private. Errors: P11TEE_E_CONFIG,
 * P11TEE_E_TOKEN_URI, P11TEE_E_MODULE_LOAD, P11TEE_E_PIN_MISSING.
 */
p11tee_status hsm_config_probe(const hsm_config *cfg, p11tee_error *err);

/*
 * Generate a key pair in the token on the named curve ("secp256k1"; other
 * named curves where the token supports them). The private key is a
 * sensitive, non-extractable session object. Thread-safe on one ctx.
 * Errors: P11TEE_E_CURVE_UNSUPPORTED, P11TEE_E_KEYGEN, P11TEE_E_KEY_STALE.
 */
p11tee_status hsm_key_generate(hsm_ctx *ctx, const char *curve, hsm_key **out, p11tee_error *err);

/* The uncompressed public point; `out` needs HSM_PUBKEY_BYTES (65) for 256-bit curves. */
p11tee_status hsm_key_public(const hsm_key *key, uint8_t *out, size_t outcap, size_t *outlen,
                             p11tee_error *err);

/*
 * ECDH in the token: the X coordinate of priv(key) * peer. `peer` is an
 * uncompressed point on the key's curve. The caller cleanses `secret`.
 * Errors: P11TEE_E_PEER_MALFORMED, P11TEE_E_PEER_OFF_CURVE,
 * P11TEE_E_DERIVE, P11TEE_E_KEY_STALE (key made before a fork).
 */
p11tee_status hsm_derive(hsm_key *key, const uint8_t *peer, size_t peer_len, uint8_t *secret,
                         size_t secret_cap, size_t *secret_len, p11tee_error *err);

/* Destroys both token objects of the key. Accepts NULL. */
void hsm_key_free(hsm_key *key);

/* ---- what `p11tee token check` asks (check.c) ------------------------------ */

/* The open token as the provider describes it; empty strings when unknown. */
#define HSM_PIN_FROM_MAX 512
typedef struct hsm_token_info {
    char module[512];  /* the module file loaded */
    char library[160]; /* its CK_INFO: description, version, manufacturer */
    char slot[24], label[33], serial[17], model[17], manufacturer[33];
    char flags[160];                 /* "login-required pin-count-low ..." */
    char pin_from[HSM_PIN_FROM_MAX]; /* where the PIN came from, in words */
} hsm_token_info;

p11tee_status hsm_token_describe(hsm_ctx *ctx, hsm_token_info *out, p11tee_error *err);

/*
 * The key's private-half attributes as the token reports them
 * ("CKA_TOKEN=FALSE CKA_PRIVATE=TRUE ..."), and what DESIGN.md promises for
 * a generated key (HSM_KEY_ATTRIBUTES_PROMISED has the same form).
 */
p11tee_status hsm_key_attributes(const hsm_key *key, char *out, size_t outcap, p11tee_error *err);
extern const char HSM_KEY_ATTRIBUTES_PROMISED[];

/*
 * ECDH through the session pool from `threads` threads at once for about
 * `ms` milliseconds, each with its own token key and a software peer;
 * `*derives` counts those done and `*elapsed_ms` the time they took. Any
 * failure stops the run and is returned.
 */
p11tee_status hsm_derive_rate(hsm_ctx *ctx, unsigned threads, unsigned ms, unsigned long *derives,
                              double *elapsed_ms, p11tee_error *err);

#endif /* P11TEE_HSM_H */
