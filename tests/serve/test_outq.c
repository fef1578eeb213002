/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * A response's bytes between the pool thread and the HTTP thread
 * (gw_outq, src/serve/buf.c): what is taken is what was added, in order; each
 * chunk is timed once, when its last byte is taken; and a reader that stays
 * behind does not make the buffer keep the whole stream.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "serve/gateway.h"
#include "testlib.h"

static uint64_t timed[4096];
static size_t ntimed;

static void on_timed(uint64_t ns)
{
    if (ntimed < sizeof(timed) / sizeof(timed[0]))
        timed[ntimed++] = ns;
}

/* Chunk i's text: "data: chunk <i> ...\n\n", 60 to 69 bytes. */
static size_t chunk(char *out, size_t cap, unsigned i)
{
    return (size_t)snprintf(out, cap, "data: chunk %u %.*s\n\n", i, (int)(40 + i % 10),
                            "..................................................");
}

/*
 * A writer that waits while 1000 bytes are pending (as gw_job_room() makes the
 * pool thread wait past --stream-buffer) and a reader that takes 50 bytes a
 * turn: the reader never catches up until the writer stops, as an HTTP thread
 * that stays a little behind. 3000 chunks (about 190 KB) go through.
 */
static void lagging_reader_keeps_little(void **state)
{
    gw_outq q;
    char c[128], got[128], *want, *seen;
    size_t wlen = 0, slen = 0, n, most = 0;
    unsigned i = 0;

    (void)state;
    want = test_malloc(3000 * 128);
    seen = test_malloc(3000 * 128);
    ntimed = 0;
    gw_outq_init(&q);
    while (i < 3000) {
        if (gw_outq_pending(&q) < 1000) {
            n = chunk(c, sizeof(c), i);
            memcpy(want + wlen, c, n);
            wlen += n;
            gw_outq_add(&q, c, n, 1000 + i++);
        }
        n = gw_outq_take(&q, got, 50, 5000, on_timed);
        memcpy(seen + slen, got, n);
        slen += n;
        assert_true(i < 20 || gw_outq_pending(&q) > 0); /* behind all along */
        most = q.buf.cap > most ? q.buf.cap : most;
    }
    while ((n = gw_outq_take(&q, got, sizeof(got), 9000, on_timed)) > 0) {
        memcpy(seen + slen, got, n);
        slen += n;
    }
    assert_int_equal(slen, wlen);
    assert_memory_equal(seen, want, wlen);
    assert_int_equal(gw_outq_pending(&q), 0);
    assert_int_equal(ntimed, 3000);
    /* About 1070 bytes pending at most: the buffer stays near twice that, not 190 KB. */
    assert_true(most <= 4096);
    gw_outq_free(&q);
    test_free(want);
    test_free(seen);
}

/* Each chunk is timed once, when its last byte goes, with its own ready time. */
static void chunks_timed_when_their_last_byte_goes(void **state)
{
    gw_outq q;
    char got[16];

    (void)state;
    ntimed = 0;
    gw_outq_init(&q);
    gw_outq_add(&q, "aaaaaaaaaa", 10, 100);
    gw_outq_add(&q, "bbbbb", 5, 200);
    gw_outq_add(&q, "[end]", 5, 0); /* no mark */
    assert_int_equal(gw_outq_take(&q, got, 9, 1000, on_timed), 9);
    assert_int_equal(ntimed, 0);
    assert_int_equal(gw_outq_take(&q, got, 1, 1001, on_timed), 1);
    assert_int_equal(ntimed, 1);
    assert_int_equal(timed[0], 901);
    assert_int_equal(gw_outq_take(&q, got, 16, 1300, on_timed), 10);
    assert_memory_equal(got, "bbbbb[end]", 10);
    assert_int_equal(ntimed, 2);
    assert_int_equal(timed[1], 1100);
    assert_int_equal(gw_outq_take(&q, got, 16, 1400, on_timed), 0);
    assert_int_equal(q.buf.len, 0); /* all taken: nothing kept */
    gw_outq_free(&q);
}

/* Past GW_OUTQ_MARKS chunks waiting, the bytes still go; only the timing is skipped. */
static void marks_bounded(void **state)
{
    gw_outq q;
    char got[4 * GW_OUTQ_MARKS];
    unsigned i;

    (void)state;
    ntimed = 0;
    gw_outq_init(&q);
    for (i = 0; i < 2 * GW_OUTQ_MARKS; i++)
        gw_outq_add(&q, "x", 1, 10 + i);
    assert_int_equal(gw_outq_take(&q, got, sizeof(got), 1000, on_timed), 2 * GW_OUTQ_MARKS);
    assert_int_equal(ntimed, GW_OUTQ_MARKS);
    assert_int_equal(timed[GW_OUTQ_MARKS - 1], 1000 - (10 + GW_OUTQ_MARKS - 1));
    gw_outq_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lagging_reader_keeps_little),
        cmocka_unit_test(chunks_timed_when_their_last_byte_goes),
        cmocka_unit_test(marks_bounded),
    };
    return TEST_MAIN(tests, NULL, NULL);
}
