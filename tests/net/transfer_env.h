/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * What the transfer tests (test_transfer, test_transfer_conn) share: a
 * plain-HTTP netfixture.py server and a proxy started by the group setup,
 * clients that send KEY and log every -v line into `logs`, and the last
 * test of each program, which reads those lines for the key.
 */
#ifndef P11TEE_NET_TRANSFER_ENV_H
#define P11TEE_NET_TRANSFER_ENV_H

#include <stddef.h>

#include "fixture.h"
#include "net/net.h"

#define KEY "sk-test-9f8e7d6c5b4a39281706"

extern char *dir;              /* the temp dir of the fixtures' files */
extern net_fixture srv, proxy; /* mode http and mode proxy */
extern log_lines logs;         /* every client of the program logs here */

/* The group setup and teardown: start and stop both fixtures. */
int transfer_setup(void **state);
int transfer_teardown(void **state);

/* A client of `url` with KEY, these limits (0: the default) and logging into `logs`. */
net_client *client_with(const char *url, long idle_ms, long total_ms, size_t max);
/* The same with `threads` stream threads (net_options.stream_threads). */
net_client *client_streams(const char *url, long idle_ms, size_t threads);
/* GET `path`. */
p11tee_status get(net_client *c, const char *path, net_response *resp, p11tee_error *err);

/* Runs last: no line any client of the program logged carries the key. */
void no_log_line_carries_the_key(void **state);

#endif /* P11TEE_NET_TRANSFER_ENV_H */
