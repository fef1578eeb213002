/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Attestation flows: fetch with a fresh nonce (and the native ACI report)
 * and verify, and check a response signature against the attested key, or
 * against a saved attestation (flow_offline.c reads those).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "api/flow.h"
#include "crypto/crypto.h"
#include "net/net.h"

p11tee_status api_judge_collateral(const p11tee_config *cfg, const uint8_t *quote, size_t qlen,
                                   const char *given, p11tee_attestation *a, attest_expect *ex,
                                   char *why, size_t wcap, p11tee_error *err)
{
    size_t len = 0;

    why[0] = '\0';
    a->verified_at = ex->at != 0 ? ex->at : time(NULL);
    if (ex->collateral != NULL) {
        snprintf(a->collateral, sizeof(a->collateral), "%s%s",
                 given != NULL ? "the file " : "the saved collateral", given != NULL ? given : "");
        if ((a->collateral_doc = malloc(ex->collateral_len + 1)) == NULL)
            return err_set(err, P11TEE_E_NOMEM, "out of memory");
        memcpy(a->collateral_doc, ex->collateral, ex->collateral_len);
        a->collateral_doc[ex->collateral_len] = '\0';
        a->collateral_doc_len = ex->collateral_len;
        a->collateral_file = given != NULL ? realpath(given, NULL) : NULL;
        return P11TEE_OK;
    }
    api_collateral_for_quote(cfg, a->policy->rules, quote, qlen, &a->collateral_doc, &len,
                             a->collateral, sizeof(a->collateral), why, wcap);
    a->collateral_doc_len = len;
    ex->collateral = a->collateral_doc;
    ex->collateral_len = len;
    ex->collateral_why = why;
    return P11TEE_OK;
}

/* The policy for the model asked for, else the one the response names (its section, if any). */
static p11tee_status judge_policy(const api_attestation *response, const attest_expect *ex,
                                  api_policy *pol, api_policy **out, p11tee_error *err)
{
    char model[API_MODEL_MAX] = "";
    strview m = response->ev.model;

    if (ex->model != NULL)
        snprintf(model, sizeof(model), "%s", ex->model);
    else if (m.p != NULL && m.len < sizeof(model))
        snprintf(model, sizeof(model), "%.*s", (int)m.len, m.p);
    return api_policy_for_model(pol, model[0] != '\0' ? model : NULL, out, err);
}

p11tee_status api_judge(const p11tee_config *cfg, api_attestation *response,
                        const attest_expect *ex, const char *given, const char *nonce_hex,
                        api_policy *pol, p11tee_attestation **out, p11tee_error *err)
{
    p11tee_attestation *a = NULL;
    api_policy *mp = NULL;
    attest_expect with = *ex;
    char why[ATTEST_REASON_MAX];
    p11tee_status rc;

    *out = NULL;
    rc = judge_policy(response, ex, pol, &mp, err);
    if (rc == P11TEE_OK && (a = api_attestation_alloc(mp)) == NULL)
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory");
    api_policy_free(mp); /* the attestation holds it */
    if (rc == P11TEE_OK)
        rc = api_judge_collateral(cfg, (const uint8_t *)response->ev.intel_quote.p,
                                  response->ev.intel_quote.len, given, a, &with, why, sizeof(why),
                                  err);
    if (rc != P11TEE_OK) {
        p11tee_attestation_free(a);
        api_attestation_free(response);
        return rc;
    }
    err_oom_reset();
    attest_evaluate(&response->ev, &with, a->policy->rules, &a->outcome);
    /* An allocation that failed during the checks is not a verdict on the evidence. */
    if (err_oom_seen()) {
        api_attestation_free(response);
        p11tee_attestation_free(a);
        return err_set(err, P11TEE_E_NOMEM, "out of memory verifying the attestation");
    }
    rc = api_attestation_seal(a, response, ex->model, nonce_hex, err);
    a->response.ev.native_error = a->response.native_error; /* it moved with the response */
    if (rc != P11TEE_OK) {
        p11tee_attestation_free(a);
        return rc;
    }
    *out = a;
    return api_attestation_judge(a, err);
}

/*
 * The operator's native ACI report for the same nonce, when aci-report-url
 * is set: on another host, without the API key. What cannot be fetched is
 * said in the report (the aci.native.* checks are then not checked); what
 * arrives but cannot be read fails them.
 */
static void flow_native(p11tee_client *c, const char *nonce_hex, api_attestation *parsed)
{
    char path[API_ACI_PATH_MAX + 80];
    net_request req;
    net_response resp;
    p11tee_error err;
    p11tee_status rc;

    if (c->aci_net == NULL)
        return;
    snprintf(path, sizeof(path), "%s?nonce=%s", c->aci_path, nonce_hex);
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = path;
    api_log(c, "* fetching the native ACI report with the same nonce");
    rc = net_perform(c->aci_net, &req, &resp, &err);
    if (rc == P11TEE_OK)
        rc = api_attestation_add_native(parsed, (const char *)resp.body.data, resp.body.len, &err);
    parsed->ev.native_wanted = 1;
    parsed->ev.native_rc = rc;
    if (rc != P11TEE_OK)
        snprintf(parsed->native_error, sizeof(parsed->native_error), "%s", err.message);
    parsed->ev.native_error = parsed->native_error;
    net_response_free(&resp);
}

p11tee_status api_attest_model(p11tee_client *c, const char *model, p11tee_attestation **out,
                               p11tee_error *err)
{
    uint8_t nonce[P11TEE_NONCE_BYTES];
    char nonce_hex[2 * P11TEE_NONCE_BYTES + 1], esc[3 * API_MODEL_MAX + 1], path[512];
    attest_expect ex;
    api_attestation parsed;
    net_response resp;
    p11tee_status rc;

    *out = NULL;
    if (!api_query_escape(model, esc, sizeof(esc)))
        return err_set(err, P11TEE_E_INVALID_ARG, "model id is too long");
    /* A fresh nonce per request: a replayed attestation cannot carry it. */
    if (RAND_bytes(nonce, sizeof(nonce)) != 1)
        return err_openssl(err, P11TEE_E_CRYPTO, "no random bytes for the attestation nonce");
    hex_encode(nonce, sizeof(nonce), nonce_hex, sizeof(nonce_hex));
    snprintf(path, sizeof(path), "/tee/attestation?model=%s&nonce=%s", esc, nonce_hex);
    api_log(c, "* attesting %s with nonce %s", model, nonce_hex);
    rc = api_attest_http_error(&resp, api_get(c, path, &resp, err), err);
    if (rc == P11TEE_OK)
        rc = api_parse_attestation((const char *)resp.body.data, resp.body.len, model,
                                   c->cfg.api_key, &parsed, err);
    net_response_free(&resp);
    if (rc != P11TEE_OK)
        return rc;
    flow_native(c, nonce_hex, &parsed);
    memset(&ex, 0, sizeof(ex));
    ex.model = model;
    ex.nonce = nonce;
    rc = api_judge(&c->cfg, &parsed, &ex, NULL, nonce_hex, c->policy, out, err);
    if (*out != NULL)
        (*out)->fetched_at = time(NULL);
    api_log(c, "* attestation of %s: %s", model,
            rc == P11TEE_OK ? "every required check passed" : "REFUSED");
    return rc;
}

p11tee_status p11tee_attest(p11tee_client *client, const char *model, p11tee_attestation **out,
                            p11tee_error *err)
{
    p11tee_error local;

    return api_attest_model(client, model, out, err != NULL ? err : &local);
}

/* An ACI receipt that came with the signature, against the attested keyset and its anchor. */
static void flow_receipt(p11tee_attestation *a, const api_signature *sig, const char *request_id,
                         const p11tee_signature_options *o)
{
    attest_receipt_in in;

    memset(&in, 0, sizeof(in));
    in.receipt = sig->receipt;
    in.keyset = a->response.ev.aci.keyset;
    in.att = &a->outcome;
    in.native_configured = a->response.ev.native_wanted;
    in.request_id = request_id;
    if (o != NULL) {
        in.request = o->request;
        in.request_len = o->request_len;
        in.response = o->response;
        in.response_len = o->response_len;
    }
    attest_verify_receipt(&in, &a->outcome.report);
}

/* GET /tee/signature for `request_id`, checked against the attested address. */
static p11tee_status flow_signature(p11tee_client *c, p11tee_attestation *a, const char *model,
                                    const char *request_id, const p11tee_signature_options *o,
                                    p11tee_error *err)
{
    char esc_model[3 * 128 + 1], esc_id[3 * 128 + 1], path[1024];
    api_signature sig;
    eth_response_sig in;
    net_response resp;
    p11tee_status rc;

    if (!api_query_escape(model, esc_model, sizeof(esc_model)) ||
        !api_query_escape(request_id, esc_id, sizeof(esc_id)))
        return err_set(err, P11TEE_E_INVALID_ARG, "model or request id is too long");
    snprintf(path, sizeof(path), "/tee/signature?model=%s&request_id=%s", esc_model, esc_id);
    rc = api_get(c, path, &resp, err);
    if (rc == P11TEE_E_HTTP &&
        api_classify_error(resp.error_text, resp.error_type) == API_SERR_RECEIPT_GONE)
        rc = api_server_error_set(API_SERR_RECEIPT_GONE, resp.status, resp.error_text, rc, err);
    if (rc == P11TEE_OK)
        rc = api_parse_signature((const char *)resp.body.data, resp.body.len, c->cfg.api_key, &sig,
                                 err);
    net_response_free(&resp);
    if (rc != P11TEE_OK)
        return rc;
    memset(&in, 0, sizeof(in));
    in.text = sig.text.p;
    in.text_len = sig.text.len;
    in.signature = sig.signature.p;
    in.signature_len = sig.signature.len;
    in.signing_address = sig.signing_address.p;
    in.signing_address_len = sig.signing_address.len;
    in.attested_address = a->outcome.address;
    in.model = model;
    if (o != NULL) {
        in.request = o->request;
        in.request_len = o->request_len;
        in.response = o->response;
        in.response_len = o->response_len;
    }
    err_oom_reset();
    eth_verify_response(&in, &a->outcome.report, NULL);
    flow_receipt(a, &sig, request_id, o);
    api_signature_free(&sig);
    if (err_oom_seen())
        return err_set(err, P11TEE_E_NOMEM, "out of memory verifying the response signature");
    return api_attestation_judge(a, err);
}

p11tee_status p11tee_signature_verify(p11tee_client *client, const char *model,
                                      const char *request_id, const p11tee_signature_options *opts,
                                      p11tee_attestation **out, p11tee_error *err)
{
    p11tee_error local;
    p11tee_status rc;

    if (err == NULL)
        err = &local;
    if (opts != NULL && opts->attestation != NULL) {
        attest_expect ex;

        /* The attestation the exchange relied on: keys rotate, this one was current then. */
        memset(&ex, 0, sizeof(ex));
        ex.model = model;
        rc = api_attest_saved(&client->cfg, client->policy, opts->attestation,
                              opts->attestation_len, &ex, NULL, out, err);
    } else {
        rc = api_attest_model(client, model, out, err);
    }
    /* Without a trusted address there is nothing to compare the signer with. */
    if (rc != P11TEE_OK)
        return rc;
    if (!(*out)->outcome.has_address)
        return err_set(err, P11TEE_E_ATTEST_SIGNING_KEY, "the attestation yields no address");
    return flow_signature(client, *out, model, request_id, opts, err);
}
