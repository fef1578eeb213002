/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * p11tee-fuzz: the harnesses under libFuzzer (./configure --enable-fuzzing).
 * P11TEE_FUZZ_TARGET names the harness; `make fuzz` sets it for each one.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fuzz_target *fuzz_chosen;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *name = getenv("P11TEE_FUZZ_TARGET");
    fuzz_target *t;

    (void)argc;
    (void)argv;
    if (name == NULL || (fuzz_chosen = fuzz_find(name)) == NULL) {
        fprintf(stderr, "p11tee-fuzz: set P11TEE_FUZZ_TARGET to one of:");
        for (t = fuzz_targets(); t != NULL; t = t->next)
            fprintf(stderr, " %s", t->name);
        fprintf(stderr, "\n");
        exit(2);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_chosen->one(data, size);
}
