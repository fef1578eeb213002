/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * What libp11tee (src/hsm/) may know about the p11tee provider: its name,
 * the reason codes it raises, and how a built-in copy receives its
 * configuration. Nothing PKCS#11 here; provider internals are in prov.h.
 */
#ifndef P11TEE_PROV_API_H
#define P11TEE_PROV_API_H

#include <openssl/core.h>

#define PROV_NAME  "p11tee"
#define PROV_PROPQ "provider=p11tee"

/* Configuration parameter names, as in an openssl.cnf provider section. */
#define PROV_PARAM_MODULE "pkcs11-module"
#define PROV_PARAM_TOKEN  "pkcs11-token"

/*
 * Reason codes of the errors the provider raises (ERR_GET_REASON of an
 * error whose library string is PROV_NAME). Append only.
 */
enum prov_reason {
    PROV_R_CONFIG = 1,             /* pkcs11-module or pkcs11-token missing */
    PROV_R_MODULE_LOAD = 2,        /* module file missing or not a PKCS#11 module */
    PROV_R_TOKEN_URI = 3,          /* pkcs11-token is not a valid URI */
    PROV_R_TOKEN_NOT_FOUND = 4,    /* no initialised token matches */
    PROV_R_TOKEN_AMBIGUOUS = 5,    /* several tokens match */
    PROV_R_PIN_MISSING = 6,        /* no pin-value, pin-source or P11TEE_PIN */
    PROV_R_PIN_SOURCE = 7,         /* pin-source file unreadable or invalid */
    PROV_R_PIN_INCORRECT = 8,      /* CKR_PIN_INCORRECT and friends */
    PROV_R_PIN_LOCKED = 9,         /* CKR_PIN_LOCKED */
    PROV_R_LOGIN = 10,             /* any other login failure */
    PROV_R_TOKEN = 11,             /* a PKCS#11 call outside keygen/derive failed */
    PROV_R_CURVE_UNSUPPORTED = 12, /* curve unknown to the provider or token */
    PROV_R_KEYGEN = 13,            /* C_GenerateKeyPair or reading the point failed */
    PROV_R_PEER_MALFORMED = 14,    /* not an uncompressed point of the right size */
    PROV_R_PEER_OFF_CURVE = 15,    /* well-formed but not on the curve */
    PROV_R_DERIVE = 16,            /* C_DeriveKey or reading the secret failed */
    PROV_R_KEY_STALE = 17,         /* key made by another process (before fork) */
    PROV_R_NO_PRIVATE_KEY = 18,    /* ECDH with a public-only key */
    PROV_R_EXPORT_REFUSED = 19,    /* export of a token private key requested */
    PROV_R_KEY_IMPORT = 20,        /* import parameters invalid or C_CreateObject failed */
    PROV_R_BUFFER_TOO_SMALL = 21,  /* output buffer shorter than the secret */
    PROV_R_NOT_SUPPORTED = 22,     /* operation the provider does not offer */
    PROV_R_NOMEM = 23,             /* allocation failed */
};

/*
 * The built-in provider's init function, for
 * OSSL_PROVIDER_add_builtin(libctx, PROV_NAME, prov_builtin_init). It takes
 * its configuration from what prov_builtin_config_set() registered for the
 * library context it is loaded into (OpenSSL 3.0 has no way to pass
 * parameters to a built-in provider).
 */
OSSL_provider_init_fn prov_builtin_init;

/*
 * Register the configuration of the built-in provider for `libctx`, before
 * OSSL_PROVIDER_load(libctx, PROV_NAME). Strings are copied. Returns 1, or
 * 0 when out of memory. Thread-safe; one entry per libctx.
 */
int prov_builtin_config_set(const OSSL_LIB_CTX *libctx, const char *module, const char *token);

/* Forget the entry of `libctx` (after loading, whatever the outcome). */
void prov_builtin_config_clear(const OSSL_LIB_CTX *libctx);

#endif /* P11TEE_PROV_API_H */
