/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Which path a chat takes. The capability flags come from /models, that is
 * from the gateway that E2EE protects against: trusting them to turn
 * encryption off would let that gateway read the prompt. So they may only
 * ever add protection.
 */
#include "config.h"

#include <string.h>

#include "api/api.h"

#define ROUTE_E2EE_PREFIX "e2ee-" /* Venice's naming of its E2EE models */

p11tee_status api_chat_route(const char *model, int flag_e2ee, int flag_tee, int require_e2ee,
                             api_chat_mode *mode, p11tee_error *err)
{
    int named_e2ee = strncmp(model, ROUTE_E2EE_PREFIX, strlen(ROUTE_E2EE_PREFIX)) == 0;

    /* E2EE runs in the enclave, so the flag implies attestation (PROTOCOL.md section 1). */
    if (!flag_tee && !flag_e2ee)
        return err_set(err, P11TEE_E_MODEL_NO_TEE,
                       "model %s does not run in an attested enclave; p11tee only sends prompts "
                       "to TEE or E2EE models",
                       model);
    if (!flag_e2ee && (named_e2ee || require_e2ee))
        return err_set(err, P11TEE_E_MODEL_NO_E2EE,
                       "the server's model list says %s does not support end-to-end encryption; "
                       "nothing was sent (%s)",
                       model,
                       require_e2ee ? "E2EE is required"
                                    : "a model named e2ee-... is never used in the clear");
    *mode = flag_e2ee ? API_CHAT_E2EE : API_CHAT_TEE;
    return P11TEE_OK;
}
