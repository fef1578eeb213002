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
 * Token selection. The names match the provider's configuration parameters
 * (and openssl.cnf): "pkcs11-module" and "pkcs11-token".
 */
typedef struct hsm_config {
    const char *module; /* pkcs11-module: path of the PKCS#11 module */
    const char *token;  /* pkcs11-token: RFC 7512 URI or a plain token label;
                           the PIN comes from its pin-source / pin-value
                           attribute or, failing that, from $P11TEE_PIN */
} hsm_config;

typedef struct hsm_ctx hsm_ctx;
typedef struct hsm_key hsm_key;

/*
 * Load the provider with `cfg` into a private library context, then open
 * and log in to the token so that configuration errors (missing module,
 * unknown token, wrong PIN) surface here and not at first use. Errors:
 * P11TEE_E_PROVIDER_LOAD, P11TEE_E_MODULE_LOAD, P11TEE_E_TOKEN_NOT_FOUND,
 * P11TEE_E_TOKEN_URI, P11TEE_E_PIN_MISSING, P11TEE_E_PIN_INCORRECT,
 * P11TEE_E_PIN_LOCKED, P11TEE_E_LOGIN.
 */
p11tee_status hsm_ctx_new(const hsm_config *cfg, hsm_ctx **out, p11tee_error *err);
void hsm_ctx_free(hsm_ctx *ctx);

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

/*
 * The status a reason code of the provider's errors stands for, `fallback`
 * for reasons without one of their own (exposed for the tests).
 */
p11tee_status hsm_status_of_reason(int reason, p11tee_status fallback);

#endif /* P11TEE_HSM_H */
