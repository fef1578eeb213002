/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* p11tee chat: one request, the answer streamed to stdout as it is decrypted. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/cli.h"

static const char chat_help[] =
    "Usage: p11tee chat -m MODEL [--system TEXT] [--json] [--e2ee | --tee-only]\n"
    "                   [--allow-plaintext] [--no-stream] [--choices N]\n"
    "                   [--save-exchange DIR] [PROMPT... | -]\n"
    "  -m, --model MODEL   the model; E2EE models are attested and end-to-end encrypted\n"
    "                      with keys in the token, TEE models attested\n"
    "  --system TEXT       a system message\n"
    "  PROMPT              the user message; read from stdin when - or absent (a prompt\n"
    "                      on the command line is visible to other local users)\n"
    "  --e2ee              refuse to send unless the model is end-to-end encrypted\n"
    "  --tee-only          use an E2EE model without E2EE, on purpose: attested first,\n"
    "                      then the prompt in the clear over TLS to the enclave (the\n"
    "                      API layer in between can read it)\n"
    "  --json              print an OpenAI-style response object at the end instead of\n"
    "                      streaming the text (every choice)\n"
    "  --allow-plaintext   pass plaintext fields of an E2EE stream through (marked on\n"
    "                      stderr) instead of stopping with an error\n"
    "  --no-stream         ask a non-E2EE model for one complete response\n"
    "  --choices N         ask for N answers (the request's n, 1 to 16) and print them\n"
    "                      all at the end, each under a \"--- choice I ---\" line\n"
    "  --save-exchange DIR write the exact request and response bodies to\n"
    "                      DIR/request.json and DIR/response.body, and the attestation\n"
    "                      the chat relied on to DIR/attestation.json (mode 0600), for\n"
    "                      p11tee signature --attestation ... --request ... --response ...\n"
    "The decrypted answer goes to stdout; reasoning, the verification summary and the\n"
    "request id go to stderr. When stdout is not a terminal, a chat takes\n"
    "" CLI_STR(CLI_BATCH_MAX_TIME_S) " s at most unless --max-time says otherwise (0: no limit).\n";

#define CHAT_PROMPT_MAX (4u * 1024 * 1024)

typedef struct chat_state {
    int json;
    int tty_out, tty_err;       /* where control characters are neutralised */
    p11tee_text_filter text[2]; /* per stream (0: stdout, 1: stderr), on terminals */
    int printed;                /* bytes of content written to stdout */
    int last_newline;           /* the last byte written to stdout was \n */
    int in_reasoning;           /* reasoning text is open on stderr */
    size_t plaintext;           /* fields passed through unencrypted */
    int all_choices;            /* --choices: every choice, printed at the end */
    int tee_only;               /* --tee-only */
} chat_state;

/*
 * A hostile server could steer the user's terminal (hide text, set the
 * clipboard, rewrite the screen) with control sequences inside the answer.
 * On a terminal they become U+FFFD (newline and tab stay); a character split
 * across two fields is completed, not broken. Files and pipes get the bytes.
 */
static void chat_write(FILE *out, int tty, p11tee_text_filter *f, const char *text, size_t len)
{
    char *buf;
    size_t n;

    if (!tty) {
        fwrite(text, 1, len, out);
        return;
    }
    buf = malloc(3 * len + 16);
    if (buf == NULL)
        return;
    n = p11tee_text_filter_run(f, text, len, buf);
    fwrite(buf, 1, n, out);
    free(buf);
}

static void chat_write_end(FILE *out, p11tee_text_filter *f)
{
    char tail[4];

    fwrite(tail, 1, p11tee_text_filter_finish(f, tail), out);
}

static void chat_on_attested(void *userdata, const p11tee_attestation *a)
{
    const chat_state *st = userdata;

    cli_attestation_summary(stderr, a);
    /* Attested, not yet sent: the last moment to say what TEE-only means. */
    if (st->tee_only)
        cli_warn("--tee-only: the prompt goes UNENCRYPTED (TLS only) to the attested enclave; "
                 "Venice's API layer in between can read it");
}

static int chat_on_text(void *userdata, size_t choice, p11tee_field field, const char *text,
                        size_t len, int plaintext)
{
    chat_state *st = userdata;

    if (choice != 0 || st->all_choices)
        return 0; /* kept in the result, printed at the end */

    if (plaintext) {
        if (st->plaintext++ == 0)
            cli_warn("the server sent UNENCRYPTED text inside the E2EE stream; it is passed "
                     "through because of --allow-plaintext");
        fprintf(stderr, "p11tee: [unencrypted field of %zu bytes follows on stdout]\n", len);
    }
    if (st->json || len == 0)
        return 0;
    if (field == P11TEE_FIELD_REASONING) {
        chat_write(stderr, st->tty_err, &st->text[1], text, len);
        st->in_reasoning = 1;
        return 0;
    }
    if (st->in_reasoning) {
        fputc('\n', stderr);
        st->in_reasoning = 0;
    }
    chat_write(stdout, st->tty_out, &st->text[0], text, len);
    fflush(stdout);
    st->printed = 1;
    st->last_newline = text[len - 1] == '\n';
    return 0;
}

/* Add `v` to object `o` (key != NULL) or array `o`; a NULL value or a failed add clears *ok. */
static void chat_add(json_object *o, const char *key, json_object *v, int *ok)
{
    if (o == NULL || v == NULL ||
        (key != NULL ? json_object_object_add(o, key, v) : json_object_array_add(o, v)) != 0) {
        json_object_put(v);
        *ok = 0;
    }
}

/*
 * The text of `req`, or NULL out of memory. json-c 0.16's serialiser drops
 * what it cannot append, and a prompt with a piece missing may still read
 * as JSON: the text must read back as the same document.
 */
static char *chat_request_text(json_object *req)
{
    size_t len = 0;
    const char *text = json_object_to_json_string_length(
        req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    json_object *back = text != NULL ? json_tokener_parse(text) : NULL;
    char *out = back != NULL && json_object_equal(req, back) ? strndup(text, len) : NULL;

    json_object_put(back);
    return out;
}

/* {"model": M, "messages": [{system}, {user}], "stream": S[, "n": N]}; NULL out of memory. */
static char *chat_request(const char *model, const char *system, const char *prompt,
                          size_t prompt_len, int stream, int n)
{
    json_object *req = json_object_new_object(), *msgs = json_object_new_array(), *m;
    char *out = NULL;
    int ok = req != NULL;

    chat_add(req, "model", json_object_new_string(model), &ok);
    if (system != NULL) {
        m = json_object_new_object();
        chat_add(m, "role", json_object_new_string("system"), &ok);
        chat_add(m, "content", json_object_new_string(system), &ok);
        chat_add(msgs, NULL, m, &ok);
    }
    m = json_object_new_object();
    chat_add(m, "role", json_object_new_string("user"), &ok);
    chat_add(m, "content", json_object_new_string_len(prompt, (int)prompt_len), &ok);
    chat_add(msgs, NULL, m, &ok);
    chat_add(req, "messages", msgs, &ok);
    chat_add(req, "stream", json_object_new_boolean(stream), &ok);
    if (n > 1)
        chat_add(req, "n", json_object_new_int(n), &ok);
    if (ok)
        out = chat_request_text(req);
    json_object_put(req);
    return out;
}

/* The prompt: the arguments joined by spaces, or stdin for "-" or none. */
static char *chat_prompt(int argc, char **argv, size_t *len)
{
    size_t total = 0, i;
    char *p;

    if (argc == 0 || (argc == 1 && strcmp(argv[0], "-") == 0))
        return cli_read_file("-", CHAT_PROMPT_MAX, len);
    for (i = 0; i < (size_t)argc; i++)
        total += strlen(argv[i]) + 1;
    p = malloc(total);
    if (p == NULL)
        return NULL;
    p[0] = '\0';
    for (i = 0; i < (size_t)argc; i++) {
        if (i > 0)
            strcat(p, " ");
        strcat(p, argv[i]);
    }
    *len = strlen(p);
    return p;
}

/* Write `len` bytes to DIR/NAME, readable by the owner only. */
static int chat_save_file(const char *dir, const char *name, const uint8_t *data, size_t len)
{
    char path[4096];
    struct stat st;
    int fd, ok;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        cli_error("cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    /* A file that existed keeps its mode on O_CREAT: make it ours alone before writing. */
    if (fstat(fd, &st) != 0 || st.st_uid != geteuid() || fchmod(fd, 0600) != 0) {
        cli_error("%s is not owned by this user or cannot be made private", path);
        close(fd);
        return -1;
    }
    ok = len == 0 || write(fd, data, len) == (ssize_t)len;
    if (close(fd) != 0 || !ok) {
        cli_error("cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* --save-exchange: the bodies as the server's signature hashes them. */
static int chat_save_exchange(const char *dir, const p11tee_chat_result *res)
{
    const uint8_t *req, *resp;
    size_t req_len, resp_len;
    struct stat st;
    char *att;

    if (res == NULL || p11tee_chat_result_exchange(res, &req, &req_len, &resp, &resp_len) != 0) {
        cli_warn("the exchange was not recorded (a body exceeded 64 MiB, or nothing was sent)");
        return -1;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        cli_error("cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    /* Others must not be able to swap the files (the request may be a TEE prompt in clear). */
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        cli_error("%s must be a directory of this user that nobody else can write to", dir);
        return -1;
    }
    if (chat_save_file(dir, "request.json", req, req_len) != 0 ||
        chat_save_file(dir, "response.body", resp, resp_len) != 0)
        return -1;
    /* Keys rotate: the signature is checked against the attestation current at the time. */
    att = p11tee_chat_result_attestation(res) != NULL
              ? p11tee_attestation_save(p11tee_chat_result_attestation(res))
              : NULL;
    if (att != NULL &&
        chat_save_file(dir, "attestation.json", (const uint8_t *)att, strlen(att)) != 0) {
        free(att);
        return -1;
    }
    cli_note("saved the exact request and response bodies%s in %s/",
             att != NULL ? " and the attestation they relied on" : "", dir);
    free(att);
    return 0;
}

/* --choices: every choice, one after the other, reasoning on stderr. */
static void chat_print_choices(chat_state *st, const p11tee_chat_result *res)
{
    size_t i, n = p11tee_chat_result_choices(res), len;
    const char *text;

    for (i = 0; i < n; i++) {
        printf("--- choice %zu ---\n", i);
        text = p11tee_chat_result_text(res, i, P11TEE_FIELD_REASONING, &len);
        if (len > 0) {
            fprintf(stderr, "--- choice %zu reasoning ---\n", i);
            chat_write(stderr, st->tty_err, &st->text[1], text, len);
            chat_write_end(stderr, &st->text[1]);
            fputc('\n', stderr);
        }
        text = p11tee_chat_result_text(res, i, P11TEE_FIELD_CONTENT, &len);
        chat_write(stdout, st->tty_out, &st->text[0], text, len);
        chat_write_end(stdout, &st->text[0]);
        if (len == 0 || text[len - 1] != '\n')
            fputc('\n', stdout);
    }
}

/* What the user must hear about a result beyond its text. */
static void chat_result_notes(const chat_state *st, const p11tee_chat_result *res)
{
    size_t dropped = p11tee_chat_result_dropped_reasoning(res);

    if (dropped > 0)
        cli_warn("PRIVACY FAILURE of the server: %zu reasoning field%s arrived UNENCRYPTED "
                 "inside the E2EE stream (dropped, never shown); the answer itself was "
                 "encrypted",
                 dropped, dropped == 1 ? "" : "s");
    if (!st->all_choices && !st->json && p11tee_chat_result_choices(res) > 1)
        cli_note("the server sent %zu choices; choice 0 is shown (--choices shows all, --json "
                 "returns all)",
                 p11tee_chat_result_choices(res));
    cli_note("request %s (%s%s%s)",
             p11tee_chat_result_id(res) ? p11tee_chat_result_id(res) : "without id",
             p11tee_chat_result_e2ee(res) ? "end-to-end encrypted, keys in the token"
             : p11tee_chat_result_tee_only(res)
                 ? "TEE-only on purpose: NOT end-to-end encrypted, readable by the API layer"
                 : "not end-to-end encrypted",
             st->plaintext ? ", SOME FIELDS ARRIVED UNENCRYPTED" : "",
             dropped ? ", REASONING ARRIVED UNENCRYPTED (dropped)" : "");
    if (p11tee_chat_result_integrity(res) != NULL)
        cli_note("stream integrity: %s", p11tee_chat_result_integrity(res));
}

static int chat_finish(p11tee_status rc, const p11tee_error *err, chat_state *st,
                       p11tee_chat_result *res)
{
    char *json;

    /* A character still incomplete at the end is no character: shown replaced. */
    chat_write_end(stdout, &st->text[0]);
    chat_write_end(stderr, &st->text[1]);
    if (st->in_reasoning)
        fputc('\n', stderr);
    if (st->printed && !st->last_newline)
        fputc('\n', stdout);
    if (rc == P11TEE_OK && st->all_choices && !st->json)
        chat_print_choices(st, res);
    fflush(stdout);
    if (rc == P11TEE_OK && st->json && (json = p11tee_chat_result_json(res)) != NULL) {
        puts(json);
        free(json);
    }
    if (res != NULL)
        chat_result_notes(st, res);
    if (rc == P11TEE_OK)
        return CLI_EXIT_OK;
    if (st->printed)
        cli_warn("the output above is incomplete");
    return cli_fail(err);
}

/* --choices N: 1 to P11TEE_CHOICES_MAX; 0 after saying what is wrong. */
static int chat_choices_option(const char *arg)
{
    char *end;
    long n = strtol(arg, &end, 10);

    if (end == arg || *end != '\0' || n < 1 || n > P11TEE_CHOICES_MAX) {
        cli_error("--choices wants a number from 1 to %d, not \"%s\"", P11TEE_CHOICES_MAX, arg);
        return 0;
    }
    return (int)n;
}

int cmd_chat(cli_global *g, int argc, char **argv)
{
    static const struct option own[] = {
        {"model", required_argument, NULL, 'm'},   {"system", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},          {"allow-plaintext", no_argument, NULL, 'P'},
        {"no-stream", no_argument, NULL, 'N'},     {"save-exchange", required_argument, NULL, 'X'},
        {"e2ee", no_argument, NULL, 'E'},          {"tee-only", no_argument, NULL, 'T'},
        {"choices", required_argument, NULL, 'C'}, {NULL, 0, NULL, 0}};
    static const p11tee_chat_events events = {.on_attested = chat_on_attested,
                                              .on_text = chat_on_text};
    struct option opts[CLI_OPTIONS_MAX];
    const char *model = NULL, *system = NULL, *save = NULL;
    int opt, r, rc = CLI_EXIT_OK, allow_plaintext = 0, stream = 1, require_e2ee = 0, n = 1;
    chat_state st;
    p11tee_config *cfg = NULL;
    p11tee_client *client = NULL;
    p11tee_chat_result *res = NULL;
    p11tee_error err;
    p11tee_status status;
    char *prompt, *req;
    size_t prompt_len = 0;

    memset(&st, 0, sizeof(st));
    st.tty_out = isatty(STDOUT_FILENO);
    st.tty_err = isatty(STDERR_FILENO);
    p11tee_text_filter_init(&st.text[0], P11TEE_TEXT_KEEP_NEWLINES);
    p11tee_text_filter_init(&st.text[1], P11TEE_TEXT_KEEP_NEWLINES);
    cli_options(own, opts);
    while ((opt = getopt_long(argc, argv, CLI_GLOBAL_SHORT "m:", opts, NULL)) != -1) {
        switch (opt) {
        case 'm': model = optarg; break;
        case 's': system = optarg; break;
        case 'j': st.json = 1; break;
        case 'P': allow_plaintext = 1; break;
        case 'N': stream = 0; break;
        case 'X': save = optarg; break;
        case 'E': require_e2ee = 1; break;
        case 'T': st.tee_only = 1; break;
        case 'C':
            if ((n = chat_choices_option(optarg)) == 0)
                return CLI_EXIT_USAGE;
            st.all_choices = n > 1;
            break;
        default:
            if ((r = cli_other_option(g, opt, chat_help)) >= 0)
                return r;
        }
    }
    if (model == NULL) {
        fputs(chat_help, stderr);
        return CLI_EXIT_USAGE;
    }
    if (require_e2ee && st.tee_only) {
        cli_error("--e2ee and --tee-only contradict each other");
        return CLI_EXIT_USAGE;
    }
    prompt = chat_prompt(argc - optind, argv + optind, &prompt_len);
    if (prompt == NULL)
        return CLI_EXIT_GENERAL;
    req = chat_request(model, system, prompt, prompt_len, stream, n);
    free(prompt);
    if (req == NULL) {
        cli_error("out of memory building the request");
        return CLI_EXIT_GENERAL;
    }
    p11tee_error_clear(&err);
    cfg = cli_config(g, &rc);
    if (cfg != NULL && allow_plaintext) {
        cli_warn("--allow-plaintext: unencrypted fields of an E2EE stream will be shown");
        p11tee_config_set(cfg, "allow-plaintext", "1", NULL);
    }
    if (cfg != NULL && save != NULL)
        p11tee_config_set(cfg, "record-exchange", "1", NULL);
    if (cfg != NULL && require_e2ee)
        p11tee_config_set(cfg, "require-e2ee", "1", NULL);
    if (cfg != NULL && st.tee_only)
        p11tee_config_set(cfg, "tee-only", "1", NULL);
    if (cfg != NULL && !st.tty_out &&
        cli_value(cli_global_settings, &g->values, CLI_G_MAX_TIME) == NULL) {
        char ms[24];

        snprintf(ms, sizeof(ms), "%d", CLI_BATCH_MAX_TIME_S * 1000);
        p11tee_config_set(cfg, "timeout-ms", ms, NULL);
        if (g->values.n[CLI_G_VERBOSE] > 0)
            cli_note("* stdout is not a terminal: the chat may take %d s at most "
                     "(--max-time S to change, 0 for no limit)",
                     CLI_BATCH_MAX_TIME_S);
    }
    if (cfg == NULL || p11tee_client_new(cfg, &client, &err) != P11TEE_OK) {
        if (cfg != NULL)
            rc = cli_fail(&err);
        p11tee_config_free(cfg);
        free(req);
        return rc;
    }
    status = p11tee_chat(client, req, strlen(req), &events, &st, &res, &err);
    rc = chat_finish(status, &err, &st, res);
    if (save != NULL && res != NULL && chat_save_exchange(save, res) != 0 && rc == CLI_EXIT_OK)
        rc = CLI_EXIT_GENERAL;
    p11tee_chat_result_free(res);
    p11tee_client_free(client);
    p11tee_config_free(cfg);
    free(req);
    return rc;
}
