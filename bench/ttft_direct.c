/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The yardstick of the gateway's time to first token (bench/serve.sh): the
 * same chat through libp11tee in this process, with a warm session, from
 * p11tee_chat() to the first decrypted content. Configuration from the
 * environment of tests/integration/lib.sh (REFSERVER_URL, REFSERVER_API_KEY,
 * P11TEE_MODULE, P11TEE_TOKEN, IT_POLICY).
 *
 *   ttft_direct BODY-FILE REQUESTS     prints {"ttft_p50_ms":..,"ttft_p99_ms":..}
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <p11tee/p11tee.h>

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

typedef struct first {
    double start, at;
} first;

static int on_text(void *ud, size_t choice, p11tee_field field, const char *text, size_t len,
                   int plaintext)
{
    first *f = ud;

    (void)choice;
    (void)text;
    (void)len;
    (void)plaintext;
    if (field == P11TEE_FIELD_CONTENT && f->at == 0)
        f->at = now_ms();
    return 0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void set(p11tee_config *cfg, const char *name, const char *env)
{
    p11tee_error err;
    const char *v = getenv(env);

    if (v == NULL || p11tee_config_set(cfg, name, v, &err) != P11TEE_OK) {
        fprintf(stderr, "ttft_direct: %s ($%s)\n", name, env);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    static const p11tee_chat_events ev = {.on_text = on_text};
    p11tee_config *cfg = p11tee_config_new();
    p11tee_client *client = NULL;
    p11tee_chat_result *res;
    p11tee_error err;
    double *t;
    char body[4096];
    size_t len;
    long n, i;
    FILE *f;

    if (argc != 3 || (f = fopen(argv[1], "rb")) == NULL) {
        fprintf(stderr, "usage: ttft_direct BODY-FILE REQUESTS\n");
        return 2;
    }
    len = fread(body, 1, sizeof(body) - 1, f);
    fclose(f);
    n = atol(argv[2]);
    t = calloc((size_t)n, sizeof(*t));
    set(cfg, "base-url", "REFSERVER_URL");
    set(cfg, "api-key", "REFSERVER_API_KEY");
    set(cfg, "pkcs11-module", "P11TEE_MODULE");
    set(cfg, "pkcs11-token", "P11TEE_TOKEN");
    set(cfg, "policy-file", "IT_POLICY");
    if (p11tee_client_new(cfg, &client, &err) != P11TEE_OK) {
        fprintf(stderr, "ttft_direct: %s\n", err.message);
        return 1;
    }
    for (i = -1; i < n; i++) { /* the first chat warms the session */
        first fr = {now_ms(), 0};

        res = NULL;
        if (p11tee_chat(client, body, len, &ev, &fr, &res, &err) != P11TEE_OK) {
            fprintf(stderr, "ttft_direct: %s\n", err.message);
            return 1;
        }
        if (i >= 0)
            t[i] = fr.at - fr.start;
        p11tee_chat_result_free(res);
    }
    qsort(t, (size_t)n, sizeof(*t), cmp);
    printf("{\"requests\":%ld,\"ttft_p50_ms\":%.3f,\"ttft_p99_ms\":%.3f}\n", n, t[n / 2],
           t[(size_t)(0.99 * (double)(n - 1) + 0.5)]);
    free(t);
    p11tee_client_free(client);
    p11tee_config_free(cfg);
    return 0;
}
