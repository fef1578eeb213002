/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * One GPU's SPDM evidence (src/attest/nvidia.c): GET_MEASUREMENTS request
 * and MEASUREMENTS response, parsed by structure. Oracles: every view lies
 * inside the input; the signature sits right after what is signed, and
 * signed bytes, signature and trailing bytes add up to the input.
 */
#include "config.h"

#include <string.h>

#include "attest/nvidia.h"
#include "fuzz.h"

static void spdm_inside(const uint8_t *base, size_t len, const uint8_t *p, size_t n,
                        const char *what)
{
    FUZZ_CHECK(p == NULL || (p >= base && n <= len && (size_t)(p - base) <= len - n),
               "the report's %s lies outside the input", what);
}

static int spdm_fuzz_one(const uint8_t *data, size_t size)
{
    nv_report r;

    if (nv_report_parse(data, size, &r, NULL) != P11TEE_OK)
        return 0;
    spdm_inside(data, size, r.request_nonce, NV_NONCE_BYTES, "request nonce");
    spdm_inside(data, size, r.record, r.record_len, "measurement record");
    spdm_inside(data, size, r.responder_nonce, NV_NONCE_BYTES, "responder nonce");
    spdm_inside(data, size, r.opaque, r.opaque_len, "opaque data");
    spdm_inside(data, size, r.fwid, r.fwid_len, "FWID");
    spdm_inside(data, size, r.signature, NV_SIG_BYTES, "signature");
    FUZZ_CHECK(r.signature == data + r.signed_len,
               "the signature is not right after the signed bytes");
    FUZZ_CHECK(r.signed_len + NV_SIG_BYTES + r.trailing == size,
               "signed bytes, signature and trailing bytes do not add up to the input");
    return 0;
}

static const fuzz_seed spdm_seeds[] = {
    FUZZ_SEED("\x11\xe0\x01\xff"),
    FUZZ_SEED("\x11\x60\x00\x00"),
};

FUZZ_REGISTER(spdm, spdm_fuzz_one, spdm_seeds)
