/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * A request before it runs: the method, path and headers checked (no CR/LF,
 * header names are tokens), the header list with the API key (cleansed when
 * freed), and the URL.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "net/transfer.h"

static int is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* "Name: value" with a token name and no line breaks or NULs anywhere. */
static int header_ok(const char *h)
{
    size_t n = 0;

    while (is_tchar((unsigned char)h[n]))
        n++;
    if (n == 0 || h[n] != ':')
        return 0;
    for (; h[n] != '\0'; n++)
        if (((unsigned char)h[n] < 0x20 && h[n] != '\t') || h[n] == 0x7f)
            return 0;
    return 1;
}

p11tee_status net_request_check(const net_request *req, p11tee_error *err)
{
    size_t i;

    for (i = 0; req->method != NULL && req->method[i] >= 'A' && req->method[i] <= 'Z'; i++)
        ;
    if (req->method == NULL || i == 0 || i > 16 || req->method[i] != '\0')
        return err_set(err, P11TEE_E_INVALID_ARG, "HTTP method must be upper-case letters");
    if (req->path == NULL || req->path[0] != '/')
        return err_set(err, P11TEE_E_INVALID_ARG, "request path must start with '/'");
    for (i = 0; req->path[i] != '\0'; i++)
        if ((unsigned char)req->path[i] <= 0x20 || (unsigned char)req->path[i] >= 0x7f)
            return err_set(err, P11TEE_E_INVALID_ARG,
                           "request path has a space or control character at offset %zu", i);
    for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
        if (!header_ok(req->headers[i]))
            return err_set(err, P11TEE_E_INVALID_ARG,
                           "request header %zu is not \"Name: value\" on one line", i);
    if (req->body == NULL && req->body_len > 0)
        return err_set(err, P11TEE_E_INVALID_ARG, "request body length without a body");
    return P11TEE_OK;
}

static int add_header(struct curl_slist **l, const char *h)
{
    struct curl_slist *n = curl_slist_append(*l, h);

    if (n == NULL)
        return 0;
    *l = n;
    return 1;
}

void net_headers_free(struct curl_slist *l, const struct curl_slist *auth)
{
    /* The first node, when it is the key's, is the caller's: only the rest is libcurl's. */
    curl_slist_free_all(l == auth ? l->next : l);
}

struct curl_slist *net_request_headers(const net_client *c, const net_request *req,
                                       struct curl_slist *auth)
{
    struct curl_slist *l = NULL;
    int ok = 1, typed = 0;
    size_t i;

    for (i = 0; ok && req->headers != NULL && req->headers[i] != NULL; i++) {
        typed |= strncasecmp(req->headers[i], "content-type:", 13) == 0;
        ok = add_header(&l, req->headers[i]);
    }
    if (ok && req->body != NULL && !typed)
        ok = add_header(&l, "Content-Type: application/json");
    /* No "Expect: 100-continue" round trip for larger bodies. */
    if (ok)
        ok = add_header(&l, "Expect:");
    if (!ok) {
        curl_slist_free_all(l);
        return NULL;
    }
    /*
     * The key's header is not copied into a libcurl node (ordinary heap,
     * alive for the whole transfer, in any core dump): the first node is
     * the caller's, and points at the client's header in secret memory.
     */
    if (c->auth == NULL)
        return l;
    auth->data = c->auth;
    auth->next = l;
    return auth;
}

char *net_request_url(const char *base, const char *path)
{
    size_t b = strlen(base), p = strlen(path);
    char *url = malloc(b + p + 1);

    if (url != NULL) {
        memcpy(url, base, b);
        memcpy(url + b, path, p + 1);
    }
    return url;
}
