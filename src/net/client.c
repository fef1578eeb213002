/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The network client: process-wide libcurl setup, the base URL's policy, the
 * API key, the defaults, and the pool of idle multi handles.
 */
#include "config.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "net/transfer.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

/*
 * libcurl's memory, with every block cleansed before it goes back to the
 * heap: libcurl builds each request (the Authorization header with the API
 * key among it) in buffers it frees without wiping, and a freed copy would
 * linger for a core dump or a later allocation to show. Only when p11tee is
 * the first to initialise libcurl in the process (curl_global_init_mem()
 * changes nothing after another curl_global_init()).
 */
static void *net_mem_malloc(size_t n)
{
    void *p = malloc(n);

    if (p == NULL)
        err_oom_note(); /* libcurl's "out of memory" may also mean a header too large */
    return p;
}

static void *net_mem_calloc(size_t n, size_t size)
{
    void *p = calloc(n, size);

    if (p == NULL)
        err_oom_note();
    return p;
}

static void net_mem_free(void *p)
{
    if (p != NULL) {
        OPENSSL_cleanse(p, malloc_usable_size(p));
        free(p);
    }
}

static void *net_mem_realloc(void *p, size_t n)
{
    size_t had;
    void *q;

    if (p == NULL)
        return net_mem_malloc(n);
    had = malloc_usable_size(p);
    if (n <= had && n > 0)
        return p; /* it fits: nothing moves, nothing is left behind */
    if ((q = net_mem_malloc(n > 0 ? n : 1)) == NULL)
        return NULL;
    memcpy(q, p, had < n ? had : n);
    net_mem_free(p);
    return q;
}

static char *net_mem_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = net_mem_malloc(n);

    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

static void global_init(void)
{
    global_rc = curl_global_init_mem(CURL_GLOBAL_DEFAULT, net_mem_malloc, net_mem_free,
                                     net_mem_realloc, net_mem_strdup, net_mem_calloc);
}

static int is_loopback(const char *host)
{
    return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 ||
           strcasecmp(host, "localhost") == 0;
}

/* The URL of `u` without user, password and login options, for messages. */
static char *url_without_credentials(CURLU *u)
{
    CURLU *v = curl_url_dup(u);
    char *s = NULL, *out = NULL;

    if (v != NULL && curl_url_set(v, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
        curl_url_set(v, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
        curl_url_set(v, CURLUPART_OPTIONS, NULL, 0) == CURLUE_OK &&
        curl_url_get(v, CURLUPART_URL, &s, 0) == CURLUE_OK)
        out = strdup(s);
    curl_free(s);
    curl_url_cleanup(v);
    return out;
}

static int has_part(CURLU *u, CURLUPart what)
{
    char *s = NULL;
    int has = curl_url_get(u, what, &s, 0) == CURLUE_OK && s != NULL && s[0] != '\0';

    curl_free(s);
    return has;
}

/* The URL policy of the parsed base URL `u`; `shown` names it in messages. */
static p11tee_status check_url_policy(CURLU *u, const char *shown, p11tee_error *err)
{
    char *scheme = NULL, *host = NULL;
    p11tee_status rc = P11TEE_OK;

    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        rc = err_set(err, P11TEE_E_CONFIG, "base URL %s has no scheme or host", shown);
    else if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)
        rc = err_set(err, P11TEE_E_CONFIG, "base URL %s: only https:// is supported", shown);
    else if (strcmp(scheme, "http") == 0 && !is_loopback(host))
        rc = err_set(err, P11TEE_E_CONFIG,
                     "refusing plain http:// to %s: use https:// (http:// is allowed only to "
                     "127.0.0.1, ::1 and localhost)",
                     shown);
    else if (has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD))
        rc = err_set(err, P11TEE_E_CONFIG,
                     "base URL %s must not carry credentials: give the API key on its own", shown);
    else if (has_part(u, CURLUPART_QUERY) || has_part(u, CURLUPART_FRAGMENT))
        rc = err_set(err, P11TEE_E_CONFIG, "base URL %s must not have a query or fragment", shown);
    curl_free(scheme);
    curl_free(host);
    return rc;
}

/* Parse and check the base URL; `*out` is its normalised form without a trailing '/'. */
static p11tee_status parse_base(const char *url, char **out, p11tee_error *err)
{
    CURLU *u = curl_url();
    char *shown = NULL, *full = NULL;
    CURLUcode uc;
    p11tee_status rc;
    size_t n;

    if (u == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory parsing the base URL");
    err_oom_reset();
    uc = curl_url_set(u, CURLUPART_URL, url, 0);
    /* libcurl's parser may call a failed allocation a malformed URL: net_mem_malloc knows. */
    if (uc == CURLUE_OUT_OF_MEMORY || (uc != CURLUE_OK && err_oom_seen())) {
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory parsing the base URL");
    } else if (uc != CURLUE_OK) {
        /* Not echoed: an unparseable URL cannot be stripped of credentials. */
        rc = err_set(err, P11TEE_E_CONFIG,
                     "the base URL is not a valid URL; expected e.g. https://api.venice.ai/api/v1");
        err_detail(err, "%s", curl_url_strerror(uc));
    } else if ((shown = url_without_credentials(u)) == NULL ||
               curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory parsing the base URL");
    } else if ((rc = check_url_policy(u, shown, err)) == P11TEE_OK) {
        for (n = strlen(full); n > 0 && full[n - 1] == '/'; n--)
            full[n - 1] = '\0';
        if ((*out = strdup(full)) == NULL)
            rc = err_set(err, P11TEE_E_NOMEM, "out of memory parsing the base URL");
    }
    curl_free(full);
    free(shown);
    curl_url_cleanup(u);
    return rc;
}

/* The proxy URL: a scheme libcurl proxies through, a host, no credentials. */
static p11tee_status set_proxy(net_client *c, const char *proxy, p11tee_error *err)
{
    static const char *const schemes[] = {"http",    "https",  "socks4",
                                          "socks4a", "socks5", "socks5h"};
    CURLU *u;
    char *scheme = NULL, *shown = NULL;
    p11tee_status rc = P11TEE_OK;
    size_t i;

    if (proxy == NULL || proxy[0] == '\0')
        return P11TEE_OK;
    if ((u = curl_url()) == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory parsing the proxy URL");
    if (curl_url_set(u, CURLUPART_URL, proxy, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        !has_part(u, CURLUPART_HOST)) {
        rc = err_set(err, P11TEE_E_CONFIG,
                     "the proxy is not a URL; expected e.g. http://proxy.example:3128");
    } else if (has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD)) {
        shown = url_without_credentials(u);
        rc = err_set(err, P11TEE_E_CONFIG,
                     "the proxy %s must not carry credentials here: give them in https_proxy "
                     "in the environment",
                     shown != NULL ? shown : "URL");
    } else {
        for (i = 0; i < P11TEE_ARRAY_LEN(schemes) && strcmp(scheme, schemes[i]) != 0;)
            i++;
        if (i == P11TEE_ARRAY_LEN(schemes))
            rc = err_set(err, P11TEE_E_CONFIG,
                         "the proxy must be an http://, https:// or socks URL, not %s://", scheme);
        else if ((c->proxy = strdup(proxy)) == NULL)
            rc = err_set(err, P11TEE_E_NOMEM, "out of memory storing the proxy URL");
    }
    free(shown);
    curl_free(scheme);
    curl_url_cleanup(u);
    return rc;
}

static p11tee_status set_key(net_client *c, const char *key, p11tee_error *err)
{
    static const char prefix[] = "Authorization: Bearer ";
    size_t i, n;

    if (key == NULL || key[0] == '\0')
        return P11TEE_OK;
    n = strlen(key);
    for (i = 0; i < n; i++)
        if ((unsigned char)key[i] <= 0x20 || (unsigned char)key[i] >= 0x7f)
            return err_set(err, P11TEE_E_CONFIG,
                           "the API key contains spaces or control characters (at position %zu): "
                           "check the key's source",
                           i);
    c->auth = secmem_alloc(sizeof(prefix) + n); /* locked, out of core dumps */
    if (c->auth == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory storing the API key");
    memcpy(c->auth, prefix, sizeof(prefix) - 1);
    memcpy(c->auth + sizeof(prefix) - 1, key, n + 1);
    c->key = c->auth + sizeof(prefix) - 1;
    return P11TEE_OK;
}

static void client_defaults(net_client *c, const net_options *o)
{
    c->connect_ms = o->connect_timeout_ms ? o->connect_timeout_ms : NET_DEFAULT_CONNECT_TIMEOUT_MS;
    c->idle_ms = o->idle_timeout_ms ? o->idle_timeout_ms : NET_DEFAULT_IDLE_TIMEOUT_MS;
    c->total_ms = o->total_timeout_ms;
    c->collect_ms = o->collect_timeout_ms ? o->collect_timeout_ms : NET_DEFAULT_COLLECT_TIMEOUT_MS;
    c->max_response = o->max_response ? o->max_response : NET_DEFAULT_MAX_RESPONSE;
    c->pool_max = o->pool_max == 0             ? NET_POOL_DEFAULT
                  : o->pool_max > NET_POOL_MAX ? NET_POOL_MAX
                                               : o->pool_max;
    c->log = o->log;
    c->log_ctx = o->log_ctx;
    c->turn_end = o->turn_end;
    c->turn_ctx = o->turn_ctx;
    snprintf(c->user_agent, sizeof(c->user_agent), "p11tee/%s libcurl/%s", PACKAGE_VERSION,
             curl_version_info(CURLVERSION_NOW)->version);
}

p11tee_status net_client_new(const net_options *o, net_client **out, p11tee_error *err)
{
    net_client *c;
    p11tee_status rc;

    *out = NULL;
    if (o == NULL || o->base_url == NULL)
        return err_set(err, P11TEE_E_INVALID_ARG, "no base URL given");
    if (o->connect_timeout_ms < 0 || o->idle_timeout_ms < 0 || o->total_timeout_ms < 0 ||
        o->collect_timeout_ms < 0)
        return err_set(err, P11TEE_E_INVALID_ARG, "network timeouts must not be negative");
    if (o->stream_threads > NET_STREAM_THREADS_MAX)
        return err_set(err, P11TEE_E_INVALID_ARG, "at most %d stream threads",
                       NET_STREAM_THREADS_MAX);
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK) {
        err_set(err, P11TEE_E_NET, "libcurl could not be initialised");
        err_detail(err, "curl_global_init: %s", curl_easy_strerror(global_rc));
        return P11TEE_E_NET;
    }
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory creating the network client");
    pthread_mutex_init(&c->lock, NULL);
    client_defaults(c, o);
    if ((c->idle = calloc(c->pool_max, sizeof(*c->idle))) == NULL) {
        net_client_free(c);
        return err_set(err, P11TEE_E_NOMEM, "out of memory creating the network client");
    }
    if ((rc = parse_base(o->base_url, &c->base, err)) != P11TEE_OK ||
        (rc = set_key(c, o->api_key, err)) != P11TEE_OK ||
        (rc = set_proxy(c, o->proxy, err)) != P11TEE_OK ||
        (rc = net_trust_new(o->ca_file, &c->trust, err)) != P11TEE_OK) {
        net_client_free(c);
        return rc;
    }
    c->plain_http = strncmp(c->base, "http://", 7) == 0;
    if ((rc = net_loops_start(c, o->stream_threads, err)) != P11TEE_OK) {
        net_client_free(c);
        return rc;
    }
    *out = c;
    return P11TEE_OK;
}

void net_client_free(net_client *c)
{
    size_t i;

    if (c == NULL)
        return;
    net_loops_stop(c);
    secmem_free(c->auth);
    for (i = 0; i < c->n_idle; i++)
        curl_multi_cleanup(c->idle[i]);
    free(c->idle);
    X509_STORE_free(c->trust);
    free(c->proxy);
    free(c->base);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* Multi handles (each with its own connection cache) are reused, one per running request. */
CURLM *net_pool_take(net_client *c)
{
    CURLM *m = NULL;

    pthread_mutex_lock(&c->lock);
    if (c->n_idle > 0)
        m = c->idle[--c->n_idle];
    pthread_mutex_unlock(&c->lock);
    return m != NULL ? m : curl_multi_init();
}

void net_pool_give(net_client *c, CURLM *m)
{
    pthread_mutex_lock(&c->lock);
    if (c->n_idle < c->pool_max) {
        c->idle[c->n_idle++] = m;
        m = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    if (m != NULL)
        curl_multi_cleanup(m);
}
