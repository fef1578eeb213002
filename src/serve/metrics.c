/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Metrics in the Prometheus text format (version 0.0.4): counters and
 * histograms kept in atomics, so that recording one costs no lock. No label
 * carries a caller's name, a model's text or anything a request chose
 * freely: label values come from fixed lists.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "serve/gateway.h"

static const char *const gw_route_names[GW_R_COUNT] = {
    "chat", "models", "attestation", "healthz", "readyz", "metrics", "other"};

static const unsigned gw_statuses[] = {200, 400, 401, 403, 404, 405, 413,
                                       429, 499, 500, 502, 503, 504, 0};
#define GW_NSTATUS (sizeof(gw_statuses) / sizeof(gw_statuses[0])) /* the last: any other */

static const char *const gw_counter_names[GW_C_COUNT][2] = {
    {"p11tee_serve_decrypt_failures_total",
     "Streamed fields that did not open or arrived in clear inside an E2EE stream."},
    {"p11tee_serve_client_disconnects_total", "Callers who hung up before their answer ended."},
    {"p11tee_serve_slow_client_cuts_total",
     "Streams cut because the caller did not read them in time."},
    {"p11tee_serve_rate_limited_total", "Requests refused by a per-client limit."},
    {"p11tee_serve_auth_failures_total", "Requests without a valid client key."},
    {"p11tee_serve_upstream_errors_total", "Requests that failed upstream or in the token."},
    {"p11tee_serve_reloads_total", "SIGHUP reloads of the clients file and the policy."},
};

/* Seconds; the +Inf bucket is implicit. */
static const double gw_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                   0.01,   0.025,   0.05,   0.1,   0.25,   1.0};
#define GW_NBOUNDS (sizeof(gw_bounds) / sizeof(gw_bounds[0]))

typedef struct gw_hist {
    atomic_ullong bucket[GW_NBOUNDS + 1];
    atomic_ullong sum_ns;
} gw_hist;

static struct {
    atomic_ullong requests[GW_R_COUNT][GW_NSTATUS];
    atomic_llong streams;
    atomic_ullong attest[2]; /* failed, passed */
    atomic_ullong counters[GW_C_COUNT];
    gw_hist derive, seal, chunk;
} m;

static void gw_hist_add(gw_hist *h, uint64_t ns)
{
    double s = (double)ns / 1e9;
    size_t i = 0;

    while (i < GW_NBOUNDS && s > gw_bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_ns, ns, memory_order_relaxed);
}

void gw_metrics_request(gw_route r, unsigned status)
{
    size_t i = 0;

    while (i < GW_NSTATUS - 1 && gw_statuses[i] != status)
        i++;
    atomic_fetch_add_explicit(&m.requests[r][i], 1, memory_order_relaxed);
}

void gw_metrics_streams(int delta)
{
    atomic_fetch_add(&m.streams, delta);
}

void gw_metrics_attestation(int passed)
{
    atomic_fetch_add(&m.attest[passed ? 1 : 0], 1);
}

void gw_metrics_token(p11tee_token_op op, uint64_t ns)
{
    gw_hist_add(op == P11TEE_TOKEN_OPEN ? &m.derive : &m.seal, ns);
}

void gw_metrics_chunk(uint64_t latency_ns)
{
    gw_hist_add(&m.chunk, latency_ns);
}

void gw_metrics_count(gw_counter c)
{
    atomic_fetch_add_explicit(&m.counters[c], 1, memory_order_relaxed);
}

static void gw_render_hist(gw_buf *out, const char *name, const char *help, gw_hist *h)
{
    unsigned long long cum = 0;
    size_t i;

    gw_buf_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    for (i = 0; i < GW_NBOUNDS; i++) {
        cum += atomic_load(&h->bucket[i]);
        gw_buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, gw_bounds[i], cum);
    }
    cum += atomic_load(&h->bucket[GW_NBOUNDS]);
    gw_buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n", name, cum);
    gw_buf_printf(out, "%s_sum %.9f\n%s_count %llu\n", name, (double)atomic_load(&h->sum_ns) / 1e9,
                  name, cum);
}

static void gw_render_requests(gw_buf *out)
{
    size_t r, i;

    gw_buf_str(out, "# HELP p11tee_serve_requests_total HTTP requests by endpoint and status.\n"
                    "# TYPE p11tee_serve_requests_total counter\n");
    for (r = 0; r < GW_R_COUNT; r++)
        for (i = 0; i < GW_NSTATUS; i++) {
            unsigned long long n = atomic_load(&m.requests[r][i]);

            if (n == 0)
                continue;
            if (gw_statuses[i] != 0)
                gw_buf_printf(out,
                              "p11tee_serve_requests_total{endpoint=\"%s\",status=\"%u\"} %llu\n",
                              gw_route_names[r], gw_statuses[i], n);
            else
                gw_buf_printf(
                    out, "p11tee_serve_requests_total{endpoint=\"%s\",status=\"other\"} %llu\n",
                    gw_route_names[r], n);
        }
}

long long gw_rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "re");

    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return (long long)resident * (long long)sysconf(_SC_PAGESIZE);
}

/*
 * As Prometheus's process collectors name it. A token module may keep memory
 * for every derive (SoftHSMv2 does, until the process ends): this is what an
 * alert, or --max-rss, watches.
 */
static void gw_render_rss(gw_buf *out)
{
    gw_buf_printf(out,
                  "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                  "# TYPE process_resident_memory_bytes gauge\n"
                  "process_resident_memory_bytes %lld\n",
                  gw_rss_bytes());
}

void gw_metrics_render(gw_buf *out)
{
    size_t i;

    gw_render_requests(out);
    gw_buf_printf(out,
                  "# HELP p11tee_serve_active_streams Chats in flight.\n"
                  "# TYPE p11tee_serve_active_streams gauge\n"
                  "p11tee_serve_active_streams %lld\n",
                  (long long)atomic_load(&m.streams));
    gw_buf_printf(out,
                  "# HELP p11tee_serve_attestations_total Attestations verified, by verdict.\n"
                  "# TYPE p11tee_serve_attestations_total counter\n"
                  "p11tee_serve_attestations_total{verdict=\"pass\"} %llu\n"
                  "p11tee_serve_attestations_total{verdict=\"fail\"} %llu\n",
                  atomic_load(&m.attest[1]), atomic_load(&m.attest[0]));
    gw_buf_printf(out,
                  "# HELP p11tee_serve_ready 1 when the token is logged in and a model "
                  "attested.\n# TYPE p11tee_serve_ready gauge\np11tee_serve_ready %d\n",
                  gw_ready());
    for (i = 0; i < GW_C_COUNT; i++)
        gw_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", gw_counter_names[i][0],
                      gw_counter_names[i][1], gw_counter_names[i][0], gw_counter_names[i][0],
                      atomic_load(&m.counters[i]));
    gw_render_hist(out, "p11tee_serve_token_derive_seconds",
                   "One streamed field opened in the token (one ECDH), once it had its turn.",
                   &m.derive);
    gw_render_hist(out, "p11tee_serve_token_seal_seconds",
                   "A request sealed in the token (a key pair and an ECDH per field).", &m.seal);
    gw_render_hist(out, "p11tee_serve_chunk_latency_seconds",
                   "From a streamed field reaching the gateway to its chunk going to the caller.",
                   &m.chunk);
    gw_render_rss(out);
}
