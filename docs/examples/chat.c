/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * chat: one end-to-end encrypted question, every private key in a PKCS#11 token.
 *   cc chat.c -o chat -lp11tee
 *   API_KEY_VENICE=... P11TEE_MODULE=/usr/lib/softhsm/libsofthsm2.so \
 *   P11TEE_TOKEN='pkcs11:token=mytoken?pin-source=file:/run/pin' ./chat MODEL "question"
 * The question is put into JSON naively: keep it free of quotes and backslashes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11tee/p11tee.h>

static int print_text(void *userdata, size_t choice, p11tee_field field, const char *text,
                      size_t len, int plaintext)
{
    (void)userdata;
    (void)plaintext; /* always 0 unless allow-plaintext is configured */
    if (choice == 0 && field == P11TEE_FIELD_CONTENT) /* choice: 0 unless the request sets n */
        fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 0; /* non-zero would stop the stream */
}

static int configure(p11tee_config *cfg, p11tee_error *err)
{
    static const char *const env[][2] = {{"api-key", "API_KEY_VENICE"},
                                         {"base-url", "VENICE_BASE_URL"},
                                         {"pkcs11-module", "P11TEE_MODULE"},
                                         {"pkcs11-token", "P11TEE_TOKEN"},
                                         {"policy-file", "P11TEE_POLICY"}};
    size_t i;

    for (i = 0; i < sizeof(env) / sizeof(env[0]); i++)
        if (getenv(env[i][1]) != NULL &&
            p11tee_config_set(cfg, env[i][0], getenv(env[i][1]), err) != P11TEE_OK)
            return -1;
    return 0;
}

int main(int argc, char **argv)
{
    static const p11tee_chat_events events = {.on_text = print_text};
    p11tee_config *cfg = p11tee_config_new();
    p11tee_client *client = NULL;
    p11tee_chat_result *res = NULL;
    p11tee_error err;
    char request[4096];
    int rc = 1;

    if (argc != 3 || cfg == NULL) {
        fprintf(stderr, "usage: %s MODEL QUESTION\n", argv[0]);
        return 2;
    }
    snprintf(request, sizeof(request),
             "{\"model\":\"%s\",\"stream\":true,"
             "\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
             argv[1], argv[2]);
    if (configure(cfg, &err) == 0 && p11tee_client_new(cfg, &client, &err) == P11TEE_OK &&
        p11tee_chat(client, request, strlen(request), &events, NULL, &res, &err) == P11TEE_OK)
        rc = 0;
    printf("\n");
    if (rc != 0)
        fprintf(stderr, "error: %s\n", err.message);
    else
        fprintf(stderr, "request %s, end-to-end encrypted: %s\n", p11tee_chat_result_id(res),
                p11tee_chat_result_e2ee(res) ? "yes" : "no");
    p11tee_chat_result_free(res);
    p11tee_client_free(client);
    p11tee_config_free(cfg);
    return rc;
}
