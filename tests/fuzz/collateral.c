/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * TDX collateral (src/attest/collateral.c, tdx_tcb.c): CRLs, TCB info, QE
 * identity, issuer chains and signatures, and the TCB status from them. An
 * input is a quote followed by collateral JSON (the quote says where it
 * ends), so that the TCB evaluation has a quote and a PCK certificate to
 * work on; tests/fuzz/seeds.py writes them so. Oracles: every collateral
 * check is recorded with a reason; two runs give the same report.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "attest/tdx.h"
#include "fuzz.h"

static void coll_run(const tdx_quote *q, const uint8_t *coll, size_t len, attest_report *rep,
                     tdx_verdict *v)
{
    tdx_verify_opts o;

    memset(&o, 0, sizeof(o));
    o.at = (time_t)1893542400;
    o.collateral = (const char *)coll;
    o.collateral_len = len;
    o.accepted_tcb = TDX_TCB_BIT(TDX_TCB_UP_TO_DATE);
    attest_report_init(rep);
    tdx_verify(q, &o, rep, v, NULL);
}

static int collateral_fuzz_one(const uint8_t *data, size_t size)
{
    attest_report *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    tdx_verdict va, vb;
    tdx_quote q;

    if (a == NULL || b == NULL)
        fuzz_fail("out of memory");
    if (tdx_quote_parse(data, size, &q, NULL) == P11TEE_OK) {
        coll_run(&q, data + q.used, size - q.used, a, &va);
        coll_run(&q, data + q.used, size - q.used, b, &vb);
        FUZZ_CHECK(va.tcb == vb.tcb, "two verifications disagree on the TCB status");
        fuzz_same_report(a, b);
    }
    free(a);
    free(b);
    return 0;
}

/* No built-in seeds: a useful input starts with a whole quote (seeds.py writes them). */
static const fuzz_seed collateral_seeds[] = {
    FUZZ_SEED("not a quote"),
};

FUZZ_REGISTER(collateral, collateral_fuzz_one, collateral_seeds)
