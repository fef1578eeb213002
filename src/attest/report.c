/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* The attestation report: named checks with results and reasons. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "attest/attest.h"

void attest_report_init(attest_report *rep)
{
    memset(rep, 0, sizeof(*rep));
}

static void report_set(attest_check *c, attest_check_id id, p11tee_check_result result,
                       p11tee_status code)
{
    c->id = id;
    c->name = attest_check_name(id);
    c->result = result;
    c->code = result == P11TEE_CHECK_FAIL ? code : P11TEE_OK;
}

static attest_check *report_slot(attest_report *rep, attest_check_id id)
{
    attest_check *last = &rep->checks[ATTEST_MAX_CHECKS - 1];
    size_t i;

    for (i = 0; i < rep->count; i++)
        if (rep->checks[i].id == id)
            return &rep->checks[i];
    if (rep->count < ATTEST_MAX_CHECKS - 1)
        return &rep->checks[rep->count++];
    /* The last slot is kept for the overflow marker. */
    rep->count = ATTEST_MAX_CHECKS;
    report_set(last, ATTEST_CK_REPORT_OVERFLOW, P11TEE_CHECK_FAIL, P11TEE_E_INTERNAL);
    snprintf(last->reason, ATTEST_REASON_MAX,
             "more than %d checks recorded; the report is incomplete", ATTEST_MAX_CHECKS - 1);
    return NULL;
}

void attest_report_add(attest_report *rep, attest_check_id id, p11tee_check_result result,
                       p11tee_status code, const char *fmt, ...)
{
    attest_check *c = report_slot(rep, id);
    va_list ap;

    if (c == NULL)
        return;
    report_set(c, id, result, code);
    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
    va_end(ap);
}

const attest_check *attest_report_find(const attest_report *rep, const char *name)
{
    size_t i;

    for (i = 0; i < rep->count; i++)
        if (strcmp(rep->checks[i].name, name) == 0)
            return &rep->checks[i];
    return NULL;
}

const attest_check *attest_report_first_failure(const attest_report *rep)
{
    size_t i;

    for (i = 0; i < rep->count; i++)
        if (rep->checks[i].result == P11TEE_CHECK_FAIL)
            return &rep->checks[i];
    return NULL;
}

p11tee_status attest_report_first_failure_in(const attest_report *rep, unsigned areas,
                                             const char *what, p11tee_error *err)
{
    size_t i;

    for (i = 0; i < rep->count; i++) {
        const attest_check *c = &rep->checks[i];

        if (c->result == P11TEE_CHECK_FAIL && (areas & ATTEST_AREA_BIT(attest_checks[c->id].area)))
            return err_set(err, c->code, "%s check %s failed: %s", what, c->name, c->reason);
    }
    return P11TEE_OK;
}

const char *p11tee_check_result_name(p11tee_check_result result)
{
    /* No default: -Wswitch names a result without a name. */
    switch (result) {
    case P11TEE_CHECK_NOT_CHECKED: return "not checked";
    case P11TEE_CHECK_PASS: return "pass";
    case P11TEE_CHECK_FAIL: return "FAIL";
    }
    return "?";
}
