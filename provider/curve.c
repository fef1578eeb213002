/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* The named curves the provider offers, and validation of peer points. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include "prov.h"

static const unsigned char oid_secp256k1[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a};
static const unsigned char oid_prime256v1[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                               0xce, 0x3d, 0x03, 0x01, 0x07};
static const unsigned char oid_secp384r1[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
static const unsigned char oid_secp521r1[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};

/* max_size values are what the default provider reports for the same curve. */
const prov_curve prov_curves[PROV_CURVE_COUNT] = {
    {
        .name = "secp256k1",
        .alias = {NULL},
        .nid = NID_secp256k1,
        .oid_der = oid_secp256k1,
        .oid_der_len = sizeof(oid_secp256k1),
        .field_bytes = 32,
        .bits = 256,
        .security_bits = 128,
        .max_size = 72,
    },
    {
        .name = "prime256v1",
        .alias = {"P-256", "secp256r1", NULL},
        .nid = NID_X9_62_prime256v1,
        .oid_der = oid_prime256v1,
        .oid_der_len = sizeof(oid_prime256v1),
        .field_bytes = 32,
        .bits = 256,
        .security_bits = 128,
        .max_size = 72,
    },
    {
        .name = "secp384r1",
        .alias = {"P-384", NULL},
        .nid = NID_secp384r1,
        .oid_der = oid_secp384r1,
        .oid_der_len = sizeof(oid_secp384r1),
        .field_bytes = 48,
        .bits = 384,
        .security_bits = 192,
        .max_size = 104,
    },
    {
        .name = "secp521r1",
        .alias = {"P-521", NULL},
        .nid = NID_secp521r1,
        .oid_der = oid_secp521r1,
        .oid_der_len = sizeof(oid_secp521r1),
        .field_bytes = 66,
        .bits = 521,
        .security_bits = 256,
        .max_size = 139,
    },
};

const prov_curve *prov_curve_by_name(const char *name)
{
    size_t i, j;

    if (name == NULL)
        return NULL;
    for (i = 0; i < PROV_CURVE_COUNT; i++) {
        if (strcasecmp(name, prov_curves[i].name) == 0)
            return &prov_curves[i];
        for (j = 0; prov_curves[i].alias[j] != NULL; j++)
            if (strcasecmp(name, prov_curves[i].alias[j]) == 0)
                return &prov_curves[i];
    }
    return NULL;
}

const prov_curve *prov_curve_by_oid(const unsigned char *der, size_t len)
{
    size_t i;

    for (i = 0; i < PROV_CURVE_COUNT; i++)
        if (len == prov_curves[i].oid_der_len && memcmp(der, prov_curves[i].oid_der, len) == 0)
            return &prov_curves[i];
    return NULL;
}

size_t prov_curve_point_len(const prov_curve *c)
{
    return 1 + 2 * c->field_bytes;
}

const EC_GROUP *prov_group(const prov_ctx *ctx, const prov_curve *c)
{
    return ctx->groups[c - prov_curves];
}

int prov_openssl_oom(void)
{
    unsigned long e = ERR_peek_last_error();

    return errno == ENOMEM || (e != 0 && ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE);
}

/* Both coordinates below p: else the encoding is not a field element at all. */
static int coords_reduced(const BIGNUM *p, const BIGNUM *x, const BIGNUM *y)
{
    return BN_cmp(x, p) < 0 && BN_cmp(y, p) < 0;
}

prov_status prov_point_check(const prov_ctx *ctx, const prov_curve *c, const unsigned char *pt,
                             size_t len)
{
    const EC_GROUP *group = prov_group(ctx, c);
    size_t want = prov_curve_point_len(c);
    BIGNUM *x = NULL, *y = NULL;
    EC_POINT *p = NULL;
    prov_status rc;

    if (pt == NULL || len != want || pt[0] != 0x04)
        return PROV_RAISE(ctx, PROV_R_PEER_MALFORMED,
                          "peer point on %s must be %zu bytes starting 04 (uncompressed), got %zu "
                          "bytes starting %02x",
                          c->name, want, len, pt != NULL && len > 0 ? pt[0] : 0);
    x = BN_bin2bn(pt + 1, (int)c->field_bytes, NULL);
    y = BN_bin2bn(pt + 1 + c->field_bytes, (int)c->field_bytes, NULL);
    p = EC_POINT_new(group);
    if (x == NULL || y == NULL || p == NULL) {
        rc = PROV_RAISE(ctx, PROV_R_NOMEM, "out of memory while checking a peer point");
        goto done;
    }
    if (!coords_reduced(EC_GROUP_get0_field(group), x, y)) {
        rc = PROV_RAISE(ctx, PROV_R_PEER_MALFORMED,
                        "peer point on %s has a coordinate not below the field prime", c->name);
        goto done;
    }
    /* Sets only points that satisfy the curve equation; its own error is ours to report. */
    ERR_set_mark();
    errno = 0;
    if (!EC_POINT_set_affine_coordinates(group, p, x, y, NULL)) {
        int oom = prov_openssl_oom();

        ERR_pop_to_mark();
        rc = oom ? PROV_RAISE(ctx, PROV_R_NOMEM, "out of memory while checking a peer point")
                 : PROV_RAISE(ctx, PROV_R_PEER_OFF_CURVE, "peer point is not on %s", c->name);
        goto done;
    }
    ERR_pop_to_mark();
    rc = PROV_R_OK;
done:
    BN_free(x);
    BN_free(y);
    EC_POINT_free(p);
    return rc;
}
