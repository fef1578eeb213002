/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * What the gateway keeps besides its log: the hash-chained audit log
 * (--audit-log: one line per new attestation and per chat request, ids and
 * hashes only, through the library's p11tee_audit_log), and Intel's
 * collateral in the cache, whose age it reports at start and which a
 * thread of its own fetches again before its nextUpdate (--collateral-refresh).
 * The refresh thread holds no lock while it fetches.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/sha.h>
#include <p11tee/audit.h>

#include "serve/gateway.h"

#define GW_PLATFORMS_MAX    32
#define GW_REFRESH_CHECK_S  3600 /* how often the cache's dates are looked at */
#define GW_COLLATERAL_DAY_S 86400

static struct {
    p11tee_audit_log *log;
    const p11tee_config *cfg;
    long refresh_s;
    pthread_t thread;
    int running, stop;
    pthread_mutex_t lock;
    pthread_cond_t wake;
} r = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void gw_iso(time_t t, char *out, size_t cap)
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, cap, "?");
}

/* A "collateral" line: the platform, how old its collateral is and when it must be renewed. */
static void gw_collateral_line(const char *level, const char *platform,
                               const p11tee_collateral_info *info, const char *what)
{
    char issued[32], next[32];
    time_t now = time(NULL);
    gw_buf b;

    gw_iso(info->issued, issued, sizeof(issued));
    gw_iso(info->next_update, next, sizeof(next));
    gw_buf_init(&b);
    gw_buf_printf(&b,
                  ",\"message\":\"%s\",\"platform\":\"%s\",\"issued\":\"%s\",\"age_days\":%lld,"
                  "\"next_update\":\"%s\",\"test_root\":%s",
                  what, platform, issued,
                  (long long)(now > info->issued ? (now - info->issued) / GW_COLLATERAL_DAY_S : 0),
                  next, info->test_root ? "true" : "false");
    gw_log(level, "collateral", b.failed ? "" : b.p);
    gw_buf_free(&b);
}

/* One platform: report it, and fetch it again when its nextUpdate is near or it is unusable. */
static void gw_collateral_check(const char *platform, int at_start)
{
    char fmspc[13], ca[16];
    p11tee_collateral_info info;
    p11tee_error err;
    time_t now = time(NULL);
    int due;

    if (sscanf(platform, "%12[0-9A-F]:%15s", fmspc, ca) != 2)
        return;
    p11tee_error_clear(&err);
    memset(&info, 0, sizeof(info));
    if (p11tee_collateral_cached(r.cfg, fmspc, ca, 0, &info, &err) == P11TEE_OK) {
        if (at_start)
            gw_collateral_line("info", platform, &info, "cached");
        due = info.next_update - now <= (time_t)r.refresh_s;
    } else {
        gw_logf("warning", "collateral", "%s: the cached collateral cannot be used: %s", platform,
                err.message);
        due = 1;
    }
    if (!due || r.refresh_s == 0)
        return;
    p11tee_error_clear(&err);
    if (p11tee_collateral_fetch(r.cfg, fmspc, ca, 0, &info, &err) == P11TEE_OK)
        gw_collateral_line("info", platform, &info, "refreshed");
    else
        gw_logf("warning", "collateral",
                "%s: refreshing the collateral failed, the cache is unchanged: %s", platform,
                err.message);
}

static void gw_collateral_pass(int at_start)
{
    char platforms[GW_PLATFORMS_MAX][24];
    size_t i, n = p11tee_collateral_platforms(r.cfg, platforms, GW_PLATFORMS_MAX);

    if (at_start && n == 0)
        gw_logf("info", "collateral",
                "the collateral cache holds no platform: TCB and "
                "revocation checks need p11tee collateral fetch");
    for (i = 0; i < n; i++)
        gw_collateral_check(platforms[i], at_start);
}

static void *gw_refresh_thread(void *arg)
{
    struct timespec until;
    int first = 1;

    (void)arg;
    pthread_mutex_lock(&r.lock);
    while (!r.stop) {
        pthread_mutex_unlock(&r.lock);
        gw_collateral_pass(first);
        first = 0;
        pthread_mutex_lock(&r.lock);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += GW_REFRESH_CHECK_S;
        while (!r.stop && pthread_cond_timedwait(&r.wake, &r.lock, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&r.lock);
    return NULL;
}

int gw_records_start(const serve_options *o, const p11tee_config *cfg, char *why, size_t cap)
{
    p11tee_error err;

    r.cfg = cfg;
    r.refresh_s = o->collateral_refresh_s;
    p11tee_error_clear(&err);
    if (o->audit_log != NULL && p11tee_audit_log_open(o->audit_log, &r.log, &err) != P11TEE_OK) {
        snprintf(why, cap, "audit log: %s", err.message);
        return -1;
    }
    r.stop = 0;
    if (pthread_create(&r.thread, NULL, gw_refresh_thread, NULL) != 0) {
        snprintf(why, cap, "cannot start the collateral thread");
        return -1;
    }
    r.running = 1;
    return 0;
}

void gw_records_stop(void)
{
    if (r.running) {
        pthread_mutex_lock(&r.lock);
        r.stop = 1;
        pthread_cond_signal(&r.wake);
        pthread_mutex_unlock(&r.lock);
        pthread_join(r.thread, NULL);
        r.running = 0;
    }
    p11tee_audit_log_close(r.log);
    r.log = NULL;
}

int gw_sha256(const void *data, size_t len, unsigned char out[SHA256_DIGEST_LENGTH])
{
    /* OpenSSL's SHA256() allocates; failing, it returns NULL with `out` unwritten. */
    if (SHA256(data != NULL ? data : (const void *)"", len, out) != NULL)
        return 1;
    ERR_clear_error();
    memset(out, 0, SHA256_DIGEST_LENGTH);
    return 0;
}

int gw_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    size_t i;

    if (!gw_sha256(data, len, d)) {
        out[0] = '\0';
        return 0;
    }
    for (i = 0; i < sizeof(d); i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    return 1;
}

void gw_records_attestation(const p11tee_attestation *a)
{
    p11tee_error err;

    p11tee_error_clear(&err);
    if (r.log != NULL && p11tee_audit_log_attestation(r.log, a, &err) != P11TEE_OK)
        gw_logf("error", "audit", "the audit log was not written: %s", err.message);
}

void gw_records_request(const p11tee_audit_request *q)
{
    p11tee_error err;

    p11tee_error_clear(&err);
    if (r.log != NULL && p11tee_audit_log_request(r.log, q, &err) != P11TEE_OK)
        gw_logf("error", "audit", "the audit log was not written: %s", err.message);
}
