/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The policy file's parts (internal to src/attest): policy.c reads the file,
 * its checks and roots; presets.c the presets; policy_tdx.c its "tdx" object
 * (measurement and event pins, each one value or a list, TCB statuses);
 * policy_collateral.c where the TDX collateral comes from (tdx.collateral);
 * policy_models.c the per-model sections.
 */
#ifndef P11TEE_ATTEST_POLICY_H
#define P11TEE_ATTEST_POLICY_H

#include <stddef.h>

#include "attest/attest.h"

#define POLICY_FILE_MAX (256u * 1024)

/* A file named by the policy, relative to the policy's own directory (NULL: as given). */
p11tee_status policy_read(const char *base_dir, const char *name, size_t max, char **data,
                          size_t *len, p11tee_error *err);
/* One top-level member of a policy ("models" and "preset" are the parser's). */
p11tee_status policy_member(attest_policy *p, const char *key, json_object *v, const char *base_dir,
                            p11tee_error *err);
/* One member `key` of the policy's "tdx" object. */
p11tee_status policy_tdx_member(attest_policy *p, const char *key, json_object *v,
                                const char *base_dir, p11tee_error *err);

/* Forget what tdx member `key` (value `v`) sets, so that a model's section replaces it. */
void policy_tdx_forget(attest_policy *p, const char *key, json_object *v);

/* policy_models.c: the "models" object, kept and checked; freed with the policy. */
typedef struct attest_model_section {
    char model[ATTEST_MODEL_NAME_MAX];
    char *json; /* the section's text */
} attest_model_section;
p11tee_status policy_models(attest_policy *p, json_object *v, p11tee_error *err);
void policy_models_free(attest_policy *p);

/* presets.c: turn `p` (the defaults) into the preset `name`; P11TEE_E_POLICY naming the presets. */
#define POLICY_PRESETS "default, strict, strict-with-collateral"
p11tee_status policy_preset(attest_policy *p, const char *name, p11tee_error *err);
/* policy.c: apply a policy text's members to `p` (a preset's; it names no file). */
p11tee_status policy_apply(attest_policy *p, const char *json, size_t len, p11tee_error *err);

/* policy_collateral.c: tdx.collateral_file (`is_file`) or the tdx.collateral object. */
p11tee_status policy_collateral(attest_policy *p, json_object *v, int is_file, const char *base_dir,
                                p11tee_error *err);

#endif /* P11TEE_ATTEST_POLICY_H */
