/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Redaction of a secret (the API key) from untrusted text. A server that
 * echoes the key may hide it from a naive search: with JSON or percent
 * escapes (\/, \u002f, %2F) or with whitespace and control characters
 * between its characters. The match reads the text as a person would, so
 * every such spelling is found; a cut-off start of the key at the end of
 * the text is found too.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/common.h"

#define REDACT_FILLER (-1) /* whitespace or a control character: skipped between characters */
#define REDACT_OTHER  (-2) /* a character no secret holds (non-ASCII) */

int hex_digit_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The value of `n` hex digits at s, or -1. */
static int redact_hexn(const unsigned char *s, size_t n)
{
    int v = 0, d;
    size_t i;

    for (i = 0; i < n; i++) {
        if ((d = hex_digit_value(s[i])) < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static int redact_class(int v)
{
    if (v <= 0x20 || v == 0x7f)
        return REDACT_FILLER;
    return v < 0x80 ? v : REDACT_OTHER;
}

/* The character a reader sees at s[*i] (escapes decoded); advances *i past it. */
static int redact_char(const unsigned char *s, size_t len, size_t *i)
{
    size_t at = *i;
    int v;

    if (s[at] == '\\' && at + 1 < len) {
        unsigned char e = s[at + 1];

        if (e == 'u' && at + 6 <= len && (v = redact_hexn(s + at + 2, 4)) >= 0) {
            *i = at + 6;
            return redact_class(v);
        }
        *i = at + 2;
        if (e == 'n' || e == 't' || e == 'r' || e == 'b' || e == 'f')
            return REDACT_FILLER;
        return redact_class(e);
    }
    if (s[at] == '%' && at + 3 <= len && (v = redact_hexn(s + at + 1, 2)) >= 0) {
        *i = at + 3;
        return redact_class(v);
    }
    *i = at + 1;
    return redact_class(s[at]);
}

size_t redact_match(const char *text, size_t len, const char *secret, size_t slen)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, k = 0, end = 0;
    int c;

    if (slen == 0 || len == 0)
        return 0;
    while (k < slen && i < len) {
        c = redact_char(s, len, &i);
        if (c == REDACT_FILLER && k > 0)
            continue;
        if (c != (unsigned char)secret[k])
            return 0;
        k++;
        end = i;
    }
    if (k == slen)
        return end;
    /* The text ends inside the secret: a cut-off start of it. */
    return k >= REDACT_MIN_TAIL ? len : 0;
}

/*
 * The redacted text of `in`, written to `out` unless NULL; its length. A
 * match may be shorter than "[REDACTED]" (the cut-off start of the secret
 * at the end of the text), so the length comes from the same walk.
 */
static size_t redact_walk(const char *in, size_t len, const char *secret, size_t slen, char *out)
{
    size_t i = 0, o = 0, hit;

    while (i < len) {
        if (slen > 0 && (hit = redact_match(in + i, len - i, secret, slen)) > 0) {
            if (out != NULL)
                memcpy(out + o, REDACTED, sizeof(REDACTED) - 1);
            o += sizeof(REDACTED) - 1;
            i += hit;
        } else {
            if (out != NULL)
                out[o] = in[i];
            o++;
            i++;
        }
    }
    return o;
}

char *redact_dup(const char *in, size_t len, const char *secret, size_t *outlen)
{
    size_t slen = secret != NULL ? strlen(secret) : 0;
    size_t n = redact_walk(in, len, secret, slen, NULL);
    char *out = malloc(n + 1);

    if (out == NULL)
        return NULL;
    redact_walk(in, len, secret, slen, out);
    out[n] = '\0';
    if (outlen != NULL)
        *outlen = n;
    return out;
}

/* Replace `o` (a JSON string) by its redacted copy when it holds the secret. */
static p11tee_status redact_json_string(json_object *o, const char *secret)
{
    const char *s = json_object_get_string(o);
    size_t len = (size_t)json_object_get_string_len(o), outlen, i;
    char *r;
    int rc;

    for (i = 0; i < len; i++)
        if (redact_match(s + i, len - i, secret, strlen(secret)) > 0)
            break;
    if (i == len)
        return P11TEE_OK;
    if ((r = redact_dup(s, len, secret, &outlen)) == NULL)
        return P11TEE_E_NOMEM;
    rc = json_object_set_string_len(o, r, (int)outlen);
    free(r);
    return rc ? P11TEE_OK : P11TEE_E_NOMEM;
}

/* Rename the members of `o` whose name holds the secret (after the walk: json-c forbids it during).
 */
static p11tee_status redact_json_names(json_object *o, const char *secret)
{
    size_t slen = strlen(secret);
    char *name, *r;
    json_object *val;

    for (;;) {
        name = NULL;
        json_object_object_foreach(o, key, v)
        {
            size_t klen = strlen(key), j;

            (void)v;
            for (j = 0; j < klen && name == NULL; j++)
                if (redact_match(key + j, klen - j, secret, slen) > 0)
                    name = key;
            if (name != NULL)
                break;
        }
        if (name == NULL)
            return P11TEE_OK;
        if ((r = redact_dup(name, strlen(name), secret, NULL)) == NULL)
            return P11TEE_E_NOMEM;
        val = json_object_get(json_object_object_get(o, name));
        json_object_object_del(o, name);
        if (json_object_object_add(o, r, val) != 0) {
            json_object_put(val);
            free(r);
            return P11TEE_E_NOMEM;
        }
        free(r);
    }
}

p11tee_status redact_json(json_object *o, const char *secret)
{
    p11tee_status rc = P11TEE_OK;
    size_t i, n;

    if (o == NULL || secret == NULL || secret[0] == '\0')
        return P11TEE_OK;
    switch (json_object_get_type(o)) {
    case json_type_string: return redact_json_string(o, secret);
    case json_type_array:
        n = json_object_array_length(o);
        for (i = 0; i < n && rc == P11TEE_OK; i++)
            rc = redact_json(json_object_array_get_idx(o, i), secret);
        return rc;
    case json_type_object:
        rc = redact_json_names(o, secret);
        if (rc == P11TEE_OK) {
            json_object_object_foreach(o, key, val)
            {
                (void)key;
                if ((rc = redact_json(val, secret)) != P11TEE_OK)
                    break;
            }
        }
        return rc;
    default: return P11TEE_OK;
    }
}
