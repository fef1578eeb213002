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

static attest_check *report_slot(attest_report *rep, const char *name)
{
    size_t i;

    for (i = 0; i < rep->count; i++)
        if (strcmp(rep->checks[i].name, name) == 0)
            return &rep->checks[i];
    if (rep->count < ATTEST_MAX_CHECKS - 1)
        return &rep->checks[rep->count++];
    /* The last slot is kept for the overflow marker. */
    rep->count = ATTEST_MAX_CHECKS;
    snprintf(rep->checks[ATTEST_MAX_CHECKS - 1].name, ATTEST_NAME_MAX, "report.overflow");
    rep->checks[ATTEST_MAX_CHECKS - 1].result = ATTEST_FAIL;
    rep->checks[ATTEST_MAX_CHECKS - 1].code = P11TEE_E_INTERNAL;
    snprintf(rep->checks[ATTEST_MAX_CHECKS - 1].reason, ATTEST_REASON_MAX,
             "more than %d checks recorded; the report is incomplete", ATTEST_MAX_CHECKS - 1);
    return NULL;
}

void attest_report_add(attest_report *rep, const char *name, attest_result result,
                       p11tee_status code, const char *fmt, ...)
{
    attest_check *c = report_slot(rep, name);
    va_list ap;

    if (c == NULL)
        return;
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->result = result;
    c->code = result == ATTEST_FAIL ? code : P11TEE_OK;
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
        if (rep->checks[i].result == ATTEST_FAIL)
            return &rep->checks[i];
    return NULL;
}

p11tee_status attest_report_first_failure_in(const attest_report *rep, const char *prefix,
                                             const char *what, p11tee_error *err)
{
    size_t i, n = strlen(prefix);

    for (i = 0; i < rep->count; i++) {
        const attest_check *c = &rep->checks[i];

        if (c->result == ATTEST_FAIL && strncmp(c->name, prefix, n) == 0)
            return err_set(err, c->code, "%s check %s failed: %s", what, c->name, c->reason);
    }
    return P11TEE_OK;
}

const char *attest_result_name(attest_result result)
{
    switch (result) {
    case ATTEST_NOT_CHECKED: return "not checked";
    case ATTEST_PASS: return "pass";
    case ATTEST_FAIL: return "FAIL";
    }
    return "?";
}
