/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* p11tee: chat with confidential-AI models, every private key in a PKCS#11 token. */
#include "config.h"

#include <string.h>

#include "cli/cli.h"

static const struct {
    const char *name;
    int (*run)(cli_global *g, int argc, char **argv);
    const char *summary;
} commands[] = {
    {"models", cmd_models, "list models and their TEE / E2EE capabilities"},
    {"attest", cmd_attest, "fetch and verify a model's attestation, or verify a saved one"},
    {"chat", cmd_chat, "chat with a model (E2EE through the token for e2ee models)"},
    {"signature", cmd_signature, "verify a response signature against the attested key"},
    {"quote", cmd_quote, "parse and verify a bare Intel TDX quote"},
    {"token", cmd_token, "check the PKCS#11 token: keys, ECDH, how many streams it sustains"},
    {"serve", cmd_serve, "run an OpenAI-compatible gateway for applications (p11tee-serve(1))"},
};

static void usage(FILE *out)
{
    size_t i;

    fprintf(out, "Usage: p11tee [global options] COMMAND [options] [arguments]\n\nCommands:\n");
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nGlobal options (also accepted after COMMAND):\n");
    cli_settings_help(out, cli_global_settings, CLI_G_COUNT);
    fprintf(out, "  -h, --help            this help; COMMAND --help for a command's options\n"
                 "  --version             print the version\n"
                 "\nRun 'man p11tee' for exit codes and examples.\n");
}

int main(int argc, char **argv)
{
    static const struct option own[] = {{"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
    struct option opts[CLI_OPTIONS_MAX];
    cli_global g;
    size_t i;
    int opt, r;

    cli_process_harden(); /* before anything holds a secret */
    memset(&g, 0, sizeof(g));
    cli_options(own, opts);
    /* Global options before the command; stop at the first non-option. */
    while ((opt = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return CLI_EXIT_OK;
        }
        if (opt == 'V') {
            printf("p11tee %s\n", p11tee_version());
            return CLI_EXIT_OK;
        }
        r = cli_global_option(&g, opt, optarg);
        if (r <= 0) {
            if (r == 0)
                usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[optind], commands[i].name) == 0) {
            int sub_argc = argc - optind;
            char **sub_argv = argv + optind;

            optind = 0; /* glibc: 0 re-initialises getopt, also its ordering mode */
            return commands[i].run(&g, sub_argc, sub_argv);
        }
    cli_error("unknown command \"%s\" (try p11tee --help)", argv[optind]);
    return CLI_EXIT_USAGE;
}
