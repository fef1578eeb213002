/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * A SHA-256 that could not be computed is an error, never a digest.
 * OpenSSL 3's SHA256() allocates and, failing, leaves its output unwritten:
 * digest_sha256() (src/common/digest.c) answers P11TEE_E_NOMEM and zeroes
 * it; the replay set records no envelope it could not hash; the audit log
 * writes no line it could not chain, and a log read without memory gets no
 * verdict. OpenSSL's allocations go through this program's functions
 * (CRYPTO_set_mem_functions), which fail while `openssl_fails` is set.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "api/api.h"
#include "common/common.h"
#include "e2ee/e2ee.h"
#include "testlib.h"

/* SHA-256("abc"), FIPS 180-2 appendix B.1. */
static const uint8_t abc_sha256[32] = {
    0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
    0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};

static int openssl_fails;
static char *dir;

static void *t_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    if (openssl_fails) {
        errno = ENOMEM;
        return NULL;
    }
    return malloc(n);
}

static void *t_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    if (openssl_fails) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, n);
}

static void t_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    free(p);
}

static void digest_fails_closed(void **state)
{
    uint8_t out[32];
    p11tee_error err;
    size_t i;

    (void)state;
    memset(out, 0xaa, sizeof(out));
    err_oom_reset();
    openssl_fails = 1;
    assert_int_equal(digest_sha256("abc", 3, out, &err), P11TEE_E_NOMEM);
    openssl_fails = 0;
    for (i = 0; i < sizeof(out); i++)
        assert_int_equal(out[i], 0);
    assert_non_null(strstr(err.message, "SHA-256"));
    assert_true(err_oom_seen()); /* an attestation's checks then answer NOMEM, not a verdict */
    err_oom_reset();
    errno = ENOMEM; /* an earlier failure that err_oom_seen() is yet to see */
    assert_int_equal(digest_sha256("abc", 3, out, &err), P11TEE_OK);
    assert_true(err_oom_seen()); /* still seen, after the digest's own start */
    assert_memory_equal(out, abc_sha256, sizeof(out));
}

static void replay_set_needs_the_digest(void **state)
{
    uint8_t eph[P11TEE_PUBKEY_BYTES], nonce[ENVELOPE_NONCE_BYTES];
    p11tee_error err;
    e2ee_seen s;

    (void)state;
    memset(eph, 0x04, sizeof(eph));
    memset(nonce, 0x5a, sizeof(nonce));
    e2ee_seen_init(&s);
    openssl_fails = 1;
    assert_int_equal(e2ee_seen_add(&s, eph, nonce, &err), P11TEE_E_NOMEM);
    openssl_fails = 0;
    assert_int_equal(e2ee_seen_count(&s), 0);
    assert_int_equal(e2ee_seen_add(&s, eph, nonce, &err), P11TEE_OK);
    assert_int_equal(e2ee_seen_add(&s, eph, nonce, &err), P11TEE_E_E2EE_REPLAY);
    e2ee_seen_free(&s);
}

static p11tee_status log_line(p11tee_audit_log *log, p11tee_error *err)
{
    p11tee_audit_request r;

    memset(&r, 0, sizeof(r));
    r.request_id = "chatcmpl-1";
    r.model = "e2ee-test";
    r.request_sha256 = "00"; /* no bytes to hash: the only digest is the line's own */
    return p11tee_audit_log_request(log, &r, err);
}

static off_t file_size(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

static void audit_log_needs_the_digest(void **state)
{
    char path[1024];
    p11tee_audit_log *log;
    p11tee_audit_verdict v;
    p11tee_error err;
    off_t before;

    (void)state;
    snprintf(path, sizeof(path), "%s/audit.log", dir);
    assert_int_equal(p11tee_audit_log_open(path, &log, &err), P11TEE_OK);
    assert_int_equal(log_line(log, &err), P11TEE_OK);
    before = file_size(path);
    openssl_fails = 1;
    assert_int_equal(log_line(log, &err), P11TEE_E_NOMEM);
    openssl_fails = 0;
    assert_int_equal(file_size(path), before); /* nothing written that the chain does not hold */
    assert_int_equal(log_line(log, &err), P11TEE_OK);
    p11tee_audit_log_close(log);
    openssl_fails = 1;
    assert_int_equal(p11tee_audit_log_verify(path, &v, &err), P11TEE_E_NOMEM);
    openssl_fails = 0;
    assert_false(v.ok); /* no verdict either way */
    assert_int_equal(v.bad_line, 0);
    assert_int_equal(p11tee_audit_log_verify(path, &v, &err), P11TEE_OK);
    assert_true(v.ok);
    assert_int_equal(v.lines, 2);
}

static void canonical_json_digest(void **state)
{
    json_object *doc = json_object_new_object();
    uint8_t out[32];
    p11tee_error err;

    (void)state;
    assert_non_null(doc);
    assert_int_equal(json_object_object_add(doc, "a", json_object_new_int(1)), 0);
    openssl_fails = 1;
    assert_int_equal(jcs_sha256(doc, out, &err), P11TEE_E_NOMEM);
    openssl_fails = 0;
    assert_int_equal(jcs_sha256(doc, out, &err), P11TEE_OK);
    json_object_put(doc);
}

static int setup(void **state)
{
    uint8_t d[32];

    (void)state;
    /* OpenSSL 3.0 cannot survive a failure while it first builds its default context. */
    if (digest_sha256("", 0, d, NULL) != P11TEE_OK)
        return -1;
    dir = test_mkdtemp();
    return dir != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    test_rmtree(dir);
    free(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(digest_fails_closed),
        cmocka_unit_test(replay_set_needs_the_digest),
        cmocka_unit_test(audit_log_needs_the_digest),
        cmocka_unit_test(canonical_json_digest),
    };

    /* Before OpenSSL allocates anything: it takes them only then. */
    if (!CRYPTO_set_mem_functions(t_malloc, t_realloc, t_free)) {
        fprintf(stderr, "OpenSSL allocated before main: cannot replace its allocator\n");
        return 99;
    }
    return TEST_MAIN(tests, setup, teardown);
}
