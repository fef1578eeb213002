/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The token, opened at the first E2EE chat so that listing models or
 * attesting needs none. Opening logs in: one thread does it, without the
 * client lock, and threads asking meanwhile share its outcome, so a wrong
 * PIN costs one try of the token's counter per wave, not one per thread.
 */
#include "config.h"

#include "api/api.h"
#include "hsm/hsm.h"

static p11tee_status token_open(p11tee_client *c, hsm_ctx **out, p11tee_error *err)
{
    hsm_config hc;
    p11tee_status rc = api_hsm_config(&c->cfg, "E2EE", &hc, err);

    if (rc == P11TEE_OK)
        rc = hsm_ctx_new(&hc, out, err);
    if (rc == P11TEE_OK)
        api_log(c, "* token opened (module %s)",
                hc.module != NULL ? hc.module : "named by the token URI");
    return rc;
}

/* Under c->lock, released while the leader opens the token. */
static p11tee_status token_ready_locked(p11tee_client *c, p11tee_error *err)
{
    hsm_ctx *opened = NULL;
    api_flight *f;
    int lead = 0;
    p11tee_status rc;

    if (c->hsm != NULL)
        return P11TEE_OK;
    f = api_flight_join_locked(c, "token", &lead);
    if (f == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    if (lead) {
        pthread_mutex_unlock(&c->lock);
        rc = token_open(c, &opened, err);
        pthread_mutex_lock(&c->lock);
        c->hsm = opened;
        api_flight_land_locked(c, f, rc, err, NULL);
    }
    api_flight_wait_locked(c, f);
    rc = api_flight_status_locked(f, err);
    api_flight_leave_locked(f);
    return rc;
}

p11tee_status api_hsm(p11tee_client *c, hsm_ctx **out, p11tee_error *err)
{
    p11tee_status rc;

    pthread_mutex_lock(&c->lock);
    rc = token_ready_locked(c, err);
    *out = c->hsm;
    pthread_mutex_unlock(&c->lock);
    return rc;
}
