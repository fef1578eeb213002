/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The token check: module, token, login, key generation with the
 * attributes read back, ECDH compared with software, and the ECDH rate with
 * 1, 2 and 4 sessions.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "api/api.h"
#include "api/token_report.h"
#include "hsm/hsm.h"

/* ---- the check ---------------------------------------------------------------- */

/* The step a failure to open the token belongs to. */
static p11tee_token_step open_step(p11tee_status code)
{
    switch (code) {
    case P11TEE_E_TOKEN_URI:
    case P11TEE_E_TOKEN_NOT_FOUND:
    case P11TEE_E_TOKEN: return P11TEE_TOKEN_STEP_TOKEN;
    case P11TEE_E_PIN_MISSING:
    case P11TEE_E_PIN_INCORRECT:
    case P11TEE_E_PIN_LOCKED:
    case P11TEE_E_PIN_FINAL_TRY:
    case P11TEE_E_LOGIN: return P11TEE_TOKEN_STEP_LOGIN;
    default: return P11TEE_TOKEN_STEP_MODULE;
    }
}

/* Module, token and login: opening the token does all three. */
static p11tee_status check_open(const p11tee_config *cfg, p11tee_token_report *r, hsm_ctx **h,
                                p11tee_error *err)
{
    hsm_config hc;
    hsm_token_info *ti = &r->info;
    p11tee_status rc = api_hsm_config(cfg, "the token check", &hc, err);
    int step;

    if (rc == P11TEE_OK)
        rc = hsm_ctx_new(&hc, h, err);
    if (rc != P11TEE_OK) {
        for (step = 0; step < (int)open_step(rc); step++)
            token_report_pass(r, step, step == 0 ? "loaded" : "found (named in the login step)");
        return token_report_fail(r, open_step(rc), err);
    }
    rc = hsm_token_describe(*h, ti, err);
    if (rc != P11TEE_OK)
        return token_report_fail(r, P11TEE_TOKEN_STEP_MODULE, err);
    token_report_pass(r, P11TEE_TOKEN_STEP_MODULE, "%s: %s", ti->module, ti->library);
    token_report_pass(r, P11TEE_TOKEN_STEP_TOKEN,
                      "token \"%s\" (slot %s, serial %s, model %s, manufacturer %s); flags: %s",
                      ti->label, ti->slot, ti->serial, ti->model, ti->manufacturer, ti->flags);
    token_report_pass(r, P11TEE_TOKEN_STEP_LOGIN, "logged in with the PIN from %s", ti->pin_from);
    return P11TEE_OK;
}

/* A secp256k1 session key whose attributes are what DESIGN.md promises. */
static p11tee_status check_keygen(p11tee_token_report *r, hsm_ctx *h, hsm_key **key,
                                  p11tee_error *err)
{
    p11tee_status rc = hsm_key_generate(h, "secp256k1", key, err);

    if (rc == P11TEE_OK)
        rc = hsm_key_attributes(*key, r->attributes, sizeof(r->attributes), err);
    if (rc != P11TEE_OK)
        return token_report_fail(r, P11TEE_TOKEN_STEP_KEYGEN, err);
    if (strcmp(r->attributes, HSM_KEY_ATTRIBUTES_PROMISED) != 0) {
        err_set(err, P11TEE_E_KEYGEN,
                "the token made the secp256k1 session key with other attributes than p11tee "
                "asked for: it reports %s",
                r->attributes);
        return token_report_fail(r, P11TEE_TOKEN_STEP_KEYGEN, err);
    }
    token_report_pass(r, P11TEE_TOKEN_STEP_KEYGEN, "secp256k1 session key, read back: %s",
                      r->attributes);
    return P11TEE_OK;
}

/* ECDH of `key` with a software key pair, compared with the software side's ECDH. */
static p11tee_status check_ecdh(p11tee_token_report *r, hsm_key *key, p11tee_error *err)
{
    uint8_t tpub[HSM_PUBKEY_BYTES], speer[HSM_PUBKEY_BYTES], x[HSM_SECRET_MAX], y[HSM_SECRET_MAX];
    size_t tn = 0, sn = 0, xn = 0, yn = sizeof(y);
    EVP_PKEY *sw = EVP_EC_gen("secp256k1"), *tp = NULL;
    EVP_PKEY_CTX *dc = NULL;
    p11tee_status rc = hsm_key_public(key, tpub, sizeof(tpub), &tn, err);
    int ok = sw != NULL && EVP_PKEY_get_octet_string_param(sw, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                           speer, sizeof(speer), &sn) == 1;

    if (rc == P11TEE_OK)
        rc = hsm_derive(key, speer, sn, x, sizeof(x), &xn, err);
    if (rc == P11TEE_OK && ok) {
        tp = EVP_PKEY_new();
        ok = tp != NULL && EVP_PKEY_copy_parameters(tp, sw) == 1 &&
             EVP_PKEY_set1_encoded_public_key(tp, tpub, tn) == 1 &&
             (dc = EVP_PKEY_CTX_new(sw, NULL)) != NULL && EVP_PKEY_derive_init(dc) == 1 &&
             EVP_PKEY_derive_set_peer(dc, tp) == 1 && EVP_PKEY_derive(dc, y, &yn) == 1;
    }
    if (rc == P11TEE_OK && !ok)
        rc = err_openssl(err, P11TEE_E_CRYPTO, "software ECDH to compare with failed");
    if (rc == P11TEE_OK && (xn != yn || CRYPTO_memcmp(x, y, xn) != 0))
        rc = err_set(err, P11TEE_E_DERIVE,
                     "the token's ECDH secret differs from software ECDH on the same keys");
    OPENSSL_cleanse(x, sizeof(x));
    OPENSSL_cleanse(y, sizeof(y));
    EVP_PKEY_CTX_free(dc);
    EVP_PKEY_free(tp);
    EVP_PKEY_free(sw);
    if (rc != P11TEE_OK)
        return token_report_fail(r, P11TEE_TOKEN_STEP_ECDH, err);
    token_report_pass(r, P11TEE_TOKEN_STEP_ECDH,
                      "%zu-byte secret derived into an extractable session object, equal to "
                      "software ECDH",
                      xn);
    return P11TEE_OK;
}

/* ECDH per second through the session pool with 1, 2 and 4 sessions. */
static p11tee_status check_rate(p11tee_token_report *r, hsm_ctx *h, unsigned ms, p11tee_error *err)
{
    static const unsigned sessions[] = {1, 2, 4};
    size_t i;
    p11tee_status rc;

    for (i = 0; i < P11TEE_ARRAY_LEN(sessions); i++) {
        p11tee_token_rate *t = &r->rates[i];
        double elapsed = 0;

        rc = hsm_derive_rate(h, sessions[i], ms, &t->derives, &elapsed, err);
        if (rc != P11TEE_OK)
            return token_report_fail(r, P11TEE_TOKEN_STEP_RATE, err);
        t->sessions = sessions[i];
        t->seconds = elapsed / 1000.0;
        t->per_second = t->seconds > 0 ? (double)t->derives / t->seconds : 0;
        r->nrates = i + 1;
    }
    token_report_rates_done(r);
    return P11TEE_OK;
}

p11tee_status p11tee_token_check(const p11tee_config *cfg, unsigned rate_ms,
                                 p11tee_token_report **out, p11tee_error *err)
{
    p11tee_token_report *r;
    hsm_ctx *h = NULL;
    hsm_key *key = NULL;
    p11tee_error local;
    p11tee_status rc;

    if (err == NULL)
        err = &local;
    *out = NULL;
    if (cfg == NULL)
        return err_set(err, P11TEE_E_INVALID_ARG, "no configuration given");
    r = token_report_new();
    if (r == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    rc = check_open(cfg, r, &h, err);
    if (rc == P11TEE_OK)
        rc = check_keygen(r, h, &key, err);
    if (rc == P11TEE_OK)
        rc = check_ecdh(r, key, err);
    hsm_key_free(key);
    if (rc == P11TEE_OK && rate_ms > 0)
        rc = check_rate(r, h, rate_ms, err);
    hsm_ctx_free(h);
    *out = r;
    return rc;
}
