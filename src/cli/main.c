/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* p11tee: chat with confidential-AI models, every private key in a PKCS#11 token. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/process.h"

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
    {"collateral", cmd_collateral, "fetch Intel's TDX collateral into the cache; show it"},
    {"audit", cmd_audit, "verify audit logs and saved attestations again, offline"},
    {"config", cmd_config, "show every setting and where it came from; check them"},
};

static void usage(FILE *out)
{
    size_t i;

    fprintf(out, "Usage: p11tee [global options] COMMAND [options] [arguments]\n\nCommands:\n");
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(
        out,
        "\nGlobal options (also accepted after COMMAND):\n"
        "  --base-url URL        API base URL ($VENICE_BASE_URL; default "
        "https://api.venice.ai/api/v1)\n"
        "  --api-key-file FILE   read the API key from FILE (default: $API_KEY_VENICE)\n"
        "  --token URI           PKCS#11 token URI or label ($P11TEE_TOKEN); PIN via\n"
        "                        pin-source=file:PATH in the URI, $P11TEE_PIN, or typed\n"
        "                        on the terminal when asked\n"
        "  --module PATH         PKCS#11 module ($P11TEE_MODULE; or module-path= /\n"
        "                        module-name= in the token URI)\n"
        "  --force-final-pin-try log in even when the token allows one more PIN try\n"
        "  --policy FILE|PRESET  attestation policy file (p11tee-policy(5)) or preset:\n"
        "                        default (without --policy), strict,\n"
        "                        strict-with-collateral\n"
        "  --cacert FILE         trust this CA in addition to the system roots\n"
        "  --aci-report-url URL  the gateway operator's native ACI report, fetched\n"
        "                        with each attestation's nonce (never the API key)\n"
        "  --proxy URL           proxy for https:// (default: $https_proxy)\n"
        "  --connect-timeout S   connect timeout in seconds (default 10)\n"
        "  --idle-timeout S      longest silence inside a response (default 60)\n"
        "  --max-time S          limit for a whole request, 0 for none (default: none;\n"
        "                        " CLI_STR(
            CLI_BATCH_MAX_TIME_S) " for a chat whose stdout is not a terminal)\n"
                                  "  --allow-core-dumps    let this run dump core (for debugging: "
                                  "a core holds\n"
                                  "                        decrypted text and the token session)\n"
                                  "  -v, --verbose         diagnostics on stderr (never the API "
                                  "key or the PIN)\n"
                                  "  -h, --help            this help; COMMAND --help for a "
                                  "command's options\n"
                                  "  --version             print the version\n"
                                  "\nSettings also come from " SYSCONFDIR "/p11tee/config and\n"
                                  "~/.config/p11tee/config ($P11TEE_CONFIG); p11tee config shows "
                                  "them all.\n"
                                  "Run 'man p11tee' for exit codes and examples.\n");
}

/*
 * What a command wrote to stdout must have arrived: a full disk or a closed
 * pipe is an error (exit 1), not silence. SIGPIPE is ignored so that such a
 * write fails with EPIPE and is reported like any other.
 */
static int stdout_flushed(int rc)
{
    int e;

    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return rc;
    e = errno != 0 ? errno : EIO;
    if (rc == CLI_EXIT_OK) {
        cli_error("cannot write to stdout: %s", strerror(e));
        rc = CLI_EXIT_GENERAL;
    }
    return rc;
}

/* --json anywhere in the command's arguments (before "--"): failures become JSON too. */
static int wants_json(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--json") == 0)
            return 1;
    return 0;
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
    signal(SIGPIPE, SIG_IGN);
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
            cli_json_set(wants_json(sub_argc, sub_argv));
            r = commands[i].run(&g, sub_argc, sub_argv);
            cli_json_finish(r);
            cli_conf_free();
            return stdout_flushed(r);
        }
    cli_error("unknown command \"%s\" (try p11tee --help)", argv[optind]);
    return CLI_EXIT_USAGE;
}
