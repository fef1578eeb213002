/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * TDX quotes (src/attest/tdx*.c): loading (binary, hex, base64), parsing
 * and the offline verification, without collateral. Oracles: every view the
 * parser returns lies inside the input and within what it says it used;
 * the same bytes as hex load to the same bytes; verifying twice gives the
 * same report (nothing read from uninitialised memory), and every check of
 * the report is named and has a reason.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "attest/tdx.h"
#include "crypto/crypto.h"
#include "fuzz.h"

static void quote_inside(const uint8_t *base, size_t len, const uint8_t *p, size_t n,
                         const char *what)
{
    FUZZ_CHECK(p == NULL || (p >= base && n <= len && (size_t)(p - base) <= len - n),
               "the quote's %s lies outside the input", what);
}

static void quote_views(const tdx_quote *q, const uint8_t *b, size_t len)
{
    FUZZ_CHECK(q->used <= len, "the quote used %zu bytes of %zu", q->used, len);
    quote_inside(b, q->used, q->signed_region.ptr, q->signed_region.len, "signed region");
    quote_inside(b, q->used, q->signature, TDX_ECDSA_SIG_BYTES, "signature");
    quote_inside(b, q->used, q->attest_key, TDX_ECDSA_KEY_BYTES, "attestation key");
    quote_inside(b, q->used, q->qe_report, TDX_QE_REPORT_BYTES, "QE report");
    quote_inside(b, q->used, q->qe_report_sig, TDX_ECDSA_SIG_BYTES, "QE report signature");
    quote_inside(b, q->used, q->qe_auth_data.ptr, q->qe_auth_data.len, "QE auth data");
    quote_inside(b, q->used, q->pck_chain.ptr, q->pck_chain.len, "PCK chain");
}

static void quote_verify_twice(const tdx_quote *q)
{
    attest_report *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    tdx_verify_opts o;
    tdx_verdict va, vb;

    if (a == NULL || b == NULL)
        fuzz_fail("out of memory");
    memset(&o, 0, sizeof(o));
    o.at = (time_t)1893542400; /* 2030-01-02: a fixed time, for a fixed result */
    attest_report_init(a);
    attest_report_init(b);
    tdx_verify(q, &o, a, &va, NULL);
    tdx_verify(q, &o, b, &vb, NULL);
    FUZZ_CHECK(va.tcb == vb.tcb, "two verifications disagree on the TCB status");
    fuzz_same_report(a, b);
    free(a);
    free(b);
}

static int quote_fuzz_one(const uint8_t *data, size_t size)
{
    uint8_t *raw = NULL, *again = NULL;
    size_t rawlen = 0, againlen = 0;
    char *hex;
    tdx_quote q;

    if (tdx_quote_load(data, size, &raw, &rawlen, NULL) != P11TEE_OK)
        return 0;
    if (tdx_quote_parse(raw, rawlen, &q, NULL) == P11TEE_OK) {
        quote_views(&q, raw, rawlen);
        quote_verify_twice(&q);
    }
    /* The bytes as hex load to the same bytes. */
    if (rawlen > 0 && (hex = malloc(2 * rawlen + 1)) != NULL) {
        hex_encode(raw, rawlen, hex, 2 * rawlen + 1);
        FUZZ_CHECK(tdx_quote_decode(hex, 2 * rawlen, &again, &againlen, NULL) == P11TEE_OK &&
                       againlen == rawlen && memcmp(again, raw, rawlen) == 0,
                   "the quote as hex does not decode to its bytes");
        free(again);
        free(hex);
    }
    free(raw);
    return 0;
}

static const fuzz_seed quote_seeds[] = {
    FUZZ_SEED("\x04\x00\x02\x00\x81\x00\x00\x00"),
    FUZZ_SEED("0x0400020081000000"),
    FUZZ_SEED("BAACAIEAAAA="),
};

FUZZ_REGISTER(quote, quote_fuzz_one, quote_seeds)
