/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * p11tee status codes and the error object every fallible call fills.
 *
 * The enum is append-only: a value, once released, never changes meaning.
 * Codes are grouped by hundreds; the group is the class the CLI turns into
 * its exit code (see p11tee_status_class()).
 */
#ifndef P11TEE_ERROR_H
#define P11TEE_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum p11tee_status {
    P11TEE_OK = 0,

    /* 1xx: general (exit class P11TEE_CLASS_GENERAL) */
    P11TEE_E_NOMEM = 100,
    P11TEE_E_INVALID_ARG = 101,
    P11TEE_E_INTERNAL = 102,
    P11TEE_E_IO = 103,
    P11TEE_E_CONFIG = 104,
    P11TEE_E_TOO_LARGE = 105,
    P11TEE_E_API_KEY_MISSING = 106,
    P11TEE_E_CANCELLED = 107,
    P11TEE_E_POLICY_FILE = 108,

    /* 2xx: PKCS#11 token and provider (P11TEE_CLASS_TOKEN) */
    P11TEE_E_PROVIDER_LOAD = 200,
    P11TEE_E_MODULE_LOAD = 201,
    P11TEE_E_TOKEN_NOT_FOUND = 202,
    P11TEE_E_PIN_MISSING = 203,
    P11TEE_E_PIN_INCORRECT = 204,
    P11TEE_E_PIN_LOCKED = 205,
    P11TEE_E_LOGIN = 206,
    P11TEE_E_CURVE_UNSUPPORTED = 207,
    P11TEE_E_KEYGEN = 208,
    P11TEE_E_PEER_MALFORMED = 209,
    P11TEE_E_PEER_OFF_CURVE = 210,
    P11TEE_E_DERIVE = 211,
    P11TEE_E_TOKEN = 212,
    P11TEE_E_KEY_STALE = 213,
    P11TEE_E_TOKEN_URI = 214,
    P11TEE_E_PIN_FINAL_TRY = 215,

    /* 3xx: envelope, codecs, E2EE integrity (P11TEE_CLASS_CRYPTO) */
    P11TEE_E_HEX_ODD_LENGTH = 300,
    P11TEE_E_HEX_INVALID = 301,
    P11TEE_E_BASE64_INVALID = 302,
    P11TEE_E_ENVELOPE_SHORT = 303,
    P11TEE_E_ENVELOPE_EPHEMERAL = 304,
    P11TEE_E_ENVELOPE_AUTH = 305,
    P11TEE_E_CLIENT_KEY_INVALID = 306,
    P11TEE_E_MODEL_KEY_INVALID = 307,
    P11TEE_E_CIPHERTEXT_NOT_HEX = 308,
    P11TEE_E_CRYPTO = 309,
    P11TEE_E_E2EE_PLAINTEXT = 310,
    P11TEE_E_E2EE_UNSUPPORTED = 311,
    P11TEE_E_E2EE_REFUSED = 312, /* the server refused or could not open the encrypted request */
    P11TEE_E_E2EE_REPLAY = 313,
    P11TEE_E_E2EE_SESSION_FULL = 314,

    /* 4xx: network and transport (P11TEE_CLASS_NETWORK) */
    P11TEE_E_NET = 400,
    P11TEE_E_NET_CONNECT = 401,
    P11TEE_E_NET_TLS = 402,
    P11TEE_E_NET_TIMEOUT = 403,
    P11TEE_E_NET_IDLE_TIMEOUT = 404,
    P11TEE_E_SSE_LINE_TOO_LONG = 405,
    P11TEE_E_SSE_EVENT_TOO_LARGE = 406,
    P11TEE_E_STREAM_INCOMPLETE = 407,
    P11TEE_E_RESPONSE_TOO_LARGE = 408,
    P11TEE_E_ATTEST_UNAVAILABLE =
        409, /* the attestation service failed (HTTP 502/503/504): retry */
    P11TEE_E_NET_HEADER_TOO_LARGE = 410,

    /* 5xx: HTTP status and API protocol (P11TEE_CLASS_HTTP) */
    P11TEE_E_HTTP = 500,
    P11TEE_E_HTTP_UNAUTHORIZED = 501,
    P11TEE_E_JSON = 502,
    P11TEE_E_JSON_FIELD = 503,
    P11TEE_E_MODEL_NOT_FOUND = 504,
    P11TEE_E_MODEL_NO_E2EE = 505,
    P11TEE_E_MODEL_NO_TEE = 506,
    P11TEE_E_E2EE_MODEL_KEY_MISMATCH = 507,
    P11TEE_E_E2EE_SERVER = 508,  /* no longer returned: E2EE refusals are P11TEE_E_E2EE_REFUSED */
    P11TEE_E_STREAM_ERROR = 509, /* the server put an error inside the stream */

    /* 6xx: attestation and trust (P11TEE_CLASS_ATTEST) */
    P11TEE_E_ATTEST_NOT_VERIFIED = 600,
    P11TEE_E_ATTEST_NONCE_MISMATCH = 601,
    P11TEE_E_ATTEST_MODEL_MISMATCH = 602,
    P11TEE_E_ATTEST_SIGNING_KEY = 603,
    P11TEE_E_ATTEST_ADDRESS_MISMATCH = 604,
    P11TEE_E_ATTEST_DEBUG = 605,
    P11TEE_E_REPORTDATA_ADDRESS = 606,
    P11TEE_E_REPORTDATA_NONCE = 607,
    P11TEE_E_QUOTE_FORMAT = 608,
    P11TEE_E_QUOTE_UNSUPPORTED = 609,
    P11TEE_E_QUOTE_SIGNATURE = 610,
    P11TEE_E_QE_SIGNATURE = 611,
    P11TEE_E_QE_REPORTDATA = 612,
    P11TEE_E_PCK_CHAIN = 613,
    P11TEE_E_COLLATERAL = 614,
    P11TEE_E_TCB_STATUS = 615,
    P11TEE_E_REVOKED = 616,
    P11TEE_E_QE_IDENTITY = 617,
    P11TEE_E_NVIDIA_FORMAT = 618,
    P11TEE_E_NVIDIA_NONCE = 619,
    P11TEE_E_NVIDIA_SIGNATURE = 620,
    P11TEE_E_NVIDIA_CHAIN = 621,
    P11TEE_E_NVIDIA_FWID = 622,
    P11TEE_E_POLICY = 623,
    P11TEE_E_MEASUREMENT = 624,
    P11TEE_E_ATTEST_REQUIRED = 625,
    P11TEE_E_SIGNATURE_FORMAT = 626,
    P11TEE_E_SIGNATURE_MISMATCH = 627,
    P11TEE_E_QUOTE_MISSING = 628,
    P11TEE_E_ADDRESS_FORMAT = 629,
    P11TEE_E_TDX_MODULE = 630,
} p11tee_status;

/* Exit-code classes; the CLI documents one exit code per class. */
typedef enum p11tee_status_class {
    P11TEE_CLASS_OK = 0,
    P11TEE_CLASS_GENERAL = 1,
    P11TEE_CLASS_TOKEN = 2,
    P11TEE_CLASS_CRYPTO = 3,
    P11TEE_CLASS_NETWORK = 4,
    P11TEE_CLASS_HTTP = 5,
    P11TEE_CLASS_ATTEST = 6,
} p11tee_status_class;

#define P11TEE_ERROR_MESSAGE_MAX 1024
#define P11TEE_ERROR_DETAIL_MAX  512

/*
 * What went wrong, for a person. `message` is one line that says what failed
 * and what to do; `detail` carries the lower-level cause (an OpenSSL reason,
 * a CK_RV name, an HTTP status). Neither ever contains a PIN or API key.
 */
typedef struct p11tee_error {
    p11tee_status code;
    char message[P11TEE_ERROR_MESSAGE_MAX];
    char detail[P11TEE_ERROR_DETAIL_MAX];
} p11tee_error;

/* A short, stable description of a status code. Never NULL. */
const char *p11tee_strerror(p11tee_status code);

/* The exit-code class of a status code. */
p11tee_status_class p11tee_status_class_of(p11tee_status code);

/* Reset an error object to P11TEE_OK with empty texts. Accepts NULL. */
void p11tee_error_clear(p11tee_error *err);

#ifdef __cplusplus
}
#endif

#endif /* P11TEE_ERROR_H */
