/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * What the servers' errors mean (PROTOCOL.md section 4's table), told by the
 * error type when there is one and by the message otherwise, since Venice's
 * API layer re-serialises bodies and does not always keep the type. Each
 * class gets its own status and a message that says what to do.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "net/net.h"

static const struct {
    const char *needle; /* a type, or a fragment of a message (case-insensitive) */
    api_server_error kind;
} api_errors[] = {
    {"e2ee_model_key_mismatch", API_SERR_KEY_MISMATCH},
    {"does not match this ACI service", API_SERR_KEY_MISMATCH},
    {"does not match this proxy instance", API_SERR_KEY_MISMATCH},
    {"key mismatch", API_SERR_KEY_MISMATCH},
    {"e2ee_decryption_failed", API_SERR_E2EE_DECRYPT},
    {"invalid_e2ee_request", API_SERR_E2EE_DECRYPT},
    {"Encrypted field is not valid hex", API_SERR_E2EE_DECRYPT},
    {"Encrypted message content must be hex-encoded", API_SERR_E2EE_DECRYPT},
    {"E2EE decryption failed", API_SERR_E2EE_DECRYPT},
    {"Failed to decrypt field", API_SERR_E2EE_DECRYPT},
    {"Decryption failed", API_SERR_E2EE_DECRYPT},
    {"Invalid public key", API_SERR_E2EE_HEADER},
    {"invalid E2EE public key", API_SERR_E2EE_HEADER},
    {"missing E2EE header", API_SERR_E2EE_HEADER},
    {"invalid E2EE version", API_SERR_E2EE_HEADER},
    {"E2EE requires streaming", API_SERR_E2EE_STREAMING},
    {"Nonce must be", API_SERR_NONCE},
    {"not found or expired", API_SERR_RECEIPT_GONE},
};

api_server_error api_classify_error(const char *text, const char *type)
{
    size_t i;

    for (i = 0; i < P11TEE_ARRAY_LEN(api_errors); i++)
        if ((type != NULL && strcasecmp(type, api_errors[i].needle) == 0) ||
            (text != NULL && strcasestr(text, api_errors[i].needle) != NULL))
            return api_errors[i].kind;
    return API_SERR_OTHER;
}

/* "the server answered HTTP 400" or "the server reported in the stream". */
static void api_where(char *out, size_t cap, long status)
{
    if (status > 0)
        snprintf(out, cap, "the server answered HTTP %ld", status);
    else
        snprintf(out, cap, "the server reported in the stream");
}

p11tee_status api_server_error_set(api_server_error kind, long status, const char *text,
                                   p11tee_status otherwise, p11tee_error *err)
{
    char where[64];

    api_where(where, sizeof(where), status);
    switch (kind) {
    case API_SERR_KEY_MISMATCH:
        return err_set(err, P11TEE_E_E2EE_MODEL_KEY_MISMATCH,
                       "%s that the attested model key is no longer the enclave's (%s): the "
                       "enclave rotated its key; attest again",
                       where, text);
    case API_SERR_E2EE_DECRYPT:
        return err_set(err, P11TEE_E_E2EE_REFUSED,
                       "%s that it could not decrypt the request (%s): the key it holds is not "
                       "the attested one, or a relay altered the request; retry, and report it "
                       "if it persists",
                       where, text);
    case API_SERR_E2EE_HEADER:
        return err_set(err, P11TEE_E_E2EE_REFUSED,
                       "%s that the E2EE headers are wrong (%s): the server does not speak "
                       "this E2EE version (legacy ecdsa headers)",
                       where, text);
    case API_SERR_E2EE_STREAMING:
        return err_set(err, P11TEE_E_E2EE_REFUSED,
                       "%s that E2EE requires streaming (%s): a relay turned streaming off", where,
                       text);
    case API_SERR_NONCE:
        return err_set(err, P11TEE_E_ATTEST_UNAVAILABLE,
                       "%s that the attestation nonce is wrong (%s), though p11tee sends 32 "
                       "fresh bytes: the attestation service is failing; retry later",
                       where, text);
    case API_SERR_RECEIPT_GONE:
        return err_set(err, P11TEE_E_HTTP,
                       "%s that the signature is gone (%s): servers keep signatures for a short "
                       "while; ask for it right after the chat",
                       where, text);
    case API_SERR_OTHER: break;
    }
    return otherwise;
}

p11tee_status api_attest_http_error(const struct net_response *resp, p11tee_status rc,
                                    p11tee_error *err)
{
    if (rc != P11TEE_E_HTTP)
        return rc;
    if (resp->status == 502 || resp->status == 503 || resp->status == 504)
        return err_set(err, P11TEE_E_ATTEST_UNAVAILABLE,
                       "the attestation service answered HTTP %ld (%s): some models cannot be "
                       "attested for a while; retry in a minute",
                       resp->status, resp->error_text[0] ? resp->error_text : "no message");
    return api_server_error_set(api_classify_error(resp->error_text, resp->error_type),
                                resp->status, resp->error_text, rc, err);
}
