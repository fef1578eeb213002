/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * attest: verify a model's attestation with libp11tee and print each check.
 *   cc attest.c -o attest $(pkg-config --cflags --libs libp11tee)   (or -lp11tee)
 *   API_KEY_VENICE=... ./attest e2ee-qwen3-5-122b-a10b [policy.json]
 */
#include <stdio.h>
#include <stdlib.h>

#include <p11tee/p11tee.h>

int main(int argc, char **argv)
{
    p11tee_config *cfg = p11tee_config_new();
    p11tee_client *client = NULL;
    p11tee_attestation *att = NULL;
    p11tee_error err;
    p11tee_check check;
    const char *key = getenv("API_KEY_VENICE"), *base = getenv("VENICE_BASE_URL");
    size_t i;
    int verdict;

    if (argc < 2 || cfg == NULL) {
        fprintf(stderr, "usage: %s MODEL [POLICY]\n", argv[0]);
        return 2;
    }
    if ((key != NULL && p11tee_config_set(cfg, "api-key", key, &err) != P11TEE_OK) ||
        (base != NULL && p11tee_config_set(cfg, "base-url", base, &err) != P11TEE_OK) ||
        (argc > 2 && p11tee_config_set(cfg, "policy-file", argv[2], &err) != P11TEE_OK) ||
        p11tee_client_new(cfg, &client, &err) != P11TEE_OK) {
        fprintf(stderr, "%s\n", err.message);
        p11tee_config_free(cfg);
        return 1;
    }
    verdict = p11tee_attest(client, argv[1], &att, &err);
    for (i = 0; att != NULL && p11tee_attestation_check(att, i, &check) == 0; i++)
        printf("%-34s %-11s %-10s %s\n", check.name, p11tee_check_result_name(check.result),
               p11tee_requirement_name(check.requirement), check.reason);
    if (verdict != P11TEE_OK)
        fprintf(stderr, "refused: %s\n", err.message);
    p11tee_attestation_free(att);
    p11tee_client_free(client);
    p11tee_config_free(cfg);
    return verdict == P11TEE_OK ? 0 : 1;
}
