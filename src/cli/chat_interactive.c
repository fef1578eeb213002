/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * p11tee chat -i: a conversation on the terminal. Each line typed is a turn;
 * the request carries the whole history (every earlier question and
 * answer), which lives in this process's memory only: nothing is written to
 * disk, and the texts are wiped when the session ends. Ctrl-D (or /quit)
 * ends it. The session is attested once and reused (the client's cache).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/chat.h"

#define CHAT_LINE_MAX (256u * 1024)

/* One line from the terminal without its newline; NULL at Ctrl-D or on error. */
static char *chat_line(size_t *len)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    fputs("> ", stderr);
    fflush(stderr);
    n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        fputc('\n', stderr);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if ((size_t)n > CHAT_LINE_MAX) {
        cli_error("a line is limited to %u bytes", CHAT_LINE_MAX);
        explicit_bzero(line, cap);
        free(line);
        *len = 0;
        return strdup("");
    }
    *len = (size_t)n;
    return line;
}

/* Wipe the texts of the history before it is freed. */
static void chat_history_wipe(json_object *history)
{
    size_t i;
    json_object *c;

    for (i = 0; i < json_object_array_length(history); i++)
        if (json_object_object_get_ex(json_object_array_get_idx(history, i), "content", &c) &&
            json_object_is_type(c, json_type_string))
            explicit_bzero((char *)json_object_get_string(c),
                           (size_t)json_object_get_string_len(c));
}

/* One turn: the line as the user message after the history; the answer joins it. */
static int chat_turn(p11tee_client *client, chat_state *st, json_object *history, const char *line,
                     size_t len)
{
    p11tee_chat_result *res = NULL;
    p11tee_error err;
    p11tee_status status;
    char *req = chat_request_build(st->o, history, line, len);
    int rc;

    if (req == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_GENERAL;
    }
    p11tee_error_clear(&err);
    chat_state_next(st);
    status = p11tee_chat(client, req, strlen(req), &chat_events, st, &res, &err);
    explicit_bzero(req, strlen(req));
    free(req);
    rc = chat_finish(status, &err, st, res);
    if (rc == CLI_EXIT_OK) {
        chat_messages_add(history, "user", line, len);
        chat_messages_add(history, "assistant", st->answer != NULL ? st->answer : "",
                          st->answer_len);
    }
    p11tee_chat_result_free(res);
    return rc;
}

int chat_interactive(p11tee_client *client, chat_state *st, json_object *history)
{
    json_object *h = history != NULL ? json_object_get(history) : json_object_new_array();
    char *line;
    size_t len;
    int rc = CLI_EXIT_OK;

    st->keep_answer = 1;
    fprintf(stderr,
            "p11tee: chatting with %s; one line per turn, Ctrl-D or /quit ends. The "
            "conversation stays in memory only.\n",
            st->o->model);
    while ((line = chat_line(&len)) != NULL) {
        if (strcmp(line, "/quit") == 0 || strcmp(line, "/exit") == 0) {
            free(line);
            break;
        }
        if (len > 0) {
            rc = chat_turn(client, st, h, line, len);
            /* A failure of the session's own machinery ends it; a refused turn does not. */
            if (rc == CLI_EXIT_GENERAL && st->write_errno != 0) {
                explicit_bzero(line, len);
                free(line);
                break;
            }
        }
        explicit_bzero(line, len);
        free(line);
    }
    chat_history_wipe(h);
    json_object_put(h);
    return st->write_errno != 0 ? CLI_EXIT_GENERAL : rc;
}
