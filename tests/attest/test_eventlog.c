/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * dstack's event log (src/attest/eventlog.c): both transports, the RTMR3
 * replay against known answers (computed with Python's hashlib), the
 * runtime events' digests, every refusal by its code, and the named events
 * a report shows.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "attest/workload.h"
#include "crypto/crypto.h"
#include "testlib.h"

#define S(x) x, strlen(x)

/* SHA-384(48 zero bytes || 48 zero bytes): one extend of a zero register by a zero digest. */
#define KAT_ZERO_EXTEND                                                                            \
    "f57bb7ed82c6ae4a29e6c9879338c592c7d42a39135583e8ccbe3940f2344b0eb6eb8503db0ffd6a39ddd00cd07d" \
    "8317"
/* dstack's digest of runtime event compose-hash with payload 32 bytes of 0x11. */
#define KAT_COMPOSE_DIGEST                                                                         \
    "fd1232a6a2ed33051c76fa5c6b11a12c8bb3a6b7cececd8d8464c28b4bfa37296c68d731960f92c30966c87b7f99" \
    "2b4c"
/* A zero register extended by that digest. */
#define KAT_COMPOSE_RTMR3                                                                          \
    "11c2c9919e5725cf58c560d4022c1ef048982dcf4414561e9a96b93c9b1b7f0f086a13201302144b91aed8812606" \
    "cdc3"
#define PAYLOAD_11 "1111111111111111111111111111111111111111111111111111111111111111"

/* dstack's runtime-event digest, by this test's own code: SHA-384(type LE : name : payload). */
static void runtime_digest(const char *name, const char *payload_hex, char out[97])
{
    uint8_t payload[EVLOG_PAYLOAD_MAX], md[TDX_MR_BYTES],
        le[4] = {0x01, 0x00, 0x00, 0x08}; /* 0x08000001 */
    size_t plen = 0;
    unsigned mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    assert_non_null(ctx);
    assert_int_equal(hex_decode(S(payload_hex), payload, sizeof(payload), &plen, NULL), P11TEE_OK);
    assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha384(), NULL), 1);
    EVP_DigestUpdate(ctx, le, sizeof(le));
    EVP_DigestUpdate(ctx, ":", 1);
    EVP_DigestUpdate(ctx, name, strlen(name));
    EVP_DigestUpdate(ctx, ":", 1);
    EVP_DigestUpdate(ctx, payload, plen);
    assert_int_equal(EVP_DigestFinal_ex(ctx, md, &mdlen), 1);
    EVP_MD_CTX_free(ctx);
    hex_encode(md, sizeof(md), out, 97);
}

/* One runtime event's JSON (its digest made by runtime_digest() unless `digest` is given). */
static void runtime_event(char *out, size_t n, const char *name, const char *payload_hex,
                          const char *digest)
{
    char d[97];

    if (digest == NULL)
        runtime_digest(name, payload_hex, d);
    snprintf(out, n,
             "{\"imr\":3,\"event_type\":134217729,\"digest\":\"%s\",\"event\":\"%s\","
             "\"event_payload\":\"%s\"}",
             digest != NULL ? digest : d, name, payload_hex);
}

static p11tee_status parse(const char *text, evlog *l, p11tee_error *err)
{
    return evlog_parse(text, strlen(text), l, err);
}

static void expect_replay(const char *text, const char *rtmr3_hex, size_t events)
{
    evlog l;
    p11tee_error err;
    uint8_t rtmr3[TDX_MR_BYTES];
    char hex[2 * TDX_MR_BYTES + 1];
    size_t n = 99;

    assert_int_equal(parse(text, &l, &err), P11TEE_OK);
    assert_int_equal(evlog_replay_rtmr3(&l, rtmr3, &n, &err), P11TEE_OK);
    hex_encode(rtmr3, sizeof(rtmr3), hex, sizeof(hex));
    assert_string_equal(hex, rtmr3_hex);
    assert_int_equal(n, events);
    evlog_free(&l);
}

/* ---- the replay -------------------------------------------------------------------- */

static void replay_known_answers(void **state)
{
    char ev[512], d[97], text[1024];

    (void)state;
    /* An empty log replays to zero. */
    expect_replay("[]",
                  "000000000000000000000000000000000000000000000000"
                  "000000000000000000000000000000000000000000000000",
                  0);
    /* A non-runtime IMR 3 event is extended as it is (its digest is not dstack's to check). */
    snprintf(text, sizeof(text),
             "[{\"imr\":3,\"event_type\":1,\"digest\":\"%096d\",\"event\":\"\"}]", 0);
    expect_replay(text, KAT_ZERO_EXTEND, 1);
    /* dstack's runtime digest, by this test's code, is the known answer. */
    runtime_digest("compose-hash", PAYLOAD_11, d);
    assert_string_equal(d, KAT_COMPOSE_DIGEST);
    runtime_event(ev, sizeof(ev), "compose-hash", PAYLOAD_11, NULL);
    /* Events of other registers do not count, before or after. */
    snprintf(text, sizeof(text),
             "[{\"imr\":0,\"event_type\":2147483651,\"digest\":\"%096d\"},%s,"
             "{\"imr\":1,\"event_type\":1,\"digest\":\"%096d\",\"event_payload\":\"00\"}]",
             0, ev, 0);
    expect_replay(text, KAT_COMPOSE_RTMR3, 1);
}

/* The same events in both transports: a JSON array, or a JSON string holding one. */
static void replay_both_transports(void **state)
{
    char a[512], b[512], arr[1200], str[1400], *q;
    const char *p;
    evlog l1, l2;
    p11tee_error err;

    (void)state;
    runtime_event(a, sizeof(a), "app-id", "0123456789abcdef0123456789abcdef01234567", NULL);
    runtime_event(b, sizeof(b), "key-provider", "7b226e616d65223a226b6d73227d", NULL);
    snprintf(arr, sizeof(arr), "[%s,%s]", a, b);
    q = str;
    *q++ = '"';
    for (p = arr; *p != '\0'; p++) {
        if (*p == '"')
            *q++ = '\\';
        *q++ = *p;
    }
    *q++ = '"';
    *q = '\0';
    assert_int_equal(parse(arr, &l1, &err), P11TEE_OK);
    assert_int_equal(parse(str, &l2, &err), P11TEE_OK);
    assert_int_equal(l1.n, 2);
    assert_true(evlog_equal(&l1, &l2));
    evlog_free(&l1);
    evlog_free(&l2);
}

/* A runtime event whose digest does not cover its name and payload is refused, by name. */
static void replay_refuses_an_uncovered_digest(void **state)
{
    char a[512], b[512], d[97], text[1200];
    evlog l;
    p11tee_error err;
    uint8_t rtmr3[TDX_MR_BYTES];
    size_t n;

    (void)state;
    runtime_event(a, sizeof(a), "app-id", "00", NULL);
    /* the digest of another payload: the payload shown would not be what was measured */
    runtime_digest("compose-hash", "22", d);
    runtime_event(b, sizeof(b), "compose-hash", PAYLOAD_11, d);
    snprintf(text, sizeof(text), "[%s,%s]", a, b);
    assert_int_equal(parse(text, &l, &err), P11TEE_OK);
    assert_int_equal(evlog_replay_rtmr3(&l, rtmr3, &n, &err), P11TEE_E_MEASUREMENT);
    assert_non_null(strstr(err.message, "event 1 (compose-hash)"));
    evlog_free(&l);
    /* the same digest under another name */
    runtime_digest("compose-hash", PAYLOAD_11, d);
    runtime_event(b, sizeof(b), "os-image-hash", PAYLOAD_11, d);
    snprintf(text, sizeof(text), "[%s]", b);
    assert_int_equal(parse(text, &l, &err), P11TEE_OK);
    assert_int_equal(evlog_replay_rtmr3(&l, rtmr3, &n, &err), P11TEE_E_MEASUREMENT);
    assert_non_null(strstr(err.message, "event 0 (os-image-hash)"));
    evlog_free(&l);
}

/* ---- refusals -------------------------------------------------------------------- */

static void parse_refusals(void **state)
{
    static const struct {
        const char *text;
        p11tee_status code;
        const char *part;
    } cases[] = {
        {"[", P11TEE_E_JSON, NULL},
        {"{}", P11TEE_E_JSON_FIELD, "not a list of events"},
        {"\"{}\"", P11TEE_E_JSON_FIELD, "not a list of events"},
        {"[1]", P11TEE_E_JSON_FIELD, "entry 0 is not an object"},
        {"[{\"imr\":4}]", P11TEE_E_JSON_FIELD, "entry 0: imr 4 is out of range"},
        {"[{\"imr\":-1}]", P11TEE_E_JSON_FIELD, "imr -1 is out of range"},
        {"[{\"imr\":\"3\"}]", P11TEE_E_JSON_FIELD, "imr"},
        {"[{\"imr\":3,\"event_type\":4294967296}]", P11TEE_E_JSON_FIELD, "event_type"},
        {"[{\"imr\":3,\"digest\":\"zz\"}]", P11TEE_E_JSON_FIELD, "digest is not hex"},
        {"[{\"imr\":3,\"digest\":\"abc\"}]", P11TEE_E_JSON_FIELD, "digest is not hex"},
        {"[{\"imr\":3,\"event\":5}]", P11TEE_E_JSON_FIELD, "event"},
        {"[{\"imr\":3},{\"imr\":3,\"event_payload\":\"0g\"}]", P11TEE_E_JSON_FIELD,
         "entry 1: event_payload is not hex"},
    };
    size_t i;
    evlog l;
    p11tee_error err;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(cases); i++) {
        assert_int_equal(parse(cases[i].text, &l, &err), cases[i].code);
        if (cases[i].part != NULL && strstr(err.message, cases[i].part) == NULL)
            fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].text, err.message, cases[i].part);
        assert_null(l.ev);
        assert_null(l.root);
    }
}

static void parse_bounds(void **state)
{
    size_t i, n = EVLOG_EVENTS_MAX + 1, cap = 16 * n + 16, len = 0;
    char *text = malloc(cap), *big;
    evlog l;
    p11tee_error err;

    (void)state;
    assert_non_null(text);
    /* one event more than allowed */
    text[len++] = '[';
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s{\"imr\":0}", i ? "," : "");
    text[len++] = ']';
    text[len] = '\0';
    assert_int_equal(parse(text, &l, &err), P11TEE_E_TOO_LARGE);
    /* exactly the bound parses */
    memcpy(strrchr(text, ','), "]", 2);
    assert_int_equal(parse(text, &l, &err), P11TEE_OK);
    assert_int_equal(l.n, EVLOG_EVENTS_MAX);
    evlog_free(&l);
    free(text);
    /* a digest longer than SHA-384, a payload beyond its bound */
    assert_int_equal(parse("[{\"imr\":3,\"digest\":\"" PAYLOAD_11 PAYLOAD_11 "\"}]", &l, &err),
                     P11TEE_E_JSON_FIELD);
    big = malloc(2 * EVLOG_PAYLOAD_MAX + 64);
    assert_non_null(big);
    len = (size_t)sprintf(big, "[{\"imr\":3,\"event_payload\":\"");
    memset(big + len, 'a', 2 * EVLOG_PAYLOAD_MAX + 2);
    strcpy(big + len + 2 * EVLOG_PAYLOAD_MAX + 2, "\"}]");
    assert_int_equal(parse(big, &l, &err), P11TEE_E_JSON_FIELD);
    free(big);
    /* more text than a log may be */
    big = malloc(EVLOG_TEXT_MAX + 8);
    assert_non_null(big);
    memset(big, ' ', EVLOG_TEXT_MAX + 4);
    big[0] = '[';
    strcpy(big + EVLOG_TEXT_MAX + 2, "]");
    assert_int_equal(evlog_parse(big, strlen(big), &l, &err), P11TEE_E_TOO_LARGE);
    free(big);
}

/* A SHA-256 digest (32 bytes) is zero-padded to 48, as dstack replays it. */
static void short_digest_is_padded(void **state)
{
    char text[256];
    evlog l;
    p11tee_error err;

    (void)state;
    snprintf(text, sizeof(text), "[{\"imr\":3,\"event_type\":1,\"digest\":\"%064d\"}]", 0);
    expect_replay(text, KAT_ZERO_EXTEND, 1);
    assert_int_equal(parse(text, &l, &err), P11TEE_OK);
    assert_memory_equal(l.ev[0].digest, (uint8_t[TDX_MR_BYTES]){0}, TDX_MR_BYTES);
    evlog_free(&l);
}

/* ---- equality and the named events ------------------------------------------------- */

static void equality(void **state)
{
    char a[512], b[512], t1[1200], t2[1200];
    evlog l1, l2;
    p11tee_error err;

    (void)state;
    runtime_event(a, sizeof(a), "app-id", "00", NULL);
    runtime_event(b, sizeof(b), "instance-id", "01", NULL);
    snprintf(t1, sizeof(t1), "[%s,%s]", a, b);
    snprintf(t2, sizeof(t2), "[%s,%s]", b, a);
    assert_int_equal(parse(t1, &l1, &err), P11TEE_OK);
    assert_int_equal(parse(t2, &l2, &err), P11TEE_OK);
    assert_false(evlog_equal(&l1, &l2)); /* order matters */
    evlog_free(&l2);
    snprintf(t2, sizeof(t2), "[%s]", a);
    assert_int_equal(parse(t2, &l2, &err), P11TEE_OK);
    assert_false(evlog_equal(&l1, &l2)); /* so does the count */
    evlog_free(&l2);
    runtime_event(b, sizeof(b), "instance-id", "02", NULL);
    snprintf(t2, sizeof(t2), "[%s,%s]", a, b);
    assert_int_equal(parse(t2, &l2, &err), P11TEE_OK);
    assert_false(evlog_equal(&l1, &l2)); /* and the payload */
    evlog_free(&l2);
    assert_true(evlog_equal(&l1, &l1));
    evlog_free(&l1);
}

static void named_events(void **state)
{
    char a[512], b[512], c[512], d[512], dd[97], text[2400], out[ATTEST_EVENT_TEXT_MAX];
    evlog l;
    p11tee_error err;

    (void)state;
    runtime_event(a, sizeof(a), "compose-hash", "AA" PAYLOAD_11, NULL);
    runtime_event(b, sizeof(b), "key-provider", "7b226e616d65223a226b6d73227d", NULL);
    runtime_event(c, sizeof(c), "compose-hash", PAYLOAD_11, NULL);
    /* the same name in another register is not an RTMR3 event */
    runtime_digest("app-id", "99", dd);
    snprintf(d, sizeof(d),
             "{\"imr\":2,\"event_type\":134217729,\"digest\":\"%s\",\"event\":\"app-id\","
             "\"event_payload\":\"99\"}",
             dd);
    snprintf(text, sizeof(text), "[%s,%s,%s,%s]", a, b, c, d);
    assert_int_equal(parse(text, &l, &err), P11TEE_OK);
    evlog_event_text(&l, "compose-hash", out); /* the last one, in lowercase hex */
    assert_string_equal(out, PAYLOAD_11);
    evlog_event_text(&l, "key-provider", out); /* JSON text is shown as text */
    assert_string_equal(out, "{\"name\":\"kms\"}");
    evlog_event_text(&l, "app-id", out);
    assert_string_equal(out, "");
    evlog_event_text(&l, "instance-id", out);
    assert_string_equal(out, "");
    evlog_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replay_known_answers),
        cmocka_unit_test(replay_both_transports),
        cmocka_unit_test(replay_refuses_an_uncovered_digest),
        cmocka_unit_test(parse_refusals),
        cmocka_unit_test(parse_bounds),
        cmocka_unit_test(short_digest_is_padded),
        cmocka_unit_test(equality),
        cmocka_unit_test(named_events),
    };

    return TEST_MAIN(tests, NULL, NULL);
}
