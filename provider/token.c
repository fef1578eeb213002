/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The token of one provider instance: opened at first use (module, token,
 * PIN, login, first session), single-flight; a failure is remembered and
 * raised again without retrying, so that a wrong PIN does not run down the
 * token's retry counter. In a child after fork() the first use
 * re-initialises the module, logs in again and forgets the parent's
 * sessions.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/params.h>

#include "token.h"

enum { TOKEN_CLOSED, TOKEN_OPENING, TOKEN_OPEN, TOKEN_FAILED };

prov_status prov_token_new(prov_ctx *ctx)
{
    prov_token *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return PROV_R_NOMEM;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->state_cond, NULL);
    pthread_cond_init(&t->pool.idle_cond, NULL);
    atomic_init(&t->state, TOKEN_CLOSED);
    ctx->token = t;
    return PROV_R_OK;
}

void prov_token_free(prov_ctx *ctx)
{
    prov_token *t = ctx->token;

    if (t == NULL)
        return;
    if (atomic_load(&t->state) == TOKEN_OPEN && t->pid == getpid() && !prov_modules_are_exiting())
        prov_pool_close(t);
    if (t->mod != NULL)
        prov_module_release(t->mod);
    prov_pin_free(t->pin);
    pthread_cond_destroy(&t->pool.idle_cond);
    pthread_cond_destroy(&t->state_cond);
    pthread_mutex_destroy(&t->lock);
    free(t);
    ctx->token = NULL;
}

prov_module *prov_token_module(const prov_ctx *ctx)
{
    return ctx->token->mod;
}

const char *prov_token_label(const prov_ctx *ctx)
{
    return ctx->token->info.label;
}

/* The URI, the module, the token: what the configuration names. */
static prov_status open_module_and_slot(prov_ctx *ctx, const prov_uri *uri, prov_err *e)
{
    prov_token *t = ctx->token;
    char shown[PROV_MSG_MAX / 2]; /* the URI as messages show it: PIN redacted */
    char *path = NULL;
    prov_status rc;

    prov_uri_redact(ctx->token_uri, shown, sizeof(shown));
    rc = prov_module_locate(ctx, uri, &path, e);
    if (rc == PROV_R_OK)
        rc = prov_module_acquire(ctx, path, &t->mod, e);
    free(path);
    if (rc == PROV_R_OK)
        rc = prov_slot_find(ctx, t->mod, uri, shown, &t->info, e);
    return rc;
}

/* Module, token, PIN, login, first session. */
static prov_status token_open_first(prov_ctx *ctx, prov_err *e)
{
    prov_token *t = ctx->token;
    prov_uri uri;
    prov_status rc;

    if (ctx->token_uri == NULL)
        return prov_err_set(e, PROV_R_CONFIG,
                            "%s is not configured: name the token (an RFC 7512 URI or its label)",
                            ctx->token_word);
    /* A URI that does not parse is not shown: only a parsed one can be redacted. */
    if ((rc = prov_uri_parse(ctx->token_uri, &uri, e->msg, sizeof(e->msg))) != PROV_R_OK) {
        size_t n = strlen(e->msg);

        snprintf(e->msg + n, sizeof(e->msg) - n, " in %s", ctx->token_word);
        return e->reason = rc;
    }
    rc = open_module_and_slot(ctx, &uri, e);
    if (rc == PROV_R_OK)
        rc = prov_slot_login(ctx, t->mod, &uri, &t->info, &t->pin, &t->pinpad, t->pin_from,
                             sizeof(t->pin_from), e);
    if (rc == PROV_R_OK)
        rc = prov_pool_start(t, e);
    prov_uri_clear(&uri);
    return rc;
}

/* In a child after fork(): initialise, log in again, forget the parent's sessions. */
static prov_status token_reopen_child(prov_ctx *ctx, prov_err *e)
{
    prov_token *t = ctx->token;
    prov_status rc;

    prov_debug(ctx, "process %d is a child of %d: re-initialising", (int)getpid(), (int)t->pid);
    pthread_mutex_lock(&t->lock);
    prov_pool_forget_unlocked(t);
    pthread_mutex_unlock(&t->lock);
    rc = prov_module_reinit_child(ctx, t->mod, e);
    if (rc == PROV_R_OK)
        rc = prov_slot_relogin_child(ctx, t->mod, &t->info, t->pin, e);
    if (rc == PROV_R_OK)
        rc = prov_pool_start(t, e);
    return rc;
}

/* Wait for another thread's open; then what to do: 0 done, 1 open first, 2 reopen. */
static int token_claim_unlocked(prov_token *t)
{
    int state;

    while ((state = atomic_load(&t->state)) == TOKEN_OPENING)
        pthread_cond_wait(&t->state_cond, &t->lock);
    if (state == TOKEN_FAILED || (state == TOKEN_OPEN && t->pid == getpid()))
        return 0;
    atomic_store(&t->state, TOKEN_OPENING);
    return state == TOKEN_CLOSED ? 1 : 2;
}

prov_status prov_token_open(prov_ctx *ctx)
{
    prov_token *t = ctx->token;
    prov_err e = {PROV_R_OK, ""};
    int todo;

    if (atomic_load(&t->state) == TOKEN_OPEN && t->pid == getpid())
        return PROV_R_OK;
    pthread_mutex_lock(&t->lock);
    todo = token_claim_unlocked(t);
    pthread_mutex_unlock(&t->lock);
    /* Single-flight: no lock held while the module works or the prompt waits. */
    if (todo != 0 && (todo == 1 ? token_open_first(ctx, &e) : token_reopen_child(ctx, &e)) != 0)
        prov_debug(ctx, "token: %s", e.msg);
    pthread_mutex_lock(&t->lock);
    if (todo != 0) {
        if (e.reason != PROV_R_OK)
            t->fail = e;
        t->pid = getpid();
        atomic_store(&t->state, e.reason == PROV_R_OK ? TOKEN_OPEN : TOKEN_FAILED);
        pthread_cond_broadcast(&t->state_cond);
    }
    e = t->fail;
    todo = atomic_load(&t->state) == TOKEN_FAILED;
    pthread_mutex_unlock(&t->lock);
    if (todo)
        return PROV_RAISE(ctx, e.reason, "%s", e.msg);
    return PROV_R_OK;
}

/* ---- what the open token says about itself ----------------------------------- */

static void flag_words(CK_FLAGS f, char *out, size_t outlen)
{
    static const struct {
        CK_FLAGS flag;
        const char *word;
    } words[] = {
        {CKF_LOGIN_REQUIRED, "login-required"},
        {CKF_PROTECTED_AUTHENTICATION_PATH, "pin-pad"},
        {CKF_USER_PIN_COUNT_LOW, "pin-count-low"},
        {CKF_USER_PIN_FINAL_TRY, "pin-final-try"},
        {CKF_USER_PIN_LOCKED, "pin-locked"},
        {CKF_USER_PIN_TO_BE_CHANGED, "pin-to-be-changed"},
        {CKF_WRITE_PROTECTED, "write-protected"},
    };
    size_t i, used = 0;

    out[0] = '\0';
    for (i = 0; i < PROV_ARRAY_LEN(words) && used < outlen; i++)
        if (f & words[i].flag)
            used +=
                (size_t)snprintf(out + used, outlen - used, "%s%s", used ? " " : "", words[i].word);
}

static void library_words(prov_module *m, char *out, size_t outlen)
{
    CK_INFO info;
    char desc[33], manuf[33];

    if (p11_get_info(m, &info) != CKR_OK) {
        snprintf(out, outlen, "(C_GetInfo failed)");
        return;
    }
    prov_ck_string(info.libraryDescription, sizeof(info.libraryDescription), desc, sizeof(desc));
    prov_ck_string(info.manufacturerID, sizeof(info.manufacturerID), manuf, sizeof(manuf));
    snprintf(out, outlen, "%s %u.%u (%s), PKCS#11 %u.%u", desc, info.libraryVersion.major,
             info.libraryVersion.minor, manuf, info.cryptokiVersion.major,
             info.cryptokiVersion.minor);
}

prov_status prov_token_get_params(prov_ctx *ctx, OSSL_PARAM params[])
{
    prov_token *t = ctx->token;
    char slot[24], flags[160], lib[160];
    const struct {
        const char *name, *v;
    } items[] = {
        {PROV_INFO_MODULE, t->mod != NULL ? t->mod->path : ""},
        {PROV_INFO_LIBRARY, lib},
        {PROV_INFO_SLOT, slot},
        {PROV_INFO_LABEL, t->info.label},
        {PROV_INFO_SERIAL, t->info.serial},
        {PROV_INFO_MODEL, t->info.model},
        {PROV_INFO_MANUFACTURER, t->info.manufacturer},
        {PROV_INFO_FLAGS, flags},
        {PROV_INFO_PIN_FROM, t->pin_from},
    };
    OSSL_PARAM *p;
    size_t i;

    if (atomic_load(&t->state) != TOKEN_OPEN || t->pid != getpid())
        return PROV_R_OK;
    snprintf(slot, sizeof(slot), "%lu", t->info.slot);
    flag_words(t->info.flags, flags, sizeof(flags));
    library_words(t->mod, lib, sizeof(lib));
    for (i = 0; i < PROV_ARRAY_LEN(items); i++) {
        p = OSSL_PARAM_locate(params, items[i].name);
        if (p != NULL && !OSSL_PARAM_set_utf8_string(p, items[i].v))
            return PROV_RAISE(ctx, PROV_R_BUFFER_TOO_SMALL,
                              "provider parameter %s has the wrong type or too small a buffer",
                              items[i].name);
    }
    return PROV_R_OK;
}
