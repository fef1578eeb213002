/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Allocation torture of the gateway's request path before the library: a
 * caller's chat request checked and rewritten for upstream
 * (gw_chat_prepare(), src/serve/request.c) and a refused one answered with
 * OpenAI's error body (buf.c). Each run ends with the same rewritten body
 * or the same refusal as without failures, or with the gateway's own
 * out-of-memory answer (500, internal_error): never a crash, never a leak
 * (the path is stateless, so blocks are counted run by run), and never a
 * refusal that blames the caller for the gateway's lack of memory. The
 * library's part of a chat is tortured by test_torture_chat. The gateway's
 * options and the upstream's model table are this file's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/gateway.h"
#include "torture.h"

static const serve_options gateway_options = {.max_messages = 64};
const serve_options *gw_opts = &gateway_options;

int gw_model_mode(const char *model)
{
    return strncmp(model, "e2ee-", 5) == 0 ? 1 : 0;
}

/* A request as the OpenAI SDK sends it, with members the gateway drops. */
static const char gateway_accepted[] =
    "{\"model\":\"e2ee-qwen3-5-122b-a10b\",\"messages\":[{\"role\":\"system\",\"content\":"
    "\"be brief\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]},"
    "{\"role\":\"assistant\",\"content\":\"hey\",\"reasoning_content\":\"hmm\","
    "\"tool_calls\":[]},{\"role\":\"user\",\"content\":\"again\",\"name\":null}],"
    "\"temperature\":0.7,\"n\":2,\"tools\":[],\"logprobs\":false,\"stream\":false,"
    "\"stream_options\":{\"include_usage\":false},\"venice_parameters\":{}}";

/* One the gateway refuses (stop travels in clear), answered with its error body. */
static const char gateway_refused[] =
    "{\"model\":\"e2ee-qwen3-5-122b-a10b\",\"messages\":[{\"role\":\"user\",\"content\":"
    "\"x\"}],\"stop\":[\"\\n\"]}";

/* The outcome: "STATUS CODE | body"; out of memory is the gateway's 500. */
static int gateway_path(void *ctx, char *out, size_t cap)
{
    const char *body = ctx;
    gw_job j;
    gw_buf err;
    unsigned status = 0;
    int rc, nomem;

    memset(&j, 0, sizeof(j));
    gw_buf_init(&err);
    rc = gw_chat_prepare(&j, body, strlen(body), &status, &err);
    if (rc == 0)
        snprintf(out, cap, "200 | %s", j.body);
    else
        snprintf(out, cap, "%u %s | %s", status, j.code, err.failed ? "(incomplete)" : err.p);
    /* The gateway's own failure: 500, and a whole error body or none (never a torn one). */
    nomem = status == 500 && strcmp(j.code, "internal_error") == 0;
    free(j.body);
    gw_buf_free(&err);
    if (rc == 0)
        return P11TEE_OK;
    return nomem ? P11TEE_E_NOMEM : P11TEE_E_INVALID_ARG;
}

int main(void)
{
    int tap = 0, bad = 0;

    torture_stateless = 1;
    bad += torture_run("gateway: a chat request checked and rewritten for upstream", gateway_path,
                       (void *)gateway_accepted, P11TEE_E_NOMEM, &tap);
    bad += torture_run("gateway: a refused request and its error body", gateway_path,
                       (void *)gateway_refused, P11TEE_E_NOMEM, &tap);
    printf("1..%d\n", tap);
    return bad > 0 ? 1 : 0;
}
