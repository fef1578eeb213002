/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * What libp11tee (src/hsm/) may know about the p11tee provider: its name,
 * the reason codes it raises, and how a built-in copy receives its
 * configuration. Nothing PKCS#11 here; provider internals are in prov.h.
 */
#ifndef P11TEE_PROV_API_H
#define P11TEE_PROV_API_H

#include <stddef.h>

#include <openssl/core.h>

#define PROV_NAME  "p11tee"
#define PROV_PROPQ "provider=p11tee"

/* Configuration parameter names, as in an openssl.cnf provider section. */
#define PROV_PARAM_MODULE    "pkcs11-module"
#define PROV_PARAM_TOKEN     "pkcs11-token"
#define PROV_PARAM_FINAL_TRY "pkcs11-force-final-pin-try" /* "1": log in on the last try */

/*
 * What the provider tells about the open token (OSSL_PROVIDER_get_params,
 * UTF-8 strings; absent until the token is open).
 */
#define PROV_INFO_MODULE       "p11tee-module"      /* path of the module loaded */
#define PROV_INFO_LIBRARY      "p11tee-library"     /* CK_INFO: description, version */
#define PROV_INFO_SLOT         "p11tee-slot-id"     /* decimal CK_SLOT_ID */
#define PROV_INFO_LABEL        "p11tee-token-label" /* CK_TOKEN_INFO fields, blanks trimmed */
#define PROV_INFO_SERIAL       "p11tee-token-serial"
#define PROV_INFO_MODEL        "p11tee-token-model"
#define PROV_INFO_MANUFACTURER "p11tee-token-manufacturer"
#define PROV_INFO_FLAGS        "p11tee-token-flags" /* "login-required pin-count-low ..." */
#define PROV_INFO_PIN_FROM     "p11tee-pin-from"    /* where the PIN came from, in words */

/* Room for PROV_INFO_PIN_FROM: "the PIN file " and a path, which runs long. */
#define PROV_INFO_PIN_FROM_MAX 512

/*
 * A token key's attributes as read back from the token (EVP_PKEY get
 * param, UTF-8), and what DESIGN.md promises for a generated key.
 */
#define PROV_KEY_ATTRIBUTES "p11tee-key-attributes"
#define PROV_KEY_ATTRIBUTES_PROMISED                                                               \
    "CKA_TOKEN=FALSE CKA_PRIVATE=TRUE CKA_SENSITIVE=TRUE CKA_EXTRACTABLE=FALSE CKA_DERIVE=TRUE "   \
    "CKA_SIGN=FALSE CKA_ALWAYS_SENSITIVE=TRUE CKA_NEVER_EXTRACTABLE=TRUE CKA_VALUE=unreadable"

/*
 * Reason codes of the errors the provider raises (ERR_GET_REASON of an
 * error whose library string is PROV_NAME). Append only.
 */
enum prov_reason {
    PROV_R_OK = 0,                 /* no error: what internal functions return on success */
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
    PROV_R_PIN_FINAL_TRY = 24,     /* CKF_USER_PIN_FINAL_TRY and no force-final-pin-try */
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
 * Asked for the PIN when the token needs one and the configuration gives
 * none: `token` names the token ("token "x" (slot 1, serial ..., model
 * ...)"). Writes a NUL-terminated PIN of at most cap - 1 bytes into `pin` and
 * returns 0, or returns -1 when no PIN can be had (no terminal).
 */
typedef int (*prov_pin_prompt_fn)(void *arg, const char *token, char *pin, size_t cap);
/* A warning the user should see (a token whose PIN count is low). */
typedef void (*prov_warn_fn)(void *arg, const char *text);

/* The configuration of a built-in provider instance. */
typedef struct prov_builtin_config {
    const char *module; /* pkcs11-module (may be NULL: module-path / module-name in the URI) */
    const char *token;  /* pkcs11-token (may hold a pin-value) */
    /*
     * The PIN, when the URI names none (neither pin-value nor pin-source):
     * what a program read from $P11TEE_PIN before clearing it. NULL: the
     * provider reads $P11TEE_PIN itself.
     */
    const char *pin;
    /*
     * How messages name the settings ("--module", "--token",
     * "--force-final-pin-try"); NULL: their parameter names.
     */
    const char *module_word, *token_word, *force_word;
    int force_final_pin_try;
    prov_pin_prompt_fn pin_prompt; /* NULL: no prompt */
    void *pin_prompt_arg;
    prov_warn_fn warn; /* NULL: warnings go to the debug trace only */
    void *warn_arg;
} prov_builtin_config;

/*
 * Register the configuration of the built-in provider for `libctx`, before
 * OSSL_PROVIDER_load(libctx, PROV_NAME). Strings are copied. Returns 1, or
 * 0 when out of memory. Thread-safe; one entry per libctx.
 */
int prov_builtin_config_set(const OSSL_LIB_CTX *libctx, const prov_builtin_config *cfg);

/* Forget the entry of `libctx` (after loading, whatever the outcome). */
void prov_builtin_config_clear(const OSSL_LIB_CTX *libctx);

/*
 * Check what can be checked of `cfg` without initialising the module: the
 * token URI parses, the module it or `cfg->module` names is found and loads
 * (dlopen, C_GetFunctionList exported, not called), and a pin-source file is
 * readable and private. Returns PROV_R_OK, or the reason (PROV_R_CONFIG,
 * PROV_R_TOKEN_URI, PROV_R_MODULE_LOAD, PROV_R_PIN_SOURCE, ...) with a
 * one-line message in `why` (never a PIN).
 */
int prov_config_probe(const prov_builtin_config *cfg, char *why, size_t whylen);

#endif /* P11TEE_PROV_API_H */
