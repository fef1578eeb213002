/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * ECDH in the token gives the same bytes as OpenSSL's default provider:
 * token key x software key in both directions for >= 200 random pairs, two
 * token keys with each other, the other curves, and a known answer. A KDF
 * asked of the exchange is refused, never silently skipped.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "hsm/hsm.h"
#include "provider/prov_api.h"
#include "provtest.h"

static pt_fixture fx;

static int setup(void **state)
{
    (void)state;
    return pt_fixture_open(&fx, "p11tee-ecdh");
}

static int teardown(void **state)
{
    (void)state;
    pt_fixture_close(&fx);
    return 0;
}

static void token_matches_default_provider_secp256k1(void **state)
{
    int pairs = pt_quick() ? 20 : 200, i;
    hsm_key *prev = NULL;
    uint8_t prev_pub[HSM_PUBKEY_BYTES];
    p11tee_error err;

    (void)state;
    for (i = 0; i < pairs; i++) {
        hsm_key *t;
        EVP_PKEY *s = pt_sw_key("secp256k1");
        uint8_t tpub[HSM_PUBKEY_BYTES], spub[PT_POINT_MAX];
        uint8_t x1[HSM_SECRET_MAX], x2[HSM_SECRET_MAX], x3[HSM_SECRET_MAX];
        size_t tn, sn, n1, n3;

        assert_non_null(s);
        sn = pt_pub(s, spub, sizeof(spub));
        assert_int_equal(hsm_key_generate(fx.hctx, "secp256k1", &t, &err), P11TEE_OK);
        assert_int_equal(hsm_key_public(t, tpub, sizeof(tpub), &tn, &err), P11TEE_OK);
        /* token(t) x software(s) == software(s) x token(t) */
        assert_int_equal(hsm_derive(t, spub, sn, x1, sizeof(x1), &n1, &err), P11TEE_OK);
        assert_int_equal(n1, 32);
        assert_int_equal(pt_sw_derive(s, "secp256k1", tpub, tn, x2, sizeof(x2)), 32);
        assert_memory_equal(x1, x2, 32);
        /* token(prev) x token(t) == token(t) x token(prev) */
        if (prev != NULL) {
            assert_int_equal(hsm_derive(t, prev_pub, tn, x1, sizeof(x1), &n1, &err), P11TEE_OK);
            assert_int_equal(hsm_derive(prev, tpub, tn, x3, sizeof(x3), &n3, &err), P11TEE_OK);
            assert_int_equal(n3, 32);
            assert_memory_equal(x1, x3, 32);
            hsm_key_free(prev);
        }
        prev = t;
        memcpy(prev_pub, tpub, tn);
        EVP_PKEY_free(s);
    }
    hsm_key_free(prev);
}

static void token_matches_default_provider_other_curves(void **state)
{
    static const struct {
        const char *curve;
        size_t secret;
    } c[] = {{"prime256v1", 32}, {"secp384r1", 48}, {"secp521r1", 66}};
    int pairs = pt_quick() ? 2 : 10, i;
    size_t k;

    (void)state;
    for (k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
        for (i = 0; i < pairs; i++) {
            EVP_PKEY *t = pt_token_key(fx.libctx, c[k].curve), *s = pt_sw_key(c[k].curve), *peer;
            uint8_t tpub[PT_POINT_MAX], spub[PT_POINT_MAX];
            uint8_t x1[PT_SECRET_MAX], x2[PT_SECRET_MAX];
            size_t tn = pt_pub(t, tpub, sizeof(tpub)), sn = pt_pub(s, spub, sizeof(spub));

            assert_int_equal(tn, 1 + 2 * c[k].secret);
            peer = pt_token_peer(fx.libctx, c[k].curve, spub, sn);
            assert_non_null(peer);
            assert_int_equal(pt_token_derive(fx.libctx, t, peer, x1, sizeof(x1)), c[k].secret);
            assert_int_equal(pt_sw_derive(s, c[k].curve, tpub, tn, x2, sizeof(x2)), c[k].secret);
            assert_memory_equal(x1, x2, c[k].secret);
            EVP_PKEY_free(peer);
            EVP_PKEY_free(t);
            EVP_PKEY_free(s);
        }
    }
}

/*
 * A known answer that does not rest on OpenSSL's ECDH: with the private
 * scalar 1 (imported into the token), the shared secret is the peer's X.
 */
static void scalar_one_gives_peer_x(void **state)
{
    /* The public point of scalar 1 is the generator G. */
    static const uint8_t g[65] = {
        0x04, 0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0, 0x62, 0x95,
        0xce, 0x87, 0x0b, 0x07, 0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9, 0x59,
        0xf2, 0x81, 0x5b, 0x16, 0xf8, 0x17, 0x98, 0x48, 0x3a, 0xda, 0x77, 0x26, 0xa3,
        0xc4, 0x65, 0x5d, 0xa4, 0xfb, 0xfc, 0x0e, 0x11, 0x08, 0xa8, 0xfd, 0x17, 0xb4,
        0x48, 0xa6, 0x85, 0x54, 0x19, 0x9c, 0x47, 0xd0, 0x8f, 0xfb, 0x10, 0xd4, 0xb8,
    };
    EVP_PKEY *s = pt_sw_key("secp256k1"), *k, *peer;
    uint8_t spub[PT_POINT_MAX], x[PT_SECRET_MAX];
    size_t sn = pt_pub(s, spub, sizeof(spub));
    BIGNUM *one = BN_new();

    (void)state;
    assert_true(BN_set_word(one, 1));
    k = pt_token_import(fx.libctx, "secp256k1", g, sizeof(g), one, EVP_PKEY_KEYPAIR);
    assert_non_null(k);
    peer = pt_token_peer(fx.libctx, "secp256k1", spub, sn);
    assert_int_equal(pt_token_derive(fx.libctx, k, peer, x, sizeof(x)), 32);
    assert_memory_equal(x, spub + 1, 32);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(k);
    BN_free(one);
    EVP_PKEY_free(s);
}

/* A default-provider peer key is handed to the provider by OpenSSL itself. */
static void default_provider_peer_is_accepted(void **state)
{
    EVP_PKEY *t = pt_token_key(fx.libctx, "secp256k1"), *s = pt_sw_key("secp256k1");
    uint8_t tpub[PT_POINT_MAX], x1[PT_SECRET_MAX], x2[PT_SECRET_MAX];
    size_t tn = pt_pub(t, tpub, sizeof(tpub));

    (void)state;
    assert_int_equal(pt_token_derive(fx.libctx, t, s, x1, sizeof(x1)), 32);
    assert_int_equal(pt_sw_derive(s, "secp256k1", tpub, tn, x2, sizeof(x2)), 32);
    assert_memory_equal(x1, x2, 32);
    EVP_PKEY_free(t);
    EVP_PKEY_free(s);
}

/* The raw X coordinate is all the token gives: KDF parameters are refused, "no KDF" is not. */
static void kdf_parameters_refused(void **state)
{
    EVP_PKEY *t = pt_token_key(fx.libctx, "secp256k1"), *s = pt_sw_key("secp256k1");
    uint8_t tpub[PT_POINT_MAX], ukm[4] = {1, 2, 3, 4}, x1[PT_SECRET_MAX], x2[PT_SECRET_MAX];
    size_t tn = pt_pub(t, tpub, sizeof(tpub)), outlen = 32, n;
    int cofactor = 1;
    OSSL_PARAM kdf_type[] = {OSSL_PARAM_utf8_string("kdf-type", "X963KDF", 0), OSSL_PARAM_END};
    OSSL_PARAM kdf_digest[] = {OSSL_PARAM_utf8_string("kdf-digest", "SHA256", 0), OSSL_PARAM_END};
    OSSL_PARAM kdf_outlen[] = {OSSL_PARAM_size_t("kdf-outlen", &outlen), OSSL_PARAM_END};
    OSSL_PARAM kdf_ukm[] = {OSSL_PARAM_octet_string("kdf-ukm", ukm, sizeof(ukm)), OSSL_PARAM_END};
    OSSL_PARAM *refused[] = {kdf_type, kdf_digest, kdf_outlen, kdf_ukm};
    OSSL_PARAM none[] = {
        OSSL_PARAM_utf8_string("kdf-type", "", 0),
        OSSL_PARAM_int("ecdh-cofactor-mode", &cofactor),
        OSSL_PARAM_END,
    };
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(fx.libctx, t, PROV_PROPQ);
    char text[512], want[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_int_not_equal(EVP_PKEY_derive_init_ex(c, refused[i]), 1);
        assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_NOT_SUPPORTED);
        snprintf(want, sizeof(want), "ECDH parameter %s is not supported", refused[i][0].key);
        assert_non_null(strstr(text, want));
    }
    /* "No KDF" and the cofactor mode (all our curves have cofactor 1) are what OpenSSL means. */
    assert_int_equal(EVP_PKEY_derive_init_ex(c, none), 1);
    assert_int_equal(EVP_PKEY_derive_set_peer_ex(c, s, 0), 1);
    /* ... and after init, through EVP_PKEY_CTX_set_params, the same refusal. */
    assert_int_not_equal(EVP_PKEY_CTX_set_params(c, kdf_type), 1);
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_NOT_SUPPORTED);
    assert_int_not_equal(EVP_PKEY_CTX_set_ecdh_kdf_type(c, EVP_PKEY_ECDH_KDF_X9_63), 1);
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_NOT_SUPPORTED);
    assert_int_equal(EVP_PKEY_CTX_set_params(c, none), 1);
    n = sizeof(x1);
    assert_int_equal(EVP_PKEY_derive(c, x1, &n), 1);
    assert_int_equal(n, 32);
    assert_int_equal(pt_sw_derive(s, "secp256k1", tpub, tn, x2, sizeof(x2)), 32);
    assert_memory_equal(x1, x2, 32);
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(t);
    EVP_PKEY_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_matches_default_provider_secp256k1),
        cmocka_unit_test(token_matches_default_provider_other_curves),
        cmocka_unit_test(scalar_one_gives_peer_x),
        cmocka_unit_test(default_provider_peer_is_accepted),
        cmocka_unit_test(kdf_parameters_refused),
    };

    return TEST_MAIN(tests, setup, teardown);
}
