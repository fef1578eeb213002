/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The SSE parser: a table of event streams, each fed whole, at every single
 * split point, byte by byte and in seeded random chunks. Every way of
 * feeding must give exactly the expected events, the same final status and,
 * for the bounds, the same offending byte.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "testlib.h"

/* Expected events, serialised as type US id US data RS. */
#define EV(type, id, data) type "\x1f" id "\x1f" data "\x1e"
#define STOP_CODE          P11TEE_E_E2EE_PLAINTEXT

typedef struct sse_case {
    const char *name;
    const char *stream;
    size_t len; /* 0: strlen(stream) */
    size_t max_line, max_event;
    const char *events;
    p11tee_status feed_rc;   /* first error of feeding, or P11TEE_OK */
    uint64_t fail_at;        /* with feed_rc: offset of the offending byte */
    p11tee_status finish_rc; /* without feed_rc: what sse_finish says */
    int stop_after;          /* >0: the callback fails on that event */
} sse_case;

static const sse_case cases[] = {
    {"plain", "data: hello\n\n", 0, 0, 0, EV("message", "", "hello"), 0, 0, 0, 0},
    {"no space after colon", "data:hello\n\n", 0, 0, 0, EV("message", "", "hello"), 0, 0, 0, 0},
    {"only one space is removed", "data:  two\n\n", 0, 0, 0, EV("message", "", " two"), 0, 0, 0, 0},
    {"multi-line data", "data: a\ndata: b\ndata:\n\n", 0, 0, 0, EV("message", "", "a\nb\n"), 0, 0,
     0, 0},
    {"event and id", "event: chunk\nid: 7\ndata: x\n\n", 0, 0, 0, EV("chunk", "7", "x"), 0, 0, 0,
     0},
    {"id persists, type resets", "id: 1\nevent: e\ndata: a\n\ndata: b\n\n", 0, 0, 0,
     EV("e", "1", "a") EV("message", "1", "b"), 0, 0, 0, 0},
    {"empty id resets it", "id: 1\ndata: a\n\nid\ndata: b\n\n", 0, 0, 0,
     EV("message", "1", "a") EV("message", "", "b"), 0, 0, 0, 0},
    {"id with NUL is ignored", "id: 5\ndata: a\n\nid: x\0y\ndata: b\n\n", 32, 0, 0,
     EV("message", "5", "a") EV("message", "5", "b"), 0, 0, 0, 0},
    {"CRLF", "data: a\r\n\r\ndata: b\r\n\r\n", 0, 0, 0,
     EV("message", "", "a") EV("message", "", "b"), 0, 0, 0, 0},
    {"lone CR", "data: a\r\rdata: b\r\r", 0, 0, 0, EV("message", "", "a") EV("message", "", "b"), 0,
     0, 0, 0},
    {"mixed line ends", "data: a\r\ndata: b\rdata: c\n\n", 0, 0, 0, EV("message", "", "a\nb\nc"), 0,
     0, 0, 0},
    {"LF then CR is two line ends", "data: a\n\r", 0, 0, 0, EV("message", "", "a"), 0, 0, 0, 0},
    {"CR CR LF", "data: a\r\r\ndata: b\n\n", 0, 0, 0, EV("message", "", "a") EV("message", "", "b"),
     0, 0, 0, 0},
    {"comments", ": keepalive\n:\ndata: x\n: between\n\n: ping\n\n", 0, 0, 0,
     EV("message", "", "x"), 0, 0, 0, 0},
    {"field without colon", "data\n\ndata\ndata\n\n", 0, 0, 0,
     EV("message", "", "") EV("message", "", "\n"), 0, 0, 0, 0},
    {"colons inside the value", "data: a:b: c\n\n", 0, 0, 0, EV("message", "", "a:b: c"), 0, 0, 0,
     0},
    {"retry and unknown fields ignored", "retry: 1000\nfoo: bar\nDATA: no\ndata: x\n\n", 0, 0, 0,
     EV("message", "", "x"), 0, 0, 0, 0},
    {"event without data is not dispatched", "event: ping\n\ndata: y\n\n", 0, 0, 0,
     EV("message", "", "y"), 0, 0, 0, 0},
    {"leading BOM",
     "\xef\xbb\xbf"
     "data: x\n\n",
     0, 0, 0, EV("message", "", "x"), 0, 0, 0, 0},
    {"only the first BOM is stripped",
     "\xef\xbb\xbf\xef\xbb\xbf"
     "data: x\n\ndata: y\n\n",
     0, 0, 0, EV("message", "", "y"), 0, 0, 0, 0},
    {"half a BOM is text",
     "\xef\xbb"
     "data: x\n\ndata: y\n\n",
     0, 0, 0, EV("message", "", "y"), 0, 0, 0, 0},
    {"BOM only", "\xef\xbb\xbf", 0, 0, 0, "", 0, 0, 0, 0},
    {"empty stream", "", 0, 0, 0, "", 0, 0, 0, 0},
    {"OpenAI stream with [DONE]", "data: {\"a\":1}\n\ndata: [DONE]\n\n", 0, 0, 0,
     EV("message", "", "{\"a\":1}") EV("message", "", "[DONE]"), 0, 0, 0, 0},
    /* Streams that end in the middle of an event. */
    {"ends after a field line", "data: x\n", 0, 0, 0, "", 0, 0, P11TEE_E_STREAM_INCOMPLETE, 0},
    {"ends inside a line", "data: x\n\ndata: y", 0, 0, 0, EV("message", "", "x"), 0, 0,
     P11TEE_E_STREAM_INCOMPLETE, 0},
    {"ends after event:", "event: e\n", 0, 0, 0, "", 0, 0, P11TEE_E_STREAM_INCOMPLETE, 0},
    {"ends inside a BOM", "\xef\xbb", 0, 0, 0, "", 0, 0, P11TEE_E_STREAM_INCOMPLETE, 0},
    {"ends after a comment", ": bye\n", 0, 0, 0, "", 0, 0, 0, 0},
    {"ends after CR", "data: x\r\r", 0, 0, 0, EV("message", "", "x"), 0, 0, 0, 0},
    /* Bounds: a line of exactly max_line bytes passes, one more byte fails there. */
    {"line at the limit", "data: 12\r\n\n", 0, 8, 0, EV("message", "", "12"), 0, 0, 0, 0},
    {"line over the limit", "data: a\n\ndata: 123456\n\n", 0, 8, 0, EV("message", "", "a"),
     P11TEE_E_SSE_LINE_TOO_LONG, 17, 0, 0},
    {"comment over the limit", ": 1234567\n", 0, 8, 0, "", P11TEE_E_SSE_LINE_TOO_LONG, 8, 0, 0},
    {"half BOM then long line",
     "\xef\xbb"
     "1234567",
     0, 8, 0, "", P11TEE_E_SSE_LINE_TOO_LONG, 8, 0, 0},
    {"event at the limit", "data: 1234567\n\n", 0, 0, 8, EV("message", "", "1234567"), 0, 0, 0, 0},
    {"event over the limit", "data: 12345678\r\n\r\n", 0, 0, 8, "", P11TEE_E_SSE_EVENT_TOO_LARGE,
     14, 0, 0},
    {"event over the limit across lines", "data: 123\ndata: 1234\n\n", 0, 0, 8, "",
     P11TEE_E_SSE_EVENT_TOO_LARGE, 20, 0, 0},
    {"limit is per event", "data: 1234\n\ndata: 1234\n\n", 0, 0, 8,
     EV("message", "", "1234") EV("message", "", "1234"), 0, 0, 0, 0},
    /* The callback stops the parser on the second event. */
    {"callback stops", "data: 1\n\ndata: 2\n\ndata: 3\n\n", 0, 0, 0,
     EV("message", "", "1") EV("message", "", "2"), STOP_CODE, 17, 0, 2},
};

typedef struct outcome {
    bytebuf events;
    int calls;
    int stop_after;
    p11tee_status feed_rc;
    uint64_t fail_at;
    size_t failing_feed_end; /* end offset of the feed that failed */
    p11tee_status finish_rc;
} outcome;

static p11tee_status record(void *ctx, const sse_event *ev, p11tee_error *err)
{
    outcome *o = ctx;

    assert_int_equal(strlen(ev->type), ev->type_len);
    assert_int_equal(ev->data[ev->data_len], '\0');
    assert_int_equal(bytebuf_append(&o->events, ev->type, ev->type_len), P11TEE_OK);
    assert_int_equal(bytebuf_append(&o->events, "\x1f", 1), P11TEE_OK);
    assert_int_equal(bytebuf_append(&o->events, ev->id, ev->id_len), P11TEE_OK);
    assert_int_equal(bytebuf_append(&o->events, "\x1f", 1), P11TEE_OK);
    assert_int_equal(bytebuf_append(&o->events, ev->data, ev->data_len), P11TEE_OK);
    assert_int_equal(bytebuf_append(&o->events, "\x1e", 1), P11TEE_OK);
    if (++o->calls == o->stop_after)
        return err_set(err, STOP_CODE, "stopped by the callback at event %d", o->calls);
    return P11TEE_OK;
}

static size_t case_len(const sse_case *tc)
{
    return tc->len ? tc->len : strlen(tc->stream);
}

/* Feed the stream cut at the ascending offsets cuts[0..ncuts). */
static void run_cuts(const sse_case *tc, const size_t *cuts, size_t ncuts, outcome *o)
{
    size_t len = case_len(tc), from = 0, i;
    sse_parser p;
    p11tee_error err;

    memset(o, 0, sizeof(*o));
    bytebuf_init(&o->events, 1 << 16);
    o->stop_after = tc->stop_after;
    sse_init(&p, tc->max_line, tc->max_event, record, o);
    for (i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        p11tee_status rc = sse_feed(&p, tc->stream + from, to - from, &err);

        if (rc != P11TEE_OK && o->feed_rc == P11TEE_OK) {
            o->feed_rc = rc;
            o->fail_at = sse_offset(&p);
            o->failing_feed_end = to;
            assert_int_equal(err.code, rc);
        } else if (o->feed_rc != P11TEE_OK) {
            /* Sticky: later feeds fail the same way and deliver nothing. */
            assert_int_equal(rc, o->feed_rc);
        }
        from = to;
    }
    o->finish_rc = sse_finish(&p, &err);
    sse_free(&p);
}

static void check_outcome(const sse_case *tc, outcome *o, const char *mode)
{
    if (strcmp((const char *)(o->events.data ? o->events.data : (unsigned char *)""), tc->events) !=
            0 ||
        o->feed_rc != tc->feed_rc || (tc->feed_rc && o->fail_at != tc->fail_at)) {
        print_error("case '%s' (%s): events '%s' rc %d at %llu\n", tc->name, mode,
                    o->events.data ? (char *)o->events.data : "", o->feed_rc,
                    (unsigned long long)o->fail_at);
        fail();
    }
    if (tc->feed_rc != P11TEE_OK)
        assert_int_equal(o->finish_rc, tc->feed_rc);
    else
        assert_int_equal(o->finish_rc, tc->finish_rc);
    bytebuf_free(&o->events);
}

static void every_split_gives_the_same_events(void **state)
{
    size_t c, i, len;
    outcome o;

    (void)state;
    for (c = 0; c < P11TEE_ARRAY_LEN(cases); c++) {
        len = case_len(&cases[c]);
        run_cuts(&cases[c], NULL, 0, &o);
        check_outcome(&cases[c], &o, "whole");
        for (i = 0; i <= len; i++) {
            run_cuts(&cases[c], &i, 1, &o);
            check_outcome(&cases[c], &o, "one split");
        }
    }
}

static void byte_by_byte_fails_at_the_right_byte(void **state)
{
    size_t c, i, len, cuts[64];
    outcome o;

    (void)state;
    for (c = 0; c < P11TEE_ARRAY_LEN(cases); c++) {
        len = case_len(&cases[c]);
        assert_true(len < P11TEE_ARRAY_LEN(cuts));
        for (i = 0; i + 1 < len; i++)
            cuts[i] = i + 1;
        run_cuts(&cases[c], cuts, len ? len - 1 : 0, &o);
        /* The feed that failed is the one holding the offending byte. */
        if (cases[c].feed_rc != P11TEE_OK)
            assert_int_equal(o.failing_feed_end, cases[c].fail_at + 1);
        check_outcome(&cases[c], &o, "byte by byte");
    }
}

static void random_chunks_give_the_same_events(void **state)
{
    uint32_t seed = 0x5eed;
    size_t c, r, n, len, cuts[64];
    /* Fewer rounds under memcheck (make valgrind sets P11TEE_TEST_QUICK). */
    size_t rounds = getenv("P11TEE_TEST_QUICK") ? 5 : 50;
    outcome o;

    (void)state;
    for (c = 0; c < P11TEE_ARRAY_LEN(cases); c++) {
        len = case_len(&cases[c]);
        for (r = 0; r < rounds; r++) {
            size_t at = 0;

            for (n = 0; at < len && n < P11TEE_ARRAY_LEN(cuts); n++) {
                seed = seed * 1103515245u + 12345u;
                at += 1 + (seed >> 16) % 4;
                cuts[n] = at < len ? at : len;
            }
            run_cuts(&cases[c], cuts, n, &o);
            check_outcome(&cases[c], &o, "random chunks");
        }
    }
}

static p11tee_status count_event(void *ctx, const sse_event *ev, p11tee_error *err)
{
    (void)ev;
    (void)err;
    (*(int *)ctx)++;
    return P11TEE_OK;
}

static void errors_name_the_limit_and_offset(void **state)
{
    sse_parser p;
    p11tee_error err;
    int n = 0;

    (void)state;
    sse_init(&p, 8, 0, count_event, &n);
    assert_int_equal(sse_feed(&p, "data: 123", 9, &err), P11TEE_E_SSE_LINE_TOO_LONG);
    assert_string_equal(err.message, "event-stream line exceeds the 8-byte limit at stream byte 8");
    assert_int_equal(sse_finish(&p, &err), P11TEE_E_SSE_LINE_TOO_LONG);
    sse_free(&p);

    sse_init(&p, 0, 4, count_event, &n);
    assert_int_equal(sse_feed(&p, "data: 1234\n", 11, &err), P11TEE_E_SSE_EVENT_TOO_LARGE);
    assert_string_equal(err.message,
                        "event-stream event data exceeds the 4-byte limit at stream byte 10");
    sse_free(&p);

    sse_init(&p, 0, 0, count_event, &n);
    assert_int_equal(sse_feed(&p, "data: x\n", 8, &err), P11TEE_OK);
    assert_int_equal(sse_finish(&p, &err), P11TEE_E_STREAM_INCOMPLETE);
    assert_string_equal(err.message,
                        "event stream ended in the middle of an event (after 8 bytes)");
    sse_free(&p);
    assert_int_equal(n, 0);
}

static void defaults_and_sink_adapter(void **state)
{
    sse_parser p;
    p11tee_error err;
    int n = 0;
    char *big = malloc(SSE_DEFAULT_MAX_LINE + 16);

    (void)state;
    assert_non_null(big);
    sse_init(&p, 0, 0, count_event, &n);
    assert_int_equal(p.max_line, SSE_DEFAULT_MAX_LINE);
    assert_int_equal(p.max_event, SSE_DEFAULT_MAX_EVENT);
    /* The default line bound admits exactly SSE_DEFAULT_MAX_LINE bytes. */
    memcpy(big, "data:", 5);
    memset(big + 5, 'x', SSE_DEFAULT_MAX_LINE - 5);
    memcpy(big + SSE_DEFAULT_MAX_LINE, "\n\n", 2);
    assert_int_equal(sse_sink(&p, (const uint8_t *)big, SSE_DEFAULT_MAX_LINE + 2, &err), P11TEE_OK);
    assert_int_equal(n, 1);
    big[SSE_DEFAULT_MAX_LINE] = 'x';
    assert_int_equal(sse_sink(&p, (const uint8_t *)big, SSE_DEFAULT_MAX_LINE + 1, &err),
                     P11TEE_E_SSE_LINE_TOO_LONG);
    assert_int_equal(sse_offset(&p), SSE_DEFAULT_MAX_LINE + 2 + SSE_DEFAULT_MAX_LINE);
    sse_free(&p);
    free(big);
}

static void done_marker(void **state)
{
    sse_event ev = {"message", 7, "[DONE]", 6, "", 0};

    (void)state;
    assert_true(sse_is_done(&ev));
    ev.data = "[DONE] ";
    ev.data_len = 7;
    assert_false(sse_is_done(&ev));
    ev.data = "[done]";
    ev.data_len = 6;
    assert_false(sse_is_done(&ev));
    ev.data = "";
    ev.data_len = 0;
    assert_false(sse_is_done(&ev));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_split_gives_the_same_events),
        cmocka_unit_test(byte_by_byte_fails_at_the_right_byte),
        cmocka_unit_test(random_chunks_give_the_same_events),
        cmocka_unit_test(errors_name_the_limit_and_offset),
        cmocka_unit_test(defaults_and_sink_adapter),
        cmocka_unit_test(done_marker),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
