/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* p11tee attest: verify a model's attestation now, or a saved one offline. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char attest_help[] =
    "Usage: p11tee attest MODEL [--save FILE] [--emit-policy FILE] [--json]\n"
    "       p11tee attest --input FILE [--model ID] [--nonce HEX] [--at TIME]\n"
    "                     [--collateral FILE] [--save FILE] [--emit-policy FILE] [--json]\n"
    "  MODEL              fetch the attestation with a fresh nonce and verify it\n"
    "  --save FILE        keep what an auditor needs to verify it again (p11tee audit\n"
    "                     verify): the exact response, nonce, time, collateral and the\n"
    "                     policy's SHA-256, readable by you only\n"
    "  --emit-policy FILE when it passed, write a policy pinning what was verified\n"
    "                     (measurements, compose hash, events, TCB status) in the\n"
    "                     model's section, for review (p11tee-policy(5))\n"
    "  --input FILE       verify a saved /tee/attestation response offline (no network);\n"
    "                     NEAR-style model_attestations[] wrappers are accepted\n"
    "  --model ID         the model the saved attestation must be for\n"
    "  --nonce HEX        the 64-hex nonce that was sent (else the nonce is not checked)\n"
    "  --at TIME          verify certificates at TIME (2025-06-30T12:00:00Z or epoch seconds)\n"
    "  --collateral FILE  Intel TDX collateral (TCB info, QE identity, CRLs) as JSON\n"
    "  --json             the report as JSON\n";

#define ATTEST_INPUT_MAX (16u * 1024 * 1024)

/* The files an attestation is written to besides the report. */
typedef struct attest_files {
    const char *save; /* --save */
    const char *emit; /* --emit-policy */
} attest_files;

/* Write `doc` (freed) to `path`, private to the user, saying so: 0 or the exit code. */
static int attest_write_doc(const char *path, char *doc, const char *before, const char *after)
{
    int rc = cli_write_private(path, doc, strlen(doc)) == 0 ? CLI_EXIT_OK : CLI_EXIT_GENERAL;

    free(doc);
    if (rc == CLI_EXIT_OK)
        cli_note("%s%s%s", before, path, after);
    return rc;
}

/* --save: the saved attestation, private to the user; 0 or the exit code of a failure. */
static int attest_save(const char *path, const p11tee_attestation *a)
{
    char *doc;

    if (path == NULL)
        return CLI_EXIT_OK;
    if (a == NULL || (doc = p11tee_attestation_save(a)) == NULL) {
        cli_error("nothing to save in %s: the response could not be read", path);
        return CLI_EXIT_GENERAL;
    }
    return attest_write_doc(path, doc, "saved the attestation for p11tee audit verify in ", "");
}

/* --emit-policy: only what passed is pinned; 0 or the exit code of a failure. */
static int attest_emit(const char *path, p11tee_status verdict, const p11tee_attestation *a)
{
    char *doc;

    if (path == NULL)
        return CLI_EXIT_OK;
    if (verdict != P11TEE_OK || a == NULL || (doc = p11tee_attestation_emit_policy(a)) == NULL) {
        cli_error("not writing %s: the attestation did not pass, and a policy pins only what "
                  "was verified",
                  path);
        return CLI_EXIT_GENERAL;
    }
    return attest_write_doc(path, doc, "wrote a policy pinning what was verified to ",
                            ": review it before use");
}

/* Both files; the first failure's exit code. */
static int attest_write(const attest_files *f, p11tee_status verdict, const p11tee_attestation *a)
{
    int r = attest_save(f->save, a), e = attest_emit(f->emit, verdict, a);

    return r != CLI_EXIT_OK ? r : e;
}

static int attest_offline(cli_global *g, const char *input, p11tee_offline_options *o, int json,
                          const attest_files *files)
{
    p11tee_config *cfg;
    p11tee_attestation *a = NULL;
    p11tee_error err;
    p11tee_status verdict;
    char *data, title[512];
    size_t len = 0;
    int rc = CLI_EXIT_OK, r;

    cfg = cli_config(g, &rc);
    if (cfg == NULL)
        return rc;
    if ((rc = cli_config_check(cfg, 0)) != CLI_EXIT_OK ||
        (data = cli_read_file(input, ATTEST_INPUT_MAX, &len)) == NULL) {
        p11tee_config_free(cfg);
        return rc != CLI_EXIT_OK ? rc : CLI_EXIT_GENERAL;
    }
    p11tee_error_clear(&err);
    verdict = p11tee_attest_offline(cfg, data, len, o, &a, &err);
    snprintf(title, sizeof(title), "Attestation from %s (offline)", input);
    rc = cli_show_attestation(verdict, a, &err, json, title);
    r = attest_write(files, verdict, a);
    p11tee_attestation_free(a);
    p11tee_config_free(cfg);
    free(data);
    return rc != CLI_EXIT_OK ? rc : r;
}

static int attest_online(cli_global *g, const char *model, int json, const attest_files *files)
{
    p11tee_client *client;
    p11tee_attestation *a = NULL;
    p11tee_error err;
    p11tee_status verdict;
    char title[512];
    int rc = CLI_EXIT_OK, r;

    client = cli_client(g, P11TEE_CHECK_API_KEY, NULL, &rc);
    if (client == NULL)
        return rc;
    p11tee_error_clear(&err);
    verdict = p11tee_attest(client, model, &a, &err);
    snprintf(title, sizeof(title), "Attestation of %s", model);
    rc = cli_show_attestation(verdict, a, &err, json, title);
    r = attest_write(files, verdict, a);
    if (rc == CLI_EXIT_OK)
        rc = r;
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
                                        {"save", required_argument, NULL, 's'},
                                        {"emit-policy", required_argument, NULL, 'e'},
                                        {NULL, 0, NULL, 0}};
    struct option opts[CLI_OPTIONS_MAX];
    p11tee_offline_options o;
    attest_files files = {NULL, NULL};
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
        case 's': files.save = optarg; break;
        case 'e': files.emit = optarg; break;
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
        return attest_offline(g, input, &o, json, &files);
    if (input == NULL && !offline_only && o.model == NULL && optind == argc - 1)
        return attest_online(g, argv[optind], json, &files);
    fputs(attest_help, stderr);
    return CLI_EXIT_USAGE;
}
