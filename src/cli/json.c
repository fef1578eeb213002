/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * --json: what a script reads on stdout. A command's result is one JSON
 * document; a failure is one too: {"error": {...}} on its own, or an
 * "error" member inside the document the command printed (an attestation
 * report whose verdict failed). The last error reported (cli_fail,
 * cli_error) is kept for that, and main() prints it when the command did
 * not (cli_json_finish).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static struct {
    int on;
    int done; /* the failure is on stdout already */
    p11tee_status code;
    char message[P11TEE_ERROR_MESSAGE_MAX + 1024];
    char detail[P11TEE_ERROR_DETAIL_MAX];
} js;

void cli_json_set(int on)
{
    js.on = on;
}

int cli_json_is_on(void)
{
    return js.on;
}

void cli_json_note_error(const char *message, const p11tee_error *err)
{
    if (err != NULL) {
        js.code = err->code;
        snprintf(js.detail, sizeof(js.detail), "%s", err->detail);
    } else {
        js.code = P11TEE_OK;
        js.detail[0] = '\0';
    }
    snprintf(js.message, sizeof(js.message), "%s", message);
}

void cli_json_print(json_object *doc)
{
    fputs(json_object_to_json_string_ext(doc,
                                         JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE),
          stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

/* {"code", "status", "exit", "message", "detail"}; texts made valid one-line UTF-8. */
static json_object *json_error_object(int exit_code)
{
    json_object *e = json_object_new_object();
    char text[3 * sizeof(js.message) + 16];
    p11tee_text_filter f;
    size_t n;

    json_object_object_add(e, "exit", json_object_new_int(exit_code));
    if (js.code != P11TEE_OK) {
        json_object_object_add(e, "code", json_object_new_int((int)js.code));
        json_object_object_add(e, "status", json_object_new_string(p11tee_strerror(js.code)));
    }
    p11tee_text_filter_init(&f, 0);
    n = p11tee_text_filter_run(&f, js.message, strlen(js.message), text);
    n += p11tee_text_filter_finish(&f, text + n);
    json_object_object_add(e, "message", json_object_new_string_len(text, (int)n));
    if (js.detail[0] != '\0') {
        p11tee_text_filter_init(&f, 0);
        n = p11tee_text_filter_run(&f, js.detail, strlen(js.detail), text);
        n += p11tee_text_filter_finish(&f, text + n);
        json_object_object_add(e, "detail", json_object_new_string_len(text, (int)n));
    }
    return e;
}

void cli_json_add_error(json_object *doc, int exit_code)
{
    json_object_object_add(doc, "error", json_error_object(exit_code));
    js.done = 1;
}

void cli_json_finish(int exit_code)
{
    json_object *doc;

    if (!js.on || exit_code == CLI_EXIT_OK || js.done)
        return;
    if (js.message[0] == '\0')
        snprintf(js.message, sizeof(js.message), "%s",
                 exit_code == CLI_EXIT_USAGE ? "usage error (the command's --help says how)"
                                             : "failed");
    doc = json_object_new_object();
    cli_json_add_error(doc, exit_code);
    cli_json_print(doc);
    json_object_put(doc);
}

void cli_json_print_text(const char *text, int exit_code)
{
    json_object *doc = json_tokener_parse(text);

    if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
        /* The library's own JSON always parses; keep stdout one document regardless. */
        json_object_put(doc);
        fputs(text, stdout);
        fputc('\n', stdout);
        js.done = exit_code != CLI_EXIT_OK;
        return;
    }
    if (exit_code != CLI_EXIT_OK)
        cli_json_add_error(doc, exit_code);
    cli_json_print(doc);
    json_object_put(doc);
}
