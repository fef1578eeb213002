/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* p11tee quote: parse and verify a bare Intel TDX quote. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char quote_help[] =
    "Usage: p11tee quote FILE [--at TIME] [--collateral FILE] [--json]\n"
    "  FILE               the quote: binary, hex (with or without 0x) or base64; - for stdin\n"
    "  --at TIME          verify certificates at TIME (2025-06-30T12:00:00Z or epoch seconds)\n"
    "  --collateral FILE  Intel TDX collateral (TCB info, QE identity, CRLs) as JSON\n"
    "  --json             the report as JSON\n";

int cmd_quote(cli_global *g, int argc, char **argv)
{
    static const struct option own[] = {{"at", required_argument, NULL, 'a'},
                                        {"collateral", required_argument, NULL, 'c'},
                                        {"json", no_argument, NULL, 'j'},
                                        {NULL, 0, NULL, 0}};
    struct option opts[CLI_OPTIONS_MAX];
    p11tee_offline_options o;
    p11tee_attestation *a = NULL;
    p11tee_config *cfg;
    p11tee_error err;
    p11tee_status verdict;
    char *data = NULL, title[512];
    size_t len = 0;
    int opt, r, json = 0, rc = CLI_EXIT_OK;

    memset(&o, 0, sizeof(o));
    cli_options(own, opts);
    while ((opt = getopt_long(argc, argv, CLI_GLOBAL_SHORT, opts, NULL)) != -1) {
        switch (opt) {
        case 'c': o.collateral = optarg; break;
        case 'j': json = 1; break;
        case 'a':
            if (cli_time_option(optarg, &o.at) != 0)
                return CLI_EXIT_USAGE;
            break;
        default:
            if ((r = cli_other_option(g, opt, quote_help)) >= 0)
                return r;
        }
    }
    if (optind != argc - 1) {
        fputs(quote_help, stderr);
        return CLI_EXIT_USAGE;
    }
    cfg = cli_config(g, &rc);
    if (cfg == NULL)
        return rc;
    if ((rc = cli_config_check(cfg, 0)) != CLI_EXIT_OK ||
        (data = cli_read_file(argv[optind], 1024 * 1024, &len)) == NULL) {
        p11tee_config_free(cfg);
        return rc != CLI_EXIT_OK ? rc : CLI_EXIT_GENERAL;
    }
    p11tee_error_clear(&err);
    verdict = p11tee_quote_verify(cfg, (const uint8_t *)data, len, &o, &a, &err);
    snprintf(title, sizeof(title), "TDX quote %s", argv[optind]);
    rc = cli_show_attestation(verdict, a, &err, json, title);
    p11tee_attestation_free(a);
    p11tee_config_free(cfg);
    free(data);
    return rc;
}
