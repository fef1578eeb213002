/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* Status strings and the error object. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "common/common.h"

/* An allocation failed on this thread since err_oom_reset() (see common.h). */
static _Thread_local int err_oom_flag;

const char *p11tee_strerror(p11tee_status code)
{
    /* No default: -Wswitch names any status that lacks a message. */
    switch (code) {
    case P11TEE_OK: return "success";
    case P11TEE_E_NOMEM: return "out of memory";
    case P11TEE_E_INVALID_ARG: return "invalid argument";
    case P11TEE_E_INTERNAL: return "internal error";
    case P11TEE_E_IO: return "file input/output error";
    case P11TEE_E_CONFIG: return "invalid configuration";
    case P11TEE_E_TOO_LARGE: return "input exceeds its size limit";
    case P11TEE_E_API_KEY_MISSING: return "no API key configured";
    case P11TEE_E_CANCELLED: return "the request was cancelled";
    case P11TEE_E_POLICY_FILE: return "the policy file cannot be read or is invalid";
    case P11TEE_E_PROVIDER_LOAD: return "the p11tee OpenSSL provider could not be loaded";
    case P11TEE_E_MODULE_LOAD: return "the PKCS#11 module could not be loaded";
    case P11TEE_E_TOKEN_NOT_FOUND: return "no PKCS#11 token matches the configured URI";
    case P11TEE_E_PIN_MISSING: return "no token PIN configured";
    case P11TEE_E_PIN_INCORRECT: return "the token rejected the PIN";
    case P11TEE_E_PIN_LOCKED: return "the token PIN is locked";
    case P11TEE_E_LOGIN: return "login to the token failed";
    case P11TEE_E_CURVE_UNSUPPORTED: return "elliptic curve not supported";
    case P11TEE_E_KEYGEN: return "key generation in the token failed";
    case P11TEE_E_PEER_MALFORMED: return "peer public key is malformed";
    case P11TEE_E_PEER_OFF_CURVE: return "peer public key is not on the curve";
    case P11TEE_E_DERIVE: return "ECDH in the token failed";
    case P11TEE_E_TOKEN: return "PKCS#11 token operation failed";
    case P11TEE_E_KEY_STALE: return "key handle is no longer valid in this process";
    case P11TEE_E_TOKEN_URI: return "invalid PKCS#11 token URI";
    case P11TEE_E_PIN_FINAL_TRY: return "the token allows one more PIN attempt only";
    case P11TEE_E_HEX_ODD_LENGTH: return "hex string has an odd length";
    case P11TEE_E_HEX_INVALID: return "invalid hex character";
    case P11TEE_E_BASE64_INVALID: return "invalid base64";
    case P11TEE_E_ENVELOPE_SHORT: return "encrypted envelope is too short";
    case P11TEE_E_ENVELOPE_EPHEMERAL: return "envelope ephemeral key is invalid";
    case P11TEE_E_ENVELOPE_AUTH: return "envelope authentication failed";
    case P11TEE_E_CLIENT_KEY_INVALID: return "client public key is invalid";
    case P11TEE_E_MODEL_KEY_INVALID: return "model public key is invalid";
    case P11TEE_E_CIPHERTEXT_NOT_HEX: return "ciphertext is not valid hex";
    case P11TEE_E_CRYPTO: return "cryptographic operation failed";
    case P11TEE_E_E2EE_PLAINTEXT: return "plaintext field inside an E2EE stream";
    case P11TEE_E_E2EE_UNSUPPORTED: return "request feature not available with E2EE";
    case P11TEE_E_E2EE_REFUSED: return "server refused or could not open the encrypted request";
    case P11TEE_E_E2EE_REPLAY: return "the server sent an encrypted field a second time";
    case P11TEE_E_E2EE_SESSION_FULL: return "the E2EE session has opened all the fields it can";
    case P11TEE_E_NET: return "network transfer failed";
    case P11TEE_E_NET_CONNECT: return "could not connect to the server";
    case P11TEE_E_NET_TLS: return "TLS verification or handshake failed";
    case P11TEE_E_NET_TIMEOUT: return "request timed out";
    case P11TEE_E_NET_IDLE_TIMEOUT: return "server stopped sending data";
    case P11TEE_E_SSE_LINE_TOO_LONG: return "event-stream line exceeds its limit";
    case P11TEE_E_SSE_EVENT_TOO_LARGE: return "event-stream event exceeds its limit";
    case P11TEE_E_STREAM_INCOMPLETE: return "stream ended before [DONE]";
    case P11TEE_E_RESPONSE_TOO_LARGE: return "response exceeds its size limit";
    case P11TEE_E_ATTEST_UNAVAILABLE: return "attestation service temporarily unavailable";
    case P11TEE_E_NET_HEADER_TOO_LARGE: return "the response headers are too large";
    case P11TEE_E_HTTP: return "server returned an HTTP error";
    case P11TEE_E_HTTP_UNAUTHORIZED: return "server refused the API key";
    case P11TEE_E_JSON: return "response is not valid JSON";
    case P11TEE_E_JSON_FIELD: return "response field missing or of the wrong type";
    case P11TEE_E_MODEL_NOT_FOUND: return "model not found";
    case P11TEE_E_MODEL_NO_E2EE: return "model does not support end-to-end encryption";
    case P11TEE_E_MODEL_NO_TEE: return "model does not support TEE attestation";
    case P11TEE_E_E2EE_MODEL_KEY_MISMATCH: return "model key is not the enclave's current key";
    case P11TEE_E_E2EE_SERVER: return "server could not process the encrypted request";
    case P11TEE_E_STREAM_ERROR: return "server reported an error inside the stream";
    case P11TEE_E_ATTEST_NOT_VERIFIED: return "server did not report the attestation as verified";
    case P11TEE_E_ATTEST_NONCE_MISMATCH: return "attestation nonce mismatch (possible replay)";
    case P11TEE_E_ATTEST_MODEL_MISMATCH: return "attestation is for another model";
    case P11TEE_E_ATTEST_SIGNING_KEY: return "attested signing key missing or malformed";
    case P11TEE_E_ATTEST_ADDRESS_MISMATCH: return "signing address does not match the signing key";
    case P11TEE_E_ATTEST_DEBUG: return "TEE is in debug mode";
    case P11TEE_E_REPORTDATA_ADDRESS: return "TDX REPORTDATA does not bind the signing address";
    case P11TEE_E_REPORTDATA_NONCE: return "TDX REPORTDATA does not bind the nonce";
    case P11TEE_E_QUOTE_FORMAT: return "TDX quote is malformed";
    case P11TEE_E_QUOTE_UNSUPPORTED: return "TDX quote version or type not supported";
    case P11TEE_E_QUOTE_SIGNATURE: return "TDX quote signature is invalid";
    case P11TEE_E_QE_SIGNATURE: return "QE report signature is invalid";
    case P11TEE_E_QE_REPORTDATA: return "QE report data does not bind the attestation key";
    case P11TEE_E_PCK_CHAIN: return "PCK certificate chain does not verify to the pinned root";
    case P11TEE_E_COLLATERAL: return "TDX collateral is invalid";
    case P11TEE_E_TCB_STATUS: return "TCB status not accepted by policy";
    case P11TEE_E_REVOKED: return "certificate revoked";
    case P11TEE_E_QE_IDENTITY: return "quoting enclave identity does not match";
    case P11TEE_E_NVIDIA_FORMAT: return "NVIDIA evidence is malformed";
    case P11TEE_E_NVIDIA_NONCE: return "NVIDIA evidence does not carry the nonce";
    case P11TEE_E_NVIDIA_SIGNATURE: return "NVIDIA evidence signature is invalid";
    case P11TEE_E_NVIDIA_CHAIN:
        return "NVIDIA certificate chain does not verify to the pinned root";
    case P11TEE_E_NVIDIA_FWID: return "NVIDIA certificate FWID does not match the report";
    case P11TEE_E_POLICY: return "attestation policy is invalid";
    case P11TEE_E_MEASUREMENT: return "measurement does not match the policy";
    case P11TEE_E_ATTEST_REQUIRED: return "a required attestation check did not pass";
    case P11TEE_E_SIGNATURE_FORMAT: return "response signature is malformed";
    case P11TEE_E_SIGNATURE_MISMATCH: return "response signature is not from the attested key";
    case P11TEE_E_QUOTE_MISSING: return "attestation carries no TDX quote";
    case P11TEE_E_ADDRESS_FORMAT:
        return "Ethereum address is malformed or fails its EIP-55 checksum";
    case P11TEE_E_TDX_MODULE: return "TDX module identity does not match the TCB info";
    }
    return "unknown status";
}

p11tee_status_class p11tee_status_class_of(p11tee_status code)
{
    switch ((int)code / 100) {
    case 0: return P11TEE_CLASS_OK;
    case 2: return P11TEE_CLASS_TOKEN;
    case 3: return P11TEE_CLASS_CRYPTO;
    case 4: return P11TEE_CLASS_NETWORK;
    case 5: return P11TEE_CLASS_HTTP;
    case 6: return P11TEE_CLASS_ATTEST;
    default: return P11TEE_CLASS_GENERAL;
    }
}

void p11tee_error_clear(p11tee_error *err)
{
    if (err == NULL)
        return;
    err->code = P11TEE_OK;
    err->message[0] = '\0';
    err->detail[0] = '\0';
}

static P11TEE_PRINTF(3, 0) void err_vset(p11tee_error *err, p11tee_status code, const char *fmt,
                                         va_list ap)
{
    err->code = code;
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    err->detail[0] = '\0';
}

p11tee_status err_set(p11tee_error *err, p11tee_status code, const char *fmt, ...)
{
    va_list ap;

    if (code == P11TEE_E_NOMEM)
        err_oom_flag = 1;
    if (err == NULL)
        return code;
    va_start(ap, fmt);
    err_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void err_detail(p11tee_error *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
}

/* Drain this thread's OpenSSL error queue into `out` as "a; b; c". */
static void openssl_queue_text(char *out, size_t outlen)
{
    unsigned long e;
    const char *data;
    int flags;
    size_t used = 0;

    out[0] = '\0';
    while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
        char one[256];
        int n;

        ERR_error_string_n(e, one, sizeof(one));
        n = snprintf(out + used, outlen - used, "%s%s%s%s", used ? "; " : "", one,
                     (flags & ERR_TXT_STRING) && data[0] ? ": " : "",
                     (flags & ERR_TXT_STRING) ? data : "");
        if (n < 0 || (size_t)n >= outlen - used) {
            ERR_clear_error();
            break;
        }
        used += (size_t)n;
    }
}

int err_openssl_oom(void)
{
    unsigned long e = ERR_peek_last_error();
    int oom = errno == ENOMEM || (e != 0 && ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE);

    if (oom)
        err_oom_flag = 1;
    return oom;
}

void err_oom_reset(void)
{
    err_oom_flag = 0;
    errno = 0;
}

void err_oom_note(void)
{
    err_oom_flag = 1;
}

void err_errno_reset(void)
{
    if (errno == ENOMEM)
        err_oom_flag = 1;
    errno = 0;
}

int err_oom_seen(void)
{
    return err_oom_flag || err_openssl_oom();
}

void err_openssl_clear(void)
{
    unsigned long e;

    /* OpenSSL's providers often fail an allocation without a word: errno tells. */
    if (errno == ENOMEM)
        err_oom_flag = 1;
    while ((e = ERR_get_error()) != 0)
        if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
            err_oom_flag = 1;
}

p11tee_status err_openssl(p11tee_error *err, p11tee_status code, const char *fmt, ...)
{
    char what[P11TEE_ERROR_MESSAGE_MAX];
    va_list ap;

    if (err_openssl_oom())
        code = P11TEE_E_NOMEM;
    if (err == NULL) {
        ERR_clear_error();
        return code;
    }
    va_start(ap, fmt);
    if (code == P11TEE_E_NOMEM) {
        vsnprintf(what, sizeof(what), fmt, ap);
        err_set(err, code, "out of memory (%.200s)", what);
    } else {
        err_vset(err, code, fmt, ap);
    }
    va_end(ap);
    openssl_queue_text(err->detail, sizeof(err->detail));
    return code;
}
