/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * libp11tee through its public API alone, against the reference server that
 * tests/integration/library.sh started: session reuse and its TTL, refusals
 * before anything is sent, the caller stopping a stream, results, threads.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <p11tee/p11tee.h>
#include <p11tee/token.h>

#include "testlib.h"

#define E2EE_MODEL "e2ee-qwen3-5-122b-a10b"
#define TEE_MODEL  "tee-llama-3-3-70b"

typedef struct counter {
    pthread_mutex_t lock;
    int attestations; /* "* attesting" lines from the library's log */
} counter;

static void count_log(void *userdata, const char *line)
{
    counter *c = userdata;

    pthread_mutex_lock(&c->lock);
    if (strncmp(line, "* attesting ", 12) == 0)
        c->attestations++;
    pthread_mutex_unlock(&c->lock);
}

static p11tee_client *client_new(counter *c, const char *ttl)
{
    p11tee_config *cfg = p11tee_config_new();
    p11tee_client *client = NULL;
    p11tee_error err;

    test_config_refserver(cfg);
    if (ttl != NULL)
        assert_int_equal(p11tee_config_set(cfg, "session-ttl-s", ttl, &err), P11TEE_OK);
    if (c != NULL) {
        pthread_mutex_init(&c->lock, NULL);
        c->attestations = 0;
        p11tee_config_set_log(cfg, count_log, c);
    }
    if (p11tee_client_new(cfg, &client, &err) != P11TEE_OK)
        fail_msg("p11tee_client_new: %s", err.message);
    p11tee_config_free(cfg);
    return client;
}

typedef struct text {
    char buf[4096];
    size_t len;
    int stop_after; /* stop the stream after this many content fields (0: never) */
    int fields;
} text;

static int collect(void *userdata, size_t choice, p11tee_field field, const char *s, size_t len,
                   int plaintext)
{
    text *t = userdata;

    assert_false(plaintext);
    assert_int_equal(choice, 0);
    if (field != P11TEE_FIELD_CONTENT)
        return 0;
    assert_true(t->len + len < sizeof(t->buf));
    memcpy(t->buf + t->len, s, len);
    t->len += len;
    t->buf[t->len] = '\0';
    return t->stop_after != 0 && ++t->fields >= t->stop_after;
}

static const p11tee_chat_events events = {.on_text = collect};

static p11tee_status chat(p11tee_client *client, const char *model, const char *prompt, text *t,
                          p11tee_chat_result **res, p11tee_error *err)
{
    char req[512];

    snprintf(req, sizeof(req),
             "{\"model\":\"%s\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
             "\"%s\"}]}",
             model, prompt);
    return p11tee_chat(client, req, strlen(req), &events, t, res, err);
}

static void expect_answer(p11tee_client *client, const char *model, const char *prompt)
{
    text t = {.len = 0};
    p11tee_chat_result *res = NULL;
    p11tee_error err;
    char want[512];

    if (chat(client, model, prompt, &t, &res, &err) != P11TEE_OK)
        fail_msg("chat with %s: %s", model, err.message);
    snprintf(want, sizeof(want), "echo: %s", prompt);
    assert_string_equal(t.buf, want);
    assert_false(p11tee_chat_result_incomplete(res));
    assert_non_null(p11tee_chat_result_attestation(res));
    p11tee_chat_result_free(res);
}

typedef struct keys_seen {
    char key[2][160];
    int n;
} keys_seen;

static void remember_key(void *userdata, const p11tee_attestation *a)
{
    keys_seen *k = userdata;

    if (k->n < 2)
        snprintf(k->key[k->n++], sizeof(k->key[0]), "%s", p11tee_attestation_get(a, "signing_key"));
}

static int ignore_text(void *userdata, size_t choice, p11tee_field field, const char *s, size_t len,
                       int pt)
{
    (void)userdata;
    (void)choice;
    (void)field;
    (void)s;
    (void)len;
    (void)pt;
    return 0;
}

/* Runs first: library.sh armed rotate-key, so the first chat meets a key mismatch. */
static void rotation_names_the_new_attestation(void **state)
{
    static const p11tee_chat_events ev = {.on_attested = remember_key, .on_text = ignore_text};
    static const char req[] = "{\"model\":\"" E2EE_MODEL "\",\"messages\":[{\"role\":"
                              "\"user\",\"content\":\"rotate\"}]}";
    p11tee_client *client = client_new(NULL, NULL);
    p11tee_chat_result *res = NULL;
    keys_seen k;
    p11tee_error err;

    (void)state;
    memset(&k, 0, sizeof(k));
    if (p11tee_chat(client, req, strlen(req), &ev, &k, &res, &err) != P11TEE_OK)
        fail_msg("chat across a key rotation: %s", err.message);
    assert_int_equal(k.n, 2); /* attested, mismatch, attested again */
    assert_string_not_equal(k.key[0], k.key[1]);
    assert_string_equal(p11tee_attestation_get(p11tee_chat_result_attestation(res), "signing_key"),
                        k.key[1]);
    p11tee_chat_result_free(res);
    p11tee_client_free(client);
}

static void session_reuse(void **state)
{
    counter c;
    p11tee_client *client = client_new(&c, NULL);

    (void)state;
    expect_answer(client, E2EE_MODEL, "first of three");
    expect_answer(client, E2EE_MODEL, "second of three");
    expect_answer(client, E2EE_MODEL, "third of three");
    assert_int_equal(c.attestations, 1);
    expect_answer(client, TEE_MODEL, "tee one");
    expect_answer(client, TEE_MODEL, "tee two");
    assert_int_equal(c.attestations, 2);
    p11tee_client_free(client);
}

static void session_ttl(void **state)
{
    counter c;
    p11tee_client *client = client_new(&c, "0");

    (void)state;
    expect_answer(client, E2EE_MODEL, "ttl one");
    expect_answer(client, E2EE_MODEL, "ttl two");
    assert_int_equal(c.attestations, 2);
    p11tee_client_free(client);
}

static void refused_before_sending(void **state)
{
    static const char tools[] = "{\"model\":\"" E2EE_MODEL "\",\"messages\":[{\"role\":\"user\","
                                "\"content\":\"x\"}],\"tools\":[{\"type\":\"function\"}]}";
    static const char logprobs[] = "{\"model\":\"" E2EE_MODEL "\",\"messages\":[{\"role\":"
                                   "\"user\",\"content\":\"x\"}],\"logprobs\":true}";
    counter c;
    p11tee_client *client = client_new(&c, NULL);
    p11tee_chat_result *res = (p11tee_chat_result *)&c;
    p11tee_error err;

    (void)state;
    assert_int_equal(p11tee_chat(client, tools, strlen(tools), &events, NULL, &res, &err),
                     P11TEE_E_E2EE_UNSUPPORTED);
    assert_null(res);
    /* logprobs: the server would send every output token back in clear */
    assert_int_equal(p11tee_chat(client, logprobs, strlen(logprobs), &events, NULL, &res, &err),
                     P11TEE_E_E2EE_UNSUPPORTED);
    assert_non_null(strstr(err.message, "\"logprobs\" is refused with E2EE"));
    assert_null(res);
    assert_int_equal(p11tee_chat(client, "{\"messages\":[]}", 15, &events, NULL, &res, &err),
                     P11TEE_E_INVALID_ARG);
    assert_int_equal(p11tee_chat(client, "not json", 8, &events, NULL, &res, NULL),
                     P11TEE_E_INVALID_ARG);
    assert_int_equal(c.attestations, 0);
    p11tee_client_free(client);
}

static void caller_stops(void **state)
{
    p11tee_client *client = client_new(NULL, NULL);
    text t = {.len = 0, .stop_after = 2};
    p11tee_chat_result *res = NULL;
    p11tee_error err;
    char *json;

    (void)state;
    assert_int_equal(chat(client, E2EE_MODEL, "stop me after two pieces", &t, &res, &err),
                     P11TEE_E_INVALID_ARG);
    assert_non_null(res);
    assert_true(p11tee_chat_result_incomplete(res));
    assert_true(p11tee_chat_result_e2ee(res));
    assert_true(t.len > 0 && t.len < strlen("echo: stop me after two pieces"));
    json = p11tee_chat_result_json(res);
    assert_non_null(strstr(json, "\"incomplete\": true"));
    free(json);
    p11tee_chat_result_free(res);
    p11tee_client_free(client);
}

static void result_fields(void **state)
{
    p11tee_client *client = client_new(NULL, NULL);
    text t = {.len = 0};
    p11tee_chat_result *res = NULL;
    const p11tee_attestation *a;
    p11tee_check check;
    char *json;

    (void)state;
    assert_int_equal(chat(client, E2EE_MODEL, "fields", &t, &res, NULL), P11TEE_OK);
    assert_memory_equal(p11tee_chat_result_id(res), "chatcmpl-", 9);
    assert_string_equal(p11tee_chat_result_model(res), E2EE_MODEL);
    assert_string_equal(p11tee_chat_result_finish_reason(res), "stop");
    assert_int_equal(p11tee_chat_result_plaintext_fields(res), 0);
    a = p11tee_chat_result_attestation(res);
    assert_int_equal(p11tee_attestation_verdict(a, NULL), P11TEE_OK);
    assert_true(p11tee_attestation_check_count(a) > 20);
    assert_int_equal(p11tee_attestation_check(a, 0, &check), 0);
    assert_int_equal(p11tee_attestation_check(a, 10000, &check), -1);
    assert_string_equal(p11tee_attestation_get(a, "model"), E2EE_MODEL);
    assert_int_equal(strlen(p11tee_attestation_get(a, "nonce")), 64);
    assert_null(p11tee_attestation_get(a, "no-such-field"));
    json = p11tee_chat_result_json(res);
    assert_non_null(strstr(json, "\"content\": \"echo: fields\""));
    assert_non_null(strstr(json, "\"e2ee\": true"));
    free(json);
    p11tee_chat_result_free(res); /* the attestation outlives the client's cache entry */
    p11tee_client_free(client);
}

typedef struct by_choice {
    char text[2][256];
    size_t len[2];
    int other; /* pieces of a choice beyond 1 */
} by_choice;

static int collect_choice(void *userdata, size_t choice, p11tee_field field, const char *s,
                          size_t len, int plaintext)
{
    by_choice *b = userdata;

    (void)plaintext;
    if (field != P11TEE_FIELD_CONTENT)
        return 0;
    if (choice > 1 || b->len[choice] + len >= sizeof(b->text[0])) {
        b->other++;
        return 0;
    }
    memcpy(b->text[choice] + b->len[choice], s, len);
    b->len[choice] += len;
    return 0;
}

/* n = 2: every piece is handed on with the index of its choice; the result keeps both. */
static void choices_by_index(void **state)
{
    static const char req[] = "{\"model\":\"" E2EE_MODEL "\",\"n\":2,\"messages\":[{\"role\":"
                              "\"user\",\"content\":\"two\"}]}";
    static const p11tee_chat_events ev = {.on_text = collect_choice};
    p11tee_client *client = client_new(NULL, NULL);
    p11tee_chat_result *res = NULL;
    by_choice b;
    p11tee_error err;
    size_t len;
    char *json;

    (void)state;
    memset(&b, 0, sizeof(b));
    assert_int_equal(p11tee_chat(client, req, strlen(req), &ev, &b, &res, &err), P11TEE_OK);
    assert_string_equal(b.text[0], "echo: two");
    assert_string_equal(b.text[1], "echo#1: two");
    assert_int_equal(b.other, 0);
    assert_int_equal(p11tee_chat_result_choices(res), 2);
    assert_string_equal(p11tee_chat_result_text(res, 1, P11TEE_FIELD_CONTENT, &len), "echo#1: two");
    assert_int_equal(len, strlen("echo#1: two"));
    assert_string_equal(p11tee_chat_result_text(res, 1, P11TEE_FIELD_REASONING, NULL), "");
    assert_null(p11tee_chat_result_text(res, P11TEE_CHOICES_MAX, P11TEE_FIELD_CONTENT, NULL));
    json = p11tee_chat_result_json(res);
    assert_non_null(strstr(json, "\"content\": \"echo#1: two\""));
    free(json);
    p11tee_chat_result_free(res);
    p11tee_client_free(client);
}

static void config_errors(void **state)
{
    p11tee_config *cfg = p11tee_config_new();
    p11tee_client *client = NULL;
    p11tee_error err;

    (void)state;
    assert_int_equal(p11tee_config_set(cfg, "no-such-option", "1", &err), P11TEE_E_CONFIG);
    assert_int_equal(p11tee_config_set(cfg, "idle-timeout-ms", "-5", &err), P11TEE_E_CONFIG);
    assert_int_equal(p11tee_config_set(cfg, "idle-timeout-ms", "12x", &err), P11TEE_E_CONFIG);
    assert_int_equal(p11tee_config_set(cfg, "allow-plaintext", "yes", &err), P11TEE_E_CONFIG);
    assert_int_equal(p11tee_config_set(cfg, "tee-only", "2", &err), P11TEE_E_CONFIG);
    assert_int_equal(p11tee_config_set(cfg, "base-url", "http://example.com/api", &err), P11TEE_OK);
    assert_int_equal(p11tee_client_new(cfg, &client, &err), P11TEE_E_CONFIG);
    assert_null(client);
    assert_int_equal(p11tee_config_set(cfg, "base-url", NULL, &err), P11TEE_OK);
    assert_int_equal(p11tee_config_set(cfg, "policy-file", "/nonexistent/policy.json", &err),
                     P11TEE_OK);
    assert_int_equal(p11tee_client_new(cfg, &client, &err), P11TEE_E_POLICY_FILE);
    assert_int_equal(p11tee_status_class_of(err.code), P11TEE_CLASS_GENERAL);
    p11tee_config_free(cfg);
    p11tee_config_free(NULL);
    p11tee_client_free(NULL);
    p11tee_attestation_free(NULL);
    p11tee_chat_result_free(NULL);
    p11tee_models_free(NULL);
}

/* Every local setting is checked without a request: the reference server counts none. */
static void config_check(void **state)
{
    p11tee_config *cfg = p11tee_config_new();
    p11tee_error err;
    char pin_file[4096];
    FILE *f;

    (void)state;
    assert_int_equal(p11tee_config_set(cfg, "base-url", test_require_env("REFSERVER_URL"), &err),
                     P11TEE_OK);
    assert_int_equal(p11tee_config_check(cfg, P11TEE_CHECK_API_KEY, &err),
                     P11TEE_E_API_KEY_MISSING);
    assert_int_equal(p11tee_config_check(cfg, 0, &err), P11TEE_OK);
    assert_int_equal(p11tee_config_set(cfg, "api-key", "k", &err), P11TEE_OK);
    assert_int_equal(p11tee_config_check(cfg, P11TEE_CHECK_API_KEY, &err), P11TEE_OK);
    /* The token: not configured, then a module that is missing, then not a PKCS#11 module. */
    assert_int_equal(p11tee_config_check(cfg, P11TEE_CHECK_TOKEN, &err), P11TEE_E_CONFIG);
    assert_int_equal(p11tee_config_set(cfg, "pkcs11-token", "pkcs11:token=x", &err), P11TEE_OK);
    assert_int_equal(p11tee_config_set(cfg, "pkcs11-module", "/nonexistent/module.so", &err),
                     P11TEE_OK);
    assert_int_equal(p11tee_config_check(cfg, P11TEE_CHECK_TOKEN, &err), P11TEE_E_MODULE_LOAD);
    assert_non_null(strstr(err.message, "/nonexistent/module.so"));
    assert_int_equal(p11tee_config_set(cfg, "pkcs11-module", "/dev/null", &err), P11TEE_OK);
    assert_int_equal(p11tee_config_check(cfg, P11TEE_CHECK_TOKEN, &err), P11TEE_E_MODULE_LOAD);
    assert_int_equal(
        p11tee_config_set(cfg, "pkcs11-module", test_require_env("P11TEE_MODULE"), &err),
        P11TEE_OK);
    assert_int_equal(p11tee_config_check(cfg, P11TEE_CHECK_TOKEN, &err), P11TEE_OK);
    /* A pin-source file that others may read, and one that is missing. */
    snprintf(pin_file, sizeof(pin_file), "%s/open-pin", test_require_env("TAP_TMP"));
    f = fopen(pin_file, "w");
    assert_non_null(f);
    fputs("1234\n", f);
    fclose(f);
    assert_int_equal(chmod(pin_file, 0644), 0);
    assert_int_equal(p11tee_config_set(cfg, "pkcs11-token",
                                       "pkcs11:token=x?pin-source=file:/nonexistent/pin", &err),
                     P11TEE_OK);
    assert_int_equal(p11tee_config_check(cfg, P11TEE_CHECK_TOKEN, &err), P11TEE_E_PIN_MISSING);
    {
        char uri[4200];

        snprintf(uri, sizeof(uri), "pkcs11:token=x?pin-source=file:%s", pin_file);
        assert_int_equal(p11tee_config_set(cfg, "pkcs11-token", uri, &err), P11TEE_OK);
    }
    assert_int_equal(p11tee_config_check(cfg, P11TEE_CHECK_TOKEN, &err), P11TEE_E_PIN_MISSING);
    assert_non_null(strstr(err.message, "chmod 600"));
    assert_int_equal(p11tee_config_set(cfg, "pkcs11-token", "pkcs11:token=x;bogus=1", &err),
                     P11TEE_OK);
    assert_int_equal(p11tee_config_check(cfg, P11TEE_CHECK_TOKEN, &err), P11TEE_E_TOKEN_URI);
    /* Files and URLs: the CA file, a proxy with credentials or of another scheme, the policy. */
    assert_int_equal(p11tee_config_set(cfg, "cacert", "/nonexistent/ca.pem", &err), P11TEE_OK);
    assert_int_equal(p11tee_config_check(cfg, 0, &err), P11TEE_E_CONFIG);
    assert_int_equal(p11tee_config_set(cfg, "cacert", NULL, &err), P11TEE_OK);
    assert_int_equal(p11tee_config_set(cfg, "proxy", "http://user:secret@proxy:3128", &err),
                     P11TEE_OK);
    assert_int_equal(p11tee_config_check(cfg, 0, &err), P11TEE_E_CONFIG);
    assert_null(strstr(err.message, "secret"));
    assert_int_equal(p11tee_config_set(cfg, "proxy", "ftp://proxy:21", &err), P11TEE_OK);
    assert_int_equal(p11tee_config_check(cfg, 0, &err), P11TEE_E_CONFIG);
    assert_int_equal(p11tee_config_set(cfg, "proxy", "socks5h://127.0.0.1:1080", &err), P11TEE_OK);
    assert_int_equal(p11tee_config_check(cfg, 0, &err), P11TEE_OK);
    assert_int_equal(p11tee_config_set(cfg, "policy-file", "/nonexistent/policy.json", &err),
                     P11TEE_OK);
    assert_int_equal(p11tee_config_check(cfg, 0, &err), P11TEE_E_POLICY_FILE);
    p11tee_config_free(cfg);
}

typedef struct worker {
    p11tee_client *client;
    int id;
    int ok;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    char prompt[64], want[80];
    int i;

    w->ok = 1;
    for (i = 0; i < 3; i++) {
        text t = {.len = 0};
        p11tee_chat_result *res = NULL;

        snprintf(prompt, sizeof(prompt), "thread %d chat %d", w->id, i);
        snprintf(want, sizeof(want), "echo: %s", prompt);
        if (chat(w->client, E2EE_MODEL, prompt, &t, &res, NULL) != P11TEE_OK ||
            strcmp(t.buf, want) != 0)
            w->ok = 0;
        p11tee_chat_result_free(res);
    }
    return NULL;
}

static void threads(void **state)
{
    counter c;
    p11tee_client *client = client_new(&c, NULL);
    pthread_t tid[4];
    worker w[4];
    int i;

    (void)state;
    expect_answer(client, E2EE_MODEL, "before the threads");
    for (i = 0; i < 4; i++) {
        w[i].client = client;
        w[i].id = i;
        assert_int_equal(pthread_create(&tid[i], NULL, work, &w[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(tid[i], NULL);
        assert_true(w[i].ok);
    }
    assert_int_equal(c.attestations, 1);
    p11tee_client_free(client);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rotation_names_the_new_attestation),
        cmocka_unit_test(session_reuse),
        cmocka_unit_test(session_ttl),
        cmocka_unit_test(refused_before_sending),
        cmocka_unit_test(caller_stops),
        cmocka_unit_test(result_fields),
        cmocka_unit_test(choices_by_index),
        cmocka_unit_test(config_errors),
        cmocka_unit_test(config_check),
        cmocka_unit_test(threads),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
