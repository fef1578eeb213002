/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The API layer's rules without a network: the chat routing rule, the
 * TEE-only request, the servers' errors by type and text, and single flights.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/flow.h"
#include "testlib.h"

#define S(x) x, strlen(x)

/* The capability flags may upgrade a chat to E2EE, never downgrade it; tee-only is asked for. */
static void chat_route_upgrades_never_downgrades(void **state)
{
    static const struct {
        const char *model;
        int flag_e2ee, flag_tee, require_e2ee, tee_only;
        p11tee_status rc;
        api_chat_mode mode;
        const char *why; /* in the message of a refusal */
    } cases[] = {
        {"e2ee-qwen", 1, 1, 0, 0, P11TEE_OK, API_CHAT_E2EE, NULL},
        /* listed as TEE only: a model named e2ee-* is never sent in the clear */
        {"e2ee-qwen", 0, 1, 0, 0, P11TEE_E_MODEL_NO_E2EE, 0, "never used in the clear"},
        {"e2ee-qwen", 0, 1, 1, 0, P11TEE_E_MODEL_NO_E2EE, 0, "E2EE is required"},
        {"e2ee-qwen", 0, 0, 0, 0, P11TEE_E_MODEL_NO_TEE, 0, "attested enclave"},
        {"tee-llama", 0, 1, 0, 0, P11TEE_OK, API_CHAT_TEE, NULL},
        /* the flags upgrade: E2EE whatever the name, and E2EE implies the enclave */
        {"tee-llama", 1, 1, 0, 0, P11TEE_OK, API_CHAT_E2EE, NULL},
        {"tee-llama", 1, 0, 0, 0, P11TEE_OK, API_CHAT_E2EE, NULL},
        {"tee-llama", 1, 1, 1, 0, P11TEE_OK, API_CHAT_E2EE, NULL},
        /* require-e2ee refuses every model that is not E2EE */
        {"tee-llama", 0, 1, 1, 0, P11TEE_E_MODEL_NO_E2EE, 0, "E2EE is required"},
        {"llama-3.2-3b", 0, 0, 0, 0, P11TEE_E_MODEL_NO_TEE, 0, "attested enclave"},
        {"llama-3.2-3b", 0, 0, 1, 0, P11TEE_E_MODEL_NO_TEE, 0, "attested enclave"},
        /* only the prefix "e2ee-" names an E2EE model; no prefix names a TEE one */
        {"e2ee", 0, 1, 0, 0, P11TEE_OK, API_CHAT_TEE, NULL},
        {"my-e2ee-model", 0, 1, 0, 0, P11TEE_OK, API_CHAT_TEE, NULL},
        {"qwen-in-an-enclave", 0, 1, 0, 0, P11TEE_OK, API_CHAT_TEE, NULL},
        {"tee-but-not-really", 0, 0, 0, 0, P11TEE_E_MODEL_NO_TEE, 0, "attested enclave"},
        /* tee-only: the one way an E2EE model sees a prompt in the clear, asked for */
        {"e2ee-qwen", 1, 1, 0, 1, P11TEE_OK, API_CHAT_TEE_ONLY, NULL},
        {"e2ee-qwen", 0, 1, 0, 1, P11TEE_OK, API_CHAT_TEE_ONLY, NULL},
        {"tee-llama", 0, 1, 0, 1, P11TEE_OK, API_CHAT_TEE_ONLY, NULL},
        {"llama-3.2-3b", 0, 0, 0, 1, P11TEE_E_MODEL_NO_TEE, 0, "attested enclave"},
        {"e2ee-qwen", 1, 1, 1, 1, P11TEE_E_CONFIG, 0, "contradict"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        api_route_options ro = {cases[i].require_e2ee, cases[i].tee_only};
        api_chat_mode mode = (api_chat_mode)0;
        p11tee_error err;

        p11tee_error_clear(&err);
        print_message("# case %zu: %s e2ee=%d tee=%d require=%d tee-only=%d\n", i, cases[i].model,
                      cases[i].flag_e2ee, cases[i].flag_tee, cases[i].require_e2ee,
                      cases[i].tee_only);
        assert_int_equal(
            api_chat_route(cases[i].model, cases[i].flag_e2ee, cases[i].flag_tee, &ro, &mode, &err),
            cases[i].rc);
        if (cases[i].rc == P11TEE_OK) {
            assert_int_equal(mode, cases[i].mode);
            continue;
        }
        assert_int_equal(err.code, cases[i].rc);
        if (cases[i].rc != P11TEE_E_CONFIG)
            assert_non_null(strstr(err.message, cases[i].model));
        assert_non_null(strstr(err.message, cases[i].why));
    }
}

/* A TEE-only request says enable_e2ee false, keeping the caller's other parameters. */
static void tee_only_request(void **state)
{
    const char *req = "{\"model\":\"e2ee-x\",\"messages\":[{\"role\":\"user\",\"content\":"
                      "\"hi\"}],\"venice_parameters\":{\"enable_e2ee\":true,\"x\":1}}";
    char *out = NULL;
    size_t n = 0;
    p11tee_error err;

    (void)state;
    assert_int_equal(api_tee_only_request(req, strlen(req), &out, &n, &err), P11TEE_OK);
    assert_string_equal(out, "{\"model\":\"e2ee-x\",\"messages\":[{\"role\":\"user\",\"content\":"
                             "\"hi\"}],\"venice_parameters\":{\"enable_e2ee\":false,\"x\":1}}");
    assert_int_equal(n, strlen(out));
    free(out);
    req = "{\"model\":\"m\",\"messages\":[]}";
    assert_int_equal(api_tee_only_request(req, strlen(req), &out, &n, &err), P11TEE_OK);
    assert_string_equal(out, "{\"model\":\"m\",\"messages\":[],\"venice_parameters\":{"
                             "\"enable_e2ee\":false}}");
    free(out);
    req = "{\"model\":\"m\",\"venice_parameters\":[]}";
    assert_int_equal(api_tee_only_request(req, strlen(req), &out, &n, &err), P11TEE_E_INVALID_ARG);
    assert_null(out);
}

/* The servers' error texts and types (PROTOCOL.md section 4) and what each becomes. */
static void server_errors(void **state)
{
    static const struct {
        const char *text, *type;
        api_server_error kind;
        p11tee_status rc;
    } cases[] = {
        {"X-Model-Pub-Key does not match this ACI service", NULL, API_SERR_KEY_MISMATCH,
         P11TEE_E_E2EE_MODEL_KEY_MISMATCH},
        {"X-Model-Pub-Key does not match this proxy instance", NULL, API_SERR_KEY_MISMATCH,
         P11TEE_E_E2EE_MODEL_KEY_MISMATCH},
        {"the key changed", "e2ee_model_key_mismatch", API_SERR_KEY_MISMATCH,
         P11TEE_E_E2EE_MODEL_KEY_MISMATCH},
        {"TEE model public key mismatch: re-attest", NULL, API_SERR_KEY_MISMATCH,
         P11TEE_E_E2EE_MODEL_KEY_MISMATCH},
        {"Encrypted field is not valid hex", NULL, API_SERR_E2EE_DECRYPT, P11TEE_E_E2EE_REFUSED},
        {"Encrypted message content must be hex-encoded", "invalid_e2ee_request",
         API_SERR_E2EE_DECRYPT, P11TEE_E_E2EE_REFUSED},
        {"bad", "e2ee_decryption_failed", API_SERR_E2EE_DECRYPT, P11TEE_E_E2EE_REFUSED},
        {"E2EE decryption failed", NULL, API_SERR_E2EE_DECRYPT, P11TEE_E_E2EE_REFUSED},
        {"Failed to decrypt field", NULL, API_SERR_E2EE_DECRYPT, P11TEE_E_E2EE_REFUSED},
        {"Decryption failed", NULL, API_SERR_E2EE_DECRYPT, P11TEE_E_E2EE_REFUSED},
        {"Invalid public key", NULL, API_SERR_E2EE_HEADER, P11TEE_E_E2EE_REFUSED},
        {"invalid E2EE public key", NULL, API_SERR_E2EE_HEADER, P11TEE_E_E2EE_REFUSED},
        {"missing E2EE header", NULL, API_SERR_E2EE_HEADER, P11TEE_E_E2EE_REFUSED},
        {"invalid E2EE version", NULL, API_SERR_E2EE_HEADER, P11TEE_E_E2EE_REFUSED},
        {"E2EE requires streaming", NULL, API_SERR_E2EE_STREAMING, P11TEE_E_E2EE_REFUSED},
        {"Nonce must be exactly 32 bytes", NULL, API_SERR_NONCE, P11TEE_E_ATTEST_UNAVAILABLE},
        {"Nonce must be 32 bytes", NULL, API_SERR_NONCE, P11TEE_E_ATTEST_UNAVAILABLE},
        {"receipt id chatcmpl-1 not found or expired", NULL, API_SERR_RECEIPT_GONE, P11TEE_E_HTTP},
        {"Internal server error", NULL, API_SERR_OTHER, P11TEE_E_NET},
    };
    size_t i;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(cases); i++) {
        p11tee_error err;

        p11tee_error_clear(&err);
        assert_int_equal(api_classify_error(cases[i].text, cases[i].type), cases[i].kind);
        assert_int_equal(
            api_server_error_set(cases[i].kind, 400, cases[i].text, P11TEE_E_NET, &err),
            cases[i].rc);
        if (cases[i].kind == API_SERR_OTHER) {
            assert_int_equal(err.code, P11TEE_OK); /* left as it was */
            continue;
        }
        assert_int_equal(err.code, cases[i].rc);
        assert_non_null(strstr(err.message, cases[i].text));
        assert_non_null(strstr(err.message, "HTTP 400"));
        assert_non_null(strchr(err.message, ':')); /* ... what to do after the colon */
    }
    assert_int_equal(api_classify_error(NULL, NULL), API_SERR_OTHER);
}

/* N threads join one flight; the leader lands only once all of them hold it. */
#define FLIGHT_THREADS 8

typedef struct flight_case {
    p11tee_client c; /* only the lock, the condition and the flight list are used */
    pthread_cond_t joined;
    p11tee_status land_rc;
    void *land_result;
    int leaders;
    int leftovers; /* results handed back by the last holder */
    p11tee_status rc[FLIGHT_THREADS];
    char message[FLIGHT_THREADS][P11TEE_ERROR_MESSAGE_MAX];
    void *result[FLIGHT_THREADS];
} flight_case;

typedef struct flight_arg {
    flight_case *fc;
    int i;
} flight_arg;

static void *flight_thread(void *p)
{
    flight_arg *a = p;
    flight_case *fc = a->fc;
    api_flight *f;
    p11tee_error err;
    int lead = 0;

    p11tee_error_clear(&err);
    pthread_mutex_lock(&fc->c.lock);
    f = api_flight_join_locked(&fc->c, "session:1:m", &lead);
    assert_non_null(f);
    pthread_cond_broadcast(&fc->joined);
    if (lead) {
        fc->leaders++;
        while (f->holders < FLIGHT_THREADS)
            pthread_cond_wait(&fc->joined, &fc->c.lock);
        err_set(&err, fc->land_rc, "the leader's own words");
        api_flight_land_locked(&fc->c, f, fc->land_rc, &err, fc->land_result);
    }
    api_flight_wait_locked(&fc->c, f);
    fc->rc[a->i] = api_flight_status_locked(f, &err);
    snprintf(fc->message[a->i], sizeof(fc->message[0]), "%s", err.message);
    fc->result[a->i] = f->result;
    if (api_flight_leave_locked(f) != NULL)
        fc->leftovers++;
    pthread_mutex_unlock(&fc->c.lock);
    return NULL;
}

static void flight_run(flight_case *fc)
{
    pthread_t tid[FLIGHT_THREADS];
    flight_arg args[FLIGHT_THREADS];
    int i;

    fc->leaders = fc->leftovers = 0;
    for (i = 0; i < FLIGHT_THREADS; i++) {
        args[i].fc = fc;
        args[i].i = i;
        assert_int_equal(pthread_create(&tid[i], NULL, flight_thread, &args[i]), 0);
    }
    for (i = 0; i < FLIGHT_THREADS; i++)
        pthread_join(tid[i], NULL);
}

static void flight_shares_one_outcome(void **state)
{
    static int token;
    flight_case *fc = calloc(1, sizeof(*fc));
    int i;

    (void)state;
    assert_non_null(fc);
    pthread_mutex_init(&fc->c.lock, NULL);
    pthread_cond_init(&fc->c.landed, NULL);
    pthread_cond_init(&fc->joined, NULL);

    /* A failure reaches every holder, with the leader's message. */
    fc->land_rc = P11TEE_E_QUOTE_SIGNATURE;
    fc->land_result = NULL;
    flight_run(fc);
    assert_int_equal(fc->leaders, 1);
    for (i = 0; i < FLIGHT_THREADS; i++) {
        assert_int_equal(fc->rc[i], P11TEE_E_QUOTE_SIGNATURE);
        assert_string_equal(fc->message[i], "the leader's own words");
    }
    /* ... and is not kept: the landed flight left the list, the next caller leads anew. */
    assert_null(fc->c.flights);

    /* A success: every holder sees the result, and the last one hands it back once. */
    fc->land_rc = P11TEE_OK;
    fc->land_result = &token;
    flight_run(fc);
    assert_int_equal(fc->leaders, 1);
    assert_int_equal(fc->leftovers, 1);
    for (i = 0; i < FLIGHT_THREADS; i++) {
        assert_int_equal(fc->rc[i], P11TEE_OK);
        assert_ptr_equal(fc->result[i], &token);
    }
    assert_null(fc->c.flights);
    pthread_cond_destroy(&fc->joined);
    pthread_cond_destroy(&fc->c.landed);
    pthread_mutex_destroy(&fc->c.lock);
    free(fc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chat_route_upgrades_never_downgrades),
        cmocka_unit_test(tee_only_request),
        cmocka_unit_test(server_errors),
        cmocka_unit_test(flight_shares_one_outcome),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
