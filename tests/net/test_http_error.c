/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The pure text helpers of the transfer layer: printable, bounded, redacted
 * copies of untrusted bytes, and non-2xx bodies turned into the server's
 * own error message.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "net/net.h"
#include "testlib.h"

#define SECRET "sk-live-abcdef123456"

static void printable_lines(void **state)
{
    static const struct {
        const char *in;
        size_t cap;
        const char *out;
    } cases[] = {
        {"plain text", 64, "plain text"},
        {"  \r\n lead and\t\ttrail \n", 64, "lead and trail"},
        {"ctl\x01\x1b[31m\x7f\xc3\xa9.", 64, "ctl??[31m???."},
        {"key " SECRET " end", 64, "key [REDACTED] end"},
        {SECRET SECRET, 64, "[REDACTED][REDACTED]"},
        {"cut sk-live-ab", 64, "cut [REDACTED]"}, /* a cut-off tail of the key */
        {"short sk-li", 64, "short sk-li"},       /* too short to be the key's tail */
        {"0123456789abcdef", 11, "0123456..."},   /* truncated, marked */
        {"0123456789", 11, "0123456789"},         /* fits exactly */
        {"abcdef", 4, "abc"},                     /* too small for the marker */
        {"", 8, ""},
    };
    char out[64];
    size_t i;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(cases); i++) {
        memset(out, 'Z', sizeof(out));
        net_printable(out, cases[i].cap, cases[i].in, strlen(cases[i].in), SECRET);
        assert_string_equal(out, cases[i].out);
    }
    net_printable(out, sizeof(out), "nothing secret", 14, NULL);
    assert_string_equal(out, "nothing secret");
    /* Bytes past inlen are never read; NUL inside is just another byte. */
    net_printable(out, sizeof(out), "a\0b", 3, NULL);
    assert_string_equal(out, "a?b");
}

static void error_bodies(void **state)
{
    static const struct {
        long status;
        const char *body;
        p11tee_status rc;
        const char *message, *text, *detail;
    } cases[] = {
        {400, "{\"error\": \"E2EE requires streaming\"}", P11TEE_E_HTTP,
         "server answered HTTP 400: E2EE requires streaming", "E2EE requires streaming", ""},
        {400, "{\"error\": {\"message\": \"Invalid public key\", \"details\": [1]}}", P11TEE_E_HTTP,
         "server answered HTTP 400: Invalid public key", "Invalid public key", "details: [1]"},
        {404, "{\"message\": \"Model not found\"}", P11TEE_E_HTTP,
         "server answered HTTP 404: Model not found", "Model not found", ""},
        {401, "{\"error\": \"bad key " SECRET "\"}", P11TEE_E_HTTP_UNAUTHORIZED,
         "server answered HTTP 401: bad key [REDACTED]; check the API key", "bad key [REDACTED]",
         ""},
        /* Not the expected JSON: a printable excerpt of the body. */
        {500, "{\"error\": 5}", P11TEE_E_HTTP, "server answered HTTP 500: {\"error\": 5}",
         "{\"error\": 5}", ""},
        {500, "{\"error\": {\"code\": 7}}", P11TEE_E_HTTP,
         "server answered HTTP 500: {\"error\": {\"code\": 7}}", "{\"error\": {\"code\": 7}}", ""},
        {502, "{\"error\": \"x\"} trailing", P11TEE_E_HTTP,
         "server answered HTTP 502: {\"error\": \"x\"} trailing", "{\"error\": \"x\"} trailing",
         ""},
        {500, "{\"error\": \"\"}", P11TEE_E_HTTP,
         "server answered HTTP 500 without an error message", "", ""},
        {403, "", P11TEE_E_HTTP_UNAUTHORIZED,
         "server answered HTTP 403 without an error message; check the API key", "", ""},
        {301, "Moved", P11TEE_E_HTTP, "server answered HTTP 301: Moved", "Moved", ""},
    };
    char text[NET_ERROR_TEXT_MAX];
    p11tee_error err;
    size_t i;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(cases); i++) {
        assert_int_equal(net_http_error(cases[i].status, cases[i].body, strlen(cases[i].body),
                                        SECRET, text, sizeof(text), &err),
                         cases[i].rc);
        assert_int_equal(err.code, cases[i].rc);
        assert_string_equal(err.message, cases[i].message);
        assert_string_equal(text, cases[i].text);
        assert_string_equal(err.detail, cases[i].detail);
    }
}

static void long_error_text_keeps_the_hint(void **state)
{
    char body[600], text[NET_ERROR_TEXT_MAX];
    p11tee_error err;
    size_t n;

    (void)state;
    memset(body, 'e', sizeof(body));
    assert_int_equal(net_http_error(401, body, sizeof(body), NULL, text, sizeof(text), &err),
                     P11TEE_E_HTTP_UNAUTHORIZED);
    assert_int_equal(strlen(text), NET_ERROR_TEXT_MAX - 1);
    n = strlen(err.message);
    assert_true(n < P11TEE_ERROR_MESSAGE_MAX - 1);
    assert_string_equal(err.message + n - strlen("; check the API key"), "; check the API key");
}

/* A key of the shape that JSON escaping and base64 make interesting. */
#define SLASHKEY "vk-abc/DEF+ghi=jk/Lm"

/*
 * A server that echoes the key may spell it so that a search for the bytes
 * misses it: '/' escaped by JSON, \u escapes, percent-encoding, whitespace or
 * controls between its characters. A reader still sees the key: redacted.
 */
static void hidden_spellings_are_redacted(void **state)
{
    static const char *const spellings[] = {
        "vk-abc\\/DEF+ghi=jk\\/Lm",     "vk-abc\\u002fDEF\\u002Bghi\\u003djk/Lm",
        "vk-abc%2FDEF%2Bghi%3Djk%2fLm", "v k - a b c / D E F + g h i = j k / L m",
        "vk-abc/\n DEF+ghi=\\njk/Lm",   "vk-abc/\x01\x1b DEF+ghi\t=jk/Lm",
        "vk-abc\\/\\nDEF+ghi=jk\\/Lm",  "vk-abc/DEF+gh", /* a cut-off start at the end */
    };
    char in[128], out[128];
    size_t i;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(spellings); i++) {
        snprintf(in, sizeof(in), "echo [%s] end", spellings[i]);
        if (i == P11TEE_ARRAY_LEN(spellings) - 1)
            snprintf(in, sizeof(in), "echo %s", spellings[i]);
        net_printable(out, sizeof(out), in, strlen(in), SLASHKEY);
        if (i == P11TEE_ARRAY_LEN(spellings) - 1)
            assert_string_equal(out, "echo [REDACTED]");
        else
            assert_string_equal(out, "echo [[REDACTED]] end");
    }
    /* Near misses stay: another character in the middle, or too short a tail. */
    net_printable(out, sizeof(out), "vk-abc/DEF+gXi=jk/Lm vk-ab", 26, SLASHKEY);
    assert_string_equal(out, "vk-abc/DEF+gXi=jk/Lm vk-ab");
}

/* details are serialised for the message: the key must go before, or JSON hides its '/'. */
static void details_are_redacted_before_serialising(void **state)
{
    static const char body[] = "{\"error\": {\"message\": \"denied\", \"details\": "
                               "{\"key\": \"" SLASHKEY "\", \"" SLASHKEY "\": [\"x " SLASHKEY
                               "\"], \"path\": \"/v1/x\"}}}";
    char text[NET_ERROR_TEXT_MAX];
    p11tee_error err;

    (void)state;
    assert_int_equal(net_http_error(403, body, strlen(body), SLASHKEY, text, sizeof(text), &err),
                     P11TEE_E_HTTP_UNAUTHORIZED);
    assert_string_equal(err.message, "server answered HTTP 403: denied; check the API key");
    assert_string_equal(err.detail,
                        "details: {\"key\":\"[REDACTED]\",\"path\":\"/v1/x\",\"[REDACTED]\":"
                        "[\"x [REDACTED]\"]}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(printable_lines),
        cmocka_unit_test(error_bodies),
        cmocka_unit_test(long_error_text_keeps_the_hint),
        cmocka_unit_test(hidden_spellings_are_redacted),
        cmocka_unit_test(details_are_redacted_before_serialising),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
