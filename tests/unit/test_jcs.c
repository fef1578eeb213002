/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* RFC 8785 canonical JSON: the RFC's own examples, and the edges of each rule. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "testlib.h"

static char *canon(const char *json)
{
    json_object *root = NULL;
    p11tee_error err;
    bytebuf b;
    char *out;

    assert_int_equal(sjson_parse(json, strlen(json), SJSON_DOC_MAX, "test", &root, &err),
                     P11TEE_OK);
    bytebuf_init(&b, 1 << 20);
    if (jcs_write(root, &b, &err) != P11TEE_OK)
        fail_msg("jcs_write: %s", err.message);
    out = strndup((const char *)b.data, b.len);
    bytebuf_free(&b);
    json_object_put(root);
    return out;
}

static void expect(const char *json, const char *want)
{
    char *got = canon(json);

    if (strcmp(got, want) != 0)
        fail_msg("canonical form of %s\n  got  %s\n  want %s", json, got, want);
    free(got);
}

/* RFC 8785 section 3.2.2: whitespace, numbers, string escapes, member order. */
static void rfc_section_3_2_2(void **state)
{
    (void)state;
    expect("{\n"
           "  \"numbers\": [333333333.33333329, 1E30, 4.50,\n"
           "              2e-3, 0.000000000000000000000000001],\n"
           "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
           "  \"literals\": [null, true, false]\n"
           "}",
           "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
           "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

/* RFC 8785 section 3.2.3: names sorted by UTF-16 code units (an emoji before U+FB33). */
static void rfc_section_3_2_3(void **state)
{
    (void)state;
    expect("{\n"
           "  \"\\u20ac\": \"Euro Sign\",\n"
           "  \"\\r\": \"Carriage Return\",\n"
           "  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n"
           "  \"1\": \"One\",\n"
           "  \"\\ud83d\\ude00\": \"Emoji: Grinning Face\",\n"
           "  \"\\u0080\": \"Control\",\n"
           "  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"\n"
           "}",
           "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
           "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
           "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
           "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

/* RFC 8785 appendix B: IEEE 754 bit patterns and the text each must become. */
static void rfc_appendix_b(void **state)
{
    static const struct {
        uint64_t bits;
        const char *want;
    } samples[] = {
        {0x0000000000000000ull, "0"},
        {0x8000000000000000ull, "0"},
        {0x0000000000000001ull, "5e-324"},
        {0x8000000000000001ull, "-5e-324"},
        {0x7fefffffffffffffull, "1.7976931348623157e+308"},
        {0xffefffffffffffffull, "-1.7976931348623157e+308"},
        {0x4340000000000000ull, "9007199254740992"},
        {0xc340000000000000ull, "-9007199254740992"},
        {0x4430000000000000ull, "295147905179352830000"},
        {0x44b52d02c7e14af5ull, "9.999999999999997e+22"},
        {0x44b52d02c7e14af6ull, "1e+23"},
        {0x44b52d02c7e14af7ull, "1.0000000000000001e+23"},
        {0x444b1ae4d6e2ef4eull, "999999999999999700000"},
        {0x444b1ae4d6e2ef4full, "999999999999999900000"},
        {0x444b1ae4d6e2ef50ull, "1e+21"},
        {0x3eb0c6f7a0b5ed8cull, "9.999999999999997e-7"},
        {0x3eb0c6f7a0b5ed8dull, "0.000001"},
        {0x41b3de4355555553ull, "333333333.3333332"},
        {0x41b3de4355555554ull, "333333333.33333325"},
        {0x41b3de4355555555ull, "333333333.3333333"},
        {0x41b3de4355555556ull, "333333333.3333334"},
        {0x41b3de4355555557ull, "333333333.33333343"},
        {0xbecbf647612f3696ull, "-0.0000033333333333333333"},
        {0x43143ff3c1cb0959ull, "1424953923781206.2"},
    };
    static const uint64_t refused[] = {0x7fff000000000000ull, 0x7ff0000000000000ull,
                                       0xfff0000000000000ull};
    char out[JCS_NUMBER_MAX];
    size_t i;
    double d;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(samples); i++) {
        memcpy(&d, &samples[i].bits, sizeof(d));
        assert_int_equal(jcs_format_double(d, out), (int)strlen(samples[i].want));
        if (strcmp(out, samples[i].want) != 0)
            fail_msg("%016llx: got %s, want %s", (unsigned long long)samples[i].bits, out,
                     samples[i].want);
    }
    for (i = 0; i < P11TEE_ARRAY_LEN(refused); i++) {
        memcpy(&d, &refused[i], sizeof(d));
        assert_int_equal(jcs_format_double(d, out), -1);
    }
}

/* The boundaries between the four ECMAScript number forms. */
static void number_forms(void **state)
{
    static const struct {
        double x;
        const char *want;
    } cases[] = {
        {1, "1"},
        {-1, "-1"},
        {100, "100"},
        {1e20, "100000000000000000000"},
        {1e21, "1e+21"},
        {123e20, "1.23e+22"},
        {0.5, "0.5"},
        {123.456, "123.456"},
        {1e-6, "0.000001"},
        {1.5e-6, "0.0000015"},
        {1e-7, "1e-7"},
        {1.25e-7, "1.25e-7"},
        {0.1, "0.1"},
        {0.30000000000000004, "0.30000000000000004"},
        {4.35, "4.35"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"},
        {9007199254740993.0, "9007199254740992"},
    };
    char out[JCS_NUMBER_MAX];
    size_t i;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(cases); i++) {
        jcs_format_double(cases[i].x, out);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("%.17g: got %s, want %s", cases[i].x, out, cases[i].want);
    }
}

/* Any finite double reads back exactly from its text. */
static void numbers_round_trip(void **state)
{
    char out[JCS_NUMBER_MAX];
    int i;

    (void)state;
    for (i = 0; i < 200000; i++) {
        uint64_t bits;
        double x;

        test_random(&bits, sizeof(bits));
        memcpy(&x, &bits, sizeof(x));
        if (!isfinite(x))
            continue;
        assert_true(jcs_format_double(x, out) > 0);
        if (strtod(out, NULL) != x && !(x == 0 && strtod(out, NULL) == 0))
            fail_msg("%016llx printed as %s, which reads back as %.17g", (unsigned long long)bits,
                     out, strtod(out, NULL));
    }
}

/* JSON integers are numbers too: they print as the double they denote. */
static void integers_as_doubles(void **state)
{
    (void)state;
    expect("[0,-0,1,-1,9007199254740993,9223372036854775807,9223372036854775808,"
           "-9223372036854775807,123456789012345678]",
           "[0,0,1,-1,9007199254740992,9223372036854776000,9223372036854776000,"
           "-9223372036854776000,123456789012345680]");
    expect("[-0.0,1.0,1.5e3,1E-7,5e-324]", "[0,1,1500,1e-7,5e-324]");
}

/* Every control character, quote and backslash; DEL and U+2028 stay as they are. */
static void string_escapes(void **state)
{
    (void)state;
    expect("\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f \\\" \\\\ / \\u007f \\u2028\"",
           "\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f \\\" \\\\ / \x7f \xe2\x80\xa8\"");
}

/* Nested objects sort at every level; arrays keep their order. */
static void nesting(void **state)
{
    (void)state;
    expect("{\"b\":{\"z\":1,\"a\":[3,{\"y\":null,\"x\":true}]},\"a\":\"\"}",
           "{\"a\":\"\",\"b\":{\"a\":[3,{\"x\":true,\"y\":null}],\"z\":1}}");
    expect("{\"aa\":1,\"a\":2,\"\":3,\"B\":4}", "{\"\":3,\"B\":4,\"a\":2,\"aa\":1}");
}

static void refused_doc(const char *json)
{
    json_object *root = NULL;
    p11tee_error err;
    bytebuf b;

    assert_int_equal(sjson_parse(json, strlen(json), 1024, "t", &root, &err), P11TEE_OK);
    bytebuf_init(&b, 1024);
    assert_int_equal(jcs_write(root, &b, &err), P11TEE_E_JSON_FIELD);
    assert_non_null(strstr(err.message, "beyond 64 bits"));
    bytebuf_free(&b);
    json_object_put(root);
}

/* What RFC 8785 cannot express is refused, not guessed. */
static void refusals(void **state)
{
    json_object *v = json_object_new_double(NAN);
    p11tee_error err;
    bytebuf b;

    (void)state;
    bytebuf_init(&b, 64);
    assert_int_equal(jcs_write(v, &b, &err), P11TEE_E_JSON_FIELD);
    json_object_put(v);
    v = json_object_new_string_len("\xff", 1);
    bytebuf_reset(&b);
    assert_int_equal(jcs_write(v, &b, &err), P11TEE_E_JSON_FIELD);
    json_object_put(v);
    v = json_object_new_string("a string longer than the buffer allows for");
    bytebuf_reset(&b);
    bytebuf_free(&b);
    bytebuf_init(&b, 8);
    assert_int_equal(jcs_write(v, &b, &err), P11TEE_E_TOO_LARGE);
    assert_non_null(strstr(err.message, "exceeds 8 bytes"));
    json_object_put(v);
    bytebuf_free(&b);
    /* json-c saturates integers past 64 bits: such values are refused, not misprinted */
    refused_doc("[1000000000000000000000]");
    refused_doc("[18446744073709551615]");
    refused_doc("[-9223372036854775809]");
}

/* jcs_sha256 hashes exactly the canonical bytes. */
static void digest(void **state)
{
    static const uint8_t want[32] = {
        /* SHA-256 of {"a":1,"b":[true]} */
        0x90, 0xed, 0xdf, 0x64, 0xb8, 0x75, 0xcb, 0x5f, 0xa1, 0x84, 0xbb,
        0x12, 0x50, 0x3c, 0xc7, 0x30, 0x9b, 0x6c, 0xe2, 0x1b, 0x17, 0x55,
        0x21, 0xa8, 0x0b, 0xd8, 0xd8, 0x30, 0x82, 0xba, 0xe6, 0x04,
    };
    json_object *root = NULL;
    uint8_t got[32];
    p11tee_error err;
    const char *doc = "{ \"b\" : [ true ], \"a\" : 1.0 }";

    (void)state;
    assert_int_equal(sjson_parse(doc, strlen(doc), 1024, "t", &root, &err), P11TEE_OK);
    assert_int_equal(jcs_sha256(root, got, &err), P11TEE_OK);
    assert_memory_equal(got, want, sizeof(want));
    json_object_put(root);
}

/*
 * A document that is one number or literal is canonical JSON too, and reads
 * back: json-c waits for more after "4" unless the end of input ends it.
 */
static void bare_scalars(void **state)
{
    static const char *const docs[][2] = {
        {"4 ", "4"}, {"4", "4"}, {"-1.5e3", "-1500"}, {"true", "true"}, {" false", "false"},
    };
    static const char *const truncated[] = {"{\"a\":", "tru", "\"x", "[1,", "-"};
    json_object *root = NULL;
    p11tee_error err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
        expect(docs[i][0], docs[i][1]);
    for (i = 0; i < sizeof(truncated) / sizeof(truncated[0]); i++) {
        assert_int_equal(sjson_parse(truncated[i], strlen(truncated[i]), 1024, "t", &root, &err),
                         P11TEE_E_JSON);
        assert_null(root);
        assert_string_equal(err.message, "t is truncated JSON");
    }
    assert_int_equal(sjson_parse("null", 4, 1024, "t", &root, &err), P11TEE_E_JSON);
    assert_string_equal(err.message, "t is null, not a JSON document");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc_section_3_2_2),  cmocka_unit_test(rfc_section_3_2_3),
        cmocka_unit_test(rfc_appendix_b),     cmocka_unit_test(number_forms),
        cmocka_unit_test(numbers_round_trip), cmocka_unit_test(integers_as_doubles),
        cmocka_unit_test(string_escapes),     cmocka_unit_test(nesting),
        cmocka_unit_test(refusals),           cmocka_unit_test(digest),
        cmocka_unit_test(bare_scalars),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
