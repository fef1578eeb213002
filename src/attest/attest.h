/*
 * attest/: offline verification of what a confidential-AI server presents.
 * Every verifier records its findings in an attest_report, check by check
 * (stable names such as "tdx.quote.signature"), each pass / fail / not
 * checked with a reason. The policy (policy.c) then decides which checks are
 * required. Parsers here are pure functions over caller-owned buffers.
 */
#ifndef P11TEE_ATTEST_H
#define P11TEE_ATTEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/common.h"

/* ==== report (report.c) ==================================================== */

typedef enum attest_result {
    ATTEST_NOT_CHECKED = 0,
    ATTEST_PASS = 1,
    ATTEST_FAIL = 2,
} attest_result;

#define ATTEST_MAX_CHECKS 96
#define ATTEST_NAME_MAX 48
#define ATTEST_REASON_MAX 256

typedef struct attest_check {
    char name[ATTEST_NAME_MAX];     /* stable id, e.g. "tdx.quote.signature" */
    attest_result result;
    p11tee_status code;             /* why it failed; P11TEE_OK otherwise */
    char reason[ATTEST_REASON_MAX]; /* one line for a person */
} attest_check;

typedef struct attest_report {
    attest_check checks[ATTEST_MAX_CHECKS];
    size_t count;
} attest_report;

void attest_report_init(attest_report *rep);

/*
 * Record one check. A second record under the same name replaces the first
 * (so a later, more precise finding wins). Beyond ATTEST_MAX_CHECKS records
 * are dropped and the report is marked by a failing "report.overflow".
 */
void attest_report_add(attest_report *rep, const char *name, attest_result result,
                       p11tee_status code, const char *fmt, ...) P11TEE_PRINTF(5, 6);

/* The check of that name, or NULL. */
const attest_check *attest_report_find(const attest_report *rep, const char *name);

/* The first failed check, or NULL when none failed. */
const attest_check *attest_report_first_failure(const attest_report *rep);

const char *attest_result_name(attest_result result);

/* ==== TDX quotes (tdx.c, tdx_verify.c, collateral.c) ======================= */

/* ==== end TDX ============================================================== */

/* ==== NVIDIA GPU evidence (nvidia.c) ======================================== */

/* ==== end NVIDIA =========================================================== */

/* ==== Ethereum: Keccak-256, addresses, EIP-191 (eth.c) ====================== */

/* ==== end Ethereum ========================================================= */

#endif /* P11TEE_ATTEST_H */
