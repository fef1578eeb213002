/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Allocation torture of the attestation paths, offline: a whole
 * attestation response (TDX quote with collateral, NVIDIA evidence) and a
 * bare quote, verified through the public API with the policy file, as
 * `p11tee attest --input` and `p11tee quote` do. torture-attest.sh makes
 * the evidence with the reference server's builders and runs this with
 * the files: RESPONSE NONCE POLICY COLLATERAL QUOTE MODEL.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <p11tee/p11tee.h>

#include "torture.h"

typedef struct attest_ctx {
    const char *policy, *collateral, *model, *nonce;
    time_t at; /* one verification time for every run: reasons name it */
    char *response, *quote;
    size_t response_len, quote_len;
    int bare; /* the quote alone */
} attest_ctx;

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL ||
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(99);
    }
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* One verification from scratch; the outcome is the attestation's JSON or the error. */
static int attest_path(void *vctx, char *out, size_t cap)
{
    attest_ctx *c = vctx;
    p11tee_config *cfg = p11tee_config_new();
    p11tee_offline_options o;
    p11tee_attestation *a = NULL;
    p11tee_error err;
    p11tee_status rc;
    char *json = NULL;

    out[0] = '\0';
    if (cfg == NULL)
        return P11TEE_E_NOMEM;
    p11tee_error_clear(&err);
    memset(&o, 0, sizeof(o));
    o.model = c->model;
    o.nonce_hex = c->nonce;
    o.collateral = c->collateral;
    o.at = c->at;
    rc = p11tee_config_set(cfg, "policy-file", c->policy, &err);
    if (rc == P11TEE_OK)
        rc = c->bare
                 ? p11tee_quote_verify(cfg, (const uint8_t *)c->quote, c->quote_len, &o, &a, &err)
                 : p11tee_attest_offline(cfg, c->response, c->response_len, &o, &a, &err);
    if (a != NULL && (json = p11tee_attestation_json(a)) == NULL && rc == P11TEE_OK)
        rc = P11TEE_E_NOMEM; /* the document is part of the path: p11tee attest --json */
    snprintf(out, cap, "%s | %s", err.message, json != NULL ? json : "(no document)");
    free(json);
    p11tee_attestation_free(a);
    p11tee_config_free(cfg);
    return rc;
}

int main(int argc, char **argv)
{
    attest_ctx c;
    int tap = 0, bad = 0;

    if (argc != 7) {
        fprintf(stderr,
                "usage: test_torture_attest RESPONSE NONCE POLICY COLLATERAL QUOTE MODEL\n");
        return 99;
    }
    memset(&c, 0, sizeof(c));
    c.response = read_all(argv[1], &c.response_len);
    c.nonce = argv[2];
    c.policy = argv[3];
    c.collateral = argv[4];
    c.quote = read_all(argv[5], &c.quote_len);
    c.model = argv[6];
    c.at = time(NULL);
    bad += torture_run("attest --input (quote, collateral, GPU evidence, JSON report)", attest_path,
                       &c, P11TEE_E_NOMEM, &tap);
    c.bare = 1;
    c.model = NULL;
    c.nonce = NULL;
    bad +=
        torture_run("quote (a bare quote with collateral)", attest_path, &c, P11TEE_E_NOMEM, &tap);
    printf("1..%d\n", tap);
    free(c.response);
    free(c.quote);
    return bad > 0 ? 1 : 0;
}
