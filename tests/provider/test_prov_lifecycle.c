/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * A process that opens and frees token contexts many times (each time the
 * module is loaded and finalised again) registers the provider's exit
 * handler once, not once per load, and still exits cleanly when a provider
 * instance is left for OpenSSL to tear down at exit: the exit handler must
 * then still run before the module's static destructors.
 *
 * The scenario runs in a process of its own (exit is part of it), which
 * loads the module first; the test process itself never does. The count of
 * registrations comes from the provider's debug trace (P11TEE_PROV_DEBUG).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "hsm/hsm.h"
#include "provider/prov_api.h"
#include "provtest.h"

/* Lines of `path` that contain `needle`; -1 if it cannot be read. */
static int count_lines(const char *path, const char *needle)
{
    char line[1024];
    FILE *f = fopen(path, "r");
    int n = 0;

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* openssl.cnf that activates the built-in p11tee (and default) in the default context. */
static void write_cnf(const test_token *tok, const char *path)
{
    FILE *f = fopen(path, "w");

    if (f == NULL ||
        fprintf(f,
                "openssl_conf = openssl_init\n"
                "[openssl_init]\nproviders = provider_sect\n"
                "[provider_sect]\ndefault = default_sect\np11tee = p11tee_sect\n"
                "[default_sect]\nactivate = 1\n"
                "[p11tee_sect]\npkcs11-module = %s\npkcs11-token = %s\n"
                "activate = 1\n",
                tok->module, tok->uri) < 0 ||
        fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(99);
    }
}

/* Open, use and free a token context `cycles` times. */
static void cycles_of_open_and_free(const test_token *tok, int cycles)
{
    hsm_config cfg = {.module = tok->module, .token = tok->uri};
    int i;

    for (i = 0; i < cycles; i++) {
        hsm_ctx *h = NULL;
        hsm_key *k = NULL;
        p11tee_error err;

        PT_CHECK(hsm_ctx_new(&cfg, &h, &err) == P11TEE_OK);
        PT_CHECK(h != NULL && hsm_key_generate(h, "secp256k1", &k, &err) == P11TEE_OK);
        PT_CHECK(k != NULL && pt_hsm_derive_ok(k));
        hsm_key_free(k);
        hsm_ctx_free(h);
    }
}

/* A token key and ECDH in the default library context, whose provider lives until exit. */
static void provider_left_for_exit(const char *cnf)
{
    EVP_PKEY *t, *s = pt_sw_key("secp256k1");
    uint8_t tpub[PT_POINT_MAX], x1[PT_SECRET_MAX], x2[PT_SECRET_MAX];
    size_t tn;

    PT_CHECK(OSSL_PROVIDER_add_builtin(NULL, PROV_NAME, prov_builtin_init) == 1);
    PT_CHECK(OSSL_LIB_CTX_load_config(NULL, cnf) == 1);
    t = pt_token_key(NULL, "secp256k1");
    PT_CHECK(t != NULL);
    tn = t != NULL ? pt_pub(t, tpub, sizeof(tpub)) : 0;
    PT_CHECK(t != NULL && pt_token_derive(NULL, t, s, x1, sizeof(x1)) == 32);
    PT_CHECK(pt_sw_derive(s, "secp256k1", tpub, tn, x2, sizeof(x2)) == 32);
    PT_CHECK(memcmp(x1, x2, 32) == 0);
    EVP_PKEY_free(t);
    EVP_PKEY_free(s);
    ERR_print_errors_fp(stderr);
}

static void scenario(void *arg)
{
    const test_token *tok = arg;
    int cycles = pt_quick() ? 4 : 20, saved = dup(2), fd;
    char trace[1024], cnf[1024];

    snprintf(trace, sizeof(trace), "%s/trace.log", tok->dir);
    snprintf(cnf, sizeof(cnf), "%s/openssl.cnf", tok->dir);
    write_cnf(tok, cnf);
    fflush(stderr);
    fd = open(trace, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    PT_CHECK(fd >= 0 && saved >= 0 && dup2(fd, 2) == 2);
    setenv("P11TEE_PROV_DEBUG", "1", 1);
    cycles_of_open_and_free(tok, cycles);
    provider_left_for_exit(cnf);
    fflush(stderr);
    dup2(saved, 2);
    close(fd);
    close(saved);
    unsetenv("P11TEE_PROV_DEBUG");
    /* Every cycle loaded the module again; the last load is the provider's in the default context.
     */
    PT_CHECK(count_lines(trace, "p11tee: loaded PKCS#11 module ") == cycles + 1);
    PT_CHECK(count_lines(trace, "p11tee: exit handler registered") == 1);
    if (count_lines(trace, "p11tee: exit handler registered") != 1)
        fprintf(stderr, "exit handler registrations: %d\n",
                count_lines(trace, "p11tee: exit handler registered"));
    /* Returning exits the process: the provider is torn down at exit, after the handler ran. */
}

static void open_free_cycles_then_exit(void **state)
{
    test_token tok;
    int failures;

    (void)state;
    test_token_create(&tok, "p11tee-lifecycle");
    failures = pt_isolated(scenario, &tok);
    test_token_destroy(&tok);
    /* -1: the process died, at exit or before. */
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(open_free_cycles_then_exit),
    };

    return TEST_MAIN(tests, NULL, NULL);
}
