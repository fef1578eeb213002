/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The audit log: one JSON object per line, appended, each carrying the
 * SHA-256 of the line before it ("prev", 64 zeros for the first) and its
 * sequence number, so that a line deleted or edited anywhere but at the end
 * breaks the chain where it happened. Lines hold ids, hashes and verdicts,
 * never a prompt or an answer. Appends are serialised by a mutex and each
 * line goes out in one write() on an O_APPEND descriptor.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "api/api.h"
#include "crypto/crypto.h"

#define AUDIT_VERSION  1
#define AUDIT_LINE_MAX (64u * 1024)
#define AUDIT_ZERO     "0000000000000000000000000000000000000000000000000000000000000000"

struct p11tee_audit_log {
    pthread_mutex_t lock;
    int fd;
    unsigned long long seq;                  /* of the last line written */
    char prev[2 * SHA256_DIGEST_LENGTH + 1]; /* its SHA-256 */
    char path[1024];
};

/*
 * The chain fields of one line: its seq and prev; 0 when it is not a log
 * line, -1 when it could not be read for want of memory (not a verdict).
 */
static int audit_fields(const char *line, size_t len, unsigned long long *seq, char *prev,
                        size_t pcap)
{
    json_object *doc = NULL, *v;
    int ok = 0;
    p11tee_status rc = sjson_parse(line, len, AUDIT_LINE_MAX, "audit log line", &doc, NULL);

    if (rc == P11TEE_E_NOMEM)
        return -1;
    if (rc == P11TEE_OK && json_object_is_type(doc, json_type_object) &&
        json_object_object_get_ex(doc, "v", &v) && json_object_get_int(v) == AUDIT_VERSION &&
        json_object_object_get_ex(doc, "seq", &v) && json_object_is_type(v, json_type_int) &&
        (*seq = (unsigned long long)json_object_get_int64(v)) > 0 &&
        json_object_object_get_ex(doc, "prev", &v) && json_object_is_type(v, json_type_string) &&
        json_object_get_string_len(v) == 2 * SHA256_DIGEST_LENGTH) {
        snprintf(prev, pcap, "%s", json_object_get_string(v));
        ok = 1;
    }
    json_object_put(doc);
    return ok;
}

/* Read the log at `fd` and check its chain; `v` as for p11tee_audit_log_verify(). */
static p11tee_status audit_scan(int fd, const char *path, p11tee_audit_verdict *v,
                                p11tee_error *err)
{
    FILE *f = fdopen(dup(fd), "r");
    char *line = NULL, prev[2 * SHA256_DIGEST_LENGTH + 1], want[sizeof(prev)];
    size_t cap = 0;
    ssize_t n;
    unsigned long long seq;
    int fields = 0;
    p11tee_status rc = P11TEE_OK;

    memset(v, 0, sizeof(*v));
    v->ok = 1;
    snprintf(want, sizeof(want), "%s", AUDIT_ZERO);
    if (f == NULL)
        return err_set(err, P11TEE_E_IO, "cannot read the audit log %s: %s", path, strerror(errno));
    while (v->ok && rc == P11TEE_OK && (n = getline(&line, &cap, f)) > 0) {
        v->lines++;
        if (line[n - 1] != '\n') {
            v->ok = 0;
            snprintf(v->message, sizeof(v->message), "line %llu is cut off (no newline)", v->lines);
        } else if ((size_t)n - 1 <= AUDIT_LINE_MAX &&
                   (fields = audit_fields(line, (size_t)n - 1, &seq, prev, sizeof(prev))) < 0) {
            rc = err_set(err, P11TEE_E_NOMEM, "out of memory reading the audit log %s", path);
        } else if ((size_t)n - 1 > AUDIT_LINE_MAX || fields == 0) {
            v->ok = 0;
            snprintf(v->message, sizeof(v->message), "line %llu is not an audit log line",
                     v->lines);
        } else if (seq != v->lines || strcmp(prev, want) != 0) {
            v->ok = 0;
            snprintf(v->message, sizeof(v->message),
                     "line %llu breaks the chain (%s): a line before it was deleted, edited or "
                     "reordered",
                     v->lines,
                     seq != v->lines ? "its sequence number is wrong"
                                     : "its prev is not "
                                       "the hash of the "
                                       "line before");
        } else {
            rc = api_sha256_hex(line, (size_t)n - 1, want, err);
        }
    }
    if (rc != P11TEE_OK)
        memset(v, 0, sizeof(*v)); /* no verdict */
    else if (!v->ok)
        v->bad_line = v->lines;
    else
        snprintf(v->head, sizeof(v->head), "%s", want);
    free(line);
    fclose(f);
    return rc;
}

p11tee_status p11tee_audit_log_verify(const char *path, p11tee_audit_verdict *v, p11tee_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    p11tee_status rc;

    if (fd < 0) {
        memset(v, 0, sizeof(*v));
        return err_set(err, P11TEE_E_IO, "cannot open the audit log %s: %s", path, strerror(errno));
    }
    rc = audit_scan(fd, path, v, err);
    close(fd);
    return rc;
}

p11tee_status p11tee_audit_log_open(const char *path, p11tee_audit_log **out, p11tee_error *err)
{
    p11tee_audit_log *log = calloc(1, sizeof(*log));
    p11tee_audit_verdict v;
    p11tee_status rc;

    *out = NULL;
    if (log == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    snprintf(log->path, sizeof(log->path), "%s", path);
    log->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (log->fd < 0) {
        rc = err_set(err, P11TEE_E_IO, "cannot open the audit log %s: %s", path, strerror(errno));
        free(log);
        return rc;
    }
    /* Continue the chain only from a log that holds together. */
    rc = audit_scan(log->fd, path, &v, err);
    if (rc == P11TEE_OK && !v.ok)
        rc = err_set(err, P11TEE_E_IO,
                     "the audit log %s does not verify (%s): keep it for the audit and start a new "
                     "one",
                     path, v.message);
    if (rc != P11TEE_OK) {
        close(log->fd);
        free(log);
        return rc;
    }
    log->seq = v.lines;
    snprintf(log->prev, sizeof(log->prev), "%s", v.head);
    pthread_mutex_init(&log->lock, NULL);
    *out = log;
    return P11TEE_OK;
}

void p11tee_audit_log_close(p11tee_audit_log *log)
{
    if (log == NULL)
        return;
    close(log->fd);
    pthread_mutex_destroy(&log->lock);
    free(log);
}

/* "2026-12-06T16:00:00Z" */
static void audit_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "@%lld", (long long)t);
}

/*
 * Add seq, time and prev to `ev` (event members first) and write it as one
 * line; `ok` 0: the event lost a member for want of memory, and nothing is
 * written. The line's hash is taken before the write, so that a line in the
 * file is always the one the next line's prev names.
 */
static p11tee_status audit_append(p11tee_audit_log *log, json_object *ev, int ok, p11tee_error *err)
{
    json_object *line = json_object_new_object();
    json_object_iter it;
    char when[32], next[sizeof(log->prev)], *text;
    struct iovec iov[2] = {{NULL, 0}, {(void *)"\n", 1}};
    ssize_t w;
    p11tee_status rc;

    audit_now(when);
    pthread_mutex_lock(&log->lock);
    sjson_set(line, "v", json_object_new_int(AUDIT_VERSION), &ok);
    sjson_set(line, "seq", json_object_new_int64((int64_t)(log->seq + 1)), &ok);
    sjson_set(line, "time", json_object_new_string(when), &ok);
    if (ev == NULL)
        ok = 0;
    else
        json_object_object_foreachC(ev, it)
        {
            sjson_set(line, it.key, json_object_get(it.val), &ok);
        }
    sjson_set(line, "prev", json_object_new_string(log->prev), &ok);
    text = sjson_finish(line, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, ok);
    iov[0].iov_base = text;
    iov[0].iov_len = text != NULL ? strlen(text) : 0;
    if (text == NULL)
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory making an audit log line");
    else if (iov[0].iov_len > AUDIT_LINE_MAX)
        rc = err_set(err, P11TEE_E_INTERNAL, "an audit log line would exceed %u bytes",
                     AUDIT_LINE_MAX);
    else
        rc = api_sha256_hex(text, iov[0].iov_len, next, err);
    if (rc == P11TEE_OK) {
        w = writev(log->fd, iov, 2); /* one write: the line is whole or absent */
        if (w != (ssize_t)(iov[0].iov_len + 1)) {
            rc = err_set(err, P11TEE_E_IO, "cannot append to the audit log %s: %s", log->path,
                         w < 0 ? strerror(errno) : "short write");
        } else {
            log->seq++;
            memcpy(log->prev, next, sizeof(next));
        }
    }
    pthread_mutex_unlock(&log->lock);
    free(text);
    json_object_put(ev);
    return rc;
}

/* A string member, when there is a value. */
static void audit_str(json_object *o, const char *key, const char *value, int *ok)
{
    if (value != NULL)
        sjson_set(o, key, sjson_new_string_valid(value, strlen(value)), ok);
}

/* A member holding the SHA-256 of `len` bytes. */
static p11tee_status audit_hash(json_object *o, const char *key, const void *data, size_t len,
                                int *ok, p11tee_error *err)
{
    char hash[2 * SHA256_DIGEST_LENGTH + 1];
    p11tee_status rc = api_sha256_hex(data, len, hash, err);

    if (rc == P11TEE_OK)
        audit_str(o, key, hash, ok);
    return rc;
}

p11tee_status p11tee_audit_log_attestation(p11tee_audit_log *log, const p11tee_attestation *a,
                                           p11tee_error *err)
{
    json_object *ev = json_object_new_object();
    p11tee_error verdict;
    char *report = p11tee_attestation_json(a);
    static const char *const fields[] = {"model", "nonce", "signing_address", "tcb_status",
                                         "mrtd",  "rtmr3", "fmspc",           "collateral_age_days",
                                         "policy"};
    size_t i;
    int ok = 1;
    p11tee_status rc;

    if (report == NULL || ev == NULL) {
        free(report);
        json_object_put(ev);
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    }
    audit_str(ev, "event", "attestation", &ok);
    for (i = 0; i < P11TEE_ARRAY_LEN(fields); i++)
        audit_str(ev, fields[i], p11tee_attestation_get(a, fields[i]), &ok);
    audit_str(ev, "policy_sha256",
              a->policy->rules->sha256[0] != '\0' ? a->policy->rules->sha256 : NULL, &ok);
    audit_str(ev, "verdict", p11tee_attestation_verdict(a, &verdict) == P11TEE_OK ? "pass" : "fail",
              &ok);
    if (verdict.code != P11TEE_OK)
        sjson_set(ev, "code", json_object_new_int((int)verdict.code), &ok);
    rc = audit_hash(ev, "report_sha256", report, strlen(report), &ok, err);
    free(report);
    if (rc != P11TEE_OK) {
        json_object_put(ev);
        return rc;
    }
    return audit_append(log, ev, ok, err);
}

p11tee_status p11tee_audit_log_request(p11tee_audit_log *log, const p11tee_audit_request *r,
                                       p11tee_error *err)
{
    json_object *ev = json_object_new_object();
    int ok = 1;
    p11tee_status rc = P11TEE_OK;

    if (ev == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    audit_str(ev, "event", "request", &ok);
    audit_str(ev, "request_id", r->request_id, &ok);
    audit_str(ev, "model", r->model, &ok);
    audit_str(ev, "client", r->client, &ok);
    sjson_set(ev, "e2ee", json_object_new_boolean(r->e2ee), &ok);
    sjson_set(ev, "status", json_object_new_int((int)r->status), &ok);
    if (r->request != NULL)
        rc = audit_hash(ev, "request_sha256", r->request, r->request_len, &ok, err);
    else
        audit_str(ev, "request_sha256", r->request_sha256, &ok);
    if (rc == P11TEE_OK && r->response != NULL)
        rc = audit_hash(ev, "response_sha256", r->response, r->response_len, &ok, err);
    audit_str(ev, "attestation_nonce", r->attestation, &ok);
    if (rc != P11TEE_OK) {
        json_object_put(ev);
        return rc;
    }
    return audit_append(log, ev, ok, err);
}
