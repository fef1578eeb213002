/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The exact bytes of a member's value: Intel signs the text of "tcbInfo"
 * and "enclaveIdentity" as it appears inside the PCS response, so that text
 * must be cut out, not re-serialised. The document is parsed strictly first;
 * the scan then only meets valid JSON, and every step is bounded by `len`.
 */
#include "config.h"

#include <string.h>

#include "common/common.h"

static size_t raw_ws(const char *b, size_t len, size_t i)
{
    while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    return i;
}

/* b[i] is '"': the index after the closing quote (len when there is none). */
static size_t raw_string(const char *b, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (b[i] == '\\')
            i++;
        else if (b[i] == '"')
            return i + 1;
    }
    return len;
}

/* The index after the value at i (objects and arrays by depth, strings as units). */
static size_t raw_value(const char *b, size_t len, size_t i)
{
    size_t depth = 0;

    if (i < len && b[i] == '"')
        return raw_string(b, len, i);
    if (i < len && (b[i] == '{' || b[i] == '[')) {
        while (i < len) {
            if (b[i] == '"') {
                i = raw_string(b, len, i);
                continue;
            }
            if (b[i] == '{' || b[i] == '[')
                depth++;
            else if ((b[i] == '}' || b[i] == ']') && --depth == 0)
                return i + 1;
            i++;
        }
        return len;
    }
    while (i < len && strchr(",}] \t\r\n", b[i]) == NULL)
        i++;
    return i;
}

p11tee_status sjson_raw_member(const char *buf, size_t len, size_t max, const char *what,
                               const char *key, strview *out, p11tee_error *err)
{
    json_object *doc = NULL;
    size_t i, k, ks, end, klen = strlen(key);
    p11tee_status rc = sjson_parse(buf, len, max, what, &doc, err);
    int is_object = rc == P11TEE_OK && json_object_is_type(doc, json_type_object);

    json_object_put(doc);
    out->p = NULL;
    out->len = 0;
    if (rc != P11TEE_OK)
        return rc;
    if (!is_object)
        return err_set(err, P11TEE_E_JSON, "%s is not a JSON object", what);
    i = raw_ws(buf, len, 0) + 1; /* past '{' */
    while ((i = raw_ws(buf, len, i)) < len && buf[i] == '"') {
        ks = i;
        k = raw_string(buf, len, i);                   /* past the key's closing quote */
        i = raw_ws(buf, len, raw_ws(buf, len, k) + 1); /* past ':' */
        end = raw_value(buf, len, i);
        if (k - ks == klen + 2 && memcmp(buf + ks + 1, key, klen) == 0) {
            if (out->p != NULL)
                return err_set(err, P11TEE_E_JSON, "%s has the member \"%s\" twice", what, key);
            out->p = buf + i;
            out->len = end - i;
        }
        i = raw_ws(buf, len, end);
        if (i < len && buf[i] == ',')
            i++;
    }
    if (out->p == NULL)
        return err_set(err, P11TEE_E_JSON_FIELD, "%s has no member \"%s\"", what, key);
    return P11TEE_OK;
}
