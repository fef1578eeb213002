/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The SSE parser (src/net/sse.c). Oracle: split invariance. The stream is
 * fed whole, byte by byte and in pieces cut where the input says; every
 * way must deliver the same events, end with the same status and message,
 * and stop at the same offset. Small bounds make the limits reachable.
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "net/net.h"

#define SSE_FUZZ_LINE    512
#define SSE_FUZZ_EVENT   2048
#define SSE_FUZZ_CUTS    64
#define SSE_BYTEWISE_MAX 8192

typedef struct sse_run {
    bytebuf events; /* type US id US data RS, per event */
    p11tee_status feed_rc, finish_rc;
    uint64_t offset;
    p11tee_error err;
} sse_run;

static p11tee_status sse_fuzz_event(void *ctx, const sse_event *ev, p11tee_error *err)
{
    sse_run *r = ctx;

    FUZZ_CHECK(ev->data[ev->data_len] == '\0', "event data is not NUL-terminated");
    if (bytebuf_append(&r->events, ev->type, ev->type_len) != P11TEE_OK ||
        bytebuf_append(&r->events, "\x1f", 1) != P11TEE_OK ||
        bytebuf_append(&r->events, ev->id, ev->id_len) != P11TEE_OK ||
        bytebuf_append(&r->events, "\x1f", 1) != P11TEE_OK ||
        bytebuf_append(&r->events, ev->data, ev->data_len) != P11TEE_OK ||
        bytebuf_append(&r->events, "\x1e", 1) != P11TEE_OK)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    /* A [DONE] marker stops the stream the way the chat pipeline would not: test both paths. */
    if (sse_is_done(ev) && ev->id_len == 4 && memcmp(ev->id, "stop", 4) == 0)
        return err_set(err, P11TEE_E_E2EE_PLAINTEXT, "stopped by the callback");
    return P11TEE_OK;
}

/* Feed `data` cut at `cuts` (increasing offsets), then finish. */
static void sse_fuzz_run(sse_run *r, size_t max_line, size_t max_event, const uint8_t *data,
                         size_t size, const size_t *cuts, size_t ncuts)
{
    sse_parser p;
    size_t i, from = 0, to;

    memset(r, 0, sizeof(*r));
    bytebuf_init(&r->events, 64u * 1024 * 1024);
    sse_init(&p, max_line, max_event, sse_fuzz_event, r);
    for (i = 0; i <= ncuts && r->feed_rc == P11TEE_OK; i++) {
        to = i < ncuts ? cuts[i] : size;
        r->feed_rc = sse_feed(&p, data + from, to - from, &r->err);
        from = to;
    }
    if (r->feed_rc == P11TEE_OK)
        r->finish_rc = sse_finish(&p, &r->err);
    else
        FUZZ_CHECK(sse_feed(&p, "x", 1, NULL) == r->feed_rc, "an SSE error is not sticky");
    r->offset = sse_offset(&p);
    sse_free(&p);
}

static void sse_fuzz_same(const sse_run *a, const sse_run *b, const char *how)
{
    FUZZ_CHECK(a->feed_rc == b->feed_rc && a->finish_rc == b->finish_rc,
               "fed %s the stream ends with %d/%d, fed whole with %d/%d", how, b->feed_rc,
               b->finish_rc, a->feed_rc, a->finish_rc);
    FUZZ_CHECK(
        a->events.len == b->events.len &&
            (a->events.len == 0 || memcmp(a->events.data, b->events.data, a->events.len) == 0),
        "fed %s the stream gives other events", how);
    FUZZ_CHECK(a->feed_rc == P11TEE_OK || a->offset == b->offset,
               "fed %s the stream fails at byte %llu, fed whole at %llu", how,
               (unsigned long long)b->offset, (unsigned long long)a->offset);
    FUZZ_CHECK(strcmp(a->err.message, b->err.message) == 0,
               "fed %s the message is \"%s\", fed whole \"%s\"", how, b->err.message,
               a->err.message);
}

static void sse_fuzz_limits(const uint8_t *data, size_t size, size_t max_line, size_t max_event)
{
    size_t cuts[SSE_FUZZ_CUTS], bytes[SSE_BYTEWISE_MAX], n, i;
    sse_run whole, split;

    sse_fuzz_run(&whole, max_line, max_event, data, size, NULL, 0);
    n = fuzz_cuts(data, size, cuts, SSE_FUZZ_CUTS);
    sse_fuzz_run(&split, max_line, max_event, data, size, cuts, n);
    sse_fuzz_same(&whole, &split, "in pieces");
    bytebuf_free(&split.events);
    if (size > 1 && size <= SSE_BYTEWISE_MAX) {
        for (i = 0; i + 1 < size; i++)
            bytes[i] = i + 1;
        sse_fuzz_run(&split, max_line, max_event, data, size, bytes, size - 1);
        sse_fuzz_same(&whole, &split, "byte by byte");
        bytebuf_free(&split.events);
    }
    bytebuf_free(&whole.events);
}

static int sse_fuzz_one(const uint8_t *data, size_t size)
{
    sse_fuzz_limits(data, size, SSE_FUZZ_LINE, SSE_FUZZ_EVENT);
    sse_fuzz_limits(data, size, 0, 0);
    return 0;
}

static const fuzz_seed sse_seeds[] = {
    FUZZ_SEED("data: hello\n\n"),
    FUZZ_SEED("\xef\xbb\xbf"
              "data: bom\r\n\r\n"),
    FUZZ_SEED("event: chunk\nid: 7\ndata: a\ndata: b\n\n: comment\n\nretry: 5\ndata\n\n"),
    FUZZ_SEED("data: a\r\rdata: b\r\n\r\ndata: c\n\r"),
    FUZZ_SEED("id: stop\ndata: [DONE]\n\ndata: after\n\n"),
    FUZZ_SEED("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n"),
    FUZZ_SEED("data: cut in the middle"),
    FUZZ_SEED("id: x\0y\ndata: nul\n\n"),
};

FUZZ_REGISTER(sse, sse_fuzz_one, sse_seeds)
