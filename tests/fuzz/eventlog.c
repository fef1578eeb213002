/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * dstack's event log (src/attest/eventlog.c), the input of the RTMR3
 * replay. Oracles: the same text parses to equal logs twice; a replay that
 * succeeds is the SHA-384 chain of the IMR 3 digests computed here
 * independently, over the events counted; an event's text is a
 * NUL-terminated string within its bound; every failure has its code and a
 * message.
 */
#include "config.h"

#include <string.h>

#include <openssl/sha.h>

#include "attest/workload.h"
#include "fuzz.h"

/* RTMR3 from the parsed events, by hand. */
static size_t evlog_fuzz_replay(const evlog *l, uint8_t rtmr[TDX_MR_BYTES])
{
    uint8_t buf[2 * TDX_MR_BYTES];
    size_t i, n = 0;

    memset(rtmr, 0, TDX_MR_BYTES);
    for (i = 0; i < l->n; i++) {
        if (l->ev[i].imr != ATTEST_RTMR3_IMR)
            continue;
        memcpy(buf, rtmr, TDX_MR_BYTES);
        memcpy(buf + TDX_MR_BYTES, l->ev[i].digest, TDX_MR_BYTES);
        SHA384(buf, sizeof(buf), rtmr);
        n++;
    }
    return n;
}

static void evlog_fuzz_parsed(const char *in, size_t len, const evlog *l)
{
    uint8_t got[TDX_MR_BYTES], want[TDX_MR_BYTES];
    char text[ATTEST_EVENT_TEXT_MAX];
    size_t events = 0, n;
    p11tee_error err;
    p11tee_status rc;
    evlog again;

    FUZZ_CHECK(l->n <= EVLOG_EVENTS_MAX, "%zu events", l->n);
    FUZZ_CHECK(evlog_equal(l, l), "a log differs from itself");
    FUZZ_CHECK(evlog_parse(in, len, &again, NULL) == P11TEE_OK && evlog_equal(l, &again),
               "the same text parsed to another log");
    evlog_free(&again);
    memset(&err, 0, sizeof(err));
    rc = evlog_replay_rtmr3(l, got, &events, &err);
    if (rc == P11TEE_OK) {
        n = evlog_fuzz_replay(l, want);
        FUZZ_CHECK(events == n && memcmp(got, want, sizeof(want)) == 0,
                   "the replay is not the SHA-384 chain of the IMR 3 digests (%zu/%zu events)",
                   events, n);
    } else {
        FUZZ_CHECK(err.code == rc && err.message[0] != '\0', "a failure without a message");
    }
    memset(text, 'x', sizeof(text));
    evlog_event_text(l, "compose-hash", text);
    FUZZ_CHECK(memchr(text, '\0', sizeof(text)) != NULL, "an event text without its NUL");
    evlog_event_text(l, "key-provider", text);
    FUZZ_CHECK(memchr(text, '\0', sizeof(text)) != NULL, "an event text without its NUL");
}

static int evlog_fuzz_one(const uint8_t *data, size_t size)
{
    evlog l;
    p11tee_error err;
    p11tee_status rc;

    memset(&err, 0, sizeof(err));
    rc = evlog_parse((const char *)data, size, &l, &err);
    if (rc == P11TEE_OK)
        evlog_fuzz_parsed((const char *)data, size, &l);
    else
        FUZZ_CHECK(err.code == rc && err.message[0] != '\0', "a failure without a message");
    evlog_free(&l);
    return 0;
}

static const fuzz_seed evlog_seeds[] = {
    FUZZ_SEED("[{\"imr\":3,\"event_type\":134217729,\"digest\":\"00\",\"event\":\"compose-hash\","
              "\"event_payload\":\"ab\"},{\"imr\":0,\"event_type\":1,\"digest\":\"ff\",\"event\":"
              "\"\",\"event_payload\":\"\"}]"),
    FUZZ_SEED("\"[{\\\"imr\\\":3,\\\"event_type\\\":4,\\\"digest\\\":\\\"0102\\\"}]\""),
    FUZZ_SEED("[{\"imr\":-1}]"),
    FUZZ_SEED("[{\"imr\":3,\"event_type\":4294967296,\"digest\":\"zz\"}]"),
    FUZZ_SEED("[]"),
};

FUZZ_REGISTER(eventlog, evlog_fuzz_one, evlog_seeds)
