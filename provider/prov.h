/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Internals of the p11tee provider: KEYMGMT "EC" and KEYEXCH "ECDH" whose
 * private keys live in a PKCS#11 token. Only this directory speaks PKCS#11,
 * and inside it only the token layer (token.h) includes pkcs11.h.
 *
 *   provider.c      init, configuration, errors, query_operation, self test
 *   keymgmt_ec.c    KEYMGMT "EC"
 *   keyexch_ecdh.c  KEYEXCH "ECDH"
 *   curve.c         supported curves and peer point validation
 *   uri.c           RFC 7512 token URIs
 *   pin.c           PIN sources
 *   token layer (token.h):
 *     interface.c   one thin wrapper per PKCS#11 call, CK_RV names and reports
 *     module.c      the process's modules: registry, C_Initialize, fork, exit
 *     locate.c      which module file: pkcs11-module, module-path, module-name
 *     slot.c        the token a URI selects, its flags, login and PIN rules
 *     session.c     the session pool of a provider instance
 *     token.c       a provider instance's token: open, reopen after fork, info
 *     objects.c     keys: generate, import, derive, destroy, attributes
 *
 * Return conventions. OpenSSL entry points (the dispatch functions and the
 * helpers that compute their result) return int: PROV_OSSL_OK (1) or
 * PROV_OSSL_ERR (0). Internal functions return a prov_status: PROV_R_OK (0)
 * or the reason of the error they raised. Predicates are named *_is_*.
 */
#ifndef P11TEE_PROV_H
#define P11TEE_PROV_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/ec.h>

#include "prov_api.h"

#if defined(__GNUC__)
#define PROV_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PROV_PRINTF(f, a)
#endif

#define PROV_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define PROV_OSSL_OK  1
#define PROV_OSSL_ERR 0
typedef enum prov_reason prov_status;

/* One message of the provider: a line, never a PIN. */
#define PROV_MSG_MAX 1024

/* ---- curves (curve.c) ---------------------------------------------------- */

typedef struct prov_curve {
    const char *name;     /* canonical OpenSSL group name */
    const char *alias[3]; /* other accepted names (NULL-terminated) */
    int nid;
    const unsigned char *oid_der; /* CKA_EC_PARAMS: DER OBJECT IDENTIFIER */
    size_t oid_der_len;
    size_t field_bytes; /* X coordinate = ECDH output length */
    int bits;
    int security_bits;
    int max_size; /* EVP_PKEY_get_size(): DER ECDSA signature bound, as OpenSSL */
} prov_curve;

#define PROV_CURVE_COUNT 4
/* Largest uncompressed point of a supported curve (P-521). */
#define PROV_POINT_MAX 133

extern const prov_curve prov_curves[PROV_CURVE_COUNT];

/* The curve named `name` (any accepted spelling, case-insensitive), or NULL. */
const prov_curve *prov_curve_by_name(const char *name);
/* The curve whose CKA_EC_PARAMS is `der`, or NULL. */
const prov_curve *prov_curve_by_oid(const unsigned char *der, size_t len);
/* Length of an uncompressed point on `c`: 1 + 2 * field_bytes. */
size_t prov_curve_point_len(const prov_curve *c);

/* ---- URIs (uri.c) and PINs (pin.c) --------------------------------------- */

#define PROV_URI_MAX 2048
#define PROV_PIN_MAX 256

/* A parsed token selector; absent attributes are NULL. */
typedef struct prov_uri {
    char *token; /* CK_TOKEN_INFO label */
    char *serial;
    char *manufacturer;
    char *model;
    char *slotid; /* slot-id: decimal CK_SLOT_ID, validated */
    char *module_name;
    char *module_path;
    char *pin_value;
    char *pin_source; /* "file:/path" or "/path" */
} prov_uri;

/*
 * Parse an RFC 7512 URI ("pkcs11:token=x;serial=y?pin-source=file:/p") or,
 * when `text` does not start with "pkcs11:", a plain token label. On error
 * returns PROV_R_TOKEN_URI (PROV_R_NOMEM when an allocation failed) and
 * writes a one-line reason (never a PIN) into `why`.
 */
prov_status prov_uri_parse(const char *text, prov_uri *out, char *why, size_t whylen);
/* Frees the fields; the PIN value is cleansed first. */
void prov_uri_clear(prov_uri *uri);
/*
 * Copy `text` into `out` with the value of every pin-value attribute
 * replaced by "***", for messages. Components are split exactly as
 * prov_uri_parse() splits them, so no part of a PIN is shown. Always
 * NUL-terminates; truncates.
 */
void prov_uri_redact(const char *text, char *out, size_t outlen);

typedef enum prov_pin_status {
    PROV_PIN_OK,
    PROV_PIN_NONE, /* no pin-value, no pin-source, no P11TEE_PIN */
    PROV_PIN_BAD_SOURCE,
} prov_pin_status;

/*
 * The PIN for `uri`: pin-value, else the first line of the pin-source file
 * (refused when group or others may read it), else `given` (the PIN the
 * configuration gives; may be NULL), else $P11TEE_PIN. `*pin` is a secret
 * copy (secret.c); free it with prov_pin_free().
 */
prov_pin_status prov_pin_resolve(const prov_uri *uri, const char *given, char **pin, char *why,
                                 size_t whylen);
/* Where prov_pin_resolve() takes the PIN from, in words ("P11TEE_PIN"). */
void prov_pin_origin(const prov_uri *uri, char *out, size_t outlen);
void prov_pin_free(char *pin);

/*
 * secret.c: a copy of a PIN or of a token URI in memory kept out of core
 * dumps (own pages, locked where allowed); NULL when `s` is NULL or out of
 * memory. prov_secret_free() cleanses and unmaps it (NULL is fine).
 */
char *prov_secret_strdup(const char *s);
void prov_secret_free(char *s);

/* ---- the provider context (provider.c) ----------------------------------- */

typedef struct prov_token prov_token;

typedef struct prov_ctx {
    const OSSL_CORE_HANDLE *handle;
    OSSL_FUNC_core_new_error_fn *core_new_error;
    OSSL_FUNC_core_set_error_debug_fn *core_set_error_debug;
    OSSL_FUNC_core_vset_error_fn *core_vset_error;
    char *module_path; /* pkcs11-module (NULL: the URI names the module) */
    char *token_uri;   /* pkcs11-token (may hold a pin-value: never print it); secret.c */
    char *pin;         /* the configured PIN (secret.c), or NULL */
    char *module_word; /* how messages name pkcs11-module ("--module") */
    char *token_word;  /* how messages name pkcs11-token ("--token") */
    char *force_word;  /* how messages name the force-final-pin-try setting */
    int force_final_pin_try;
    prov_pin_prompt_fn pin_prompt;
    void *pin_prompt_arg;
    prov_warn_fn warn;
    void *warn_arg;
    int debug;                          /* P11TEE_PROV_DEBUG set */
    EC_GROUP *groups[PROV_CURVE_COUNT]; /* for peer validation, by prov_curves index */
    prov_token *token;
} prov_ctx;

/*
 * 1 when the OpenSSL call that just failed ran out of memory: errno is
 * ENOMEM (set it to 0 before the call) or the newest queued error is
 * ERR_R_MALLOC_FAILURE. (libp11tee has err_openssl_oom(); the provider,
 * a module of its own, keeps its own copy of the rule.)
 */
int prov_openssl_oom(void);

/* Raise an error on the core's queue with file/line/function; returns `reason`. */
prov_status prov_raise_at(const prov_ctx *ctx, const char *file, int line, const char *func,
                          prov_status reason, const char *fmt, ...) PROV_PRINTF(6, 7);
#define PROV_RAISE(ctx, reason, ...)                                                               \
    prov_raise_at((ctx), __FILE__, __LINE__, __func__, (reason), __VA_ARGS__)

/* Debug trace on stderr when P11TEE_PROV_DEBUG is set; a no-op otherwise. */
void prov_debug(const prov_ctx *ctx, const char *fmt, ...) PROV_PRINTF(2, 3);
/* 1 when P11TEE_PROV_DEBUG asks for the trace. */
int prov_debug_is_on(void);
/* A warning for the user: the configured callback, else the debug trace. */
void prov_warn(const prov_ctx *ctx, const char *fmt, ...) PROV_PRINTF(2, 3);

/* The EC_GROUP of `c` in this provider context. */
const EC_GROUP *prov_group(const prov_ctx *ctx, const prov_curve *c);

/*
 * Validate an encoded peer point on `c`: uncompressed, the right length,
 * coordinates below the field prime (else PROV_R_PEER_MALFORMED) and on the
 * curve (else PROV_R_PEER_OFF_CURVE). Raises on failure.
 */
prov_status prov_point_check(const prov_ctx *ctx, const prov_curve *c, const unsigned char *pt,
                             size_t len);

/* ---- the token and its keys (token layer) ------------------------------- */

/*
 * Outside the token layer a CK_RV or an object handle is an unsigned long,
 * as pkcs11.h defines them (its compatibility macros rename common
 * identifiers such as `value` and `params`, so only the layer includes it).
 */
#define PROV_NO_HANDLE 0UL /* CK_INVALID_HANDLE */

/* Name of a CK_RV ("CKR_PIN_INCORRECT"), or "CKR_0x..." in `buf`. */
const char *prov_ckr_name(unsigned long rv, char buf[24]);
/* The reason a failed C_Login maps to. */
prov_status prov_login_reason(unsigned long rv);

/* PROV_R_OK, or PROV_R_NOMEM. */
prov_status prov_token_new(prov_ctx *ctx);
/* Closes sessions and releases the module; keys must be freed before. */
void prov_token_free(prov_ctx *ctx);
/*
 * Load the module, find the token and log in, unless done already in this
 * process (after fork() the child re-initialises here). Raises on failure;
 * a failure is remembered and raised again, so that a wrong PIN is not
 * retried against the token's retry counter.
 */
prov_status prov_token_open(prov_ctx *ctx);
/* The PROV_INFO_* parameters of the open token into `params` (none when closed). */
prov_status prov_token_get_params(prov_ctx *ctx, OSSL_PARAM params[]);

/* A token key: the public point and, unless public-only, the two objects. */
typedef struct prov_key {
    prov_ctx *ctx;
    const prov_curve *curve; /* NULL until generated or imported */
    unsigned char pub[PROV_POINT_MAX];
    size_t pub_len;       /* 0: no public key */
    unsigned long priv;   /* object handle; PROV_NO_HANDLE: no private key */
    unsigned long pubobj; /* object handle; PROV_NO_HANDLE when imported */
    pid_t pid;            /* process whose session made the objects */
} prov_key;

/* Generate a key pair as session objects; fills priv, pubobj, pub, pid. */
prov_status prov_key_generate(prov_ctx *ctx, const prov_curve *c, prov_key *key);
/*
 * Make a sensitive, non-extractable session object from a private scalar
 * (for keys another provider hands over; p11tee itself never does this).
 */
prov_status prov_key_import_private(prov_ctx *ctx, const prov_curve *c, const unsigned char *scalar,
                                    size_t len, prov_key *key);
/* ECDH: writes c->field_bytes of X coordinate into `out`. */
prov_status prov_key_derive(prov_ctx *ctx, const prov_key *key, const unsigned char *peer,
                            size_t peer_len, unsigned char *out);
/* Destroy the key's objects if this process made them; never raises. */
void prov_key_destroy(prov_ctx *ctx, prov_key *key);
/*
 * The private key's attributes as the token reports them, in the form of
 * PROV_KEY_ATTRIBUTES_PROMISED, into `out`.
 */
prov_status prov_key_attributes(prov_ctx *ctx, const prov_key *key, char *out, size_t outlen);
/* Whether the key's objects belong to this process. */
int prov_key_is_current(const prov_key *key);
/* The same, raising PROV_R_KEY_STALE when they don't. */
prov_status prov_key_check_current(prov_ctx *ctx, const prov_key *key);

/* ---- dispatch tables ------------------------------------------------------ */

extern const OSSL_DISPATCH prov_keymgmt_ec_functions[];
extern const OSSL_DISPATCH prov_keyexch_ecdh_functions[];

#endif /* P11TEE_PROV_H */
