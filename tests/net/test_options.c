/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * What collateral downloads need of the network layer, against
 * tests/net/netfixture.py: the proxy option (an HTTPS request tunnelled
 * through the proxy it names, whatever the environment says; credentials
 * and other schemes refused) and response headers kept by name (the
 * issuer chains Intel's PCS sends in headers), bounded.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "net/net.h"
#include "testlib.h"

static char *dir;
static net_fixture tls, proxy;

static int setup(void **state)
{
    (void)state;
    fixture_clear_proxy_env();
    dir = test_mkdtemp();
    fixture_start(&tls, dir, "tls", "tls");
    fixture_start(&proxy, dir, "proxy", "proxy");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fixture_stop(&tls);
    fixture_stop(&proxy);
    test_rmtree(dir);
    free(dir);
    return 0;
}

static p11tee_status get(const char *base, const char *proxy_url, const char *path,
                         const char *const *keep, net_response *resp, p11tee_error *err)
{
    net_options o = {0};
    net_request req = {0};
    net_client *c = NULL;
    p11tee_status rc;

    o.base_url = base;
    o.ca_file = tls.ca;
    o.proxy = proxy_url;
    memset(resp, 0, sizeof(*resp));
    if ((rc = net_client_new(&o, &c, err)) != P11TEE_OK)
        return rc;
    req.method = "GET";
    req.path = path;
    req.keep_headers = keep;
    rc = net_perform(c, &req, resp, err);
    net_client_free(c);
    return rc;
}

static void proxy_option_tunnels_https(void **state)
{
    net_response resp;
    p11tee_error err;
    char line[64], *log;

    (void)state;
    /* The environment names no proxy: the option alone sends the request through it. */
    assert_int_equal(get(tls.url, proxy.url, "/json", NULL, &resp, &err), P11TEE_OK);
    assert_string_equal((char *)resp.body.data, "{\"ok\": true}");
    net_response_free(&resp);
    snprintf(line, sizeof(line), "CONNECT 127.0.0.1:%d\n", tls.port);
    log = test_read_file(proxy.log, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, line));
    free(log);
}

static void proxy_option_is_checked(void **state)
{
    net_response resp;
    p11tee_error err;

    (void)state;
    assert_int_equal(get(tls.url, "http://user:hunter2@127.0.0.1:3128", "/json", NULL, &resp, &err),
                     P11TEE_E_CONFIG);
    assert_null(strstr(err.message, "hunter2"));
    assert_non_null(strstr(err.message, "https_proxy"));
    assert_int_equal(get(tls.url, "ftp://127.0.0.1:21", "/json", NULL, &resp, &err),
                     P11TEE_E_CONFIG);
    assert_string_equal(err.message,
                        "the proxy must be an http://, https:// or socks URL, not ftp://");
    assert_int_equal(get(tls.url, "not a url", "/json", NULL, &resp, &err), P11TEE_E_CONFIG);
}

static void kept_headers(void **state)
{
    static const char *const keep[] = {"TCB-Info-Issuer-Chain", "X-Absent", "x-request-id", NULL};
    net_response resp;
    p11tee_error err;

    (void)state;
    assert_int_equal(
        get(tls.url, NULL, "/headers?tcb-info-issuer-chain=%2D%2D%2D%2DBEGIN", keep, &resp, &err),
        P11TEE_OK);
    /* Names compare without case; values come as sent (percent-encoding is the caller's). */
    assert_string_equal(resp.kept[0], "----BEGIN");
    assert_null(resp.kept[1]);
    assert_string_equal(resp.kept[2], "req-42");
    net_response_free(&resp);
    assert_null(resp.kept[0]);
    /* A value past the bound fails the transfer instead of being cut. */
    assert_int_equal(get(tls.url, NULL, "/headers?tcb-info-issuer-chain=@70000", keep, &resp, &err),
                     P11TEE_E_RESPONSE_TOO_LARGE);
    assert_non_null(strstr(err.message, "the TCB-Info-Issuer-Chain header from"));
    net_response_free(&resp);
    assert_int_equal(get(tls.url, NULL, "/headers?tcb-info-issuer-chain=@60000", keep, &resp, &err),
                     P11TEE_OK);
    assert_int_equal(strlen(resp.kept[0]), 60000);
    net_response_free(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(proxy_option_tunnels_https),
        cmocka_unit_test(proxy_option_is_checked),
        cmocka_unit_test(kept_headers),
    };
    return TEST_MAIN(tests, setup, teardown);
}
