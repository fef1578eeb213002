/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * hsm/: keys in the PKCS#11 token through the p11tee provider, which this
 * file loads as a built-in into a private OSSL_LIB_CTX (so that the token's
 * own libcrypto, e.g. SoftHSM's, never recurses into it) and uses through
 * EVP alone.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "hsm/hsm_int.h"

/* How each provider reason reads as a status; 0: the caller's fallback. */
static const struct {
    int reason;
    p11tee_status code;
} reason_codes[] = {
    {PROV_R_CONFIG, P11TEE_E_CONFIG},
    {PROV_R_MODULE_LOAD, P11TEE_E_MODULE_LOAD},
    {PROV_R_TOKEN_URI, P11TEE_E_TOKEN_URI},
    {PROV_R_TOKEN_NOT_FOUND, P11TEE_E_TOKEN_NOT_FOUND},
    {PROV_R_TOKEN_AMBIGUOUS, P11TEE_E_TOKEN_URI},
    {PROV_R_PIN_MISSING, P11TEE_E_PIN_MISSING},
    {PROV_R_PIN_SOURCE, P11TEE_E_PIN_MISSING},
    {PROV_R_PIN_INCORRECT, P11TEE_E_PIN_INCORRECT},
    {PROV_R_PIN_LOCKED, P11TEE_E_PIN_LOCKED},
    {PROV_R_LOGIN, P11TEE_E_LOGIN},
    {PROV_R_TOKEN, P11TEE_E_TOKEN},
    {PROV_R_CURVE_UNSUPPORTED, P11TEE_E_CURVE_UNSUPPORTED},
    {PROV_R_KEYGEN, P11TEE_E_KEYGEN},
    {PROV_R_PEER_MALFORMED, P11TEE_E_PEER_MALFORMED},
    {PROV_R_PEER_OFF_CURVE, P11TEE_E_PEER_OFF_CURVE},
    {PROV_R_DERIVE, P11TEE_E_DERIVE},
    {PROV_R_KEY_STALE, P11TEE_E_KEY_STALE},
    {PROV_R_NO_PRIVATE_KEY, P11TEE_E_DERIVE},
    {PROV_R_BUFFER_TOO_SMALL, P11TEE_E_INVALID_ARG},
    {PROV_R_NOMEM, P11TEE_E_NOMEM},
    {PROV_R_PIN_FINAL_TRY, P11TEE_E_PIN_FINAL_TRY},
};

/* The status a reason of the provider's errors stands for; `fallback` for the others. */
static p11tee_status status_of_reason(int reason, p11tee_status fallback)
{
    size_t i;

    for (i = 0; i < P11TEE_ARRAY_LEN(reason_codes); i++)
        if (reason_codes[i].reason == reason)
            return reason_codes[i].code;
    return fallback;
}

/* One entry of the error queue, copied out of it. */
typedef struct queued_error {
    int ours; /* raised by the provider */
    int reason;
    char text[P11TEE_ERROR_MESSAGE_MAX]; /* the provider's text, or OpenSSL's line */
} queued_error;

#define QUEUE_MAX 8

/*
 * Drain the queue into `q` (at most QUEUE_MAX, the rest dropped); the count.
 * `*oom` is set when an entry says an allocation failed.
 */
static size_t queue_take(queued_error *q, int *oom)
{
    const char *data, *lib;
    unsigned long e;
    size_t n = 0, i;
    int flags, ours, have_ours = 0;

    *oom = 0;
    while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
        *oom |= ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE;
        lib = ERR_lib_error_string(e);
        ours = lib != NULL && strcmp(lib, PROV_NAME) == 0;
        /* When the queue is long, the provider's first error still gets the last place. */
        if (n == QUEUE_MAX && (!ours || have_ours))
            continue;
        i = n < QUEUE_MAX ? n++ : QUEUE_MAX - 1;
        have_ours |= ours;
        q[i].ours = ours;
        q[i].reason = ERR_GET_REASON(e);
        if (ours && (flags & ERR_TXT_STRING) && data != NULL && data[0] != '\0')
            snprintf(q[i].text, sizeof(q[i].text), "%s", data);
        else
            ERR_error_string_n(e, q[i].text, sizeof(q[i].text));
    }
    return n;
}

p11tee_status hsm_fail(p11tee_error *err, p11tee_status fallback, const char *what)
{
    queued_error q[QUEUE_MAX];
    int oom;
    size_t n = queue_take(q, &oom), i, pick = n, used = 0;
    p11tee_status code = fallback;

    for (i = 0; i < n && pick == n; i++)
        if (q[i].ours)
            pick = i;
    if (pick < n)
        code = status_of_reason(q[pick].reason, fallback);
    /*
     * Out of memory is never a token or peer verdict: whatever the provider
     * made of it, an allocation that failed (errno is cleared where an
     * operation starts) makes the error P11TEE_E_NOMEM.
     */
    if (oom || errno == ENOMEM) {
        code = P11TEE_E_NOMEM;
        err_set(err, code, "out of memory (%s)", what);
    } else {
        err_set(err, code, "%s", pick < n ? q[pick].text : what);
    }
    if (err == NULL)
        return code;
    for (i = 0; i < n && used < sizeof(err->detail); i++) {
        if (i == pick || strcmp(q[i].text, err->message) == 0)
            continue;
        used += (size_t)snprintf(err->detail + used, sizeof(err->detail) - used, "%s%s",
                                 used ? "; " : "", q[i].text);
    }
    return code;
}

/* The provider's configuration from ours: the same fields under their provider names. */
static void builtin_config(const hsm_config *cfg, prov_builtin_config *pc)
{
    memset(pc, 0, sizeof(*pc));
    pc->module = cfg->module;
    pc->token = cfg->token;
    pc->pin = cfg->pin;
    pc->module_word = cfg->module_word;
    pc->token_word = cfg->token_word;
    pc->force_word = cfg->force_word;
    pc->force_final_pin_try = cfg->force_final_pin_try;
    pc->pin_prompt = cfg->pin_prompt;
    pc->pin_prompt_arg = cfg->pin_prompt_arg;
    pc->warn = cfg->warn;
    pc->warn_arg = cfg->warn_arg;
}

p11tee_status hsm_ctx_new(const hsm_config *cfg, hsm_ctx **out, p11tee_error *err)
{
    prov_builtin_config pc;
    hsm_ctx *ctx;
    p11tee_status rc = P11TEE_OK;

    *out = NULL;
    if (cfg == NULL)
        return err_set(err, P11TEE_E_INVALID_ARG, "no token configuration given");
    ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL || (ctx->libctx = OSSL_LIB_CTX_new()) == NULL) {
        free(ctx);
        return err_openssl(err, P11TEE_E_NOMEM, "out of memory for the token context");
    }
    builtin_config(cfg, &pc);
    err_errno_reset();
    if (!prov_builtin_config_set(ctx->libctx, &pc)) {
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory for the provider configuration");
    } else if (!OSSL_PROVIDER_add_builtin(ctx->libctx, PROV_NAME, prov_builtin_init) ||
               (ctx->prov = OSSL_PROVIDER_load(ctx->libctx, PROV_NAME)) == NULL) {
        rc = err_openssl(err, P11TEE_E_PROVIDER_LOAD,
                         "the built-in p11tee provider could not be loaded");
    } else if (errno == ENOMEM) {
        /*
         * OpenSSL 3.0 activates a provider through allocations whose failure
         * it ignores (its method cache): the load "succeeds" and the
         * provider's algorithms are then not found. Not a provider fault.
         */
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory loading the built-in p11tee provider");
    }
    prov_builtin_config_clear(ctx->libctx);
    /* The self test opens the token and logs in: configuration errors show now. */
    if (rc == P11TEE_OK && OSSL_PROVIDER_self_test(ctx->prov) != 1)
        rc = hsm_fail(err, P11TEE_E_TOKEN, "the PKCS#11 token could not be opened");
    if (rc != P11TEE_OK) {
        hsm_ctx_free(ctx);
        return rc;
    }
    *out = ctx;
    return P11TEE_OK;
}

p11tee_status hsm_config_probe(const hsm_config *cfg, p11tee_error *err)
{
    prov_builtin_config pc;
    char why[P11TEE_ERROR_MESSAGE_MAX];
    int reason;

    builtin_config(cfg, &pc);
    reason = prov_config_probe(&pc, why, sizeof(why));
    if (reason == PROV_R_OK)
        return P11TEE_OK;
    return err_set(err, status_of_reason(reason, P11TEE_E_TOKEN), "%s", why);
}

void hsm_ctx_free(hsm_ctx *ctx)
{
    if (ctx == NULL)
        return;
    if (ctx->prov != NULL)
        OSSL_PROVIDER_unload(ctx->prov);
    OSSL_LIB_CTX_free(ctx->libctx);
    free(ctx);
}

EVP_PKEY_CTX *hsm_ec_ctx(hsm_ctx *ctx)
{
    return EVP_PKEY_CTX_new_from_name(ctx->libctx, "EC", PROV_PROPQ);
}

/* The public point and group name, kept so that derive and callers need no lookups. */
static p11tee_status key_describe(hsm_key *key, p11tee_error *err)
{
    if (!EVP_PKEY_get_octet_string_param(key->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, key->pub,
                                         sizeof(key->pub), &key->pub_len) ||
        !EVP_PKEY_get_utf8_string_param(key->pkey, OSSL_PKEY_PARAM_GROUP_NAME, key->curve,
                                        sizeof(key->curve), NULL))
        return hsm_fail(err, P11TEE_E_KEYGEN, "the new key's public point could not be read");
    return P11TEE_OK;
}

p11tee_status hsm_key_generate(hsm_ctx *ctx, const char *curve, hsm_key **out, p11tee_error *err)
{
    EVP_PKEY_CTX *gen;
    hsm_key *key;
    p11tee_status rc = P11TEE_OK;

    *out = NULL;
    if (ctx == NULL || curve == NULL)
        return err_set(err, P11TEE_E_INVALID_ARG, "no token context or curve given");
    key = calloc(1, sizeof(*key));
    if (key == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory for a key");
    key->ctx = ctx;
    err_errno_reset(); /* hsm_fail() tells an allocation failure by errno */
    gen = hsm_ec_ctx(ctx);
    if (gen == NULL || EVP_PKEY_keygen_init(gen) != 1)
        rc = hsm_fail(err, P11TEE_E_PROVIDER_LOAD, "the provider offers no EC key generation");
    else if (EVP_PKEY_CTX_set_group_name(gen, curve) != 1)
        rc = hsm_fail(err, P11TEE_E_CURVE_UNSUPPORTED, "the curve is not supported");
    else if (EVP_PKEY_generate(gen, &key->pkey) != 1)
        rc = hsm_fail(err, P11TEE_E_KEYGEN, "key generation in the token failed");
    else
        rc = key_describe(key, err);
    EVP_PKEY_CTX_free(gen);
    if (rc != P11TEE_OK) {
        hsm_key_free(key);
        return rc;
    }
    *out = key;
    return P11TEE_OK;
}

p11tee_status hsm_key_public(const hsm_key *key, uint8_t *out, size_t outcap, size_t *outlen,
                             p11tee_error *err)
{
    if (key == NULL || out == NULL)
        return err_set(err, P11TEE_E_INVALID_ARG, "no key or output buffer given");
    if (outcap < key->pub_len)
        return err_set(err, P11TEE_E_INVALID_ARG, "the %s public key needs %zu bytes, got %zu",
                       key->curve, key->pub_len, outcap);
    memcpy(out, key->pub, key->pub_len);
    *outlen = key->pub_len;
    return P11TEE_OK;
}

/* The peer as a public key of the provider's keymgmt; the provider validates the point. */
static p11tee_status peer_key(hsm_key *key, const uint8_t *peer, size_t peer_len, EVP_PKEY **out,
                              p11tee_error *err)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, key->curve, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)peer, peer_len),
        OSSL_PARAM_END,
    };
    EVP_PKEY_CTX *pc = hsm_ec_ctx(key->ctx);
    p11tee_status rc = P11TEE_OK;

    *out = NULL;
    if (pc == NULL || EVP_PKEY_fromdata_init(pc) != 1 ||
        EVP_PKEY_fromdata(pc, out, EVP_PKEY_PUBLIC_KEY, params) != 1)
        rc = hsm_fail(err, P11TEE_E_PEER_MALFORMED, "the peer public key was refused");
    EVP_PKEY_CTX_free(pc);
    return rc;
}

p11tee_status hsm_derive(hsm_key *key, const uint8_t *peer, size_t peer_len, uint8_t *secret,
                         size_t secret_cap, size_t *secret_len, p11tee_error *err)
{
    EVP_PKEY *peer_pkey = NULL;
    EVP_PKEY_CTX *dc = NULL;
    size_t n = secret_cap;
    p11tee_status rc;

    if (key == NULL || peer == NULL || secret == NULL || secret_len == NULL)
        return err_set(err, P11TEE_E_INVALID_ARG, "no key, peer or secret buffer given");
    err_errno_reset(); /* hsm_fail() tells an allocation failure by errno */
    rc = peer_key(key, peer, peer_len, &peer_pkey, err);
    if (rc != P11TEE_OK)
        return rc;
    dc = EVP_PKEY_CTX_new_from_pkey(key->ctx->libctx, key->pkey, PROV_PROPQ);
    /* The provider checked the point when it imported it: no second check. */
    if (dc == NULL || EVP_PKEY_derive_init(dc) != 1 ||
        EVP_PKEY_derive_set_peer_ex(dc, peer_pkey, 0) != 1 ||
        EVP_PKEY_derive(dc, secret, &n) != 1) {
        OPENSSL_cleanse(secret, secret_cap);
        rc = hsm_fail(err, P11TEE_E_DERIVE, "ECDH in the token failed");
    } else {
        *secret_len = n;
    }
    EVP_PKEY_CTX_free(dc);
    EVP_PKEY_free(peer_pkey);
    return rc;
}

void hsm_key_free(hsm_key *key)
{
    if (key == NULL)
        return;
    EVP_PKEY_free(key->pkey);
    OPENSSL_clear_free(key, sizeof(*key));
}
