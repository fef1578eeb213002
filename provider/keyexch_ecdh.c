/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * KEYEXCH "ECDH": the shared secret (the X coordinate, as OpenSSL's
 * default ECDH) computed by the token with the key's private object.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include "prov.h"

static OSSL_FUNC_keyexch_newctx_fn ecdh_newctx;
static OSSL_FUNC_keyexch_init_fn ecdh_init;
static OSSL_FUNC_keyexch_set_peer_fn ecdh_set_peer;
static OSSL_FUNC_keyexch_derive_fn ecdh_derive;
static OSSL_FUNC_keyexch_freectx_fn ecdh_freectx;
static OSSL_FUNC_keyexch_dupctx_fn ecdh_dupctx;
static OSSL_FUNC_keyexch_set_ctx_params_fn ecdh_set_ctx_params;
static OSSL_FUNC_keyexch_settable_ctx_params_fn ecdh_settable_ctx_params;

/* The keys stay owned by their EVP_PKEYs, which EVP keeps alive with the context. */
typedef struct ecdh_ctx {
    prov_ctx *ctx;
    const prov_key *key;
    const prov_key *peer;
} ecdh_ctx;

static void *ecdh_newctx(void *provctx)
{
    prov_ctx *ctx = provctx;
    ecdh_ctx *e = calloc(1, sizeof(*e));

    if (e == NULL) {
        PROV_RAISE(ctx, PROV_R_NOMEM, "out of memory for an ECDH context");
        return NULL;
    }
    e->ctx = ctx;
    return e;
}

/* A KDF parameter of OpenSSL's ECDH that we refuse (kdf-type is handled apart). */
static int is_kdf_param(const char *key)
{
    return strcmp(key, OSSL_EXCHANGE_PARAM_KDF_DIGEST) == 0 ||
           strcmp(key, OSSL_EXCHANGE_PARAM_KDF_DIGEST_PROPS) == 0 ||
           strcmp(key, OSSL_EXCHANGE_PARAM_KDF_OUTLEN) == 0 ||
           strcmp(key, OSSL_EXCHANGE_PARAM_KDF_UKM) == 0;
}

/*
 * The token gives the plain X coordinate. A KDF asked for (X9.63 and its
 * digest, output length, UKM) is refused: ignoring it would hand the raw
 * secret to a caller that expects a derived key. kdf-type "" (no KDF) is
 * what OpenSSL means by default; the cofactor mode changes nothing on our
 * curves, all of cofactor 1. Other parameters are ignored, as OpenSSL does.
 */
static int ecdh_params_ok(ecdh_ctx *e, const OSSL_PARAM params[])
{
    const OSSL_PARAM *p;
    const char *kdf = NULL;
    int mode;

    for (p = params; p != NULL && p->key != NULL; p++) {
        if (is_kdf_param(p->key) ||
            (strcmp(p->key, OSSL_EXCHANGE_PARAM_KDF_TYPE) == 0 &&
             (!OSSL_PARAM_get_utf8_string_ptr(p, &kdf) || kdf[0] != '\0'))) {
            PROV_RAISE(e->ctx, PROV_R_NOT_SUPPORTED,
                       "ECDH parameter %s is not supported: the token gives the plain shared"
                       " secret (apply a KDF to it yourself)",
                       p->key);
            return PROV_OSSL_ERR;
        }
        if (strcmp(p->key, OSSL_EXCHANGE_PARAM_EC_ECDH_COFACTOR_MODE) == 0 &&
            (!OSSL_PARAM_get_int(p, &mode) || mode < -1 || mode > 1)) {
            PROV_RAISE(e->ctx, PROV_R_NOT_SUPPORTED, "ECDH parameter %s must be -1, 0 or 1",
                       p->key);
            return PROV_OSSL_ERR;
        }
    }
    return PROV_OSSL_OK;
}

static int ecdh_init(void *vctx, void *provkey, const OSSL_PARAM params[])
{
    ecdh_ctx *e = vctx;
    const prov_key *key = provkey;

    if (!ecdh_params_ok(e, params))
        return PROV_OSSL_ERR;
    if (key == NULL || key->priv == PROV_NO_HANDLE) {
        PROV_RAISE(e->ctx, PROV_R_NO_PRIVATE_KEY,
                   "ECDH needs a key whose private half is in the token");
        return PROV_OSSL_ERR;
    }
    if (prov_key_check_current(e->ctx, key) != PROV_R_OK)
        return PROV_OSSL_ERR;
    e->key = key;
    e->peer = NULL;
    return PROV_OSSL_OK;
}

static int ecdh_set_peer(void *vctx, void *provkey)
{
    ecdh_ctx *e = vctx;
    const prov_key *peer = provkey;

    if (peer == NULL || peer->pub_len == 0) {
        PROV_RAISE(e->ctx, PROV_R_PEER_MALFORMED, "the peer key has no public point");
        return PROV_OSSL_ERR;
    }
    if (e->key != NULL && peer->curve != e->key->curve) {
        PROV_RAISE(e->ctx, PROV_R_PEER_MALFORMED, "the peer key is on %s, the key on %s",
                   peer->curve->name, e->key->curve->name);
        return PROV_OSSL_ERR;
    }
    e->peer = peer;
    return PROV_OSSL_OK;
}

static int ecdh_derive(void *vctx, unsigned char *secret, size_t *secretlen, size_t outlen)
{
    ecdh_ctx *e = vctx;
    size_t n;

    if (e->key == NULL || e->peer == NULL) {
        PROV_RAISE(e->ctx, PROV_R_DERIVE, "ECDH needs EVP_PKEY_derive_init and a peer first");
        return PROV_OSSL_ERR;
    }
    n = e->key->curve->field_bytes;
    if (secret == NULL) {
        *secretlen = n;
        return PROV_OSSL_OK;
    }
    if (outlen < n) {
        PROV_RAISE(e->ctx, PROV_R_BUFFER_TOO_SMALL, "the %s secret needs %zu bytes, got %zu",
                   e->key->curve->name, n, outlen);
        return PROV_OSSL_ERR;
    }
    if (prov_key_derive(e->ctx, e->key, e->peer->pub, e->peer->pub_len, secret) != PROV_R_OK)
        return PROV_OSSL_ERR;
    *secretlen = n;
    return PROV_OSSL_OK;
}

static void ecdh_freectx(void *vctx)
{
    ecdh_ctx *e = vctx;

    if (e != NULL)
        OPENSSL_clear_free(e, sizeof(*e));
}

static void *ecdh_dupctx(void *vctx)
{
    ecdh_ctx *e = vctx;
    ecdh_ctx *d = malloc(sizeof(*d));

    if (d == NULL) {
        PROV_RAISE(e->ctx, PROV_R_NOMEM, "out of memory for an ECDH context");
        return NULL;
    }
    *d = *e;
    return d;
}

static int ecdh_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    return ecdh_params_ok(vctx, params);
}

static const OSSL_PARAM *ecdh_settable_ctx_params(void *vctx, void *provctx)
{
    static const OSSL_PARAM settable[] = {
        OSSL_PARAM_int(OSSL_EXCHANGE_PARAM_EC_ECDH_COFACTOR_MODE, NULL),
        OSSL_PARAM_utf8_string(OSSL_EXCHANGE_PARAM_KDF_TYPE, NULL, 0),
        OSSL_PARAM_END,
    };

    (void)vctx, (void)provctx;
    return settable;
}

const OSSL_DISPATCH prov_keyexch_ecdh_functions[] = {
    {OSSL_FUNC_KEYEXCH_NEWCTX, (void (*)(void))ecdh_newctx},
    {OSSL_FUNC_KEYEXCH_INIT, (void (*)(void))ecdh_init},
    {OSSL_FUNC_KEYEXCH_SET_PEER, (void (*)(void))ecdh_set_peer},
    {OSSL_FUNC_KEYEXCH_DERIVE, (void (*)(void))ecdh_derive},
    {OSSL_FUNC_KEYEXCH_FREECTX, (void (*)(void))ecdh_freectx},
    {OSSL_FUNC_KEYEXCH_DUPCTX, (void (*)(void))ecdh_dupctx},
    {OSSL_FUNC_KEYEXCH_SET_CTX_PARAMS, (void (*)(void))ecdh_set_ctx_params},
    {OSSL_FUNC_KEYEXCH_SETTABLE_CTX_PARAMS, (void (*)(void))ecdh_settable_ctx_params},
    {0, NULL},
};
