/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Allocation torture (as curl's tests do): the test program replaces the
 * process's malloc family (alloc.c), counts every allocation of a path, and
 * runs the path again once for each N, failing its Nth allocation. Each run
 * must end cleanly: the same success as without failures, or an error
 * whose code is P11TEE_E_NOMEM, never a crash or a leak.
 */
#ifndef P11TEE_TORTURE_H
#define P11TEE_TORTURE_H

#include <stddef.h>
#include <stdint.h>

/*
 * From now on count and fail only allocations made while code of the loaded
 * library whose path contains `file` is on the stack (its executable
 * segments): a path's own allocations and those of the libraries it calls,
 * not those of the program around it. The library must stay loaded. 1 when
 * found.
 */
int torture_focus(const char *file);
/* Count allocations from now on, without failing any. */
void torture_count_start(void);
/* Fail the `n`th allocation from now on (1-based), and only that one. */
void torture_arm(uint64_t n);
/* Stop counting and failing; the number of allocations since the start or arm. */
uint64_t torture_stop(void);
/* 1 when the armed failure happened. */
int torture_failed(void);
/* Blocks allocated and not freed, over the whole process (for leak checks between runs). */
int64_t torture_live(void);
/* Where the injected failure happened, one frame per line (for a report). */
const char *torture_where(void);
/* Allocations spared so far (third-party code that cannot survive a failure, see alloc.c). */
uint64_t torture_spared_count(void);
/* The allocation that failed in the last armed run (after any spared ones), 0 if none. */
uint64_t torture_failed_at(void);

/*
 * A path under torture: `run` does the whole thing from a clean state and
 * frees everything; it returns its status and writes a summary of its
 * outcome (the verdict, a document) into `out` (`cap` bytes), which a
 * successful run must reproduce exactly.
 */
typedef int (*torture_path_fn)(void *ctx, char *out, size_t cap);

/*
 * Run `path`: once to warm up (lazy initialisations), once counting, then
 * once per N in the plan (every N when P11TEE_TORTURE_FULL=1 or the build
 * was configured with --enable-alloc-torture, else at most
 * P11TEE_TORTURE_SAMPLE runs spread over all N, default 400). Prints one
 * TAP line (`*tap` numbers them) and details of every bad N on stderr.
 * Returns the number of failed runs.
 */
int torture_run(const char *name, torture_path_fn path, void *ctx, int nomem_code, int *tap);

/*
 * A path that leaves nothing behind when it ends (no client, pool or cache
 * outlives it) can be checked for leaks run by run: torture_run() then
 * counts the blocks alive before and after each. Others rely on
 * LeakSanitizer at exit (the sanitizer build).
 */
extern int torture_stateless;

#endif /* P11TEE_TORTURE_H */
