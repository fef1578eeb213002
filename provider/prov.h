/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Internals of the p11tee provider: KEYMGMT "EC" and KEYEXCH "ECDH" whose
 * private keys live in a PKCS#11 token. Only this directory speaks PKCS#11.
 *
 *   provider.c      init, configuration, errors, query_operation, self_test
 *   token.c         module, token and login (libp11), sessions, fork, objects
 *   uri.c           RFC 7512 token URIs and PIN sources
 *   curve.c         supported curves and peer point validation
 *   keymgmt_ec.c    KEYMGMT "EC"
 *   keyexch_ecdh.c  KEYEXCH "ECDH"
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

/* ---- URIs and PINs (uri.c) ----------------------------------------------- */

#define PROV_URI_MAX 2048
#define PROV_PIN_MAX 256

/* A parsed token selector; absent attributes are NULL. */
typedef struct prov_uri {
    char *token; /* CK_TOKEN_INFO label */
    char *serial;
    char *manufacturer;
    char *model;
    char *slotid; /* slot-id: decimal CK_SLOT_ID, validated */
    char *pin_value;
    char *pin_source; /* "file:/path" or "/path" */
} prov_uri;

/*
 * Parse an RFC 7512 URI ("pkcs11:token=x;serial=y?pin-source=file:/p") or,
 * when `text` does not start with "pkcs11:", a plain token label. On error
 * returns 0 and writes a one-line reason (never a PIN) into `why`.
 */
int prov_uri_parse(const char *text, prov_uri *out, char *why, size_t whylen);
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
 * The PIN for `uri`: pin-value, else the first line of the pin-source file,
 * else $P11TEE_PIN. `*pin` is malloc'd; free it with prov_pin_free().
 */
prov_pin_status prov_pin_resolve(const prov_uri *uri, char **pin, char *why, size_t whylen);
void prov_pin_free(char *pin);

/* ---- the provider context (provider.c) ----------------------------------- */

typedef struct prov_token prov_token;

typedef struct prov_ctx {
    const OSSL_CORE_HANDLE *handle;
    OSSL_FUNC_core_new_error_fn *core_new_error;
    OSSL_FUNC_core_set_error_debug_fn *core_set_error_debug;
    OSSL_FUNC_core_vset_error_fn *core_vset_error;
    char *module_path;                  /* pkcs11-module */
    char *token_uri;                    /* pkcs11-token (may hold a pin-value: never print it) */
    int debug;                          /* P11TEE_PROV_DEBUG set */
    EC_GROUP *groups[PROV_CURVE_COUNT]; /* for peer validation, by prov_curves index */
    prov_token *token;
} prov_ctx;

/* Raise an error on the core's queue with file/line/function. */
void prov_raise_at(const prov_ctx *ctx, const char *file, int line, const char *func, int reason,
                   const char *fmt, ...) PROV_PRINTF(6, 7);
#define PROV_RAISE(ctx, reason, ...)                                                               \
    prov_raise_at((ctx), __FILE__, __LINE__, __func__, (reason), __VA_ARGS__)

/* Debug trace on stderr when P11TEE_PROV_DEBUG is set; a no-op otherwise. */
void prov_debug(const prov_ctx *ctx, const char *fmt, ...) PROV_PRINTF(2, 3);

/* The EC_GROUP of `c` in this provider context. */
const EC_GROUP *prov_group(const prov_ctx *ctx, const prov_curve *c);

/*
 * Validate an encoded peer point on `c`: uncompressed, the right length,
 * coordinates below the field prime (else PROV_R_PEER_MALFORMED) and on the
 * curve (else PROV_R_PEER_OFF_CURVE). Raises and returns 0 on failure.
 */
int prov_point_check(const prov_ctx *ctx, const prov_curve *c, const unsigned char *pt, size_t len);

/* ---- the token (token.c) ------------------------------------------------- */

/*
 * token.c alone includes pkcs11.h (whose compatibility macros rename common
 * identifiers such as `value` and `params`); elsewhere a CK_RV or an object
 * handle is an unsigned long, as the header defines them.
 */
#define PROV_NO_HANDLE 0UL /* CK_INVALID_HANDLE */

/* Name of a CK_RV ("CKR_PIN_INCORRECT"), or "CKR_0x..." in `buf`. */
const char *prov_ckr_name(unsigned long rv, char buf[24]);
/* The reason a failed C_Login maps to. */
int prov_login_reason(unsigned long rv);

int prov_token_new(prov_ctx *ctx);
/* Closes sessions and releases the module; keys must be freed before. */
void prov_token_free(prov_ctx *ctx);
/*
 * Load the module, find the token and log in, unless done already in this
 * process (after fork() the child re-initialises here). Raises on failure;
 * a failure is remembered and raised again, so that a wrong PIN is not
 * retried against the token's retry counter.
 */
int prov_token_open(prov_ctx *ctx);

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
int prov_token_generate(prov_ctx *ctx, const prov_curve *c, prov_key *key);
/*
 * Make a sensitive, non-extractable session object from a private scalar
 * (for keys another provider hands over; p11tee itself never does this).
 */
int prov_token_import_private(prov_ctx *ctx, const prov_curve *c, const unsigned char *scalar,
                              size_t len, prov_key *key);
/* ECDH: writes c->field_bytes of X coordinate into `out`. */
int prov_token_derive(prov_ctx *ctx, const prov_key *key, const unsigned char *peer,
                      size_t peer_len, unsigned char *out);
/* Destroy the key's objects if this process made them; never raises. */
void prov_token_destroy(prov_ctx *ctx, prov_key *key);
/* 1 when the key's objects belong to this process. */
int prov_key_is_current(const prov_key *key);
/* The same, raising PROV_R_KEY_STALE when they don't. */
int prov_key_check_current(prov_ctx *ctx, const prov_key *key);

/* ---- dispatch tables ------------------------------------------------------ */

extern const OSSL_DISPATCH prov_keymgmt_ec_functions[];
extern const OSSL_DISPATCH prov_keyexch_ecdh_functions[];

#endif /* P11TEE_PROV_H */
