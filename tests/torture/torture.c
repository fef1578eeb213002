/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* The torture loop: every N (or a spread sample of them), each run judged. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "torture.h"

#define TORTURE_OUT_MAX        (64u * 1024)
#define TORTURE_SAMPLE_DEFAULT 400
#define TORTURE_REPORT_MAX                                                                         \
    5 /* bad runs described on stderr, per path (all: P11TEE_TORTURE_ALL=1) */

/* Every N, or at most `sample` of them: the first and last 50 and an even spread between. */
int torture_stateless = 1;

static int torture_planned(uint64_t n, uint64_t total, uint64_t sample)
{
    uint64_t step;

    if (sample == 0 || total <= sample)
        return 1;
    if (n <= 50 || n + 50 > total)
        return 1;
    step = total / (sample > 100 ? sample - 100 : 1);
    return step <= 1 || n % step == 0;
}

/*
 * OpenSSL keeps a per-thread error queue whose text buffers come and go
 * with the errors raised: drop it between runs, so that the count of live
 * blocks says what a run left behind and nothing else.
 */
static void torture_settle(void)
{
    ERR_clear_error();
    OPENSSL_thread_stop();
}

static uint64_t torture_sample(void)
{
    const char *full = getenv("P11TEE_TORTURE_FULL"), *s = getenv("P11TEE_TORTURE_SAMPLE");

#ifdef P11TEE_ALLOC_TORTURE_FULL
    if (full == NULL)
        full = "1";
#endif
    if (full != NULL && strcmp(full, "1") == 0)
        return 0;
    return s != NULL && atoi(s) > 0 ? (uint64_t)atoi(s) : TORTURE_SAMPLE_DEFAULT;
}

static double torture_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int torture_run(const char *name, torture_path_fn path, void *ctx, int nomem_code, int *tap)
{
    char *want = calloc(1, TORTURE_OUT_MAX), *got = calloc(1, TORTURE_OUT_MAX);
    uint64_t total, n, eff, runs = 0, nomem = 0, ok = 0, sample = torture_sample();
    uint64_t spared0 = torture_spared_count();
    int64_t base;
    int rc, bad = 0, want_rc,
            report = getenv("P11TEE_TORTURE_ALL") != NULL ? 1 << 30 : TORTURE_REPORT_MAX;
    double t0;

    if (want == NULL || got == NULL) {
        fprintf(stderr, "torture: out of memory before the test\n");
        exit(99);
    }
    (void)path(ctx, want, TORTURE_OUT_MAX); /* warm up: lazy initialisations happen here */
    torture_settle();
    base = torture_live();
    torture_count_start();
    want_rc = path(ctx, want, TORTURE_OUT_MAX);
    total = torture_stop();
    torture_settle();
    if (torture_stateless && torture_live() != base)
        fprintf(stderr, "torture: %s: %lld blocks more after a run without failures\n", name,
                (long long)(torture_live() - base));
    t0 = torture_seconds();
    for (n = 1; n <= total; n++) {
        if (!torture_planned(n, total, sample))
            continue;
        runs++;
        torture_arm(n);
        rc = path(ctx, got, TORTURE_OUT_MAX);
        torture_stop();
        eff = torture_failed_at();
        torture_settle();
        if (rc == nomem_code && torture_failed()) {
            nomem++;
        } else if (rc == want_rc && strcmp(got, want) == 0) {
            ok++;
        } else {
            if (bad < report) {
                size_t d = 0;

                while (got[d] != '\0' && got[d] == want[d])
                    d++;
                d = d > 60 ? d - 60 : 0;
                fprintf(stderr,
                        "torture: %s: allocation %llu of %llu failed: status %d (without "
                        "failures: %d), outcome from byte %zu:\n  %.400s\n  without failures:\n"
                        "  %.400s\n  the allocation:\n%s",
                        name, (unsigned long long)n, (unsigned long long)total, rc, want_rc, d,
                        got + d, want + d, torture_where());
            }
            bad++;
        }
        /*
         * A cache in a long-lived object (OpenSSL's default library
         * context, the PKCS#11 module's state) that the failure emptied or
         * left half filled changes the count by a block or two: a run
         * without failures fills it again, and one with fewer blocks than
         * before is such a cache, not a leak (the count is not rebased:
         * the cache filling again later brings it back). A leak stays.
         */
        if (torture_stateless && torture_live() > base) {
            (void)path(ctx, got, TORTURE_OUT_MAX);
            torture_settle();
        }
        if (torture_stateless && torture_live() > base) {
            if (bad < report)
                fprintf(stderr, "torture: %s: allocation %llu failed: %lld blocks leaked\n%s", name,
                        (unsigned long long)n, (long long)(torture_live() - base), torture_where());
            bad++;
            base = torture_live();
        }
        /* Allocations up to `eff` were spared (alloc.c): failing them again repeats this run. */
        if (eff > n)
            n = eff;
    }
    (*tap)++;
    printf("%s %d - %s: %llu allocations, %llu runs failing one (%s; %llu in third-party "
           "code spared): %llu clean out-of-memory errors, %llu unaffected, %d bad; %.1f s\n",
           bad ? "not ok" : "ok", *tap, name, (unsigned long long)total, (unsigned long long)runs,
           sample ? "a spread sample" : "every one",
           (unsigned long long)(torture_spared_count() - spared0), (unsigned long long)nomem,
           (unsigned long long)ok, bad, torture_seconds() - t0);
    fflush(stdout);
    free(want);
    free(got);
    return bad;
}
