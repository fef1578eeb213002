/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The session pool of a provider instance: at most PROV_SESSIONS_MAX
 * read-only sessions, opened on demand (outside the lock) and kept open
 * until teardown, since a session object dies with the session that made
 * it. Threads beyond the maximum wait for a session. A session the token
 * reports gone is dropped and replaced.
 */
#include "config.h"

#include <unistd.h>

#include "token.h"

prov_status prov_pool_start(prov_token *t, prov_err *e)
{
    CK_SESSION_HANDLE s;
    CK_SESSION_INFO info;
    char nb[24];
    CK_RV rv = p11_open_session(t->mod, t->info.slot, &s);

    if (rv != CKR_OK)
        return prov_err_set(e, PROV_R_TOKEN, "C_OpenSession on token \"%s\": %s", t->info.label,
                            prov_ckr_name(rv, nb));
    rv = p11_get_session_info(t->mod, s, &info);
    if (rv != CKR_OK || info.state != CKS_RO_USER_FUNCTIONS) {
        p11_close_session(t->mod, s);
        return prov_err_set(e, PROV_R_LOGIN,
                            "%s reports no user login after C_Login (%s, state %lu)", t->info.desc,
                            prov_ckr_name(rv, nb), rv == CKR_OK ? info.state : 0UL);
    }
    pthread_mutex_lock(&t->lock);
    t->pool.idle[0] = s;
    t->pool.nidle = t->pool.nopen = 1;
    pthread_mutex_unlock(&t->lock);
    return PROV_R_OK;
}

void prov_pool_forget_unlocked(prov_token *t)
{
    t->pool.nidle = t->pool.nopen = 0;
}

void prov_pool_close(prov_token *t)
{
    size_t i;

    for (i = 0; i < t->pool.nidle; i++)
        p11_close_session(t->mod, t->pool.idle[i]);
    t->pool.nidle = t->pool.nopen = 0;
}

prov_status prov_session_get(prov_ctx *ctx, CK_SESSION_HANDLE *s)
{
    prov_token *t = ctx->token;
    prov_pool *p = &t->pool;
    prov_status rc = prov_token_open(ctx);
    CK_RV rv;

    if (rc != PROV_R_OK)
        return rc;
    pthread_mutex_lock(&t->lock);
    while (p->nidle == 0 && p->nopen >= PROV_SESSIONS_MAX)
        pthread_cond_wait(&p->idle_cond, &t->lock);
    if (p->nidle > 0) {
        *s = p->idle[--p->nidle];
        pthread_mutex_unlock(&t->lock);
        return PROV_R_OK;
    }
    p->nopen++; /* reserve the place; open outside the lock */
    pthread_mutex_unlock(&t->lock);
    rv = p11_open_session(t->mod, t->info.slot, s);
    if (rv == CKR_OK)
        return PROV_R_OK;
    pthread_mutex_lock(&t->lock);
    p->nopen--;
    pthread_cond_signal(&p->idle_cond);
    pthread_mutex_unlock(&t->lock);
    return PROV_CK_RAISE(ctx, PROV_R_TOKEN, rv, "C_OpenSession on token \"%s\"", t->info.label);
}

void prov_session_put(prov_ctx *ctx, CK_SESSION_HANDLE s, CK_RV last_rv)
{
    prov_token *t = ctx->token;
    prov_pool *p = &t->pool;
    int gone = last_rv == CKR_SESSION_HANDLE_INVALID || last_rv == CKR_SESSION_CLOSED ||
               last_rv == CKR_DEVICE_REMOVED || last_rv == CKR_TOKEN_NOT_PRESENT;

    pthread_mutex_lock(&t->lock);
    if (gone)
        p->nopen--;
    else
        p->idle[p->nidle++] = s;
    pthread_cond_signal(&p->idle_cond);
    pthread_mutex_unlock(&t->lock);
}

/*
 * The token destroys the session objects the session created: a secret
 * C_DestroyObject left behind and any key pair generated in it (those keys
 * then report KEY_STALE). The login survives: the module record keeps the
 * session it logged in with.
 */
CK_RV prov_session_close(prov_ctx *ctx, CK_SESSION_HANDLE s)
{
    CK_RV rv = p11_close_session(ctx->token->mod, s);
    char nb[24];

    prov_debug(ctx, "C_CloseSession: %s", prov_ckr_name(rv, nb));
    prov_session_put(ctx, s, CKR_SESSION_CLOSED); /* out of the pool either way */
    return rv;
}
