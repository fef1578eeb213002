/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The provider's pure parts: RFC 7512 token URIs (every attribute,
 * percent-decoding, every refusal), PIN redaction, PIN sources (a PIN file
 * open to group or others refused), the CK_RV names and the login
 * reasons, and the curve table.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hsm/hsm.h"
#include "provider/prov.h"
#include "testlib.h"

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = test_mkdtemp();
    unsetenv("P11TEE_PIN");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_rmtree(dir);
    free(dir);
    return 0;
}

static void uri_all_attributes(void **state)
{
    prov_uri u;
    char why[PROV_MSG_MAX];

    (void)state;
    assert_int_equal(prov_uri_parse("pkcs11:token=My%20Token;serial=0a1b;manufacturer=SoftHSM%20"
                                    "project;model=SoftHSM%20v2;slot-id=42?pin-value=12%334",
                                    &u, why, sizeof(why)),
                     PROV_R_OK);
    assert_string_equal(u.token, "My Token");
    assert_string_equal(u.serial, "0a1b");
    assert_string_equal(u.manufacturer, "SoftHSM project");
    assert_string_equal(u.model, "SoftHSM v2");
    assert_string_equal(u.slotid, "42");
    assert_string_equal(u.pin_value, "1234");
    assert_null(u.pin_source);
    prov_uri_clear(&u);
    assert_null(u.token);
    /* pin-source in the path too (as the shared design writes it), empty components skipped */
    assert_int_equal(
        prov_uri_parse("pkcs11:;token=p11tee;pin-source=file:/run/p.pin;", &u, why, sizeof(why)),
        PROV_R_OK);
    assert_string_equal(u.token, "p11tee");
    assert_string_equal(u.pin_source, "file:/run/p.pin");
    prov_uri_clear(&u);
    /* RFC 7512's module attributes, in the path or the query */
    assert_int_equal(prov_uri_parse("pkcs11:token=t;module-name=p11-kit-client?module-path=/usr/"
                                    "lib/x%2Fy.so",
                                    &u, why, sizeof(why)),
                     PROV_R_OK);
    assert_string_equal(u.module_name, "p11-kit-client");
    assert_string_equal(u.module_path, "/usr/lib/x/y.so");
    prov_uri_clear(&u);
    assert_null(u.module_name);
    /* "pkcs11:" alone selects nothing in particular */
    assert_int_equal(prov_uri_parse("pkcs11:", &u, why, sizeof(why)), PROV_R_OK);
    assert_null(u.token);
    prov_uri_clear(&u);
}

static void uri_plain_label(void **state)
{
    prov_uri u;
    char why[PROV_MSG_MAX];

    (void)state;
    assert_int_equal(prov_uri_parse("my token;x=%zz", &u, why, sizeof(why)), PROV_R_OK);
    assert_string_equal(u.token, "my token;x=%zz");
    assert_null(u.pin_value);
    prov_uri_clear(&u);
    assert_int_equal(prov_uri_parse("a-label-that-is-longer-than-32-bytes", &u, why, sizeof(why)),
                     PROV_R_TOKEN_URI);
    assert_string_equal(why, "token label is longer than 32 bytes");
}

static void uri_refusals(void **state)
{
    static const struct {
        const char *uri, *why;
    } bad[] = {
        {"", "pkcs11-token is empty"},
        {"pkcs11:token", "a component without '='"},
        {"pkcs11:token=a?1234", "a component without '='"},
        {"pkcs11:object=k", "unsupported attribute \"object\""},
        {"pkcs11:token=a;slot-description=x", "unsupported attribute \"slot-description\""},
        {"pkcs11:token=a?module-name=x&module-name=y", "attribute \"module-name\" given twice"},
        {"pkcs11:token=demo?s3cr3tPIN=", "an unknown attribute (its name is not shown"},
        {"pkcs11:tokn=demo", "an unknown attribute (its name is not shown"},
        {"pkcs11:token=a;token=b", "attribute \"token\" given twice"},
        {"pkcs11:token=", "attribute \"token\": empty value"},
        {"pkcs11:token=a%2", "attribute \"token\": truncated percent escape"},
        {"pkcs11:token=a%g0", "attribute \"token\": invalid percent escape"},
        {"pkcs11:token=a%00b", "attribute \"token\": control character or NUL in a value"},
        {"pkcs11:token=a%0ab", "attribute \"token\": control character or NUL in a value"},
        {"pkcs11:token=123456789012345678901234567890123", "attribute \"token\": value too long"},
        {"pkcs11:model=12345678901234567", "attribute \"model\": value too long"},
        {"pkcs11:slot-id=x1", "attribute \"slot-id\" must be a decimal number"},
        {"pkcs11:slot-id=-1", "attribute \"slot-id\" must be a decimal number"},
        {"pkcs11:slot-id=99999999999999999999", "attribute \"slot-id\" must be a decimal number"},
        {"pkcs11:token=a?pin-value=1&pin-source=/p",
         "the token URI has both pin-value and pin-source: keep one"},
    };
    prov_uri u;
    char why[PROV_MSG_MAX];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(prov_uri_parse(bad[i].uri, &u, why, sizeof(why)), PROV_R_TOKEN_URI);
        assert_non_null(strstr(why, bad[i].why));
        assert_null(u.token);
    }
    /* An unknown name is not echoed, not even in part. */
    assert_int_equal(prov_uri_parse("pkcs11:token=demo?s3cr3tPIN=", &u, why, sizeof(why)),
                     PROV_R_TOKEN_URI);
    assert_null(strstr(why, "s3"));
    assert_null(strstr(why, "PIN="));
}

static void uri_length_bound(void **state)
{
    char *big = malloc(PROV_URI_MAX + 2);
    prov_uri u;
    char why[PROV_MSG_MAX];

    (void)state;
    memcpy(big, "pkcs11:token=", 13);
    memset(big + 13, 'a', PROV_URI_MAX + 1 - 13);
    big[PROV_URI_MAX + 1] = '\0';
    assert_int_equal(prov_uri_parse(big, &u, why, sizeof(why)), PROV_R_TOKEN_URI);
    assert_string_equal(why, "pkcs11-token is longer than 2048 bytes");
    free(big);
}

static void redaction(void **state)
{
    char out[64], tiny[12];

    (void)state;
    prov_uri_redact("pkcs11:token=a?pin-value=1234", out, sizeof(out));
    assert_string_equal(out, "pkcs11:token=a?pin-value=***");
    prov_uri_redact("pkcs11:pin-value=1234;token=a", out, sizeof(out));
    assert_string_equal(out, "pkcs11:pin-value=***;token=a");
    prov_uri_redact("pkcs11:token=a?pin-value=12&pin-value=34", out, sizeof(out));
    assert_string_equal(out, "pkcs11:token=a?pin-value=***&pin-value=***");
    prov_uri_redact("pkcs11:token=xpin-value=5", out, sizeof(out));
    assert_string_equal(out, "pkcs11:token=xpin-value=5");
    prov_uri_redact("pkcs11:token=a?pin-value=secret", tiny, sizeof(tiny));
    assert_string_equal(tiny, "pkcs11:toke");
    prov_uri_redact("pkcs11:pin-value=secret", tiny, sizeof(tiny));
    assert_null(strstr(tiny, "secret"));
    assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

/* PINs that hold the other separators: hidden whole, exactly as the parser reads them. */
static void redaction_follows_the_parser(void **state)
{
    static const struct {
        const char *uri, *pin, *shown;
    } cases[] = {
        {"pkcs11:token=typo?pin-value=Sup3r?Secret-PIN", "Sup3r?Secret-PIN",
         "pkcs11:token=typo?pin-value=***"},
        {"pkcs11:token=typo?pin-value=ab;cd;ef", "ab;cd;ef", "pkcs11:token=typo?pin-value=***"},
        {"pkcs11:pin-value=ab&cd&ef;token=typo", "ab&cd&ef", "pkcs11:pin-value=***;token=typo"},
        {"pkcs11:token=typo?pin-value=a%3fb&serial=1", "a?b",
         "pkcs11:token=typo?pin-value=***&serial=1"},
        {"pkcs11:;token=typo;?&pin-value=x?y&", "x?y", "pkcs11:;token=typo;?&pin-value=***&"},
        {"pkcs11:?pin-value=p", "p", "pkcs11:?pin-value=***"},
    };
    char out[128], why[PROV_MSG_MAX];
    prov_uri u;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(prov_uri_parse(cases[i].uri, &u, why, sizeof(why)), PROV_R_OK);
        assert_string_equal(u.pin_value, cases[i].pin);
        prov_uri_clear(&u);
        prov_uri_redact(cases[i].uri, out, sizeof(out));
        assert_string_equal(out, cases[i].shown);
    }
    /* A plain label is shown as it is: the parser takes no PIN from it. */
    prov_uri_redact("my token", out, sizeof(out));
    assert_string_equal(out, "my token");
    prov_uri_redact("pkcs11:token=a", out, 1);
    assert_string_equal(out, "");
}

/*
 * A scheme is case-insensitive (RFC 3986): "PKCS11:" is a URI, so its PIN is
 * parsed and hidden, never taken as part of a label and echoed. And whatever
 * spelling hides a PIN from a search for "pin-value=" (another case, an
 * escape in the name, a stray word) is shown as *** in messages.
 */
static void scheme_and_spellings(void **state)
{
    static const struct {
        const char *uri, *shown;
    } cases[] = {
        {"PKCS11:token=a?pin-value=1234", "PKCS11:token=a?pin-value=***"},
        {"Pkcs11:?pin-value=1234", "Pkcs11:?pin-value=***"},
        {"pkcs11:token=a?PIN-VALUE=1234", "pkcs11:token=a?***"},
        {"pkcs11:token=a;Pin-Value=1234", "pkcs11:token=a;***"},
        {"pkcs11:token=a?pin%2Dvalue=1234", "pkcs11:token=a?***"},
        {"pkcs11:token=a;1234?serial=9", "pkcs11:token=a;***?serial=9"},
        {"pkcs11:token=a?pin=1234&module-name=softhsm2", "pkcs11:token=a?***&module-name=softhsm2"},
        {"pkcs11:id=%01;token=a", "pkcs11:***;token=a"},
    };
    char out[128], why[256];
    prov_uri u;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        prov_uri_redact(cases[i].uri, out, sizeof(out));
        assert_string_equal(out, cases[i].shown);
    }
    assert_int_equal(prov_uri_parse("PKCS11:token=a?pin-value=1234", &u, why, sizeof(why)),
                     PROV_R_OK);
    assert_string_equal(u.token, "a");
    assert_string_equal(u.pin_value, "1234");
    prov_uri_clear(&u);
    assert_int_equal(prov_uri_parse("pKcS11:serial=42", &u, why, sizeof(why)), PROV_R_OK);
    assert_null(u.token);
    assert_string_equal(u.serial, "42");
    prov_uri_clear(&u);
    /* A refused spelling: the error does not show the value either. */
    assert_int_equal(prov_uri_parse("PKCS11:token=a?PIN-VALUE=1234", &u, why, sizeof(why)),
                     PROV_R_TOKEN_URI);
    assert_null(strstr(why, "1234"));
}

/* Write `data` (len bytes) to dir/name, mode 0600; returns the path (static buffer). */
static const char *pin_file(const char *name, const char *data, size_t len)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0600), 0);
    return path;
}

static prov_pin_status resolve(const char *value, const char *source, char **pin)
{
    prov_uri u = {0};
    char why[PROV_MSG_MAX];

    u.pin_value = (char *)value;
    u.pin_source = (char *)source;
    return prov_pin_resolve(&u, NULL, pin, why, sizeof(why));
}

static void pin_sources(void **state)
{
    char src[600], *pin = NULL;
    char big[300];

    (void)state;
    assert_int_equal(resolve("1234", NULL, &pin), PROV_PIN_OK);
    assert_string_equal(pin, "1234");
    prov_pin_free(pin);
    snprintf(src, sizeof(src), "file:%s", pin_file("a", "5678\n", 5));
    assert_int_equal(resolve(NULL, src, &pin), PROV_PIN_OK);
    assert_string_equal(pin, "5678");
    prov_pin_free(pin);
    snprintf(src, sizeof(src), "file://%s", pin_file("b", "9 8\r\nsecond line", 17));
    assert_int_equal(resolve(NULL, src, &pin), PROV_PIN_OK);
    assert_string_equal(pin, "9 8");
    prov_pin_free(pin);
    assert_int_equal(resolve(NULL, pin_file("c", "nonl", 4), &pin), PROV_PIN_OK);
    assert_string_equal(pin, "nonl");
    prov_pin_free(pin);
    /* the environment comes last */
    setenv("P11TEE_PIN", "env-pin", 1);
    assert_int_equal(resolve("uri-pin", NULL, &pin), PROV_PIN_OK);
    assert_string_equal(pin, "uri-pin");
    prov_pin_free(pin);
    assert_int_equal(resolve(NULL, NULL, &pin), PROV_PIN_OK);
    assert_string_equal(pin, "env-pin");
    prov_pin_free(pin);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    setenv("P11TEE_PIN", big, 1);
    assert_int_equal(resolve(NULL, NULL, &pin), PROV_PIN_BAD_SOURCE);
    assert_null(pin);
    unsetenv("P11TEE_PIN");
    assert_int_equal(resolve(NULL, NULL, &pin), PROV_PIN_NONE);
    assert_null(pin);
}

static void pin_source_refusals(void **state)
{
    char src[600], big[300], *pin = NULL;

    (void)state;
    assert_int_equal(resolve(NULL, "relative/p.pin", &pin), PROV_PIN_BAD_SOURCE);
    assert_int_equal(resolve(NULL, "https://example.com/pin", &pin), PROV_PIN_BAD_SOURCE);
    assert_int_equal(resolve(NULL, "file:relative", &pin), PROV_PIN_BAD_SOURCE);
    snprintf(src, sizeof(src), "%s/missing", dir);
    assert_int_equal(resolve(NULL, src, &pin), PROV_PIN_BAD_SOURCE);
    assert_int_equal(resolve(NULL, pin_file("empty", "", 0), &pin), PROV_PIN_BAD_SOURCE);
    assert_int_equal(resolve(NULL, pin_file("nl", "\n1234", 5), &pin), PROV_PIN_BAD_SOURCE);
    assert_int_equal(resolve(NULL,
                             pin_file("nul",
                                      "12\0"
                                      "34",
                                      5),
                             &pin),
                     PROV_PIN_BAD_SOURCE);
    memset(big, '7', sizeof(big));
    assert_int_equal(resolve(NULL, pin_file("big", big, sizeof(big)), &pin), PROV_PIN_BAD_SOURCE);
    assert_int_equal(resolve(NULL, dir, &pin), PROV_PIN_BAD_SOURCE); /* a directory */
    assert_null(pin);
}

/* As ssh refuses a private key file: any access for group or others, with the fix to run. */
static void pin_file_open_to_others(void **state)
{
    static const mode_t modes[] = {0640, 0604, 0620, 0601, 0644};
    char want[PROV_MSG_MAX], why[PROV_MSG_MAX], *pin = NULL;
    prov_uri u = {0};
    const char *path = pin_file("shared", "1234\n", 5);
    size_t i;

    (void)state;
    u.pin_source = (char *)path;
    for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        assert_int_equal(chmod(path, modes[i]), 0);
        assert_int_equal(prov_pin_resolve(&u, NULL, &pin, why, sizeof(why)), PROV_PIN_BAD_SOURCE);
        assert_null(pin);
        snprintf(want, sizeof(want),
                 "the PIN file %s is open to group or others (mode %04o): run chmod 600 %s", path,
                 (unsigned)modes[i], path);
        assert_string_equal(why, want);
    }
    assert_int_equal(chmod(path, 0400), 0);
    assert_int_equal(prov_pin_resolve(&u, NULL, &pin, why, sizeof(why)), PROV_PIN_OK);
    assert_string_equal(pin, "1234");
    prov_pin_free(pin);
}

static void ckr_names_and_login_reasons(void **state)
{
    char nb[24];

    (void)state;
    assert_string_equal(prov_ckr_name(0xa0, nb), "CKR_PIN_INCORRECT");
    assert_string_equal(prov_ckr_name(0xa4, nb), "CKR_PIN_LOCKED");
    assert_string_equal(prov_ckr_name(0x60, nb), "CKR_KEY_HANDLE_INVALID");
    assert_string_equal(prov_ckr_name(0x80000123UL, nb), "CKR_0x80000123");
    assert_int_equal(prov_login_reason(0xa0), PROV_R_PIN_INCORRECT); /* PIN_INCORRECT */
    assert_int_equal(prov_login_reason(0xa1), PROV_R_PIN_INCORRECT); /* PIN_INVALID */
    assert_int_equal(prov_login_reason(0xa2), PROV_R_PIN_INCORRECT); /* PIN_LEN_RANGE */
    assert_int_equal(prov_login_reason(0xa4), PROV_R_PIN_LOCKED);
    assert_int_equal(prov_login_reason(0x30), PROV_R_LOGIN);  /* DEVICE_ERROR */
    assert_int_equal(prov_login_reason(0x102), PROV_R_LOGIN); /* USER_PIN_NOT_INITIALIZED */
}

static void curve_table(void **state)
{
    static const unsigned char k1[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a};

    (void)state;
    assert_string_equal(prov_curve_by_name("SECP256K1")->name, "secp256k1");
    assert_string_equal(prov_curve_by_name("P-256")->name, "prime256v1");
    assert_string_equal(prov_curve_by_name("secp256r1")->name, "prime256v1");
    assert_string_equal(prov_curve_by_name("P-384")->name, "secp384r1");
    assert_string_equal(prov_curve_by_name("p-521")->name, "secp521r1");
    assert_null(prov_curve_by_name("sect163k1"));
    assert_null(prov_curve_by_name(NULL));
    assert_ptr_equal(prov_curve_by_oid(k1, sizeof(k1)), prov_curve_by_name("secp256k1"));
    assert_null(prov_curve_by_oid(k1, sizeof(k1) - 1));
    assert_int_equal(prov_curve_point_len(prov_curve_by_name("secp256k1")), 65);
    assert_int_equal(prov_curve_point_len(prov_curve_by_name("secp521r1")), 133);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(uri_all_attributes),
        cmocka_unit_test(uri_plain_label),
        cmocka_unit_test(uri_refusals),
        cmocka_unit_test(uri_length_bound),
        cmocka_unit_test(redaction),
        cmocka_unit_test(redaction_follows_the_parser),
        cmocka_unit_test(scheme_and_spellings),
        cmocka_unit_test(pin_sources),
        cmocka_unit_test(pin_source_refusals),
        cmocka_unit_test(pin_file_open_to_others),
        cmocka_unit_test(ckr_names_and_login_reasons),
        cmocka_unit_test(curve_table),
    };

    return TEST_MAIN(tests, setup, teardown);
}
