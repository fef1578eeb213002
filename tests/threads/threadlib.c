/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* Helpers of the thread tests; see threadlib.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "net/net.h"
#include "testlib.h"
#include "threadlib.h"

/* Longest a held leader waits for the others: a safety net against a hang, never a measure. */
#define TL_HOLD_LIMIT_S 120

static int tl_starts(const char *line, const char *prefix)
{
    return strncmp(line, prefix, strlen(prefix)) == 0;
}

static void tl_hold(tl_log *l)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += TL_HOLD_LIMIT_S;
    while (l->hold && l->waiting < l->hold_for)
        if (pthread_cond_timedwait(&l->changed, &l->lock, &until) == ETIMEDOUT) {
            l->hold_timed_out = 1;
            break;
        }
}

static void tl_log_line(void *userdata, const char *line)
{
    tl_log *l = userdata;

    pthread_mutex_lock(&l->lock);
    if (tl_starts(line, "* attesting ")) {
        l->attesting++;
        tl_hold(l);
    } else if (tl_starts(line, "* waiting for the attestation of ")) {
        l->waiting++;
    } else if (tl_starts(line, "* token opened")) {
        l->token_opened++;
    }
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->lock);
}

tl_log tl_log_read(tl_log *log)
{
    tl_log copy;

    pthread_mutex_lock(&log->lock);
    copy = *log;
    pthread_mutex_unlock(&log->lock);
    return copy;
}

static void tl_set(p11tee_config *cfg, const char *name, const char *value)
{
    p11tee_error err;

    if (p11tee_config_set(cfg, name, value, &err) != P11TEE_OK)
        fail_msg("%s: %s", name, err.message);
}

p11tee_client *tl_client_new(tl_log *log, const char *ttl, const char *stream_threads)
{
    p11tee_config *cfg = p11tee_config_new();
    p11tee_client *client = NULL;
    p11tee_error err;

    test_config_refserver(cfg);
    if (ttl != NULL)
        tl_set(cfg, "session-ttl-s", ttl);
    if (stream_threads != NULL)
        tl_set(cfg, "stream-threads", stream_threads);
    if (log != NULL) {
        memset(log, 0, sizeof(*log));
        pthread_mutex_init(&log->lock, NULL);
        pthread_cond_init(&log->changed, NULL);
        p11tee_config_set_log(cfg, tl_log_line, log);
    }
    if (p11tee_client_new(cfg, &client, &err) != P11TEE_OK)
        fail_msg("p11tee_client_new: %s", err.message);
    p11tee_config_free(cfg);
    return client;
}

/* One request to the server's own endpoints (/__stats, /__control), outside /api/v1. */
static json_object *tl_server(const char *method, const char *path, const char *body)
{
    char base[64];
    net_options o;
    net_client *net = NULL;
    net_request req;
    net_response resp;
    json_object *obj;
    p11tee_error err;

    snprintf(base, sizeof(base), "http://127.0.0.1:%s", test_require_env("REFSERVER_PORT"));
    memset(&o, 0, sizeof(o));
    o.base_url = base;
    o.api_key = test_require_env("REFSERVER_API_KEY");
    if (net_client_new(&o, &net, &err) != P11TEE_OK)
        fail_msg("net_client_new: %s", err.message);
    memset(&req, 0, sizeof(req));
    req.method = method;
    req.path = path;
    req.body = body;
    req.body_len = body != NULL ? strlen(body) : 0;
    if (net_perform(net, &req, &resp, &err) != P11TEE_OK)
        fail_msg("%s %s: %s", method, path, err.message);
    obj = json_tokener_parse((const char *)resp.body.data);
    net_response_free(&resp);
    net_client_free(net);
    assert_non_null(obj);
    return obj;
}

long tl_stat(const char *key)
{
    json_object *root = tl_server("GET", "/__stats", NULL), *v = root;
    char path[128], *part, *save = NULL;
    long n;

    snprintf(path, sizeof(path), "%s", key);
    /* The server lists only what it counted: a missing count is 0 (as it_stat says). */
    for (part = strtok_r(path, ".", &save); part != NULL && v != NULL;
         part = strtok_r(NULL, ".", &save))
        if (!json_object_object_get_ex(v, part, &v))
            v = NULL;
    n = v != NULL ? (long)json_object_get_int64(v) : 0;
    json_object_put(root);
    return n;
}

void tl_control(const char *json)
{
    json_object_put(tl_server("POST", "/__control", json));
}

/* The reference model's rule (tests/server/README.md) for 8 pieces: short texts repeat. */
static void tl_model_text(const char *prefix, const char *prompt, char *out, size_t cap)
{
    char base[512];

    snprintf(base, sizeof(base), "%s%s", prefix, prompt);
    snprintf(out, cap, "%s", base);
    while (strlen(out) < 8)
        snprintf(out + strlen(out), cap - strlen(out), " %s", base);
}

void tl_answer(const char *prompt, char *out, size_t cap)
{
    tl_model_text("echo: ", prompt, out, cap);
}

void tl_thinking(const char *prompt, char *out, size_t cap)
{
    tl_model_text("thinking: ", prompt, out, cap);
}

static int tl_collect(void *userdata, size_t choice, p11tee_field field, const char *s, size_t len,
                      int plaintext)
{
    tl_text *t = userdata;

    if (choice != 0)
        return 1;
    char *buf = field == P11TEE_FIELD_CONTENT ? t->content : t->reasoning;
    size_t *n = field == P11TEE_FIELD_CONTENT ? &t->content_len : &t->reasoning_len;

    t->plaintext += plaintext;
    if (*n + len >= sizeof(t->content))
        return 1;
    memcpy(buf + *n, s, len);
    *n += len;
    buf[*n] = '\0';
    return 0;
}

p11tee_status tl_chat(p11tee_client *c, const char *model, const char *prompt, int stream,
                      tl_text *t, p11tee_chat_result **res, p11tee_error *err)
{
    static const p11tee_chat_events events = {.on_text = tl_collect};
    char req[512];

    memset(t, 0, sizeof(*t));
    snprintf(req, sizeof(req),
             "{\"model\":\"%s\",\"stream\":%s,\"messages\":[{\"role\":\"user\",\"content\":"
             "\"%s\"}]}",
             model, stream ? "true" : "false", prompt);
    return p11tee_chat(c, req, strlen(req), &events, t, res, err);
}

typedef struct tl_start {
    pthread_barrier_t *barrier;
    void *(*fn)(void *);
    void *arg;
} tl_start;

static void *tl_thread(void *p)
{
    tl_start *s = p;

    pthread_barrier_wait(s->barrier);
    return s->fn(s->arg);
}

void tl_run_together(size_t n, void *(*fn)(void *), void *args, size_t size)
{
    pthread_barrier_t barrier;
    pthread_t *tid = calloc(n, sizeof(*tid));
    tl_start *start = calloc(n, sizeof(*start));
    size_t i;

    assert_non_null(tid);
    assert_non_null(start);
    assert_int_equal(pthread_barrier_init(&barrier, NULL, (unsigned)n), 0);
    for (i = 0; i < n; i++) {
        start[i].barrier = &barrier;
        start[i].fn = fn;
        start[i].arg = (char *)args + i * size;
        assert_int_equal(pthread_create(&tid[i], NULL, tl_thread, &start[i]), 0);
    }
    for (i = 0; i < n; i++)
        pthread_join(tid[i], NULL);
    pthread_barrier_destroy(&barrier);
    free(start);
    free(tid);
}
