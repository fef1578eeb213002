/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Token selection by RFC 7512 PKCS#11 URI. The URI is configuration, not
 * network input, but it is parsed as strictly: every attribute known, every
 * value bounded, every escape valid.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "prov.h"

#define URI_SCHEME "pkcs11:"

/* RFC 3986: a scheme is case-insensitive, so "PKCS11:" is a URI too, never a label. */
static int uri_has_scheme(const char *text)
{
    return strncasecmp(text, URI_SCHEME, strlen(URI_SCHEME)) == 0;
}

/* The attributes we select by, with CK_TOKEN_INFO's field sizes as bounds. */
typedef struct uri_attr {
    const char *name;
    size_t offset; /* of the char * in prov_uri */
    size_t max;
} uri_attr;

static const uri_attr uri_attrs[] = {
    {"token", offsetof(prov_uri, token), 32},
    {"serial", offsetof(prov_uri, serial), 16},
    {"manufacturer", offsetof(prov_uri, manufacturer), 32},
    {"model", offsetof(prov_uri, model), 16},
    {"slot-id", offsetof(prov_uri, slotid), 20},
    {"module-name", offsetof(prov_uri, module_name), 64},
    {"module-path", offsetof(prov_uri, module_path), 1024},
    {"pin-value", offsetof(prov_uri, pin_value), PROV_PIN_MAX},
    {"pin-source", offsetof(prov_uri, pin_source), 1024},
};

/* The one message of a failed allocation (compared by address). */
static const char URI_NOMEM[] = "out of memory";

/*
 * Percent-decode `in[0..len)` into a new string of at most `max` bytes.
 * NUL and control bytes are refused, raw or escaped.
 */
static char *pct_decode(const char *in, size_t len, size_t max, const char **err)
{
    char *out = malloc(len + 1);
    size_t i, n = 0;

    if (out == NULL) {
        *err = URI_NOMEM;
        return NULL;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];

        if (c == '%') {
            int hi, lo;

            if (len - i < 3) {
                *err = "truncated percent escape";
                goto fail;
            }
            hi = OPENSSL_hexchar2int((unsigned char)in[i + 1]);
            lo = OPENSSL_hexchar2int((unsigned char)in[i + 2]);
            if (hi < 0 || lo < 0) {
                *err = "invalid percent escape";
                goto fail;
            }
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        }
        if (c < 0x20 || c == 0x7f) {
            *err = "control character or NUL in a value";
            goto fail;
        }
        out[n++] = (char)c;
    }
    out[n] = '\0';
    if (n == 0) {
        *err = "empty value";
        goto fail;
    }
    if (n > max) {
        *err = "value too long";
        goto fail;
    }
    return out;
fail:
    OPENSSL_cleanse(out, len + 1);
    free(out);
    return NULL;
}

static const uri_attr *attr_find(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < PROV_ARRAY_LEN(uri_attrs); i++)
        if (strlen(uri_attrs[i].name) == len && memcmp(uri_attrs[i].name, name, len) == 0)
            return &uri_attrs[i];
    return NULL;
}

/* A CK_SLOT_ID in decimal: digits only, fits in unsigned long. */
static int slot_id_valid(const char *s)
{
    char *end;
    unsigned long long v;

    if (s[0] < '0' || s[0] > '9')
        return 0;
    errno = 0;
    v = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0' && v <= (unsigned long)-1;
}

/*
 * The other attribute names RFC 7512 defines. They are public vocabulary, so
 * an error may name them; any other name may be a PIN typed in the wrong
 * place and is never shown.
 */
static const char *const rfc7512_unsupported[] = {
    "id",     "library-description", "library-manufacturer", "library-version",
    "object", "slot-description",    "slot-manufacturer",    "type",
};

#define URI_SUPPORTED                                                                              \
    "supported: token, serial, manufacturer, model, slot-id, module-name, module-path, "           \
    "pin-value, "                                                                                  \
    "pin-source"

static const char *rfc7512_name(const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < PROV_ARRAY_LEN(rfc7512_unsupported); i++)
        if (strlen(rfc7512_unsupported[i]) == len && memcmp(rfc7512_unsupported[i], name, len) == 0)
            return rfc7512_unsupported[i];
    return NULL;
}

/* One "name=value" of length `len`. */
static prov_status parse_attr(const char *s, size_t len, prov_uri *out, char *why, size_t whylen)
{
    const char *eq = memchr(s, '=', len);
    const uri_attr *a;
    const char *err = NULL, *known;
    char **slot;
    char *v;

    /* Not echoed: a stray component may be a PIN typed in the wrong place. */
    if (eq == NULL) {
        snprintf(why, whylen, "a component without '=' (attributes are name=value)");
        return PROV_R_TOKEN_URI;
    }
    a = attr_find(s, (size_t)(eq - s));
    if (a == NULL) {
        known = rfc7512_name(s, (size_t)(eq - s));
        if (known != NULL)
            snprintf(why, whylen, "unsupported attribute \"%s\" (" URI_SUPPORTED ")", known);
        else
            snprintf(why, whylen,
                     "an unknown attribute (its name is not shown: it may be a misplaced "
                     "PIN; " URI_SUPPORTED ")");
        return PROV_R_TOKEN_URI;
    }
    slot = (char **)((char *)out + a->offset);
    if (*slot != NULL) {
        snprintf(why, whylen, "attribute \"%s\" given twice", a->name);
        return PROV_R_TOKEN_URI;
    }
    v = pct_decode(eq + 1, len - (size_t)(eq + 1 - s), a->max, &err);
    if (v == NULL) {
        snprintf(why, whylen, "attribute \"%s\": %s", a->name, err);
        return err == URI_NOMEM ? PROV_R_NOMEM : PROV_R_TOKEN_URI;
    }
    *slot = v;
    if (a->offset == offsetof(prov_uri, slotid) && !slot_id_valid(v)) {
        snprintf(why, whylen, "attribute \"slot-id\" must be a decimal number");
        return PROV_R_TOKEN_URI;
    }
    return PROV_R_OK;
}

/*
 * A component of a URI, empty ones included; `lead` is the separator before
 * it ('\0' for the first one of the path). Returns 0 to stop the walk (a
 * callback's "go on" flag, not a status).
 */
typedef int (*uri_part_fn)(const char *s, size_t len, char lead, void *arg);

/* The components of `s[0..len)` separated by `sep`, the first one led by `lead`. */
static int walk_list(const char *s, size_t len, char sep, char lead, uri_part_fn fn, void *arg)
{
    for (;;) {
        const char *end = memchr(s, sep, len);
        size_t n = end != NULL ? (size_t)(end - s) : len;

        if (!fn(s, n, lead, arg))
            return 0;
        if (end == NULL)
            return 1;
        len -= n + 1;
        s = end + 1;
        lead = sep;
    }
}

/*
 * Every component of the URI body (after "pkcs11:"): the path split on ';'
 * up to the first '?', then the query split on '&'. The parser and the
 * redaction both walk this way, so that whatever the parser takes as a
 * pin-value is exactly what the redaction hides.
 */
static int uri_walk(const char *body, size_t len, uri_part_fn fn, void *arg)
{
    const char *q = memchr(body, '?', len);
    size_t plen = q != NULL ? (size_t)(q - body) : len;

    if (!walk_list(body, plen, ';', '\0', fn, arg))
        return 0;
    return q == NULL || walk_list(q + 1, len - plen - 1, '&', '?', fn, arg);
}

typedef struct parse_state {
    prov_uri *out;
    char *why;
    size_t whylen;
    prov_status rc; /* the first failure */
} parse_state;

/* Empty components are skipped. */
static int parse_part(const char *s, size_t len, char lead, void *arg)
{
    parse_state *st = arg;

    (void)lead;
    if (len == 0)
        return 1;
    st->rc = parse_attr(s, len, st->out, st->why, st->whylen);
    return st->rc == PROV_R_OK;
}

prov_status prov_uri_parse(const char *text, prov_uri *out, char *why, size_t whylen)
{
    parse_state st = {out, why, whylen, PROV_R_OK};
    size_t len;

    memset(out, 0, sizeof(*out));
    if (text == NULL || text[0] == '\0') {
        snprintf(why, whylen, "pkcs11-token is empty");
        return PROV_R_TOKEN_URI;
    }
    len = strnlen(text, PROV_URI_MAX + 1);
    if (len > PROV_URI_MAX) {
        snprintf(why, whylen, "pkcs11-token is longer than %d bytes", PROV_URI_MAX);
        return PROV_R_TOKEN_URI;
    }
    if (!uri_has_scheme(text)) {
        /* A plain label, taken verbatim. */
        if (len > 32) {
            snprintf(why, whylen, "token label is longer than 32 bytes");
            return PROV_R_TOKEN_URI;
        }
        out->token = strdup(text);
        if (out->token == NULL) {
            snprintf(why, whylen, URI_NOMEM);
            return PROV_R_NOMEM;
        }
        return PROV_R_OK;
    }
    if (!uri_walk(text + strlen(URI_SCHEME), len - strlen(URI_SCHEME), parse_part, &st)) {
        prov_uri_clear(out);
        return st.rc != PROV_R_OK ? st.rc : PROV_R_TOKEN_URI;
    }
    if (out->pin_value != NULL && out->pin_source != NULL) {
        snprintf(why, whylen, "the token URI has both pin-value and pin-source: keep one");
        prov_uri_clear(out);
        return PROV_R_TOKEN_URI;
    }
    return PROV_R_OK;
}

void prov_uri_clear(prov_uri *uri)
{
    if (uri->pin_value != NULL)
        OPENSSL_cleanse(uri->pin_value, strlen(uri->pin_value));
    free(uri->token);
    free(uri->serial);
    free(uri->manufacturer);
    free(uri->model);
    free(uri->slotid);
    free(uri->module_name);
    free(uri->module_path);
    free(uri->pin_value);
    free(uri->pin_source);
    memset(uri, 0, sizeof(*uri));
}

/* A bounded output string; cap >= 1, always NUL-terminated, truncates. */
typedef struct redact_buf {
    char *s;
    size_t cap, n;
} redact_buf;

static void redact_add(redact_buf *b, const char *s, size_t len)
{
    size_t room = b->cap - 1 - b->n;

    if (len > room)
        len = room;
    memcpy(b->s + b->n, s, len);
    b->n += len;
    b->s[b->n] = '\0';
}

/*
 * A component is shown only when it is an attribute the parser knows and
 * that holds no PIN; pin-value shows as "pin-value=***", and anything else
 * (another spelling, an unknown name, a stray word: it may be a PIN typed
 * in the wrong place) as "***".
 */
static int redact_part(const char *s, size_t len, char lead, void *arg)
{
    const char *eq = memchr(s, '=', len);
    const uri_attr *a = eq != NULL ? attr_find(s, (size_t)(eq - s)) : NULL;
    redact_buf *b = arg;

    if (lead != '\0')
        redact_add(b, &lead, 1);
    if (len == 0)
        return 1;
    if (a != NULL && a->offset != offsetof(prov_uri, pin_value))
        redact_add(b, s, len);
    else if (a != NULL)
        redact_add(b, "pin-value=***", strlen("pin-value=***"));
    else
        redact_add(b, "***", 3);
    return 1;
}

void prov_uri_redact(const char *text, char *out, size_t outlen)
{
    redact_buf b = {out, outlen, 0};
    size_t len = strlen(text), scheme = strlen(URI_SCHEME);

    if (outlen == 0)
        return;
    out[0] = '\0';
    /* A plain label is taken verbatim by the parser: it holds no PIN. */
    if (!uri_has_scheme(text)) {
        redact_add(&b, text, len);
        return;
    }
    redact_add(&b, text, scheme);
    uri_walk(text + scheme, len - scheme, redact_part, &b);
}
