/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * RFC 8785, the JSON Canonicalization Scheme: the bytes ACI documents (the
 * workload keyset, the attestation statement, receipts) are hashed and
 * signed in. No whitespace; object members sorted by the UTF-16 code units
 * of their names; strings escaped as ECMAScript's JSON.stringify does;
 * numbers as ECMAScript's Number.prototype.toString prints the IEEE 754
 * double they denote (shortest round trip; "1e+21", "1e-7", "0.000001").
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "common/common.h"

#define JCS_DEPTH_MAX 64 /* deeper than any document sjson lets in */

/* ---- numbers ------------------------------------------------------------------------ */

/*
 * The significant digits of `x` (> 0, finite) with `k` of them, rounded
 * correctly, and the exponent n of ECMAScript's algorithm (x = 0.d1d2... * 10^n).
 */
static void jcs_digits(double x, int k, char *digits, int *n)
{
    char buf[40];
    char *e;
    size_t i, o = 0;

    snprintf(buf, sizeof(buf), "%.*e", k - 1, x);
    e = strchr(buf, 'e');
    for (i = 0; buf + i < e; i++)
        if (buf[i] != '.')
            digits[o++] = buf[i];
    digits[o] = '\0';
    *n = atoi(e + 1) + 1;
}

static double jcs_value(const char *digits, int n)
{
    char buf[48];

    snprintf(buf, sizeof(buf), "0.%se%d", digits, n);
    return strtod(buf, NULL);
}

/* `digits` (k of them) plus or minus one in the last place; 0 when it leaves k digits. */
static int jcs_step(const char *digits, int n, int up, char *out, int *nout)
{
    int k = (int)strlen(digits), i;

    memcpy(out, digits, (size_t)k + 1);
    *nout = n;
    for (i = k - 1; i >= 0; i--) {
        if (up && out[i] == '9') {
            out[i] = '0';
            continue;
        }
        if (!up && out[i] == '0') {
            out[i] = '9';
            continue;
        }
        out[i] = (char)(out[i] + (up ? 1 : -1));
        break;
    }
    if (i < 0 || out[0] == '0')
        return 0; /* 99..9 + 1 or 10..0 - 1: a neighbour with another digit count */
    return 1;
}

/*
 * The shortest digit string that reads back as `x`; among strings of that
 * length, the one closest to x. The correctly rounded k-digit string is the
 * closest; when it misses x's rounding interval (which is lopsided at a power
 * of two), only its neighbour across x can still hit it.
 */
static void jcs_shortest(double x, char *digits, int *n)
{
    char alt[24];
    int k, na;

    for (k = 1; k <= 17; k++) {
        jcs_digits(x, k, digits, n);
        if (jcs_value(digits, *n) == x)
            return;
        if (jcs_step(digits, *n, 1, alt, &na) && jcs_value(alt, na) == x)
            break;
        if (jcs_step(digits, *n, 0, alt, &na) && jcs_value(alt, na) == x)
            break;
    }
    if (k <= 17) {
        memcpy(digits, alt, strlen(alt) + 1);
        *n = na;
    }
}

/* Append `count` copies of `c` at out[o..]; the new length. */
static int jcs_fill(char *out, int o, char c, int count)
{
    while (count-- > 0)
        out[o++] = c;
    out[o] = '\0';
    return o;
}

int jcs_format_double(double x, char out[JCS_NUMBER_MAX])
{
    char digits[24];
    int n, k, o = 0;

    if (!isfinite(x))
        return -1;
    if (x == 0) {
        strcpy(out, "0"); /* -0 too */
        return 1;
    }
    if (x < 0) {
        out[o++] = '-';
        x = -x;
    }
    jcs_shortest(x, digits, &n);
    k = (int)strlen(digits);
    if (k <= n && n <= 21) { /* an integer: the digits, then zeros */
        o += snprintf(out + o, (size_t)(JCS_NUMBER_MAX - o), "%s", digits);
        return jcs_fill(out, o, '0', n - k);
    }
    if (0 < n && n <= 21) /* a decimal point among the digits */
        return o +
               snprintf(out + o, (size_t)(JCS_NUMBER_MAX - o), "%.*s.%s", n, digits, digits + n);
    if (-6 < n && n <= 0) { /* "0.", zeros, the digits */
        o = jcs_fill(out, jcs_fill(out, o, '0', 1), '.', 1);
        o = jcs_fill(out, o, '0', -n);
        return o + snprintf(out + o, (size_t)(JCS_NUMBER_MAX - o), "%s", digits);
    }
    o += snprintf(out + o, (size_t)(JCS_NUMBER_MAX - o), "%c%s%s", digits[0], k > 1 ? "." : "",
                  digits + 1);
    return o + snprintf(out + o, (size_t)(JCS_NUMBER_MAX - o), "e%c%d", n - 1 < 0 ? '-' : '+',
                        abs(n - 1));
}

/*
 * The number a json-c value holds, as the double ECMAScript would read; 0
 * when json-c may have clamped it (it saturates integers past 64 bits to
 * INT64_MIN or UINT64_MAX, so those two values cannot be told apart from
 * larger ones and are refused rather than canonicalised wrongly).
 */
static int jcs_number(json_object *v, double *out)
{
    int64_t i;

    if (json_object_is_type(v, json_type_double)) {
        *out = json_object_get_double(v);
        return 1;
    }
    i = json_object_get_int64(v);
    if (i == INT64_MIN || (i == INT64_MAX && json_object_get_uint64(v) == UINT64_MAX))
        return 0;
    *out = i == INT64_MAX ? (double)json_object_get_uint64(v) : (double)i;
    return 1;
}

/* ---- strings -------------------------------------------------------------------------- */

/* The code point at s (UTF-8, validated) and its length; 0 when it is not UTF-8. */
static int jcs_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
    int len, i;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4;
    else
        return 0;
    if ((size_t)len > n)
        return 0;
    *cp = s[0] & (0x7f >> len);
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && (*cp < 0x800 || (*cp >= 0xd800 && *cp <= 0xdfff))) ||
        (len == 4 && (*cp < 0x10000 || *cp > 0x10ffff)))
        return 0;
    return len;
}

static p11tee_status jcs_string(bytebuf *out, const char *s, size_t n, p11tee_error *err)
{
    const unsigned char *u = (const unsigned char *)s;
    p11tee_status rc = bytebuf_append(out, "\"", 1);
    size_t i = 0;

    while (rc == P11TEE_OK && i < n) {
        uint32_t cp;
        int len = jcs_utf8(u + i, n - i, &cp);
        char esc[8];

        if (len == 0)
            return err_set(err, P11TEE_E_JSON_FIELD, "a JSON string is not UTF-8");
        if (cp == '"' || cp == '\\')
            rc = bytebuf_append(out, cp == '"' ? "\\\"" : "\\\\", 2);
        else if (cp < 0x20) {
            static const char short_esc[] = "btn\0fr"; /* 0x08..0x0d; 0x0b has none */

            if (cp >= 0x08 && cp <= 0x0d && short_esc[cp - 0x08] != '\0')
                snprintf(esc, sizeof(esc), "\\%c", short_esc[cp - 0x08]);
            else
                snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
            rc = bytebuf_append_str(out, esc);
        } else
            rc = bytebuf_append(out, u + i, (size_t)len);
        i += (size_t)len;
    }
    return rc == P11TEE_OK ? bytebuf_append(out, "\"", 1) : rc;
}

/* ---- member order: UTF-16 code units ---------------------------------------------- */

typedef struct jcs_units {
    const unsigned char *s;
    size_t n, i;
    uint32_t low; /* a low surrogate still to come; 0: none */
} jcs_units;

/* The next UTF-16 code unit, or -1 at the end (keys are validated UTF-8). */
static long jcs_unit(jcs_units *u)
{
    uint32_t cp = 0;
    int len;

    if (u->low != 0) {
        cp = u->low;
        u->low = 0;
        return (long)cp;
    }
    if (u->i >= u->n)
        return -1;
    len = jcs_utf8(u->s + u->i, u->n - u->i, &cp);
    u->i += len > 0 ? (size_t)len : 1;
    if (cp < 0x10000)
        return (long)cp;
    cp -= 0x10000;
    u->low = 0xdc00 + (cp & 0x3ff);
    return (long)(0xd800 + (cp >> 10));
}

static int jcs_key_cmp(const void *a, const void *b)
{
    const char *ka = *(const char *const *)a, *kb = *(const char *const *)b;
    jcs_units ua = {(const unsigned char *)ka, strlen(ka), 0, 0};
    jcs_units ub = {(const unsigned char *)kb, strlen(kb), 0, 0};

    for (;;) {
        long x = jcs_unit(&ua), y = jcs_unit(&ub);

        if (x != y)
            return x < y ? -1 : 1;
        if (x < 0)
            return 0;
    }
}

/* ---- values --------------------------------------------------------------------------- */

static p11tee_status jcs_value_write(json_object *v, bytebuf *out, int depth, p11tee_error *err);

static p11tee_status jcs_object(json_object *v, bytebuf *out, int depth, p11tee_error *err)
{
    size_t n = (size_t)json_object_object_length(v), i = 0;
    const char **keys = calloc(n > 0 ? n : 1, sizeof(*keys));
    p11tee_status rc;

    if (keys == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory canonicalising JSON");
    json_object_object_foreach(v, key, val)
    {
        (void)val;
        keys[i++] = key;
    }
    qsort(keys, n, sizeof(*keys), jcs_key_cmp);
    rc = bytebuf_append(out, "{", 1);
    for (i = 0; rc == P11TEE_OK && i < n; i++) {
        if (i > 0)
            rc = bytebuf_append(out, ",", 1);
        if (rc == P11TEE_OK)
            rc = jcs_string(out, keys[i], strlen(keys[i]), err);
        if (rc == P11TEE_OK)
            rc = bytebuf_append(out, ":", 1);
        if (rc == P11TEE_OK)
            rc = jcs_value_write(json_object_object_get(v, keys[i]), out, depth + 1, err);
    }
    free(keys);
    return rc == P11TEE_OK ? bytebuf_append(out, "}", 1) : rc;
}

static p11tee_status jcs_array(json_object *v, bytebuf *out, int depth, p11tee_error *err)
{
    size_t n = json_object_array_length(v), i;
    p11tee_status rc = bytebuf_append(out, "[", 1);

    for (i = 0; rc == P11TEE_OK && i < n; i++) {
        if (i > 0)
            rc = bytebuf_append(out, ",", 1);
        if (rc == P11TEE_OK)
            rc = jcs_value_write(json_object_array_get_idx(v, i), out, depth + 1, err);
    }
    return rc == P11TEE_OK ? bytebuf_append(out, "]", 1) : rc;
}

static p11tee_status jcs_value_write(json_object *v, bytebuf *out, int depth, p11tee_error *err)
{
    char num[JCS_NUMBER_MAX];
    double d;

    if (depth > JCS_DEPTH_MAX)
        return err_set(err, P11TEE_E_JSON_FIELD, "JSON nested deeper than %d levels",
                       JCS_DEPTH_MAX);
    switch (json_object_get_type(v)) {
    case json_type_null: return bytebuf_append_str(out, "null");
    case json_type_boolean:
        return bytebuf_append_str(out, json_object_get_boolean(v) ? "true" : "false");
    case json_type_double:
    case json_type_int:
        if (!jcs_number(v, &d))
            return err_set(err, P11TEE_E_JSON_FIELD,
                           "a JSON integer beyond 64 bits cannot be canonicalised exactly");
        if (jcs_format_double(d, num) < 0)
            return err_set(err, P11TEE_E_JSON_FIELD,
                           "a JSON number is not finite (RFC 8785 has no form for it)");
        return bytebuf_append_str(out, num);
    case json_type_string:
        return jcs_string(out, json_object_get_string(v), (size_t)json_object_get_string_len(v),
                          err);
    case json_type_object: return jcs_object(v, out, depth, err);
    case json_type_array: return jcs_array(v, out, depth, err);
    }
    return err_set(err, P11TEE_E_INTERNAL, "unknown JSON type");
}

p11tee_status jcs_write(json_object *v, bytebuf *out, p11tee_error *err)
{
    p11tee_status rc = jcs_value_write(v, out, 0, err);

    if (rc == P11TEE_E_TOO_LARGE || rc == P11TEE_E_NOMEM)
        err_set(err, rc, "the canonical form of a JSON document exceeds %zu bytes", out->max);
    return rc;
}

p11tee_status jcs_sha256(json_object *v, uint8_t digest[SHA256_DIGEST_LENGTH], p11tee_error *err)
{
    bytebuf b;
    p11tee_status rc;

    bytebuf_init(&b, SJSON_DOC_MAX);
    rc = jcs_write(v, &b, err);
    if (rc == P11TEE_OK)
        rc = digest_sha256(b.data, b.len, digest, err);
    bytebuf_free(&b);
    return rc;
}
