/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Allocation torture of an E2EE chat through the public API, as `p11tee
 * chat --json` runs it: a client, the model list, the attestation, the
 * token opened and a session key made in it, the request sealed, the
 * stream opened field by field, the result's JSON. torture-chat.sh starts
 * the reference server and a throwaway token; this program gets the base
 * URL, the API key file and the model, and the token from the environment
 * (P11TEE_MODULE, P11TEE_TOKEN with pin-source, the policy in P11TEE_POLICY).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11tee/p11tee.h>

#include "torture.h"

typedef struct chat_ctx {
    const char *base_url, *model, *module, *token, *policy;
    char api_key[256];
    p11tee_client *warm; /* NULL: each run makes its own client (and opens the token) */
} chat_ctx;

/* A client configured for the reference server and the token, with `streams` stream threads. */
static p11tee_status chat_client(const chat_ctx *c, const char *ttl, const char *streams,
                                 p11tee_client **out, p11tee_error *err)
{
    const char *names[] = {"base-url",    "api-key",       "pkcs11-module", "pkcs11-token",
                           "policy-file", "session-ttl-s", "stream-threads"};
    const char *values[] = {c->base_url, c->api_key, c->module, c->token, c->policy, ttl, streams};
    p11tee_config *cfg = p11tee_config_new();
    p11tee_status rc = cfg != NULL ? P11TEE_OK : P11TEE_E_NOMEM;
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]) && rc == P11TEE_OK; i++)
        rc = p11tee_config_set(cfg, names[i], values[i], err);
    if (rc == P11TEE_OK)
        rc = p11tee_client_new(cfg, out, err);
    p11tee_config_free(cfg);
    return rc;
}

/* One chat; the outcome is the answer's JSON from the content on (ids change), or the error. */
static int chat_path(void *vctx, char *out, size_t cap)
{
    static const char req[] = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":"
                              "\"hello torture\"}],\"stream\":true}";
    chat_ctx *c = vctx;
    p11tee_client *client = c->warm;
    p11tee_chat_result *res = NULL;
    p11tee_error err;
    p11tee_status rc = P11TEE_OK;
    char body[512], *json = NULL;

    out[0] = '\0';
    p11tee_error_clear(&err);
    snprintf(body, sizeof(body), req, c->model);
    if (client == NULL)
        rc = chat_client(c, "600", "0", &client, &err);
    if (rc == P11TEE_OK)
        rc = p11tee_chat(client, body, strlen(body), NULL, NULL, &res, &err);
    if (rc == P11TEE_OK && (json = p11tee_chat_result_json(res)) == NULL)
        rc = P11TEE_E_NOMEM;
    if (json != NULL) {
        const char *content = strstr(json, "\"content\"");

        snprintf(out, cap, "%.60s", content != NULL ? content : json);
    } else {
        snprintf(out, cap, "%s", err.message);
    }
    free(json);
    p11tee_chat_result_free(res);
    if (client != c->warm)
        p11tee_client_free(client);
    return rc;
}

int main(int argc, char **argv)
{
    chat_ctx c;
    FILE *f;
    int tap = 0, bad;

    if (argc != 4) {
        fprintf(stderr, "usage: test_torture_chat BASE_URL API_KEY_FILE MODEL\n");
        return 99;
    }
    memset(&c, 0, sizeof(c));
    c.base_url = argv[1];
    c.model = argv[3];
    c.module = getenv("P11TEE_MODULE");
    c.token = getenv("P11TEE_TOKEN");
    c.policy = getenv("P11TEE_POLICY");
    if ((f = fopen(argv[2], "r")) == NULL || fgets(c.api_key, sizeof(c.api_key), f) == NULL) {
        fprintf(stderr, "cannot read %s\n", argv[2]);
        return 99;
    }
    fclose(f);
    c.api_key[strcspn(c.api_key, "\n")] = '\0';
    if (c.module == NULL || c.token == NULL || c.policy == NULL) {
        fprintf(stderr, "P11TEE_MODULE, P11TEE_TOKEN and P11TEE_POLICY must be set\n");
        return 99;
    }
    /*
     * Every chat on a warm client (model list fetched, token open) with no
     * session reuse: each attests, makes a session key in the token, seals,
     * streams. Then a client's first chat, which also opens the token.
     */
    torture_stateless = 0; /* a client keeps connections and sessions: LeakSanitizer's at exit */
    if (chat_client(&c, "0", "0", &c.warm, NULL) != P11TEE_OK) {
        fprintf(stderr, "cannot make the warm client\n");
        return 99;
    }
    bad = torture_run("an E2EE chat on a client: attestation, session key in the token, sealing, "
                      "stream, JSON",
                      chat_path, &c, P11TEE_E_NOMEM, &tap);
    p11tee_client_free(c.warm);
    /* The same with the answer read by a stream thread of the client (stream-threads). */
    if (chat_client(&c, "0", "1", &c.warm, NULL) != P11TEE_OK) {
        fprintf(stderr, "cannot make the warm client with a stream thread\n");
        return 99;
    }
    bad += torture_run("an E2EE chat read by a stream thread", chat_path, &c, P11TEE_E_NOMEM, &tap);
    p11tee_client_free(c.warm);
    c.warm = NULL;
    torture_stateless = 1; /* a client made and freed: nothing may outlive a run */
    bad += torture_run("a client's first E2EE chat: models, the token opened", chat_path, &c,
                       P11TEE_E_NOMEM, &tap);
    printf("1..%d\n", tap);
    return bad > 0 ? 1 : 0;
}
