/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * GET /models: the public list, and the capability flags a chat is routed
 * by (fetched once per client, by one thread while the others wait).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "api/flow.h"
#include "net/net.h"

struct p11tee_models {
    api_model_list list;
};

static p11tee_status models_get(p11tee_client *c, const char *type, api_model_list *out,
                                p11tee_error *err)
{
    char path[160], esc[96];
    net_response resp;
    p11tee_status rc;

    if (type != NULL && !api_query_escape(type, esc, sizeof(esc)))
        return err_set(err, P11TEE_E_INVALID_ARG, "model type is too long");
    snprintf(path, sizeof(path), "/models%s%s", type ? "?type=" : "", type ? esc : "");
    rc = api_get(c, path, &resp, err);
    if (rc == P11TEE_OK)
        rc =
            api_parse_models((const char *)resp.body.data, resp.body.len, c->cfg.api_key, out, err);
    net_response_free(&resp);
    return rc;
}

p11tee_status p11tee_models_fetch(p11tee_client *client, const char *type, p11tee_models **out,
                                  p11tee_error *err)
{
    p11tee_models *m = calloc(1, sizeof(*m));
    p11tee_status rc;

    *out = NULL;
    if (m == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    rc = models_get(client, type, &m->list, err);
    if (rc != P11TEE_OK) {
        free(m);
        return rc;
    }
    *out = m;
    return P11TEE_OK;
}

size_t p11tee_models_count(const p11tee_models *models)
{
    return models->list.count;
}

int p11tee_models_get(const p11tee_models *models, size_t index, p11tee_model_info *info)
{
    const api_model *m;

    if (index >= models->list.count)
        return -1;
    m = &models->list.items[index];
    info->id = m->id.p;
    info->type = m->type.p;
    info->name = m->name.p;
    info->e2ee = m->supports_e2ee;
    info->tee = m->supports_tee;
    info->context_tokens = (long long)m->context_tokens;
    return 0;
}

const char *p11tee_models_json(const p11tee_models *models, size_t index)
{
    if (index >= models->list.count)
        return NULL;
    return sjson_text(models->list.items[index].json,
                      JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, NULL);
}

void p11tee_models_free(p11tee_models *models)
{
    if (models == NULL)
        return;
    api_model_list_free(&models->list);
    free(models);
}

/*
 * The client's model list, fetched by the first caller; the others wait for
 * its outcome. Under c->lock, released while the leader fetches.
 */
static p11tee_status models_ready_locked(p11tee_client *c, p11tee_error *err)
{
    api_model_list list;
    api_flight *f;
    int lead = 0;
    p11tee_status rc = P11TEE_OK;

    if (c->have_models)
        return P11TEE_OK;
    f = api_flight_join_locked(c, "models", &lead);
    if (f == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory");
    if (lead) {
        pthread_mutex_unlock(&c->lock);
        rc = models_get(c, NULL, &list, err);
        pthread_mutex_lock(&c->lock);
        if (rc == P11TEE_OK) {
            c->models = list;
            c->have_models = 1;
        }
        api_flight_land_locked(c, f, rc, err, NULL);
    }
    api_flight_wait_locked(c, f);
    rc = api_flight_status_locked(f, err);
    api_flight_leave_locked(f);
    return rc;
}

p11tee_status api_model_caps(p11tee_client *c, const char *model, int *e2ee, int *tee,
                             p11tee_error *err)
{
    const api_model *m = NULL;
    p11tee_status rc;

    pthread_mutex_lock(&c->lock);
    rc = models_ready_locked(c, err);
    if (rc == P11TEE_OK)
        m = api_model_find(&c->models, model);
    if (m != NULL) {
        *e2ee = m->supports_e2ee;
        *tee = m->supports_tee;
    }
    pthread_mutex_unlock(&c->lock);
    if (rc == P11TEE_OK && m == NULL)
        rc = err_set(err, P11TEE_E_MODEL_NOT_FOUND,
                     "model %s is not in the server's model list (see p11tee models)", model);
    return rc;
}
