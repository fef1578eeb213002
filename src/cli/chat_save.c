/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* chat --save-exchange: what was sent and received, kept private to the user. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/chat.h"

/* Write `len` bytes to DIR/NAME, readable by the owner only. */
static int chat_save_file(const char *dir, const char *name, const uint8_t *data, size_t len)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return cli_write_private(path, data, len);
}

/* --save-exchange: the bodies as the server's signature hashes them. */
int chat_save_exchange(const char *dir, const p11tee_chat_result *res)
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
