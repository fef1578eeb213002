/*
 * KEYEXCH "ECDH": the shared secret (the X coordinate, as OpenSSL's
 * default ECDH) computed by the token with the key's private object.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "prov.h"

static OSSL_FUNC_keyexch_newctx_fn ecdh_newctx;
static OSSL_FUNC_keyexch_init_fn ecdh_init;
static OSSL_FUNC_keyexch_set_peer_fn ecdh_set_peer;
static OSSL_FUNC_keyexch_derive_fn ecdh_derive;
static OSSL_FUNC_keyexch_freectx_fn ecdh_freectx;
static OSSL_FUNC_keyexch_dupctx_fn ecdh_dupctx;

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

static int ecdh_init(void *vctx, void *provkey, const OSSL_PARAM params[])
{
    ecdh_ctx *e = vctx;
    const prov_key *key = provkey;

    (void)params;
    if (key == NULL || key->priv == PROV_NO_HANDLE) {
        PROV_RAISE(e->ctx, PROV_R_NO_PRIVATE_KEY,
                   "ECDH needs a key whose private half is in the token");
        return 0;
    }
    if (!prov_key_check_current(e->ctx, key))
        return 0;
    e->key = key;
    e->peer = NULL;
    return 1;
}

static int ecdh_set_peer(void *vctx, void *provkey)
{
    ecdh_ctx *e = vctx;
    const prov_key *peer = provkey;

    if (peer == NULL || peer->pub_len == 0) {
        PROV_RAISE(e->ctx, PROV_R_PEER_MALFORMED, "the peer key has no public point");
        return 0;
    }
    if (e->key != NULL && peer->curve != e->key->curve) {
        PROV_RAISE(e->ctx, PROV_R_PEER_MALFORMED, "the peer key is on %s, the key on %s",
                   peer->curve->name, e->key->curve->name);
        return 0;
    }
    e->peer = peer;
    return 1;
}

static int ecdh_derive(void *vctx, unsigned char *secret, size_t *secretlen, size_t outlen)
{
    ecdh_ctx *e = vctx;
    size_t n;

    if (e->key == NULL || e->peer == NULL) {
        PROV_RAISE(e->ctx, PROV_R_DERIVE, "ECDH needs EVP_PKEY_derive_init and a peer first");
        return 0;
    }
    n = e->key->curve->field_bytes;
    if (secret == NULL) {
        *secretlen = n;
        return 1;
    }
    if (outlen < n) {
        PROV_RAISE(e->ctx, PROV_R_BUFFER_TOO_SMALL, "the %s secret needs %zu bytes, got %zu",
                   e->key->curve->name, n, outlen);
        return 0;
    }
    if (!prov_token_derive(e->ctx, e->key, e->peer->pub, e->peer->pub_len, secret))
        return 0;
    *secretlen = n;
    return 1;
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

const OSSL_DISPATCH prov_keyexch_ecdh_functions[] = {
    {OSSL_FUNC_KEYEXCH_NEWCTX, (void (*)(void))ecdh_newctx},
    {OSSL_FUNC_KEYEXCH_INIT, (void (*)(void))ecdh_init},
    {OSSL_FUNC_KEYEXCH_SET_PEER, (void (*)(void))ecdh_set_peer},
    {OSSL_FUNC_KEYEXCH_DERIVE, (void (*)(void))ecdh_derive},
    {OSSL_FUNC_KEYEXCH_FREECTX, (void (*)(void))ecdh_freectx},
    {OSSL_FUNC_KEYEXCH_DUPCTX, (void (*)(void))ecdh_dupctx},
    {0, NULL},
};
