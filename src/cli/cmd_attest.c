/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* p11tee attest: verify a model's attestation now, or a saved one offline. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char attest_help[] =
    "Usage: p11tee attest MODEL [--json]\n"
    "       p11tee attest --input FILE [--model ID] [--nonce HEX] [--at TIME]\n"
    "                     [--collateral FILE] [--json]\n"
    "  MODEL              fetch the attestation with a fresh nonce and verify it\n"
    "  --input FILE       verify a saved /tee/attestation response offline (no network);\n"
    "                     NEAR-style model_attestations[] wrappers are accepted\n"
    "  --model ID         the model the saved attestation must be for\n"
    "  --nonce HEX        the 64-hex nonce that was sent (else the nonce is not checked)\n"
    "  --at TIME          verify certificates at TIME (2025-06-30T12:00:00Z or epoch seconds)\n"
    "  --collateral FILE  Intel TDX collateral (TCB info, QE identity, CRLs) as JSON\n"
    "  --json             the report as JSON\n";

#define ATTEST_INPUT_MAX (16u * 1024 * 1024)

static int attest_show(p11tee_status verdict, p11tee_attestation *a, const p11tee_error *err,
                       int json, const char *title)
{
    char *text;

    if (a != NULL && json) {
        text = p11tee_attestation_json(a);
        if (text != NULL)
            puts(text);
        free(text);
    } else if (a != NULL) {
        cli_print_report(stdout, a, title);
    }
    if (verdict != P11TEE_OK)
        return cli_fail(err);
    return CLI_EXIT_OK;
}

static int attest_offline(cli_global *g, const char *input, p11tee_offline_options *o, int json)
{
    p11tee_config *cfg;
    p11tee_attestation *a = NULL;
    p11tee_error err;
    p11tee_status verdict;
    char *data, title[512];
    size_t len = 0;
    int rc = CLI_EXIT_OK;

    data = cli_read_file(input, ATTEST_INPUT_MAX, &len);
    if (data == NULL)
        return CLI_EXIT_GENERAL;
    cfg = cli_config(g, &rc);
    if (cfg == NULL) {
        free(data);
        return rc;
    }
    p11tee_error_clear(&err);
    verdict = p11tee_attest_offline(cfg, data, len, o, &a, &err);
    snprintf(title, sizeof(title), "Attestation from %s (offline)", input);
    rc = attest_show(verdict, a, &err, json, title);
    p11tee_attestation_free(a);
    p11tee_config_free(cfg);
    free(data);
    return rc;
}

static int attest_online(cli_global *g, const char *model, int json)
{
    p11tee_client *client;
    p11tee_attestation *a = NULL;
    p11tee_error err;
    p11tee_status verdict;
    char title[512];
    int rc = CLI_EXIT_OK;

    client = cli_client(g, NULL, &rc);
    if (client == NULL)
        return rc;
    p11tee_error_clear(&err);
    verdict = p11tee_attest(client, model, &a, &err);
    snprintf(title, sizeof(title), "Attestation of %s", model);
    rc = attest_show(verdict, a, &err, json, title);
    p11tee_attestation_free(a);
    p11tee_client_free(client);
    return rc;
}

int cmd_attest(cli_global *g, int argc, char **argv)
{
    static const struct option own[] = {{"input", required_argument, NULL, 'i'},
                                        {"model", required_argument, NULL, 'm'},
                                        {"nonce", required_argument, NULL, 'n'},
                                        {"at", required_argument, NULL, 'a'},
                                        {"collateral", required_argument, NULL, 'c'},
                                        {"json", no_argument, NULL, 'j'},
                                        {NULL, 0, NULL, 0}};
    struct option opts[CLI_OPTIONS_MAX];
    p11tee_offline_options o;
    const char *input = NULL;
    int opt, r, json = 0, offline_only = 0;

    memset(&o, 0, sizeof(o));
    cli_options(own, opts);
    while ((opt = getopt_long(argc, argv, CLI_GLOBAL_SHORT "m:", opts, NULL)) != -1) {
        switch (opt) {
        case 'i': input = optarg; break;
        case 'm': o.model = optarg; break;
        case 'n':
            o.nonce_hex = optarg;
            offline_only = 1;
            if (strlen(optarg) != 2 * P11TEE_NONCE_BYTES ||
                strspn(optarg, "0123456789abcdefABCDEF") != 2 * P11TEE_NONCE_BYTES) {
                cli_error("--nonce wants the 64 hex characters that were sent, not \"%.80s\"",
                          optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'c':
            o.collateral = optarg;
            offline_only = 1;
            break;
        case 'j': json = 1; break;
        case 'a':
            offline_only = 1;
            if (cli_time_option(optarg, &o.at) != 0)
                return CLI_EXIT_USAGE;
            break;
        default:
            if ((r = cli_other_option(g, opt, attest_help)) >= 0)
                return r;
        }
    }
    if (input != NULL && optind == argc)
        return attest_offline(g, input, &o, json);
    if (input == NULL && !offline_only && o.model == NULL && optind == argc - 1)
        return attest_online(g, argv[optind], json);
    fputs(attest_help, stderr);
    return CLI_EXIT_USAGE;
}
