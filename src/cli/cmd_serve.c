/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * p11tee serve: parse the gateway's settings (the same machinery as the
 * global options, options.c) into a serve_options and the library's
 * configuration, then run src/serve.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "serve/serve.h"

enum serve_id {
    S_LISTEN,
    S_METRICS_LISTEN,
    S_TLS_CERT,
    S_TLS_KEY,
    S_CLIENTS,
    S_WARM,
    S_ALLOW_TEE,
    S_MAX_STREAMS,
    S_CLIENT_MAX_STREAMS,
    S_CLIENT_RATE,
    S_CLIENT_BURST,
    S_MAX_BODY,
    S_MAX_MESSAGES,
    S_STREAM_BUFFER,
    S_CLIENT_TIMEOUT,
    S_DRAIN_TIMEOUT,
    S_WORKERS,
    S_THREADS,
    S_SESSION_TTL,
    S_UPSTREAM_CONNECTIONS,
    S_AUDIT_LOG,
    S_COLLATERAL_REFRESH,
    S_MAX_RSS,
    S_COUNT
};

static const cli_opt serve_settings[S_COUNT] = {
    [S_LISTEN] = {"listen", CLI_TEXT, 0, NULL, NULL, "ADDR:PORT",
                  "listen here (repeatable): 127.0.0.1:8788 (default), [::1]:8788, "
                  "unix:/run/p11tee.sock",
                  1},
    [S_METRICS_LISTEN] = {"metrics-listen", CLI_TEXT, 0, NULL, NULL, "ADDR:PORT",
                          "serve /metrics here only (default: on every listener)", 0},
    [S_TLS_CERT] = {"tls-cert", CLI_TEXT, 0, NULL, NULL, "FILE",
                    "TLS on the TCP listeners with this PEM certificate (chain)", 0},
    [S_TLS_KEY] = {"tls-key", CLI_TEXT, 0, NULL, NULL, "FILE", "the PEM key of --tls-cert", 0},
    [S_CLIENTS] = {"clients", CLI_TEXT, 0, NULL, NULL, "FILE",
                   "local API keys, NAME:SHA256-OF-KEY per line (not readable by others; "
                   "reloaded on SIGHUP); required unless every listener is loopback or unix",
                   0},
    [S_WARM] = {"warm", CLI_TEXT, 0, NULL, NULL, "MODEL",
                "attest MODEL at start (repeatable; default: every E2EE model)", 1},
    [S_ALLOW_TEE] = {"allow-tee", CLI_FLAG, 0, NULL, NULL, NULL,
                     "also offer TEE-only models (their prompts are readable by the API layer)", 0},
    [S_MAX_STREAMS] = {"max-streams", CLI_COUNT, 0, NULL, NULL, "N",
                       "chats in flight, all clients together (default 256)", 0},
    [S_CLIENT_MAX_STREAMS] = {"client-max-streams", CLI_COUNT, 0, NULL, NULL, "N",
                              "chats in flight per client (default: --max-streams)", 0},
    [S_CLIENT_RATE] = {"client-rate", CLI_COUNT, 0, NULL, NULL, "R",
                       "requests per second per client (default 0: unlimited)", 0},
    [S_CLIENT_BURST] = {"client-burst", CLI_COUNT, 0, NULL, NULL, "N",
                        "requests a client may make at once above its rate (default: the rate)", 0},
    [S_MAX_BODY] = {"max-body", CLI_COUNT, 0, NULL, NULL, "BYTES",
                    "largest request body (default 4194304)", 0},
    [S_MAX_MESSAGES] = {"max-messages", CLI_COUNT, 0, NULL, NULL, "N",
                        "most messages in one chat request (default 512)", 0},
    [S_STREAM_BUFFER] = {"stream-buffer", CLI_COUNT, 0, NULL, NULL, "BYTES",
                         "bytes kept for a client that reads slowly, and the size of each "
                         "connection's kernel send buffer (default 262144)",
                         0},
    [S_CLIENT_TIMEOUT] = {"client-timeout", CLI_SECONDS, 0, NULL, NULL, "S",
                          "a client that reads nothing for S seconds while its buffer is full "
                          "is cut; an idle connection is closed after 2 S (default 30)",
                          0},
    [S_DRAIN_TIMEOUT] = {"drain-timeout", CLI_SECONDS, 0, NULL, NULL, "S",
                         "on SIGTERM, streams in flight may go on for S seconds (default 30)", 0},
    [S_WORKERS] = {"workers", CLI_COUNT, 0, NULL, "token-workers", "N",
                   "threads that read the upstream streams and use the token, each for its "
                   "share of the streams (default: the number of CPUs)",
                   0},
    [S_THREADS] = {"threads", CLI_COUNT, 0, NULL, NULL, "N",
                   "HTTP threads per listener (default 2)", 0},
    [S_SESSION_TTL] = {"session-ttl", CLI_COUNT, 0, NULL, "session-ttl-s", "S",
                       "attest a model again after S seconds (default 600)", 0},
    [S_UPSTREAM_CONNECTIONS] = {"upstream-connections", CLI_COUNT, 0, NULL, "connections", "N",
                                "idle connections to the upstream kept for reuse (default 64)", 0},
    [S_AUDIT_LOG] = {"audit-log", CLI_TEXT, 0, NULL, NULL, "FILE",
                     "append a hash-chained line per attestation and per chat to FILE "
                     "(ids and hashes only; p11tee audit verify FILE checks it)",
                     0},
    [S_COLLATERAL_REFRESH] = {"collateral-refresh", CLI_COUNT, 0, NULL, NULL, "S",
                              "fetch the cached collateral again S seconds before its next "
                              "update (default 172800, two days; at most 2592000; 0: never)",
                              0},
    [S_MAX_RSS] = {"max-rss", CLI_COUNT, 0, NULL, NULL, "MIB",
                   "once resident memory passes MIB mebibytes, stop accepting, drain and exit "
                   "75 for the supervisor to restart (default 0: never)",
                   0},
};

static void serve_help(FILE *out)
{
    fputs("Usage: p11tee serve [options]\n"
          "An OpenAI-compatible gateway: point an application's OpenAI SDK at\n"
          "http://127.0.0.1:8788/v1 and every request is attested, end-to-end encrypted\n"
          "and decrypted in the token. SIGHUP reloads the clients file and the policy;\n"
          "SIGTERM drains and exits 0. Logs are JSON lines on stderr.\n",
          out);
    cli_settings_help(out, serve_settings, S_COUNT);
    fputs("See p11tee-serve(1).\n", out);
}

static int serve_number(const cli_values *v, size_t i, double max, double *out)
{
    const char *value = cli_value(serve_settings, v, i);

    return value == NULL ? 0 : cli_parse_number(serve_settings[i].name, value, max, out);
}

static int serve_long(const cli_values *v, size_t i, long min, long max, long *out)
{
    double d = (double)*out;

    if (serve_number(v, i, (double)max, &d) != 0)
        return -1;
    if (d < (double)min || d != (double)(long)d) {
        cli_error("--%s wants a whole number from %ld to %ld", serve_settings[i].name, min, max);
        return -1;
    }
    *out = (long)d;
    return 0;
}

static int serve_seconds(const cli_values *v, size_t i, long *ms)
{
    const char *value = cli_value(serve_settings, v, i);

    return value == NULL ? 0 : cli_parse_seconds(serve_settings[i].name, value, ms);
}

/* The command line into `o`; 0, or -1 after a usage error. */
static int serve_options_from(const cli_values *v, serve_options *o)
{
    long body = (long)o->max_body, msgs = (long)o->max_messages, buf = (long)o->stream_buffer;
    size_t i;

    for (i = 0; i < v->n[S_LISTEN] && i < SERVE_LISTEN_MAX; i++)
        o->listen[o->n_listen++] = v->v[S_LISTEN][i];
    for (i = 0; i < v->n[S_WARM] && i < SERVE_WARM_MAX; i++)
        o->warm[o->n_warm++] = v->v[S_WARM][i];
    o->metrics_listen = cli_value(serve_settings, v, S_METRICS_LISTEN);
    o->tls_cert = cli_value(serve_settings, v, S_TLS_CERT);
    o->tls_key = cli_value(serve_settings, v, S_TLS_KEY);
    o->clients_file = cli_value(serve_settings, v, S_CLIENTS);
    o->allow_tee = v->n[S_ALLOW_TEE] > 0;
    if (v->n[S_LISTEN] > SERVE_LISTEN_MAX || v->n[S_WARM] > SERVE_WARM_MAX) {
        cli_error("at most %d --listen and %d --warm", SERVE_LISTEN_MAX, SERVE_WARM_MAX);
        return -1;
    }
    if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
        cli_error("--tls-cert and --tls-key go together");
        return -1;
    }
    if (serve_long(v, S_MAX_STREAMS, 1, 65536, &o->max_streams) != 0 ||
        serve_long(v, S_CLIENT_MAX_STREAMS, 0, 65536, &o->client_max_streams) != 0 ||
        serve_number(v, S_CLIENT_RATE, 1e6, &o->client_rate) != 0 ||
        serve_long(v, S_CLIENT_BURST, 0, 1000000, &o->client_burst) != 0 ||
        serve_long(v, S_MAX_BODY, 1024, 64L * 1024 * 1024, &body) != 0 ||
        serve_long(v, S_MAX_MESSAGES, 1, 100000, &msgs) != 0 ||
        serve_long(v, S_STREAM_BUFFER, 4096, 64L * 1024 * 1024, &buf) != 0 ||
        serve_long(v, S_THREADS, 1, 64, &o->threads) != 0 ||
        serve_seconds(v, S_CLIENT_TIMEOUT, &o->client_timeout_ms) != 0 ||
        serve_seconds(v, S_DRAIN_TIMEOUT, &o->drain_timeout_ms) != 0 ||
        serve_long(v, S_COLLATERAL_REFRESH, 0, 30L * 86400, &o->collateral_refresh_s) != 0 ||
        serve_long(v, S_MAX_RSS, 0, 16L * 1024 * 1024, &o->max_rss_mib) != 0)
        return -1;
    o->audit_log = cli_value(serve_settings, v, S_AUDIT_LOG);
    o->max_body = (size_t)body;
    o->max_messages = (size_t)msgs;
    o->stream_buffer = (size_t)buf;
    if (o->client_timeout_ms < 1000) {
        cli_error("--client-timeout must be at least 1 second");
        return -1;
    }
    return 0;
}

/*
 * The library options serve implies: E2EE only unless TEE is allowed; as many
 * stream threads as token workers, so that each reads its share of the
 * upstream streams and opens their fields without waiting for another.
 */
static int serve_config(p11tee_config *cfg, const cli_values *v, int allow_tee)
{
    char cpus[24], streams[24];
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    const char *workers;
    p11tee_error err;
    int rc;

    p11tee_error_clear(&err);
    snprintf(cpus, sizeof(cpus), "%ld", n > 0 ? n : 1);
    rc = p11tee_config_set(cfg, "token-workers", cpus, &err);
    if (rc == P11TEE_OK)
        rc = p11tee_config_set(cfg, "connections", "64", &err);
    if (rc == P11TEE_OK)
        rc = cli_config_apply(cfg, serve_settings, S_COUNT, v, &err);
    if (rc == P11TEE_OK) {
        workers = cli_value(serve_settings, v, S_WORKERS);
        n = workers != NULL ? strtol(workers, NULL, 10) : n;
        snprintf(streams, sizeof(streams), "%ld",
                 n < 1                           ? 1
                 : n > P11TEE_STREAM_THREADS_MAX ? P11TEE_STREAM_THREADS_MAX
                                                 : n);
        rc = p11tee_config_set(cfg, "stream-threads", streams, &err);
    }
    if (rc == P11TEE_OK && !allow_tee)
        rc = p11tee_config_set(cfg, "require-e2ee", "1", &err);
    if (rc > 0)
        cli_fail(&err);
    return rc != P11TEE_OK ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}

int cmd_serve(cli_global *g, int argc, char **argv)
{
    static cli_values v; /* large; serve runs once per process */
    struct option own[S_COUNT + 1], opts[CLI_OPTIONS_MAX];
    serve_options o;
    p11tee_config *cfg;
    int opt, r, rc = CLI_EXIT_OK;

    memset(&v, 0, sizeof(v));
    memset(own, 0, sizeof(own));
    cli_settings_getopt(serve_settings, S_COUNT, CLI_OPT_OWN, own, S_COUNT);
    cli_options(own, opts);
    while ((opt = getopt_long(argc, argv, CLI_GLOBAL_SHORT, opts, NULL)) != -1) {
        r = cli_settings_take(serve_settings, S_COUNT, CLI_OPT_OWN, &v, opt, optarg);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (opt == 'h') {
            serve_help(stdout);
            return CLI_EXIT_OK;
        }
        r = cli_global_option(g, opt, optarg);
        if (r <= 0) {
            if (r == 0)
                serve_help(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    serve_options_init(&o);
    if (optind != argc) {
        serve_help(stderr);
        return CLI_EXIT_USAGE;
    }
    if (serve_options_from(&v, &o) != 0)
        return CLI_EXIT_USAGE;
    o.verbose = g->verbose > 0;
    cfg = cli_config(g, &rc);
    if (cfg == NULL)
        return rc;
    rc = serve_config(cfg, &v, o.allow_tee);
    if (rc == CLI_EXIT_OK)
        rc = serve_run(&o, cfg);
    p11tee_config_free(cfg);
    return rc;
}
