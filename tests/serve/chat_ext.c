/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* The reference server's controls, a client and recording events, for the chat_ext tests. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chat_ext.h"

/* ---- the reference server's /__control and /__stats, over a plain socket ---- */

char *server(const char *method, const char *path, const char *body)
{
    static char reply[65536];
    char req[2048];
    struct sockaddr_in sa;
    size_t got = 0;
    ssize_t n;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)atoi(test_require_env("REFSERVER_PORT")));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    snprintf(req, sizeof(req),
             "%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nConnection: close\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             method, path, test_require_env("REFSERVER_API_KEY"), strlen(body), body);
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    while (got < sizeof(reply) - 1 && (n = read(fd, reply + got, sizeof(reply) - 1 - got)) > 0)
        got += (size_t)n;
    reply[got] = '\0';
    close(fd);
    assert_non_null(strstr(reply, " 200 "));
    return reply;
}

void control(const char *json)
{
    server("POST", "/__control", json);
}

/* A counter of /__stats ("streams_client_closed"). */
long stat_of(const char *name)
{
    char key[64];
    const char *p;

    snprintf(key, sizeof(key), "\"%s\": ", name);
    p = strstr(server("GET", "/__stats", ""), key);
    if (p == NULL) { /* the server writes compact JSON in some versions */
        snprintf(key, sizeof(key), "\"%s\":", name);
        p = strstr(server("GET", "/__stats", ""), key);
    }
    assert_non_null(p);
    return strtol(p + strlen(key), NULL, 10);
}

/* ---- a client and the events ------------------------------------------------- */

static void on_log(void *ud, const char *line)
{
    seen *s = ud;

    pthread_mutex_lock(&s->lock);
    if (strncmp(line, "* attesting ", 12) == 0)
        s->attestations++;
    pthread_mutex_unlock(&s->lock);
}

p11tee_client *client_new_with_turns(seen *s, const char *workers, const char *streams,
                                     p11tee_turn_fn turn_end, void *turn_ud)
{
    p11tee_config *cfg = p11tee_config_new();
    p11tee_client *client = NULL;
    p11tee_error err;

    test_config_refserver(cfg);
    assert_int_equal(p11tee_config_set(cfg, "require-e2ee", "1", &err), P11TEE_OK);
    if (workers != NULL)
        assert_int_equal(p11tee_config_set(cfg, "token-workers", workers, &err), P11TEE_OK);
    if (streams != NULL) {
        assert_int_equal(p11tee_config_set(cfg, "stream-threads", streams, &err), P11TEE_OK);
        /* Shorter than a hold below: a held chat must not time out for its silence. */
        assert_int_equal(p11tee_config_set(cfg, "idle-timeout-ms", "200", &err), P11TEE_OK);
    }
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->more, NULL);
    p11tee_config_set_log(cfg, on_log, s);
    p11tee_config_set_turn_end(cfg, turn_end, turn_ud);
    if (p11tee_client_new(cfg, &client, &err) != P11TEE_OK)
        fail_msg("p11tee_client_new: %s", err.message);
    p11tee_config_free(cfg);
    return client;
}

p11tee_client *client_new(seen *s, const char *workers, const char *streams)
{
    return client_new_with_turns(s, workers, streams, NULL, NULL);
}

int on_text(void *ud, size_t choice, p11tee_field field, const char *text, size_t len,
            int plaintext)
{
    seen *s = ud;

    assert_int_equal(choice, 0); /* no test asks for n > 1 */
    assert_false(plaintext);
    pthread_mutex_lock(&s->lock);
    if (s->responses == 0)
        s->text_before_response = 1;
    if (field == P11TEE_FIELD_CONTENT && s->len + len < sizeof(s->text)) {
        memcpy(s->text + s->len, text, len);
        s->len += len;
        s->text[s->len] = '\0';
    }
    s->fields++;
    pthread_cond_broadcast(&s->more);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

void on_response(void *ud, const char *id, const char *model)
{
    seen *s = ud;

    assert_string_equal(model, E2EE_MODEL);
    s->responses++;
    snprintf(s->id, sizeof(s->id), "%s", id);
}

void on_token(void *ud, p11tee_token_op op, uint64_t ns)
{
    seen *s = ud;

    assert_true(ns > 0);
    pthread_mutex_lock(&s->lock);
    if (op == P11TEE_TOKEN_OPEN)
        s->opens++;
    else
        s->seals++;
    pthread_mutex_unlock(&s->lock);
}

p11tee_status chat(p11tee_client *c, const char *req, seen *s, p11tee_cancel *cancel,
                   p11tee_chat_result **res, p11tee_error *err)
{
    p11tee_chat_events ev = {
        .on_text = on_text, .on_response = on_response, .on_token = on_token, .cancel = cancel};

    return p11tee_chat(c, req, strlen(req), &ev, s, res, err);
}
