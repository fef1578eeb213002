/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Transfers over TLS against tests/net/netfixture.py: verification always
 * on, --cacert adding a trust anchor to the system roots (which the test
 * stands in for with SSL_CERT_FILE), CONNECT through a proxy, and the
 * connect timeout on a server that never answers the handshake.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fixture.h"
#include "net/net.h"
#include "testlib.h"

#define KEY "sk-tls-0a1b2c3d4e5f60718293"

static char *dir, empty_dir[600];
static net_fixture tls_a, tls_b, proxy, silent;
static log_lines logs;

static int setup(void **state)
{
    (void)state;
    fixture_clear_proxy_env();
    unsetenv("SSL_CERT_FILE");
    unsetenv("SSL_CERT_DIR");
    log_lines_init(&logs);
    dir = test_mkdtemp();
    snprintf(empty_dir, sizeof(empty_dir), "%s/empty", dir);
    mkdir(empty_dir, 0700);
    fixture_start(&tls_a, dir, "a", "tls");
    fixture_start(&tls_b, dir, "b", "tls");
    fixture_start(&proxy, dir, "proxy", "proxy");
    fixture_start(&silent, dir, "silent", "silent");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fixture_stop(&tls_a);
    fixture_stop(&tls_b);
    fixture_stop(&proxy);
    fixture_stop(&silent);
    test_rmtree(dir);
    free(dir);
    log_lines_free(&logs);
    return 0;
}

static p11tee_status get_json(const char *url, const char *ca_file, long connect_ms,
                              p11tee_error *err)
{
    net_options o = {0};
    net_request req = {0};
    net_response resp;
    net_client *c;
    p11tee_status rc;

    o.base_url = url;
    o.api_key = KEY;
    o.ca_file = ca_file;
    o.connect_timeout_ms = connect_ms;
    o.log = log_lines_add;
    o.log_ctx = &logs;
    rc = net_client_new(&o, &c, err);
    if (rc != P11TEE_OK)
        return rc;
    req.method = "GET";
    req.path = "/json";
    rc = net_perform(c, &req, &resp, err);
    if (rc == P11TEE_OK) {
        assert_int_equal(resp.status, 200);
        assert_string_equal((char *)resp.body.data, "{\"ok\": true}");
    }
    net_response_free(&resp);
    net_client_free(c);
    return rc;
}

static void untrusted_server_is_refused(void **state)
{
    p11tee_error err;
    char want[300];

    (void)state;
    assert_int_equal(get_json(tls_a.url, NULL, 0, &err), P11TEE_E_NET_TLS);
    snprintf(want, sizeof(want),
             "TLS with %s/json failed: the server's certificate is not trusted or the handshake "
             "failed; for a private CA, add its certificate with --cacert",
             tls_a.url);
    assert_string_equal(err.message, want);
    assert_non_null(strstr(err.detail, "certificate"));
    /* Another server's CA does not vouch for this one. */
    assert_int_equal(get_json(tls_a.url, tls_b.ca, 0, &err), P11TEE_E_NET_TLS);
}

static void cacert_makes_it_trusted(void **state)
{
    p11tee_error err;
    char url[64];

    (void)state;
    assert_int_equal(get_json(tls_a.url, tls_a.ca, 0, &err), P11TEE_OK);
    /* Host name checked against the certificate's DNS name too. */
    snprintf(url, sizeof(url), "https://localhost:%d", tls_a.port);
    assert_int_equal(get_json(url, tls_a.ca, 0, &err), P11TEE_OK);
}

static void cacert_adds_to_the_system_roots(void **state)
{
    p11tee_error err;

    (void)state;
    /* Stand-in system roots: OpenSSL's default verify paths honour these. */
    setenv("SSL_CERT_FILE", tls_a.ca, 1);
    setenv("SSL_CERT_DIR", empty_dir, 1);
    assert_int_equal(get_json(tls_a.url, NULL, 0, &err), P11TEE_OK);
    assert_int_equal(get_json(tls_b.url, NULL, 0, &err), P11TEE_E_NET_TLS);
    /* With B's CA added, both the system-trusted A and B verify. */
    assert_int_equal(get_json(tls_a.url, tls_b.ca, 0, &err), P11TEE_OK);
    assert_int_equal(get_json(tls_b.url, tls_b.ca, 0, &err), P11TEE_OK);
    unsetenv("SSL_CERT_FILE");
    unsetenv("SSL_CERT_DIR");
}

static void https_proxy_tunnels_with_connect(void **state)
{
    p11tee_error err;
    char line[64], *tunnel;
    size_t n;

    (void)state;
    setenv("https_proxy", proxy.url, 1);
    assert_int_equal(get_json(tls_a.url, tls_a.ca, 0, &err), P11TEE_OK);
    fixture_clear_proxy_env();
    snprintf(line, sizeof(line), "CONNECT 127.0.0.1:%d\n", tls_a.port);
    tunnel = test_read_file(proxy.log, NULL);
    assert_non_null(tunnel);
    assert_non_null(strstr(tunnel, line));
    free(tunnel);
    /* The proxy saw only TLS records: neither the key nor the header name. */
    tunnel = test_read_file(proxy.tunnel, &n);
    assert_non_null(tunnel);
    assert_true(n > 100);
    assert_null(memmem(tunnel, n, KEY, strlen(KEY)));
    assert_null(memmem(tunnel, n, "Authorization", 13));
    free(tunnel);
}

static void silent_server_hits_the_connect_timeout(void **state)
{
    p11tee_error err;
    char url[64], want[300];
    uint64_t t0 = fixture_now_ms(), took;

    (void)state;
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", silent.port);
    assert_int_equal(get_json(url, tls_a.ca, 300, &err), P11TEE_E_NET_CONNECT);
    took = fixture_now_ms() - t0;
    snprintf(want, sizeof(want),
             "connecting to %s/json timed out after 300 ms: check the URL, the network and any "
             "proxy settings",
             url);
    assert_string_equal(err.message, want);
    fprintf(stderr, "# connect timeout (300 ms) fired after %llu ms\n", (unsigned long long)took);
    assert_true(took >= 300);
    assert_true(took < 10000);
}

static void no_log_line_carries_the_key(void **state)
{
    (void)state;
    assert_true(logs.count > 10);
    assert_false(log_lines_have(&logs, KEY));
    assert_true(log_lines_have(&logs, "Authorization: [REDACTED]"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(untrusted_server_is_refused),
        cmocka_unit_test(cacert_makes_it_trusted),
        cmocka_unit_test(cacert_adds_to_the_system_roots),
        cmocka_unit_test(https_proxy_tunnels_with_connect),
        cmocka_unit_test(silent_server_hits_the_connect_timeout),
        cmocka_unit_test(no_log_line_carries_the_key),
    };
    return TEST_MAIN(tests, setup, teardown);
}
