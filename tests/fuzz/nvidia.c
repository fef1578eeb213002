/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * An nvidia_payload (src/attest/nvidia_verify.c): the JSON, each GPU's
 * evidence and certificate chain, every check. Oracles: every check is
 * recorded with a name and a reason, whatever the input; two runs give the
 * same report.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "attest/nvidia.h"
#include "fuzz.h"

static const uint8_t nv_fuzz_nonce[P11TEE_NONCE_BYTES] = {
    0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}; /* tests/fuzz/seeds.py's */

static void nv_fuzz_run(const uint8_t *data, size_t size, attest_report *rep)
{
    nv_options o;

    memset(&o, 0, sizeof(o));
    o.at = (time_t)1893542400;
    o.nonce = nv_fuzz_nonce;
    attest_report_init(rep);
    nv_verify_text((const char *)data, size, &o, rep, NULL);
}

static int nvidia_fuzz_one(const uint8_t *data, size_t size)
{
    attest_report *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));

    if (a == NULL || b == NULL)
        fuzz_fail("out of memory");
    nv_fuzz_run(data, size, a);
    nv_fuzz_run(data, size, b);
    fuzz_same_report(a, b);
    free(a);
    free(b);
    return 0;
}

static const fuzz_seed nvidia_seeds[] = {
    FUZZ_SEED("{\"nonce\":\"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\","
              "\"arch\":\"HOPPER\",\"evidence_list\":[]}"),
    FUZZ_SEED("{\"nonce\":\"00\",\"evidence_list\":[{\"evidence\":\"EeAB/w==\",\"certificate\":"
              "\"LS0tLS1CRUdJTg==\",\"arch\":\"HOPPER\"}]}"),
    FUZZ_SEED("\"{\\\"evidence_list\\\":7}\""),
};

FUZZ_REGISTER(nvidia, nvidia_fuzz_one, nvidia_seeds)
