/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * RFC 8785 canonical JSON (src/common/jcs.c), what the ACI keyset digests,
 * statements and receipts hash. Oracles: the canonical form is valid UTF-8
 * JSON whose canonical form is itself (idempotent: a second reading cannot
 * give another digest); jcs_sha256() is SHA-256 of that text; and a number
 * formatted by jcs_format_double() reads back as the same double.
 *
 * One known limit, found here: a double from 2^64 up to 1e21 is written as
 * an integer of 20 or 21 digits (as ECMAScript does), which json-c 0.16
 * saturates when it reads it back, so jcs_write() refuses its own output
 * there (an error, never another digest). The oracle accepts that refusal
 * and nothing else.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "fuzz.h"

#define JCS_FUZZ_MAX (4u * 1024 * 1024)

/* The first 8 bytes as a double: formatted, it must read back exactly. */
static void jcs_fuzz_number(const uint8_t *data, size_t size)
{
    char text[JCS_NUMBER_MAX];
    double x, back;
    int n;

    if (size < sizeof(x))
        return;
    memcpy(&x, data, sizeof(x));
    n = jcs_format_double(x, text);
    if (!isfinite(x)) {
        FUZZ_CHECK(n == -1, "a non-finite number formatted as %d bytes", n);
        return;
    }
    FUZZ_CHECK(n > 0 && n < JCS_NUMBER_MAX && (size_t)n == strlen(text),
               "jcs_format_double() returned %d", n);
    back = strtod(text, NULL);
    FUZZ_CHECK(back == x || (x == 0 && back == 0), "%.17g formatted as %s reads back as %.17g", x,
               text, back);
}

/* 1 when the text holds an integer literal of 20 digits or more. */
static int jcs_fuzz_long_integer(const unsigned char *s, size_t len)
{
    size_t i, run = 0;

    for (i = 0; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            if (++run >= 20 && (i + 1 == len || (s[i + 1] != '.' && s[i + 1] != 'e')))
                return 1;
        } else {
            run = 0;
        }
    }
    return 0;
}

static void jcs_fuzz_text(json_object *root)
{
    bytebuf once, twice;
    json_object *again = NULL;
    uint8_t digest[SHA256_DIGEST_LENGTH], want[SHA256_DIGEST_LENGTH];
    p11tee_error err;
    p11tee_status rc;

    bytebuf_init(&once, JCS_FUZZ_MAX);
    bytebuf_init(&twice, JCS_FUZZ_MAX);
    memset(&err, 0, sizeof(err));
    rc = jcs_write(root, &once, &err);
    if (rc != P11TEE_OK) {
        FUZZ_CHECK(err.code == rc && err.message[0] != '\0', "a failure without a message");
        goto out;
    }
    FUZZ_CHECK(fuzz_utf8_valid((const char *)once.data, once.len),
               "the canonical form is not UTF-8");
    FUZZ_CHECK(sjson_parse((const char *)once.data, once.len, JCS_FUZZ_MAX, "jcs", &again, &err) ==
                   P11TEE_OK,
               "the canonical form does not read as JSON: %s", err.message);
    rc = jcs_write(again, &twice, &err);
    FUZZ_CHECK(rc == P11TEE_OK ||
                   (rc == P11TEE_E_JSON_FIELD && jcs_fuzz_long_integer(once.data, once.len)),
               "the canonical form cannot be canonicalised again: %s", err.message);
    FUZZ_CHECK(rc != P11TEE_OK ||
                   (twice.len == once.len && memcmp(twice.data, once.data, once.len) == 0),
               "the canonical form of the canonical form differs");
    if (jcs_sha256(root, digest, &err) == P11TEE_OK) {
        SHA256(once.data, once.len, want);
        FUZZ_CHECK(memcmp(digest, want, sizeof(want)) == 0,
                   "jcs_sha256() is not SHA-256 of the canonical form");
    }
out:
    json_object_put(again);
    bytebuf_free(&once);
    bytebuf_free(&twice);
}

static int jcs_fuzz_one(const uint8_t *data, size_t size)
{
    json_object *root = NULL;

    jcs_fuzz_number(data, size);
    if (sjson_parse((const char *)data, size, SJSON_DOC_MAX, "jcs", &root, NULL) == P11TEE_OK)
        jcs_fuzz_text(root);
    json_object_put(root);
    return 0;
}

static const fuzz_seed jcs_seeds[] = {
    FUZZ_SEED("{\"b\":[1,2.5,-0,1e21,1e-7,0.000001],\"a\":{\"\\u00e9\":\"\\u20ac\","
              "\"\\ud83d\\ude00\":null,\"\\u0001\":true}}"),
    FUZZ_SEED("[123456789012345678901234567890,9007199254740993,-1.5e-320,5e-324]"),
    FUZZ_SEED(
        "{\"\\u10000\":1,\"\\uffff\":2,\"\\ud800\\udc00\":3,\"z\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}"),
    FUZZ_SEED("\"\\ud800\""),
    FUZZ_SEED(
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]"
        "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"),
    FUZZ_SEED("1E400"),
    /* fuzzing found: 1e20 is written 100000000000000000000, which json-c cannot read back */
    FUZZ_SEED("[5.1,1e20,1e-7,-5.0,18446744073709551616.0,1.0000011617657859886632554e+308]"),
    /* fuzzing found: "4 " parsed, but its canonical form "4" was refused as truncated */
    FUZZ_SEED("4 "),
};

FUZZ_REGISTER(jcs, jcs_fuzz_one, jcs_seeds)
