/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* How p11tee shows an attestation report. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* The fields a report shows, in this order. */
static const char *const report_fields[] = {
    "model",
    "nonce",
    "signing_address",
    "tee_provider",
    "quote_version",
    "tcb_status",
    "mrtd",
    "rtmr0",
    "rtmr1",
    "rtmr2",
    "rtmr3",
    "mrconfigid",
    "mrowner",
    "mrownerconfig",
    "mrseam",
    "td_attributes",
    "xfam",
    "reportdata",
    "gpu_count",
    "vm_num_gpus",
    "compose_hash",
    "os_image_hash",
    "key_provider",
    "instance_id",
    "app_id",
    "workload_id",
    "workload_keyset_digest",
    "fmspc",
    "pck_ca",
    "collateral",
    "collateral_issued",
    "collateral_age_days",
    "policy",
    "test_roots",
};

/*
 * " [TEST ROOT: ...]" when the policy trusts test roots: a pass under them
 * proves nothing about Intel's or NVIDIA's hardware, and every summary and
 * verdict line says so.
 */
static const char *report_test_root(const p11tee_attestation *a, char text[96])
{
    const char *roots = p11tee_attestation_get(a, "test_roots");

    text[0] = '\0';
    if (roots != NULL)
        snprintf(text, 96, " [TEST ROOT: the policy trusts %s test roots]", roots);
    return text;
}

void cli_print_report(FILE *out, const p11tee_attestation *a, const char *title)
{
    p11tee_check c;
    p11tee_error err;
    char mark[96];
    size_t i;

    fprintf(out, "%s\n\n  %-34s %-12s %-11s %s\n", title, "CHECK", "RESULT", "POLICY", "DETAIL");
    for (i = 0; p11tee_attestation_check(a, i, &c) == 0; i++) {
        /* Reasons and fields quote the server: one line each, no control characters. */
        fprintf(out, "  %-34s %-12s %-11s %s", c.name, p11tee_check_result_name(c.result),
                p11tee_requirement_name(c.requirement), c.blocking ? "[blocks] " : "");
        cli_put_line(out, c.reason);
        fputc('\n', out);
    }
    fprintf(out, "\n");
    for (i = 0; i < sizeof(report_fields) / sizeof(report_fields[0]); i++) {
        const char *v = p11tee_attestation_get(a, report_fields[i]);

        if (v == NULL)
            continue;
        fprintf(out, "  %-22s ", report_fields[i]);
        cli_put_line(out, v);
        fputc('\n', out);
    }
    p11tee_error_clear(&err);
    if (p11tee_attestation_verdict(a, &err) == P11TEE_OK) {
        fprintf(out, "\nVerdict: PASS%s (every check the policy requires passed)\n",
                report_test_root(a, mark));
    } else {
        fprintf(out, "\nVerdict: FAIL%s: ", report_test_root(a, mark));
        cli_put_line(out, err.message);
        fputc('\n', out);
    }
}

int cli_show_attestation(p11tee_status verdict, const p11tee_attestation *a,
                         const p11tee_error *err, int json, const char *title)
{
    int rc = verdict == P11TEE_OK ? CLI_EXIT_OK : cli_fail(err);
    char *text;

    if (a != NULL && json) {
        text = p11tee_attestation_json(a);
        if (text != NULL)
            cli_json_print_text(text, rc);
        free(text);
    } else if (a != NULL) {
        cli_print_report(stdout, a, title);
    }
    return rc;
}

void cli_attestation_summary(FILE *out, const p11tee_attestation *a)
{
    p11tee_check c;
    size_t i, pass = 0, fail = 0, unchecked = 0;
    char mark[96];
    const char *model = p11tee_attestation_get(a, "model");

    for (i = 0; p11tee_attestation_check(a, i, &c) == 0; i++) {
        if (c.result == P11TEE_CHECK_PASS)
            pass++;
        else if (c.result == P11TEE_CHECK_FAIL)
            fail++;
        else
            unchecked++;
    }
    fprintf(out, "p11tee: verified: ");
    cli_put_line(out, model ? model : "model");
    fprintf(out, " attested%s (%zu checks passed, %zu failed, %zu not checked",
            report_test_root(a, mark), pass, fail, unchecked);
    if (p11tee_attestation_get(a, "tcb_status") != NULL) {
        fprintf(out, ", TCB ");
        cli_put_line(out, p11tee_attestation_get(a, "tcb_status"));
    }
    if (p11tee_attestation_get(a, "collateral_age_days") != NULL) {
        fprintf(out, ", collateral %s day%s old", p11tee_attestation_get(a, "collateral_age_days"),
                strcmp(p11tee_attestation_get(a, "collateral_age_days"), "1") == 0 ? "" : "s");
    }
    fprintf(out, ")\n");
}
