/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * HTTP in: one libmicrohttpd daemon per listener (its own epoll threads),
 * the routes, local authentication and limits at the first look at a
 * request (before its body is read), and the per-request log line and
 * metrics when libmicrohttpd says the request is over.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve/gateway.h"
#include "serve/listen.h"

#define GW_PEM_MAX (1024 * 1024)

static struct {
    gw_listener l[SERVE_LISTEN_MAX + 1];
    size_t n;
    char *cert, *key;
    atomic_long chats; /* chats in flight, for --max-streams */
} h;

static const char *const gw_route_paths[GW_R_COUNT] = {"/v1/chat/completions",
                                                       "/v1/models",
                                                       "/v1/attestation/",
                                                       "/healthz",
                                                       "/readyz",
                                                       "/metrics",
                                                       NULL};

/* A metrics listener serves the probes and /metrics only; then the others do not serve /metrics. */
static gw_route gw_route_of(const char *url, int metrics_only)
{
    gw_route r;

    for (r = 0; r < GW_R_OTHER; r++) {
        size_t n = strlen(gw_route_paths[r]);

        if (metrics_only && r != GW_R_HEALTH && r != GW_R_READY && r != GW_R_METRICS)
            continue;
        if (!metrics_only && r == GW_R_METRICS && gw_opts->metrics_listen != NULL)
            continue;
        if (r == GW_R_ATTESTATION ? strncmp(url, gw_route_paths[r], n) == 0 && url[n] != '\0'
                                  : strcmp(url, gw_route_paths[r]) == 0)
            return r;
    }
    return GW_R_OTHER;
}

enum MHD_Result gw_http_reply(struct MHD_Connection *conn, unsigned status, const char *type,
                              const char *body, size_t len, const gw_job *j)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ok;

    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            type != NULL ? type : "application/json");
    if (j != NULL && j->att_header[0] != '\0') {
        MHD_add_response_header(r, "X-P11tee-Attestation", j->att_header);
        MHD_add_response_header(r, "X-P11tee-E2EE", j->e2ee ? "1" : "0");
    }
    if (status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (status == 429 || status == 503)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (atomic_load(&gw_draining))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

enum MHD_Result gw_http_error(struct MHD_Connection *conn, gw_request *rq, unsigned status,
                              const char *message, const char *type, const char *code)
{
    gw_buf b;
    enum MHD_Result ok;

    gw_buf_init(&b);
    gw_error_body(&b, message, type, NULL, code);
    rq->status = status;
    /* Out of memory for the body: the status alone, never a torn JSON document. */
    ok = gw_http_reply(conn, status, NULL, b.failed ? "" : b.p, b.failed ? 0 : b.len, NULL);
    gw_buf_free(&b);
    return ok;
}

static enum MHD_Result gw_simple(struct MHD_Connection *conn, gw_request *rq)
{
    gw_buf b;
    enum MHD_Result ok;
    int ready = gw_ready() && !atomic_load(&gw_draining);

    gw_buf_init(&b);
    rq->status = 200;
    if (rq->route == GW_R_METRICS)
        gw_metrics_render(&b);
    else if (rq->route == GW_R_HEALTH)
        gw_buf_str(&b, "{\"status\":\"ok\"}");
    else {
        rq->status = ready ? 200 : 503;
        gw_buf_printf(&b, "{\"status\":\"%s\"}",
                      ready                       ? "ready"
                      : atomic_load(&gw_draining) ? "draining"
                                                  : "not ready: no model attested yet");
    }
    ok =
        gw_http_reply(conn, rq->status,
                      rq->route == GW_R_METRICS ? "text/plain; version=0.0.4; charset=utf-8" : NULL,
                      b.p, b.len, NULL);
    gw_buf_free(&b);
    return ok;
}

/* A job for a GET that needs the upstream (the model list, a report). */
static enum MHD_Result gw_get_job(struct MHD_Connection *conn, gw_request *rq, const char *url)
{
    gw_job *j = gw_job_new(rq, conn);
    const char *model = url + strlen(gw_route_paths[GW_R_ATTESTATION]);

    if (j == NULL)
        return gw_http_error(conn, rq, 500, "out of memory", "server_error", "internal_error");
    rq->job = j;
    if (rq->route == GW_R_ATTESTATION) {
        if (strlen(model) >= sizeof(j->model) || strchr(model, '/') != NULL)
            return gw_http_error(conn, rq, 404, "no such model", "invalid_request_error",
                                 "model_not_found");
        snprintf(j->model, sizeof(j->model), "%s", model);
    }
    if (gw_job_start(j, rq->route == GW_R_MODELS ? gw_models_run : gw_attestation_run) == MHD_NO)
        return gw_http_error(conn, rq, 503, "the gateway is busy; retry", "server_error",
                             "overloaded");
    return MHD_YES;
}

/* The whole chat body is in: check it, then run it. */
static enum MHD_Result gw_chat(struct MHD_Connection *conn, gw_request *rq)
{
    gw_job *j;
    gw_buf err;
    unsigned status;
    enum MHD_Result ok;

    if (rq->too_large)
        return gw_http_error(conn, rq, 413, "the request body is too large",
                             "invalid_request_error", "body_too_large");
    j = gw_job_new(rq, conn);
    if (j == NULL)
        return gw_http_error(conn, rq, 500, "out of memory", "server_error", "internal_error");
    rq->job = j;
    gw_buf_init(&err);
    if (gw_chat_prepare(j, rq->body.p != NULL ? rq->body.p : "", rq->body.len, &status, &err) !=
        0) {
        rq->status = status;
        ok = err.failed
                 ? gw_http_error(conn, rq, 500, "out of memory", "server_error", "internal_error")
                 : gw_http_reply(conn, status, NULL, err.p, err.len, NULL);
        gw_buf_free(&err);
        return ok;
    }
    gw_buf_free(&err);
    /* The audit line names the request by its hash: no hash, no request. */
    if (gw_opts->audit_log != NULL && !gw_sha256_hex(rq->body.p, rq->body.len, rq->body_sha256))
        return gw_http_error(conn, rq, 500, "out of memory", "server_error", "internal_error");
    gw_buf_free(&rq->body);
    if (gw_job_start(j, gw_chat_run) == MHD_NO)
        return gw_http_error(conn, rq, 503, "the gateway is busy; retry", "server_error",
                             "overloaded");
    return MHD_YES;
}

/* Who is asking, and may they? NULL: go on; else the refusal was queued. */
static int gw_admit(struct MHD_Connection *conn, gw_request *rq, enum MHD_Result *ok)
{
    const char *cl;
    int failed;

    rq->caller = gw_auth_check(
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), &failed);
    if (failed) {
        *ok = gw_http_error(conn, rq, 500, "out of memory", "server_error", "internal_error");
        return 1;
    }
    if (rq->caller == NULL) {
        gw_metrics_count(GW_C_AUTH_FAILURES);
        *ok = gw_http_error(conn, rq, 401, "missing or unknown API key (Authorization: Bearer KEY)",
                            "invalid_request_error", "invalid_api_key");
        return 1;
    }
    if (!gw_limit_rate(rq->caller)) {
        gw_metrics_count(GW_C_RATE_LIMITED);
        *ok = gw_http_error(conn, rq, 429, "too many requests from this client; retry later",
                            "rate_limit_error", "rate_limit_exceeded");
        return 1;
    }
    if (rq->route != GW_R_CHAT)
        return 0;
    cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL && strtoull(cl, NULL, 10) > gw_opts->max_body) {
        *ok = gw_http_error(conn, rq, 413, "the request body is too large", "invalid_request_error",
                            "body_too_large");
        return 1;
    }
    if (!gw_limit_enter(rq->caller)) {
        gw_metrics_count(GW_C_RATE_LIMITED);
        *ok = gw_http_error(conn, rq, 429, "too many chats in flight for this client",
                            "rate_limit_error", "concurrency_limit");
        return 1;
    }
    rq->counted = 1;
    if (atomic_fetch_add(&h.chats, 1) >= gw_opts->max_streams) {
        *ok = gw_http_error(conn, rq, 503, "the gateway has its maximum of streams in flight",
                            "server_error", "overloaded");
        return 1;
    }
    return 0;
}

/* First look at a request: route, method, draining, authentication, limits. */
static enum MHD_Result gw_first(struct MHD_Connection *conn, gw_request *rq, const char *url,
                                const char *method, int metrics_only)
{
    int post = rq->route == GW_R_CHAT;
    enum MHD_Result ok = MHD_YES;

    if (rq->route == GW_R_OTHER)
        return gw_http_error(conn, rq, 404, "no such endpoint", "invalid_request_error",
                             "not_found");
    if (strcmp(method, post ? "POST" : "GET") != 0)
        return gw_http_error(conn, rq, 405, "method not allowed", "invalid_request_error",
                             "method_not_allowed");
    if (rq->route >= GW_R_HEALTH)
        return gw_simple(conn, rq);
    if (atomic_load(&gw_draining))
        return gw_http_error(conn, rq, 503, "the gateway is shutting down; retry", "server_error",
                             "shutting_down");
    if (gw_admit(conn, rq, &ok))
        return ok;
    (void)metrics_only;
    return post ? MHD_YES : gw_get_job(conn, rq, url);
}

static enum MHD_Result gw_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    const gw_listener *l = cls;
    gw_request *rq = *con_cls;

    (void)version;
    if (rq == NULL) {
        rq = calloc(1, sizeof(*rq));
        if (rq == NULL)
            return MHD_NO;
        rq->start_ns = gw_now_ns();
        rq->route = gw_route_of(url, l->metrics);
        snprintf(rq->method, sizeof(rq->method), "%.7s", method);
        gw_buf_init(&rq->body);
        *con_cls = rq;
        return gw_first(conn, rq, url, method, l->metrics);
    }
    if (*upload_size > 0) {
        if (rq->body.len + *upload_size > gw_opts->max_body)
            rq->too_large = 1;
        else
            gw_buf_add(&rq->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->job != NULL)
        return gw_job_respond(rq->job);
    return gw_chat(conn, rq);
}

static void gw_log_request(const gw_request *rq, gw_job *j)
{
    gw_buf b;
    uint64_t end = gw_now_ns();

    gw_buf_init(&b);
    gw_buf_printf(&b, ",\"client\":\"%s\",\"method\":\"%s\",\"endpoint\":\"%s\",\"status\":%u",
                  rq->caller != NULL ? gw_caller_name(rq->caller) : "-", rq->method,
                  rq->route == GW_R_OTHER ? "other" : gw_route_paths[rq->route], rq->status);
    if (j != NULL) {
        pthread_mutex_lock(&j->lock);
        if (j->model[0] != '\0') {
            gw_buf_str(&b, ",\"model\":");
            gw_buf_json_text(&b, j->model, strlen(j->model));
        }
        if (rq->route == GW_R_CHAT)
            gw_buf_printf(&b, ",\"stream\":%s,\"chunks\":%zu", j->stream ? "true" : "false",
                          j->chunks);
        gw_buf_printf(&b, ",\"bytes\":%zu", j->bytes_out);
        if (j->first_ns != 0)
            gw_buf_printf(&b, ",\"ttft_ms\":%.3f", (double)(j->first_ns - j->start_ns) / 1e6);
        if (j->att_id[0] != '\0')
            gw_buf_printf(&b, ",\"attestation\":\"%s\"", j->att_id);
        if (j->code[0] != '\0')
            gw_buf_printf(&b, ",\"error\":\"%s\"", j->code);
        if (j->cancelled != GW_CANCEL_NONE)
            gw_buf_printf(&b, ",\"cancelled\":\"%s\"",
                          j->cancelled == GW_CANCEL_CALLER ? "client_gone"
                          : j->cancelled == GW_CANCEL_SLOW ? "slow_client"
                                                           : "shutdown");
        pthread_mutex_unlock(&j->lock);
    }
    gw_buf_printf(&b, ",\"duration_ms\":%.3f", (double)(end - rq->start_ns) / 1e6);
    gw_log("info", "request", b.p);
    gw_buf_free(&b);
}

/* A chat's line in the audit log: ids and the request's hash, never its text. */
static void gw_audit_request(const gw_request *rq, gw_job *j)
{
    char id[GW_ID_MAX] = "", att[GW_ATTEST_ID_MAX] = "";
    p11tee_audit_request q;

    if (rq->route != GW_R_CHAT || j == NULL)
        return;
    memset(&q, 0, sizeof(q));
    pthread_mutex_lock(&j->lock);
    if (j->finished) /* the pool thread is done with the id */
        snprintf(id, sizeof(id), "%s", j->id);
    snprintf(att, sizeof(att), "%s", j->att_id);
    q.status = j->finished ? j->rc : P11TEE_E_CANCELLED;
    pthread_mutex_unlock(&j->lock);
    q.request_id = id[0] != '\0' ? id : NULL;
    q.model = j->model;
    q.client = rq->caller != NULL ? gw_caller_name(rq->caller) : NULL;
    q.e2ee = j->e2ee;
    q.request_sha256 = rq->body_sha256[0] != '\0' ? rq->body_sha256 : NULL;
    q.attestation = att[0] != '\0' ? att : NULL;
    gw_records_request(&q);
}

static void gw_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    gw_request *rq = *con_cls;
    gw_job *j;

    (void)cls;
    (void)conn;
    if (rq == NULL)
        return;
    *con_cls = NULL;
    j = rq->job;
    if (j != NULL) {
        gw_job_detach(j, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
        pthread_mutex_lock(&j->lock);
        rq->status = j->http_status;
        if (j->cancelled == GW_CANCEL_CALLER || (!j->finished && j->cancelled == GW_CANCEL_NONE))
            gw_metrics_count(GW_C_DISCONNECTS);
        pthread_mutex_unlock(&j->lock);
    }
    if (rq->status == 0)
        rq->status = 499;
    gw_metrics_request(rq->route, rq->status);
    gw_log_request(rq, j);
    gw_audit_request(rq, j);
    if (rq->counted) {
        gw_limit_leave(rq->caller);
        atomic_fetch_sub(&h.chats, 1);
    }
    gw_job_put(j);
    gw_buf_free(&rq->body);
    free(rq);
}

/*
 * The kernel's send buffer grows to megabytes for a caller who does not
 * read; cap it at --stream-buffer so that what a slow caller holds is
 * bounded where the gateway's own buffer is.
 */
static void gw_connected(void *cls, struct MHD_Connection *conn, void **socket_context,
                         enum MHD_ConnectionNotificationCode code)
{
    const union MHD_ConnectionInfo *ci;
    int size = (int)gw_opts->stream_buffer;

    (void)cls;
    (void)socket_context;
    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci != NULL)
        setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

/* libmicrohttpd's messages: its own format strings. */
__attribute__((format(printf, 2, 0))) static void gw_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;

    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = '\0';
    gw_logf("warning", "http", "%s", msg);
}

static char *gw_read_pem(const char *path, char *why, size_t cap)
{
    FILE *f = fopen(path, "rb");
    char *p = f != NULL ? malloc(GW_PEM_MAX + 1) : NULL;
    size_t n = 0;

    if (p != NULL)
        n = fread(p, 1, GW_PEM_MAX + 1, f);
    if (f != NULL)
        fclose(f);
    if (p == NULL || n == 0 || n > GW_PEM_MAX) {
        snprintf(why, cap, "cannot read %s (or it is empty, or larger than %d bytes)", path,
                 GW_PEM_MAX);
        free(p);
        return NULL;
    }
    p[n] = '\0';
    return p;
}

int gw_http_open(const serve_options *o, int *all_local, char *why, size_t cap)
{
    size_t i;

    *all_local = 1;
    for (i = 0; i < (o->n_listen ? o->n_listen : 1); i++, h.n++) {
        if (gw_listen_open(&h.l[h.n], o->n_listen ? o->listen[i] : SERVE_DEFAULT_LISTEN, why,
                           cap) != 0)
            return -1;
        *all_local &= h.l[h.n].local;
    }
    if (o->metrics_listen != NULL) {
        if (gw_listen_open(&h.l[h.n], o->metrics_listen, why, cap) != 0)
            return -1;
        h.l[h.n++].metrics = 1;
    }
    if (o->tls_cert != NULL && ((h.cert = gw_read_pem(o->tls_cert, why, cap)) == NULL ||
                                (h.key = gw_read_pem(o->tls_key, why, cap)) == NULL))
        return -1;
    return 0;
}

static struct MHD_Daemon *gw_daemon(const serve_options *o, gw_listener *l)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    int tls = h.cert != NULL && !l->is_unix;
    unsigned threads = l->metrics ? 1 : (unsigned)o->threads;
    struct MHD_OptionItem opts[] = {
        /* the logger first, so that libmicrohttpd's own messages are JSON lines too */
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)gw_mhd_log, NULL},
        {MHD_OPTION_LISTEN_SOCKET, l->fd, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)gw_completed, NULL},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)gw_connected, NULL},
        /* Twice the client timeout: a full buffer is cut first, with its error event. */
        {MHD_OPTION_CONNECTION_TIMEOUT, 2 * ((o->client_timeout_ms + 999) / 1000), NULL},
        {MHD_OPTION_CONNECTION_LIMIT, 2 * o->max_streams + 64, NULL},
        /* Headers and a 4 KiB stream block: 16 KiB a connection (libmicrohttpd's default 32). */
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 16 * 1024, NULL},
        {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads, NULL},
        {MHD_OPTION_END, 0, NULL},
        {MHD_OPTION_END, 0, NULL},
        {MHD_OPTION_END, 0, NULL},
        {MHD_OPTION_END, 0, NULL},
    };

    if (tls) {
        flags |= MHD_USE_TLS;
        opts[7 + (threads > 1)] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, h.key};
        opts[8 + (threads > 1)] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, h.cert};
    }
    return MHD_start_daemon(flags, 0, NULL, NULL, gw_access, l, MHD_OPTION_ARRAY, opts,
                            MHD_OPTION_END);
}

int gw_http_start(const serve_options *o, char *why, size_t cap)
{
    size_t i;

    for (i = 0; i < h.n; i++) {
        h.l[i].daemon = gw_daemon(o, &h.l[i]);
        if (h.l[i].daemon == NULL) {
            snprintf(why, cap, "cannot serve HTTP on %s (libmicrohttpd refused to start%s)",
                     h.l[i].name, h.cert != NULL ? "; check the TLS key and certificate" : "");
            return -1;
        }
        gw_logf("info", "listening", "%s%s%s", h.l[i].name, h.l[i].metrics ? " (metrics)" : "",
                h.cert != NULL && !h.l[i].is_unix ? " (TLS)" : "");
    }
    return 0;
}

void gw_http_quiesce(void)
{
    size_t i;

    for (i = 0; i < h.n; i++) {
        if (h.l[i].daemon == NULL || h.l[i].metrics)
            continue;
        if (MHD_quiesce_daemon(h.l[i].daemon) >= 0)
            gw_listen_close(&h.l[i]); /* the socket is ours again */
    }
}

void gw_http_stop(void)
{
    size_t i;

    for (i = 0; i < h.n; i++) {
        if (h.l[i].daemon != NULL) {
            MHD_stop_daemon(h.l[i].daemon);
            h.l[i].fd = -1; /* closed by libmicrohttpd, unless quiesced (then by us) */
        }
        h.l[i].daemon = NULL;
        gw_listen_close(&h.l[i]);
    }
    free(h.cert);
    free(h.key);
    h.cert = h.key = NULL;
}
