/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Support for the transfer tests: netfixture.py servers started as child
 * processes, a raw HTTP GET for side-channel requests, a thread-safe
 * collector of -v log lines, and a monotonic clock.
 */
#ifndef P11TEE_NET_FIXTURE_H
#define P11TEE_NET_FIXTURE_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/common.h"

typedef struct net_fixture {
    pid_t pid;
    int port;
    char url[64];     /* http(s)://127.0.0.1:PORT */
    char ca[512];     /* tls mode: the CA certificate (PEM) */
    char log[512];    /* proxy mode: one line per forwarded request and header */
    char tunnel[512]; /* proxy mode: the raw client bytes of CONNECT tunnels */
} net_fixture;

/*
 * Start tests/net/netfixture.py in `mode` (http, tls, proxy, silent) with
 * its files under `dir`. Skips the whole test program when Python (or, for
 * tls, its cryptography package) is missing; exits 99 when the server fails.
 * Call from a group setup, before any test has reported.
 */
void fixture_start(net_fixture *f, const char *dir, const char *name, const char *mode);
void fixture_stop(net_fixture *f);

/* GET `path` from 127.0.0.1:port over a fresh connection; 1 on HTTP 200. */
int fixture_get(int port, const char *path);

/* Proxy variables libcurl reads; cleared so the caller's environment cannot interfere. */
void fixture_clear_proxy_env(void);

typedef struct log_lines {
    pthread_mutex_t lock;
    bytebuf text; /* every line followed by "\n" */
    int count;
} log_lines;

void log_lines_init(log_lines *l);
void log_lines_free(log_lines *l);
/* A net_log_fn; ctx is the log_lines. */
void log_lines_add(void *ctx, const char *line);
/* 1 when some line contains `s`. */
int log_lines_have(log_lines *l, const char *s);

uint64_t fixture_now_ms(void);

#endif /* P11TEE_NET_FIXTURE_H */
