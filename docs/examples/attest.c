/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * attest: verify a model's attestation with libp11tee, print each check and
 * what the replayed event log says, and keep the attestation for later
 * (a response signature is checked against the key attested when it was made).
 *   cc attest.c -o attest $(pkg-config --cflags --libs libp11tee)   (or -lp11tee)
 *   API_KEY_VENICE=... ./attest e2ee-qwen3-5-122b-a10b [policy.json|strict] [saved.json]
 * With ACI_REPORT_URL set (e.g. https://inference.phala.com/v1/aci/attestation)
 * the operator's native report anchors the ACI keyset (the aci.native.* checks).
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
    const char *aci = getenv("ACI_REPORT_URL");
    char *saved;
    FILE *f;
    size_t i;
    int verdict;

    if (argc < 2 || cfg == NULL) {
        fprintf(stderr, "usage: %s MODEL [POLICY] [SAVE_FILE]\n", argv[0]);
        return 2;
    }
    if ((key != NULL && p11tee_config_set(cfg, "api-key", key, &err) != P11TEE_OK) ||
        (base != NULL && p11tee_config_set(cfg, "base-url", base, &err) != P11TEE_OK) ||
        (aci != NULL && p11tee_config_set(cfg, "aci-report-url", aci, &err) != P11TEE_OK) ||
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
    if (att != NULL && p11tee_attestation_get(att, "compose_hash") != NULL)
        printf("compose-hash %s (measured: the event log replays to RTMR3)\n",
               p11tee_attestation_get(att, "compose_hash"));
    if (verdict != P11TEE_OK)
        fprintf(stderr, "refused: %s\n", err.message);
    saved = verdict == P11TEE_OK && argc > 3 ? p11tee_attestation_save(att) : NULL;
    if (saved != NULL && (f = fopen(argv[3], "w")) != NULL) {
        fputs(saved, f); /* later: p11tee_signature_options.attestation */
        fclose(f);
    }
    free(saved);
    p11tee_attestation_free(att);
    p11tee_client_free(client);
    p11tee_config_free(cfg);
    return verdict == P11TEE_OK ? 0 : 1;
}
