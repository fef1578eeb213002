/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* Codecs for network bytes: exact results, and every refusal named. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "testlib.h"

static void hex_round_trip(void **state)
{
    const uint8_t in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char out[13];
    uint8_t back[6];
    size_t n;
    p11tee_error err;

    (void)state;
    assert_int_equal(hex_encode(in, sizeof(in), out, sizeof(out)), 12);
    assert_string_equal(out, "00017f80abff");
    assert_int_equal(hex_decode("00017F80ABff", 12, back, sizeof(back), &n, &err), P11TEE_OK);
    assert_int_equal(n, sizeof(in));
    assert_memory_equal(back, in, sizeof(in));
}

static void hex_encode_refuses_small_buffer(void **state)
{
    const uint8_t in[2] = {1, 2};
    char out[4] = "xxx";

    (void)state;
    assert_int_equal(hex_encode(in, 2, out, sizeof(out)), 0);
    assert_string_equal(out, "");
}

static void hex_errors_are_named(void **state)
{
    uint8_t out[8];
    size_t n;
    p11tee_error err;

    (void)state;
    assert_int_equal(hex_decode("abc", 3, out, sizeof(out), &n, &err), P11TEE_E_HEX_ODD_LENGTH);
    assert_int_equal(err.code, P11TEE_E_HEX_ODD_LENGTH);
    assert_int_equal(hex_decode("0g", 2, out, sizeof(out), &n, &err), P11TEE_E_HEX_INVALID);
    assert_non_null(strstr(err.message, "offset 1"));
    assert_int_equal(hex_decode("0x00", 4, out, sizeof(out), &n, &err), P11TEE_E_HEX_INVALID);
    assert_int_equal(hex_decode("00 1", 4, out, sizeof(out), &n, &err), P11TEE_E_HEX_INVALID);
    assert_int_equal(hex_decode("000000000000000000", 18, out, sizeof(out), &n, &err),
                     P11TEE_E_TOO_LARGE);
    assert_true(hex_is_valid("", 0));
    assert_false(hex_is_valid("a", 1));
}

static void b64_known_answers(void **state)
{
    static const struct {
        const char *in;
        b64_variant v;
        const char *out;
    } kat[] = {
        {"", B64_STD, ""},
        {"Zg==", B64_STD, "f"},
        {"Zm8=", B64_STD, "fo"},
        {"Zm9v", B64_STD, "foo"},
        {"Zm9vYg==", B64_STD, "foob"},
        {"Zm9vYmE=", B64_STD, "fooba"},
        {"Zm9vYmFy", B64_STD, "foobar"},
        {"Zg", B64_URL, "f"},
        {"Zm8", B64_URL, "fo"},
        {"Zm8=", B64_URL, "fo"},
        {"Zg", B64_ANY, "f"},
        {"Zm9vYmFy", B64_ANY, "foobar"},
    };
    uint8_t out[16];
    size_t i, n;
    p11tee_error err;

    (void)state;
    for (i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
        assert_int_equal(
            b64_decode(kat[i].in, strlen(kat[i].in), kat[i].v, out, sizeof(out), &n, &err),
            P11TEE_OK);
        assert_int_equal(n, strlen(kat[i].out));
        assert_memory_equal(out, kat[i].out, n);
    }
}

static void b64_alphabets(void **state)
{
    uint8_t out[8];
    size_t n;
    p11tee_error err;

    (void)state;
    /* 0xfb 0xff 0xbf: "+/+/" in standard, "-_-_" in url */
    assert_int_equal(b64_decode("+/+/", 4, B64_STD, out, sizeof(out), &n, &err), P11TEE_OK);
    assert_int_equal(n, 3);
    assert_int_equal(out[0], 0xfb);
    assert_int_equal(b64_decode("-_-_", 4, B64_URL, out, sizeof(out), &n, &err), P11TEE_OK);
    assert_int_equal(out[1], 0xff);
    assert_int_equal(out[2], 0xbf);
    assert_int_equal(b64_decode("-_-_", 4, B64_ANY, out, sizeof(out), &n, &err), P11TEE_OK);
    assert_int_equal(b64_decode("-_-_", 4, B64_STD, out, sizeof(out), &n, &err),
                     P11TEE_E_BASE64_INVALID);
    assert_int_equal(b64_decode("+_-/", 4, B64_ANY, out, sizeof(out), &n, &err),
                     P11TEE_E_BASE64_INVALID);
}

static void b64_refusals(void **state)
{
    static const char *bad_std[] = {
        "Zg", "Zg=", "Z===", "Zm9v\n", "Zh==", "Zm9=", "Z", "Zm9v=", "====", "Zg==Zg=="};
    uint8_t out[16];
    size_t i, n;
    p11tee_error err;

    (void)state;
    for (i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++)
        assert_int_equal(
            b64_decode(bad_std[i], strlen(bad_std[i]), B64_STD, out, sizeof(out), &n, &err),
            P11TEE_E_BASE64_INVALID);
    assert_int_equal(b64_decode("Zm9vYmFy", 8, B64_STD, out, 5, &n, &err), P11TEE_E_TOO_LARGE);
}

static void decode_any_forms(void **state)
{
    static const char *forms[] = {"666f6f626172", "0x666f6f626172", "0X666F6F626172", "Zm9vYmFy"};
    uint8_t *out;
    size_t i, n;
    p11tee_error err;

    (void)state;
    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        assert_int_equal(bytes_decode_any(forms[i], strlen(forms[i]), 64, &out, &n, &err),
                         P11TEE_OK);
        assert_int_equal(n, 6);
        assert_memory_equal(out, "foobar", 6);
        free(out);
    }
    /* base64url without padding, with url-only characters */
    assert_int_equal(bytes_decode_any("-_-_Zg", 6, 64, &out, &n, &err), P11TEE_OK);
    assert_int_equal(n, 4);
    assert_int_equal(out[3], 'f');
    free(out);
    assert_int_equal(bytes_decode_any("0x66g0", 6, 64, &out, &n, &err), P11TEE_E_HEX_INVALID);
    assert_null(out);
    assert_int_equal(bytes_decode_any("0x666", 5, 64, &out, &n, &err), P11TEE_E_HEX_ODD_LENGTH);
    assert_int_equal(bytes_decode_any("", 0, 64, &out, &n, &err), P11TEE_E_INVALID_ARG);
    assert_int_equal(bytes_decode_any("666f6f626172", 12, 5, &out, &n, &err), P11TEE_E_TOO_LARGE);
    assert_int_equal(bytes_decode_any("not base64!", 11, 64, &out, &n, &err),
                     P11TEE_E_BASE64_INVALID);
}

static void strerror_covers_every_code(void **state)
{
    int c;

    (void)state;
    for (c = 0; c < 1000; c++) {
        const char *s = p11tee_strerror((p11tee_status)c);

        assert_non_null(s);
        if (strcmp(s, "unknown status") != 0)
            assert_int_equal(p11tee_status_class_of((p11tee_status)c),
                             c == 0         ? P11TEE_CLASS_OK
                             : c / 100 == 1 ? P11TEE_CLASS_GENERAL
                                            : (p11tee_status_class)(c / 100));
    }
    assert_string_equal(p11tee_strerror(P11TEE_E_PIN_INCORRECT), "the token rejected the PIN");
    assert_int_equal(p11tee_status_class_of(P11TEE_E_ATTEST_DEBUG), P11TEE_CLASS_ATTEST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hex_round_trip),       cmocka_unit_test(hex_encode_refuses_small_buffer),
        cmocka_unit_test(hex_errors_are_named), cmocka_unit_test(b64_known_answers),
        cmocka_unit_test(b64_alphabets),        cmocka_unit_test(b64_refusals),
        cmocka_unit_test(decode_any_forms),     cmocka_unit_test(strerror_covers_every_code),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
