/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
#include "config.h"

#include <stdlib.h>

#include "testlib.h"
#include "transfer_env.h"

char *dir;
net_fixture srv, proxy;
log_lines logs;

int transfer_setup(void **state)
{
    (void)state;
    fixture_clear_proxy_env();
    log_lines_init(&logs);
    dir = test_mkdtemp();
    fixture_start(&srv, dir, "srv", "http");
    fixture_start(&proxy, dir, "proxy", "proxy");
    return 0;
}

int transfer_teardown(void **state)
{
    (void)state;
    fixture_stop(&srv);
    fixture_stop(&proxy);
    test_rmtree(dir);
    free(dir);
    log_lines_free(&logs);
    return 0;
}

static net_client *client_new(const char *url, long idle_ms, long total_ms, size_t max,
                              size_t threads)
{
    net_options o = {0};
    net_client *c = NULL;
    p11tee_error err;

    o.base_url = url;
    o.api_key = KEY;
    o.idle_timeout_ms = idle_ms;
    o.total_timeout_ms = total_ms;
    o.max_response = max;
    o.stream_threads = threads;
    o.log = log_lines_add;
    o.log_ctx = &logs;
    assert_int_equal(net_client_new(&o, &c, &err), P11TEE_OK);
    return c;
}

net_client *client_with(const char *url, long idle_ms, long total_ms, size_t max)
{
    return client_new(url, idle_ms, total_ms, max, 0);
}

net_client *client_streams(const char *url, long idle_ms, size_t threads)
{
    return client_new(url, idle_ms, 0, 0, threads);
}

p11tee_status get(net_client *c, const char *path, net_response *resp, p11tee_error *err)
{
    net_request req = {0};

    req.method = "GET";
    req.path = path;
    return net_perform(c, &req, resp, err);
}

/* Runs last: every line any client of this program logged. */
void no_log_line_carries_the_key(void **state)
{
    (void)state;
    assert_true(logs.count > 20);
    assert_false(log_lines_have(&logs, KEY));
    assert_false(log_lines_have(&logs, "9f8e7d6c"));
    assert_true(log_lines_have(&logs, "Authorization: [REDACTED]"));
}
