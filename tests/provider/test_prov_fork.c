/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * fork(): the child re-initialises the module, logs in again and generates
 * and derives correctly; keys the parent made are refused in the child with
 * KEY_STALE, and freeing them there leaves the parent's objects alone; the
 * parent still works afterwards. A child whose first context is a new one
 * (not the inherited one) re-initialises the module too, with OS locking:
 * several threads generate and derive in it. Run twice: SoftHSM keeping its
 * state in the child (its default) and resetting it (library.reset_on_fork =
 * true, like a module that notices the fork). And a child whose C_Initialize
 * fails (faultmod.so): each use there names the failure, nothing finalises
 * the parent's module state, and the parent goes on working.
 *
 * Each scenario runs in its own process, which loads the module first; the
 * test process itself never does, so both scenarios start clean.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hsm/hsm.h"
#include "provider/prov_api.h"
#include "provtest.h"

/* The same through EVP in a provider library context. */
static int evp_derive_ok(OSSL_LIB_CTX *libctx, EVP_PKEY *k)
{
    EVP_PKEY *s = pt_sw_key("secp256k1"), *peer;
    uint8_t kpub[PT_POINT_MAX], spub[PT_POINT_MAX], x1[PT_SECRET_MAX], x2[PT_SECRET_MAX];
    size_t kn = pt_pub(k, kpub, sizeof(kpub)), sn = pt_pub(s, spub, sizeof(spub));
    int ok;

    peer = pt_token_peer(libctx, "secp256k1", spub, sn);
    ok = peer != NULL && pt_token_derive(libctx, k, peer, x1, sizeof(x1)) == 32 &&
         pt_sw_derive(s, "secp256k1", kpub, kn, x2, sizeof(x2)) == 32 && memcmp(x1, x2, 32) == 0;
    EVP_PKEY_free(peer);
    EVP_PKEY_free(s);
    return ok;
}

/* What the child inherits. */
typedef struct inherited {
    hsm_ctx *h;
    hsm_key *key;
    OSSL_LIB_CTX *libctx;
    OSSL_PROVIDER *prov;
    EVP_PKEY *pkey;
    pt_p11 *p;
} inherited;

/* In the child: the parent's keys are stale, new ones work, everything frees. */
static void child(void *arg)
{
    inherited *in = arg;
    EVP_PKEY *s = pt_sw_key("secp256k1"), *peer, *fresh;
    uint8_t spub[PT_POINT_MAX], x[HSM_SECRET_MAX];
    size_t sn = pt_pub(s, spub, sizeof(spub)), n = 0;
    hsm_key *k = NULL;
    p11tee_error err;
    char text[512];

    PT_CHECK(hsm_derive(in->key, spub, sn, x, sizeof(x), &n, &err) == P11TEE_E_KEY_STALE);
    PT_CHECK(strstr(err.message, "before fork()") != NULL);
    peer = pt_token_peer(in->libctx, "secp256k1", spub, sn);
    PT_CHECK(peer != NULL);
    PT_CHECK(pt_token_derive(in->libctx, in->pkey, peer, x, sizeof(x)) == 0);
    PT_CHECK(pt_prov_error(text, sizeof(text)) == PROV_R_KEY_STALE);
    PT_CHECK(hsm_key_generate(in->h, "secp256k1", &k, &err) == P11TEE_OK);
    PT_CHECK(k != NULL && pt_hsm_derive_ok(k));
    fresh = pt_token_key(in->libctx, "secp256k1");
    PT_CHECK(fresh != NULL && evp_derive_ok(in->libctx, fresh));
    /* Freeing the parent's keys here must not touch the parent's objects. */
    hsm_key_free(in->key);
    EVP_PKEY_free(in->pkey);
    hsm_key_free(k);
    EVP_PKEY_free(fresh);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(s);
    pt_p11_abandon(in->p);
    pt_libctx_free(in->libctx, in->prov);
    hsm_ctx_free(in->h);
}

#define CHILD_THREADS 8

typedef struct worker {
    pthread_t tid;
    hsm_ctx *h;
    int iterations, failures;
} worker;

/* Key generation and ECDH, every secret checked. */
static void *work(void *arg)
{
    worker *w = arg;
    int i;

    for (i = 0; i < w->iterations; i++) {
        hsm_key *k = NULL;
        p11tee_error err;

        if (hsm_key_generate(w->h, "secp256k1", &k, &err) != P11TEE_OK || !pt_hsm_derive_ok(k))
            w->failures++;
        hsm_key_free(k);
    }
    return NULL;
}

/*
 * In a child that never touches the inherited context: a new one (the
 * module record is still the parent's), used by several threads at once.
 */
static void child_new_context_threads(void *arg)
{
    const test_token *tok = arg;
    hsm_config cfg = {.module = tok->module, .token = tok->uri};
    worker w[CHILD_THREADS];
    p11tee_error err;
    hsm_ctx *h = NULL;
    int i, failures = 0;

    PT_CHECK(hsm_ctx_new(&cfg, &h, &err) == P11TEE_OK);
    if (h == NULL)
        return;
    memset(w, 0, sizeof(w));
    for (i = 0; i < CHILD_THREADS; i++) {
        w[i].h = h;
        w[i].iterations = pt_quick() ? 3 : 20;
        PT_CHECK(pthread_create(&w[i].tid, NULL, work, &w[i]) == 0);
    }
    for (i = 0; i < CHILD_THREADS; i++) {
        PT_CHECK(pthread_join(w[i].tid, NULL) == 0);
        failures += w[i].failures;
    }
    PT_CHECK(failures == 0);
    hsm_ctx_free(h);
}

static void scenario(void *arg)
{
    const test_token *tok = arg;
    hsm_config cfg = {.module = tok->module, .token = tok->uri};
    inherited in = {0};
    hsm_key *k2 = NULL;
    long before;
    p11tee_error err;

    PT_CHECK(hsm_ctx_new(&cfg, &in.h, &err) == P11TEE_OK);
    PT_CHECK(hsm_key_generate(in.h, "secp256k1", &in.key, &err) == P11TEE_OK);
    PT_CHECK(pt_hsm_derive_ok(in.key));
    in.libctx = pt_libctx_new(tok->module, tok->uri, &in.prov);
    in.pkey = pt_token_key(in.libctx, "secp256k1");
    PT_CHECK(in.pkey != NULL && evp_derive_ok(in.libctx, in.pkey));
    in.p = pt_p11_open(tok->module, tok->label);
    PT_CHECK(in.p != NULL);
    before = pt_p11_count(in.p);
    PT_CHECK(pt_isolated(child, &in) == 0);
    PT_CHECK(pt_isolated(child_new_context_threads, (void *)tok) == 0);
    /* The parent's objects and sessions survived the children. */
    PT_CHECK(pt_p11_count(in.p) == before);
    PT_CHECK(pt_hsm_derive_ok(in.key));
    PT_CHECK(evp_derive_ok(in.libctx, in.pkey));
    PT_CHECK(hsm_key_generate(in.h, "secp256k1", &k2, &err) == P11TEE_OK);
    PT_CHECK(k2 != NULL && pt_hsm_derive_ok(k2));
    hsm_key_free(k2);
    hsm_key_free(in.key);
    EVP_PKEY_free(in.pkey);
    PT_CHECK(pt_p11_count(in.p) == before - 4);
    pt_p11_close(in.p);
    pt_libctx_free(in.libctx, in.prov);
    hsm_ctx_free(in.h);
}

/* The token of a scenario through faultmod.so (P11TEE_FAULT set by the caller). */
typedef struct faulty {
    const test_token *tok;
    const char *module;
    inherited *in; /* what the parent made, for its child */
} faulty;

/*
 * In a child whose C_Initialize fails: every use fails and names it, the
 * failure is remembered (one C_Initialize per context, not one per call),
 * a context made in the child fails the same way, and nothing finalises
 * the module state the child got from its parent.
 */
static void child_cannot_initialise(void *arg)
{
    const faulty *fy = arg;
    hsm_config cfg = {.module = fy->module, .token = fy->tok->uri};
    inherited *in = fy->in;
    const char *what = "C_Initialize in the child process after fork(): CKR_DEVICE_ERROR";
    hsm_key *k = NULL;
    hsm_ctx *h = NULL;
    p11tee_error err;
    char text[512];
    int i;

    for (i = 0; i < 2; i++) {
        PT_CHECK(hsm_key_generate(in->h, "secp256k1", &k, &err) == P11TEE_E_TOKEN && k == NULL);
        PT_CHECK(strstr(err.message, what) != NULL);
    }
    PT_CHECK(pt_fault_calls(fy->module, "C_Initialize") == 1);
    PT_CHECK(pt_token_key(in->libctx, "secp256k1") == NULL);
    PT_CHECK(pt_prov_error(text, sizeof(text)) == PROV_R_TOKEN);
    PT_CHECK(strstr(text, what) != NULL);
    PT_CHECK(hsm_ctx_new(&cfg, &h, &err) == P11TEE_E_MODULE_LOAD && h == NULL);
    PT_CHECK(strstr(err.message, "failed to initialise: CKR_DEVICE_ERROR") != NULL);
    hsm_key_free(in->key);
    EVP_PKEY_free(in->pkey);
    pt_libctx_free(in->libctx, in->prov);
    hsm_ctx_free(in->h);
    PT_CHECK(pt_fault_calls(fy->module, "C_Finalize") == 0);
}

/* A parent whose child cannot initialise the module: the parent goes on working. */
static void init_fails_in_child(void *arg)
{
    faulty *fy = arg;
    hsm_config cfg = {.module = fy->module, .token = fy->tok->uri};
    inherited in = {0};
    hsm_key *k2 = NULL;
    p11tee_error err;

    PT_CHECK(hsm_ctx_new(&cfg, &in.h, &err) == P11TEE_OK);
    PT_CHECK(hsm_key_generate(in.h, "secp256k1", &in.key, &err) == P11TEE_OK);
    in.libctx = pt_libctx_new(fy->module, fy->tok->uri, &in.prov);
    in.pkey = pt_token_key(in.libctx, "secp256k1");
    PT_CHECK(in.pkey != NULL);
    fy->in = &in;
    PT_CHECK(pt_isolated(child_cannot_initialise, fy) == 0);
    PT_CHECK(pt_hsm_derive_ok(in.key));
    PT_CHECK(evp_derive_ok(in.libctx, in.pkey));
    PT_CHECK(hsm_key_generate(in.h, "secp256k1", &k2, &err) == P11TEE_OK);
    PT_CHECK(k2 != NULL && pt_hsm_derive_ok(k2));
    PT_CHECK(pt_fault_calls(fy->module, "C_Initialize") == 1);
    hsm_key_free(k2);
    hsm_key_free(in.key);
    EVP_PKEY_free(in.pkey);
    pt_libctx_free(in.libctx, in.prov);
    hsm_ctx_free(in.h);
}

/* Run the scenario in a process of its own against a fresh token. */
static void run(const char *label, const char *conf_line)
{
    test_token tok;
    int failures;

    test_token_create(&tok, label);
    if (conf_line != NULL)
        pt_token_conf(&tok, conf_line);
    failures = pt_isolated(scenario, &tok);
    test_token_destroy(&tok);
    assert_int_equal(failures, 0);
}

static void child_works_module_keeps_state(void **state)
{
    (void)state;
    run("p11tee-fork-keep", NULL);
}

static void child_works_module_resets(void **state)
{
    (void)state;
    run("p11tee-fork-reset", "library.reset_on_fork = true");
}

static void child_cannot_initialise_module(void **state)
{
    char module[1024];
    test_token tok;
    faulty fy = {&tok, module, NULL};
    int failures;

    (void)state;
    snprintf(module, sizeof(module), "%s/tests/provider/.libs/faultmod.so",
             test_require_env("top_builddir"));
    test_token_create(&tok, "p11tee-fork-init");
    setenv("P11TEE_FAULT", "child-init=0x30", 1);
    failures = pt_isolated(init_fails_in_child, &fy);
    unsetenv("P11TEE_FAULT");
    test_token_destroy(&tok);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(child_works_module_keeps_state),
        cmocka_unit_test(child_works_module_resets),
        cmocka_unit_test(child_cannot_initialise_module),
    };

    return TEST_MAIN(tests, NULL, NULL);
}
