/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * -v output and redaction: every line goes through net_printable() with the
 * API key, credential headers are shown as [REDACTED], and error texts that
 * libcurl or the server helped to write are scrubbed of the key.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "net/transfer.h"

#define LOG_LINE_MAX 1024

void net_say(const net_client *c, const char *fmt, ...)
{
    char raw[LOG_LINE_MAX], line[LOG_LINE_MAX];
    va_list ap;

    if (c->log == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    net_printable(line, sizeof(line), raw, strlen(raw), c->key);
    c->log(c->log_ctx, line);
}

int net_header_name_is(const char *h, size_t nlen, const char *name)
{
    return nlen == strlen(name) && strncasecmp(h, name, nlen) == 0;
}

static int name_has(const char *h, size_t nlen, const char *part)
{
    size_t plen = strlen(part), i;

    for (i = 0; i + plen <= nlen; i++)
        if (strncasecmp(h + i, part, plen) == 0)
            return 1;
    return 0;
}

static int header_is_secret(const char *h, size_t nlen)
{
    return net_header_name_is(h, nlen, "authorization") ||
           net_header_name_is(h, nlen, "proxy-authorization") ||
           net_header_name_is(h, nlen, "cookie") || net_header_name_is(h, nlen, "set-cookie") ||
           name_has(h, nlen, "api-key") || name_has(h, nlen, "apikey") ||
           name_has(h, nlen, "token") || name_has(h, nlen, "secret") ||
           name_has(h, nlen, "password");
}

/* Response headers worth a line of -v output. */
int net_header_is_logged(const char *h, size_t nlen)
{
    static const char *const names[] = {"content-type", "content-length", "transfer-encoding",
                                        "retry-after",  "x-request-id",   "cf-ray",
                                        "location"};
    size_t i;

    for (i = 0; i < P11TEE_ARRAY_LEN(names); i++)
        if (net_header_name_is(h, nlen, names[i]))
            return 1;
    return (nlen > 12 && strncasecmp(h, "x-ratelimit-", 12) == 0) ||
           (nlen > 9 && strncasecmp(h, "x-venice-", 9) == 0);
}

void net_log_request(const net_xfer *x, const struct curl_slist *hdrs)
{
    const net_client *c = x->c;
    const struct curl_slist *h;

    if (c->log == NULL)
        return;
    net_say(c, "> %s %s", x->req->method, x->url);
    net_say(c, "> User-Agent: %s", c->user_agent);
    for (h = hdrs; h != NULL; h = h->next) {
        size_t nlen = strcspn(h->data, ":");

        if (strcmp(h->data, "Expect:") == 0)
            continue;
        if (header_is_secret(h->data, nlen))
            net_say(c, "> %.*s: [REDACTED]", (int)nlen, h->data);
        else
            net_say(c, "> %s", h->data);
    }
    if (x->req->body != NULL)
        net_say(c, "> (request body: %zu bytes)", x->req->body_len);
}

static double ms_of(CURL *h, CURLINFO what)
{
    curl_off_t us = 0;

    curl_easy_getinfo(h, what, &us);
    return (double)us / 1000.0;
}

void net_log_outcome(const net_xfer *x, p11tee_status rc)
{
    const net_client *c = x->c;
    char *ip = NULL;
    long port = 0;

    if (c->log == NULL)
        return;
    curl_easy_getinfo(x->h, CURLINFO_PRIMARY_IP, &ip);
    curl_easy_getinfo(x->h, CURLINFO_PRIMARY_PORT, &port);
    net_say(c,
            "* %s port %ld: connect %.1f ms, TLS %.1f ms, first byte %.1f ms, total %.1f ms, "
            "%zu body bytes",
            ip != NULL && ip[0] ? ip : "-", port, ms_of(x->h, CURLINFO_CONNECT_TIME_T),
            ms_of(x->h, CURLINFO_APPCONNECT_TIME_T), ms_of(x->h, CURLINFO_STARTTRANSFER_TIME_T),
            (double)(net_now_ms() - x->start_ms), x->received);
    if (rc != P11TEE_OK)
        net_say(c, "* failed: %s", x->err != NULL ? x->err->message : p11tee_strerror(rc));
}

/* Redact the key from texts that libcurl or the server helped to write. */
void net_scrub(const net_client *c, p11tee_error *err)
{
    char tmp[P11TEE_ERROR_DETAIL_MAX];

    if (err == NULL || c->key == NULL)
        return;
    net_printable(tmp, sizeof(err->message), err->message, strlen(err->message), c->key);
    memcpy(err->message, tmp, strlen(tmp) + 1);
    net_printable(tmp, sizeof(err->detail), err->detail, strlen(err->detail), c->key);
    memcpy(err->detail, tmp, strlen(tmp) + 1);
}
