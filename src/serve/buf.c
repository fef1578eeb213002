/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Growable text and JSON string literals. Everything the gateway writes as
 * JSON by hand goes through gw_buf_json(), so that a decrypted answer, an id
 * or a message from the server cannot break out of its string; OpenAI's
 * error body is built here too.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/gateway.h"

uint64_t gw_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void gw_buf_init(gw_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void gw_buf_free(gw_buf *b)
{
    free(b->p);
    gw_buf_init(b);
}

void gw_buf_reset(gw_buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->p != NULL)
        b->p[0] = '\0';
}

void gw_outq_init(gw_outq *q)
{
    memset(q, 0, sizeof(*q));
}

void gw_outq_free(gw_outq *q)
{
    gw_buf_free(&q->buf);
    gw_outq_init(q);
}

size_t gw_outq_pending(const gw_outq *q)
{
    return q->buf.len - q->pos;
}

void gw_outq_add(gw_outq *q, const void *data, size_t len, uint64_t ready_ns)
{
    gw_buf_add(&q->buf, data, len);
    if (ready_ns != 0 && q->n < GW_OUTQ_MARKS) {
        q->mark[(q->head + q->n) % GW_OUTQ_MARKS].end = q->buf.len;
        q->mark[(q->head + q->n) % GW_OUTQ_MARKS].t = ready_ns;
        q->n++;
    }
}

/* Drop the bytes taken once they are at least half of the buffer; the marks move with them. */
static void gw_outq_compact(gw_outq *q)
{
    size_t keep = q->buf.len - q->pos;
    unsigned i;

    if (q->pos == 0 || q->pos < keep)
        return;
    memmove(q->buf.p, q->buf.p + q->pos, keep);
    q->buf.len = keep;
    q->buf.p[keep] = '\0';
    for (i = 0; i < q->n; i++)
        q->mark[(q->head + i) % GW_OUTQ_MARKS].end -= q->pos;
    q->pos = 0;
}

size_t gw_outq_take(gw_outq *q, char *dst, size_t max, uint64_t now_ns, void (*timed)(uint64_t))
{
    size_t n = gw_outq_pending(q);

    n = n < max ? n : max;
    if (n == 0)
        return 0;
    memcpy(dst, q->buf.p + q->pos, n);
    q->pos += n;
    while (q->n > 0 && q->mark[q->head].end <= q->pos) {
        timed(now_ns - q->mark[q->head].t);
        q->head = (q->head + 1) % GW_OUTQ_MARKS;
        q->n--;
    }
    gw_outq_compact(q);
    return n;
}

static int gw_buf_room(gw_buf *b, size_t more)
{
    size_t cap;
    char *p;

    if (b->failed)
        return 0;
    if (b->len + more + 1 <= b->cap)
        return 1;
    cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    p = realloc(b->p, cap);
    if (p == NULL) {
        b->failed = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

void gw_buf_add(gw_buf *b, const void *data, size_t len)
{
    if (!gw_buf_room(b, len))
        return;
    memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
}

void gw_buf_str(gw_buf *b, const char *s)
{
    gw_buf_add(b, s, strlen(s));
}

void gw_buf_printf(gw_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !gw_buf_room(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void gw_buf_json(gw_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, run = 0;

    /* Worst case every byte becomes \u00XX. */
    if (!gw_buf_room(b, 6 * len + 2))
        return;
    b->p[b->len++] = '"';
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char *o = b->p + b->len;

        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        memcpy(o, s + i - run, run);
        o += run;
        run = 0;
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
        b->len = (size_t)(o - b->p);
    }
    memcpy(b->p + b->len, s + len - run, run);
    b->len += run;
    b->p[b->len++] = '"';
    b->p[b->len] = '\0';
}

void gw_buf_json_text(gw_buf *b, const char *s, size_t len)
{
    p11tee_text_filter f;
    char *tmp = malloc(3 * len + 16);
    size_t n;

    if (tmp == NULL) {
        b->failed = 1;
        return;
    }
    p11tee_text_filter_init(&f, P11TEE_TEXT_KEEP_CONTROLS);
    n = p11tee_text_filter_run(&f, s, len, tmp);
    n += p11tee_text_filter_finish(&f, tmp + n);
    gw_buf_json(b, tmp, n);
    free(tmp);
}

void gw_error_body(gw_buf *out, const char *message, const char *type, const char *param,
                   const char *code)
{
    gw_buf_str(out, "{\"error\":{\"message\":");
    gw_buf_json_text(out, message, strlen(message));
    gw_buf_str(out, ",\"type\":");
    gw_buf_json(out, type, strlen(type));
    gw_buf_str(out, ",\"param\":");
    if (param != NULL)
        gw_buf_json_text(out, param, strlen(param));
    else
        gw_buf_str(out, "null");
    gw_buf_str(out, ",\"code\":");
    gw_buf_json(out, code, strlen(code));
    gw_buf_str(out, "}}");
}
