/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * net/ internals shared by the files of a transfer; other layers see net.h
 * only. client.c builds the client (URL policy, API key, pool of multi
 * handles), trust.c its TLS trust store, request.c checks a request and
 * makes its header list, log.c writes -v lines and redacts the key, and
 * transfer.c runs the request (net_perform).
 */
#ifndef P11TEE_NET_TRANSFER_H
#define P11TEE_NET_TRANSFER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <openssl/x509.h>

#include "net/net.h"

/* Idle multi handles (each with its connection) a client keeps for reuse, by default. */
#define NET_POOL_DEFAULT 4
#define NET_POOL_MAX     1024

struct net_client {
    char *base;      /* normalised base URL without credentials or trailing '/' */
    char *auth;      /* "Authorization: Bearer <key>" or NULL; cleansed on free */
    const char *key; /* the key inside `auth`, for redaction; NULL when none */
    char *proxy;     /* CURLOPT_PROXY, or NULL: libcurl's environment variables */
    char user_agent[96];
    X509_STORE *trust;
    long connect_ms, idle_ms, total_ms, collect_ms;
    int plain_http; /* loopback http://: never through a proxy, which would see the key */
    size_t max_response;
    net_log_fn log;
    void *log_ctx;
    pthread_mutex_t lock; /* guards idle[] */
    CURLM **idle;         /* pool_max of them */
    size_t n_idle, pool_max;
    struct net_loop *loops; /* stream_threads of them (loop.c); NULL: none */
    size_t n_loops;
    net_turn_fn turn_end; /* called by the loops (net_options.turn_end) */
    void *turn_ctx;
};

/* One running request. */
typedef struct net_xfer {
    net_client *c;
    const net_request *req;
    net_response *resp;
    const char *url;
    CURL *h;
    p11tee_error *err;
    p11tee_status rc; /* why a callback aborted the transfer */
    long total_ms;    /* this transfer's whole-request limit; 0: none */
    int sink_failed;  /* rc and err came from the sink: hand them back untouched */
    int connected;    /* the idle clock runs only once the request can be sent */
    int in_headers;   /* a status line arrived, the blank line that ends its headers not yet */
    int paused;       /* reading stopped: for a hold (net_cancel_hold), or to yield */
    int yields;       /* on a stream thread: stop after each delivery, so each gets its turn */
    int yielded;      /* paused to yield, not for a hold */
    uint64_t start_ms, last_rx_ms;
    size_t received;
    /* On a stream thread (loop.c): */
    struct net_xfer *next; /* in the loop's lists */
    pthread_cond_t done;   /* signalled with `finished`, under the loop's lock */
    int finished, oom;
    p11tee_status loop_rc; /* the loop's verdict (cancelled, timed out), or P11TEE_OK */
    CURLcode loop_res;     /* libcurl's result when the loop's verdict is P11TEE_OK */
} net_xfer;

#define NET_POLL_MAX_MS 1000L /* the longest wait for the socket before looking at the limits */

/* ---- transfer.c: the limits of a running transfer ------------------------------ */

/* Milliseconds until the idle or total limit strikes (<= 0: it has), capped for polling. */
long net_xfer_time_left(const net_xfer *x, uint64_t now);
/* The limit that struck, in x->err. */
p11tee_status net_xfer_timed_out(const net_xfer *x, uint64_t now);
/*
 * On the thread that drives the transfer: read again, unless held. Not OK: the
 * transfer must end with that status (x->err filled).
 */
p11tee_status net_xfer_resume(net_xfer *x);

/* ---- loop.c: stream threads ------------------------------------------------------ */

typedef struct net_loop net_loop;
/* n threads, each with a multi handle of its own; P11TEE_E_NOMEM (call net_loops_stop). */
p11tee_status net_loops_start(net_client *c, size_t n, p11tee_error *err);
/* After every transfer ended: the threads leave and are joined. */
void net_loops_stop(net_client *c);
/*
 * Hand the set-up transfer `x` to the stream thread with the fewest and wait until it
 * ended there: P11TEE_OK with libcurl's result in *res, or the loop's verdict (cancelled,
 * timed out, libcurl failed) with x->err filled.
 */
p11tee_status net_loop_perform(net_client *c, net_xfer *x, CURLcode *res);

/* ---- client.c --------------------------------------------------------------- */

/* A multi handle (each with its own connection cache), reused; NULL: out of memory. */
CURLM *net_pool_take(net_client *c);
/* Back to the pool, or cleaned up when the pool is full. */
void net_pool_give(net_client *c, CURLM *m);

/* ---- trust.c ---------------------------------------------------------------- */

/* The system roots plus every certificate of `ca_file` (NULL: none). P11TEE_E_CONFIG. */
p11tee_status net_trust_new(const char *ca_file, X509_STORE **out, p11tee_error *err);
/* CURLOPT_SSL_CTX_FUNCTION: installs the client's (`userp`) store into the SSL_CTX. */
CURLcode net_trust_install(CURL *h, void *ssl_ctx, void *userp);

/* ---- request.c -------------------------------------------------------------- */

/* Method, path, headers and body of `req` as net_perform() documents them. */
p11tee_status net_request_check(const net_request *req, p11tee_error *err);
/*
 * The key's Authorization, the request's headers, a default Content-Type;
 * NULL: no memory. With a key the list starts at `auth` (the caller's node,
 * pointing at the header in the client's secret memory).
 */
struct curl_slist *net_request_headers(const net_client *c, const net_request *req,
                                       struct curl_slist *auth);
/* Frees what net_request_headers() allocated (never `auth`). Accepts NULL. */
void net_headers_free(struct curl_slist *l, const struct curl_slist *auth);
/* base + path, malloc'ed; NULL: out of memory. */
char *net_request_url(const char *base, const char *path);

/* ---- log.c ------------------------------------------------------------------ */

/* One -v line, made printable with the key redacted; nothing without a log callback. */
void net_say(const net_client *c, const char *fmt, ...) P11TEE_PRINTF(2, 3);
/* The header name `h` (`nlen` bytes) is `name`, case-insensitively. */
int net_header_name_is(const char *h, size_t nlen, const char *name);
/* Response headers worth a line of -v output. */
int net_header_is_logged(const char *h, size_t nlen);
void net_log_request(const net_xfer *x, const struct curl_slist *hdrs);
void net_log_outcome(const net_xfer *x, p11tee_status rc);
/* Redact the key from texts that libcurl or the server helped to write. */
void net_scrub(const net_client *c, p11tee_error *err);

/* ---- transfer.c ------------------------------------------------------------- */

/* Milliseconds on the monotonic clock. */
uint64_t net_now_ms(void);

#endif /* P11TEE_NET_TRANSFER_H */
