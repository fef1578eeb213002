/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Shared helpers for p11tee's C tests: cmocka in TAP mode, whole-file skips,
 * and throwaway SoftHSMv2 tokens (created by tests/lib/mktoken.sh, the same
 * script the shell tests use).
 */
#ifndef P11TEE_TESTLIB_H
#define P11TEE_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* Run one cmocka group with TAP output; returns the number of failures. */
#define TEST_MAIN(tests, setup, teardown)                                                          \
    test_run_group(#tests, tests, sizeof(tests) / sizeof((tests)[0]), setup, teardown)

int test_run_group(const char *name, const struct CMUnitTest *tests, size_t count,
                   CMFixtureFunction setup, CMFixtureFunction teardown);

/* Nothing in this file can run: print the reason on stderr and exit 77. */
void test_skip_all(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* getenv() that skips the whole file when the variable is unset or empty. */
const char *test_require_env(const char *name);

/*
 * Point `cfg` at the reference server and the throwaway token the integration
 * fixture exported (REFSERVER_URL, REFSERVER_API_KEY, P11TEE_MODULE,
 * P11TEE_TOKEN, IT_POLICY); fails the test when a setting is refused
 * (testclient.c).
 */
struct p11tee_config;
void test_config_refserver(struct p11tee_config *cfg);

/* A private temp dir (under $TMPDIR), removed by test_rmtree(). */
char *test_mkdtemp(void);
void test_rmtree(const char *path);

/* Run argv[0] (a path) with argv and wait: its exit status, or -1. */
int test_run(char *const argv[]);

/* Read a whole file (NUL-terminated); NULL on error. */
char *test_read_file(const char *path, size_t *len);

/* Write `text` to `path` (created or replaced): 0, or -1 on error. */
int test_write_file(const char *path, const char *text);

#define TEST_PIN    "1234"
#define TEST_SO_PIN "5678"

typedef struct test_token {
    char *dir;          /* temp dir holding the token and its conf */
    const char *module; /* SoftHSMv2 module path */
    char label[33];
    char uri[256]; /* pkcs11:token=<label>?pin-value=1234 */
} test_token;

/*
 * Create a fresh token labelled `label` and point SOFTHSM2_CONF at it. Must
 * run before the module is first loaded in this process. Skips the whole
 * file when SoftHSM is not available.
 */
void test_token_create(test_token *t, const char *label);
void test_token_destroy(test_token *t);

/* Fill `buf` with random bytes from OpenSSL's default DRBG. */
void test_random(void *buf, size_t len);

#endif /* P11TEE_TESTLIB_H */
