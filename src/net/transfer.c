/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * HTTP transfers over libcurl's multi interface. We drive the transfer
 * ourselves (curl_multi_poll in a loop) so that the idle timeout is measured
 * from the last received byte with millisecond precision; libcurl's
 * low-speed limit has one-second granularity and averages over its window.
 *
 * Trust: every TLS connection verifies peer and host name against one
 * X509_STORE per client, built once from OpenSSL's default verify paths (the
 * system roots; SSL_CERT_FILE / SSL_CERT_DIR honoured) plus the certificates
 * of the optional CA file, and installed through CURLOPT_SSL_CTX_FUNCTION.
 * libcurl's own CA file is switched off so that the roots are parsed once.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "net/net.h"

#define POOL_MAX     4
#define LOG_LINE_MAX 1024
#define POLL_MAX_MS  1000L

struct net_client {
    char *base;      /* normalised base URL without credentials or trailing '/' */
    char *auth;      /* "Authorization: Bearer <key>" or NULL; cleansed on free */
    const char *key; /* the key inside `auth`, for redaction; NULL when none */
    char user_agent[96];
    X509_STORE *trust;
    long connect_ms, idle_ms, total_ms, collect_ms;
    int plain_http; /* loopback http://: never through a proxy, which would see the key */
    size_t max_response;
    net_log_fn log;
    void *log_ctx;
    pthread_mutex_t lock; /* guards idle[] */
    CURLM *idle[POOL_MAX];
    size_t n_idle;
};

/* One running request. */
typedef struct xfer {
    net_client *c;
    const net_request *req;
    net_response *resp;
    const char *url;
    CURL *h;
    p11tee_error *err;
    p11tee_status rc; /* why a callback aborted the transfer */
    long total_ms;    /* this transfer's whole-request limit; 0: none */
    int sink_failed;  /* rc and err came from the sink: hand them back untouched */
    int connected;    /* the idle clock runs only once the request can be sent */
    uint64_t start_ms, last_rx_ms;
    size_t received;
} xfer;

/* ---- process-wide setup ---------------------------------------------------- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/*
 * libcurl runs with CURLOPT_NOSIGNAL (required with threads), so a write to
 * a peer that closed could raise SIGPIPE. Block it in this thread for the
 * transfer and swallow one that we caused, leaving the process disposition
 * alone.
 */
typedef struct sigpipe_guard {
    sigset_t old;
    int was_pending;
} sigpipe_guard;

static void sigpipe_block(sigpipe_guard *g)
{
    sigset_t pipe_set, pending;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    g->was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &g->old);
}

static void sigpipe_restore(const sigpipe_guard *g)
{
    sigset_t pipe_set, pending;
    struct timespec zero = {0, 0};

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    if (!g->was_pending && sigismember(&pending, SIGPIPE))
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* ---- client ---------------------------------------------------------------- */

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
    uc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (uc != CURLUE_OK) {
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
    c->auth = malloc(sizeof(prefix) + n);
    if (c->auth == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory storing the API key");
    memcpy(c->auth, prefix, sizeof(prefix) - 1);
    memcpy(c->auth + sizeof(prefix) - 1, key, n + 1);
    c->key = c->auth + sizeof(prefix) - 1;
    return P11TEE_OK;
}

static p11tee_status trust_add_file(X509_STORE *st, const char *path, p11tee_error *err)
{
    BIO *in = BIO_new_file(path, "r");
    X509 *x;
    int n = 0, ok = 1;

    if (in == NULL)
        return err_openssl(err, P11TEE_E_CONFIG, "cannot read the CA file %s: check the path",
                           path);
    while (ok && (x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
        ok = X509_STORE_add_cert(st, x);
        X509_free(x);
        n++;
    }
    BIO_free(in);
    if (ok && n > 0 && ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        return P11TEE_OK;
    }
    return err_openssl(err, P11TEE_E_CONFIG,
                       "the CA file %s is not a readable list of PEM certificates", path);
}

static p11tee_status trust_new(const char *ca_file, X509_STORE **out, p11tee_error *err)
{
    X509_STORE *st = X509_STORE_new();
    p11tee_status rc;

    if (st == NULL || !X509_STORE_set_default_paths(st)) {
        X509_STORE_free(st);
        return err_openssl(err, P11TEE_E_NOMEM, "cannot set up the TLS trust store");
    }
    /* As curl does for its CA file: any certificate in the store is an anchor. */
    X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN);
    if (ca_file != NULL && (rc = trust_add_file(st, ca_file, err)) != P11TEE_OK) {
        X509_STORE_free(st);
        return rc;
    }
    *out = st;
    return P11TEE_OK;
}

static void client_defaults(net_client *c, const net_options *o)
{
    c->connect_ms = o->connect_timeout_ms ? o->connect_timeout_ms : NET_DEFAULT_CONNECT_TIMEOUT_MS;
    c->idle_ms = o->idle_timeout_ms ? o->idle_timeout_ms : NET_DEFAULT_IDLE_TIMEOUT_MS;
    c->total_ms = o->total_timeout_ms;
    c->collect_ms = o->collect_timeout_ms ? o->collect_timeout_ms : NET_DEFAULT_COLLECT_TIMEOUT_MS;
    c->max_response = o->max_response ? o->max_response : NET_DEFAULT_MAX_RESPONSE;
    c->log = o->log;
    c->log_ctx = o->log_ctx;
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
    if ((rc = parse_base(o->base_url, &c->base, err)) != P11TEE_OK ||
        (rc = set_key(c, o->api_key, err)) != P11TEE_OK ||
        (rc = trust_new(o->ca_file, &c->trust, err)) != P11TEE_OK) {
        net_client_free(c);
        return rc;
    }
    c->plain_http = strncmp(c->base, "http://", 7) == 0;
    *out = c;
    return P11TEE_OK;
}

void net_client_free(net_client *c)
{
    size_t i;

    if (c == NULL)
        return;
    if (c->auth != NULL) {
        OPENSSL_cleanse(c->auth, strlen(c->auth));
        free(c->auth);
    }
    for (i = 0; i < c->n_idle; i++)
        curl_multi_cleanup(c->idle[i]);
    X509_STORE_free(c->trust);
    free(c->base);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* Multi handles (each with its own connection cache) are reused, one per running request. */
static CURLM *pool_take(net_client *c)
{
    CURLM *m = NULL;

    pthread_mutex_lock(&c->lock);
    if (c->n_idle > 0)
        m = c->idle[--c->n_idle];
    pthread_mutex_unlock(&c->lock);
    return m != NULL ? m : curl_multi_init();
}

static void pool_give(net_client *c, CURLM *m)
{
    pthread_mutex_lock(&c->lock);
    if (c->n_idle < POOL_MAX) {
        c->idle[c->n_idle++] = m;
        m = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    if (m != NULL)
        curl_multi_cleanup(m);
}

/* ---- logging --------------------------------------------------------------- */

static void say(const net_client *c, const char *fmt, ...) P11TEE_PRINTF(2, 3);

static void say(const net_client *c, const char *fmt, ...)
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

static int name_is(const char *h, size_t nlen, const char *name)
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
    return name_is(h, nlen, "authorization") || name_is(h, nlen, "proxy-authorization") ||
           name_is(h, nlen, "cookie") || name_is(h, nlen, "set-cookie") ||
           name_has(h, nlen, "api-key") || name_has(h, nlen, "apikey") ||
           name_has(h, nlen, "token") || name_has(h, nlen, "secret") ||
           name_has(h, nlen, "password");
}

/* Response headers worth a line of -v output. */
static int header_is_logged(const char *h, size_t nlen)
{
    static const char *const names[] = {"content-type", "content-length", "transfer-encoding",
                                        "retry-after",  "x-request-id",   "cf-ray",
                                        "location"};
    size_t i;

    for (i = 0; i < P11TEE_ARRAY_LEN(names); i++)
        if (name_is(h, nlen, names[i]))
            return 1;
    return (nlen > 12 && strncasecmp(h, "x-ratelimit-", 12) == 0) ||
           (nlen > 9 && strncasecmp(h, "x-venice-", 9) == 0);
}

static void log_request(const xfer *x, const struct curl_slist *hdrs)
{
    const net_client *c = x->c;
    const struct curl_slist *h;

    if (c->log == NULL)
        return;
    say(c, "> %s %s", x->req->method, x->url);
    say(c, "> User-Agent: %s", c->user_agent);
    for (h = hdrs; h != NULL; h = h->next) {
        size_t nlen = strcspn(h->data, ":");

        if (strcmp(h->data, "Expect:") == 0)
            continue;
        if (header_is_secret(h->data, nlen))
            say(c, "> %.*s: [REDACTED]", (int)nlen, h->data);
        else
            say(c, "> %s", h->data);
    }
    if (x->req->body != NULL)
        say(c, "> (request body: %zu bytes)", x->req->body_len);
}

static double ms_of(CURL *h, CURLINFO what)
{
    curl_off_t us = 0;

    curl_easy_getinfo(h, what, &us);
    return (double)us / 1000.0;
}

static void log_outcome(const xfer *x, p11tee_status rc)
{
    const net_client *c = x->c;
    char *ip = NULL;
    long port = 0;

    if (c->log == NULL)
        return;
    curl_easy_getinfo(x->h, CURLINFO_PRIMARY_IP, &ip);
    curl_easy_getinfo(x->h, CURLINFO_PRIMARY_PORT, &port);
    say(c,
        "* %s port %ld: connect %.1f ms, TLS %.1f ms, first byte %.1f ms, total %.1f ms, "
        "%zu body bytes",
        ip != NULL && ip[0] ? ip : "-", port, ms_of(x->h, CURLINFO_CONNECT_TIME_T),
        ms_of(x->h, CURLINFO_APPCONNECT_TIME_T), ms_of(x->h, CURLINFO_STARTTRANSFER_TIME_T),
        (double)(now_ms() - x->start_ms), x->received);
    if (rc != P11TEE_OK)
        say(c, "* failed: %s", x->err != NULL ? x->err->message : p11tee_strerror(rc));
}

/* ---- request ----------------------------------------------------------------- */

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

static p11tee_status check_request(const net_request *req, p11tee_error *err)
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

/* The list holds a copy of the API key: cleanse it before it is freed. */
static void free_headers(struct curl_slist *l)
{
    struct curl_slist *h;

    for (h = l; h != NULL; h = h->next)
        OPENSSL_cleanse(h->data, strlen(h->data));
    curl_slist_free_all(l);
}

static struct curl_slist *header_list(const net_client *c, const net_request *req)
{
    struct curl_slist *l = NULL;
    int ok = 1, typed = 0;
    size_t i;

    if (c->auth != NULL)
        ok = add_header(&l, c->auth);
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
        free_headers(l);
        return NULL;
    }
    return l;
}

/* ---- callbacks ----------------------------------------------------------- */

static int is_2xx(long status)
{
    return status >= 200 && status < 300;
}

static size_t keep_error_body(xfer *x, const char *data, size_t len)
{
    bytebuf *b = &x->resp->body;
    size_t room = b->max - b->len;

    if (bytebuf_append(b, data, len < room ? len : room) != P11TEE_OK)
        return 0;
    /* Enough to explain the error: stop reading. */
    return len <= room ? len : 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    xfer *x = userp;
    size_t len = size * n;
    p11tee_status rc;

    x->last_rx_ms = now_ms();
    x->received += len;
    if (!is_2xx(x->resp->status))
        return keep_error_body(x, data, len);
    if (x->req->sink != NULL) {
        x->rc = x->req->sink(x->req->sink_ctx, (const uint8_t *)data, len, x->err);
        /* Time spent in the sink is not the server's silence. */
        x->last_rx_ms = now_ms();
        x->sink_failed = x->rc != P11TEE_OK;
        return x->rc == P11TEE_OK ? len : 0;
    }
    rc = bytebuf_append(&x->resp->body, data, len);
    if (rc == P11TEE_OK)
        return len;
    if (rc == P11TEE_E_TOO_LARGE)
        x->rc =
            err_set(x->err, P11TEE_E_RESPONSE_TOO_LARGE,
                    "the response from %s exceeds the %zu-byte limit", x->url, x->c->max_response);
    else
        x->rc = err_set(x->err, P11TEE_E_NOMEM, "out of memory reading the response");
    return 0;
}

static void on_header_field(xfer *x, const char *line, size_t len)
{
    size_t nlen = 0, v;

    while (nlen < len && line[nlen] != ':')
        nlen++;
    if (nlen == len)
        return;
    for (v = nlen + 1; v < len && (line[v] == ' ' || line[v] == '\t'); v++)
        ;
    if (name_is(line, nlen, "content-type"))
        net_printable(x->resp->content_type, sizeof(x->resp->content_type), line + v, len - v,
                      x->c->key);
    if (header_is_logged(line, nlen))
        say(x->c, "< %.*s", (int)len, line);
}

static size_t on_header(char *line, size_t size, size_t n, void *userp)
{
    xfer *x = userp;
    size_t len = size * n;
    long status = 0;

    x->last_rx_ms = now_ms();
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        x->resp->content_type[0] = '\0';
        say(x->c, "< %.*s", (int)len, line);
    } else if (len <= 2) {
        /* End of a header block: the status is final unless it was 1xx. */
        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
        x->resp->status = status;
        x->resp->body.max = is_2xx(status) ? x->c->max_response : NET_ERROR_BODY_MAX;
    } else {
        on_header_field(x, line, len);
    }
    return len;
}

static int on_connected(void *userp, char *ip, char *local_ip, int port, int local_port)
{
    xfer *x = userp;

    x->connected = 1;
    x->last_rx_ms = now_ms();
    return CURL_PREREQFUNC_OK;
}

static CURLcode use_trust(CURL *h, void *ssl_ctx, void *userp)
{
    const net_client *c = userp;

    SSL_CTX_set1_cert_store(ssl_ctx, c->trust);
    return CURLE_OK;
}

/* ---- transfer ---------------------------------------------------------------- */

static p11tee_status setup(xfer *x, struct curl_slist *hdrs, char *errbuf)
{
    CURL *h = x->h;
    const net_request *req = x->req;
    int bad = 0;

    bad |= curl_easy_setopt(h, CURLOPT_URL, x->url) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_USERAGENT, x->c->user_agent) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, x->c->connect_ms) != CURLE_OK;
    if (x->c->plain_http)
        bad |= curl_easy_setopt(h, CURLOPT_NOPROXY, "*") != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_CAINFO, NULL) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_CAPATH, NULL) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, use_trust) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, x->c) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, x) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_HEADERDATA, x) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_connected) != CURLE_OK;
    bad |= curl_easy_setopt(h, CURLOPT_PREREQDATA, x) != CURLE_OK;
    if (strcmp(req->method, "GET") == 0 && req->body == NULL) {
        bad |= curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) != CURLE_OK;
    } else {
        if (strcmp(req->method, "POST") != 0)
            bad |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method) != CURLE_OK;
        if (req->body != NULL || strcmp(req->method, "POST") == 0) {
            bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len) !=
                   CURLE_OK;
            bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "") != CURLE_OK;
        }
    }
    if (bad)
        return err_set(x->err, P11TEE_E_NET,
                       "libcurl refused the transfer options: it must be built with OpenSSL, "
                       "HTTP and HTTPS (libcurl4-openssl-dev)");
    return P11TEE_OK;
}

/* Milliseconds until the idle or total limit strikes (<= 0: it has), capped for polling. */
static long time_left(const xfer *x, uint64_t now)
{
    long left = POLL_MAX_MS, t;

    if (x->total_ms > 0 && (t = (long)(x->start_ms + (uint64_t)x->total_ms - now)) < left)
        left = t;
    if (x->connected && (t = (long)(x->last_rx_ms + (uint64_t)x->c->idle_ms - now)) < left)
        left = t;
    return left;
}

static p11tee_status timed_out(const xfer *x, uint64_t now)
{
    const net_client *c = x->c;

    if (x->total_ms > 0 && now - x->start_ms >= (uint64_t)x->total_ms)
        err_set(x->err, P11TEE_E_NET_TIMEOUT,
                "%s %s did not finish within %ld ms (total timeout): retry, or raise the timeout",
                x->req->method, x->url, x->total_ms);
    else
        err_set(x->err, P11TEE_E_NET_IDLE_TIMEOUT,
                "no data from %s for %ld ms (idle timeout): the server stalled; retry, or "
                "raise the idle timeout",
                x->url, c->idle_ms);
    err_detail(x->err, "%zu body bytes received; last byte %llu ms after the start", x->received,
               (unsigned long long)(x->last_rx_ms - x->start_ms));
    return x->err != NULL ? x->err->code : P11TEE_E_NET_TIMEOUT;
}

/* Run the transfer until libcurl is done, a callback aborts it, or a limit strikes. */
static p11tee_status drive(xfer *x, CURLM *m, CURLcode *res)
{
    int running = 1, left;
    CURLMcode mc;
    CURLMsg *msg;
    long wait;

    x->start_ms = x->last_rx_ms = now_ms();
    for (;;) {
        mc = curl_multi_perform(m, &running);
        if (mc != CURLM_OK)
            return err_set(x->err, P11TEE_E_NET, "libcurl failed: %s", curl_multi_strerror(mc));
        if (!running)
            break;
        wait = time_left(x, now_ms());
        if (wait <= 0)
            return timed_out(x, now_ms());
        mc = curl_multi_poll(m, NULL, 0, (int)wait, NULL);
        if (mc != CURLM_OK)
            return err_set(x->err, P11TEE_E_NET, "libcurl failed: %s", curl_multi_strerror(mc));
    }
    msg = curl_multi_info_read(m, &left);
    *res = msg != NULL && msg->msg == CURLMSG_DONE ? msg->data.result : CURLE_FAILED_INIT;
    return P11TEE_OK;
}

static p11tee_status curl_failure(const xfer *x, CURLcode res, const char *errbuf)
{
    p11tee_status code;

    switch (res) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        code = err_set(x->err, P11TEE_E_NET_CONNECT,
                       "could not connect to %s: check the URL, the network and any proxy "
                       "settings",
                       x->url);
        break;
    case CURLE_OPERATION_TIMEDOUT: /* only the connect timeout is libcurl's */
        code = err_set(x->err, P11TEE_E_NET_CONNECT,
                       "connecting to %s timed out after %ld ms: check the URL, the network and "
                       "any proxy settings",
                       x->url, x->c->connect_ms);
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        code = err_set(x->err, P11TEE_E_NET_TLS,
                       "TLS with %s failed: the server's certificate is not trusted or the "
                       "handshake failed; for a private CA, add its certificate with --cacert",
                       x->url);
        break;
    case CURLE_OUT_OF_MEMORY:
        code = err_set(x->err, P11TEE_E_NOMEM, "out of memory during the transfer");
        break;
    default:
        code =
            err_set(x->err, P11TEE_E_NET,
                    "the connection to %s broke before the response was complete: retry", x->url);
        break;
    }
    err_detail(x->err, "libcurl: %s", errbuf[0] ? errbuf : curl_easy_strerror(res));
    return code;
}

static p11tee_status outcome(xfer *x, CURLcode res, const char *errbuf)
{
    net_response *r = x->resp;

    if (x->rc != P11TEE_OK)
        return x->rc;
    /* A status is more telling than a transport error that followed it. */
    if (r->status != 0 && !is_2xx(r->status))
        return net_http_error(r->status, r->body.data, r->body.len, x->c->key, r->error_text,
                              sizeof(r->error_text), x->err);
    if (res != CURLE_OK)
        return curl_failure(x, res, errbuf);
    return P11TEE_OK;
}

/* Redact the key from texts that libcurl or the server helped to write. */
static void scrub(const net_client *c, p11tee_error *err)
{
    char tmp[P11TEE_ERROR_DETAIL_MAX];

    if (err == NULL || c->key == NULL)
        return;
    net_printable(tmp, sizeof(err->message), err->message, strlen(err->message), c->key);
    memcpy(err->message, tmp, strlen(tmp) + 1);
    net_printable(tmp, sizeof(err->detail), err->detail, strlen(err->detail), c->key);
    memcpy(err->detail, tmp, strlen(tmp) + 1);
}

static char *join_url(const char *base, const char *path)
{
    size_t b = strlen(base), p = strlen(path);
    char *url = malloc(b + p + 1);

    if (url != NULL) {
        memcpy(url, base, b);
        memcpy(url + b, path, p + 1);
    }
    return url;
}

static p11tee_status run(xfer *x, CURLM *m, struct curl_slist *hdrs)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    CURLcode res = CURLE_OK;
    sigpipe_guard g;
    p11tee_status rc;

    if ((rc = setup(x, hdrs, errbuf)) != P11TEE_OK)
        return rc;
    if (curl_multi_add_handle(m, x->h) != CURLM_OK)
        return err_set(x->err, P11TEE_E_NET, "libcurl could not start the transfer");
    log_request(x, hdrs);
    sigpipe_block(&g);
    rc = drive(x, m, &res);
    sigpipe_restore(&g);
    if (rc == P11TEE_OK)
        rc = outcome(x, res, errbuf);
    log_outcome(x, rc);
    curl_multi_remove_handle(m, x->h);
    return rc;
}

p11tee_status net_perform(net_client *c, const net_request *req, net_response *resp,
                          p11tee_error *err)
{
    xfer x;
    struct curl_slist *hdrs = NULL;
    CURLM *m = NULL;
    p11tee_status rc;

    if (resp == NULL)
        return err_set(err, P11TEE_E_INVALID_ARG, "no response object given");
    memset(resp, 0, sizeof(*resp));
    bytebuf_init(&resp->body, c != NULL ? c->max_response : 0);
    if (c == NULL || req == NULL)
        return err_set(err, P11TEE_E_INVALID_ARG, "no client or request given");
    if ((rc = check_request(req, err)) != P11TEE_OK)
        return rc;
    memset(&x, 0, sizeof(x));
    x.c = c;
    /* A collected answer is small: without a limit of its own a trickle could hold us forever. */
    x.total_ms = c->total_ms > 0 ? c->total_ms : req->sink == NULL ? c->collect_ms : 0;
    x.req = req;
    x.resp = resp;
    x.err = err;
    x.url = join_url(c->base, req->path);
    hdrs = header_list(c, req);
    x.h = curl_easy_init();
    m = pool_take(c);
    if (x.url == NULL || hdrs == NULL || x.h == NULL || m == NULL)
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory preparing the request");
    else
        rc = run(&x, m, hdrs);
    curl_easy_cleanup(x.h);
    if (m != NULL)
        pool_give(c, m);
    free_headers(hdrs);
    free((char *)x.url);
    if (rc != P11TEE_OK && !x.sink_failed)
        scrub(c, err);
    return rc;
}

void net_response_free(net_response *resp)
{
    if (resp != NULL)
        bytebuf_free(&resp->body);
}
