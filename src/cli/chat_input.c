/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The request of p11tee chat: a prompt from the arguments or stdin (on a
 * terminal one Ctrl-D ends it), earlier turns from --messages, or the whole
 * request from --request, with --system, --temperature and --max-tokens.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/chat.h"

int chat_check_sampling(const chat_opts *o)
{
    char *end;
    double t;
    long n;

    if (o->temperature != NULL) {
        errno = 0;
        t = strtod(o->temperature, &end);
        if (errno != 0 || end == o->temperature || *end != '\0' || !(t >= 0) || t > 2) {
            cli_error("--temperature wants a number from 0 to 2, not \"%s\"", o->temperature);
            return -1;
        }
    }
    if (o->max_tokens != NULL) {
        errno = 0;
        n = strtol(o->max_tokens, &end, 10);
        if (errno != 0 || end == o->max_tokens || *end != '\0' || n < 1 || n > 1000000000L) {
            cli_error("--max-tokens wants a whole number from 1 to 1000000000, not \"%s\"",
                      o->max_tokens);
            return -1;
        }
    }
    return 0;
}

int chat_choices_option(const char *arg)
{
    char *end;
    long n = strtol(arg, &end, 10);

    if (end == arg || *end != '\0' || n < 1 || n > P11TEE_CHOICES_MAX) {
        cli_error("--choices wants a number from 1 to %d, not \"%s\"", P11TEE_CHOICES_MAX, arg);
        return 0;
    }
    return (int)n;
}

/*
 * stdin on a terminal in canonical mode: read() returns a line, or what was
 * typed before Ctrl-D. A read that ends without a newline and before the
 * buffer filled was Ctrl-D, so one Ctrl-D ends the prompt, also after text.
 */
static char *chat_read_tty(size_t *len)
{
    char *buf = malloc(CHAT_PROMPT_MAX + 1);
    size_t n = 0, want;
    ssize_t r;

    if (buf == NULL) {
        cli_error("out of memory reading the prompt");
        return NULL;
    }
    fprintf(stderr, "p11tee: reading the prompt from the terminal; end it with Ctrl-D\n");
    for (;;) {
        want = CHAT_PROMPT_MAX - n < 4096 ? CHAT_PROMPT_MAX - n : 4096;
        if (want == 0) {
            cli_error("the prompt is larger than %u bytes", CHAT_PROMPT_MAX);
            free(buf);
            return NULL;
        }
        r = read(STDIN_FILENO, buf + n, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            cli_error("cannot read the prompt: %s", strerror(errno));
            free(buf);
            return NULL;
        }
        n += (size_t)r;
        if (r == 0 || ((size_t)r < want && buf[n - 1] != '\n'))
            break;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

char *chat_prompt_read(int argc, char **argv, size_t *len)
{
    size_t total = 0, i;
    char *p;

    if (argc == 0 || (argc == 1 && strcmp(argv[0], "-") == 0))
        return isatty(STDIN_FILENO) ? chat_read_tty(len) : cli_read_file("-", CHAT_PROMPT_MAX, len);
    for (i = 0; i < (size_t)argc; i++)
        total += strlen(argv[i]) + 1;
    p = malloc(total);
    if (p == NULL) {
        cli_error("out of memory");
        return NULL;
    }
    p[0] = '\0';
    for (i = 0; i < (size_t)argc; i++) {
        if (i > 0)
            strcat(p, " ");
        strcat(p, argv[i]);
    }
    *len = strlen(p);
    return p;
}

/* A message as the API takes it: a role, and content that is text or an array of parts. */
static int chat_message_ok(json_object *m, size_t i, const char *path)
{
    json_object *role, *content;

    if (!json_object_is_type(m, json_type_object) || !json_object_object_get_ex(m, "role", &role) ||
        !json_object_is_type(role, json_type_string) ||
        !json_object_object_get_ex(m, "content", &content) ||
        !(json_object_is_type(content, json_type_string) ||
          json_object_is_type(content, json_type_array))) {
        cli_error("%s: message %zu is not an object with a \"role\" string and a \"content\" "
                  "string or array of parts",
                  path, i);
        return 0;
    }
    return 1;
}

json_object *chat_messages_load(const char *path)
{
    json_object *arr;
    size_t len = 0, i;
    char *text = cli_read_file(path, CHAT_PROMPT_MAX, &len);
    enum json_tokener_error jerr;

    if (text == NULL)
        return NULL;
    arr = json_tokener_parse_verbose(text, &jerr);
    free(text);
    if (arr == NULL || !json_object_is_type(arr, json_type_array)) {
        cli_error("%s is not a JSON array of messages (OpenAI's \"messages\"): %s", path,
                  arr == NULL ? json_tokener_error_desc(jerr) : "not an array");
        json_object_put(arr);
        return NULL;
    }
    for (i = 0; i < json_object_array_length(arr); i++)
        if (!chat_message_ok(json_object_array_get_idx(arr, i), i, path)) {
            json_object_put(arr);
            return NULL;
        }
    return arr;
}

void chat_messages_add(json_object *messages, const char *role, const char *text, size_t len)
{
    json_object *m = json_object_new_object();

    json_object_object_add(m, "role", json_object_new_string(role));
    json_object_object_add(m, "content", json_object_new_string_len(text, (int)len));
    json_object_array_add(messages, m);
}

/* --temperature, --max-tokens and --choices into `req` (checked already). */
static void chat_sampling(const chat_opts *o, json_object *req)
{
    if (o->n > 1)
        json_object_object_add(req, "n", json_object_new_int(o->n));
    if (o->temperature != NULL)
        json_object_object_add(
            req, "temperature",
            json_object_new_double_s(strtod(o->temperature, NULL), o->temperature));
    if (o->max_tokens != NULL)
        json_object_object_add(req, "max_tokens",
                               json_object_new_int64(strtoll(o->max_tokens, NULL, 10)));
}

static char *chat_text(json_object *req)
{
    const char *s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE);

    return s != NULL ? strdup(s) : NULL;
}

char *chat_request_build(const chat_opts *o, json_object *history, const char *prompt,
                         size_t prompt_len)
{
    json_object *req = json_object_new_object(), *msgs = json_object_new_array();
    char *out;
    size_t i;

    json_object_object_add(req, "model", json_object_new_string(o->model));
    if (o->system != NULL)
        chat_messages_add(msgs, "system", o->system, strlen(o->system));
    for (i = 0; history != NULL && i < json_object_array_length(history); i++)
        json_object_array_add(msgs, json_object_get(json_object_array_get_idx(history, i)));
    if (prompt != NULL)
        chat_messages_add(msgs, "user", prompt, prompt_len);
    json_object_object_add(req, "messages", msgs);
    json_object_object_add(req, "stream", json_object_new_boolean(o->stream));
    chat_sampling(o, req);
    out = chat_text(req);
    json_object_put(req);
    return out;
}

char *chat_request_load(const chat_opts *o, char **model)
{
    json_object *req, *m;
    size_t len = 0;
    char *text = cli_read_file(o->request, CHAT_PROMPT_MAX, &len), *out = NULL;
    const char *name =
        o->request[0] == '-' && o->request[1] == '\0' ? "the request on stdin" : o->request;
    enum json_tokener_error jerr;

    if (text == NULL)
        return NULL;
    req = json_tokener_parse_verbose(text, &jerr);
    memset(text, 0, len);
    free(text);
    if (req == NULL || !json_object_is_type(req, json_type_object)) {
        cli_error("%s is not a JSON object (an OpenAI chat request): %s", name,
                  req == NULL ? json_tokener_error_desc(jerr) : "another JSON value");
        json_object_put(req);
        return NULL;
    }
    if (o->model != NULL)
        json_object_object_add(req, "model", json_object_new_string(o->model));
    if (!json_object_object_get_ex(req, "model", &m) || !json_object_is_type(m, json_type_string))
        cli_error("%s names no model: add \"model\" or give -m MODEL", name);
    else if (!json_object_object_get_ex(req, "messages", &m) ||
             !json_object_is_type(m, json_type_array))
        cli_error("%s has no \"messages\" array", name);
    else {
        chat_sampling(o, req);
        json_object_object_get_ex(req, "model", &m);
        *model = strdup(json_object_get_string(m));
        out = *model != NULL ? chat_text(req) : NULL;
    }
    json_object_put(req);
    return out;
}
