/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The answer of p11tee chat: content on stdout as it is decrypted,
 * reasoning, the verification summary and the request id on stderr. When
 * stdout cannot take more (a full disk, a closed pipe) the stream is
 * stopped at once, so that no more is fetched or opened in the token.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/chat.h"

/* The request went out (or its answer is arriving): Ctrl-C then says it cut it. */
static volatile sig_atomic_t chat_streaming;

/*
 * Ctrl-C: say the answer was cut (only write() and _exit() here: both are
 * async-signal-safe) and exit 130 at once. The token's session keys are
 * session objects: they vanish with the process; nothing more is fetched
 * or opened in the token.
 */
static void chat_on_interrupt(int sig)
{
    static const char marker[] = "\np11tee: [interrupted]\n";
    ssize_t w;

    (void)sig;
    if (chat_streaming)
        w = write(STDERR_FILENO, marker, sizeof(marker) - 1);
    (void)w;
    _exit(CLI_EXIT_INTERRUPTED);
}

void chat_interrupt_install(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = chat_on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

void chat_state_init(chat_state *st, const chat_opts *o)
{
    memset(st, 0, sizeof(*st));
    st->o = o;
    st->tty_out = isatty(STDOUT_FILENO);
    st->tty_err = isatty(STDERR_FILENO);
    p11tee_text_filter_init(&st->text[0], P11TEE_TEXT_KEEP_NEWLINES);
    p11tee_text_filter_init(&st->text[1], P11TEE_TEXT_KEEP_NEWLINES);
}

void chat_state_next(chat_state *st)
{
    chat_streaming = 0;
    if (st->answer != NULL)
        explicit_bzero(st->answer, st->answer_cap);
    st->answer_len = 0;
    st->printed = st->last_newline = st->in_reasoning = 0;
    st->plaintext = 0;
}

void chat_state_free(chat_state *st)
{
    chat_state_next(st);
    free(st->answer);
    st->answer = NULL;
    st->answer_cap = 0;
}

/*
 * A hostile server could steer the user's terminal (hide text, set the
 * clipboard, rewrite the screen) with control sequences inside the answer.
 * On a terminal they become U+FFFD (newline and tab stay); a character split
 * across two fields is completed, not broken. Files and pipes get the bytes.
 * 0, or -1 when the stream could not be written.
 */
static int chat_write(FILE *out, int tty, p11tee_text_filter *f, const char *text, size_t len)
{
    char *buf;
    size_t n;

    if (!tty)
        return fwrite(text, 1, len, out) == len ? 0 : -1;
    buf = malloc(3 * len + 16);
    if (buf == NULL)
        return -1;
    n = p11tee_text_filter_run(f, text, len, buf);
    n = fwrite(buf, 1, n, out) == n ? 0 : 1;
    free(buf);
    return n == 0 ? 0 : -1;
}

static void chat_write_end(FILE *out, p11tee_text_filter *f)
{
    char tail[4];

    fwrite(tail, 1, p11tee_text_filter_finish(f, tail), out);
}

static void chat_on_attested(void *userdata, const p11tee_attestation *a)
{
    chat_state *st = userdata;

    if (!st->o->quiet && !st->attested_shown)
        cli_attestation_summary(stderr, a);
    /* Attested, not yet sent: the last moment to say what TEE-only means. */
    if (st->o->tee_only && !st->attested_shown)
        cli_warn("--tee-only: the prompt goes UNENCRYPTED (TLS only) to the attested enclave; "
                 "Venice's API layer in between can read it");
    st->attested_shown = 1;
    chat_streaming = 1;
}

/* -i keeps the answer for the next turn's history. */
static int chat_keep(chat_state *st, const char *text, size_t len)
{
    size_t cap = st->answer_cap ? st->answer_cap : 4096;
    char *grown;

    while (cap < st->answer_len + len + 1)
        cap *= 2;
    if (cap != st->answer_cap) {
        if ((grown = malloc(cap)) == NULL)
            return -1;
        if (st->answer != NULL) {
            memcpy(grown, st->answer, st->answer_len);
            explicit_bzero(st->answer, st->answer_cap);
            free(st->answer);
        }
        st->answer = grown;
        st->answer_cap = cap;
    }
    memcpy(st->answer + st->answer_len, text, len);
    st->answer_len += len;
    st->answer[st->answer_len] = '\0';
    return 0;
}

/* Content to stdout; a failed write stops the stream (non-zero return). */
static int chat_content(chat_state *st, const char *text, size_t len)
{
    if (st->in_reasoning) {
        fputc('\n', stderr);
        st->in_reasoning = 0;
    }
    if (chat_write(stdout, st->tty_out, &st->text[0], text, len) != 0 || fflush(stdout) != 0) {
        st->write_errno = errno != 0 ? errno : EIO;
        return 1;
    }
    st->printed = 1;
    st->last_newline = text[len - 1] == '\n';
    return st->keep_answer && chat_keep(st, text, len) != 0;
}

static int chat_on_text(void *userdata, size_t choice, p11tee_field field, const char *text,
                        size_t len, int plaintext)
{
    chat_state *st = userdata;

    chat_streaming = 1;
    if (choice != 0 || st->o->n > 1)
        return 0; /* kept in the result, printed at the end */
    if (plaintext) {
        if (st->plaintext++ == 0)
            cli_warn("the server sent UNENCRYPTED text inside the E2EE stream; it is passed "
                     "through because of allow-plaintext");
        fprintf(stderr, "p11tee: [unencrypted field of %zu bytes follows on stdout]\n", len);
    }
    if (st->o->json || len == 0)
        return 0;
    if (field == P11TEE_FIELD_REASONING) {
        if (st->o->hide_reasoning)
            return 0;
        chat_write(stderr, st->tty_err, &st->text[1], text, len);
        st->in_reasoning = 1;
        return 0;
    }
    errno = 0;
    return chat_content(st, text, len);
}

const p11tee_chat_events chat_events = {.on_attested = chat_on_attested, .on_text = chat_on_text};

/* --choices: every choice, one after the other, reasoning on stderr. */
static void chat_print_choices(chat_state *st, const p11tee_chat_result *res)
{
    size_t i, n = p11tee_chat_result_choices(res), len;
    const char *text;

    for (i = 0; i < n; i++) {
        printf("--- choice %zu ---\n", i);
        text = p11tee_chat_result_text(res, i, P11TEE_FIELD_REASONING, &len);
        if (len > 0 && !st->o->hide_reasoning) {
            fprintf(stderr, "--- choice %zu reasoning ---\n", i);
            chat_write(stderr, st->tty_err, &st->text[1], text, len);
            chat_write_end(stderr, &st->text[1]);
            fputc('\n', stderr);
        }
        text = p11tee_chat_result_text(res, i, P11TEE_FIELD_CONTENT, &len);
        if (chat_write(stdout, st->tty_out, &st->text[0], text, len) != 0) {
            st->write_errno = errno != 0 ? errno : EIO;
            return;
        }
        chat_write_end(stdout, &st->text[0]);
        if (len == 0 || text[len - 1] != '\n')
            fputc('\n', stdout);
    }
}

/* What the user must hear about a result beyond its text (-q keeps the warnings). */
static void chat_result_notes(const chat_state *st, const p11tee_chat_result *res)
{
    size_t dropped = p11tee_chat_result_dropped_reasoning(res);

    if (dropped > 0)
        cli_warn("PRIVACY FAILURE of the server: %zu reasoning field%s arrived UNENCRYPTED "
                 "inside the E2EE stream (dropped, never shown); the answer itself was "
                 "encrypted",
                 dropped, dropped == 1 ? "" : "s");
    if (st->o->quiet)
        return;
    if (st->o->n <= 1 && !st->o->json && p11tee_chat_result_choices(res) > 1)
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

int chat_finish(p11tee_status rc, const p11tee_error *err, chat_state *st, p11tee_chat_result *res)
{
    char *json;

    /* A character still incomplete at the end is no character: shown replaced. */
    chat_write_end(stdout, &st->text[0]);
    chat_write_end(stderr, &st->text[1]);
    if (st->in_reasoning)
        fputc('\n', stderr);
    if (st->printed && !st->last_newline)
        fputc('\n', stdout);
    if (rc == P11TEE_OK && st->o->n > 1 && !st->o->json)
        chat_print_choices(st, res);
    if (fflush(stdout) != 0 && st->write_errno == 0)
        st->write_errno = errno != 0 ? errno : EIO;
    if (rc == P11TEE_OK && st->o->json && (json = p11tee_chat_result_json(res)) != NULL) {
        cli_json_print_text(json, CLI_EXIT_OK);
        free(json);
    }
    if (res != NULL)
        chat_result_notes(st, res);
    if (st->write_errno != 0) {
        cli_error("cannot write the answer to stdout: %s; the stream was stopped",
                  strerror(st->write_errno));
        return CLI_EXIT_GENERAL;
    }
    if (rc == P11TEE_OK)
        return CLI_EXIT_OK;
    if (st->printed)
        cli_warn("the output above is incomplete");
    return cli_fail(err);
}
