/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * PKCS#11 token URIs (provider/uri.c): parsing and the redaction every
 * message uses. Oracles: a text whose scheme is "pkcs11:" in any case is
 * read as a URI, never as a label; the redacted form keeps the scheme and
 * the components as the parser splits them, and shows a component only when
 * it is an attribute that holds no PIN (pin-value as "pin-value=***",
 * anything else as "***"), so no PIN, in any spelling, is ever shown.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "provider/prov.h"

static const char *const uri_shown[] = {"token",   "serial",      "manufacturer", "model",
                                        "slot-id", "module-name", "module-path",  "pin-source"};

/* One component of the redacted form: a shown attribute, or a mask. */
static void uri_component_ok(const char *s, size_t len)
{
    const char *eq = memchr(s, '=', len);
    size_t i;

    if (len == 0 || (len == 3 && memcmp(s, "***", 3) == 0) ||
        (len == 13 && memcmp(s, "pin-value=***", 13) == 0))
        return;
    FUZZ_CHECK(eq != NULL, "the redacted URI shows a bare component: %.*s", (int)len, s);
    for (i = 0; i < P11TEE_ARRAY_LEN(uri_shown); i++)
        if (strlen(uri_shown[i]) == (size_t)(eq - s) &&
            memcmp(uri_shown[i], s, (size_t)(eq - s)) == 0)
            return;
    fuzz_fail("the redacted URI shows the component \"%.*s\"", (int)len, s);
}

/* Walk the redacted body as the parser splits a URI: path on ';' to the first '?', query on '&'. */
static void uri_redacted_ok(const char *body)
{
    const char *q = strchr(body, '?'), *p = body, *end, *stop;
    char sep = ';';

    stop = q != NULL ? q : body + strlen(body);
    for (;;) {
        end = memchr(p, sep, (size_t)(stop - p));
        if (end == NULL)
            end = stop;
        uri_component_ok(p, (size_t)(end - p));
        if (end == stop) {
            if (sep == '&' || q == NULL)
                return;
            p = q + 1;
            stop = body + strlen(body);
            sep = '&';
            continue;
        }
        p = end + 1;
    }
}

static int uri_fuzz_one(const uint8_t *data, size_t size)
{
    /* "***" may stand for a one-byte component: room for the redaction to grow. */
    char *text = malloc(size + 1), *out = malloc(3 * size + 64), why[256];
    prov_uri u;
    int is_uri;

    if (text == NULL || out == NULL)
        fuzz_fail("out of memory");
    memcpy(text, data, size);
    text[size] = '\0'; /* configuration is a C string: the parser sees up to the first NUL */
    is_uri = strncasecmp(text, "pkcs11:", 7) == 0;
    prov_uri_redact(text, out, 3 * size + 64);
    if (!is_uri) {
        FUZZ_CHECK(strcmp(out, text) == 0, "a plain label was not shown as it is");
    } else {
        FUZZ_CHECK(strncmp(out, text, 7) == 0, "the redacted URI lost its scheme");
        uri_redacted_ok(out + 7);
    }
    memset(why, 0, sizeof(why));
    if (prov_uri_parse(text, &u, why, sizeof(why)) == PROV_R_OK) {
        FUZZ_CHECK(!is_uri || u.token == NULL || strcmp(u.token, text) != 0,
                   "a pkcs11: URI was taken as a label");
        prov_uri_clear(&u);
    } else {
        FUZZ_CHECK(why[0] != '\0', "a refused URI without a reason");
    }
    free(text);
    free(out);
    return 0;
}

static const fuzz_seed uri_seeds[] = {
    FUZZ_SEED("pkcs11:token=p11tee;serial=1234?pin-source=file:/run/pin"),
    FUZZ_SEED("PKCS11:token=a?pin-value=1234"),
    FUZZ_SEED("pkcs11:token=a?PIN-VALUE=1234&pin%2Dvalue=5678"),
    FUZZ_SEED("pkcs11:;token=typo;?&pin-value=x?y&"),
    FUZZ_SEED("pkcs11:module-name=softhsm2;slot-id=42;model=SoftHSM%20v2"),
    FUZZ_SEED("my token label"),
    FUZZ_SEED("pkcs11:id=%01;object=k;token=a;1234"),
};

FUZZ_REGISTER(uri, uri_fuzz_one, uri_seeds)
