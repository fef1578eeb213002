/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * p11tee chat: the options, the local checks, then one request (or the -i
 * conversation), the answer streamed to stdout as it is decrypted.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/chat.h"

static const char chat_help[] =
    "Usage: p11tee chat -m MODEL [options] [PROMPT... | -]\n"
    "       p11tee chat -m MODEL -i [options]\n"
    "       p11tee chat [-m MODEL] --request FILE [options]\n"
    "  -m, --model MODEL    the model; e2ee models are attested and end-to-end encrypted\n"
    "                       with keys in the token, tee models attested\n"
    "  PROMPT               the user message; read from stdin when - or absent (a prompt\n"
    "                       on the command line is visible to other local users; on a\n"
    "                       terminal one Ctrl-D ends it)\n"
    "  --system TEXT        a system message\n"
    "  --messages FILE      earlier turns: an OpenAI messages array (JSON), sent before\n"
    "                       PROMPT (without PROMPT, the messages alone)\n"
    "  --request FILE       the whole OpenAI chat request (JSON); - reads it from stdin\n"
    "  -i, --interactive    a conversation on the terminal, one line per turn; the\n"
    "                       history stays in memory only; Ctrl-D ends it\n"
    "  --temperature T      sampling temperature, 0 to 2\n"
    "  --max-tokens N       the longest answer, in tokens\n"
    "  --e2ee               refuse to send unless the model is end-to-end encrypted\n"
    "  --tee-only           use an E2EE model without E2EE, on purpose: attested first,\n"
    "                       then the prompt in the clear over TLS to the enclave (the\n"
    "                       API layer in between can read it)\n"
    "  --json               print an OpenAI-style response object at the end instead of\n"
    "                       streaming the text (every choice)\n"
    "  --allow-plaintext    pass plaintext fields of an E2EE stream through (marked on\n"
    "                       stderr) instead of stopping with an error\n"
    "  --no-stream          ask a non-E2EE model for one complete response\n"
    "  --choices N          ask for N answers (the request's n, 1 to 16) and print them\n"
    "                       all at the end, each under a \"--- choice I ---\" line\n"
    "  --hide-reasoning     do not show the model's reasoning on stderr\n"
    "  -q, --quiet          no verification summary and no request id on stderr\n"
    "  --save-exchange DIR  write the exact request and response bodies to\n"
    "                       DIR/request.json and DIR/response.body, and the attestation\n"
    "                       the chat relied on to DIR/attestation.json (mode 0600), for\n"
    "                       p11tee signature --attestation ... --request ... --response ...\n"
    "The decrypted answer goes to stdout; reasoning, the verification summary and the\n"
    "request id go to stderr. A failed write to stdout stops the stream at once.\n"
    "When stdout is not a terminal, a chat takes " CLI_STR(
        CLI_BATCH_MAX_TIME_S) " s at most\n"
                              "unless --max-time says otherwise (0: no limit).\n";

/*
 * What must hold locally: the API key; the token too when one is configured
 * or the chat may be E2EE (an e2ee-* model, unless --tee-only).
 */
static unsigned chat_checks(const cli_global *g, const chat_opts *o, const char *model)
{
    cli_setting tok, mod, req;

    cli_setting_get(g, CLI_K_TOKEN, &tok);
    cli_setting_get(g, CLI_K_MODULE, &mod);
    cli_setting_get(g, CLI_K_REQUIRE_E2EE, &req);
    if (tok.value != NULL || mod.value != NULL ||
        (model != NULL && strncmp(model, "e2ee-", 5) == 0 && !o->tee_only) || o->require_e2ee ||
        (req.value != NULL && strcmp(req.value, "1") == 0))
        return P11TEE_CHECK_API_KEY | P11TEE_CHECK_TOKEN;
    return P11TEE_CHECK_API_KEY;
}

/* allow-plaintext, from --allow-plaintext or a file, is said once on stderr. */
static void chat_warn_plaintext(const cli_global *g, int flag)
{
    cli_setting s;

    cli_setting_get(g, CLI_K_ALLOW_PLAINTEXT, &s);
    if (flag)
        cli_warn("--allow-plaintext: unencrypted fields of an E2EE stream will be shown");
    else if (s.value != NULL && strcmp(s.value, "1") == 0)
        cli_warn("allow-plaintext (%s): unencrypted fields of an E2EE stream will be shown",
                 s.origin);
}

/* Options that do not go together; 0, or -1 after the usage text. */
static int chat_usage_ok(const chat_opts *o, int args)
{
    const char *why = NULL;

    if (o->model == NULL && o->request == NULL)
        why = "chat needs -m MODEL (or a --request naming its model)";
    else if (o->request != NULL &&
             (o->messages != NULL || o->system != NULL || args > 0 || o->interactive))
        why = "--request is the whole request: no --messages, --system, -i or PROMPT with it";
    else if (o->require_e2ee && o->tee_only)
        why = "--e2ee and --tee-only contradict each other";
    else if (o->interactive && (args > 0 || o->json || o->save != NULL || o->n > 1))
        why = "-i reads its turns from the terminal: no PROMPT, --json, --choices or "
              "--save-exchange";
    else if (o->interactive && !isatty(STDIN_FILENO))
        why = "chat -i needs a terminal on stdin (without one, use --messages)";
    else if (chat_check_sampling(o) != 0)
        return -1;
    if (why == NULL)
        return 0;
    cli_error("%s", why);
    fputs(chat_help, stderr);
    return -1;
}

/* The library options chat's own flags set. */
static void chat_library_options(p11tee_config *cfg, const chat_opts *o)
{
    if (o->allow_plaintext)
        p11tee_config_set(cfg, "allow-plaintext", "1", NULL);
    if (o->save != NULL)
        p11tee_config_set(cfg, "record-exchange", "1", NULL);
    if (o->require_e2ee)
        p11tee_config_set(cfg, "require-e2ee", "1", NULL);
    if (o->tee_only)
        p11tee_config_set(cfg, "tee-only", "1", NULL);
}

/*
 * A chat whose stdout is not a terminal has a total limit unless one was
 * set (CLI_BATCH_MAX_TIME_S: a server can keep a stream alive forever).
 */
static void chat_batch_limit(const cli_global *g, p11tee_config *cfg)
{
    cli_setting t;
    char ms[24];

    cli_setting_get(g, CLI_K_TIMEOUT, &t);
    if (t.value != NULL || isatty(STDOUT_FILENO))
        return;
    snprintf(ms, sizeof(ms), "%d", CLI_BATCH_MAX_TIME_S * 1000);
    p11tee_config_set(cfg, "timeout-ms", ms, NULL);
    if (g->verbose > 0)
        cli_note("* stdout is not a terminal: the chat may take %d s at most "
                 "(--max-time S to change, 0 for no limit)",
                 CLI_BATCH_MAX_TIME_S);
}

/*
 * The request text, read after the local checks: --request, or --messages
 * and the prompt. NULL after saying why; `*model` for --request.
 */
static char *chat_request(const cli_global *g, const p11tee_config *cfg, chat_opts *o,
                          json_object *history, int argc, char **argv, char **model)
{
    char *prompt, *req;
    size_t len = 0;

    if (o->request != NULL) {
        req = chat_request_load(o, model);
        /* The model was learnt from the request: a chat that may be E2EE checks the token. */
        if (req != NULL && o->model == NULL &&
            cli_config_check(cfg, chat_checks(g, o, *model)) != CLI_EXIT_OK) {
            free(req);
            return NULL;
        }
        return req;
    }
    if (history != NULL && argc == 0)
        return chat_request_build(o, history, NULL, 0);
    prompt = chat_prompt_read(argc, argv, &len);
    if (prompt == NULL)
        return NULL;
    req = chat_request_build(o, history, prompt, len);
    explicit_bzero(prompt, len);
    free(prompt);
    if (req == NULL)
        cli_error("out of memory");
    return req;
}

/* One request, its answer streamed. */
static int chat_once(p11tee_client *client, chat_state *st, const char *req)
{
    p11tee_chat_result *res = NULL;
    p11tee_error err;
    p11tee_status status;
    int rc;

    p11tee_error_clear(&err);
    status = p11tee_chat(client, req, strlen(req), &chat_events, st, &res, &err);
    rc = chat_finish(status, &err, st, res);
    if (st->o->save != NULL && res != NULL && chat_save_exchange(st->o->save, res) != 0 &&
        rc == CLI_EXIT_OK)
        rc = CLI_EXIT_GENERAL;
    p11tee_chat_result_free(res);
    return rc;
}

static int chat_run(cli_global *g, chat_opts *o, int argc, char **argv)
{
    p11tee_config *cfg;
    p11tee_client *client = NULL;
    json_object *history = NULL;
    p11tee_error err;
    chat_state st;
    char *req = NULL, *model = NULL;
    int rc = CLI_EXIT_OK;

    /* Every local setting first: nothing is read from stdin or sent before they hold. */
    if ((cfg = cli_config(g, &rc)) == NULL)
        return rc;
    chat_library_options(cfg, o);
    chat_batch_limit(g, cfg);
    if ((rc = cli_config_check(cfg, chat_checks(g, o, o->model))) != CLI_EXIT_OK)
        goto out;
    chat_warn_plaintext(g, o->allow_plaintext);
    rc = CLI_EXIT_GENERAL;
    if (o->messages != NULL && (history = chat_messages_load(o->messages)) == NULL)
        goto out;
    if (!o->interactive && (req = chat_request(g, cfg, o, history, argc, argv, &model)) == NULL)
        goto out;
    if (model != NULL)
        o->model = model;
    p11tee_error_clear(&err);
    if (p11tee_client_new(cfg, &client, &err) != P11TEE_OK) {
        rc = cli_fail(&err);
        goto out;
    }
    chat_state_init(&st, o);
    chat_interrupt_install();
    rc = o->interactive ? chat_interactive(client, &st, history) : chat_once(client, &st, req);
    chat_state_free(&st);
out:
    if (req != NULL)
        explicit_bzero(req, strlen(req));
    free(req);
    free(model);
    json_object_put(history);
    p11tee_client_free(client);
    p11tee_config_free(cfg);
    return rc;
}

int cmd_chat(cli_global *g, int argc, char **argv)
{
    enum {
        O_SYSTEM = 1,
        O_JSON,
        O_PLAIN,
        O_NOSTREAM,
        O_SAVE,
        O_E2EE,
        O_MESSAGES,
        O_REQUEST,
        O_TEMP,
        O_MAXTOK,
        O_HIDE,
        O_TEE_ONLY,
        O_CHOICES
    };
    static const struct option own[] = {{"model", required_argument, NULL, 'm'},
                                        {"system", required_argument, NULL, O_SYSTEM},
                                        {"json", no_argument, NULL, O_JSON},
                                        {"allow-plaintext", no_argument, NULL, O_PLAIN},
                                        {"no-stream", no_argument, NULL, O_NOSTREAM},
                                        {"save-exchange", required_argument, NULL, O_SAVE},
                                        {"e2ee", no_argument, NULL, O_E2EE},
                                        {"messages", required_argument, NULL, O_MESSAGES},
                                        {"request", required_argument, NULL, O_REQUEST},
                                        {"interactive", no_argument, NULL, 'i'},
                                        {"temperature", required_argument, NULL, O_TEMP},
                                        {"max-tokens", required_argument, NULL, O_MAXTOK},
                                        {"quiet", no_argument, NULL, 'q'},
                                        {"hide-reasoning", no_argument, NULL, O_HIDE},
                                        {"tee-only", no_argument, NULL, O_TEE_ONLY},
                                        {"choices", required_argument, NULL, O_CHOICES},
                                        {NULL, 0, NULL, 0}};
    struct option opts[CLI_OPTIONS_MAX];
    chat_opts o;
    int opt, rc;

    memset(&o, 0, sizeof(o));
    o.stream = 1;
    o.n = 1;
    cli_options(own, opts);
    while ((opt = getopt_long(argc, argv, CLI_GLOBAL_SHORT "m:iq", opts, NULL)) != -1) {
        switch (opt) {
        case 'm': o.model = optarg; break;
        case O_SYSTEM: o.system = optarg; break;
        case O_JSON: o.json = 1; break;
        case O_PLAIN: o.allow_plaintext = 1; break;
        case O_NOSTREAM: o.stream = 0; break;
        case O_SAVE: o.save = optarg; break;
        case O_E2EE: o.require_e2ee = 1; break;
        case O_MESSAGES: o.messages = optarg; break;
        case O_REQUEST: o.request = optarg; break;
        case 'i': o.interactive = 1; break;
        case O_TEMP: o.temperature = optarg; break;
        case O_MAXTOK: o.max_tokens = optarg; break;
        case 'q': o.quiet = 1; break;
        case O_HIDE: o.hide_reasoning = 1; break;
        case O_TEE_ONLY: o.tee_only = 1; break;
        case O_CHOICES:
            if ((o.n = chat_choices_option(optarg)) == 0)
                return CLI_EXIT_USAGE;
            break;
        default:
            if ((rc = cli_other_option(g, opt, chat_help)) >= 0)
                return rc;
        }
    }
    if (chat_usage_ok(&o, argc - optind) != 0)
        return CLI_EXIT_USAGE;
    return chat_run(g, &o, argc - optind, argv + optind);
}
