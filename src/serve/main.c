/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The gateway's life: open the listeners (refusing to serve unauthenticated
 * callers beyond this machine), load the clients and the library's client,
 * start the threads, tell systemd we are ready, attest the warm-up models,
 * then wait for signals. SIGHUP reloads the clients file and the policy.
 * SIGTERM/SIGINT stop accepting, let streams in flight finish for
 * --drain-timeout, cut what is left with an error event, and exit 0.
 */
#include "config.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "serve/gateway.h"

#define GW_FINAL_WAIT_MS 5000L /* after the drain: how long cut streams get to end */
/*
 * glibc gives threads that allocate at once arenas of their own, up to 8 per core,
 * and each keeps what it grew. The gateway's threads (one per chat in flight, which
 * attests and seals, and the stream threads) share at most this many
 * (docs/PERFORMANCE.md). MALLOC_ARENA_MAX in the environment still decides.
 */
#define GW_MALLOC_ARENAS 4

const serve_options *gw_opts;
atomic_int gw_draining;
static atomic_int gw_fatal; /* exit code the warm-up asked for */

void serve_options_init(serve_options *o)
{
    memset(o, 0, sizeof(*o));
    o->max_streams = SERVE_DEFAULT_STREAMS;
    o->max_body = SERVE_DEFAULT_BODY;
    o->max_messages = SERVE_DEFAULT_MESSAGES;
    o->stream_buffer = SERVE_DEFAULT_BUFFER;
    o->client_timeout_ms = 30000;
    o->drain_timeout_ms = 30000;
    o->threads = 2;
    o->collateral_refresh_s = SERVE_DEFAULT_REFRESH;
}

static void *gw_warm_thread(void *arg)
{
    gw_upstream *up = gw_upstream_get();
    p11tee_error err;

    (void)arg;
    p11tee_error_clear(&err);
    if (gw_warm(up, &err) != P11TEE_OK) {
        gw_logf("error", "token", "%s; stopping", err.message);
        atomic_store(&gw_fatal, SERVE_EXIT_TOKEN);
        kill(getpid(), SIGTERM);
    } else {
        sd_notify(0, gw_ready() ? "STATUS=ready" : "STATUS=no model attested yet");
    }
    gw_upstream_put(up);
    return NULL;
}

static void gw_reload(void)
{
    char why[512];
    p11tee_error err;

    sd_notify(0, "RELOADING=1\nSTATUS=reloading");
    gw_metrics_count(GW_C_RELOADS);
    if (gw_auth_reload(why, sizeof(why)) != 0)
        gw_logf("error", "reload", "clients file kept as it was: %s", why);
    else if (gw_opts->clients_file != NULL)
        gw_logf("info", "reload", "clients file reloaded");
    p11tee_error_clear(&err);
    if (gw_upstream_reload(&err) != 0)
        gw_logf("error", "reload", "policy and client kept as they were: %s", err.message);
    else
        gw_logf("info", "reload", "new client with the policy read again");
    sd_notify(0, "READY=1\nSTATUS=ready");
}

static uint64_t gw_ms(void)
{
    return gw_now_ns() / 1000000u;
}

/* Wait until no job is in flight, or `ms` passed; 1 when none is left. */
static int gw_wait_jobs(long ms)
{
    uint64_t end = gw_ms() + (uint64_t)ms;
    struct timespec tick = {0, 20 * 1000000L};

    while (gw_jobs_active() > 0 && gw_ms() < end)
        nanosleep(&tick, NULL);
    return gw_jobs_active() == 0;
}

static void gw_drain(void)
{
    atomic_store(&gw_draining, 1);
    sd_notify(0, "STOPPING=1\nSTATUS=draining");
    gw_http_quiesce();
    gw_logf("info", "drain", "not accepting; %ld requests in flight, waiting up to %ld ms",
            gw_jobs_active(), gw_opts->drain_timeout_ms);
    if (!gw_wait_jobs(gw_opts->drain_timeout_ms)) {
        gw_logf("warning", "drain", "%ld requests still in flight: cutting them", gw_jobs_active());
        gw_jobs_cancel_all(GW_CANCEL_DRAIN);
        if (!gw_wait_jobs(GW_FINAL_WAIT_MS))
            gw_logf("warning", "drain", "%ld requests did not end", gw_jobs_active());
    }
}

/*
 * --max-rss: 1 once the resident memory passed it, logged. The gateway then
 * retires: it drains as on SIGTERM and exits SERVE_EXIT_RETIRED, for its
 * supervisor to start it afresh (a token module such as SoftHSMv2 keeps memory
 * for every derive until the process ends).
 */
#define GW_MIB (1024LL * 1024)

static int gw_past_max_rss(void)
{
    long long rss, limit = gw_opts->max_rss_mib * GW_MIB;

    if (limit <= 0 || (rss = gw_rss_bytes()) <= limit)
        return 0;
    gw_logf("warning", "retire",
            "resident memory %lld MiB passed --max-rss %ld MiB: draining, then exiting %d for "
            "the supervisor to start the gateway again",
            rss / GW_MIB, gw_opts->max_rss_mib, SERVE_EXIT_RETIRED);
    return 1;
}

/*
 * Signals are taken by sigtimedwait in this thread only; every other thread blocks them.
 * Returns the signal that stops the gateway, or 0 when it retires (--max-rss).
 */
static int gw_loop(const sigset_t *set)
{
    uint64_t wd_usec = 0, next_ping = 0;
    struct timespec tick = {1, 0};
    int sig;

    if (sd_watchdog_enabled(0, &wd_usec) <= 0)
        wd_usec = 0;
    for (;;) {
        if (wd_usec != 0 && gw_now_ns() / 1000 >= next_ping) {
            sd_notify(0, "WATCHDOG=1");
            next_ping = gw_now_ns() / 1000 + wd_usec / 2;
        }
        sig = sigtimedwait(set, NULL, &tick);
        if (sig == SIGHUP)
            gw_reload();
        else if (sig == SIGTERM || sig == SIGINT)
            return sig;
        if (gw_past_max_rss())
            return 0;
    }
}

/* Everything before the first request can be served; exit code, or -1 to go on. */
static int gw_setup(const serve_options *o, p11tee_config *cfg)
{
    char why[512];
    int all_local;
    p11tee_error err;

    if (gw_http_open(o, &all_local, why, sizeof(why)) != 0) {
        gw_logf("error", "start", "%s", why);
        return SERVE_EXIT_FAILURE;
    }
    if (o->clients_file == NULL && !all_local) {
        gw_logf("error", "start",
                "refusing to listen beyond this machine without --clients FILE: callers would "
                "not be authenticated (listen on loopback or unix: only, or give --clients)");
        return SERVE_EXIT_USAGE;
    }
    if (gw_auth_init(o, why, sizeof(why)) != 0) {
        gw_logf("error", "start", "clients file: %s", why);
        return SERVE_EXIT_FAILURE;
    }
    if (o->verbose)
        p11tee_config_set_log(cfg, gw_log_library, NULL);
    p11tee_config_set_turn_end(cfg, gw_job_wake_gathered, NULL);
    p11tee_error_clear(&err);
    if (gw_upstream_start(o, cfg, &err) != 0) {
        gw_logf("error", "start", "%s", err.message);
        return p11tee_status_class_of(err.code) == P11TEE_CLASS_TOKEN ? SERVE_EXIT_TOKEN
                                                                      : SERVE_EXIT_USAGE;
    }
    if (gw_records_start(o, cfg, why, sizeof(why)) != 0) {
        gw_logf("error", "start", "%s", why);
        return SERVE_EXIT_FAILURE;
    }
    if (gw_pool_start((size_t)o->max_streams + 16) != 0 || gw_watch_start() != 0) {
        gw_logf("error", "start", "cannot start the gateway's threads");
        return SERVE_EXIT_FAILURE;
    }
    if (gw_http_start(o, why, sizeof(why)) != 0) {
        gw_logf("error", "start", "%s", why);
        return SERVE_EXIT_FAILURE;
    }
    return -1;
}

static void gw_teardown(void)
{
    gw_http_stop();
    gw_watch_stop();
    gw_pool_stop();
    gw_upstream_stop();
    gw_records_stop();
    gw_auth_free();
}

int serve_run(const serve_options *o, p11tee_config *cfg)
{
    sigset_t set;
    pthread_t warm;
    int rc, sig;

    gw_opts = o;
#ifdef M_ARENA_MAX
    if (getenv("MALLOC_ARENA_MAX") == NULL)
        mallopt(M_ARENA_MAX, GW_MALLOC_ARENAS);
#endif
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread: all inherit it */
    rc = gw_setup(o, cfg);
    if (rc >= 0) {
        gw_teardown();
        return rc;
    }
    sd_notify(0, "READY=1\nSTATUS=attesting");
    if (pthread_create(&warm, NULL, gw_warm_thread, NULL) != 0) {
        gw_teardown();
        return SERVE_EXIT_FAILURE;
    }
    sig = gw_loop(&set);
    gw_logf("info", "stop", "%s: stopping",
            sig == SIGTERM  ? "SIGTERM"
            : sig == SIGINT ? "SIGINT"
                            : "--max-rss");
    gw_drain();
    pthread_join(warm, NULL);
    gw_teardown();
    gw_logf("info", "stop", "stopped");
    rc = atomic_load(&gw_fatal);
    return rc == SERVE_EXIT_OK && sig == 0 ? SERVE_EXIT_RETIRED : rc;
}
