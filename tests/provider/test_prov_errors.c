/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Every failure the issue lists is a distinct, clear error, both as the
 * provider's ERR reason and as the library's p11tee_error, and no message
 * ever shows the PIN: wrong PIN, missing module, unknown token, unsupported
 * curve, off-curve and malformed peer points; plus the neighbouring
 * configuration errors (bad URI, no PIN, PIN file, no module configured).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hsm/hsm.h"
#include "provider/prov.h"
#include "provtest.h"

#define WRONG_PIN "Wr0ng-PIN-7391"

static test_token tok;
static char uri_wrong_pin[256], uri_no_pin[256], uri_pin_file[1024], uri_pin_nofile[1024];
static char pin_path[512];

static int setup(void **state)
{
    FILE *f;

    (void)state;
    test_token_create(&tok, "p11tee-errors");
    snprintf(uri_wrong_pin, sizeof(uri_wrong_pin), "pkcs11:token=%s?pin-value=%s", tok.label,
             WRONG_PIN);
    snprintf(uri_no_pin, sizeof(uri_no_pin), "pkcs11:token=%s", tok.label);
    snprintf(pin_path, sizeof(pin_path), "%s/user.pin", tok.dir);
    snprintf(uri_pin_file, sizeof(uri_pin_file), "pkcs11:token=%s?pin-source=file:%s", tok.label,
             pin_path);
    snprintf(uri_pin_nofile, sizeof(uri_pin_nofile), "pkcs11:token=%s?pin-source=file:%s.none",
             tok.label, pin_path);
    f = fopen(pin_path, "w");
    if (f == NULL || fputs(TEST_PIN "\n", f) < 0 || fclose(f) != 0 || chmod(pin_path, 0600) != 0)
        return -1;
    unsetenv("P11TEE_PIN");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_token_destroy(&tok);
    return 0;
}

/* A PIN of the current case whose every 5-byte piece must stay out of all texts. */
static const char *hidden_pin;

/* Neither text may contain the PIN, nor an unredacted pin-value, nor a piece of hidden_pin. */
static void assert_no_secret(const char *text)
{
    char piece[6];
    size_t i;

    assert_null(strstr(text, WRONG_PIN));
    assert_null(strstr(text, "pin-value=" TEST_PIN));
    for (i = 0; hidden_pin != NULL && i + 5 <= strlen(hidden_pin); i++) {
        memcpy(piece, hidden_pin + i, 5);
        piece[5] = '\0';
        if (strstr(text, piece) != NULL)
            fail_msg("\"%s\" (of the PIN) shown in: %s", piece, text);
    }
}

/*
 * Open the token through the provider (self test) and through hsm; both
 * must fail: the provider with `reason`, hsm with `code`, each text holding
 * `needle`. Returns the hsm code.
 */
static p11tee_status open_fails(const char *module, const char *token, int reason,
                                p11tee_status code, const char *needle)
{
    OSSL_PROVIDER *prov;
    OSSL_LIB_CTX *libctx = pt_libctx_new(module, token, &prov);
    hsm_config cfg = {.module = module, .token = token};
    hsm_ctx *h = NULL;
    p11tee_error err;
    char text[512];

    assert_non_null(libctx);
    assert_int_not_equal(OSSL_PROVIDER_self_test(prov), 1);
    assert_int_equal(pt_prov_error(text, sizeof(text)), reason);
    pt_libctx_free(libctx, prov);
    assert_non_null(strstr(text, needle));
    assert_no_secret(text);
    assert_int_equal(hsm_ctx_new(&cfg, &h, &err), code);
    assert_null(h);
    assert_int_equal(err.code, code);
    assert_non_null(strstr(err.message, needle));
    assert_no_secret(err.message);
    assert_no_secret(err.detail);
    return code;
}

static void wrong_pin(void **state)
{
    (void)state;
    open_fails(tok.module, uri_wrong_pin, PROV_R_PIN_INCORRECT, P11TEE_E_PIN_INCORRECT,
               "CKR_PIN_INCORRECT");
}

/* Once this process is logged in, the token accepts any PIN: we compare instead. */
static void wrong_pin_while_logged_in(void **state)
{
    hsm_config cfg = {.module = tok.module, .token = tok.uri};
    hsm_ctx *good;
    p11tee_error err;

    (void)state;
    assert_int_equal(hsm_ctx_new(&cfg, &good, &err), P11TEE_OK);
    open_fails(tok.module, uri_wrong_pin, PROV_R_PIN_INCORRECT, P11TEE_E_PIN_INCORRECT,
               "differs from the one this process logged in with");
    hsm_ctx_free(good);
}

/*
 * The same module named by two paths (a symlink) is one module: the second
 * configuration's wrong PIN is compared with the login and refused, and
 * freeing it does not finalise the module under the first.
 */
static void module_named_by_two_paths(void **state)
{
    char alias[512];
    hsm_config cfg = {.module = tok.module, .token = tok.uri},
               acfg = {.module = alias, .token = tok.uri};
    hsm_ctx *first, *second;
    hsm_key *k, *k2;
    p11tee_error err;

    (void)state;
    snprintf(alias, sizeof(alias), "%s/alias-pkcs11.so", tok.dir);
    assert_int_equal(symlink(tok.module, alias), 0);
    assert_int_equal(hsm_ctx_new(&cfg, &first, &err), P11TEE_OK);
    assert_int_equal(hsm_key_generate(first, "secp256k1", &k, &err), P11TEE_OK);
    open_fails(alias, uri_wrong_pin, PROV_R_PIN_INCORRECT, P11TEE_E_PIN_INCORRECT,
               "differs from the one this process logged in with");
    assert_int_equal(hsm_ctx_new(&acfg, &second, &err), P11TEE_OK);
    assert_int_equal(hsm_key_generate(second, "secp256k1", &k2, &err), P11TEE_OK);
    assert_true(pt_hsm_derive_ok(k2));
    hsm_key_free(k2);
    hsm_ctx_free(second);
    /* The first configuration still works: same key, new keys. */
    assert_true(pt_hsm_derive_ok(k));
    assert_int_equal(hsm_key_generate(first, "secp256k1", &k2, &err), P11TEE_OK);
    assert_true(pt_hsm_derive_ok(k2));
    hsm_key_free(k2);
    hsm_key_free(k);
    hsm_ctx_free(first);
    assert_int_equal(unlink(alias), 0);
}

static void missing_module_file(void **state)
{
    char path[512];

    (void)state;
    snprintf(path, sizeof(path), "%s/no-such-pkcs11.so", tok.dir);
    open_fails(path, tok.uri, PROV_R_MODULE_LOAD, P11TEE_E_MODULE_LOAD, "No such file");
}

static void module_file_not_a_library(void **state)
{
    char path[1024];

    (void)state;
    open_fails(pin_path, tok.uri, PROV_R_MODULE_LOAD, P11TEE_E_MODULE_LOAD,
               "cannot load PKCS#11 module");
    /* A shared library, but no PKCS#11 module: the provider itself. */
    snprintf(path, sizeof(path), "%s/p11tee.so", test_require_env("P11TEE_PROVIDER_DIR"));
    open_fails(path, tok.uri, PROV_R_MODULE_LOAD, P11TEE_E_MODULE_LOAD,
               "p11tee.so is not a PKCS#11 module (no C_GetFunctionList)");
}

static void unknown_token(void **state)
{
    /* PINs holding the other separators: the whole value is hidden, as the parser reads it. */
    static const struct {
        const char *uri, *pin, *shown;
    } odd[] = {
        {"pkcs11:token=no-such-token?pin-value=Sup3r?Secret-PIN", "Sup3r?Secret-PIN",
         "matches pkcs11:token=no-such-token?pin-value=*** in "},
        {"pkcs11:token=no-such-token?pin-value=Qz7;Hidden;Pin42", "Qz7;Hidden;Pin42",
         "matches pkcs11:token=no-such-token?pin-value=*** in "},
        {"pkcs11:pin-value=Xy9&Covert&Pin7;token=no-such-token", "Xy9&Covert&Pin7",
         "matches pkcs11:pin-value=***;token=no-such-token in "},
    };
    size_t i;

    (void)state;
    open_fails(tok.module, "pkcs11:token=no-such-token?pin-value=" TEST_PIN, PROV_R_TOKEN_NOT_FOUND,
               P11TEE_E_TOKEN_NOT_FOUND,
               "no initialised token matches pkcs11:token=no-such-token?pin-value=***");
    /* The message names the tokens that are there. */
    open_fails(tok.module, "pkcs11:serial=0000", PROV_R_TOKEN_NOT_FOUND, P11TEE_E_TOKEN_NOT_FOUND,
               "\"p11tee-errors\"");
    for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        hidden_pin = odd[i].pin;
        open_fails(tok.module, odd[i].uri, PROV_R_TOKEN_NOT_FOUND, P11TEE_E_TOKEN_NOT_FOUND,
                   odd[i].shown);
        hidden_pin = NULL;
    }
}

static void invalid_uri(void **state)
{
    (void)state;
    open_fails(tok.module, "pkcs11:token=x;object=key", PROV_R_TOKEN_URI, P11TEE_E_TOKEN_URI,
               "unsupported attribute \"object\"");
    open_fails(tok.module, "pkcs11:token=%zz", PROV_R_TOKEN_URI, P11TEE_E_TOKEN_URI,
               "invalid percent escape");
    open_fails(tok.module, "pkcs11:token=a?pin-value=1&pin-source=file:/x", PROV_R_TOKEN_URI,
               P11TEE_E_TOKEN_URI, "both pin-value and pin-source");
    /* A PIN in the wrong place is not echoed, with or without '='. */
    open_fails(tok.module, "pkcs11:token=a?" WRONG_PIN, PROV_R_TOKEN_URI, P11TEE_E_TOKEN_URI,
               "a component without '='");
    open_fails(tok.module, "pkcs11:token=a?" WRONG_PIN "=", PROV_R_TOKEN_URI, P11TEE_E_TOKEN_URI,
               "an unknown attribute (its name is not shown");
    hidden_pin = "s3cr3tPIN";
    open_fails(tok.module, "pkcs11:token=demo?s3cr3tPIN=", PROV_R_TOKEN_URI, P11TEE_E_TOKEN_URI,
               "an unknown attribute");
    hidden_pin = NULL;
}

static void no_pin(void **state)
{
    hsm_config cfg = {.module = tok.module, .token = uri_no_pin};
    hsm_ctx *h;
    p11tee_error err;

    (void)state;
    open_fails(tok.module, uri_no_pin, PROV_R_PIN_MISSING, P11TEE_E_PIN_MISSING, "P11TEE_PIN");
    /* ... and the environment variable is a PIN source. */
    setenv("P11TEE_PIN", TEST_PIN, 1);
    assert_int_equal(hsm_ctx_new(&cfg, &h, &err), P11TEE_OK);
    hsm_ctx_free(h);
    unsetenv("P11TEE_PIN");
}

static void pin_file(void **state)
{
    hsm_config cfg = {.module = tok.module, .token = uri_pin_file};
    hsm_ctx *h;
    p11tee_error err;

    (void)state;
    assert_int_equal(hsm_ctx_new(&cfg, &h, &err), P11TEE_OK);
    hsm_ctx_free(h);
    open_fails(tok.module, uri_pin_nofile, PROV_R_PIN_SOURCE, P11TEE_E_PIN_MISSING,
               "cannot open the PIN file");
}

static void nothing_configured(void **state)
{
    (void)state;
    open_fails(NULL, tok.uri, PROV_R_CONFIG, P11TEE_E_CONFIG, "pkcs11-module is not configured");
    open_fails(tok.module, NULL, PROV_R_CONFIG, P11TEE_E_CONFIG, "pkcs11-token is not configured");
}

/* The token-level failures need an open context; the provider's own reasons via EVP. */
typedef struct ready {
    hsm_ctx *h;
    hsm_key *key;
    OSSL_LIB_CTX *libctx;
    OSSL_PROVIDER *prov;
    EVP_PKEY *pkey;
} ready;

static void ready_open(ready *r)
{
    hsm_config cfg = {.module = tok.module, .token = tok.uri};
    p11tee_error err;

    assert_int_equal(hsm_ctx_new(&cfg, &r->h, &err), P11TEE_OK);
    assert_int_equal(hsm_key_generate(r->h, "secp256k1", &r->key, &err), P11TEE_OK);
    r->libctx = pt_libctx_new(tok.module, tok.uri, &r->prov);
    assert_non_null(r->libctx);
    assert_int_equal(OSSL_PROVIDER_self_test(r->prov), 1);
    r->pkey = pt_token_key(r->libctx, "secp256k1");
    assert_non_null(r->pkey);
}

static void ready_close(ready *r)
{
    EVP_PKEY_free(r->pkey);
    pt_libctx_free(r->libctx, r->prov);
    hsm_key_free(r->key);
    hsm_ctx_free(r->h);
}

static void unsupported_curve(void **state)
{
    ready r;
    hsm_key *k = NULL;
    EVP_PKEY *none = NULL;
    p11tee_error err;
    EVP_PKEY_CTX *c;
    char text[512];

    (void)state;
    ready_open(&r);
    assert_int_equal(hsm_key_generate(r.h, "sect163k1", &k, &err), P11TEE_E_CURVE_UNSUPPORTED);
    assert_null(k);
    assert_non_null(strstr(err.message, "curve sect163k1 is not supported"));
    c = EVP_PKEY_CTX_new_from_name(r.libctx, "EC", PROV_PROPQ);
    assert_int_equal(EVP_PKEY_keygen_init(c), 1);
    assert_int_not_equal(EVP_PKEY_CTX_set_group_name(c, "brainpoolP256r1"), 1);
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_CURVE_UNSUPPORTED);
    assert_non_null(strstr(text, "brainpoolP256r1"));
    /* No curve at all is refused with the same reason. */
    assert_int_not_equal(EVP_PKEY_generate(c, &none), 1);
    assert_null(none);
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_CURVE_UNSUPPORTED);
    assert_non_null(strstr(text, "no curve chosen"));
    EVP_PKEY_CTX_free(c);
    ready_close(&r);
}

/* A peer point refused by hsm_derive with `code` and by the provider's import with `reason`. */
static void peer_refused(ready *r, const uint8_t *pt, size_t len, p11tee_status code, int reason,
                         const char *needle)
{
    uint8_t x[HSM_SECRET_MAX];
    size_t n = 0;
    p11tee_error err;
    char text[512];

    memset(x, 0xaa, sizeof(x));
    assert_int_equal(hsm_derive(r->key, pt, len, x, sizeof(x), &n, &err), code);
    assert_int_equal(err.code, code);
    assert_non_null(strstr(err.message, needle));
    assert_int_equal(n, 0);
    assert_null(pt_token_peer(r->libctx, "secp256k1", pt, len));
    assert_int_equal(pt_prov_error(text, sizeof(text)), reason);
    assert_non_null(strstr(text, needle));
}

static void off_curve_peer(void **state)
{
    ready r;
    uint8_t pt[HSM_PUBKEY_BYTES];
    size_t n;
    p11tee_error err;

    (void)state;
    ready_open(&r);
    assert_int_equal(hsm_key_public(r.key, pt, sizeof(pt), &n, &err), P11TEE_OK);
    pt[64] ^= 0x01; /* y no longer satisfies the curve equation */
    peer_refused(&r, pt, n, P11TEE_E_PEER_OFF_CURVE, PROV_R_PEER_OFF_CURVE,
                 "peer point is not on secp256k1");
    memset(pt + 1, 0, 64); /* (0, 0): not on secp256k1 either */
    peer_refused(&r, pt, n, P11TEE_E_PEER_OFF_CURVE, PROV_R_PEER_OFF_CURVE,
                 "peer point is not on secp256k1");
    ready_close(&r);
}

static void malformed_peer(void **state)
{
    ready r;
    uint8_t pt[HSM_PUBKEY_BYTES + 1];
    size_t n;
    p11tee_error err;

    (void)state;
    ready_open(&r);
    assert_int_equal(hsm_key_public(r.key, pt, sizeof(pt), &n, &err), P11TEE_OK);
    peer_refused(&r, pt, 64, P11TEE_E_PEER_MALFORMED, PROV_R_PEER_MALFORMED, "got 64 bytes");
    peer_refused(&r, pt, 66, P11TEE_E_PEER_MALFORMED, PROV_R_PEER_MALFORMED, "got 66 bytes");
    peer_refused(&r, pt, 1, P11TEE_E_PEER_MALFORMED, PROV_R_PEER_MALFORMED, "got 1 bytes");
    pt[0] = 0x02; /* compressed form is not accepted */
    peer_refused(&r, pt, 33, P11TEE_E_PEER_MALFORMED, PROV_R_PEER_MALFORMED, "starting 02");
    peer_refused(&r, pt, 65, P11TEE_E_PEER_MALFORMED, PROV_R_PEER_MALFORMED, "starting 02");
    pt[0] = 0x04;
    memset(pt + 1, 0xff, 32); /* X >= p */
    peer_refused(&r, pt, 65, P11TEE_E_PEER_MALFORMED, PROV_R_PEER_MALFORMED,
                 "coordinate not below the field prime");
    ready_close(&r);
}

static void secret_buffer_too_small(void **state)
{
    ready r;
    uint8_t pt[HSM_PUBKEY_BYTES], x[16];
    size_t n, xn = 0;
    p11tee_error err;

    (void)state;
    ready_open(&r);
    assert_int_equal(hsm_key_public(r.key, pt, sizeof(pt), &n, &err), P11TEE_OK);
    assert_int_equal(hsm_derive(r.key, pt, n, x, sizeof(x), &xn, &err), P11TEE_E_INVALID_ARG);
    assert_non_null(strstr(err.message, "needs 32 bytes, got 16"));
    assert_int_equal(hsm_key_public(r.key, pt, 64, &n, &err), P11TEE_E_INVALID_ARG);
    ready_close(&r);
}

/* Someone else destroyed the private object: ECDH names the stale key, freeing is quiet. */
static void key_destroyed_behind_our_back(void **state)
{
    ready r;
    pt_p11 *p;
    uint8_t pt[HSM_PUBKEY_BYTES], x[HSM_SECRET_MAX];
    unsigned long pubobj, privobj;
    size_t n, xn;
    long before;
    p11tee_error err;

    (void)state;
    ready_open(&r);
    p = pt_p11_open(tok.module, tok.label);
    assert_non_null(p);
    assert_int_equal(hsm_key_public(r.key, pt, sizeof(pt), &n, &err), P11TEE_OK);
    assert_true(pt_p11_find_pair(p, pt, n, &pubobj, &privobj));
    before = pt_p11_count(p);
    assert_true(pt_p11_destroy(p, privobj));
    assert_int_equal(hsm_derive(r.key, pt, n, x, sizeof(x), &xn, &err), P11TEE_E_KEY_STALE);
    /* SoftHSM says CKR_OBJECT_HANDLE_INVALID; other tokens CKR_KEY_HANDLE_INVALID. */
    assert_non_null(strstr(err.message, "C_DeriveKey on token \"p11tee-errors\": "
                                        "CKR_OBJECT_HANDLE_INVALID"));
    /* The public object still goes when the key is freed. */
    hsm_key_free(r.key);
    r.key = NULL;
    assert_int_equal(pt_p11_count(p), before - 2);
    pt_p11_close(p);
    ready_close(&r);
}

static void provider_params(void **state)
{
    OSSL_PROVIDER *prov;
    OSSL_LIB_CTX *libctx = pt_libctx_new(tok.module, tok.uri, &prov);
    const char *name = NULL;
    int status = 0, wrong = 0;
    OSSL_PARAM ok[] = {
        OSSL_PARAM_utf8_ptr("name", (char **)&name, 0),
        OSSL_PARAM_int("status", &status),
        OSSL_PARAM_END,
    };
    OSSL_PARAM bad[] = {OSSL_PARAM_int("version", &wrong), OSSL_PARAM_END};
    char text[512];

    (void)state;
    assert_int_equal(OSSL_PROVIDER_get_params(prov, ok), 1);
    assert_string_equal(name, "p11tee PKCS#11 provider");
    assert_int_equal(status, 1);
    assert_int_equal(OSSL_PROVIDER_get_params(prov, bad), 0);
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_NOT_SUPPORTED);
    assert_non_null(strstr(text, "provider parameter version has the wrong type"));
    pt_libctx_free(libctx, prov);
}

/* Key imports that lack a part or give the wrong type. */
static void import_refusals(void **state)
{
    ready r;
    uint8_t pt[HSM_PUBKEY_BYTES];
    size_t n;
    p11tee_error err;
    OSSL_PARAM no_group[] = {OSSL_PARAM_octet_string("pub", pt, 65), OSSL_PARAM_END};
    OSSL_PARAM no_pub[] = {OSSL_PARAM_utf8_string("group", "secp256k1", 0), OSSL_PARAM_END};
    OSSL_PARAM text_pub[] = {
        OSSL_PARAM_utf8_string("group", "secp256k1", 0),
        OSSL_PARAM_utf8_string("pub", "04", 2),
        OSSL_PARAM_END,
    };
    const struct {
        OSSL_PARAM *params;
        int selection, reason;
        const char *text;
    } cases[] = {
        {no_group, EVP_PKEY_PUBLIC_KEY, PROV_R_KEY_IMPORT, "needs the group"},
        {no_pub, EVP_PKEY_PUBLIC_KEY, PROV_R_KEY_IMPORT, "needs the public point"},
        {text_pub, EVP_PKEY_PUBLIC_KEY, PROV_R_PEER_MALFORMED, "must be an octet string"},
    };
    EVP_PKEY *k, *params_only = NULL;
    EVP_PKEY_CTX *c;
    char text[512];
    size_t i;

    (void)state;
    ready_open(&r);
    assert_int_equal(hsm_key_public(r.key, pt, sizeof(pt), &n, &err), P11TEE_OK);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        c = EVP_PKEY_CTX_new_from_name(r.libctx, "EC", PROV_PROPQ);
        k = NULL;
        assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
        assert_int_not_equal(EVP_PKEY_fromdata(c, &k, cases[i].selection, cases[i].params), 1);
        assert_int_equal(pt_prov_error(text, sizeof(text)), cases[i].reason);
        assert_non_null(strstr(text, cases[i].text));
        EVP_PKEY_CTX_free(c);
    }
    /* Domain parameters alone import, but make no ECDH peer. */
    c = EVP_PKEY_CTX_new_from_name(r.libctx, "EC", PROV_PROPQ);
    assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
    assert_int_equal(EVP_PKEY_fromdata(c, &params_only, EVP_PKEY_KEY_PARAMETERS, no_pub), 1);
    EVP_PKEY_CTX_free(c);
    c = EVP_PKEY_CTX_new_from_pkey(r.libctx, r.pkey, PROV_PROPQ);
    assert_int_equal(EVP_PKEY_derive_init(c), 1);
    assert_int_not_equal(EVP_PKEY_derive_set_peer_ex(c, params_only, 0), 1);
    assert_int_equal(pt_prov_error(text, sizeof(text)), PROV_R_PEER_MALFORMED);
    assert_non_null(strstr(text, "the peer key has no public point"));
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(params_only);
    ready_close(&r);
}

/* Selection by serial, slot-id, manufacturer and model, a plain label; several matches. */
static void token_selection(void **state)
{
    hsm_config cfg = {.module = tok.module, .token = tok.uri};
    char uri[512], serial[17], cmd[1024];
    unsigned long slot;
    hsm_ctx *h;
    pt_p11 *p;
    p11tee_error err;

    (void)state;
    assert_int_equal(hsm_ctx_new(&cfg, &h, &err), P11TEE_OK);
    p = pt_p11_open(tok.module, tok.label);
    assert_non_null(p);
    pt_p11_slot(p, &slot, serial);
    pt_p11_close(p);
    hsm_ctx_free(h);
    cfg.token = uri;
    snprintf(uri, sizeof(uri), "pkcs11:serial=%s?pin-value=%s", serial, TEST_PIN);
    assert_int_equal(hsm_ctx_new(&cfg, &h, &err), P11TEE_OK);
    hsm_ctx_free(h);
    snprintf(uri, sizeof(uri), "pkcs11:slot-id=%lu?pin-value=%s", slot, TEST_PIN);
    assert_int_equal(hsm_ctx_new(&cfg, &h, &err), P11TEE_OK);
    hsm_ctx_free(h);
    snprintf(uri, sizeof(uri),
             "pkcs11:manufacturer=SoftHSM%%20project;model=SoftHSM%%20v2;token=%s"
             "?pin-value=%s",
             tok.label, TEST_PIN);
    assert_int_equal(hsm_ctx_new(&cfg, &h, &err), P11TEE_OK);
    hsm_ctx_free(h);
    setenv("P11TEE_PIN", TEST_PIN, 1);
    cfg.token = tok.label;
    assert_int_equal(hsm_ctx_new(&cfg, &h, &err), P11TEE_OK);
    hsm_ctx_free(h);
    unsetenv("P11TEE_PIN");
    snprintf(uri, sizeof(uri), "pkcs11:slot-id=%lu?pin-value=%s", slot + 1000, TEST_PIN);
    cfg.token = uri;
    assert_int_equal(hsm_ctx_new(&cfg, &h, &err), P11TEE_E_TOKEN_NOT_FOUND);
    /* A second token: a selector that fits both is refused (the module reloads). */
    snprintf(cmd, sizeof(cmd),
             "'%s' --init-token --free --label p11tee-second --pin %s"
             " --so-pin %s >/dev/null",
             test_require_env("SOFTHSM2_UTIL"), TEST_PIN, TEST_SO_PIN);
    assert_int_equal(system(cmd), 0);
    snprintf(uri, sizeof(uri), "pkcs11:manufacturer=SoftHSM%%20project?pin-value=%s", TEST_PIN);
    open_fails(tok.module, uri, PROV_R_TOKEN_AMBIGUOUS, P11TEE_E_TOKEN_URI,
               "2 tokens match pkcs11:manufacturer=SoftHSM%20project?pin-value=***");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wrong_pin),
        cmocka_unit_test(wrong_pin_while_logged_in),
        cmocka_unit_test(module_named_by_two_paths),
        cmocka_unit_test(missing_module_file),
        cmocka_unit_test(module_file_not_a_library),
        cmocka_unit_test(unknown_token),
        cmocka_unit_test(invalid_uri),
        cmocka_unit_test(no_pin),
        cmocka_unit_test(pin_file),
        cmocka_unit_test(nothing_configured),
        cmocka_unit_test(unsupported_curve),
        cmocka_unit_test(off_curve_peer),
        cmocka_unit_test(malformed_peer),
        cmocka_unit_test(secret_buffer_too_small),
        cmocka_unit_test(key_destroyed_behind_our_back),
        cmocka_unit_test(provider_params),
        cmocka_unit_test(import_refusals),
        /* last: it adds a second token */
        cmocka_unit_test(token_selection),
    };

    return TEST_MAIN(tests, setup, teardown);
}
