/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Pure helpers of the transfer layer: turning untrusted bytes (error bodies,
 * header lines) into one printable, bounded line with the API key
 * redacted, and a non-2xx response into the server's own error message.
 */
#include "config.h"

#include <string.h>

#include "net/net.h"

/* Room left in a 256-byte message for the status and the API-key hint. */
#define MESSAGE_TEXT_MAX 180

static int is_space(unsigned char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

void net_printable(char *out, size_t cap, const void *in, size_t inlen, const char *secret)
{
    const unsigned char *s = in;
    size_t slen = secret ? strlen(secret) : 0;
    size_t i = 0, o = 0, hit, elen;
    int space = 0;
    char one;
    const char *emit;

    if (cap == 0)
        return;
    while (i < inlen) {
        if (slen > 0 && (hit = redact_match((const char *)s + i, inlen - i, secret, slen)) > 0) {
            emit = REDACTED;
            elen = strlen(REDACTED);
            i += hit;
        } else if (is_space(s[i])) {
            space = 1;
            i++;
            continue;
        } else {
            one = s[i] > 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
            emit = &one;
            elen = 1;
            i++;
        }
        space = space && o > 0;
        if (o + (size_t)space + elen > cap - 1) {
            if (cap > 4) {
                o = o > cap - 4 ? cap - 4 : o;
                memcpy(out + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (space)
            out[o++] = ' ';
        space = 0;
        memcpy(out + o, emit, elen);
        o += elen;
    }
    out[o] = '\0';
}

/*
 * The error text of {"error": "..."}, {"error": {"message": "..."}} or
 * {"message": "..."}, and the "details" member at the top or in the error
 * object, if any. Fields of another type are simply not the text.
 */
static int error_text_of(json_object *root, strview *text, json_object **details)
{
    p11tee_error ignored;
    json_object *e = NULL;

    if (!json_object_is_type(root, json_type_object))
        return 0;
    sjson_get_obj(root, "error", json_type_object, 0, "error body", &e, &ignored);
    if (!json_object_object_get_ex(root, "details", details) && e != NULL)
        json_object_object_get_ex(e, "details", details);
    if (sjson_get_str(root, "error", 0, "error body", text, &ignored) == P11TEE_OK && text->p)
        return 1;
    if (e != NULL && sjson_get_str(e, "message", 0, "error body", text, &ignored) == P11TEE_OK &&
        text->p)
        return 1;
    return sjson_get_str(root, "message", 0, "error body", text, &ignored) == P11TEE_OK &&
           text->p != NULL;
}

p11tee_status net_http_error(long status, const void *body, size_t len, const char *secret,
                             char *text, size_t textcap, p11tee_error *err)
{
    p11tee_status code =
        status == 401 || status == 403 ? P11TEE_E_HTTP_UNAUTHORIZED : P11TEE_E_HTTP;
    const char *hint = code == P11TEE_E_HTTP_UNAUTHORIZED ? "; check the API key" : "";
    json_object *root = NULL, *details = NULL;
    p11tee_error ignored;
    strview msg;

    /* A body that is not JSON is explained by an excerpt instead. */
    if (len > 0)
        sjson_parse(body, len, NET_ERROR_BODY_MAX, "error body", &root, &ignored);
    if (root != NULL && error_text_of(root, &msg, &details))
        net_printable(text, textcap, msg.p, msg.len, secret);
    else
        net_printable(text, textcap, body, len, secret);
    if (text[0] == '\0')
        err_set(err, code, "server answered HTTP %ld without an error message%s", status, hint);
    else
        err_set(err, code, "server answered HTTP %ld: %.*s%s", status, MESSAGE_TEXT_MAX, text,
                hint);
    /* Redacted before it is serialised, where escaping could hide the key from the search. */
    if (details != NULL && redact_json(details, secret) == P11TEE_OK) {
        const char *d = json_object_to_json_string_ext(details, JSON_C_TO_STRING_PLAIN |
                                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
        char line[P11TEE_ERROR_DETAIL_MAX - 16];

        net_printable(line, sizeof(line), d, strlen(d), secret);
        err_detail(err, "details: %s", line);
    }
    json_object_put(root);
    return code;
}

void net_error_type(const void *body, size_t len, const char *secret, char *type, size_t cap)
{
    json_object *root = NULL, *e = NULL;
    p11tee_error ignored;
    strview t = {NULL, 0};

    type[0] = '\0';
    if (len == 0 ||
        sjson_parse(body, len, NET_ERROR_BODY_MAX, "error body", &root, &ignored) != P11TEE_OK)
        return;
    if (json_object_is_type(root, json_type_object) &&
        sjson_get_obj(root, "error", json_type_object, 0, "error body", &e, &ignored) ==
            P11TEE_OK &&
        sjson_get_str(e, "type", 0, "error body", &t, &ignored) == P11TEE_OK && t.p != NULL)
        net_printable(type, cap, t.p, t.len, secret);
    json_object_put(root);
}
