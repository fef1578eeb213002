/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Structured logs: one JSON object per line on stderr, written with a single
 * write() so that lines from different threads never interleave. What goes
 * in is decided by the callers: ids, names, numbers, statuses and the
 * library's one-line messages (which never carry the API key or the PIN),
 * never a prompt or an answer.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "serve/gateway.h"

static void gw_log_write(const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

void gw_log(const char *level, const char *event, const char *members)
{
    struct timespec ts;
    struct tm tm;
    char when[40];
    gw_buf line;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    gw_buf_init(&line);
    gw_buf_printf(&line, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"event\":\"%s\"%s}\n", when,
                  ts.tv_nsec / 1000000, level, event, members != NULL ? members : "");
    if (!line.failed)
        gw_log_write(line.p, line.len);
    gw_buf_free(&line);
}

void gw_logf(const char *level, const char *event, const char *fmt, ...)
{
    char msg[1024];
    gw_buf m;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    gw_buf_init(&m);
    gw_buf_str(&m, ",\"message\":");
    gw_buf_json_text(&m, msg, strlen(msg));
    gw_log(level, event, m.failed ? "" : m.p);
    gw_buf_free(&m);
}

void gw_log_library(void *userdata, const char *line)
{
    (void)userdata;
    gw_logf("debug", "library", "%s", line);
}
