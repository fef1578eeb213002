/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Transfers over plain HTTP against tests/net/netfixture.py: bodies,
 * streaming, HTTP errors, limits, timeouts, dropped connections, proxies,
 * threads, the URL policy, and the API key kept out of logs and errors.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fixture.h"
#include "net/net.h"
#include "testlib.h"

#define KEY "sk-test-9f8e7d6c5b4a39281706"

static char *dir;
static net_fixture srv, proxy;
static log_lines logs; /* every client of this file logs here */

static int setup(void **state)
{
    (void)state;
    fixture_clear_proxy_env();
    log_lines_init(&logs);
    dir = test_mkdtemp();
    fixture_start(&srv, dir, "srv", "http");
    fixture_start(&proxy, dir, "proxy", "proxy");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fixture_stop(&srv);
    fixture_stop(&proxy);
    test_rmtree(dir);
    free(dir);
    log_lines_free(&logs);
    return 0;
}

static net_client *client_with(const char *url, long idle_ms, long total_ms, size_t max)
{
    net_options o = {0};
    net_client *c = NULL;
    p11tee_error err;

    o.base_url = url;
    o.api_key = KEY;
    o.idle_timeout_ms = idle_ms;
    o.total_timeout_ms = total_ms;
    o.max_response = max;
    o.log = log_lines_add;
    o.log_ctx = &logs;
    assert_int_equal(net_client_new(&o, &c, &err), P11TEE_OK);
    return c;
}

static p11tee_status get(net_client *c, const char *path, net_response *resp, p11tee_error *err)
{
    net_request req = {0};

    req.method = "GET";
    req.path = path;
    return net_perform(c, &req, resp, err);
}

static void get_json(void **state)
{
    net_client *c = client_with(srv.url, 0, 0, 0);
    net_response resp;
    p11tee_error err;

    (void)state;
    assert_int_equal(get(c, "/json", &resp, &err), P11TEE_OK);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "application/json; charset=utf-8");
    assert_int_equal(resp.body.len, strlen("{\"ok\": true}"));
    assert_string_equal((char *)resp.body.data, "{\"ok\": true}");
    assert_string_equal(resp.error_text, "");
    net_response_free(&resp);
    net_client_free(c);
}

/* The value of request header `name` as the fixture echoed it, or NULL. */
static const char *echoed_header(json_object *echo, const char *name)
{
    json_object *headers = json_object_object_get(echo, "headers");
    size_t i;

    for (i = 0; i < json_object_array_length(headers); i++) {
        json_object *pair = json_object_array_get_idx(headers, i);

        if (strcasecmp(json_object_get_string(json_object_array_get_idx(pair, 0)), name) == 0)
            return json_object_get_string(json_object_array_get_idx(pair, 1));
    }
    return NULL;
}

static void post_sends_key_agent_headers_and_body(void **state)
{
    const char *headers[] = {"X-Test: yes", "X-Venice-TEE-Signing-Algo: ecdsa", NULL};
    const char body[] = "{\"x\": 1}";
    net_client *c = client_with(srv.url, 0, 0, 0);
    net_request req = {0};
    net_response resp;
    p11tee_error err;
    json_object *echo;
    char want[300];

    (void)state;
    req.method = "POST";
    req.path = "/echo";
    req.headers = headers;
    req.body = body;
    req.body_len = strlen(body);
    assert_int_equal(net_perform(c, &req, &resp, &err), P11TEE_OK);
    echo = json_tokener_parse((char *)resp.body.data);
    assert_non_null(echo);
    assert_string_equal(json_object_get_string(json_object_object_get(echo, "method")), "POST");
    assert_string_equal(json_object_get_string(json_object_object_get(echo, "body")), body);
    assert_string_equal(echoed_header(echo, "Authorization"), "Bearer " KEY);
    assert_string_equal(echoed_header(echo, "Content-Type"), "application/json");
    assert_string_equal(echoed_header(echo, "X-Test"), "yes");
    assert_null(echoed_header(echo, "Expect"));
    snprintf(want, sizeof(want), "p11tee/%s libcurl/", PACKAGE_VERSION);
    assert_memory_equal(echoed_header(echo, "User-Agent"), want, strlen(want));
    assert_true(strlen(echoed_header(echo, "User-Agent")) > strlen(want) + 2);
    json_object_put(echo);
    net_response_free(&resp);

    /* -v: request line, redacted key, status, selected headers, timing. */
    snprintf(want, sizeof(want), "> POST %s/echo\n", srv.url);
    assert_true(log_lines_have(&logs, want));
    assert_true(log_lines_have(&logs, "\n> Authorization: [REDACTED]\n"));
    assert_true(log_lines_have(&logs, "\n> X-Test: yes\n"));
    assert_true(log_lines_have(&logs, "\n> (request body: 8 bytes)\n"));
    assert_true(log_lines_have(&logs, "\n< HTTP/1.0 200 OK\n") ||
                log_lines_have(&logs, "\n< HTTP/1.1 200 OK\n"));
    assert_true(log_lines_have(&logs, "\n< X-Request-Id: req-42\n"));
    assert_true(log_lines_have(&logs, "\n* 127.0.0.1 port "));
    assert_false(log_lines_have(&logs, KEY));
    net_client_free(c);
}

/* One streamed request: a client, an SSE parser as the sink, and what arrived. */
typedef struct streamed {
    net_client *c;
    sse_parser p;
    net_response resp;
    p11tee_error err;
    int events, late, done;
    int fail_at;     /* >0: the event callback fails there */
    const char *ack; /* acknowledge each event to the server under this token */
    uint64_t took_ms;
} streamed;

static p11tee_status on_stream_event(void *ctx, const sse_event *ev, p11tee_error *err)
{
    streamed *t = ctx;
    char path[96];

    /* Status and type are known before the first body byte reaches the sink. */
    assert_int_equal(t->resp.status, 200);
    assert_string_equal(t->resp.content_type, "text/event-stream");
    if (sse_is_done(ev)) {
        t->done = 1;
        return P11TEE_OK;
    }
    if (strcmp(ev->data, "late") == 0) {
        t->late++;
        return P11TEE_OK;
    }
    t->events++;
    if (t->events == t->fail_at)
        return err_set(err, P11TEE_E_E2EE_PLAINTEXT, "sink refused event %d", t->events);
    if (t->ack != NULL) {
        /* The server sends the next event only after this acknowledgement. */
        snprintf(path, sizeof(path), "/ack?token=%s&k=%d", t->ack, t->events);
        assert_true(fixture_get(srv.port, path));
    }
    return P11TEE_OK;
}

static p11tee_status stream(streamed *t, long idle_ms, const char *path)
{
    net_request req = {0};
    uint64_t t0 = fixture_now_ms();
    p11tee_status rc;

    t->c = client_with(srv.url, idle_ms, 0, 0);
    sse_init(&t->p, 0, 0, on_stream_event, t);
    req.method = "GET";
    req.path = path;
    req.sink = sse_sink;
    req.sink_ctx = &t->p;
    rc = net_perform(t->c, &req, &t->resp, &t->err);
    t->took_ms = fixture_now_ms() - t0;
    return rc;
}

static void stream_done(streamed *t)
{
    sse_free(&t->p);
    net_response_free(&t->resp);
    net_client_free(t->c);
}

static void stream_reaches_the_sink_as_it_arrives(void **state)
{
    streamed t = {0};

    (void)state;
    /*
     * The server sends event k+1 only after the sink acknowledged event k
     * (or after 5 s, marking it "late"): a client that held bytes back
     * would see late events.
     */
    t.ack = "stream1";
    assert_int_equal(stream(&t, 10000, "/stream?n=5&token=stream1"), P11TEE_OK);
    assert_int_equal(sse_finish(&t.p, &t.err), P11TEE_OK);
    assert_int_equal(t.events, 5);
    assert_int_equal(t.late, 0);
    assert_true(t.done);
    assert_int_equal(t.resp.body.len, 0);
    stream_done(&t);
}

static void sink_error_is_returned_as_is(void **state)
{
    streamed t = {0};

    (void)state;
    t.fail_at = 2;
    assert_int_equal(stream(&t, 0, "/stream?n=5"), P11TEE_E_E2EE_PLAINTEXT);
    assert_int_equal(t.err.code, P11TEE_E_E2EE_PLAINTEXT);
    assert_string_equal(t.err.message, "sink refused event 2");
    assert_int_equal(t.events, 2);
    stream_done(&t);
}

static void http_errors_carry_the_server_message(void **state)
{
    static const struct {
        const char *path;
        p11tee_status rc;
        long status;
        const char *message, *text, *detail;
    } cases[] = {
        {"/status/400?form=string", P11TEE_E_HTTP, 400,
         "server answered HTTP 400: E2EE requires streaming", "E2EE requires streaming", ""},
        {"/status/400?form=object", P11TEE_E_HTTP, 400,
         "server answered HTTP 400: Invalid public key", "Invalid public key",
         "details: {\"field\":\"X-Venice-TEE-Client-Pub-Key\"}"},
        {"/status/401?form=string", P11TEE_E_HTTP_UNAUTHORIZED, 401,
         "server answered HTTP 401: E2EE requires streaming; check the API key",
         "E2EE requires streaming", ""},
        {"/status/403?form=details", P11TEE_E_HTTP_UNAUTHORIZED, 403,
         "server answered HTTP 403: Internal failure; check the API key", "Internal failure",
         "details: {\"trace\":\"abc123\",\"retry\":false}"},
        {"/status/500?form=details", P11TEE_E_HTTP, 500,
         "server answered HTTP 500: Internal failure", "Internal failure",
         "details: {\"trace\":\"abc123\",\"retry\":false}"},
        {"/status/502?form=html", P11TEE_E_HTTP, 502,
         "server answered HTTP 502: <html> <body>Bad gateway</body> </html>????",
         "<html> <body>Bad gateway</body> </html>????", ""},
        {"/status/503?form=empty", P11TEE_E_HTTP, 503,
         "server answered HTTP 503 without an error message", "", ""},
    };
    net_client *c = client_with(srv.url, 0, 0, 0);
    net_response resp;
    p11tee_error err;
    size_t i;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(cases); i++) {
        assert_int_equal(get(c, cases[i].path, &resp, &err), cases[i].rc);
        assert_int_equal(err.code, cases[i].rc);
        assert_int_equal(resp.status, cases[i].status);
        assert_string_equal(err.message, cases[i].message);
        assert_string_equal(resp.error_text, cases[i].text);
        assert_string_equal(err.detail, cases[i].detail);
        net_response_free(&resp);
    }
    net_client_free(c);
}

static void huge_error_body_is_bounded(void **state)
{
    net_client *c = client_with(srv.url, 0, 0, 0);
    net_response resp;
    p11tee_error err;
    size_t n;

    (void)state;
    assert_int_equal(get(c, "/status/500?form=big", &resp, &err), P11TEE_E_HTTP);
    assert_int_equal(resp.body.len, NET_ERROR_BODY_MAX);
    n = strlen(resp.error_text);
    assert_int_equal(n, NET_ERROR_TEXT_MAX - 1);
    assert_memory_equal(resp.error_text, "overload overload ", 18);
    assert_string_equal(resp.error_text + n - 3, "...");
    assert_memory_equal(err.message, "server answered HTTP 500: overload overload", 43);
    net_response_free(&resp);
    net_client_free(c);
}

static p11tee_status never_called(void *ctx, const uint8_t *data, size_t len, p11tee_error *err)
{
    (void)data;
    (void)len;
    (void)err;
    (*(int *)ctx)++;
    return P11TEE_OK;
}

static void error_body_never_reaches_the_sink(void **state)
{
    net_client *c = client_with(srv.url, 0, 0, 0);
    net_request req = {0};
    net_response resp;
    p11tee_error err;
    int calls = 0;

    (void)state;
    req.method = "GET";
    req.path = "/status/400?form=string";
    req.sink = never_called;
    req.sink_ctx = &calls;
    assert_int_equal(net_perform(c, &req, &resp, &err), P11TEE_E_HTTP);
    assert_int_equal(calls, 0);
    assert_string_equal(resp.error_text, "E2EE requires streaming");
    net_response_free(&resp);
    net_client_free(c);
}

static void key_echoed_by_the_server_is_redacted(void **state)
{
    net_client *c = client_with(srv.url, 0, 0, 0);
    net_response resp;
    p11tee_error err;

    (void)state;
    assert_int_equal(get(c, "/status/401?form=echo-key", &resp, &err), P11TEE_E_HTTP_UNAUTHORIZED);
    assert_string_equal(err.message,
                        "server answered HTTP 401: invalid key [REDACTED]; check the API key");
    assert_string_equal(err.detail, "details: {\"key\":\"[REDACTED]\"}");
    assert_string_equal(resp.error_text, "invalid key [REDACTED]");
    assert_null(strstr(err.message, KEY));
    net_response_free(&resp);
    net_client_free(c);
}

static void collected_body_is_bounded(void **state)
{
    net_client *c = client_with(srv.url, 0, 0, 65536);
    net_response resp;
    p11tee_error err;
    char want[300];

    (void)state;
    assert_int_equal(get(c, "/big?n=65536", &resp, &err), P11TEE_OK);
    assert_int_equal(resp.body.len, 65536);
    net_response_free(&resp);
    assert_int_equal(get(c, "/big?n=65537", &resp, &err), P11TEE_E_RESPONSE_TOO_LARGE);
    snprintf(want, sizeof(want), "the response from %s/big?n=65537 exceeds the 65536-byte limit",
             srv.url);
    assert_string_equal(err.message, want);
    net_response_free(&resp);
    net_client_free(c);
}

/* A collected answer gets a whole-request limit even when none was configured. */
static void slow_drip_collected_hits_the_collect_limit(void **state)
{
    net_options o = {0};
    net_client *c = NULL;
    net_response resp;
    p11tee_error err;
    char want[300];

    (void)state;
    o.base_url = srv.url;
    o.api_key = KEY;
    o.idle_timeout_ms = 5000;
    o.collect_timeout_ms = 400; /* no total_timeout_ms */
    assert_int_equal(net_client_new(&o, &c, &err), P11TEE_OK);
    assert_int_equal(get(c, "/drip?ms=50", &resp, &err), P11TEE_E_NET_TIMEOUT);
    snprintf(want, sizeof(want),
             "GET %s/drip?ms=50 did not finish within 400 ms (total timeout): retry, or raise "
             "the timeout",
             srv.url);
    assert_string_equal(err.message, want);
    net_response_free(&resp);
    o.collect_timeout_ms = -1;
    net_client_free(c);
    assert_int_equal(net_client_new(&o, &c, &err), P11TEE_E_INVALID_ARG);
}

static void stall_hits_the_idle_timeout(void **state)
{
    streamed t = {0};
    char want[300];

    (void)state;
    assert_int_equal(stream(&t, 300, "/stall"), P11TEE_E_NET_IDLE_TIMEOUT);
    snprintf(want, sizeof(want),
             "no data from %s/stall for 300 ms (idle timeout): the server stalled; retry, or "
             "raise the idle timeout",
             srv.url);
    assert_string_equal(t.err.message, want);
    assert_int_equal(t.events, 1); /* what came before the stall was delivered */
    /* Near the configured time; generous bounds, never a flaky tight one. */
    fprintf(stderr, "# idle timeout (300 ms) fired after %llu ms\n", (unsigned long long)t.took_ms);
    assert_true(t.took_ms >= 300);
    assert_true(t.took_ms < 10000);
    stream_done(&t);
}

static void slow_drip_hits_the_total_timeout(void **state)
{
    net_client *c = client_with(srv.url, 5000, 500, 0);
    net_response resp;
    p11tee_error err;
    uint64_t t0 = fixture_now_ms(), took;
    char want[300];

    (void)state;
    assert_int_equal(get(c, "/drip?ms=50", &resp, &err), P11TEE_E_NET_TIMEOUT);
    took = fixture_now_ms() - t0;
    snprintf(want, sizeof(want),
             "GET %s/drip?ms=50 did not finish within 500 ms (total timeout): retry, or raise "
             "the timeout",
             srv.url);
    assert_string_equal(err.message, want);
    assert_true(resp.body.len > 0);
    fprintf(stderr, "# total timeout (500 ms) fired after %llu ms\n", (unsigned long long)took);
    assert_true(took >= 500);
    assert_true(took < 10000);
    net_response_free(&resp);
    net_client_free(c);
}

static void dropped_connection_is_a_network_error(void **state)
{
    net_client *c = client_with(srv.url, 5000, 0, 0);
    streamed t = {0};
    net_response resp;
    p11tee_error err;
    char want[300];

    (void)state;
    assert_int_equal(get(c, "/drop", &resp, &err), P11TEE_E_NET);
    snprintf(want, sizeof(want),
             "the connection to %s/drop broke before the response was complete: retry", srv.url);
    assert_string_equal(err.message, want);
    assert_non_null(strstr(err.detail, "libcurl: "));
    net_response_free(&resp);
    net_client_free(c);

    /* A stream cut between events: what arrived was delivered, [DONE] never came. */
    assert_int_equal(stream(&t, 5000, "/drop-chunked"), P11TEE_E_NET);
    assert_int_equal(t.events, 1);
    assert_false(t.done);
    stream_done(&t);
}

static void refused_connection(void **state)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    char url[64], want[300];
    net_client *c;
    net_response resp;
    p11tee_error err;

    (void)state;
    /* Bound but not listening: connections to it are refused, and nobody else gets the port. */
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sa.sin_port));
    c = client_with(url, 0, 0, 0);
    assert_int_equal(get(c, "/json", &resp, &err), P11TEE_E_NET_CONNECT);
    snprintf(want, sizeof(want),
             "could not connect to %s/json: check the URL, the network and any proxy settings",
             url);
    assert_string_equal(err.message, want);
    assert_int_equal(resp.status, 0);
    net_response_free(&resp);
    net_client_free(c);
    close(fd);
}

static int count_lines(const char *path, const char *prefix)
{
    char *text = test_read_file(path, NULL), *p;
    int n = 0;

    assert_non_null(text);
    for (p = text; (p = strstr(p, prefix)) != NULL; p++)
        n += p == text || p[-1] == '\n';
    free(text);
    return n;
}

/*
 * Plain http:// (loopback only) never goes through a proxy, whatever the
 * environment says: the proxy, possibly remote, would see the API key in
 * clear. (HTTPS through a proxy is a CONNECT tunnel: see test_tls.)
 */
static void plain_http_bypasses_proxies(void **state)
{
    net_client *c = client_with(srv.url, 0, 0, 0);
    net_response resp;
    p11tee_error err;
    static const char *const vars[] = {"http_proxy", "ALL_PROXY", "all_proxy"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        fixture_clear_proxy_env();
        setenv(vars[i], proxy.url, 1);
        assert_int_equal(get(c, "/json", &resp, &err), P11TEE_OK);
        assert_string_equal((char *)resp.body.data, "{\"ok\": true}");
        net_response_free(&resp);
    }
    fixture_clear_proxy_env();
    assert_int_equal(count_lines(proxy.log, "GET "), 0);
    assert_int_equal(count_lines(proxy.log, "HDR Authorization"), 0);
    net_client_free(c);
}

static void *hammer(void *arg)
{
    net_client *c = arg;
    net_response resp;
    p11tee_error err;
    int i, ok = 0;

    for (i = 0; i < 10; i++) {
        ok += get(c, "/json", &resp, &err) == P11TEE_OK && resp.status == 200 &&
              strcmp((char *)resp.body.data, "{\"ok\": true}") == 0;
        net_response_free(&resp);
    }
    return (void *)(intptr_t)ok;
}

static void one_client_serves_several_threads(void **state)
{
    net_client *c = client_with(srv.url, 0, 0, 0);
    pthread_t t[4];
    void *ok;
    size_t i;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(t); i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, c), 0);
    for (i = 0; i < P11TEE_ARRAY_LEN(t); i++) {
        assert_int_equal(pthread_join(t[i], &ok), 0);
        assert_int_equal((intptr_t)ok, 10);
    }
    net_client_free(c);
}

typedef struct peer_call {
    net_client *c;
    const char *path;
    int port;
} peer_call;

static void *peer_thread(void *arg)
{
    peer_call *p = arg;
    net_response resp;
    p11tee_error err;

    p->port = get(p->c, p->path, &resp, &err) == P11TEE_OK ? atoi((char *)resp.body.data) : -1;
    net_response_free(&resp);
    return NULL;
}

/* Six requests at once (each a connection), then six more: how many connections were reused. */
static int reused_after_six(size_t pool_max)
{
    net_options o = {0};
    net_client *c = NULL;
    peer_call first[6], second[6];
    pthread_t t[6];
    p11tee_error err;
    int i, j, reused = 0;

    o.base_url = srv.url;
    o.pool_max = pool_max;
    assert_int_equal(net_client_new(&o, &c, &err), P11TEE_OK);
    for (i = 0; i < 6; i++) {
        first[i] = (peer_call){c, "/peer?ms=300", 0};
        assert_int_equal(pthread_create(&t[i], NULL, peer_thread, &first[i]), 0);
    }
    for (i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    for (i = 0; i < 6; i++) {
        second[i] = (peer_call){c, "/peer?ms=300", 0};
        assert_int_equal(pthread_create(&t[i], NULL, peer_thread, &second[i]), 0);
    }
    for (i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    for (i = 0; i < 6; i++) {
        assert_true(first[i].port > 0 && second[i].port > 0);
        for (j = 0; j < 6; j++)
            reused += second[i].port == first[j].port;
    }
    net_client_free(c);
    return reused;
}

static void connections_kept_for_reuse(void **state)
{
    (void)state;
    assert_int_equal(reused_after_six(0), 4); /* the default pool */
    assert_int_equal(reused_after_six(6), 6);
    assert_int_equal(reused_after_six(2), 2);
}

static void url_policy(void **state)
{
    static const struct {
        const char *url;
        p11tee_status rc;
        const char *message;
    } cases[] = {
        {"https://api.venice.ai/api/v1", P11TEE_OK, NULL},
        {"http://127.0.0.1:8080/api/v1/", P11TEE_OK, NULL},
        {"http://[::1]:8080", P11TEE_OK, NULL},
        {"http://LocalHost/x", P11TEE_OK, NULL},
        {"http://example.com/api", P11TEE_E_CONFIG,
         "refusing plain http:// to http://example.com/api: use https:// (http:// is allowed "
         "only to 127.0.0.1, ::1 and localhost)"},
        {"http://user:secret@example.com/v1", P11TEE_E_CONFIG,
         "refusing plain http:// to http://example.com/v1: use https:// (http:// is allowed "
         "only to 127.0.0.1, ::1 and localhost)"},
        {"http://127.0.0.2/", P11TEE_E_CONFIG, NULL},
        {"http://localhost.example.com/", P11TEE_E_CONFIG, NULL},
        {"https://user:secret@api.example.com/v1", P11TEE_E_CONFIG,
         "base URL https://api.example.com/v1 must not carry credentials: give the API key on "
         "its own"},
        {"https://api.example.com/v1?key=1", P11TEE_E_CONFIG,
         "base URL https://api.example.com/v1?key=1 must not have a query or fragment"},
        {"ftp://127.0.0.1/", P11TEE_E_CONFIG,
         "base URL ftp://127.0.0.1/: only https:// is supported"},
        {"api.venice.ai", P11TEE_E_CONFIG,
         "the base URL is not a valid URL; expected e.g. https://api.venice.ai/api/v1"},
    };
    net_options o = {0};
    net_client *c;
    p11tee_error err;
    size_t i;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(cases); i++) {
        o.base_url = cases[i].url;
        assert_int_equal(net_client_new(&o, &c, &err), cases[i].rc);
        if (cases[i].rc == P11TEE_OK) {
            net_client_free(c);
            continue;
        }
        assert_null(c);
        assert_null(strstr(err.message, "secret"));
        if (cases[i].message != NULL)
            assert_string_equal(err.message, cases[i].message);
    }
}

static void options_are_checked(void **state)
{
    net_options o = {0};
    net_client *c;
    p11tee_error err;
    char path[600];
    FILE *f;

    (void)state;
    o.base_url = "https://api.venice.ai/api/v1";
    o.api_key = "sk-abc\ndef";
    assert_int_equal(net_client_new(&o, &c, &err), P11TEE_E_CONFIG);
    assert_null(strstr(err.message, "sk-abc"));
    o.api_key = KEY;
    o.idle_timeout_ms = -1;
    assert_int_equal(net_client_new(&o, &c, &err), P11TEE_E_INVALID_ARG);
    o.idle_timeout_ms = 0;
    o.ca_file = "/nonexistent/ca.pem";
    assert_int_equal(net_client_new(&o, &c, &err), P11TEE_E_CONFIG);
    assert_string_equal(err.message, "cannot read the CA file /nonexistent/ca.pem: check the path");
    snprintf(path, sizeof(path), "%s/not-pem.txt", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("this is not a certificate\n", f);
    fclose(f);
    o.ca_file = path;
    assert_int_equal(net_client_new(&o, &c, &err), P11TEE_E_CONFIG);
    assert_non_null(strstr(err.message, "is not a readable list of PEM certificates"));
    o.base_url = NULL;
    assert_int_equal(net_client_new(&o, &c, &err), P11TEE_E_INVALID_ARG);
}

static void malformed_requests_are_refused(void **state)
{
    static const char *const injected[] = {"X-Evil: a\r\nInjected: b", NULL};
    static const char *const no_colon[] = {"NoColon", NULL};
    static const char *const bad_name[] = {"Bad Name: x", NULL};
    net_client *c = client_with(srv.url, 0, 0, 0);
    net_request req = {0};
    net_response resp;
    p11tee_error err;

    (void)state;
    req.method = "get";
    req.path = "/json";
    assert_int_equal(net_perform(c, &req, &resp, &err), P11TEE_E_INVALID_ARG);
    req.method = "GET";
    req.path = "json";
    assert_int_equal(net_perform(c, &req, &resp, &err), P11TEE_E_INVALID_ARG);
    req.path = "/a b";
    assert_int_equal(net_perform(c, &req, &resp, &err), P11TEE_E_INVALID_ARG);
    req.path = "/json";
    req.headers = injected;
    assert_int_equal(net_perform(c, &req, &resp, &err), P11TEE_E_INVALID_ARG);
    assert_string_equal(err.message, "request header 0 is not \"Name: value\" on one line");
    req.headers = no_colon;
    assert_int_equal(net_perform(c, &req, &resp, &err), P11TEE_E_INVALID_ARG);
    req.headers = bad_name;
    assert_int_equal(net_perform(c, &req, &resp, &err), P11TEE_E_INVALID_ARG);
    req.headers = NULL;
    req.body_len = 3;
    assert_int_equal(net_perform(c, &req, &resp, &err), P11TEE_E_INVALID_ARG);
    net_response_free(&resp);
    net_client_free(c);
}

/* Runs last: every line any client of this file logged. */
static void no_log_line_carries_the_key(void **state)
{
    (void)state;
    assert_true(logs.count > 20);
    assert_false(log_lines_have(&logs, KEY));
    assert_false(log_lines_have(&logs, "9f8e7d6c"));
    assert_true(log_lines_have(&logs, "Authorization: [REDACTED]"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(get_json),
        cmocka_unit_test(post_sends_key_agent_headers_and_body),
        cmocka_unit_test(stream_reaches_the_sink_as_it_arrives),
        cmocka_unit_test(sink_error_is_returned_as_is),
        cmocka_unit_test(http_errors_carry_the_server_message),
        cmocka_unit_test(huge_error_body_is_bounded),
        cmocka_unit_test(error_body_never_reaches_the_sink),
        cmocka_unit_test(key_echoed_by_the_server_is_redacted),
        cmocka_unit_test(collected_body_is_bounded),
        cmocka_unit_test(stall_hits_the_idle_timeout),
        cmocka_unit_test(slow_drip_hits_the_total_timeout),
        cmocka_unit_test(dropped_connection_is_a_network_error),
        cmocka_unit_test(refused_connection),
        cmocka_unit_test(plain_http_bypasses_proxies),
        cmocka_unit_test(slow_drip_collected_hits_the_collect_limit),
        cmocka_unit_test(one_client_serves_several_threads),
        cmocka_unit_test(connections_kept_for_reuse),
        cmocka_unit_test(url_policy),
        cmocka_unit_test(options_are_checked),
        cmocka_unit_test(malformed_requests_are_refused),
        cmocka_unit_test(no_log_line_carries_the_key),
    };
    return TEST_MAIN(tests, setup, teardown);
}
