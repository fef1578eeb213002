/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The fuzz harnesses of tests/fuzz (README there). A harness is one file:
 * a function that feeds one input to a parser of untrusted bytes and checks
 * an oracle beyond "no crash" where one exists, its built-in seeds and
 * regression inputs, and one FUZZ_REGISTER line. The same files link into
 * two programs: fuzz-replay (a plain program that replays every corpus,
 * run by make check) and, with ./configure --enable-fuzzing, p11tee-fuzz
 * (libFuzzer; P11TEE_FUZZ_TARGET names the harness).
 */
#ifndef P11TEE_FUZZ_H
#define P11TEE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

/* A seed or a regression input, written in the harness as a string literal. */
typedef struct fuzz_seed {
    const char *data;
    size_t len;
} fuzz_seed;

#define FUZZ_SEED(lit)                                                                             \
    {                                                                                              \
        (lit), sizeof(lit) - 1                                                                     \
    }

typedef struct fuzz_target {
    const char *name;
    /* Returns 0; an oracle that does not hold calls fuzz_fail() (which aborts). */
    int (*one)(const uint8_t *data, size_t size);
    const fuzz_seed *seeds;
    size_t nseeds;
    struct fuzz_target *next;
} fuzz_target;

void fuzz_register(fuzz_target *t);
/* What fuzz-replay is replaying ("harness: file"), for the failure message; "" under libFuzzer. */
extern char fuzz_now[512];
/* Every registered harness, sorted by name; NULL-terminated. */
fuzz_target *fuzz_targets(void);
fuzz_target *fuzz_find(const char *name);

/*
 * FUZZ_REGISTER(name, function, seeds): make `function` the harness `name`
 * (a word: the corpus directory and P11TEE_FUZZ_TARGET use it), with the
 * fuzz_seed array `seeds`.
 */
#define FUZZ_REGISTER(NAME, FN, SEEDS)                                                             \
    static fuzz_target fuzz_target_##NAME = {#NAME, FN, SEEDS, P11TEE_ARRAY_LEN(SEEDS), NULL};     \
    __attribute__((constructor)) static void fuzz_register_##NAME(void)                            \
    {                                                                                              \
        fuzz_register(&fuzz_target_##NAME);                                                        \
    }

/* An oracle failed: say which and what, then abort (libFuzzer keeps the input). */
_Noreturn void fuzz_fail(const char *fmt, ...) P11TEE_PRINTF(1, 2);
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(__VA_ARGS__);                                                                \
    } while (0)

/*
 * The API key every harness hands to the code it drives. It holds '/', '+'
 * and '=', which JSON escaping and base64 make interesting.
 */
extern const char fuzz_api_key[];

/*
 * The API key must not show in `out` in any form a reader would recognise:
 * verbatim, with JSON escapes (\/, \u002f), or with whitespace or control
 * characters between its characters. Fails the oracle with `what` otherwise.
 */
void fuzz_no_api_key(const char *what, const char *out, size_t len);

/*
 * The input with the API key put where it says, so that mutations move the
 * key around: "@K" becomes the key, "@J" the key with '/' JSON-escaped as
 * "\/", "@U" the key with every character as \u00XX, "@W" the key with a
 * space between its characters, "@E" with a JSON "\n" escape between them,
 * "@P" the key percent-encoded, "@C" its first 12 characters. Returns a
 * malloc'd copy (free() it); `*outlen` is its length.
 */
uint8_t *fuzz_with_key(const uint8_t *data, size_t size, size_t *outlen);

/*
 * Split points for the split-invariance oracles, derived from the input
 * itself so that a replay is deterministic: fills `cuts` with at most `max`
 * increasing offsets in (0, size) and returns how many.
 */
size_t fuzz_cuts(const uint8_t *data, size_t size, size_t *cuts, size_t max);

/*
 * Two reports of the same verification must be the same (nothing read from
 * uninitialised memory), and every check in them named with a reason.
 */
struct attest_report;
void fuzz_same_report(const struct attest_report *a, const struct attest_report *b);

/* 1 when `s` is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
int fuzz_utf8_valid(const char *s, size_t len);

#endif /* P11TEE_FUZZ_H */
