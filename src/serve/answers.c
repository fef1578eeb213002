/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The HTTP status and OpenAI error type of every library failure, and
 * the two endpoints besides chat that need the upstream: the model list and
 * the latest attestation report of a model.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "serve/gateway.h"

/* Failures of the caller's request itself: 4xx. */
static int gw_status_request(p11tee_status rc, unsigned *http, const char **type, const char **code)
{
    *type = "invalid_request_error";
    switch (rc) {
    case P11TEE_E_INVALID_ARG:
    case P11TEE_E_TOO_LARGE: *http = 400, *code = "invalid_request"; return 1;
    case P11TEE_E_E2EE_UNSUPPORTED: *http = 400, *code = "e2ee_unsupported"; return 1;
    case P11TEE_E_MODEL_NOT_FOUND: *http = 404, *code = "model_not_found"; return 1;
    case P11TEE_E_MODEL_NO_E2EE:
    case P11TEE_E_MODEL_NO_TEE: *http = 400, *code = "model_not_supported"; return 1;
    case P11TEE_E_CANCELLED: *http = 499, *code = "cancelled"; return 1;
    default: return 0;
    }
}

void gw_status_map(p11tee_status rc, unsigned *http, const char **type, const char **code)
{
    if (gw_status_request(rc, http, type, code))
        return;
    *http = 502;
    *type = "upstream_error";
    switch (p11tee_status_class_of(rc)) {
    case P11TEE_CLASS_OK:
    case P11TEE_CLASS_GENERAL: *http = 500, *type = "server_error", *code = "internal_error"; break;
    case P11TEE_CLASS_TOKEN:
        *http = 503, *type = "server_error", *code = "token_unavailable";
        break;
    case P11TEE_CLASS_CRYPTO:
        *code = rc == P11TEE_E_E2EE_REFUSED ? "e2ee_refused" : "e2ee_integrity";
        break;
    case P11TEE_CLASS_ATTEST: *type = "attestation_error", *code = "attestation_failed"; break;
    case P11TEE_CLASS_NETWORK:
        *code = rc == P11TEE_E_NET_TIMEOUT || rc == P11TEE_E_NET_IDLE_TIMEOUT ? "upstream_timeout"
                : rc == P11TEE_E_STREAM_INCOMPLETE                            ? "stream_incomplete"
                : rc == P11TEE_E_ATTEST_UNAVAILABLE ? "attestation_unavailable"
                                                    : "upstream_unavailable";
        if (rc == P11TEE_E_NET_TIMEOUT || rc == P11TEE_E_NET_IDLE_TIMEOUT)
            *http = 504;
        if (rc == P11TEE_E_ATTEST_UNAVAILABLE) /* the service said so: worth a retry */
            *http = 503;
        break;
    case P11TEE_CLASS_HTTP:
        *code = rc == P11TEE_E_HTTP_UNAUTHORIZED ? "upstream_unauthorized"
                : rc == P11TEE_E_STREAM_ERROR    ? "upstream_stream_error"
                                                 : "upstream_error";
        break;
    }
}

void gw_models_run(void *job)
{
    gw_job *j = job;
    p11tee_error err;
    gw_buf out;
    p11tee_status rc;

    j->up = gw_upstream_get();
    gw_buf_init(&out);
    p11tee_error_clear(&err);
    rc = gw_models_json(j->up, &out, &err);
    if (rc == P11TEE_OK && !out.failed)
        gw_job_finish(j, 200, out.p, out.len);
    else
        gw_job_fail(j, rc != P11TEE_OK ? rc : P11TEE_E_NOMEM, &err);
    gw_buf_free(&out);
    gw_job_put(j);
}

/* The latest report the gateway relied on; attested now when there is none yet. */
void gw_attestation_run(void *job)
{
    gw_job *j = job;
    char header[GW_HEADER_MAX], id[GW_ATTEST_ID_MAX];
    p11tee_attestation *a = NULL;
    p11tee_error err;
    gw_buf out;
    p11tee_status rc = P11TEE_OK;

    j->up = gw_upstream_get();
    gw_buf_init(&out);
    p11tee_error_clear(&err);
    if (gw_attest_latest(j->model, &out, header, sizeof(header)) != 0) {
        rc = p11tee_chat_prepare(gw_upstream_client(j->up), j->model, &a, &err);
        if (rc == P11TEE_OK) {
            gw_attest_note(j->model, a, header, sizeof(header), id, sizeof(id));
            rc = gw_attest_latest(j->model, &out, header, sizeof(header)) == 0 ? P11TEE_OK
                                                                               : P11TEE_E_NOMEM;
        } else if (p11tee_status_class_of(rc) == P11TEE_CLASS_ATTEST) {
            gw_metrics_attestation(0);
        }
        p11tee_attestation_free(a);
    }
    if (rc == P11TEE_OK) {
        snprintf(j->att_header, sizeof(j->att_header), "%s", header);
        j->e2ee = gw_model_mode(j->model) != 0;
        gw_job_finish(j, 200, out.p, out.len);
    } else {
        gw_job_fail(j, rc, &err);
    }
    gw_buf_free(&out);
    gw_job_put(j);
}
