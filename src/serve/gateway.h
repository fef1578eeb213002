/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The gateway's parts (internal to src/serve). HTTP in through
 * libmicrohttpd (http.c), a job per request that needs the upstream (job.c,
 * chat.c), one thread per job from a pool (pool.c), the library's client
 * behind a reloadable holder (upstream.c), whose stream threads (as many as
 * --workers) read every upstream stream and call the chat's events, local
 * authentication and limits (auth.c), metrics (metrics.c), JSON logs
 * (log.c), and a watcher that notices callers who hang up while their
 * connection waits, and callers who stop reading (watch.c).
 *
 * Locks: each job's lock guards its buffer and state and is never held
 * across network or token I/O (only across MHD_resume_connection, which
 * signals the HTTP thread, and p11tee_cancel_hold, which wakes a stream
 * thread). The upstream holder, the client table and the
 * caches have their own short locks.
 */
#ifndef P11TEE_SERVE_GATEWAY_H
#define P11TEE_SERVE_GATEWAY_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>
#include <p11tee/audit.h>
#include <p11tee/p11tee.h>

#include "serve/serve.h"

#define GW_PRINTF(f, a) __attribute__((format(printf, f, a)))

#define GW_MODEL_MAX     128
#define GW_ID_MAX        96  /* a response id we pass on */
#define GW_HEADER_MAX    256 /* the X-P11tee-Attestation value */
#define GW_ATTEST_ID_MAX 80
#define GW_CHAT_TEXT_MAX (16u * 1024 * 1024) /* a non-streamed answer */

uint64_t gw_now_ns(void); /* CLOCK_MONOTONIC */

/* ---- buf.c: growable text, JSON strings of untrusted bytes -------------- */

typedef struct gw_buf {
    char *p; /* NUL-terminated when not NULL */
    size_t len, cap;
    int failed; /* out of memory once: the contents are incomplete */
} gw_buf;

void gw_buf_init(gw_buf *b);
void gw_buf_free(gw_buf *b);
void gw_buf_reset(gw_buf *b);
void gw_buf_add(gw_buf *b, const void *data, size_t len);
void gw_buf_str(gw_buf *b, const char *s);
void gw_buf_printf(gw_buf *b, const char *fmt, ...) GW_PRINTF(2, 3);
/* A JSON string literal of `s`; bytes that are not UTF-8 must have been fixed before. */
void gw_buf_json(gw_buf *b, const char *s, size_t len);
/* gw_buf_json() of text that may not be UTF-8 (each bad byte becomes U+FFFD). */
void gw_buf_json_text(gw_buf *b, const char *s, size_t len);
/*
 * A response's bytes on their way to the HTTP thread, under the job's lock: added
 * at the end, taken from the front, with a mark per chunk (where its bytes end, when
 * its text was ready) to time it when its last byte is taken. What was taken is
 * dropped once it is at least half of what is held: a client that reads a little
 * behind makes the buffer hold about twice what is pending, not the whole stream.
 */
#define GW_OUTQ_MARKS 64
typedef struct gw_outq {
    gw_buf buf;
    size_t pos; /* bytes taken */
    struct {
        size_t end;
        uint64_t t;
    } mark[GW_OUTQ_MARKS];
    unsigned head, n;
} gw_outq;

void gw_outq_init(gw_outq *q);
void gw_outq_free(gw_outq *q);
size_t gw_outq_pending(const gw_outq *q);
/* ready_ns 0: no mark (an error event, the end); past GW_OUTQ_MARKS marks, none either. */
void gw_outq_add(gw_outq *q, const void *data, size_t len, uint64_t ready_ns);
/* Up to max bytes into dst; timed(now_ns - ready) for each chunk whose last byte went. */
size_t gw_outq_take(gw_outq *q, char *dst, size_t max, uint64_t now_ns, void (*timed)(uint64_t));
/* OpenAI's error shape: {"error":{"message","type","param","code"}} */
void gw_error_body(gw_buf *out, const char *message, const char *type, const char *param,
                   const char *code);

/* ---- log.c: one JSON object per line on stderr ---------------------------- */

/*
 * {"time":..,"level":..,"event":..<members>}: `members` is either empty or
 * starts with a comma (",\"status\":200"). Never a prompt, an answer, a key
 * or a PIN: callers pass ids, names, numbers and the library's messages.
 */
void gw_log(const char *level, const char *event, const char *members);
void gw_logf(const char *level, const char *event, const char *fmt, ...) GW_PRINTF(3, 4);
/* The library's diagnostic lines (-v), as "library" events. */
void gw_log_library(void *userdata, const char *line);

/* ---- metrics.c: Prometheus text ------------------------------------------ */

typedef enum gw_route {
    GW_R_CHAT,
    GW_R_MODELS,
    GW_R_ATTESTATION,
    GW_R_HEALTH,
    GW_R_READY,
    GW_R_METRICS,
    GW_R_OTHER,
    GW_R_COUNT
} gw_route;

typedef enum gw_counter {
    GW_C_DECRYPT_FAILURES, /* a streamed field did not open, or arrived in clear */
    GW_C_DISCONNECTS,      /* callers who hung up before their answer ended */
    GW_C_SLOW_CUTS,        /* streams cut because the caller did not read */
    GW_C_RATE_LIMITED,
    GW_C_AUTH_FAILURES,
    GW_C_UPSTREAM_ERRORS,
    GW_C_RELOADS,
    GW_C_COUNT
} gw_counter;

void gw_metrics_request(gw_route r, unsigned status);
void gw_metrics_streams(int delta);
void gw_metrics_attestation(int passed);
void gw_metrics_token(p11tee_token_op op, uint64_t ns);
void gw_metrics_chunk(uint64_t latency_ns);
void gw_metrics_count(gw_counter c);
void gw_metrics_render(gw_buf *out);
/* The process's resident memory in bytes; 0 when /proc cannot tell. */
long long gw_rss_bytes(void);

/* ---- auth.c: local callers, limits ------------------------------------------ */

/* A local caller: lives until exit, so that its counters survive reloads. */
typedef struct gw_caller gw_caller;

const char *gw_caller_name(const gw_caller *c);
/* Load the clients file (or none: one anonymous caller). 0, or -1 with `why`. */
int gw_auth_init(const serve_options *o, char *why, size_t cap);
int gw_auth_reload(char *why, size_t cap);
void gw_auth_free(void);
/*
 * The caller whose key is in `authorization` ("Bearer KEY"), or NULL
 * (*failed set when the key could not be hashed: out of memory, not a
 * refusal). Constant time per key.
 */
gw_caller *gw_auth_check(const char *authorization, int *failed);
/* 1: allowed (takes a token from the caller's bucket). */
int gw_limit_rate(gw_caller *c);
/* 1: one more chat in flight for the caller; gw_limit_leave() when it ends. */
int gw_limit_enter(gw_caller *c);
void gw_limit_leave(gw_caller *c);

/* ---- upstream.c: the library's client, its models and attestations -------- */

typedef struct gw_upstream gw_upstream;

int gw_upstream_start(const serve_options *o, const p11tee_config *cfg, p11tee_error *err);
/* A new client from the same configuration (the policy file is read again). */
int gw_upstream_reload(p11tee_error *err);
void gw_upstream_stop(void);
gw_upstream *gw_upstream_get(void); /* one reference */
void gw_upstream_put(gw_upstream *u);
p11tee_client *gw_upstream_client(const gw_upstream *u);

/* GET /v1/models: the OpenAI list of models whose policy can be met (cached briefly). */
p11tee_status gw_models_json(gw_upstream *u, gw_buf *out, p11tee_error *err);
/* 1: E2EE, 0: TEE-only (allowed with --allow-tee), -1: unknown (the library decides). */
int gw_model_mode(const char *model);

/*
 * An attestation a chat rests on: its header value ("verdict=pass;
 * id=...; model-key=sha256:...") and report id, cached per model so that a
 * new report is rendered once.
 */
void gw_attest_note(const char *model, const p11tee_attestation *a, char *header, size_t hcap,
                    char *id, size_t idcap);
/* The latest report of `model` as JSON with its header; 0, or -1 when none. */
int gw_attest_latest(const char *model, gw_buf *json, char *header, size_t hcap);

/* Attest the warm-up models; readiness follows. Returns the token error, if that failed. */
p11tee_status gw_warm(gw_upstream *u, p11tee_error *err);
int gw_ready(void);

/* ---- records.c: the audit log, the collateral cache ---------------------- */

/*
 * Open the audit log (--audit-log) and start the thread that reports the
 * cached collateral's age and fetches it again before its nextUpdate
 * (--collateral-refresh). 0, or -1 with `why`.
 */
int gw_records_start(const serve_options *o, const p11tee_config *cfg, char *why, size_t cap);
void gw_records_stop(void);
/* Append to the audit log, when there is one (a failure is logged, never fatal). */
void gw_records_attestation(const p11tee_attestation *a);
void gw_records_request(const p11tee_audit_request *q);
/* SHA-256 of `len` bytes; 0 (and zeros) when out of memory. */
int gw_sha256(const void *data, size_t len, unsigned char out[32]);
/* The same as 64 lowercase hex digits; 0 (and "") when out of memory. */
int gw_sha256_hex(const void *data, size_t len, char out[65]);

/* ---- pool.c: threads for jobs ------------------------------------------------- */

typedef void (*gw_task_fn)(void *arg);
int gw_pool_start(size_t max_threads);
/* 0, or -1 when every thread is busy and no more may be made. */
int gw_pool_submit(gw_task_fn fn, void *arg);
void gw_pool_stop(void); /* waits for running tasks */

/* ---- watch.c: callers who hang up, callers who do not read --------------- */

typedef void (*gw_hangup_fn)(void *arg);
int gw_watch_start(void);
void gw_watch_stop(void);
/* Watch `fd` for the peer closing; `fn(arg)` runs once on the watcher thread. */
int gw_watch_add(int fd, gw_hangup_fn fn, void *arg);
void gw_watch_del(int fd);

/* ---- job.c: a request served by a pool thread ---------------------------------- */

typedef struct gw_job gw_job;

typedef enum gw_phase {
    GW_WAITING,   /* no response queued yet; the connection is suspended */
    GW_STREAMING, /* a 200 event stream is being sent */
} gw_phase;

/* Why a job was cancelled (the first reason wins). */
typedef enum gw_cancel_reason {
    GW_CANCEL_NONE,
    GW_CANCEL_CALLER, /* the caller hung up */
    GW_CANCEL_SLOW,   /* the caller did not read: the buffer stayed full */
    GW_CANCEL_DRAIN,  /* the gateway is shutting down */
} gw_cancel_reason;

/* What the HTTP side knows of a request (MHD's con_cls). */
typedef struct gw_request {
    gw_route route;
    gw_caller *caller;
    gw_buf body;
    int too_large;
    int counted; /* holds one of the caller's chat slots */
    gw_job *job;
    uint64_t start_ns;
    unsigned status;
    char method[8];
    char body_sha256[65]; /* of the chat request as the caller sent it, for the audit log */
} gw_request;

struct gw_job {
    pthread_mutex_t lock;
    atomic_uint refs;
    struct MHD_Connection *conn;
    int suspended, conn_gone, watched_fd, wake_gathered; /* on a stream thread's list */
    gw_route route;
    gw_caller *caller;
    gw_upstream *up;
    p11tee_cancel *cancel;
    gw_cancel_reason cancelled;
    /* the request */
    char *body;
    size_t body_len;
    char model[GW_MODEL_MAX];
    int stream, include_usage, e2ee;
    /* the answer, under lock */
    gw_phase phase;
    int finished;
    unsigned http_status;
    gw_outq out;      /* response bytes (a whole body, or the event stream) */
    int held;         /* the upstream stream is held: the buffer was full */
    uint64_t held_ns; /* since then, or since the caller last read while held */
    char att_header[GW_HEADER_MAX];
    char att_id[GW_ATTEST_ID_MAX];
    /* built by the pool thread only */
    char id[GW_ID_MAX];
    long long created;
    gw_buf prefix;    /* "data: {...,\"choices\":[{\"index\":" of this stream's chunks */
    uint32_t started; /* choices whose first (role) chunk went out, one bit each */
    gw_buf scratch;
    p11tee_text_filter filter[P11TEE_CHOICES_MAX][2]; /* per choice: content, reasoning */
    /* for the log and the metrics */
    uint64_t start_ns, first_ns, end_ns, last_open_ns;
    size_t chunks, bytes_out;
    p11tee_status rc;
    char code[48];
    gw_job *prev, *next; /* every job in flight (job.c) */
};

gw_job *gw_job_new(gw_request *rq, struct MHD_Connection *conn);
void gw_job_put(gw_job *j);
/* Start it on a pool thread and suspend the connection. MHD_NO: answered with an error. */
enum MHD_Result gw_job_start(gw_job *j, gw_task_fn run);
/* The HTTP thread again after the job resumed the connection: queue its response. */
enum MHD_Result gw_job_respond(gw_job *j);
void gw_job_cancel(gw_job *j, gw_cancel_reason why);
/* The request is over (MHD's completion): the caller is gone or served. */
void gw_job_detach(gw_job *j, int completed_ok);
/* Pool thread: the whole answer is ready (status + body), or an error. */
void gw_job_finish(gw_job *j, unsigned status, const char *body, size_t len);
void gw_job_fail(gw_job *j, p11tee_status rc, const p11tee_error *err);
/*
 * Stream thread: start the stream (status 200) unless started; append bytes. Never
 * waits: past --stream-buffer the upstream stream is held (p11tee_cancel_hold) until
 * the caller has read half of it. -1: the job is cancelled or cut. The connection is
 * woken by gw_job_wake_gathered (the library's turn end on that thread) or within 10 ms.
 */
int gw_job_emit(gw_job *j, const char *data, size_t len, uint64_t ready_ns);
void gw_job_wake_gathered(void *unused);
/* Pool thread: the stream's last bytes; then it ends. */
void gw_job_end(gw_job *j, const char *data, size_t len);
void gw_jobs_cancel_all(gw_cancel_reason why); /* every job in flight (drain timeout) */
/* Cut the streams held for client-timeout without their caller reading (the watcher). */
void gw_jobs_sweep(uint64_t now_ns);
long gw_jobs_active(void); /* the count of jobs in flight */

/* ---- chat.c, answers.c: the OpenAI endpoints ------------------------------ */

/* Check a chat request and build the upstream body; 0, or -1 with an error body in `err`. */
int gw_chat_prepare(gw_job *j, const char *body, size_t len, unsigned *status, gw_buf *err);
void gw_chat_run(void *job);
void gw_models_run(void *job);
void gw_attestation_run(void *job);

/* The HTTP status, OpenAI type and code for a library status. */
void gw_status_map(p11tee_status rc, unsigned *http, const char **type, const char **code);

/* ---- http.c: listeners and routing ---------------------------------------------- */

/* Open the listening sockets (before any thread starts); `all_local`: loopback/unix only. */
int gw_http_open(const serve_options *o, int *all_local, char *why, size_t cap);
int gw_http_start(const serve_options *o, char *why, size_t cap);
void gw_http_quiesce(void); /* stop accepting; keep serving connections in flight */
void gw_http_stop(void);
/* A whole response now (HTTP thread): JSON unless `type` says otherwise; `j` adds its headers. */
enum MHD_Result gw_http_reply(struct MHD_Connection *conn, unsigned status, const char *type,
                              const char *body, size_t len, const gw_job *j);
enum MHD_Result gw_http_error(struct MHD_Connection *conn, gw_request *rq, unsigned status,
                              const char *message, const char *type, const char *code);

/* ---- main.c: process-wide state ----------------------------------------------- */

extern const serve_options *gw_opts;
extern atomic_int gw_draining;

#endif /* P11TEE_SERVE_GATEWAY_H */
