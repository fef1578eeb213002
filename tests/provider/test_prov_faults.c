/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Failures the token itself reports: each surfaces as its own error, names
 * the PKCS#11 call and its CK_RV, and leaves no object or secret behind.
 * SoftHSM refuses ECDH when its configuration (slots.mechanisms) says so;
 * the failures SoftHSM never shows (a locked PIN, a refused or malformed
 * key pair, a session that disappears, a secret it will not destroy, a
 * misreported secret length) come from faultmod.so, SoftHSM with one
 * function made to misbehave ($P11TEE_FAULT), which also counts the calls of
 * C_OpenSession and C_Login (a wrong PIN is tried once).
 *
 * Both read their configuration once per process, so each scenario runs in
 * a process of its own, started before this one ever loads the module.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsm/hsm.h"
#include "provider/prov_api.h"
#include "provtest.h"

typedef struct scenario {
    const test_token *tok;
    const char *module;
} scenario;

static hsm_ctx *open_ctx(const scenario *sc)
{
    hsm_config cfg = {.module = sc->module, .token = sc->tok->uri};
    hsm_ctx *h = NULL;
    p11tee_error err;

    PT_CHECK(hsm_ctx_new(&cfg, &h, &err) == P11TEE_OK);
    return h;
}

/* A context, a token key in it and a software peer: what the derive scenarios start from. */
typedef struct keyed {
    hsm_ctx *h;
    hsm_key *k;
    EVP_PKEY *s;
    uint8_t spub[PT_POINT_MAX];
    size_t sn;
} keyed;

static void keyed_open(const scenario *sc, keyed *ky)
{
    p11tee_error err;

    ky->s = pt_sw_key("secp256k1");
    ky->sn = pt_pub(ky->s, ky->spub, sizeof(ky->spub));
    ky->h = open_ctx(sc);
    ky->k = NULL;
    PT_CHECK(ky->h != NULL && hsm_key_generate(ky->h, "secp256k1", &ky->k, &err) == P11TEE_OK);
}

/* hsm_derive of the key with the peer into `x`, prefilled with 0xaa; its status. */
static p11tee_status keyed_derive(keyed *ky, uint8_t x[HSM_SECRET_MAX], p11tee_error *err)
{
    size_t n = 0;

    memset(x, 0xaa, HSM_SECRET_MAX);
    return hsm_derive(ky->k, ky->spub, ky->sn, x, HSM_SECRET_MAX, &n, err);
}

static void keyed_close(keyed *ky)
{
    hsm_key_free(ky->k);
    hsm_ctx_free(ky->h);
    EVP_PKEY_free(ky->s);
}

/* Secret key objects the process sees in the token (a derived secret left behind). */
static long secret_objects(const scenario *sc)
{
    pt_p11 *p = pt_p11_open(sc->module, sc->tok->label);
    long n = p != NULL ? pt_p11_objects(p, PT_CKO_SECRET_KEY, NULL, 0) : -1;

    pt_p11_close(p);
    return n;
}

static void no_derive(void *arg)
{
    const scenario *sc = arg;
    OSSL_PROVIDER *prov = NULL;
    OSSL_LIB_CTX *libctx;
    EVP_PKEY *t, *peer;
    uint8_t x[HSM_SECRET_MAX], zero[HSM_SECRET_MAX] = {0};
    p11tee_error err;
    char text[512];
    keyed ky;

    keyed_open(sc, &ky);
    PT_CHECK(keyed_derive(&ky, x, &err) == P11TEE_E_DERIVE);
    PT_CHECK(strstr(err.message, "C_DeriveKey on token \"p11tee-faults\"") != NULL);
    PT_CHECK(strstr(err.message, "CKR_MECHANISM_INVALID") != NULL);
    PT_CHECK(memcmp(x, zero, sizeof(x)) == 0); /* cleansed, not left half-written */
    libctx = pt_libctx_new(sc->module, sc->tok->uri, &prov);
    t = pt_token_key(libctx, "secp256k1");
    peer = pt_token_peer(libctx, "secp256k1", ky.spub, ky.sn);
    PT_CHECK(t != NULL && peer != NULL);
    memset(x, 0xaa, sizeof(x));
    PT_CHECK(pt_token_derive(libctx, t, peer, x, sizeof(x)) == 0);
    PT_CHECK(pt_prov_error(text, sizeof(text)) == PROV_R_DERIVE);
    PT_CHECK(memcmp(x, zero, 32) == 0); /* EVP_PKEY_derive's buffer, cleansed by the provider */
    EVP_PKEY_free(peer);
    EVP_PKEY_free(t);
    pt_libctx_free(libctx, prov);
    keyed_close(&ky);
}

/* Opening the token fails: hsm with `code`, the provider with `reason`, both saying `needle`. */
static void open_fails(const scenario *sc, p11tee_status code, int reason, const char *needle)
{
    hsm_config cfg = {.module = sc->module, .token = sc->tok->uri};
    OSSL_PROVIDER *prov = NULL;
    OSSL_LIB_CTX *libctx;
    hsm_ctx *h = NULL;
    p11tee_error err;
    char text[512];

    PT_CHECK(hsm_ctx_new(&cfg, &h, &err) == code);
    PT_CHECK(strstr(err.message, needle) != NULL);
    if (strstr(err.message, needle) == NULL)
        fprintf(stderr, "message: %s\n", err.message);
    libctx = pt_libctx_new(sc->module, sc->tok->uri, &prov);
    PT_CHECK(OSSL_PROVIDER_self_test(prov) != 1);
    PT_CHECK(pt_prov_error(text, sizeof(text)) == reason);
    PT_CHECK(strstr(text, needle) != NULL);
    pt_libctx_free(libctx, prov);
}

static void pin_locked(void *arg)
{
    open_fails(arg, P11TEE_E_PIN_LOCKED, PROV_R_PIN_LOCKED, "(C_Login: CKR_PIN_LOCKED)");
}

static void login_device_error(void *arg)
{
    open_fails(arg, P11TEE_E_LOGIN, PROV_R_LOGIN, "(C_Login: CKR_DEVICE_ERROR)");
}

static void no_function_list(void *arg)
{
    open_fails(arg, P11TEE_E_MODULE_LOAD, PROV_R_MODULE_LOAD,
               "faultmod.so: C_GetFunctionList: CKR_GENERAL_ERROR");
}

static void init_refused(void *arg)
{
    open_fails(arg, P11TEE_E_MODULE_LOAD, PROV_R_MODULE_LOAD,
               "faultmod.so failed to initialise: CKR_CANT_LOCK");
}

static void no_slot_list(void *arg)
{
    open_fails(arg, P11TEE_E_TOKEN, PROV_R_TOKEN, "listing slots failed: CKR_DEVICE_REMOVED");
}

/* Key generation fails with `code` and `needle` in the message; no object stays. */
static void keygen_fails(const scenario *sc, p11tee_status code, const char *needle)
{
    pt_p11 *p;
    hsm_ctx *h = open_ctx(sc);
    hsm_key *k = NULL;
    p11tee_error err;
    long before;

    p = pt_p11_open(sc->module, sc->tok->label);
    PT_CHECK(p != NULL);
    before = pt_p11_count(p);
    PT_CHECK(hsm_key_generate(h, "secp256k1", &k, &err) == code);
    PT_CHECK(k == NULL);
    PT_CHECK(strstr(err.message, needle) != NULL);
    if (strstr(err.message, needle) == NULL)
        fprintf(stderr, "message: %s\n", err.message);
    PT_CHECK(pt_p11_count(p) == before);
    pt_p11_close(p);
    hsm_ctx_free(h);
}

static void curve_refused(void *arg)
{
    keygen_fails(arg, P11TEE_E_CURVE_UNSUPPORTED,
                 "C_GenerateKeyPair(secp256k1) on token \"p11tee-faults\": "
                 "CKR_CURVE_NOT_SUPPORTED");
}

static void keygen_device_error(void *arg)
{
    keygen_fails(arg, P11TEE_E_KEYGEN, "CKR_DEVICE_ERROR");
}

static void ec_point_short(void *arg)
{
    keygen_fails(arg, P11TEE_E_KEYGEN, "the token returned a malformed CKA_EC_POINT (3 bytes)");
}

static void ec_point_off_curve(void *arg)
{
    keygen_fails(arg, P11TEE_E_KEYGEN, "the token returned a public point not on secp256k1");
}

/*
 * A session the token says is gone leaves the pool; the next derive gets a
 * new one. (faultmod only says so: the real session is still valid, so only
 * the count of C_OpenSession shows that it was not used again.)
 */
static void session_lost(void *arg)
{
    const scenario *sc = arg;
    uint8_t x[HSM_SECRET_MAX];
    p11tee_error err;
    long opens;
    keyed ky;

    keyed_open(sc, &ky);
    opens = pt_fault_calls(sc->module, "C_OpenSession");
    PT_CHECK(opens > 0);
    PT_CHECK(keyed_derive(&ky, x, &err) == P11TEE_E_DERIVE);
    PT_CHECK(strstr(err.message, "CKR_SESSION_HANDLE_INVALID") != NULL);
    PT_CHECK(pt_hsm_derive_ok(ky.k));
    PT_CHECK(pt_fault_calls(sc->module, "C_OpenSession") == opens + 1);
    keyed_close(&ky);
}

/*
 * The pool cannot open a session: once the token said the pool's session
 * is gone, every derive needs a new one, and each failed C_OpenSession is
 * named with its CK_RV and gives its place in the pool back. More failures
 * than the pool has places (8), then the derive works again: a place kept
 * by a failure would leave the next caller waiting for ever.
 */
static void no_new_session(void *arg)
{
    const scenario *sc = arg;
    uint8_t x[HSM_SECRET_MAX];
    p11tee_error err;
    long opens;
    int i;
    keyed ky;

    keyed_open(sc, &ky);
    opens = pt_fault_calls(sc->module, "C_OpenSession");
    PT_CHECK(keyed_derive(&ky, x, &err) == P11TEE_E_DERIVE);
    PT_CHECK(strstr(err.message, "CKR_SESSION_HANDLE_INVALID") != NULL);
    for (i = 0; i < 9; i++) {
        PT_CHECK(keyed_derive(&ky, x, &err) == P11TEE_E_TOKEN);
        PT_CHECK(strstr(err.message, "C_OpenSession on token \"p11tee-faults\": "
                                     "CKR_SESSION_COUNT") != NULL);
    }
    PT_CHECK(pt_fault_calls(sc->module, "C_OpenSession") == opens + 9);
    PT_CHECK(pt_hsm_derive_ok(ky.k));
    PT_CHECK(pt_fault_calls(sc->module, "C_OpenSession") == opens + 10);
    keyed_close(&ky);
}

/* The token refuses to take a private scalar (what openssl pkeyutl hands over). */
static void create_refused(void *arg)
{
    const scenario *sc = arg;
    OSSL_PROVIDER *prov = NULL;
    OSSL_LIB_CTX *libctx = pt_libctx_new(sc->module, sc->tok->uri, &prov);
    EVP_PKEY *s = pt_sw_key("secp256k1");
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(libctx, "EC", PROV_PROPQ);
    EVP_PKEY *k = NULL;
    char text[512];

    PT_CHECK(EVP_PKEY_todata(s, EVP_PKEY_KEYPAIR, &params) == 1);
    PT_CHECK(EVP_PKEY_fromdata_init(c) == 1);
    PT_CHECK(EVP_PKEY_fromdata(c, &k, EVP_PKEY_KEYPAIR, params) != 1 && k == NULL);
    PT_CHECK(pt_prov_error(text, sizeof(text)) == PROV_R_KEY_IMPORT);
    PT_CHECK(strstr(text, "C_CreateObject(secp256k1 private key) on token \"p11tee-faults\": "
                          "CKR_DEVICE_MEMORY") != NULL);
    OSSL_PARAM_free(params); /* a throwaway software key */
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(s);
    pt_libctx_free(libctx, prov);
}

/*
 * C_DestroyObject refuses the derived secret (a readable object): its
 * session is closed instead, so no secret object remains. The derive still
 * gives the right secret; the key pair made in that session went with it
 * (KEY_STALE), and the process is still logged in for new keys.
 */
static void secret_not_destroyed(void *arg)
{
    const scenario *sc = arg;
    uint8_t x[HSM_SECRET_MAX];
    hsm_key *k2 = NULL;
    p11tee_error err;
    keyed ky;

    keyed_open(sc, &ky);
    PT_CHECK(ky.k != NULL && pt_hsm_derive_ok(ky.k));
    PT_CHECK(keyed_derive(&ky, x, &err) == P11TEE_E_KEY_STALE);
    PT_CHECK(hsm_key_generate(ky.h, "secp256k1", &k2, &err) == P11TEE_OK);
    PT_CHECK(k2 != NULL && pt_hsm_derive_ok(k2));
    PT_CHECK(secret_objects(sc) == 0);
    hsm_key_free(k2);
    keyed_close(&ky);
}

/*
 * Neither C_DestroyObject nor C_CloseSession gets rid of the derived secret:
 * the derive fails (the secret may remain in the token) and says so; the
 * session left the pool, the key (its session still open) still works.
 */
static void secret_stuck(void *arg)
{
    const scenario *sc = arg;
    uint8_t x[HSM_SECRET_MAX], zero[HSM_SECRET_MAX] = {0};
    p11tee_error err;
    keyed ky;

    keyed_open(sc, &ky);
    PT_CHECK(keyed_derive(&ky, x, &err) == P11TEE_E_DERIVE);
    PT_CHECK(strstr(err.message, "C_DestroyObject(derived secret) and C_CloseSession on token "
                                 "\"p11tee-faults\": CKR_DEVICE_ERROR") != NULL);
    PT_CHECK(memcmp(x, zero, sizeof(x)) == 0);
    PT_CHECK(pt_hsm_derive_ok(ky.k));
    keyed_close(&ky);
}

/*
 * The token writes the secret but misreports its length: EVP_PKEY_derive
 * fails and the caller's buffer holds nothing of the secret.
 */
static void secret_length_wrong(void *arg)
{
    const scenario *sc = arg;
    OSSL_PROVIDER *prov = NULL;
    OSSL_LIB_CTX *libctx = pt_libctx_new(sc->module, sc->tok->uri, &prov);
    EVP_PKEY *s = pt_sw_key("secp256k1"), *t = pt_token_key(libctx, "secp256k1");
    uint8_t x[PT_SECRET_MAX], zero[PT_SECRET_MAX] = {0};
    char text[512];

    PT_CHECK(t != NULL);
    memset(x, 0xaa, sizeof(x));
    PT_CHECK(pt_token_derive(libctx, t, s, x, sizeof(x)) == 0);
    PT_CHECK(pt_prov_error(text, sizeof(text)) == PROV_R_DERIVE);
    PT_CHECK(strstr(text, "C_GetAttributeValue(CKA_VALUE) on token \"p11tee-faults\": "
                          "CKR_DATA_LEN_RANGE") != NULL);
    PT_CHECK(memcmp(x, zero, 32) == 0);
    PT_CHECK(secret_objects(sc) == 0);
    EVP_PKEY_free(t);
    EVP_PKEY_free(s);
    pt_libctx_free(libctx, prov);
}

/* A failed login is remembered: self tests and keygen raise it again, C_Login runs once. */
static void wrong_pin_tried_once(void *arg)
{
    const scenario *sc = arg;
    OSSL_PROVIDER *prov = NULL;
    OSSL_LIB_CTX *libctx;
    char uri[256], text[512];
    int i;

    snprintf(uri, sizeof(uri), "pkcs11:token=%s?pin-value=Wr0ng-7391", sc->tok->label);
    libctx = pt_libctx_new(sc->module, uri, &prov);
    PT_CHECK(libctx != NULL);
    for (i = 0; i < 2; i++) {
        PT_CHECK(OSSL_PROVIDER_self_test(prov) != 1);
        PT_CHECK(pt_prov_error(text, sizeof(text)) == PROV_R_PIN_INCORRECT);
        PT_CHECK(strstr(text, "(C_Login: CKR_PIN_INCORRECT)") != NULL);
    }
    PT_CHECK(pt_token_key(libctx, "secp256k1") == NULL);
    PT_CHECK(pt_prov_error(text, sizeof(text)) == PROV_R_PIN_INCORRECT);
    PT_CHECK(pt_fault_calls(sc->module, "C_Login") == 1);
    pt_libctx_free(libctx, prov);
}

/* One scenario: the fault for faultmod.so, or else a SoftHSM configuration line. */
typedef struct fault_case {
    const char *fault;
    const char *conf;
    void (*fn)(void *);
} fault_case;

/* Run the case in a process of its own on a fresh token. */
static void run(void **state)
{
    const fault_case *fc = *state;
    const char *builddir = test_require_env("top_builddir");
    char faultmod[1024];
    test_token tok;
    scenario sc = {&tok, NULL};
    int failures;

    test_token_create(&tok, "p11tee-faults");
    sc.module = tok.module;
    if (fc->conf != NULL)
        pt_token_conf(&tok, fc->conf);
    if (fc->fault != NULL) {
        snprintf(faultmod, sizeof(faultmod), "%s/tests/provider/.libs/faultmod.so", builddir);
        sc.module = faultmod;
        setenv("P11TEE_FAULT", fc->fault, 1);
    }
    failures = pt_isolated(fc->fn, &sc);
    unsetenv("P11TEE_FAULT");
    test_token_destroy(&tok);
    assert_int_equal(failures, 0);
}

static fault_case no_ecdh = {NULL, "slots.mechanisms = CKM_EC_KEY_PAIR_GEN", no_derive};
static fault_case locked = {"login=0xa4", NULL, pin_locked};
static fault_case login_error = {"login=0x30", NULL, login_device_error};
static fault_case getfl = {"getfl=0x5", NULL, no_function_list};
static fault_case init = {"init=0xa", NULL, init_refused};
static fault_case slots = {"slots=0x32", NULL, no_slot_list};
static fault_case no_curve = {"keygen=0x140", NULL, curve_refused};
static fault_case device_error = {"keygen=0x30", NULL, keygen_device_error};
static fault_case short_point = {"ecpoint=short", NULL, ec_point_short};
static fault_case off_curve = {"ecpoint=offcurve", NULL, ec_point_off_curve};
static fault_case lost = {"derive-once=0xb3", NULL, session_lost};
static fault_case no_open = {"lost-noopen=0xb1", NULL, no_new_session};
static fault_case no_create = {"create=0x31", NULL, create_refused};
static fault_case no_destroy = {"destroy-once=0x30", NULL, secret_not_destroyed};
static fault_case stuck = {"destroy-close-once=0x30", NULL, secret_stuck};
static fault_case short_value = {"value=short", NULL, secret_length_wrong};
static fault_case counted = {"none", NULL, wrong_pin_tried_once};

int main(void)
{
    const struct CMUnitTest tests[] = {
        {"token_refuses_ecdh", run, NULL, NULL, &no_ecdh},
        {"token_pin_locked", run, NULL, NULL, &locked},
        {"token_login_device_error", run, NULL, NULL, &login_error},
        {"module_without_function_list", run, NULL, NULL, &getfl},
        {"module_refuses_to_initialise", run, NULL, NULL, &init},
        {"module_cannot_list_slots", run, NULL, NULL, &slots},
        {"token_refuses_curve", run, NULL, NULL, &no_curve},
        {"token_keygen_device_error", run, NULL, NULL, &device_error},
        {"token_returns_short_point", run, NULL, NULL, &short_point},
        {"token_returns_off_curve_point", run, NULL, NULL, &off_curve},
        {"token_loses_a_session", run, NULL, NULL, &lost},
        {"token_opens_no_more_sessions", run, NULL, NULL, &no_open},
        {"token_refuses_a_private_scalar", run, NULL, NULL, &no_create},
        {"token_keeps_the_derived_secret", run, NULL, NULL, &no_destroy},
        {"token_keeps_the_secret_and_the_session", run, NULL, NULL, &stuck},
        {"token_misreports_the_secret_length", run, NULL, NULL, &short_value},
        {"wrong_pin_is_tried_once", run, NULL, NULL, &counted},
    };

    return TEST_MAIN(tests, NULL, NULL);
}
