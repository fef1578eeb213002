/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The audit log: lines appended with their chain (seq, prev), continued
 * after a reopen and from several threads, no prompt or answer in it; a
 * line edited, deleted, reordered or cut off is found by
 * p11tee_audit_log_verify() at the line where the chain breaks, and a log
 * that broke is not appended to.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "tests/attest/tdx_testutil.h"
#include "testlib.h"

#define SECRET_PROMPT "the secret prompt text"
#define SECRET_ANSWER "the secret answer text"

static char *dir;

static int setup(void **state)
{
    dir = test_mkdtemp();
    return tdx_setup(state);
}

static int teardown(void **state)
{
    tdx_teardown(state);
    test_rmtree(dir);
    free(dir);
    return 0;
}

static void log_path(const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static void append_request(p11tee_audit_log *log, const char *id)
{
    p11tee_audit_request r;
    p11tee_error err;

    memset(&r, 0, sizeof(r));
    r.request_id = id;
    r.model = "e2ee-test";
    r.client = "alice";
    r.e2ee = 1;
    r.request = (const uint8_t *)SECRET_PROMPT;
    r.request_len = strlen(SECRET_PROMPT);
    r.response = (const uint8_t *)SECRET_ANSWER;
    r.response_len = strlen(SECRET_ANSWER);
    r.attestation = "00112233";
    assert_int_equal(p11tee_audit_log_request(log, &r, &err), P11TEE_OK);
}

/* A log of `n` request lines at `path`. */
static void write_log(const char *path, int n)
{
    p11tee_audit_log *log;
    p11tee_error err;
    char id[32];
    int i;

    assert_int_equal(p11tee_audit_log_open(path, &log, &err), P11TEE_OK);
    for (i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "chatcmpl-%d", i);
        append_request(log, id);
    }
    p11tee_audit_log_close(log);
}

static void expect_verdict(const char *path, int ok, unsigned long long bad, const char *why)
{
    p11tee_audit_verdict v;
    p11tee_error err;

    assert_int_equal(p11tee_audit_log_verify(path, &v, &err), P11TEE_OK);
    if (v.ok != ok || v.bad_line != bad || (why != NULL && strstr(v.message, why) == NULL))
        fail_msg("%s: ok %d bad %llu \"%s\", expected ok %d bad %llu \"%s\"", path, v.ok,
                 v.bad_line, v.message, ok, bad, why ? why : "");
}

static void chain_and_content(void **state)
{
    char path[1024], *text, line1[4096], hash[65];
    p11tee_audit_verdict v;
    p11tee_error err;

    (void)state;
    log_path("a.log", path, sizeof(path));
    write_log(path, 3);
    write_log(path, 2); /* reopened: the chain goes on */
    assert_int_equal(p11tee_audit_log_verify(path, &v, &err), P11TEE_OK);
    assert_true(v.ok);
    assert_int_equal(v.lines, 5);
    text = test_read_file(path, NULL);
    assert_non_null(text);
    assert_null(strstr(text, SECRET_PROMPT));
    assert_null(strstr(text, SECRET_ANSWER));
    assert_non_null(strstr(text, "\"seq\":5,"));
    assert_non_null(strstr(text, "\"client\":\"alice\""));
    assert_non_null(strstr(text, "\"attestation_nonce\":\"00112233\""));
    assert_non_null(strstr(text, "\"prev\":\"0000000000000000000000000000000000000000000000000000"
                                 "000000000000\"}\n"));
    /* The request's hash is SHA-256 of what was sent, and line 2's prev is line 1's hash. */
    assert_int_equal(api_sha256_hex(SECRET_PROMPT, strlen(SECRET_PROMPT), hash, NULL), P11TEE_OK);
    assert_non_null(strstr(text, hash));
    snprintf(line1, sizeof(line1), "%.*s", (int)(strchr(text, '\n') - text), text);
    assert_int_equal(api_sha256_hex(line1, strlen(line1), hash, NULL), P11TEE_OK);
    assert_non_null(strstr(text, hash));
    /* The head is the last line's hash. */
    assert_int_equal(strlen(v.head), 64);
    free(text);
}

/* `path` rewritten by replacing line `n` (1-based) with `with` (NULL: deleted) or swapping. */
static void edit_line(const char *path, int n, const char *with, int swap_next)
{
    char *text = test_read_file(path, NULL), *lines[64], *p, *save = NULL;
    int count = 0, i;
    FILE *f;

    assert_non_null(text);
    for (p = strtok_r(text, "\n", &save); p != NULL && count < 64; p = strtok_r(NULL, "\n", &save))
        lines[count++] = p;
    if (swap_next) {
        p = lines[n - 1];
        lines[n - 1] = lines[n];
        lines[n] = p;
    }
    f = fopen(path, "w");
    assert_non_null(f);
    for (i = 0; i < count; i++)
        if (i != n - 1 || swap_next)
            fprintf(f, "%s\n", lines[i]);
        else if (with != NULL)
            fprintf(f, "%s\n", with);
    fclose(f);
    free(text);
}

/* Line `n` (1-based) of `path` into `out`. */
static void nth_line(const char *path, int n, char *out, size_t cap)
{
    char *text = test_read_file(path, NULL), *p, *save = NULL;

    assert_non_null(text);
    for (p = strtok_r(text, "\n", &save); p != NULL && --n > 0; p = strtok_r(NULL, "\n", &save))
        ;
    assert_non_null(p);
    snprintf(out, cap, "%s", p);
    free(text);
}

static void tampering_is_found(void **state)
{
    char path[1024], edited[4096], *p;
    p11tee_audit_log *log;
    p11tee_error err;
    FILE *f;

    (void)state;
    log_path("edit.log", path, sizeof(path));
    write_log(path, 5);
    nth_line(path, 3, edited, sizeof(edited));
    p = strstr(edited, "chatcmpl-2");
    assert_non_null(p);
    p[9] = '7'; /* "chatcmpl-7": the line still parses, its hash changed */
    edit_line(path, 3, edited, 0);
    expect_verdict(path, 0, 4,
                   "line 4 breaks the chain (its prev is not the hash of the line before)");
    assert_int_equal(p11tee_audit_log_open(path, &log, &err), P11TEE_E_IO);
    assert_non_null(strstr(err.message, "does not verify"));

    log_path("delete.log", path, sizeof(path));
    write_log(path, 5);
    edit_line(path, 2, NULL, 0);
    expect_verdict(path, 0, 2, "line 2 breaks the chain (its sequence number is wrong)");

    log_path("swap.log", path, sizeof(path));
    write_log(path, 5);
    edit_line(path, 2, NULL, 1);
    expect_verdict(path, 0, 2, "breaks the chain");

    log_path("garbage.log", path, sizeof(path));
    write_log(path, 2);
    edit_line(path, 2, "{\"not\": \"a log line\"}", 0);
    expect_verdict(path, 0, 2, "line 2 is not an audit log line");

    log_path("cut.log", path, sizeof(path));
    write_log(path, 3);
    f = fopen(path, "a");
    assert_non_null(f);
    fputs("{\"v\":1,\"seq\":4", f); /* a torn write */
    fclose(f);
    expect_verdict(path, 0, 4, "line 4 is cut off (no newline)");
    assert_int_equal(p11tee_audit_log_open(path, &log, &err), P11TEE_E_IO);
}

/* An attestation line: ids and verdict, the report's hash; a bare quote under the default. */
static void attestation_line(void **state)
{
    char path[1024], line[4096], hash[65], *report;
    p11tee_config *cfg = p11tee_config_new();
    p11tee_attestation *a = NULL;
    p11tee_audit_log *log;
    p11tee_error err;
    uint8_t *q;
    char *coll;
    size_t qlen, clen;

    (void)state;
    tdx_build(&q, &qlen, &coll, &clen, NULL);
    /* The test root is not trusted by the default policy: the verdict fails, and says so. */
    assert_int_not_equal(p11tee_quote_verify(cfg, q, qlen, NULL, &a, &err), P11TEE_OK);
    assert_non_null(a);
    log_path("att.log", path, sizeof(path));
    assert_int_equal(p11tee_audit_log_open(path, &log, &err), P11TEE_OK);
    assert_int_equal(p11tee_audit_log_attestation(log, a, &err), P11TEE_OK);
    p11tee_audit_log_close(log);
    nth_line(path, 1, line, sizeof(line));
    assert_non_null(strstr(line, "\"event\":\"attestation\""));
    assert_non_null(strstr(line, "\"verdict\":\"fail\",\"code\":613"));
    assert_non_null(strstr(line, "\"fmspc\":\"90C06F000000\""));
    assert_non_null(strstr(line, "\"policy\":\"built-in default\""));
    report = p11tee_attestation_json(a);
    assert_int_equal(api_sha256_hex(report, strlen(report), hash, NULL), P11TEE_OK);
    assert_non_null(strstr(line, hash));
    expect_verdict(path, 1, 0, NULL);
    free(report);
    p11tee_attestation_free(a);
    p11tee_config_free(cfg);
    free(coll);
    free(q);
}

static void *appender(void *arg)
{
    char id[32];
    int i;

    for (i = 0; i < 50; i++) {
        snprintf(id, sizeof(id), "t%p-%d", (void *)pthread_self(), i);
        append_request(arg, id);
    }
    return NULL;
}

static void threads_keep_one_chain(void **state)
{
    char path[1024];
    p11tee_audit_log *log;
    p11tee_audit_verdict v;
    p11tee_error err;
    pthread_t t[8];
    int i;

    (void)state;
    log_path("threads.log", path, sizeof(path));
    assert_int_equal(p11tee_audit_log_open(path, &log, &err), P11TEE_OK);
    for (i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&t[i], NULL, appender, log), 0);
    for (i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    p11tee_audit_log_close(log);
    assert_int_equal(p11tee_audit_log_verify(path, &v, &err), P11TEE_OK);
    assert_true(v.ok);
    assert_int_equal(v.lines, 400);
    assert_int_equal(p11tee_audit_log_verify("/nonexistent/audit.log", &v, &err), P11TEE_E_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chain_and_content),
        cmocka_unit_test(tampering_is_found),
        cmocka_unit_test(threads_keep_one_chain),
        cmocka_unit_test(attestation_line),
    };
    return TEST_MAIN(tests, setup, teardown);
}
