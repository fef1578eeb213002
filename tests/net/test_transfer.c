/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Transfers over plain HTTP against tests/net/netfixture.py: bodies,
 * streaming, HTTP errors, limits, timeouts, dropped connections, and the API
 * key kept out of logs and errors. Connections, proxies, threads and the
 * client's options are in test_transfer_conn.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "transfer_env.h"

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

/*
 * Response headers past libcurl's bounds (one line over 100 KiB, or 300 KiB
 * in all) are refused by libcurl as CURLE_OUT_OF_MEMORY, which used to come
 * out as "out of memory": the message says what the server did instead.
 */
static void oversized_response_headers_are_named(void **state)
{
    static const char *const paths[] = {"/big-header?n=10485760", "/many-headers?n=400"};
    net_client *c = client_with(srv.url, 0, 0, 0);
    net_response resp;
    p11tee_error err;
    char want[300];
    size_t i;

    (void)state;
    for (i = 0; i < P11TEE_ARRAY_LEN(paths); i++) {
        assert_int_equal(get(c, paths[i], &resp, &err), P11TEE_E_NET_HEADER_TOO_LARGE);
        snprintf(want, sizeof(want),
                 "the response headers from %s%s exceed what libcurl accepts (100 KiB per "
                 "header line, 300 KiB in all): the server or a proxy misbehaves",
                 srv.url, paths[i]);
        assert_string_equal(err.message, want);
        net_response_free(&resp);
    }
    /* Large but within the bounds: fine. */
    assert_int_equal(get(c, "/big-header?n=90000", &resp, &err), P11TEE_OK);
    net_response_free(&resp);
    net_client_free(c);
}
/*
 * A response header that echoes the key, spaced out or JSON-escaped, is
 * shown by -v: the key is redacted however it is spelled.
 */
static void key_echoed_in_a_response_header_is_redacted(void **state)
{
    static const char slash_key[] = "vk-abc/DEF+ghi=jk/Lm0123";
    net_options o = {0};
    net_client *c = NULL;
    net_response resp;
    p11tee_error err;

    (void)state;
    o.base_url = srv.url;
    o.api_key = slash_key;
    o.log = log_lines_add;
    o.log_ctx = &logs;
    assert_int_equal(net_client_new(&o, &c, &err), P11TEE_OK);
    assert_int_equal(get(c, "/echo-key-header", &resp, &err), P11TEE_OK);
    assert_true(log_lines_have(&logs, "< X-Venice-Echo: [REDACTED]"));
    assert_true(log_lines_have(&logs, "< X-Request-Id: [REDACTED]"));
    assert_false(log_lines_have(&logs, "v k - a b c"));
    assert_false(log_lines_have(&logs, "vk-abc\\/DEF"));
    net_response_free(&resp);
    net_client_free(c);
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
        cmocka_unit_test(slow_drip_collected_hits_the_collect_limit),
        cmocka_unit_test(oversized_response_headers_are_named),
        cmocka_unit_test(key_echoed_in_a_response_header_is_redacted),
        cmocka_unit_test(no_log_line_carries_the_key),
    };
    return TEST_MAIN(tests, transfer_setup, transfer_teardown);
}
