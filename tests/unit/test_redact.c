/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The API key out of untrusted text (src/common/redact.c): the copy is as
 * long as what the walk writes, also when a match is shorter than
 * "[REDACTED]" (the cut-off start of the key at the end of a text).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "testlib.h"

static const char key[] = "vk-FUZZ/0p11tee+Key=Slash/Plus+Eq=9876543210";

static void expect(const char *in, const char *want)
{
    size_t len = 0;
    char *out = redact_dup(in, strlen(in), key, &len);

    assert_non_null(out);
    assert_string_equal(out, want);
    assert_int_equal(len, strlen(want));
    free(out);
}

/* Found by the models and signature fuzzers: a 6-byte tail grew to 10 bytes past the copy. */
static void short_tails_grow(void **state)
{
    (void)state;
    expect("vk-FUZ", REDACTED);
    expect("a vk-FUZ", "a " REDACTED);
    expect("vk-FUZZ/", REDACTED);
    expect("vk-FU", "vk-FU"); /* shorter than REDACT_MIN_TAIL: kept */
}

static void whole_and_escaped(void **state)
{
    (void)state;
    expect("x vk-FUZZ/0p11tee+Key=Slash/Plus+Eq=9876543210 y", "x " REDACTED " y");
    expect("vk-FUZZ\\/0p11tee+Key=Slash\\/Plus+Eq=9876543210", REDACTED);
    expect("no key here", "no key here");
    expect("", "");
}

/* A member name that is the tail of the key is renamed, and the tree serialises. */
static void json_names(void **state)
{
    const char *doc = "{\"vk-FUZ\":\"list\",\"data\":[{\"id\":\"vk-FUZZ\"}]}";
    json_object *root = NULL;
    p11tee_error err;

    (void)state;
    assert_int_equal(sjson_parse(doc, strlen(doc), 1024, "t", &root, &err), P11TEE_OK);
    assert_int_equal(redact_json(root, key), P11TEE_OK);
    assert_string_equal(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN),
                        "{\"data\":[{\"id\":\"[REDACTED]\"}],\"[REDACTED]\":\"list\"}");
    json_object_put(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(short_tails_grow),
        cmocka_unit_test(whole_and_escaped),
        cmocka_unit_test(json_names),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
