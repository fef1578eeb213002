/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The connections behind transfers, against tests/net/netfixture.py: refused
 * connections, proxies, one client in several threads, connection reuse, the
 * URL policy, the client's options and malformed requests, and the API key
 * kept out of every log line.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"
#include "transfer_env.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refused_connection),
        cmocka_unit_test(plain_http_bypasses_proxies),
        cmocka_unit_test(one_client_serves_several_threads),
        cmocka_unit_test(connections_kept_for_reuse),
        cmocka_unit_test(url_policy),
        cmocka_unit_test(options_are_checked),
        cmocka_unit_test(malformed_requests_are_refused),
        cmocka_unit_test(no_log_line_carries_the_key),
    };
    return TEST_MAIN(tests, transfer_setup, transfer_teardown);
}
