/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * KEYMGMT "EC": keys generated in the token (private half a sensitive,
 * non-extractable session object), public keys imported for ECDH peers,
 * and private scalars another provider hands over (imported as session
 * objects; p11tee itself never does this). Export is public-only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include "prov.h"

static OSSL_FUNC_keymgmt_new_fn ec_new;
static OSSL_FUNC_keymgmt_free_fn ec_free;
static OSSL_FUNC_keymgmt_gen_init_fn ec_gen_init;
static OSSL_FUNC_keymgmt_gen_set_params_fn ec_gen_set_params;
static OSSL_FUNC_keymgmt_gen_settable_params_fn ec_gen_settable_params;
static OSSL_FUNC_keymgmt_gen_fn ec_gen;
static OSSL_FUNC_keymgmt_gen_cleanup_fn ec_gen_cleanup;
static OSSL_FUNC_keymgmt_has_fn ec_has;
static OSSL_FUNC_keymgmt_match_fn ec_match;
static OSSL_FUNC_keymgmt_validate_fn ec_validate;
static OSSL_FUNC_keymgmt_import_fn ec_import;
static OSSL_FUNC_keymgmt_import_types_fn ec_import_types;
static OSSL_FUNC_keymgmt_export_fn ec_export;
static OSSL_FUNC_keymgmt_export_types_fn ec_export_types;
static OSSL_FUNC_keymgmt_get_params_fn ec_get_params;
static OSSL_FUNC_keymgmt_gettable_params_fn ec_gettable_params;
static OSSL_FUNC_keymgmt_set_params_fn ec_set_params;
static OSSL_FUNC_keymgmt_settable_params_fn ec_settable_params;
static OSSL_FUNC_keymgmt_query_operation_name_fn ec_query_operation_name;

#define SUPPORTED_CURVES "secp256k1, prime256v1 (P-256), secp384r1 (P-384), secp521r1 (P-521)"

typedef struct ec_genctx {
    prov_ctx *ctx;
    const prov_curve *curve;
    int selection;
} ec_genctx;

static void *ec_new(void *provctx)
{
    prov_ctx *ctx = provctx;
    prov_key *key = calloc(1, sizeof(*key));

    if (key == NULL) {
        PROV_RAISE(ctx, PROV_R_NOMEM, "out of memory for a key");
        return NULL;
    }
    key->ctx = ctx;
    return key;
}

static void ec_free(void *keydata)
{
    prov_key *key = keydata;

    if (key == NULL)
        return;
    prov_key_destroy(key->ctx, key);
    OPENSSL_clear_free(key, sizeof(*key));
}

/* The curve a "group" parameter names; raises when there is none we offer. */
static const prov_curve *curve_param(prov_ctx *ctx, const OSSL_PARAM *p)
{
    const char *name = NULL;
    const prov_curve *c;

    if (!OSSL_PARAM_get_utf8_string_ptr(p, &name)) {
        PROV_RAISE(ctx, PROV_R_CURVE_UNSUPPORTED, "the group parameter must be a curve name");
        return NULL;
    }
    c = prov_curve_by_name(name);
    if (c == NULL)
        PROV_RAISE(ctx, PROV_R_CURVE_UNSUPPORTED, "curve %.64s is not supported (p11tee offers %s)",
                   name, SUPPORTED_CURVES);
    return c;
}

static void *ec_gen_init(void *provctx, int selection, const OSSL_PARAM params[])
{
    prov_ctx *ctx = provctx;
    ec_genctx *g = calloc(1, sizeof(*g));

    if (g == NULL) {
        PROV_RAISE(ctx, PROV_R_NOMEM, "out of memory for a key generation context");
        return NULL;
    }
    g->ctx = ctx;
    g->selection = selection;
    if (!ec_gen_set_params(g, params)) {
        free(g);
        return NULL;
    }
    return g;
}

static int ec_gen_set_params(void *vgen, const OSSL_PARAM params[])
{
    ec_genctx *g = vgen;
    const OSSL_PARAM *p;

    if (params == NULL)
        return PROV_OSSL_OK;
    p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_GROUP_NAME);
    if (p != NULL && (g->curve = curve_param(g->ctx, p)) == NULL)
        return PROV_OSSL_ERR;
    return PROV_OSSL_OK;
}

static const OSSL_PARAM *ec_gen_settable_params(void *vgen, void *provctx)
{
    static const OSSL_PARAM table[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
        OSSL_PARAM_END,
    };

    (void)vgen;
    (void)provctx;
    return table;
}

static void *ec_gen(void *vgen, OSSL_CALLBACK *cb, void *cbarg)
{
    ec_genctx *g = vgen;
    prov_key *key;

    (void)cb;
    (void)cbarg;
    if ((g->selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0) {
        PROV_RAISE(g->ctx, PROV_R_NOT_SUPPORTED,
                   "p11tee generates key pairs only, not domain parameters");
        return NULL;
    }
    if (g->curve == NULL) {
        PROV_RAISE(g->ctx, PROV_R_CURVE_UNSUPPORTED,
                   "no curve chosen: set one with EVP_PKEY_CTX_set_group_name (%s)",
                   SUPPORTED_CURVES);
        return NULL;
    }
    key = ec_new(g->ctx);
    if (key != NULL && prov_key_generate(g->ctx, g->curve, key) != PROV_R_OK) {
        ec_free(key);
        key = NULL;
    }
    return key;
}

static void ec_gen_cleanup(void *vgen)
{
    free(vgen);
}

static int ec_has(const void *keydata, int selection)
{
    const prov_key *key = keydata;
    int ok = 1;

    if (key == NULL)
        return PROV_OSSL_ERR;
    if (selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY)
        ok &= key->pub_len > 0;
    if (selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY)
        ok &= key->priv != PROV_NO_HANDLE;
    if (selection & OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS)
        ok &= key->curve != NULL;
    return ok;
}

/* Same curve; for key selections, the same public point (it names the pair). */
static int ec_match(const void *keydata1, const void *keydata2, int selection)
{
    const prov_key *a = keydata1, *b = keydata2;

    if (a->curve != b->curve)
        return PROV_OSSL_ERR;
    if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0)
        return PROV_OSSL_OK;
    return a->pub_len > 0 && a->pub_len == b->pub_len &&
           CRYPTO_memcmp(a->pub, b->pub, a->pub_len) == 0;
}

/* Points were checked when they entered (import, set_params, keygen). */
static int ec_validate(const void *keydata, int selection, int checktype)
{
    const prov_key *key = keydata;

    (void)checktype;
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) && key->priv != PROV_NO_HANDLE &&
        !prov_key_is_current(key))
        return PROV_OSSL_ERR;
    return ec_has(keydata, selection);
}

/* 1 when d * G is the key's public point: a scalar must come with its own point. */
static int scalar_matches(const prov_key *key, const BIGNUM *d)
{
    const EC_GROUP *g = prov_group(key->ctx, key->curve);
    unsigned char pt[PROV_POINT_MAX];
    EC_POINT *p = EC_POINT_new(g);
    int ok = p != NULL && EC_POINT_mul(g, p, d, NULL, NULL, NULL) &&
             EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, pt, sizeof(pt), NULL) ==
                 key->pub_len &&
             memcmp(pt, key->pub, key->pub_len) == 0;

    EC_POINT_free(p);
    return ok;
}

/* A private scalar from another provider becomes a session object. */
static int import_private(prov_key *key, const OSSL_PARAM *p)
{
    unsigned char scalar[PROV_POINT_MAX / 2];
    size_t n = key->curve->field_bytes;
    BIGNUM *bn = NULL;
    int ok = 0;

    if (!OSSL_PARAM_get_BN(p, &bn) || BN_is_zero(bn) || BN_is_negative(bn) ||
        BN_cmp(bn, EC_GROUP_get0_order(prov_group(key->ctx, key->curve))) >= 0 ||
        BN_bn2binpad(bn, scalar, (int)n) < 0) {
        PROV_RAISE(key->ctx, PROV_R_KEY_IMPORT, "the private scalar is not a valid %s scalar",
                   key->curve->name);
    } else if (!scalar_matches(key, bn)) {
        PROV_RAISE(key->ctx, PROV_R_KEY_IMPORT,
                   "the private scalar does not belong to the public point given with it");
    } else {
        ok = prov_key_import_private(key->ctx, key->curve, scalar, n, key) == PROV_R_OK;
    }
    OPENSSL_cleanse(scalar, sizeof(scalar));
    BN_clear_free(bn);
    return ok;
}

static int set_public(prov_key *key, const OSSL_PARAM *p)
{
    const void *pt = NULL;
    size_t len = 0;

    if (!OSSL_PARAM_get_octet_string_ptr(p, &pt, &len)) {
        PROV_RAISE(key->ctx, PROV_R_PEER_MALFORMED, "the public key must be an octet string");
        return PROV_OSSL_ERR;
    }
    if (prov_point_check(key->ctx, key->curve, pt, len) != PROV_R_OK)
        return PROV_OSSL_ERR;
    memcpy(key->pub, pt, len);
    key->pub_len = len;
    return PROV_OSSL_OK;
}

/*
 * The public point is required with any key part. When OpenSSL asks for
 * SELECT_ALL but no private scalar is given, the key is public-only.
 */
static int ec_import(void *keydata, int selection, const OSSL_PARAM params[])
{
    prov_key *key = keydata;
    const OSSL_PARAM *group, *pub, *priv;

    if (key == NULL)
        return PROV_OSSL_ERR;
    if (key->pub_len > 0 || key->priv != PROV_NO_HANDLE) {
        PROV_RAISE(key->ctx, PROV_R_KEY_IMPORT, "import into a key that already holds one");
        return PROV_OSSL_ERR;
    }
    group = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_GROUP_NAME);
    pub = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PUB_KEY);
    priv = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PRIV_KEY);
    if (group == NULL) {
        PROV_RAISE(key->ctx, PROV_R_KEY_IMPORT, "key import needs the group (curve name)");
        return PROV_OSSL_ERR;
    }
    if ((key->curve = curve_param(key->ctx, group)) == NULL)
        return PROV_OSSL_ERR;
    if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0)
        return PROV_OSSL_OK;
    if (pub == NULL) {
        PROV_RAISE(key->ctx, PROV_R_KEY_IMPORT, "key import needs the public point");
        return PROV_OSSL_ERR;
    }
    if (!set_public(key, pub))
        return PROV_OSSL_ERR;
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) && priv != NULL)
        return import_private(key, priv);
    return PROV_OSSL_OK;
}

static const OSSL_PARAM *ec_import_types(int selection)
{
    static const OSSL_PARAM table[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
        OSSL_PARAM_BN(OSSL_PKEY_PARAM_PRIV_KEY, NULL, 0),
        OSSL_PARAM_END,
    };

    (void)selection;
    return table;
}

static int ec_export(void *keydata, int selection, OSSL_CALLBACK *cb, void *cbarg)
{
    prov_key *key = keydata;
    OSSL_PARAM out[3];
    size_t n = 0;

    if (key == NULL)
        return PROV_OSSL_ERR;
    if (key->curve == NULL) {
        PROV_RAISE(key->ctx, PROV_R_NOT_SUPPORTED, "the key is empty: nothing to export");
        return PROV_OSSL_ERR;
    }
    if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) && key->priv != PROV_NO_HANDLE) {
        PROV_RAISE(key->ctx, PROV_R_EXPORT_REFUSED,
                   "the %s private key is a non-extractable token object: export the public key"
                   " only",
                   key->curve->name);
        return PROV_OSSL_ERR;
    }
    out[n++] =
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)key->curve->name, 0);
    if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) && key->pub_len > 0)
        out[n++] =
            OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, key->pub, key->pub_len);
    out[n] = OSSL_PARAM_construct_end();
    return cb(out, cbarg);
}

static const OSSL_PARAM *ec_export_types(int selection)
{
    static const OSSL_PARAM table[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
        OSSL_PARAM_END,
    };

    (void)selection;
    return table;
}

/* Fill what `params` asks for; the name of one that cannot take its value, or NULL. */
static const char *fill_params(const prov_key *key, OSSL_PARAM params[])
{
    const struct {
        const char *name;
        int v;
    } ints[] = {
        {OSSL_PKEY_PARAM_BITS, key->curve->bits},
        {OSSL_PKEY_PARAM_SECURITY_BITS, key->curve->security_bits},
        {OSSL_PKEY_PARAM_MAX_SIZE, key->curve->max_size},
    };
    const char *const points[] = {OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, OSSL_PKEY_PARAM_PUB_KEY};
    OSSL_PARAM *p;
    size_t i;

    for (i = 0; i < PROV_ARRAY_LEN(ints); i++) {
        p = OSSL_PARAM_locate(params, ints[i].name);
        if (p != NULL && !OSSL_PARAM_set_int(p, ints[i].v))
            return ints[i].name;
    }
    p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_GROUP_NAME);
    if (p != NULL && !OSSL_PARAM_set_utf8_string(p, key->curve->name))
        return OSSL_PKEY_PARAM_GROUP_NAME;
    for (i = 0; i < PROV_ARRAY_LEN(points) && key->pub_len > 0; i++) {
        p = OSSL_PARAM_locate(params, points[i]);
        if (p != NULL && !OSSL_PARAM_set_octet_string(p, key->pub, key->pub_len))
            return points[i];
    }
    return NULL;
}

/* PROV_KEY_ATTRIBUTES: read back from the token when asked for (`p11tee token check`). */
static int attributes_param(prov_key *key, OSSL_PARAM params[])
{
    OSSL_PARAM *p = OSSL_PARAM_locate(params, PROV_KEY_ATTRIBUTES);
    char attrs[sizeof(PROV_KEY_ATTRIBUTES_PROMISED) + 64];

    if (p == NULL)
        return PROV_OSSL_OK;
    if (prov_key_attributes(key->ctx, key, attrs, sizeof(attrs)) != PROV_R_OK)
        return PROV_OSSL_ERR;
    if (!OSSL_PARAM_set_utf8_string(p, attrs)) {
        PROV_RAISE(key->ctx, PROV_R_BUFFER_TOO_SMALL,
                   "parameter %s has the wrong type or too small a buffer", PROV_KEY_ATTRIBUTES);
        return PROV_OSSL_ERR;
    }
    return PROV_OSSL_OK;
}

static int ec_get_params(void *keydata, OSSL_PARAM params[])
{
    prov_key *key = keydata;
    const char *bad;

    if (key->curve == NULL)
        return PROV_OSSL_OK;
    if (!attributes_param(key, params))
        return PROV_OSSL_ERR;
    bad = fill_params(key, params);
    if (bad != NULL) {
        PROV_RAISE(key->ctx, PROV_R_BUFFER_TOO_SMALL,
                   "parameter %s has the wrong type or too small a buffer", bad);
        return PROV_OSSL_ERR;
    }
    return PROV_OSSL_OK;
}

static const OSSL_PARAM *ec_gettable_params(void *provctx)
{
    static const OSSL_PARAM table[] = {
        OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
        OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
        OSSL_PARAM_utf8_string(PROV_KEY_ATTRIBUTES, NULL, 0),
        OSSL_PARAM_END,
    };

    (void)provctx;
    return table;
}

/* EVP_PKEY_set1_encoded_public_key on a public-only key (a peer). */
static int ec_set_params(void *keydata, const OSSL_PARAM params[])
{
    prov_key *key = keydata;
    const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY);

    if (p == NULL)
        return PROV_OSSL_OK;
    if (key->curve == NULL || key->priv != PROV_NO_HANDLE) {
        PROV_RAISE(key->ctx, PROV_R_KEY_IMPORT,
                   key->curve == NULL ? "set the group before the public key"
                                      : "the public point of a token key pair cannot change");
        return PROV_OSSL_ERR;
    }
    return set_public(key, p);
}

static const OSSL_PARAM *ec_settable_params(void *provctx)
{
    static const OSSL_PARAM table[] = {
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
        OSSL_PARAM_END,
    };

    (void)provctx;
    return table;
}

/* EVP asks which algorithm of an operation fits "EC" keys: ECDH for key exchange. */
static const char *ec_query_operation_name(int operation_id)
{
    return operation_id == OSSL_OP_KEYEXCH ? "ECDH" : NULL;
}

const OSSL_DISPATCH prov_keymgmt_ec_functions[] = {
    {OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))ec_new},
    {OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))ec_free},
    {OSSL_FUNC_KEYMGMT_GEN_INIT, (void (*)(void))ec_gen_init},
    {OSSL_FUNC_KEYMGMT_GEN_SET_PARAMS, (void (*)(void))ec_gen_set_params},
    {OSSL_FUNC_KEYMGMT_GEN_SETTABLE_PARAMS, (void (*)(void))ec_gen_settable_params},
    {OSSL_FUNC_KEYMGMT_GEN, (void (*)(void))ec_gen},
    {OSSL_FUNC_KEYMGMT_GEN_CLEANUP, (void (*)(void))ec_gen_cleanup},
    {OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))ec_has},
    {OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void))ec_match},
    {OSSL_FUNC_KEYMGMT_VALIDATE, (void (*)(void))ec_validate},
    {OSSL_FUNC_KEYMGMT_IMPORT, (void (*)(void))ec_import},
    {OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))ec_import_types},
    {OSSL_FUNC_KEYMGMT_EXPORT, (void (*)(void))ec_export},
    {OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*)(void))ec_export_types},
    {OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void))ec_get_params},
    {OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, (void (*)(void))ec_gettable_params},
    {OSSL_FUNC_KEYMGMT_SET_PARAMS, (void (*)(void))ec_set_params},
    {OSSL_FUNC_KEYMGMT_SETTABLE_PARAMS, (void (*)(void))ec_settable_params},
    {OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))ec_query_operation_name},
    {0, NULL},
};
