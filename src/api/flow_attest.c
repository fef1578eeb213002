/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Attestation flows: fetch with a fresh nonce and verify, verify a saved
 * response or a bare quote offline, and check a response signature against
 * the attested key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "api/api.h"
#include "crypto/crypto.h"
#include "net/net.h"

/*
 * The verifier's outcome of `response` (moved into the attestation) under
 * `pol`, as a sealed and judged public object; the verdict is returned. Only
 * an allocation failure leaves `*out` NULL.
 */
static p11tee_status flow_judge(api_attestation *response, const attest_expect *ex,
                                const char *nonce_hex, api_policy *pol, p11tee_attestation **out,
                                p11tee_error *err)
{
    p11tee_attestation *a = api_attestation_alloc(pol);
    p11tee_status rc;

    *out = NULL;
    if (a == NULL) {
        api_attestation_free(response);
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    }
    attest_evaluate(&response->ev, ex, pol->rules, &a->outcome);
    rc = api_attestation_seal(a, response, ex->model, nonce_hex, err);
    if (rc != P11TEE_OK) {
        p11tee_attestation_free(a);
        return rc;
    }
    *out = a;
    return api_attestation_judge(a, err);
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
        rc =
            api_parse_attestation((const char *)resp.body.data, resp.body.len, model, &parsed, err);
    net_response_free(&resp);
    if (rc != P11TEE_OK)
        return rc;
    memset(&ex, 0, sizeof(ex));
    ex.model = model;
    ex.nonce = nonce;
    rc = flow_judge(&parsed, &ex, nonce_hex, c->policy, out, err);
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

/* What an offline verification knows: the caller's expectations and the policy. */
typedef struct flow_offline {
    attest_expect ex;
    uint8_t nonce[P11TEE_NONCE_BYTES];
    char *collateral;
    attest_policy *rules; /* the configured policy, until it is shared */
} flow_offline;

static p11tee_status flow_offline_collateral(const char *path, flow_offline *f, p11tee_error *err)
{
    FILE *fp = fopen(path, "rb");
    size_t n = 0;

    f->collateral = fp != NULL ? malloc(TDX_COLLATERAL_MAX + 1) : NULL;
    if (f->collateral != NULL)
        n = fread(f->collateral, 1, TDX_COLLATERAL_MAX + 1, fp);
    if (fp != NULL)
        fclose(fp);
    if (f->collateral == NULL || n > TDX_COLLATERAL_MAX)
        return err_set(err, P11TEE_E_IO, "cannot read collateral file %s (or it exceeds %d bytes)",
                       path, TDX_COLLATERAL_MAX);
    f->ex.collateral = f->collateral;
    f->ex.collateral_len = n;
    return P11TEE_OK;
}

/* The options as expectations, and the configured policy (or the strict default). */
static p11tee_status flow_offline_begin(const p11tee_config *cfg, const p11tee_offline_options *o,
                                        flow_offline *f, p11tee_error *err)
{
    memset(f, 0, sizeof(*f));
    if (o != NULL) {
        f->ex.model = o->model;
        f->ex.at = o->at;
        if (o->nonce_hex != NULL) {
            if (strlen(o->nonce_hex) != 2 * P11TEE_NONCE_BYTES ||
                hex_decode(o->nonce_hex, 2 * P11TEE_NONCE_BYTES, f->nonce, P11TEE_NONCE_BYTES, NULL,
                           NULL) != P11TEE_OK)
                return err_set(err, P11TEE_E_INVALID_ARG, "the nonce must be 64 hex characters");
            f->ex.nonce = f->nonce;
        }
        if (o->collateral != NULL && flow_offline_collateral(o->collateral, f, err) != P11TEE_OK)
            return err->code;
    }
    return api_policy_load(cfg->policy_file, &f->rules, err);
}

static void flow_offline_end(flow_offline *f)
{
    attest_policy_free(f->rules);
    free(f->collateral);
}

/* The policy rules of `f`, shared from now on (f->rules is handed over). */
static p11tee_status flow_offline_policy(flow_offline *f, api_policy **out, p11tee_error *err)
{
    attest_policy *rules = f->rules;

    f->rules = NULL;
    return api_policy_new(rules, out, err);
}

p11tee_status p11tee_attest_offline(const p11tee_config *cfg, const char *json, size_t len,
                                    const p11tee_offline_options *opts, p11tee_attestation **out,
                                    p11tee_error *err)
{
    flow_offline f;
    api_attestation parsed;
    api_policy *pol = NULL;
    p11tee_error local;
    p11tee_status rc;

    if (err == NULL)
        err = &local;
    *out = NULL;
    rc = flow_offline_begin(cfg, opts, &f, err);
    if (rc == P11TEE_OK)
        rc = flow_offline_policy(&f, &pol, err);
    if (rc == P11TEE_OK)
        rc = api_parse_attestation(json, len, f.ex.model, &parsed, err);
    if (rc == P11TEE_OK)
        rc = flow_judge(&parsed, &f.ex, opts ? opts->nonce_hex : NULL, pol, out, err);
    api_policy_free(pol);
    flow_offline_end(&f);
    return rc;
}

p11tee_status p11tee_quote_verify(const p11tee_config *cfg, const uint8_t *data, size_t len,
                                  const p11tee_offline_options *opts, p11tee_attestation **out,
                                  p11tee_error *err)
{
    flow_offline f;
    api_policy *pol = NULL;
    p11tee_attestation *a = NULL;
    p11tee_error local;
    p11tee_status rc;

    if (err == NULL)
        err = &local;
    *out = NULL;
    rc = flow_offline_begin(cfg, opts, &f, err);
    /* A bare quote binds no key and no nonce of ours: REPORTDATA is shown, not judged. */
    if (rc == P11TEE_OK)
        rc = attest_policy_add_rule(f.rules, "tdx.reportdata.*", P11TEE_ADVISORY, err);
    if (rc == P11TEE_OK)
        rc = flow_offline_policy(&f, &pol, err);
    if (rc == P11TEE_OK && (a = api_attestation_alloc(pol)) == NULL)
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory");
    api_policy_free(pol);
    if (rc == P11TEE_OK) {
        /* A quote that cannot be read is recorded as a failed check: judge it like the rest. */
        attest_evaluate_quote(data, len, &f.ex, a->policy->rules, &a->outcome, &local);
        rc = api_attestation_seal(a, NULL, NULL, NULL, err);
    }
    flow_offline_end(&f);
    if (rc != P11TEE_OK) {
        p11tee_attestation_free(a);
        return rc;
    }
    *out = a;
    return api_attestation_judge(a, err);
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
        rc = api_parse_signature((const char *)resp.body.data, resp.body.len, &sig, err);
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
    eth_verify_response(&in, &a->outcome.report, NULL);
    api_signature_free(&sig);
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
    rc = api_attest_model(client, model, out, err);
    /* Without a trusted address there is nothing to compare the signer with. */
    if (rc != P11TEE_OK)
        return rc;
    if (!(*out)->outcome.has_address)
        return err_set(err, P11TEE_E_ATTEST_SIGNING_KEY, "the attestation yields no address");
    return flow_signature(client, *out, model, request_id, opts, err);
}
