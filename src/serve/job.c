/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * A job: one request that needs the upstream, run on a pool thread while
 * its connection is suspended. The pool thread fills the job's buffer (a
 * whole response, or an event stream); the HTTP thread sends it.
 *
 * The hand-over, under the job's lock: the HTTP thread suspends the
 * connection when the buffer is empty and sets `suspended`; the thread that
 * adds bytes (the library's stream thread) or finishes resumes it and clears
 * the flag. So a resume always follows a suspend, as libmicrohttpd requires,
 * and no byte waits for a poll. The buffer is bounded without waiting, as a
 * stream thread reads many streams: past the bound the job holds its upstream
 * stream (p11tee_cancel_hold), the HTTP thread lifts the hold once the caller
 * read half of it, and the watcher cuts a stream whose caller read nothing
 * for client-timeout while held. A caller who hangs up cancels the job: its
 * upstream request stops at once (p11tee_cancel).
 *
 * Wake-ups are gathered: a stream thread that adds bytes to a suspended job
 * notes the job on its own list, and resumes the listed jobs at the end of its
 * turn (the library's turn end, gw_job_wake_gathered) or once the first of
 * them waited GW_WAKE_GATHER_NS: the HTTP thread wakes once per batch of
 * chunks, not once per chunk. The library ends the turn before a chat it read
 * returns to its pool thread, which holds a reference to the job until then,
 * so a listed job is alive; a job is on one list at most (wake_gathered).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/gateway.h"

static struct {
    pthread_mutex_t lock;
    gw_job *head;
    long n;
} jobs = {.lock = PTHREAD_MUTEX_INITIALIZER};

gw_job *gw_job_new(gw_request *rq, struct MHD_Connection *conn)
{
    gw_job *j = calloc(1, sizeof(*j));

    if (j == NULL)
        return NULL;
    j->cancel = p11tee_cancel_new();
    if (j->cancel == NULL) {
        free(j);
        return NULL;
    }
    pthread_mutex_init(&j->lock, NULL);
    atomic_init(&j->refs, 1);
    j->conn = conn;
    j->route = rq->route;
    j->caller = rq->caller;
    j->start_ns = rq->start_ns;
    j->watched_fd = -1;
    j->http_status = 499; /* until something was answered */
    gw_outq_init(&j->out);
    gw_buf_init(&j->prefix);
    gw_buf_init(&j->scratch);
    pthread_mutex_lock(&jobs.lock);
    j->next = jobs.head;
    if (jobs.head != NULL)
        jobs.head->prev = j;
    jobs.head = j;
    jobs.n++;
    pthread_mutex_unlock(&jobs.lock);
    return j;
}

void gw_job_put(gw_job *j)
{
    if (j == NULL || atomic_fetch_sub(&j->refs, 1) != 1)
        return;
    pthread_mutex_lock(&jobs.lock);
    if (j->prev != NULL)
        j->prev->next = j->next;
    else
        jobs.head = j->next;
    if (j->next != NULL)
        j->next->prev = j->prev;
    jobs.n--;
    pthread_mutex_unlock(&jobs.lock);
    if (j->up != NULL)
        gw_upstream_put(j->up);
    p11tee_cancel_free(j->cancel);
    free(j->body);
    gw_outq_free(&j->out);
    gw_buf_free(&j->prefix);
    gw_buf_free(&j->scratch);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

/* Under the lock: let the HTTP thread look at the job again. */
static void gw_job_wake(gw_job *j)
{
    if (j->suspended && !j->conn_gone) {
        j->suspended = 0;
        MHD_resume_connection(j->conn);
    }
}

/* How long a gathered wake-up may wait for the end of its stream thread's turn. */
#define GW_WAKE_GATHER_NS (10 * 1000000u)
#define GW_WAKES_FIRST    16

/* A stream thread's gathered wake-ups; made at its first turn end. */
typedef struct gw_wakes {
    gw_job **job;
    size_t n, cap;
    uint64_t first_ns; /* when the first of them was gathered */
} gw_wakes;

static pthread_key_t gw_wakes_key; /* a stream thread's gw_wakes */
static int gw_wakes_keyed;         /* the key was made: without it, every wake-up is at once */
static pthread_once_t gw_wakes_once = PTHREAD_ONCE_INIT;

static void gw_wakes_free(void *p)
{
    gw_wakes *w = p; /* a thread ends its last turn with nothing gathered */

    free(w->job);
    free(w);
}

static void gw_wakes_key_make(void)
{
    gw_wakes_keyed = pthread_key_create(&gw_wakes_key, gw_wakes_free) == 0;
}

/* Room for one more; 0, or -1 when memory ran out (the caller wakes at once). */
static int gw_wakes_room(gw_wakes *w)
{
    size_t cap = w->cap ? 2 * w->cap : GW_WAKES_FIRST;
    gw_job **t;

    if (w->n < w->cap)
        return 0;
    if ((t = realloc(w->job, cap * sizeof(*t))) == NULL)
        return -1;
    w->job = t;
    w->cap = cap;
    return 0;
}

static void gw_wakes_flush(gw_wakes *w)
{
    size_t i;

    for (i = 0; i < w->n; i++) {
        gw_job *j = w->job[i];

        pthread_mutex_lock(&j->lock);
        j->wake_gathered = 0;
        gw_job_wake(j);
        pthread_mutex_unlock(&j->lock);
    }
    w->n = 0;
}

/* This thread's list, or NULL: a thread that does not end turns (a pool thread). */
static gw_wakes *gw_wakes_mine(void)
{
    pthread_once(&gw_wakes_once, gw_wakes_key_make);
    return gw_wakes_keyed ? pthread_getspecific(gw_wakes_key) : NULL;
}

void gw_job_wake_gathered(void *unused)
{
    gw_wakes *w = gw_wakes_mine();

    (void)unused;
    if (w != NULL) {
        gw_wakes_flush(w);
        return;
    }
    /* This thread ends its turns: from now on its wake-ups can wait for them. */
    if (gw_wakes_keyed && (w = calloc(1, sizeof(*w))) != NULL &&
        pthread_setspecific(gw_wakes_key, w) != 0)
        free(w);
}

/*
 * Under the lock, on the thread that added bytes: wake the job now, or gather
 * it for the end of the turn. 1: the list's first entry waited long enough,
 * flush it (after unlocking).
 */
static int gw_job_wake_soon(gw_job *j)
{
    gw_wakes *w = gw_wakes_mine();

    if (w == NULL) {
        gw_job_wake(j);
        return 0;
    }
    if (j->suspended && !j->conn_gone && !j->wake_gathered) {
        if (gw_wakes_room(w) != 0) {
            gw_job_wake(j);
            return 0;
        }
        if (w->n == 0)
            w->first_ns = gw_now_ns();
        j->wake_gathered = 1;
        w->job[w->n++] = j;
    }
    return w->n > 0 && gw_now_ns() - w->first_ns >= GW_WAKE_GATHER_NS;
}

static void gw_job_hangup(void *arg)
{
    gw_job_cancel(arg, GW_CANCEL_CALLER);
}

enum MHD_Result gw_job_start(gw_job *j, gw_task_fn run)
{
    const union MHD_ConnectionInfo *ci;
    int finished;

    atomic_fetch_add(&j->refs, 1); /* the pool thread's */
    if (gw_pool_submit(run, j) != 0) {
        atomic_fetch_sub(&j->refs, 1);
        return MHD_NO;
    }
    pthread_mutex_lock(&j->lock);
    finished = j->finished || j->phase == GW_STREAMING;
    if (!finished) {
        j->suspended = 1;
        MHD_suspend_connection(j->conn);
    }
    pthread_mutex_unlock(&j->lock);
    ci = MHD_get_connection_info(j->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci != NULL && gw_watch_add(ci->connect_fd, gw_job_hangup, j) == 0)
        j->watched_fd = ci->connect_fd;
    return finished ? gw_job_respond(j) : MHD_YES;
}

void gw_job_cancel(gw_job *j, gw_cancel_reason why)
{
    int trigger = 0;

    pthread_mutex_lock(&j->lock);
    if (!j->finished && j->cancelled == GW_CANCEL_NONE) {
        j->cancelled = why;
        trigger = 1;
    }
    pthread_mutex_unlock(&j->lock);
    if (trigger)
        p11tee_cancel_trigger(j->cancel);
}

void gw_job_detach(gw_job *j, int completed_ok)
{
    if (j->watched_fd >= 0)
        gw_watch_del(j->watched_fd);
    j->watched_fd = -1;
    pthread_mutex_lock(&j->lock);
    j->conn_gone = 1;
    j->suspended = 0;
    pthread_mutex_unlock(&j->lock);
    if (!completed_ok)
        gw_job_cancel(j, GW_CANCEL_CALLER);
}

/* Under the lock, after the caller read: the upstream flows again once half of the bound left. */
static void gw_job_unhold(gw_job *j)
{
    j->held_ns = gw_now_ns();
    if (gw_outq_pending(&j->out) <= gw_opts->stream_buffer / 2) {
        j->held = 0;
        p11tee_cancel_hold(j->cancel, 0);
    }
}

static ssize_t gw_job_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    gw_job *j = cls;
    size_t n;

    (void)pos;
    pthread_mutex_lock(&j->lock);
    n = gw_outq_take(&j->out, buf, max, gw_now_ns(), gw_metrics_chunk);
    if (n > 0) {
        j->bytes_out += n;
        if (j->held)
            gw_job_unhold(j);
        pthread_mutex_unlock(&j->lock);
        return (ssize_t)n;
    }
    if (j->finished) {
        pthread_mutex_unlock(&j->lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    j->suspended = 1;
    MHD_suspend_connection(j->conn);
    pthread_mutex_unlock(&j->lock);
    return 0;
}

static void gw_job_read_done(void *cls)
{
    gw_job_put(cls);
}

static enum MHD_Result gw_job_queue_stream(gw_job *j)
{
    struct MHD_Response *r;
    enum MHD_Result ok;

    atomic_fetch_add(&j->refs, 1); /* the response's */
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4 * 1024, gw_job_read, j,
                                          gw_job_read_done);
    if (r == NULL) {
        gw_job_put(j);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    if (j->att_header[0] != '\0')
        MHD_add_response_header(r, "X-P11tee-Attestation", j->att_header);
    MHD_add_response_header(r, "X-P11tee-E2EE", j->e2ee ? "1" : "0");
    if (atomic_load(&gw_draining))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    ok = MHD_queue_response(j->conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

enum MHD_Result gw_job_respond(gw_job *j)
{
    gw_phase phase;
    int finished;

    pthread_mutex_lock(&j->lock);
    phase = j->phase;
    finished = j->finished;
    if (phase == GW_WAITING && !finished) {
        /* Not ours to answer yet: a resume that raced with the next suspend. */
        j->suspended = 1;
        MHD_suspend_connection(j->conn);
        pthread_mutex_unlock(&j->lock);
        return MHD_YES;
    }
    pthread_mutex_unlock(&j->lock);
    if (phase == GW_STREAMING)
        return gw_job_queue_stream(j);
    /* A whole response: the buffer no longer changes once finished. */
    j->bytes_out = j->out.buf.len;
    return gw_http_reply(j->conn, j->http_status, NULL, j->out.buf.p ? j->out.buf.p : "",
                         j->out.buf.len, j);
}

/* Under the lock: the caller has not read for too long. The error goes past the bound. */
static void gw_job_cut(gw_job *j)
{
    gw_buf err;

    j->cancelled = GW_CANCEL_SLOW;
    gw_metrics_count(GW_C_SLOW_CUTS);
    gw_buf_init(&err);
    gw_error_body(&err, "the client did not read the stream in time; it was cut", "server_error",
                  NULL, "slow_client");
    gw_outq_add(&j->out, "data: ", 6, 0);
    gw_outq_add(&j->out, err.p, err.len, 0);
    gw_outq_add(&j->out, "\n\n", 2, 0);
    gw_buf_free(&err);
    snprintf(j->code, sizeof(j->code), "slow_client");
    j->finished = 1;
    j->end_ns = gw_now_ns();
}

/* Buffered past this many times the bound (a hold that did not take): cut at once. */
#define GW_HOLD_SLACK 4

int gw_job_emit(gw_job *j, const char *data, size_t len, uint64_t ready_ns)
{
    int cut = 0, rc = 0, flush;

    pthread_mutex_lock(&j->lock);
    if (j->phase == GW_WAITING) {
        j->phase = GW_STREAMING;
        j->http_status = 200;
    }
    if (j->cancelled != GW_CANCEL_NONE || j->finished) {
        rc = -1;
    } else if (gw_outq_pending(&j->out) > GW_HOLD_SLACK * gw_opts->stream_buffer) {
        gw_job_cut(j);
        cut = 1;
        rc = -1;
    } else {
        gw_outq_add(&j->out, data, len, ready_ns);
        if (!j->held && gw_outq_pending(&j->out) > gw_opts->stream_buffer) {
            /* Under the lock, so that a hold and its release never cross. */
            j->held = 1;
            j->held_ns = gw_now_ns();
            p11tee_cancel_hold(j->cancel, 1);
        }
    }
    flush = gw_job_wake_soon(j);
    pthread_mutex_unlock(&j->lock);
    if (flush)
        gw_wakes_flush(gw_wakes_mine());
    if (cut)
        p11tee_cancel_trigger(j->cancel);
    return rc;
}

void gw_job_end(gw_job *j, const char *data, size_t len)
{
    pthread_mutex_lock(&j->lock);
    if (j->phase == GW_WAITING && !j->finished) {
        j->phase = GW_STREAMING;
        j->http_status = 200;
    }
    if (!j->finished) {
        gw_outq_add(&j->out, data, len, 0);
        j->finished = 1;
        j->end_ns = gw_now_ns();
    }
    gw_job_wake(j);
    pthread_mutex_unlock(&j->lock);
}

void gw_job_finish(gw_job *j, unsigned status, const char *body, size_t len)
{
    pthread_mutex_lock(&j->lock);
    if (!j->finished) {
        j->http_status = status;
        gw_outq_free(&j->out);
        gw_outq_add(&j->out, body, len, 0);
        j->finished = 1;
        j->end_ns = gw_now_ns();
    }
    gw_job_wake(j);
    pthread_mutex_unlock(&j->lock);
}

void gw_job_fail(gw_job *j, p11tee_status rc, const p11tee_error *err)
{
    const char *type, *code;
    unsigned http;
    gw_buf body;
    int streaming, drain;

    gw_status_map(rc, &http, &type, &code);
    pthread_mutex_lock(&j->lock);
    streaming = j->phase == GW_STREAMING;
    drain = j->cancelled == GW_CANCEL_DRAIN;
    if (drain) {
        http = 503;
        type = "server_error";
        code = "shutting_down";
    }
    if (j->code[0] == '\0')
        snprintf(j->code, sizeof(j->code), "%s", code);
    pthread_mutex_unlock(&j->lock);
    j->rc = rc;
    gw_buf_init(&body);
    if (drain)
        gw_error_body(&body, "the gateway is shutting down; retry", type, NULL, code);
    else
        gw_error_body(&body, err->message[0] ? err->message : p11tee_strerror(rc), type, NULL,
                      code);
    if (streaming) {
        /* An OpenAI error event, then the stream closes without [DONE]. */
        gw_buf_reset(&j->scratch);
        gw_buf_str(&j->scratch, "data: ");
        gw_buf_add(&j->scratch, body.p, body.len);
        gw_buf_str(&j->scratch, "\n\n");
        gw_job_end(j, j->scratch.p, j->scratch.len);
    } else {
        gw_job_finish(j, http, body.p, body.len);
    }
    gw_buf_free(&body);
}

void gw_jobs_cancel_all(gw_cancel_reason why)
{
    gw_job *j;

    /* Cancelling takes only each job's own lock, and frees nothing. */
    pthread_mutex_lock(&jobs.lock);
    for (j = jobs.head; j != NULL; j = j->next)
        gw_job_cancel(j, why);
    pthread_mutex_unlock(&jobs.lock);
}

void gw_jobs_sweep(uint64_t now_ns)
{
    uint64_t limit = (uint64_t)gw_opts->client_timeout_ms * 1000000u;
    gw_job *j;
    int cut;

    pthread_mutex_lock(&jobs.lock);
    for (j = jobs.head; j != NULL; j = j->next) {
        pthread_mutex_lock(&j->lock);
        cut = j->held && !j->finished && j->cancelled == GW_CANCEL_NONE &&
              now_ns - j->held_ns >= limit;
        if (cut) {
            gw_job_cut(j);
            gw_job_wake(j);
        }
        pthread_mutex_unlock(&j->lock);
        if (cut)
            p11tee_cancel_trigger(j->cancel);
    }
    pthread_mutex_unlock(&jobs.lock);
}

long gw_jobs_active(void)
{
    long n;

    pthread_mutex_lock(&jobs.lock);
    n = jobs.n;
    pthread_mutex_unlock(&jobs.lock);
    return n;
}
