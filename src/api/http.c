/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* What every request of the flows shares: the -v log, collected GETs, query escaping. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "api/api.h"
#include "crypto/crypto.h"
#include "net/net.h"

p11tee_status api_sha256_hex(const void *data, size_t len, char out[2 * SHA256_DIGEST_LENGTH + 1],
                             p11tee_error *err)
{
    uint8_t d[SHA256_DIGEST_LENGTH];
    p11tee_status rc = digest_sha256(data, len, d, err);

    if (rc != P11TEE_OK) {
        out[0] = '\0';
        return rc;
    }
    hex_encode(d, sizeof(d), out, 2 * SHA256_DIGEST_LENGTH + 1);
    return P11TEE_OK;
}

_Static_assert(P11TEE_STREAM_THREADS_MAX == NET_STREAM_THREADS_MAX,
               "the library's stream-threads bound is the network layer's");

void api_net_options(const p11tee_config *cfg, net_options *o)
{
    memset(o, 0, sizeof(*o));
    o->base_url = cfg->base_url != NULL ? cfg->base_url : API_DEFAULT_BASE_URL;
    o->api_key = cfg->api_key;
    o->ca_file = cfg->cacert;
    o->proxy = cfg->proxy;
    o->connect_timeout_ms = cfg->connect_timeout_ms;
    o->idle_timeout_ms = cfg->idle_timeout_ms;
    o->total_timeout_ms = cfg->timeout_ms;
    o->pool_max = (size_t)cfg->connections;
    o->stream_threads = (size_t)cfg->stream_threads;
    o->turn_end = cfg->turn_end;
    o->turn_ctx = cfg->turn_ud;
}

void api_log(const p11tee_client *c, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (c->cfg.log == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    c->cfg.log(c->cfg.log_ud, line);
}

p11tee_status api_get(p11tee_client *c, const char *path, net_response *resp, p11tee_error *err)
{
    net_request req;

    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = path;
    return net_perform(c->net, &req, resp, err);
}

int api_query_escape(const char *in, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (; *in != '\0'; in++) {
        unsigned char ch = (unsigned char)*in;
        int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~';

        if (o + (plain ? 1 : 3) >= cap)
            return 0;
        if (plain) {
            out[o++] = (char)ch;
        } else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = '\0';
    return 1;
}
