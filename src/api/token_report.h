/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Private to src/api/token_check.c and token_report.c: the token check's
 * report, which token_check.c fills step by step and token_report.c shows
 * (getters, JSON).
 */
#ifndef P11TEE_API_TOKEN_REPORT_H
#define P11TEE_API_TOKEN_REPORT_H

#include "api/api.h"
#include "hsm/hsm.h"

#define TOKEN_RATES_MAX 3

struct p11tee_token_report {
    struct {
        p11tee_check_result result;
        p11tee_status code;
        char text[P11TEE_ERROR_MESSAGE_MAX + P11TEE_ERROR_DETAIL_MAX + 16];
    } steps[P11TEE_TOKEN_STEPS];
    hsm_token_info info;
    char attributes[256];
    p11tee_token_rate rates[TOKEN_RATES_MAX];
    size_t nrates;
    unsigned long streams;
    char verdict[128]; /* empty until the rate step passed */
};

p11tee_token_report *token_report_new(void);
void token_report_pass(p11tee_token_report *r, int step, const char *fmt, ...) P11TEE_PRINTF(3, 4);
/* Record `err` as the failure of `step`; returns its code. */
p11tee_status token_report_fail(p11tee_token_report *r, int step, const p11tee_error *err);
/* The rate step passed: its text, the streams and the verdict. */
void token_report_rates_done(p11tee_token_report *r);

#endif /* P11TEE_API_TOKEN_REPORT_H */
