/*
 * Failures the token itself reports: each surfaces as its own error, names
 * the PKCS#11 call and its CK_RV, and leaves no object or secret behind.
 * SoftHSM refuses ECDH when its configuration (slots.mechanisms) says so;
 * the failures SoftHSM never shows (a locked PIN, a refused or malformed
 * key pair, a session that disappears) come from faultmod.so, SoftHSM with
 * one function made to misbehave ($P11TEE_FAULT).
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
    hsm_config cfg = {sc->module, sc->tok->uri};
    hsm_ctx *h = NULL;
    p11tee_error err;

    PT_CHECK(hsm_ctx_new(&cfg, &h, &err) == P11TEE_OK);
    return h;
}

static void no_derive(void *arg)
{
    const scenario *sc = arg;
    OSSL_PROVIDER *prov = NULL;
    OSSL_LIB_CTX *libctx;
    EVP_PKEY *s = pt_sw_key("secp256k1"), *t, *peer;
    uint8_t spub[PT_POINT_MAX], x[HSM_SECRET_MAX], zero[HSM_SECRET_MAX] = {0};
    size_t sn = pt_pub(s, spub, sizeof(spub)), n = 0;
    hsm_ctx *h = open_ctx(sc);
    hsm_key *k = NULL;
    p11tee_error err;
    char text[512];

    PT_CHECK(hsm_key_generate(h, "secp256k1", &k, &err) == P11TEE_OK);
    memset(x, 0xaa, sizeof(x));
    PT_CHECK(hsm_derive(k, spub, sn, x, sizeof(x), &n, &err) == P11TEE_E_DERIVE);
    PT_CHECK(strstr(err.message, "C_DeriveKey on token \"p11tee-faults\"") != NULL);
    PT_CHECK(strstr(err.message, "CKR_MECHANISM_INVALID") != NULL);
    PT_CHECK(memcmp(x, zero, sizeof(x)) == 0); /* cleansed, not left half-written */
    libctx = pt_libctx_new(sc->module, sc->tok->uri, &prov);
    t = pt_token_key(libctx, "secp256k1");
    peer = pt_token_peer(libctx, "secp256k1", spub, sn);
    PT_CHECK(t != NULL && peer != NULL);
    PT_CHECK(pt_token_derive(libctx, t, peer, x, sizeof(x)) == 0);
    PT_CHECK(pt_prov_error(text, sizeof(text)) == PROV_R_DERIVE);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(t);
    pt_libctx_free(libctx, prov);
    hsm_key_free(k);
    hsm_ctx_free(h);
    EVP_PKEY_free(s);
}

/* Opening the token fails: hsm with `code`, the provider with `reason`, both saying `needle`. */
static void open_fails(const scenario *sc, p11tee_status code, int reason, const char *needle)
{
    hsm_config cfg = {sc->module, sc->tok->uri};
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

/* A session the token says is gone leaves the pool; the next derive gets a new one. */
static void session_lost(void *arg)
{
    const scenario *sc = arg;
    EVP_PKEY *s = pt_sw_key("secp256k1");
    uint8_t spub[PT_POINT_MAX], kpub[HSM_PUBKEY_BYTES], x[HSM_SECRET_MAX], y[HSM_SECRET_MAX];
    size_t sn = pt_pub(s, spub, sizeof(spub)), kn = 0, n = 0;
    hsm_ctx *h = open_ctx(sc);
    hsm_key *k = NULL;
    p11tee_error err;

    PT_CHECK(hsm_key_generate(h, "secp256k1", &k, &err) == P11TEE_OK);
    PT_CHECK(hsm_key_public(k, kpub, sizeof(kpub), &kn, &err) == P11TEE_OK);
    PT_CHECK(hsm_derive(k, spub, sn, x, sizeof(x), &n, &err) == P11TEE_E_DERIVE);
    PT_CHECK(strstr(err.message, "CKR_SESSION_HANDLE_INVALID") != NULL);
    PT_CHECK(hsm_derive(k, spub, sn, x, sizeof(x), &n, &err) == P11TEE_OK && n == 32);
    PT_CHECK(pt_sw_derive(s, "secp256k1", kpub, kn, y, sizeof(y)) == 32);
    PT_CHECK(memcmp(x, y, 32) == 0);
    hsm_key_free(k);
    hsm_ctx_free(h);
    EVP_PKEY_free(s);
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
static fault_case no_create = {"create=0x31", NULL, create_refused};

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
        {"token_refuses_a_private_scalar", run, NULL, NULL, &no_create},
    };

    return TEST_MAIN(tests, NULL, NULL);
}
