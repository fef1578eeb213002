/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * A server's error answer (net_http_error) and the printable line every
 * untrusted text becomes (net_printable). Oracles: the message, detail and
 * error text are printable ASCII on one line, within their bounds, and never
 * show the API key, however the body spells it (the input's @-markers put
 * it in, escaped or spaced out: fuzz_with_key()).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "net/net.h"

static void httperror_printable(const char *what, const char *s, size_t cap)
{
    size_t len = strnlen(s, cap), i;

    FUZZ_CHECK(len < cap, "%s is not terminated within its %zu bytes", what, cap);
    for (i = 0; i < len; i++)
        FUZZ_CHECK(s[i] >= 0x20 && s[i] < 0x7f, "%s has byte 0x%02x at %zu", what,
                   (unsigned char)s[i], i);
    fuzz_no_api_key(what, s, len);
}

static int httperror_fuzz_one(const uint8_t *data, size_t size)
{
    static const long statuses[] = {400, 401, 403, 404, 429, 500, 502, 503};
    char text[256], small[24];
    size_t len;
    uint8_t *body = fuzz_with_key(data, size, &len);
    long status = statuses[size % P11TEE_ARRAY_LEN(statuses)];
    p11tee_error err;
    p11tee_status rc;

    memset(&err, 0, sizeof(err));
    rc = net_http_error(status, body, len, fuzz_api_key, text, sizeof(text), &err);
    FUZZ_CHECK(rc == (status == 401 || status == 403 ? P11TEE_E_HTTP_UNAUTHORIZED : P11TEE_E_HTTP),
               "HTTP %ld gave status %d", status, rc);
    httperror_printable("the error text", text, sizeof(text));
    httperror_printable("the message", err.message, sizeof(err.message));
    httperror_printable("the detail", err.detail, sizeof(err.detail));
    net_printable(small, sizeof(small), body, len, fuzz_api_key);
    httperror_printable("a short printable line", small, sizeof(small));
    free(body);
    return 0;
}

static const fuzz_seed httperror_seeds[] = {
    FUZZ_SEED("{\"error\":\"E2EE requires streaming\"}"),
    FUZZ_SEED(
        "{\"error\":{\"message\":\"bad key @K\",\"type\":\"auth\",\"details\":{\"k\":\"@K\"}}}"),
    FUZZ_SEED("{\"error\":\"echo @J\",\"details\":[\"@J\",\"@U\",{\"@K\":1}]}"),
    FUZZ_SEED("{\"message\":\"spaced @W and escaped @E\"}"),
    FUZZ_SEED("{\"error\":{\"message\":\"percent @P\"},\"details\":\"tail @C\"}"),
    FUZZ_SEED("<html>502 Bad Gateway @K\r\n\t\x1b[2J</html>"),
    FUZZ_SEED("cut off key: @C"),
    FUZZ_SEED(""),
};

FUZZ_REGISTER(httperror, httperror_fuzz_one, httperror_seeds)
