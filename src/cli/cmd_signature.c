/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* p11tee signature: does a response signature come from the attested enclave key? */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const char signature_help[] =
    "Usage: p11tee signature -m MODEL REQUEST_ID [--attestation FILE] [--request FILE]\n"
    "                        [--response FILE] [--json]\n"
    "  -m, --model MODEL   the model that answered\n"
    "  REQUEST_ID          the chat completion id (chatcmpl-...)\n"
    "  --attestation FILE  the attestation the chat relied on (chat --save-exchange\n"
    "                      writes DIR/attestation.json), verified offline as of when it\n"
    "                      was fetched; without it the model is attested afresh, which\n"
    "                      fails once the enclave key rotated\n"
    "  --request FILE      the exact request body sent, to compare its SHA-256\n"
    "  --response FILE     the exact response body received, to compare its SHA-256\n"
    "  --json              the report as JSON\n"
    "The signature must recover to the attested address; an ACI receipt is verified\n"
    "against the attested keyset.\n";

#define SIG_BODY_MAX        (64u * 1024 * 1024)
#define SIG_ATTESTATION_MAX (16u * 1024 * 1024) /* a saved attestation and its reports */

int cmd_signature(cli_global *g, int argc, char **argv)
{
    static const struct option own[] = {
        {"model", required_argument, NULL, 'm'},    {"request", required_argument, NULL, 'q'},
        {"response", required_argument, NULL, 'r'}, {"attestation", required_argument, NULL, 'a'},
        {"json", no_argument, NULL, 'j'},           {NULL, 0, NULL, 0}};
    struct option opts[CLI_OPTIONS_MAX];
    const char *model = NULL, *req_file = NULL, *resp_file = NULL, *att_file = NULL;
    p11tee_signature_options o;
    p11tee_attestation *a = NULL;
    p11tee_client *client = NULL;
    p11tee_error err;
    p11tee_status verdict;
    char *req = NULL, *resp = NULL, *att = NULL, title[512];
    int opt, r, json = 0, rc = CLI_EXIT_OK;

    memset(&o, 0, sizeof(o));
    cli_options(own, opts);
    while ((opt = getopt_long(argc, argv, CLI_GLOBAL_SHORT "m:", opts, NULL)) != -1) {
        switch (opt) {
        case 'm': model = optarg; break;
        case 'q': req_file = optarg; break;
        case 'r': resp_file = optarg; break;
        case 'a': att_file = optarg; break;
        case 'j': json = 1; break;
        default:
            if ((r = cli_other_option(g, opt, signature_help)) >= 0)
                return r;
        }
    }
    if (model == NULL || optind != argc - 1) {
        fputs(signature_help, stderr);
        return CLI_EXIT_USAGE;
    }
    if ((req_file != NULL &&
         (req = cli_read_file(req_file, SIG_BODY_MAX, &o.request_len)) == NULL) ||
        (resp_file != NULL &&
         (resp = cli_read_file(resp_file, SIG_BODY_MAX, &o.response_len)) == NULL) ||
        (att_file != NULL &&
         (att = cli_read_file(att_file, SIG_ATTESTATION_MAX, &o.attestation_len)) == NULL)) {
        free(req);
        free(resp);
        return CLI_EXIT_GENERAL;
    }
    o.request = (const uint8_t *)req;
    o.response = (const uint8_t *)resp;
    o.attestation = att;
    client = cli_client(g, P11TEE_CHECK_API_KEY, NULL, &rc);
    if (client != NULL) {
        p11tee_error_clear(&err);
        verdict = p11tee_signature_verify(client, model, argv[optind], &o, &a, &err);
        snprintf(title, sizeof(title), "Signature of %s by %s", argv[optind], model);
        rc = cli_show_attestation(verdict, a, &err, json, title);
    }
    p11tee_attestation_free(a);
    p11tee_client_free(client);
    free(req);
    free(resp);
    free(att);
    return rc;
}
