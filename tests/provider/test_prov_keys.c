/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Keys the provider makes are what the issue promises: sensitive,
 * non-extractable session objects that vanish when freed, read back
 * through PKCS#11 itself and through a second process (pkcs11-tool); the
 * KEYMGMT answers like OpenSSL's own EC keys and never exports a private key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>

#include "hsm/hsm.h"
#include "provider/prov_api.h"
#include "provtest.h"

static pt_fixture fx;
static const char *const curves[] = {"secp256k1", "prime256v1", "secp384r1", "secp521r1"};

static int setup(void **state)
{
    (void)state;
    return pt_fixture_open(&fx, "p11tee-keys");
}

static int teardown(void **state)
{
    (void)state;
    pt_fixture_close(&fx);
    return 0;
}

static void assert_private_attrs(const pt_attrs *a, int generated)
{
    assert_int_equal(a->cls, PT_CKO_PRIVATE_KEY);
    assert_int_equal(a->token, 0);
    assert_int_equal(a->private_, 1);
    assert_int_equal(a->sensitive, 1);
    assert_int_equal(a->extractable, 0);
    assert_int_equal(a->derive, 1);
    assert_int_equal(a->sign, 0);
    /* Only a key born in the token was always sensitive and never extractable. */
    assert_int_equal(a->always_sensitive, generated);
    assert_int_equal(a->never_extractable, generated);
    assert_int_equal(a->value_rv, PT_CKR_ATTRIBUTE_SENSITIVE);
}

static void generated_keys_are_sensitive_session_objects(void **state)
{
    pt_p11 *p = pt_p11_open(fx.tok.module, fx.tok.label);
    hsm_key *keys[3];
    uint8_t pub[HSM_PUBKEY_BYTES];
    unsigned long pubobj, privobj;
    long baseline;
    pt_attrs a;
    size_t i, n;
    p11tee_error err;

    (void)state;
    assert_non_null(p);
    baseline = pt_p11_count(p);
    assert_true(baseline >= 0);
    for (i = 0; i < 3; i++) {
        assert_int_equal(hsm_key_generate(fx.hctx, "secp256k1", &keys[i], &err), P11TEE_OK);
        assert_int_equal(hsm_key_public(keys[i], pub, sizeof(pub), &n, &err), P11TEE_OK);
        assert_int_equal(n, 65);
        assert_int_equal(pub[0], 0x04);
        assert_true(pt_p11_find_pair(p, pub, n, &pubobj, &privobj));
        assert_true(pt_p11_attrs(p, privobj, &a));
        assert_private_attrs(&a, 1);
        assert_true(pt_p11_attrs(p, pubobj, &a));
        assert_int_equal(a.cls, PT_CKO_PUBLIC_KEY);
        assert_int_equal(a.token, 0);
    }
    assert_int_equal(pt_p11_count(p), baseline + 6);
    for (i = 0; i < 3; i++)
        hsm_key_free(keys[i]);
    assert_int_equal(pt_p11_count(p), baseline);
    pt_p11_close(p);
}

/* The same on every curve, P-521 included (its 133-byte point has a long DER length). */
static void keys_on_every_curve_are_sensitive(void **state)
{
    pt_p11 *p = pt_p11_open(fx.tok.module, fx.tok.label);
    static const size_t point_len[] = {65, 65, 97, 133}; /* as `curves` */
    uint8_t pub[PT_POINT_MAX];
    unsigned long pubobj, privobj;
    pt_attrs a;
    size_t i, n;

    (void)state;
    assert_non_null(p);
    for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
        EVP_PKEY *k = pt_token_key(fx.libctx, curves[i]);

        assert_non_null(k);
        n = pt_pub(k, pub, sizeof(pub));
        assert_int_equal(n, point_len[i]);
        assert_true(pt_p11_find_pair(p, pub, n, &pubobj, &privobj));
        assert_true(pt_p11_attrs(p, privobj, &a));
        assert_private_attrs(&a, 1);
        EVP_PKEY_free(k);
    }
    pt_p11_close(p);
}

/* `pkcs11-tool --list-objects` on the test token; its stdout in `out`. */
static int list_objects(char *out, size_t cap)
{
    const char *tool = getenv("PKCS11_TOOL");
    char cmd[1024];
    FILE *f;
    size_t n;

    if (tool == NULL || tool[0] == '\0')
        return -1;
    /* The PIN goes through the environment, not argv. */
    setenv("PT_PIN", TEST_PIN, 1);
    snprintf(cmd, sizeof(cmd),
             "'%s' --module '%s' --token-label '%s' --login --pin env:PT_PIN"
             " --list-objects 2>/dev/null",
             tool, fx.tok.module, fx.tok.label);
    f = popen(cmd, "r");
    if (f == NULL)
        return -1;
    n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    return pclose(f);
}

static void second_process_sees_no_object(void **state)
{
    char out[8192];
    hsm_key *k;
    p11tee_error err;
    int rc;

    (void)state;
    if (list_objects(out, sizeof(out)) == -1)
        skip();
    assert_int_equal(hsm_key_generate(fx.hctx, "secp256k1", &k, &err), P11TEE_OK);
    rc = list_objects(out, sizeof(out));
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
    assert_null(strstr(out, "Object;"));
    hsm_key_free(k);
    rc = list_objects(out, sizeof(out));
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
    assert_null(strstr(out, "Object;"));
}

/* The listing above can see objects: pkcs11-tool lists a token object it made itself. */
static void second_process_listing_is_meaningful(void **state)
{
    const char *tool = getenv("PKCS11_TOOL");
    char cmd[1024], out[8192];
    int rc;

    (void)state;
    if (tool == NULL || tool[0] == '\0')
        skip();
    snprintf(cmd, sizeof(cmd),
             "'%s' --module '%s' --token-label '%s' --login --pin env:PT_PIN --keypairgen"
             " --key-type EC:secp256k1 --label probe >/dev/null 2>&1",
             tool, fx.tok.module, fx.tok.label);
    setenv("PT_PIN", TEST_PIN, 1);
    assert_int_equal(system(cmd), 0);
    rc = list_objects(out, sizeof(out));
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
    assert_non_null(strstr(out, "Private Key Object; EC"));
    assert_non_null(strstr(out, "label:      probe"));
    snprintf(cmd, sizeof(cmd),
             "'%s' --module '%s' --token-label '%s' --login --pin env:PT_PIN --delete-object"
             " --type privkey --label probe >/dev/null 2>&1 && '%s' --module '%s' --token-label"
             " '%s' --login --pin env:PT_PIN --delete-object --type pubkey --label probe"
             " >/dev/null 2>&1",
             tool, fx.tok.module, fx.tok.label, tool, fx.tok.module, fx.tok.label);
    assert_int_equal(system(cmd), 0);
    rc = list_objects(out, sizeof(out));
    assert_null(strstr(out, "Object;"));
}

static void params_match_default_provider(void **state)
{
    uint8_t pub[PT_POINT_MAX], pub2[PT_POINT_MAX];
    char group[32];
    size_t i, n;

    (void)state;
    for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
        EVP_PKEY *t = pt_token_key(fx.libctx, curves[i]), *s = pt_sw_key(curves[i]);

        assert_non_null(t);
        assert_non_null(s);
        assert_int_equal(EVP_PKEY_get_bits(t), EVP_PKEY_get_bits(s));
        assert_int_equal(EVP_PKEY_get_security_bits(t), EVP_PKEY_get_security_bits(s));
        assert_int_equal(EVP_PKEY_get_size(t), EVP_PKEY_get_size(s));
        assert_true(EVP_PKEY_get_utf8_string_param(t, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                                   sizeof(group), NULL));
        assert_string_equal(group, curves[i]);
        n = pt_pub(t, pub, sizeof(pub));
        assert_int_equal(n, pt_pub(s, pub2, sizeof(pub2)));
        assert_true(
            EVP_PKEY_get_octet_string_param(t, OSSL_PKEY_PARAM_PUB_KEY, pub2, sizeof(pub2), &n));
        assert_memory_equal(pub, pub2, n);
        assert_true(EVP_PKEY_is_a(t, "EC"));
        EVP_PKEY_free(t);
        EVP_PKEY_free(s);
    }
}

static void export_is_public_only(void **state)
{
    EVP_PKEY *t = pt_token_key(fx.libctx, "secp256k1");
    OSSL_PARAM *params = NULL;
    uint8_t pub[PT_POINT_MAX];
    char text[512];

    (void)state;
    assert_non_null(t);
    assert_int_equal(EVP_PKEY_todata(t, EVP_PKEY_PUBLIC_KEY, &params), 1);
    assert_non_null(OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_GROUP_NAME));
    assert_non_null(OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PUB_KEY));
    assert_null(OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PRIV_KEY));
    OSSL_PARAM_free(params);
    params = NULL;
    assert_int_not_equal(EVP_PKEY_todata(t, EVP_PKEY_KEYPAIR, &params), 1);
    assert_null(params);
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_EXPORT_REFUSED);
    assert_non_null(strstr(text, "non-extractable token object"));
    /* A public-only key of the same provider exports everything it has. */
    {
        size_t n = pt_pub(t, pub, sizeof(pub));
        EVP_PKEY *peer = pt_token_peer(fx.libctx, "secp256k1", pub, n);

        assert_non_null(peer);
        assert_int_equal(EVP_PKEY_todata(peer, EVP_PKEY_KEYPAIR, &params), 1);
        assert_null(OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PRIV_KEY));
        OSSL_PARAM_free(params);
        assert_int_equal(EVP_PKEY_eq(t, peer), 1);
        EVP_PKEY_free(peer);
    }
    EVP_PKEY_free(t);
}

/* OpenSSL asks for SELECT_ALL when it hands over a public key: no private part is fine. */
static void import_keypair_selection_without_private(void **state)
{
    EVP_PKEY *s = pt_sw_key("secp256k1"), *k, *other;
    uint8_t pub[PT_POINT_MAX];
    size_t n = pt_pub(s, pub, sizeof(pub));
    EVP_PKEY_CTX *c;
    char text[512];

    (void)state;
    k = pt_token_import(fx.libctx, "secp256k1", pub, n, NULL, EVP_PKEY_KEYPAIR);
    assert_non_null(k);
    assert_int_equal(EVP_PKEY_eq(k, s), 1);
    other = pt_sw_key("secp256k1");
    assert_int_equal(EVP_PKEY_eq(k, other), 0);
    /* It has no private half, so it cannot be the ECDH key. */
    c = EVP_PKEY_CTX_new_from_pkey(fx.libctx, k, PROV_PROPQ);
    assert_int_not_equal(EVP_PKEY_derive_init(c), 1);
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_NO_PRIVATE_KEY);
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(k);
    EVP_PKEY_free(other);
    EVP_PKEY_free(s);
}

/*
 * A private scalar another provider hands over (what `openssl pkeyutl`
 * does) becomes a sensitive, non-extractable session object; the ECDH it
 * gives matches the default provider; freeing it leaves nothing behind.
 */
static void imported_scalar_is_a_sensitive_session_object(void **state)
{
    pt_p11 *p = pt_p11_open(fx.tok.module, fx.tok.label);
    EVP_PKEY *s = pt_sw_key("secp256k1"), *peer = pt_sw_key("secp256k1"), *k = NULL, *tpeer;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(fx.libctx, "EC", PROV_PROPQ);
    uint8_t ppub[PT_POINT_MAX], spub[PT_POINT_MAX], x1[PT_SECRET_MAX], x2[PT_SECRET_MAX];
    unsigned long before[8], after[8], obj = 0;
    long baseline, nbefore, nafter, i, j;
    size_t pn, sn;
    pt_attrs a;

    (void)state;
    assert_non_null(p);
    baseline = pt_p11_count(p);
    nbefore = pt_p11_objects(p, PT_CKO_PRIVATE_KEY, before, 8);
    assert_int_equal(EVP_PKEY_todata(s, EVP_PKEY_KEYPAIR, &params), 1);
    assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
    assert_int_equal(EVP_PKEY_fromdata(c, &k, EVP_PKEY_KEYPAIR, params), 1);
    OSSL_PARAM_free(params); /* a throwaway software key */
    EVP_PKEY_CTX_free(c);
    assert_int_equal(pt_p11_count(p), baseline + 1);
    nafter = pt_p11_objects(p, PT_CKO_PRIVATE_KEY, after, 8);
    assert_int_equal(nafter, nbefore + 1);
    for (i = 0; i < nafter; i++) {
        for (j = 0; j < nbefore && before[j] != after[i]; j++)
            ;
        if (j == nbefore)
            obj = after[i];
    }
    assert_true(pt_p11_attrs(p, obj, &a));
    assert_private_attrs(&a, 0);

    pn = pt_pub(peer, ppub, sizeof(ppub));
    sn = pt_pub(s, spub, sizeof(spub));
    tpeer = pt_token_peer(fx.libctx, "secp256k1", ppub, pn);
    assert_int_equal(pt_token_derive(fx.libctx, k, tpeer, x1, sizeof(x1)), 32);
    assert_int_equal(pt_sw_derive(peer, "secp256k1", spub, sn, x2, sizeof(x2)), 32);
    assert_memory_equal(x1, x2, 32);
    EVP_PKEY_free(tpeer);
    EVP_PKEY_free(k);
    assert_int_equal(pt_p11_count(p), baseline);
    EVP_PKEY_free(s);
    EVP_PKEY_free(peer);
    pt_p11_close(p);
}

/* A scalar that is no valid private key is refused before it reaches the token. */
static void import_refuses_bad_scalar(void **state)
{
    EVP_PKEY *s = pt_sw_key("secp256k1");
    uint8_t pub[PT_POINT_MAX];
    size_t n = pt_pub(s, pub, sizeof(pub));
    BIGNUM *bad = BN_new();
    char text[512];

    (void)state;
    /* zero, the group order itself, and a scalar of another point */
    assert_true(BN_set_word(bad, 0));
    assert_null(pt_token_import(fx.libctx, "secp256k1", pub, n, bad, EVP_PKEY_KEYPAIR));
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_KEY_IMPORT);
    assert_non_null(strstr(text, "not a valid secp256k1 scalar"));
    assert_true(
        BN_hex2bn(&bad, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"));
    assert_null(pt_token_import(fx.libctx, "secp256k1", pub, n, bad, EVP_PKEY_KEYPAIR));
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_KEY_IMPORT);
    /* a valid scalar, but not the one of this public point */
    assert_true(BN_set_word(bad, 2));
    assert_null(pt_token_import(fx.libctx, "secp256k1", pub, n, bad, EVP_PKEY_KEYPAIR));
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_KEY_IMPORT);
    assert_non_null(strstr(text, "does not belong to the public point"));
    BN_free(bad);
    EVP_PKEY_free(s);
}

static void params_refused_when_they_cannot_fit(void **state)
{
    EVP_PKEY *t = pt_token_key(fx.libctx, "secp256k1");
    uint8_t small[10];
    size_t n = 0;
    int i = 0;
    char text[512];

    (void)state;
    assert_int_equal(EVP_PKEY_get_octet_string_param(t, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, small,
                                                     sizeof(small), &n),
                     0);
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_BUFFER_TOO_SMALL);
    assert_non_null(strstr(text, "parameter encoded-pub-key"));
    assert_int_equal(EVP_PKEY_get_int_param(t, OSSL_PKEY_PARAM_GROUP_NAME, &i), 0);
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_BUFFER_TOO_SMALL);
    assert_non_null(strstr(text, "parameter group"));
    EVP_PKEY_free(t);
}

/* EVP_PKEY_set1_encoded_public_key: for peers, checked; never for a token pair. */
static void public_point_settable_on_peers_only(void **state)
{
    EVP_PKEY *t = pt_token_key(fx.libctx, "secp256k1"), *s = pt_sw_key("secp256k1"), *peer;
    uint8_t tpub[PT_POINT_MAX], spub[PT_POINT_MAX];
    size_t tn = pt_pub(t, tpub, sizeof(tpub)), sn = pt_pub(s, spub, sizeof(spub));
    char text[512];

    (void)state;
    assert_int_equal(EVP_PKEY_set1_encoded_public_key(t, spub, sn), 0);
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_KEY_IMPORT);
    assert_non_null(strstr(text, "cannot change"));
    peer = pt_token_peer(fx.libctx, "secp256k1", tpub, tn);
    assert_int_equal(EVP_PKEY_set1_encoded_public_key(peer, spub, sn), 1);
    assert_int_equal(EVP_PKEY_eq(peer, s), 1);
    spub[1] ^= 1;
    assert_int_equal(EVP_PKEY_set1_encoded_public_key(peer, spub, sn), 0);
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_PEER_OFF_CURVE);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(s);
    EVP_PKEY_free(t);
}

static void generation_refusals(void **state)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(fx.libctx, "EC", PROV_PROPQ);
    OSSL_PARAM bad[] = {OSSL_PARAM_int(OSSL_PKEY_PARAM_GROUP_NAME, NULL), OSSL_PARAM_END};
    EVP_PKEY *k = NULL;
    int v = 714;
    char text[512];

    (void)state;
    bad[0].data = &v;
    assert_int_equal(EVP_PKEY_keygen_init(c), 1);
    assert_int_not_equal(EVP_PKEY_CTX_set_params(c, bad), 1);
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_CURVE_UNSUPPORTED);
    assert_non_null(strstr(text, "must be a curve name"));
    /* Domain parameters are not something a token makes. */
    assert_int_equal(EVP_PKEY_paramgen_init(c), 1);
    assert_int_equal(EVP_PKEY_CTX_set_group_name(c, "secp256k1"), 1);
    assert_int_not_equal(EVP_PKEY_paramgen(c, &k), 1);
    assert_null(k);
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_NOT_SUPPORTED);
    EVP_PKEY_CTX_free(c);
}

static void exchange_refusals(void **state)
{
    EVP_PKEY *t = pt_token_key(fx.libctx, "secp256k1"), *p256 = pt_token_key(fx.libctx, "P-256");
    EVP_PKEY *s = pt_sw_key("secp256k1");
    uint8_t spub[PT_POINT_MAX], x1[PT_SECRET_MAX], x2[PT_SECRET_MAX];
    size_t sn = pt_pub(s, spub, sizeof(spub)), n = sizeof(x1);
    EVP_PKEY *peer = pt_token_peer(fx.libctx, "secp256k1", spub, sn);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(fx.libctx, t, PROV_PROPQ), *d;
    char text[512];

    (void)state;
    assert_int_equal(EVP_PKEY_derive_init(c), 1);
    assert_int_not_equal(EVP_PKEY_derive(c, x1, &n), 1); /* no peer yet */
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_DERIVE);
    assert_int_not_equal(EVP_PKEY_derive_set_peer_ex(c, p256, 0), 1);
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_PEER_MALFORMED);
    assert_non_null(strstr(text, "the peer key is on prime256v1, the key on secp256k1"));
    /* A duplicated context derives the same secret. */
    assert_int_equal(EVP_PKEY_derive_set_peer_ex(c, peer, 0), 1);
    d = EVP_PKEY_CTX_dup(c);
    assert_non_null(d);
    n = sizeof(x1);
    assert_int_equal(EVP_PKEY_derive(c, x1, &n), 1);
    assert_int_equal(n, 32);
    n = sizeof(x2);
    assert_int_equal(EVP_PKEY_derive(d, x2, &n), 1);
    assert_memory_equal(x1, x2, 32);
    EVP_PKEY_CTX_free(d);
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(s);
    EVP_PKEY_free(p256);
    EVP_PKEY_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generated_keys_are_sensitive_session_objects),
        cmocka_unit_test(keys_on_every_curve_are_sensitive),
        cmocka_unit_test(second_process_sees_no_object),
        cmocka_unit_test(second_process_listing_is_meaningful),
        cmocka_unit_test(params_match_default_provider),
        cmocka_unit_test(export_is_public_only),
        cmocka_unit_test(import_keypair_selection_without_private),
        cmocka_unit_test(imported_scalar_is_a_sensitive_session_object),
        cmocka_unit_test(import_refuses_bad_scalar),
        cmocka_unit_test(params_refused_when_they_cannot_fit),
        cmocka_unit_test(public_point_settable_on_peers_only),
        cmocka_unit_test(generation_refusals),
        cmocka_unit_test(exchange_refusals),
    };

    return TEST_MAIN(tests, setup, teardown);
}
