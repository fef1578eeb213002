/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * p11tee serve: an OpenAI-compatible gateway over libp11tee (docs/p11tee-serve.1).
 * A layer above the library that uses its public API only. The command line
 * (src/cli/cmd_serve.c) parses the options into a serve_options and a
 * p11tee_config and hands both to serve_run(), which returns the exit code.
 */
#ifndef P11TEE_SERVE_H
#define P11TEE_SERVE_H

#include <stddef.h>

#include <p11tee/p11tee.h>

#define SERVE_LISTEN_MAX       8
#define SERVE_WARM_MAX         16
#define SERVE_DEFAULT_LISTEN   "127.0.0.1:8788"
#define SERVE_DEFAULT_STREAMS  256
#define SERVE_DEFAULT_BODY     (4u * 1024 * 1024)
#define SERVE_DEFAULT_MESSAGES 512
#define SERVE_DEFAULT_BUFFER   (256u * 1024)
#define SERVE_DEFAULT_REFRESH  (2L * 86400) /* --collateral-refresh: two days */

/* Exit codes of serve_run() (docs/p11tee-serve.1, EXIT STATUS). */
enum {
    SERVE_EXIT_OK = 0,      /* stopped by SIGTERM/SIGINT after draining */
    SERVE_EXIT_FAILURE = 1, /* could not start (listener, TLS files, clients file) */
    SERVE_EXIT_USAGE = 2,   /* a refusal that is the configuration's fault */
    SERVE_EXIT_TOKEN = 7,   /* the token could not be opened (module, PIN) */
    SERVE_EXIT_RETIRED = 75 /* drained after passing --max-rss: restart me (EX_TEMPFAIL) */
};

typedef struct serve_options {
    const char *listen[SERVE_LISTEN_MAX]; /* "ADDR:PORT", "[V6]:PORT", "unix:PATH" */
    size_t n_listen;                      /* 0: SERVE_DEFAULT_LISTEN */
    const char *metrics_listen;           /* NULL: /metrics on every listener */
    const char *tls_cert, *tls_key;       /* PEM files: TLS on TCP listeners */
    const char *clients_file;             /* NULL: no local authentication */
    const char *warm[SERVE_WARM_MAX];     /* models attested at start; none: every E2EE model */
    size_t n_warm;
    long max_streams;          /* chats in flight, all clients */
    long client_max_streams;   /* chats in flight per client; 0: max_streams */
    double client_rate;        /* requests per second per client; 0: unlimited */
    long client_burst;         /* token bucket size; 0: max(1, rate) */
    size_t max_body;           /* request body bytes */
    size_t max_messages;       /* messages per chat request */
    size_t stream_buffer;      /* bytes buffered for a slow client before it is cut */
    long client_timeout_ms;    /* a full buffer waits this long, an idle connection too */
    long drain_timeout_ms;     /* SIGTERM: how long streams in flight may go on */
    long threads;              /* HTTP threads per listener */
    int allow_tee;             /* also offer TEE-only models (prompts readable by the API layer) */
    int verbose;               /* library diagnostics as log lines */
    const char *audit_log;     /* the hash-chained audit log, or NULL: none */
    long collateral_refresh_s; /* fetch the cached collateral again this long before its
                                  nextUpdate; 0: never */
    long max_rss_mib;          /* past this resident memory, drain and exit RETIRED; 0: never */
} serve_options;

/* Defaults for every field (n_listen 0 means SERVE_DEFAULT_LISTEN). */
void serve_options_init(serve_options *o);

/*
 * Run the gateway until SIGTERM or SIGINT (then drain) and return its exit
 * code. `cfg` is the library configuration; it must stay valid until
 * serve_run() returns, since every SIGHUP builds a fresh client from it
 * (which reloads the policy file).
 */
int serve_run(const serve_options *o, p11tee_config *cfg);

#endif /* P11TEE_SERVE_H */
