/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* Strict, bounded JSON parsing and typed field access over json-c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "p11tee/p11tee.h"

struct sjson_parser {
    json_tokener *tok;
};

static p11tee_status sjson_run(json_tokener *tok, const char *buf, size_t len, const char *what,
                               json_object **out, p11tee_error *err)
{
    json_object *root;
    enum json_tokener_error jerr;

    *out = NULL;
    if (len > SJSON_DOC_MAX || len > (size_t)INT32_MAX)
        return err_set(err, P11TEE_E_TOO_LARGE, "%s of %zu bytes exceeds the %u bytes allowed",
                       what, len, SJSON_DOC_MAX);
    json_tokener_reset(tok);
    root = json_tokener_parse_ex(tok, buf, (int)len);
    jerr = json_tokener_get_error(tok);
    if (root == NULL && jerr == json_tokener_continue) {
        /*
         * A number or literal that ends the input ("4", "true") may go on
         * for all json-c knows: the end of the input, as a NUL, ends it.
         * What is still open after that is truncated.
         */
        root = json_tokener_parse_ex(tok, "", 1);
        jerr = json_tokener_get_error(tok);
        if (root == NULL && jerr == json_tokener_success) /* json-c's null */
            return err_set(err, P11TEE_E_JSON, "%s is null, not a JSON document", what);
        if (root == NULL || jerr != json_tokener_success) {
            json_object_put(root);
            return err_set(err, P11TEE_E_JSON, "%s is truncated JSON", what);
        }
        *out = root;
        return P11TEE_OK;
    }
    if (root == NULL || jerr != json_tokener_success)
        return err_set(err, P11TEE_E_JSON, "%s is not valid JSON: %s", what,
                       json_tokener_error_desc(jerr));
    if (json_tokener_get_parse_end(tok) != len) {
        size_t i;

        /* Only whitespace may follow the value. */
        for (i = json_tokener_get_parse_end(tok); i < len; i++)
            if (buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\r' && buf[i] != '\t') {
                json_object_put(root);
                return err_set(err, P11TEE_E_JSON, "%s has trailing data after the JSON value",
                               what);
            }
    }
    *out = root;
    return P11TEE_OK;
}

static json_tokener *sjson_new_tokener(void)
{
    json_tokener *tok = json_tokener_new_ex(SJSON_DOC_DEPTH);

    if (tok != NULL)
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    return tok;
}

p11tee_status sjson_parse(const char *buf, size_t len, size_t max, const char *what,
                          json_object **out, p11tee_error *err)
{
    json_tokener *tok;
    p11tee_status rc;

    *out = NULL;
    if (len > max)
        return err_set(err, P11TEE_E_TOO_LARGE, "%s of %zu bytes exceeds the %zu bytes allowed",
                       what, len, max);
    tok = sjson_new_tokener();
    if (tok == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory parsing %s", what);
    rc = sjson_run(tok, buf, len, what, out, err);
    json_tokener_free(tok);
    return rc;
}

p11tee_status sjson_parse_redacted(const char *buf, size_t len, size_t max, const char *what,
                                   const char *secret, json_object **out, p11tee_error *err)
{
    p11tee_status rc = sjson_parse(buf, len, max, what, out, err);

    if (rc == P11TEE_OK && redact_json(*out, secret) != P11TEE_OK) {
        json_object_put(*out);
        *out = NULL;
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory redacting the API key from the %s", what);
    }
    return rc;
}

sjson_parser *sjson_parser_new(void)
{
    sjson_parser *p = calloc(1, sizeof(*p));

    if (p != NULL && (p->tok = sjson_new_tokener()) == NULL) {
        free(p);
        p = NULL;
    }
    return p;
}

void sjson_parser_free(sjson_parser *p)
{
    if (p == NULL)
        return;
    json_tokener_free(p->tok);
    free(p);
}

p11tee_status sjson_parser_parse(sjson_parser *p, const char *buf, size_t len, const char *what,
                                 json_object **out, p11tee_error *err)
{
    return sjson_run(p->tok, buf, len, what, out, err);
}

static const char *sjson_type_word(json_type t)
{
    switch (t) {
    case json_type_null: return "null";
    case json_type_boolean: return "a boolean";
    case json_type_double: return "a number";
    case json_type_int: return "an integer";
    case json_type_object: return "an object";
    case json_type_array: return "an array";
    case json_type_string: return "a string";
    }
    return "?";
}

/* The member `key`, or NULL when absent or JSON null. */
static json_object *sjson_member(json_object *obj, const char *key)
{
    json_object *v = NULL;

    if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, key, &v))
        return NULL;
    return v;
}

static p11tee_status sjson_wrong_type(const char *what, const char *key, json_object *v,
                                      const char *want, p11tee_error *err)
{
    return err_set(err, P11TEE_E_JSON_FIELD, "%s field \"%s\" is %s, expected %s", what, key,
                   sjson_type_word(json_object_get_type(v)), want);
}

p11tee_status sjson_get_str(json_object *obj, const char *key, int required, const char *what,
                            strview *out, p11tee_error *err)
{
    json_object *v = sjson_member(obj, key);

    out->p = NULL;
    out->len = 0;
    if (v == NULL)
        return required ? err_set(err, P11TEE_E_JSON_FIELD, "%s has no \"%s\" field", what, key)
                        : P11TEE_OK;
    if (!json_object_is_type(v, json_type_string))
        return sjson_wrong_type(what, key, v, "a string", err);
    out->p = json_object_get_string(v);
    out->len = (size_t)json_object_get_string_len(v);
    return P11TEE_OK;
}

p11tee_status sjson_get_bool(json_object *obj, const char *key, const char *what, int *present,
                             int *value, p11tee_error *err)
{
    json_object *v = sjson_member(obj, key);

    *present = v != NULL;
    *value = 0;
    if (v == NULL)
        return P11TEE_OK;
    if (!json_object_is_type(v, json_type_boolean))
        return sjson_wrong_type(what, key, v, "a boolean", err);
    *value = json_object_get_boolean(v);
    return P11TEE_OK;
}

p11tee_status sjson_get_int(json_object *obj, const char *key, const char *what, int *present,
                            int64_t *value, p11tee_error *err)
{
    json_object *v = sjson_member(obj, key);

    *present = v != NULL;
    *value = 0;
    if (v == NULL)
        return P11TEE_OK;
    if (!json_object_is_type(v, json_type_int))
        return sjson_wrong_type(what, key, v, "an integer", err);
    *value = json_object_get_int64(v);
    return P11TEE_OK;
}

p11tee_status sjson_get_obj(json_object *obj, const char *key, json_type type, int required,
                            const char *what, json_object **out, p11tee_error *err)
{
    json_object *v = sjson_member(obj, key);

    *out = NULL;
    if (v == NULL)
        return required ? err_set(err, P11TEE_E_JSON_FIELD, "%s has no \"%s\" field", what, key)
                        : P11TEE_OK;
    if (!json_object_is_type(v, type))
        return sjson_wrong_type(what, key, v, sjson_type_word(type), err);
    *out = v;
    return P11TEE_OK;
}

int strview_eq(strview a, const char *s)
{
    size_t n = strlen(s);

    return a.p != NULL && a.len == n && memcmp(a.p, s, n) == 0;
}

json_object *sjson_new_string_valid(const char *s, size_t len)
{
    p11tee_text_filter f;
    json_object *o;
    char *buf;
    size_t n;

    if (len > SJSON_DOC_MAX * 4u)
        return NULL;
    buf = malloc(3 * len + 16);
    if (buf == NULL)
        return NULL;
    p11tee_text_filter_init(&f, P11TEE_TEXT_KEEP_CONTROLS); /* JSON escapes controls */
    n = p11tee_text_filter_run(&f, s, len, buf);
    n += p11tee_text_filter_finish(&f, buf + n);
    o = json_object_new_string_len(buf, (int)n);
    free(buf);
    return o;
}

void sjson_set(json_object *o, const char *key, json_object *v, int *ok)
{
    if (o == NULL || v == NULL ||
        json_object_object_add_ex(o, key, v, JSON_C_OBJECT_KEY_IS_CONSTANT) != 0) {
        json_object_put(v);
        *ok = 0;
    }
}

void sjson_set_nullable(json_object *o, const char *key, int present, json_object *v, int *ok)
{
    if (present)
        sjson_set(o, key, v, ok);
    else if (o == NULL ||
             json_object_object_add_ex(o, key, NULL, JSON_C_OBJECT_KEY_IS_CONSTANT) != 0)
        *ok = 0;
}

void sjson_push(json_object *array, json_object *v, int *ok)
{
    if (array == NULL || v == NULL || json_object_array_add(array, v) != 0) {
        json_object_put(v);
        *ok = 0;
    }
}

/*
 * json-c 0.16's serialiser ignores a failed append to its buffer: out of
 * memory, the text comes out with a piece missing, still looking whole (a
 * value, or only a newline of the indentation). So the text is read back,
 * must equal the tree it came from, and must be what the tree read back
 * serialises to.
 */
static int sjson_reads_back(json_object *root, int flags, const char *text, size_t len)
{
    json_tokener *tok = len <= (size_t)INT32_MAX ? json_tokener_new() : NULL;
    json_object *back = tok != NULL ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
    size_t again_len = 0;
    const char *again;
    int same = back != NULL && json_tokener_get_error(tok) == json_tokener_success &&
               json_tokener_get_parse_end(tok) == len && json_object_equal(root, back);

    if (same) {
        again = json_object_to_json_string_length(back, flags, &again_len);
        same = again != NULL && again_len == len && memcmp(again, text, len) == 0;
    }

    json_object_put(back);
    if (tok != NULL)
        json_tokener_free(tok); /* json-c 0.16 does not take NULL */
    return same;
}

const char *sjson_text(json_object *v, int flags, size_t *len)
{
    size_t n = 0;
    const char *text = v != NULL ? json_object_to_json_string_length(v, flags, &n) : NULL;

    if (text == NULL || !sjson_reads_back(v, flags, text, n))
        return NULL;
    if (len != NULL)
        *len = n;
    return text;
}

char *sjson_finish(json_object *root, int flags, int ok)
{
    size_t len = 0;
    const char *text = ok ? sjson_text(root, flags, &len) : NULL;
    char *out = text != NULL ? strndup(text, len) : NULL;

    json_object_put(root);
    return out;
}
