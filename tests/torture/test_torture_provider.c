/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Allocation torture of the OpenSSL provider as openssl(1) and other
 * OpenSSL programs use it: a library context configured by an openssl.cnf
 * loads p11tee.so, which opens the token (module, slot, PIN, login, first
 * session); a key pair is generated in the token, a software peer's public
 * key imported, ECDH done in the token, and everything freed. A run that
 * fails must fail with an error and leave nothing behind; a run that
 * succeeds must give the secret the software side computes. OpenSSL's own
 * failures often carry no reason of their own (alloc.c), but when the
 * provider's error is first in line it must say out of memory
 * (PROV_R_NOMEM), not blame the token or the key. Only allocations made
 * with the provider's code on the stack are failed (torture_focus()).
 * torture-provider.sh makes the token and the openssl.cnf.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/conf.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "torture.h"

#define PROVIDER_NAME  "p11tee"
#define PROVIDER_PROPQ "provider=p11tee"
#define PROVIDER_NOMEM 23 /* PROV_R_NOMEM (provider/prov_api.h) */
#define CURVE          "secp256k1"
#define POINT_MAX      65
#define SECRET_BYTES   32

enum { RUN_OK, RUN_FAILED, RUN_PROVIDER_BLAMED, RUN_WRONG_SECRET };

typedef struct provider_ctx {
    const char *cnf;
    EVP_PKEY *sw; /* the software side (default provider, default library context) */
    uint8_t sw_pub[POINT_MAX];
    size_t sw_pub_len;
} provider_ctx;

/* The public key `pt` in `lib` under `propq` (NULL on failure). */
static EVP_PKEY *public_key(OSSL_LIB_CTX *lib, const char *propq, const uint8_t *pt, size_t len)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(lib, "EC", propq);
    EVP_PKEY *k = NULL;

    if (bld == NULL || c == NULL ||
        !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, CURVE, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, len) ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL || EVP_PKEY_fromdata_init(c) != 1 ||
        EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, params) != 1)
        k = NULL;
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(c);
    return k;
}

/* ECDH of `key` with `peer` in `lib`: 1 with SECRET_BYTES in `out`, or 0. */
static int derive(OSSL_LIB_CTX *lib, const char *propq, EVP_PKEY *key, EVP_PKEY *peer,
                  uint8_t out[SECRET_BYTES])
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(lib, key, propq);
    size_t n = SECRET_BYTES;
    int ok = c != NULL && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_derive_set_peer(c, peer) == 1 &&
             EVP_PKEY_derive(c, out, &n) == 1 && n == SECRET_BYTES;

    EVP_PKEY_CTX_free(c);
    return ok;
}

/* A key pair generated in the token (NULL on failure). */
static EVP_PKEY *token_key(OSSL_LIB_CTX *lib)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(lib, "EC", PROVIDER_PROPQ);
    EVP_PKEY *k = NULL;

    if (c == NULL || EVP_PKEY_keygen_init(c) != 1 || EVP_PKEY_CTX_set_group_name(c, CURVE) != 1 ||
        EVP_PKEY_generate(c, &k) != 1)
        k = NULL;
    EVP_PKEY_CTX_free(c);
    return k;
}

/* A failed run: RUN_FAILED, unless the provider's first error names another cause. */
static int failure(char *out, size_t cap)
{
    unsigned long e;
    const char *data;
    int flags, rc = RUN_FAILED, seen = 0;

    snprintf(out, cap, "failed (OpenSSL's own error)");
    while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
        const char *lib = ERR_lib_error_string(e);

        if (seen || lib == NULL || strcmp(lib, PROVIDER_NAME) != 0)
            continue;
        seen = 1;
        snprintf(out, cap, "provider reason %d: %s", ERR_GET_REASON(e),
                 (flags & ERR_TXT_STRING) ? data : "");
        if (ERR_GET_REASON(e) != PROVIDER_NOMEM)
            rc = RUN_PROVIDER_BLAMED;
    }
    return rc;
}

static int provider_path(void *vctx, char *out, size_t cap)
{
    provider_ctx *c = vctx;
    OSSL_LIB_CTX *lib = OSSL_LIB_CTX_new();
    EVP_PKEY *tok = NULL, *peer = NULL, *tok_sw = NULL;
    uint8_t x1[SECRET_BYTES], x2[SECRET_BYTES], pub[POINT_MAX];
    size_t n = 0;
    int rc, ok;

    ERR_clear_error();
    ok = lib != NULL && OSSL_LIB_CTX_load_config(lib, c->cnf) == 1 &&
         (tok = token_key(lib)) != NULL &&
         (peer = public_key(lib, PROVIDER_PROPQ, c->sw_pub, c->sw_pub_len)) != NULL &&
         derive(lib, PROVIDER_PROPQ, tok, peer, x1) &&
         EVP_PKEY_get_octet_string_param(tok, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub, sizeof(pub),
                                         &n) == 1 &&
         (tok_sw = public_key(NULL, "provider=default", pub, n)) != NULL &&
         derive(NULL, "provider=default", c->sw, tok_sw, x2);
    if (!ok)
        rc = failure(out, cap);
    else if (memcmp(x1, x2, SECRET_BYTES) != 0)
        rc = RUN_WRONG_SECRET, snprintf(out, cap, "the token's secret differs from software's");
    else
        rc = RUN_OK, snprintf(out, cap, "the token's secret is software's");
    OPENSSL_cleanse(x1, sizeof(x1));
    OPENSSL_cleanse(x2, sizeof(x2));
    EVP_PKEY_free(tok_sw);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(tok);
    /* OpenSSL keeps a global record of every configuration module it ran, freed only here. */
    CONF_modules_finish();
    OSSL_LIB_CTX_free(lib);
    return rc;
}

int main(int argc, char **argv)
{
    provider_ctx c;
    EVP_PKEY_CTX *g;
    int tap = 0, bad;

    if (argc != 3) {
        fprintf(stderr, "usage: test_torture_provider OPENSSL_CNF P11TEE_SO\n");
        return 99;
    }
    memset(&c, 0, sizeof(c));
    c.cnf = argv[1];
    /*
     * Loaded here once, p11tee.so stays at one address while library
     * contexts come and go, and only the allocations made with its code on
     * the stack count: the provider's, and those of what it calls (OpenSSL,
     * the PKCS#11 module), not those of OpenSSL loading a configuration.
     */
    if (dlopen(argv[2], RTLD_NOW) == NULL || !torture_focus("/p11tee.so")) {
        fprintf(stderr, "cannot load %s\n", argv[2]);
        return 99;
    }
    g = EVP_PKEY_CTX_new_from_name(NULL, "EC", "provider=default");
    if (g == NULL || EVP_PKEY_keygen_init(g) != 1 || EVP_PKEY_CTX_set_group_name(g, CURVE) != 1 ||
        EVP_PKEY_generate(g, &c.sw) != 1 ||
        EVP_PKEY_get_octet_string_param(c.sw, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, c.sw_pub,
                                        sizeof(c.sw_pub), &c.sw_pub_len) != 1) {
        fprintf(stderr, "cannot make the software key\n");
        return 99;
    }
    EVP_PKEY_CTX_free(g);
    /*
     * OpenSSL and SoftHSM keep caches that a library context or a
     * C_Finalize does not end (some grow by a block or two a run): leaks
     * are LeakSanitizer's at exit (the sanitizer build).
     */
    torture_stateless = 0;
    bad = torture_run("the provider from openssl.cnf: token opened, key pair generated, ECDH",
                      provider_path, &c, RUN_FAILED, &tap);
    printf("1..%d\n", tap);
    EVP_PKEY_free(c.sw);
    return bad > 0 ? 1 : 0;
}
