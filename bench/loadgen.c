/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * A load generator for p11tee serve (make bench, bench/serve.sh): N streams
 * of OpenAI chat requests kept in flight on one libcurl multi handle for a
 * fixed time; each finished stream is replaced at once. The SSE is parsed
 * as it arrives: every content chunk is counted and, with --records, its
 * stream id, index and arrival time (CLOCK_MONOTONIC ns) are written, so
 * that they can be matched with the reference server's --bench-log.
 *
 *   loadgen URL STREAMS SECONDS BODY-FILE [--key KEY] [--records FILE]
 *           [--requests N]   stop after N requests (one stream: sequential)
 *           [--ramp MS]      start the streams evenly over MS ms, not all at once
 *                            (streams paced by the server stay out of step)
 *
 * Prints one line of JSON: requests, errors, chunks, chunks_per_s, ttft
 * percentiles (ms), the generator's own CPU seconds.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <curl/curl.h>

#define LINE_MAX_BYTES 65536
#define TTFT_MAX       1000000

typedef struct stream {
    CURL *h;
    char line[LINE_MAX_BYTES];
    size_t len;
    char id[128];
    long index; /* content chunks so far */
    int done, failed;
    uint64_t start_ns;
} stream;

static struct {
    const char *url, *key, *body;
    size_t body_len;
    struct curl_slist *headers;
    FILE *records;
    long requests, errors, chunks, max_requests;
    long ramp_ms;
    double ttft[TTFT_MAX];
    size_t n_ttft;
    uint64_t end_ns;
} g;

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One SSE line: a content chunk, [DONE], or an error event. */
static void on_line(stream *s, const char *line, size_t len)
{
    const char *p;
    uint64_t t;

    if (len < 6 || memcmp(line, "data: ", 6) != 0)
        return;
    line += 6;
    len -= 6;
    if (len == 6 && memcmp(line, "[DONE]", 6) == 0) {
        s->done = 1;
        return;
    }
    if (strstr(line, "\"error\":") != NULL && strstr(line, "\"choices\"") == NULL) {
        s->failed = 1;
        return;
    }
    if (s->id[0] == '\0' && (p = strstr(line, "\"id\":\"")) != NULL)
        snprintf(s->id, sizeof(s->id), "%.*s", (int)strcspn(p + 6, "\""), p + 6);
    if (strstr(line, "\"delta\":{\"content\":") == NULL)
        return; /* the role chunk, the last chunk, usage */
    t = now_ns();
    if (s->index == 0 && g.n_ttft < TTFT_MAX)
        g.ttft[g.n_ttft++] = (double)(t - s->start_ns) / 1e6;
    if (t <= g.end_ns)
        g.chunks++;
    if (g.records != NULL)
        fprintf(g.records, "%s %ld %llu\n", s->id, s->index, (unsigned long long)t);
    s->index++;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    stream *s = ud;
    size_t i, total = size * n;

    for (i = 0; i < total; i++) {
        if (data[i] == '\n') {
            on_line(s, s->line, s->len);
            s->len = 0;
        } else if (s->len < sizeof(s->line) - 1) {
            s->line[s->len++] = data[i];
        }
    }
    return total;
}

static void start(CURLM *m, stream *s)
{
    s->h = curl_easy_init();
    s->len = 0;
    s->id[0] = '\0';
    s->index = 0;
    s->done = s->failed = 0;
    s->start_ns = now_ns();
    curl_easy_setopt(s->h, CURLOPT_URL, g.url);
    curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, g.headers);
    curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, g.body);
    curl_easy_setopt(s->h, CURLOPT_POSTFIELDSIZE, (long)g.body_len);
    curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(s->h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
    curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
    curl_multi_add_handle(m, s->h);
    g.requests++;
}

static void finish(CURLM *m, CURLMsg *msg)
{
    stream *s = NULL;
    long status = 0;

    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
    curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
    if (msg->data.result != CURLE_OK || status != 200 || !s->done || s->failed)
        g.errors++;
    curl_multi_remove_handle(m, s->h);
    curl_easy_cleanup(s->h);
    s->h = NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double pct(double p)
{
    size_t i;

    if (g.n_ttft == 0)
        return 0;
    i = (size_t)(p * (double)(g.n_ttft - 1) + 0.5);
    return g.ttft[i];
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p = malloc(1 << 20);

    if (f == NULL || p == NULL) {
        fprintf(stderr, "loadgen: cannot read %s\n", path);
        exit(2);
    }
    *len = fread(p, 1, (1 << 20) - 1, f);
    p[*len] = '\0';
    fclose(f);
    return p;
}

static int more(void)
{
    return now_ns() < g.end_ns && (g.max_requests == 0 || g.requests < g.max_requests);
}

/* How long to poll: until the next stream of the ramp is due, at most 50 ms. */
static int next_wait_ms(uint64_t t0, long started, long n)
{
    uint64_t due, now = now_ns();

    if (started >= n)
        return 50;
    due = t0 + (uint64_t)g.ramp_ms * 1000000u * (uint64_t)started / (uint64_t)n;
    return due <= now ? 0 : due - now >= 50000000u ? 50 : (int)((due - now) / 1000000u);
}

/* Streams until the time is up (those still open then are dropped, not counted as errors). */
static void run(CURLM *m, stream *st, long n, double seconds)
{
    int running = 1, left;
    long i, active = 0;
    CURLMsg *msg;
    uint64_t t0 = now_ns();
    long started = 0;

    g.end_ns = t0 + (uint64_t)(seconds * 1e9);
    while ((active > 0 || started < n) && now_ns() < g.end_ns) {
        /* The next not yet started stream, when its turn in the ramp has come. */
        while (started < n && more() &&
               now_ns() >= t0 + (uint64_t)g.ramp_ms * 1000000u * (uint64_t)started / (uint64_t)n) {
            start(m, &st[started++]);
            active++;
        }
        if (started < n && !more())
            started = n;
        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            stream *s = NULL;

            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            finish(m, msg);
            active--;
            if (more()) {
                start(m, s);
                active++;
            }
        }
        curl_multi_poll(m, NULL, 0, next_wait_ms(t0, started, n), NULL);
    }
    for (i = 0; i < n; i++)
        if (st[i].h != NULL) {
            curl_multi_remove_handle(m, st[i].h);
            curl_easy_cleanup(st[i].h);
            st[i].h = NULL;
        }
}

int main(int argc, char **argv)
{
    char auth[512];
    struct rusage ru;
    stream *st;
    CURLM *m;
    long n, i;
    double seconds;

    if (argc < 5) {
        fprintf(stderr, "usage: loadgen URL STREAMS SECONDS BODY-FILE [--key KEY] [--records FILE] "
                        "[--requests N]\n");
        return 2;
    }
    g.url = argv[1];
    n = atol(argv[2]);
    seconds = atof(argv[3]);
    g.body = read_all(argv[4], &g.body_len);
    for (i = 5; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--key") == 0)
            g.key = argv[i + 1];
        else if (strcmp(argv[i], "--records") == 0)
            g.records = fopen(argv[i + 1], "w");
        else if (strcmp(argv[i], "--requests") == 0)
            g.max_requests = atol(argv[i + 1]);
        else if (strcmp(argv[i], "--ramp") == 0)
            g.ramp_ms = atol(argv[i + 1]);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    g.headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (g.key != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", g.key);
        g.headers = curl_slist_append(g.headers, auth);
    }
    st = calloc((size_t)n, sizeof(*st));
    m = curl_multi_init();
    run(m, st, n, seconds);
    qsort(g.ttft, g.n_ttft, sizeof(g.ttft[0]), cmp);
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"streams\":%ld,\"seconds\":%.3f,\"requests\":%ld,\"errors\":%ld,\"chunks\":%ld,"
           "\"chunks_per_s\":%.1f,\"ttft_p50_ms\":%.3f,\"ttft_p99_ms\":%.3f,\"cpu_s\":%.3f}\n",
           n, seconds, g.requests, g.errors, g.chunks, (double)g.chunks / seconds, pct(0.5),
           pct(0.99),
           (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
    if (g.records != NULL)
        fclose(g.records);
    curl_multi_cleanup(m);
    free(st);
    curl_slist_free_all(g.headers);
    free((char *)g.body);
    curl_global_cleanup();
    return 0;
}
