/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * p11tee chat, private to its files: cmd_chat.c (options, one request),
 * chat_input.c (the request: prompt, --messages, --request, sampling
 * options), chat_output.c (the answer on stdout and stderr, stopping when
 * stdout fails), chat_interactive.c (-i), chat_save.c (--save-exchange).
 */
#ifndef P11TEE_CLI_CHAT_H
#define P11TEE_CLI_CHAT_H

#include <stddef.h>

#include <json-c/json.h>

#include "cli/cli.h"

#define CHAT_PROMPT_MAX (4u * 1024 * 1024) /* a prompt, a messages file, a request */

typedef struct chat_opts {
    const char *model;       /* -m; may be NULL with --request (then the request's) */
    const char *system;      /* --system */
    const char *messages;    /* --messages FILE */
    const char *request;     /* --request FILE or - */
    const char *save;        /* --save-exchange DIR */
    const char *temperature; /* --temperature, checked */
    const char *max_tokens;  /* --max-tokens, checked */
    int json, stream, interactive, quiet, hide_reasoning, allow_plaintext, require_e2ee;
    int tee_only; /* --tee-only: an E2EE model without E2EE, on purpose */
    int n;        /* --choices: answers asked for (the request's n); 1 by default */
} chat_opts;

/* ---- chat_input.c ----------------------------------------------------------- */

/* --temperature and --max-tokens: 0, or -1 after saying what is wrong. */
int chat_check_sampling(const chat_opts *o);
/* --choices N: 1 to P11TEE_CHOICES_MAX; 0 after saying what is wrong. */
int chat_choices_option(const char *arg);
/* A --messages file: a JSON array of {"role", "content"} objects; NULL after saying why. */
json_object *chat_messages_load(const char *path);
/*
 * The prompt: the arguments joined by spaces, or stdin for "-" or none. On a
 * terminal, a hint says so and one Ctrl-D ends it. NULL after saying why.
 */
char *chat_prompt_read(int argc, char **argv, size_t *len);
/* A message {"role": ROLE, "content": TEXT} appended to `messages`. */
void chat_messages_add(json_object *messages, const char *role, const char *text, size_t len);
/*
 * The request: --system, then `history` (may be NULL), then the prompt (NULL:
 * none), the sampling options and "stream". malloc'd JSON text; NULL: no memory.
 */
char *chat_request_build(const chat_opts *o, json_object *history, const char *prompt,
                         size_t prompt_len);
/* --request: the whole request, -m and the sampling options applied; NULL after saying why. */
char *chat_request_load(const chat_opts *o, char **model);

/* ---- chat_output.c ----------------------------------------------------------- */

typedef struct chat_state {
    const chat_opts *o;
    int tty_out, tty_err;       /* where control characters are neutralised */
    p11tee_text_filter text[2]; /* per stream (0: stdout, 1: stderr), on terminals */
    int printed;                /* content was written to stdout */
    int last_newline;           /* the last byte written to stdout was \n */
    int in_reasoning;           /* reasoning text is open on stderr */
    int attested_shown;         /* the verification summary was printed */
    size_t plaintext;           /* fields passed through unencrypted */
    int write_errno;            /* stdout failed with this: the stream was stopped */
    char *answer;               /* -i: the content so far, for the history */
    size_t answer_len, answer_cap;
    int keep_answer;
} chat_state;

void chat_state_init(chat_state *st, const chat_opts *o);
/*
 * Ctrl-C from now on: mid-stream it prints "[interrupted]" on stderr; it
 * exits 130 at once either way.
 */
void chat_interrupt_install(void);
/* Forget the answer (cleansed) and the per-answer state, for the next turn. */
void chat_state_next(chat_state *st);
void chat_state_free(chat_state *st);
extern const p11tee_chat_events chat_events;
/* End the answer's output, report the outcome; the exit code. */
int chat_finish(p11tee_status rc, const p11tee_error *err, chat_state *st, p11tee_chat_result *res);

/* ---- chat_save.c ---------------------------------------------------------------- */

/* --save-exchange: the bodies as the server's signature hashes them; 0 or -1 (said why). */
int chat_save_exchange(const char *dir, const p11tee_chat_result *res);

/* ---- chat_interactive.c ---------------------------------------------------------- */

/* -i: turns read from the terminal until Ctrl-D; `history` may be NULL. The exit code. */
int chat_interactive(p11tee_client *client, chat_state *st, json_object *history);

#endif /* P11TEE_CLI_CHAT_H */
