/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Which path a chat takes. The capability flags come from /models, that is
 * from the gateway that E2EE protects against: trusting them to turn
 * encryption off would let that gateway read the prompt. So they may only
 * ever add protection.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api/flow.h"

#define ROUTE_E2EE_PREFIX "e2ee-" /* Venice's naming of its E2EE models */

p11tee_status api_chat_route(const char *model, int flag_e2ee, int flag_tee,
                             const api_route_options *o, api_chat_mode *mode, p11tee_error *err)
{
    int named_e2ee = strncmp(model, ROUTE_E2EE_PREFIX, strlen(ROUTE_E2EE_PREFIX)) == 0;

    /* E2EE runs in the enclave, so the flag implies attestation (PROTOCOL.md section 1). */
    if (!flag_tee && !flag_e2ee)
        return err_set(err, P11TEE_E_MODEL_NO_TEE,
                       "model %s does not run in an attested enclave; p11tee only sends prompts "
                       "to TEE or E2EE models",
                       model);
    if (o->tee_only && o->require_e2ee)
        return err_set(err, P11TEE_E_CONFIG, "tee-only and require-e2ee contradict each other");
    /* The user's explicit choice: the one way an E2EE model ever sees a prompt in the clear. */
    if (o->tee_only) {
        *mode = API_CHAT_TEE_ONLY;
        return P11TEE_OK;
    }
    if (!flag_e2ee && (named_e2ee || o->require_e2ee))
        return err_set(err, P11TEE_E_MODEL_NO_E2EE,
                       "the server's model list says %s does not support end-to-end encryption; "
                       "nothing was sent (%s)",
                       model,
                       o->require_e2ee ? "E2EE is required"
                                       : "a model named e2ee-... is never used in the clear "
                                         "unless asked for with tee-only");
    *mode = flag_e2ee ? API_CHAT_E2EE : API_CHAT_TEE;
    return P11TEE_OK;
}

p11tee_status api_tee_only_request(const char *json, size_t len, char **out, size_t *outlen,
                                   p11tee_error *err)
{
    json_object *root = NULL, *vp = NULL;
    const char *text;
    size_t n = 0;
    p11tee_status rc = sjson_parse(json, len, SJSON_DOC_MAX, "chat request", &root, err);

    *out = NULL;
    if (rc == P11TEE_OK && !json_object_is_type(root, json_type_object))
        rc = err_set(err, P11TEE_E_INVALID_ARG, "chat request is not a JSON object");
    if (rc == P11TEE_OK && json_object_object_get_ex(root, "venice_parameters", &vp) &&
        vp != NULL && !json_object_is_type(vp, json_type_object))
        rc = err_set(err, P11TEE_E_INVALID_ARG, "venice_parameters is not an object");
    if (rc == P11TEE_OK && vp == NULL &&
        ((vp = json_object_new_object()) == NULL ||
         json_object_object_add(root, "venice_parameters", vp) != 0))
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory building the request");
    /* Said, not left to a default: Venice enables E2EE for e2ee-* models unless told. */
    if (rc == P11TEE_OK &&
        json_object_object_add(vp, "enable_e2ee", json_object_new_boolean(0)) != 0)
        rc = err_set(err, P11TEE_E_NOMEM, "out of memory building the request");
    if (rc == P11TEE_OK) {
        text = sjson_text(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
        *out = text != NULL ? strndup(text, n) : NULL;
        if (*out == NULL)
            rc = err_set(err, P11TEE_E_NOMEM, "out of memory serialising the request");
        else
            *outlen = n;
    }
    json_object_put(root);
    return rc;
}
