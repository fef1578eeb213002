/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * HTTP transfers over libcurl's multi interface. We drive the transfer
 * ourselves (curl_multi_poll in a loop) so that the idle timeout is measured
 * from the last received byte with millisecond precision; libcurl's
 * low-speed limit has one-second granularity and averages over its window.
 * This file is the perform loop: libcurl's callbacks, the options of a
 * transfer, the timeouts and the mapping of the outcome to a status. The
 * client, the trust store, the request and the -v log have files of their
 * own (transfer.h).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "net/transfer.h"

uint64_t net_now_ms(void)
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

/* ---- callbacks ----------------------------------------------------------- */

static int is_2xx(long status)
{
    return status >= 200 && status < 300;
}

static size_t keep_error_body(net_xfer *x, const char *data, size_t len)
{
    bytebuf *b = &x->resp->body;
    size_t room = b->max - b->len;

    if (bytebuf_append(b, data, len < room ? len : room) != P11TEE_OK)
        return 0;
    /* Enough to explain the error: stop reading. */
    return len <= room ? len : 0;
}

/*
 * Held, or yielding to the other transfers of a stream thread: these bytes were
 * taken; libcurl keeps what follows until the transfer is resumed. A pause libcurl
 * could not make (out of memory) may leave its record of the connection's socket
 * half made, which the next pause would trip over: the transfer ends instead
 * (x->rc), and is never paused again.
 */
static void net_xfer_pause(net_xfer *x)
{
    int held = net_cancel_held(x->req->cancel);

    if (curl_easy_pause(x->h, CURLPAUSE_RECV) == CURLE_OK) {
        x->paused = 1;
        x->yielded = !held;
    } else {
        x->rc = err_set(x->err, P11TEE_E_NOMEM, "out of memory pausing the transfer");
    }
}

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    net_xfer *x = userp;
    size_t len = size * n;
    p11tee_status rc;

    x->last_rx_ms = net_now_ms();
    x->received += len;
    if (!is_2xx(x->resp->status))
        return keep_error_body(x, data, len);
    if (x->req->sink != NULL) {
        x->rc = x->req->sink(x->req->sink_ctx, (const uint8_t *)data, len, x->err);
        /* Time spent in the sink is not the server's silence. */
        x->last_rx_ms = net_now_ms();
        x->sink_failed = x->rc != P11TEE_OK;
        if (x->rc == P11TEE_OK && !x->paused && (x->yields || net_cancel_held(x->req->cancel)))
            net_xfer_pause(x);
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

/* A header the request asked to keep: its value, trimmed. 0, or -1 (x->rc set). */
static int keep_header(net_xfer *x, const char *line, size_t nlen, size_t v, size_t len)
{
    const char *const *names = x->req->keep_headers;
    size_t i, end = len;

    for (i = 0; names != NULL && names[i] != NULL && i < NET_KEEP_HEADERS_MAX; i++) {
        if (!net_header_name_is(line, nlen, names[i]))
            continue;
        while (end > v && strchr(" \t\r\n", line[end - 1]) != NULL)
            end--;
        if (end - v > NET_KEPT_HEADER_MAX) {
            x->rc = err_set(x->err, P11TEE_E_RESPONSE_TOO_LARGE,
                            "the %s header from %s exceeds %zu bytes", names[i], x->url,
                            NET_KEPT_HEADER_MAX);
            return -1;
        }
        free(x->resp->kept[i]);
        if ((x->resp->kept[i] = strndup(line + v, end - v)) == NULL) {
            x->rc = err_set(x->err, P11TEE_E_NOMEM, "out of memory reading a header");
            return -1;
        }
    }
    return 0;
}

static int on_header_field(net_xfer *x, const char *line, size_t len)
{
    size_t nlen = 0, v;

    while (nlen < len && line[nlen] != ':')
        nlen++;
    if (nlen == len)
        return 0;
    for (v = nlen + 1; v < len && (line[v] == ' ' || line[v] == '\t'); v++)
        ;
    if (keep_header(x, line, nlen, v, len) != 0)
        return -1;
    if (net_header_name_is(line, nlen, "content-type"))
        net_printable(x->resp->content_type, sizeof(x->resp->content_type), line + v, len - v,
                      x->c->key);
    if (net_header_is_logged(line, nlen))
        net_say(x->c, "< %.*s", (int)len, line);
    return 0;
}

static size_t on_header(char *line, size_t size, size_t n, void *userp)
{
    net_xfer *x = userp;
    size_t len = size * n;
    long status = 0;

    x->last_rx_ms = net_now_ms();
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        x->in_headers = 1;
        x->resp->content_type[0] = '\0';
        net_say(x->c, "< %.*s", (int)len, line);
    } else if (len <= 2) {
        /* End of a header block: the status is final unless it was 1xx. */
        x->in_headers = 0;
        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
        x->resp->status = status;
        x->resp->body.max = is_2xx(status) ? x->c->max_response : NET_ERROR_BODY_MAX;
    } else if (on_header_field(x, line, len) != 0) {
        return 0; /* aborts the transfer with x->rc */
    }
    return len;
}

static int on_connected(void *userp, char *ip, char *local_ip, int port, int local_port)
{
    net_xfer *x = userp;

    x->connected = 1;
    x->last_rx_ms = net_now_ms();
    return CURL_PREREQFUNC_OK;
}

/* ---- transfer ---------------------------------------------------------------- */

/* 1 when a curl_easy_setopt() failed; *oom set when it ran out of memory. */
static int opt_failed(CURLcode rc, int *oom)
{
    if (rc == CURLE_OUT_OF_MEMORY)
        *oom = 1;
    return rc != CURLE_OK;
}

static p11tee_status setup(net_xfer *x, struct curl_slist *hdrs, char *errbuf)
{
    CURL *h = x->h;
    const net_request *req = x->req;
    int bad = 0, oom = 0;

    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_URL, x->url), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https"), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_USERAGENT, x->c->user_agent), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, x->c->connect_ms), &oom);
    if (x->c->plain_http)
        bad |= opt_failed(curl_easy_setopt(h, CURLOPT_NOPROXY, "*"), &oom);
    else if (x->c->proxy != NULL)
        bad |= opt_failed(curl_easy_setopt(h, CURLOPT_PROXY, x->c->proxy), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_CAINFO, NULL), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_CAPATH, NULL), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, net_trust_install), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, x->c), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_WRITEDATA, x), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_HEADERDATA, x), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_connected), &oom);
    bad |= opt_failed(curl_easy_setopt(h, CURLOPT_PREREQDATA, x), &oom);
    if (strcmp(req->method, "GET") == 0 && req->body == NULL) {
        bad |= opt_failed(curl_easy_setopt(h, CURLOPT_HTTPGET, 1L), &oom);
    } else {
        if (strcmp(req->method, "POST") != 0)
            bad |= opt_failed(curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method), &oom);
        if (req->body != NULL || strcmp(req->method, "POST") == 0) {
            bad |= opt_failed(
                curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len), &oom);
            bad |= opt_failed(curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : ""),
                              &oom);
        }
    }
    if (oom)
        return err_set(x->err, P11TEE_E_NOMEM, "out of memory setting up the transfer");
    if (bad)
        return err_set(x->err, P11TEE_E_NET,
                       "libcurl refused the transfer options: it must be built with OpenSSL, "
                       "HTTP and HTTPS (libcurl4-openssl-dev)");
    return P11TEE_OK;
}

long net_xfer_time_left(const net_xfer *x, uint64_t now)
{
    long left = NET_POLL_MAX_MS, t;

    if (x->total_ms > 0 && (t = (long)(x->start_ms + (uint64_t)x->total_ms - now)) < left)
        left = t;
    if (x->connected && !x->paused &&
        (t = (long)(x->last_rx_ms + (uint64_t)x->c->idle_ms - now)) < left)
        left = t;
    return left;
}

p11tee_status net_xfer_resume(net_xfer *x)
{
    if (!x->paused || net_cancel_held(x->req->cancel))
        return P11TEE_OK;
    if (!x->yielded)
        x->last_rx_ms = net_now_ms(); /* a hold ended: the idle clock starts again */
    x->paused = x->yielded = 0;
    /* libcurl may hand the bytes it kept to the sink right here, which may pause again. */
    if (curl_easy_pause(x->h, CURLPAUSE_CONT) == CURLE_OK && x->rc == P11TEE_OK)
        return P11TEE_OK;
    /* The sink failed on the bytes kept, or libcurl could not resume: the transfer ends. */
    x->paused = 1; /* never resumed again */
    if (x->rc == P11TEE_OK)
        x->rc = err_set(x->err, P11TEE_E_NOMEM, "out of memory resuming the transfer");
    return x->rc;
}

p11tee_status net_xfer_timed_out(const net_xfer *x, uint64_t now)
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
static p11tee_status drive(net_xfer *x, CURLM *m, CURLcode *res)
{
    int running = 1, left;
    CURLMcode mc;
    CURLMsg *msg;
    long wait;

    x->start_ms = x->last_rx_ms = net_now_ms();
    err_oom_reset(); /* libcurl's allocations note their failures (client.c) */
    for (;;) {
        if (net_cancel_triggered(x->req->cancel))
            return err_set(x->err, P11TEE_E_CANCELLED, "the request was cancelled");
        if (net_xfer_resume(x) != P11TEE_OK)
            return x->rc;
        mc = curl_multi_perform(m, &running);
        if (mc != CURLM_OK)
            return err_set(x->err, P11TEE_E_NET, "libcurl failed: %s", curl_multi_strerror(mc));
        if (!running)
            break;
        wait = net_xfer_time_left(x, net_now_ms());
        if (wait <= 0)
            return net_xfer_timed_out(x, net_now_ms());
        mc = curl_multi_poll(m, NULL, 0, (int)wait, NULL);
        if (mc != CURLM_OK)
            return err_set(x->err, P11TEE_E_NET, "libcurl failed: %s", curl_multi_strerror(mc));
    }
    msg = curl_multi_info_read(m, &left);
    *res = msg != NULL && msg->msg == CURLMSG_DONE ? msg->data.result : CURLE_FAILED_INIT;
    return P11TEE_OK;
}

static p11tee_status curl_failure(const net_xfer *x, CURLcode res, const char *errbuf)
{
    p11tee_status code;

    /*
     * A transfer during which an allocation failed (libcurl's, noted by
     * client.c, or OpenSSL's) failed for that, whatever libcurl makes of it.
     * Otherwise libcurl refuses a header line over 100 KiB as
     * CURLE_OUT_OF_MEMORY (without a message), and 300 KiB of headers as a
     * receive error: that is the server's doing, and the user should hear
     * so, not "out of memory".
     */
    if (err_oom_seen()) {
        code = err_set(x->err, P11TEE_E_NOMEM, "out of memory during the transfer");
        err_detail(x->err, "libcurl: %s", errbuf[0] ? errbuf : curl_easy_strerror(res));
        return code;
    }
    if ((res == CURLE_OUT_OF_MEMORY && x->in_headers) ||
        (res == CURLE_RECV_ERROR && strstr(errbuf, "response headers") != NULL)) {
        code = err_set(x->err, P11TEE_E_NET_HEADER_TOO_LARGE,
                       "the response headers from %s exceed what libcurl accepts (100 KiB per "
                       "header line, 300 KiB in all): the server or a proxy misbehaves",
                       x->url);
        err_detail(x->err, "libcurl: %s", errbuf[0] ? errbuf : curl_easy_strerror(res));
        return code;
    }
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

static p11tee_status outcome(net_xfer *x, CURLcode res, const char *errbuf)
{
    net_response *r = x->resp;

    if (x->rc != P11TEE_OK)
        return x->rc;
    /* A status is more telling than a transport error that followed it. */
    if (r->status != 0 && !is_2xx(r->status)) {
        net_error_type(r->body.data, r->body.len, x->c->key, r->error_type, sizeof(r->error_type));
        return net_http_error(r->status, r->body.data, r->body.len, x->c->key, r->error_text,
                              sizeof(r->error_text), x->err);
    }
    if (res != CURLE_OK)
        return curl_failure(x, res, errbuf);
    return P11TEE_OK;
}

/* Streamed bodies go to a stream thread when the client has them (loop.c). */
static int on_loop(const net_xfer *x)
{
    return x->c->n_loops > 0 && x->req->sink != NULL;
}

static p11tee_status run(net_xfer *x, CURLM *m, struct curl_slist *hdrs)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    CURLcode res = CURLE_OK;
    sigpipe_guard g;
    p11tee_status rc;

    if ((rc = setup(x, hdrs, errbuf)) != P11TEE_OK)
        return rc;
    if (on_loop(x)) {
        net_log_request(x, hdrs);
        rc = net_loop_perform(x->c, x, &res);
        if (rc == P11TEE_OK)
            rc = outcome(x, res, errbuf);
        net_log_outcome(x, rc);
        return rc;
    }
    if (curl_multi_add_handle(m, x->h) != CURLM_OK)
        return err_set(x->err, P11TEE_E_NET, "libcurl could not start the transfer");
    net_log_request(x, hdrs);
    sigpipe_block(&g);
    if (net_cancel_attach(x->req->cancel, m))
        rc = err_set(x->err, P11TEE_E_CANCELLED, "the request was cancelled");
    else
        rc = drive(x, m, &res);
    net_cancel_detach(x->req->cancel);
    sigpipe_restore(&g);
    if (rc == P11TEE_OK)
        rc = outcome(x, res, errbuf);
    net_log_outcome(x, rc);
    curl_multi_remove_handle(m, x->h);
    return rc;
}

p11tee_status net_perform(net_client *c, const net_request *req, net_response *resp,
                          p11tee_error *err)
{
    net_xfer x;
    struct curl_slist *hdrs = NULL, auth;
    CURLM *m = NULL;
    p11tee_status rc;
    int looped; /* a stream thread drives it: no multi handle of our own */

    if (resp == NULL)
        return err_set(err, P11TEE_E_INVALID_ARG, "no response object given");
    memset(resp, 0, sizeof(*resp));
    bytebuf_init(&resp->body, c != NULL ? c->max_response : 0);
    if (c == NULL || req == NULL)
        return err_set(err, P11TEE_E_INVALID_ARG, "no client or request given");
    if ((rc = net_request_check(req, err)) != P11TEE_OK)
        return rc;
    memset(&x, 0, sizeof(x));
    x.c = c;
    /* A collected answer is small: without a limit of its own a trickle could hold us forever. */
    x.total_ms = c->total_ms > 0 ? c->total_ms : req->sink == NULL ? c->collect_ms : 0;
    x.req = req;
    x.resp = resp;
    x.err = err;
    x.url = net_request_url(c->base, req->path);
    hdrs = net_request_headers(c, req, &auth);
    x.h = curl_easy_init();
    looped = on_loop(&x);
    if (!looped)
        m = net_pool_take(c);
    if (x.url == NULL || hdrs == NULL || x.h == NULL || (m == NULL && !looped))
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory preparing the request");
    else
        rc = run(&x, m, hdrs);
    curl_easy_cleanup(x.h);
    if (m != NULL)
        net_pool_give(c, m);
    net_headers_free(hdrs, &auth);
    free((char *)x.url);
    if (rc != P11TEE_OK && !x.sink_failed)
        net_scrub(c, err);
    return rc;
}

void net_response_free(net_response *resp)
{
    size_t i;

    if (resp == NULL)
        return;
    bytebuf_free(&resp->body);
    for (i = 0; i < NET_KEEP_HEADERS_MAX; i++) {
        free(resp->kept[i]);
        resp->kept[i] = NULL;
    }
}
