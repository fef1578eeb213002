/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* p11tee models: list models with their TEE / E2EE capabilities. */
#include "config.h"

#include <string.h>

#include "cli/cli.h"

static const char models_help[] =
    "Usage: p11tee models [--e2ee | --tee] [--type TYPE] [--json]\n"
    "  --e2ee       only models that support end-to-end encryption\n"
    "  --tee        only models that run in an attested enclave (includes E2EE ones)\n"
    "  --type TYPE  the API's model type: text (default), image, embedding, ... or all\n"
    "  --json       the entries as the server sent them, as a JSON array\n"
    "MODES says how p11tee chats with each model: e2ee (end-to-end encrypted, keys in\n"
    "the token: the default), tee-only (attested, then in the clear to the enclave:\n"
    "chat --tee-only for an E2EE model), tee (attested, in the clear), - (refused: not in\n"
    "an attested enclave).\n";

static int models_wanted(const p11tee_model_info *m, int e2ee, int tee)
{
    return (!e2ee || m->e2ee) && (!tee || m->tee);
}

/* The ways p11tee chats with the model (the capability flags decide, never the name). */
static const char *models_modes(const p11tee_model_info *m)
{
    if (m->e2ee)
        return "e2ee,tee-only";
    return m->tee ? "tee" : "-";
}

/* One table row; ids and types come from the server: printed through the filter. */
static void models_row(const p11tee_model_info *m)
{
    char id[41], type[11];

    snprintf(id, sizeof(id), "%s", m->id);
    snprintf(type, sizeof(type), "%s", m->type ? m->type : "-");
    cli_put_line(stdout, id);
    printf("%*s ", (int)(40 - strlen(id)), "");
    cli_put_line(stdout, type);
    printf("%*s %-5s %-5s %-8lld %s\n", (int)(10 - strlen(type)), "", m->tee ? "yes" : "no",
           m->e2ee ? "yes" : "no", m->context_tokens, models_modes(m));
}

/* CLI_EXIT_OK, or CLI_EXIT_GENERAL when a model's JSON could not be made (out of memory). */
static int models_print(const p11tee_models *list, int e2ee, int tee, int json)
{
    p11tee_model_info m;
    size_t i, shown = 0;
    const char *text;

    if (json)
        fputs("[", stdout);
    else
        printf("%-40s %-10s %-5s %-5s %-8s %s\n", "ID", "TYPE", "TEE", "E2EE", "CONTEXT", "MODES");
    for (i = 0; p11tee_models_get(list, i, &m) == 0; i++) {
        if (!models_wanted(&m, e2ee, tee))
            continue;
        if (json && (text = p11tee_models_json(list, i)) == NULL) {
            cli_error("out of memory writing the model list");
            return CLI_EXIT_GENERAL;
        }
        if (json)
            printf("%s\n  %s", shown ? "," : "", text);
        else
            models_row(&m);
        shown++;
    }
    if (json)
        puts(shown ? "\n]" : "]");
    return CLI_EXIT_OK;
}

int cmd_models(cli_global *g, int argc, char **argv)
{
    static const struct option own[] = {{"e2ee", no_argument, NULL, 'E'},
                                        {"tee", no_argument, NULL, 'T'},
                                        {"type", required_argument, NULL, 't'},
                                        {"json", no_argument, NULL, 'j'},
                                        {NULL, 0, NULL, 0}};
    struct option opts[CLI_OPTIONS_MAX];
    const char *type = NULL;
    int opt, r, e2ee = 0, tee = 0, json = 0, rc = CLI_EXIT_OK;
    p11tee_client *client;
    p11tee_models *list = NULL;
    p11tee_error err;

    cli_options(own, opts);
    while ((opt = getopt_long(argc, argv, CLI_GLOBAL_SHORT, opts, NULL)) != -1) {
        switch (opt) {
        case 'E': e2ee = 1; break;
        case 'T': tee = 1; break;
        case 't': type = optarg; break;
        case 'j': json = 1; break;
        default:
            if ((r = cli_other_option(g, opt, models_help)) >= 0)
                return r;
        }
    }
    if (optind != argc || (e2ee && tee)) {
        fputs(models_help, stderr);
        return CLI_EXIT_USAGE;
    }
    client = cli_client(g, P11TEE_CHECK_API_KEY, NULL, &rc);
    if (client == NULL)
        return rc;
    p11tee_error_clear(&err);
    if (p11tee_models_fetch(client, type, &list, &err) != P11TEE_OK)
        rc = cli_fail(&err);
    else
        rc = models_print(list, e2ee, tee, json);
    p11tee_models_free(list);
    p11tee_client_free(client);
    return rc;
}
