/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* p11tee token check: can this token carry p11tee's keys and keep up with a stream? */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char token_commands_help[] =
    "Usage: p11tee token COMMAND [options]\n"
    "\n"
    "Commands:\n"
    "  check      check the token: keys, ECDH, how many streams it sustains\n"
    "\n"
    "Run 'p11tee token check --help' for its options.\n";

static const char token_help[] =
    "Usage: p11tee token check [--json] [--seconds S]\n"
    "Checks the token p11tee would use (--module, --token, the PIN as for chat): the module\n"
    "loads, which token matched, the login, a secp256k1 session key with the attributes\n"
    "p11tee asks for (read back), ECDH with an extractable secret compared with software,\n"
    "and the ECDH rate with 1, 2 and 4 sessions; then how many chat streams the token\n"
    "sustains at 50 chunks/s.\n"
    "  --json       the report as JSON on stdout\n"
    "  --seconds S  how long each of the three rate measurements runs (default 1; 0 skips\n"
    "               the rate)\n";

/* One line per step; the texts come from the token: printed through the filter. */
static void token_print(const p11tee_token_report *r)
{
    p11tee_token_step_info s;
    const char *verdict = p11tee_token_report_verdict(r);
    int i;

    for (i = 0; i < P11TEE_TOKEN_STEPS; i++) {
        if (p11tee_token_report_step(r, (p11tee_token_step)i, &s) != 0)
            continue;
        printf("%-7s %-12s ", s.name, p11tee_check_result_name(s.result));
        cli_put_line(stdout, s.text);
        putchar('\n');
    }
    if (verdict != NULL)
        printf("verdict: %s\n", verdict);
}

/* "1", "0.5": milliseconds, 0 to 60 s; -1 when not a number of seconds. */
static long token_seconds(const char *arg)
{
    char *end;
    double s;

    errno = 0;
    s = strtod(arg, &end);
    if (errno != 0 || end == arg || *end != '\0' || s < 0 || s > 60)
        return -1;
    return (long)(s * 1000.0 + 0.5);
}

static int token_check(cli_global *g, long ms, int json)
{
    p11tee_config *cfg;
    p11tee_token_report *r = NULL;
    p11tee_error err;
    char *text;
    int rc = CLI_EXIT_OK;

    cfg = cli_config(g, &rc);
    if (cfg == NULL)
        return rc;
    p11tee_error_clear(&err);
    if (p11tee_token_check(cfg, (unsigned)ms, &r, &err) != P11TEE_OK)
        rc = cli_exit_code(err.code);
    if (rc != CLI_EXIT_OK)
        cli_fail(&err);
    if (r != NULL && json) {
        text = p11tee_token_report_json(r);
        if (text != NULL) {
            cli_json_print_text(text, rc);
        } else {
            cli_error("out of memory writing the report");
            rc = rc != CLI_EXIT_OK ? rc : CLI_EXIT_GENERAL;
        }
        free(text);
    } else if (r != NULL) {
        token_print(r);
    }
    p11tee_token_report_free(r);
    p11tee_config_free(cfg);
    return rc;
}

int cmd_token(cli_global *g, int argc, char **argv)
{
    static const struct option own[] = {{"json", no_argument, NULL, 'j'},
                                        {"seconds", required_argument, NULL, 's'},
                                        {NULL, 0, NULL, 0}};
    struct option opts[CLI_OPTIONS_MAX];
    int opt, json = 0, rc;
    long ms = 1000;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(token_commands_help, stdout);
        return CLI_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "check") != 0) {
        cli_error("p11tee token needs a subcommand: check");
        fputs(token_commands_help, stderr);
        return CLI_EXIT_USAGE;
    }
    cli_options(own, opts);
    argc--, argv++; /* getopt from "check" on */
    while ((opt = getopt_long(argc, argv, CLI_GLOBAL_SHORT, opts, NULL)) != -1) {
        switch (opt) {
        case 'j': json = 1; break;
        case 's':
            if ((ms = token_seconds(optarg)) < 0) {
                cli_error("--seconds wants a number from 0 to 60, not \"%s\"", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        default:
            if ((rc = cli_other_option(g, opt, token_help)) >= 0)
                return rc;
        }
    }
    if (optind != argc) {
        fputs(token_help, stderr);
        return CLI_EXIT_USAGE;
    }
    return token_check(g, ms, json);
}
