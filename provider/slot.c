/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The token a URI selects, and the login by the PIN rules an HSM operator
 * expects: a locked PIN is its own error and no login is tried; on the
 * final try the login is refused unless forced; a low count is a warning;
 * a reader with a PIN pad (CKF_PROTECTED_AUTHENTICATION_PATH) gets a NULL
 * PIN; with no PIN source the caller's prompt is asked; a wrong PIN is
 * never tried again (the caller remembers the failure).
 *
 * The process logs in once per slot, on a session the module record keeps
 * open; a later provider instance must present the PIN that logged in
 * (the token would answer CKR_USER_ALREADY_LOGGED_IN to any PIN).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "token.h"

#define SLOTS_MAX 256

/* ---- finding the token --------------------------------------------------- */

static prov_status token_describe(prov_module *m, CK_SLOT_ID slot, prov_token_info *ti)
{
    CK_TOKEN_INFO info;

    if (p11_get_token_info(m, slot, &info) != CKR_OK)
        return PROV_R_TOKEN;
    memset(ti, 0, sizeof(*ti));
    ti->slot = slot;
    ti->flags = info.flags;
    prov_ck_string(info.label, sizeof(info.label), ti->label, sizeof(ti->label));
    prov_ck_string(info.serialNumber, sizeof(info.serialNumber), ti->serial, sizeof(ti->serial));
    prov_ck_string(info.model, sizeof(info.model), ti->model, sizeof(ti->model));
    prov_ck_string(info.manufacturerID, sizeof(info.manufacturerID), ti->manufacturer,
                   sizeof(ti->manufacturer));
    snprintf(ti->desc, sizeof(ti->desc), "token \"%s\" (slot %lu, serial %s, model %s)", ti->label,
             ti->slot, ti->serial, ti->model);
    return PROV_R_OK;
}

/* Does the token match every attribute the URI gives? */
static int token_is_match(const prov_token_info *ti, const prov_uri *u)
{
    if (!(ti->flags & CKF_TOKEN_INITIALIZED))
        return 0; /* a login there would block forever on some modules */
    if (u->token != NULL && strcmp(u->token, ti->label) != 0)
        return 0;
    if (u->serial != NULL && strcmp(u->serial, ti->serial) != 0)
        return 0;
    if (u->manufacturer != NULL && strcmp(u->manufacturer, ti->manufacturer) != 0)
        return 0;
    if (u->model != NULL && strcmp(u->model, ti->model) != 0)
        return 0;
    if (u->slotid != NULL && strtoul(u->slotid, NULL, 10) != ti->slot)
        return 0;
    return 1;
}

/* "present: "a" (slot 1, serial ..., model ...), ..." into the tail of `e`. */
static void list_present(prov_module *m, const CK_SLOT_ID *slots, CK_ULONG n, prov_err *e)
{
    size_t used = strlen(e->msg);
    prov_token_info ti;
    int any = 0;
    CK_ULONG i;

    for (i = 0; i < n && used < sizeof(e->msg); i++) {
        if (token_describe(m, slots[i], &ti) != PROV_R_OK || !(ti.flags & CKF_TOKEN_INITIALIZED))
            continue;
        used += (size_t)snprintf(e->msg + used, sizeof(e->msg) - used,
                                 "%s \"%s\" (slot %lu, "
                                 "serial %s, model %s)",
                                 any ? "," : "", ti.label, ti.slot, ti.serial, ti.model);
        any = 1;
    }
    if (!any && used < sizeof(e->msg))
        snprintf(e->msg + used, sizeof(e->msg) - used, " none");
}

prov_status prov_slot_find(const prov_ctx *ctx, prov_module *m, const prov_uri *u,
                           const char *shown, prov_token_info *ti, prov_err *e)
{
    CK_SLOT_ID slots[SLOTS_MAX];
    CK_ULONG n = SLOTS_MAX, i, matches = 0;
    prov_token_info one;
    char nb[24];
    CK_RV rv = p11_get_slot_list(m, slots, &n);

    if (rv != CKR_OK)
        return prov_err_set(e, PROV_R_TOKEN, "PKCS#11 module %s: listing slots failed: %s", m->path,
                            prov_ckr_name(rv, nb));
    for (i = 0; i < n; i++) {
        if (token_describe(m, slots[i], &one) == PROV_R_OK && token_is_match(&one, u) &&
            matches++ == 0)
            *ti = one;
    }
    if (matches == 1)
        return PROV_R_OK;
    if (matches > 1)
        return prov_err_set(e, PROV_R_TOKEN_AMBIGUOUS,
                            "%lu tokens match %s: add token= or serial= to %s", matches, shown,
                            ctx->token_word);
    prov_err_set(e, PROV_R_TOKEN_NOT_FOUND,
                 "no initialised token matches %s in %s; present:", shown, m->path);
    list_present(m, slots, n, e);
    return PROV_R_TOKEN_NOT_FOUND;
}

/* ---- the process's logins ------------------------------------------------ */

/* This process's login to `slot`, or NULL. m->open_lock held. */
static prov_login *login_find_unlocked(prov_module *m, CK_SLOT_ID slot)
{
    prov_login *l;

    for (l = m->logins; l != NULL; l = l->next)
        if (l->slot == slot && l->pid == getpid() && l->session != CK_INVALID_HANDLE)
            return l;
    return NULL;
}

/* The record for `slot` (this process's, or one left by the parent), else a new one. */
static prov_login *login_record_unlocked(prov_module *m, CK_SLOT_ID slot)
{
    prov_login *l;

    for (l = m->logins; l != NULL; l = l->next)
        if (l->slot == slot)
            return l;
    l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->slot = slot;
    l->session = CK_INVALID_HANDLE;
    l->next = m->logins;
    m->logins = l;
    return l;
}

/* A later instance must present the PIN that logged in (NULL: the PIN pad did). */
static prov_status login_compare(const prov_token_info *ti, const prov_login *l, const char *pin,
                                 prov_err *e)
{
    if (l->pin == NULL && pin == NULL)
        return PROV_R_OK;
    if (l->pin == NULL || pin == NULL || strlen(l->pin) != strlen(pin) ||
        CRYPTO_memcmp(l->pin, pin, strlen(pin)) != 0)
        return prov_err_set(e, PROV_R_PIN_INCORRECT,
                            "the PIN for %s differs from the one this process logged in with",
                            ti->desc);
    return PROV_R_OK;
}

static prov_status login_failed(const prov_ctx *ctx, const prov_token_info *ti, CK_RV rv,
                                const char *pin_from, prov_err *e)
{
    prov_status reason = prov_login_reason(rv);
    char nb[24];

    if (reason == PROV_R_PIN_INCORRECT)
        return prov_err_set(e, reason,
                            "login to %s failed (C_Login: %s): check the PIN from %s; a wrong PIN "
                            "is not tried again",
                            ti->desc, prov_ckr_name(rv, nb), pin_from);
    if (reason == PROV_R_PIN_LOCKED)
        return prov_err_set(e, reason,
                            "login to %s failed (C_Login: %s): the user PIN is locked; the "
                            "token's security officer must unblock it",
                            ti->desc, prov_ckr_name(rv, nb));
    (void)ctx;
    return prov_err_set(e, reason, "login to %s failed (C_Login: %s)", ti->desc,
                        prov_ckr_name(rv, nb));
}

/*
 * Open the login session and log in (a NULL pin: at the PIN pad), keeping
 * the session and a copy of the PIN in the module record. A token this
 * process is logged in to already (through another user of the module)
 * answers CKR_USER_ALREADY_LOGGED_IN, which is success. m->open_lock held.
 */
static prov_status login_unlocked(const prov_ctx *ctx, prov_module *m, const prov_token_info *ti,
                                  const char *pin, const char *pin_from, prov_err *e)
{
    prov_login *l = login_record_unlocked(m, ti->slot);
    CK_SESSION_HANDLE s;
    char nb[24], *copy = NULL;
    CK_RV rv;

    if (l == NULL || (pin != NULL && (copy = prov_secret_strdup(pin)) == NULL))
        return prov_err_set(e, PROV_R_NOMEM, "out of memory");
    rv = p11_open_session(m, ti->slot, &s);
    if (rv != CKR_OK) {
        prov_secret_free(copy);
        return prov_err_set(e, PROV_R_TOKEN, "C_OpenSession on %s: %s", ti->desc,
                            prov_ckr_name(rv, nb));
    }
    rv = p11_login(m, s, pin);
    prov_debug(ctx, "C_Login on %s%s: %s", ti->desc, pin == NULL ? " (PIN pad)" : "",
               prov_ckr_name(rv, nb));
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
        p11_close_session(m, s);
        prov_secret_free(copy);
        return login_failed(ctx, ti, rv, pin_from, e);
    }
    prov_secret_free(l->pin);
    l->pin = copy;
    l->session = s;
    l->pid = getpid();
    return PROV_R_OK;
}

/* ---- the PIN rules -------------------------------------------------------- */

/* What the token's flags allow before any PIN is asked for or tried. */
static prov_status flags_allow_login(const prov_ctx *ctx, const prov_token_info *ti, prov_err *e)
{
    if (ti->flags & CKF_USER_PIN_LOCKED)
        return prov_err_set(e, PROV_R_PIN_LOCKED,
                            "the user PIN of %s is locked (the token reports CKF_USER_PIN_LOCKED): "
                            "its security officer must unblock it; no login was tried",
                            ti->desc);
    if ((ti->flags & CKF_USER_PIN_FINAL_TRY) && !ctx->force_final_pin_try)
        return prov_err_set(e, PROV_R_PIN_FINAL_TRY,
                            "%s allows one more PIN attempt only (CKF_USER_PIN_FINAL_TRY): a wrong "
                            "PIN would lock it, so no login was tried; make sure of the PIN, then "
                            "run again with %s",
                            ti->desc, ctx->force_word);
    if (ti->flags & CKF_USER_PIN_FINAL_TRY)
        prov_warn(ctx, "%s allows one more PIN attempt only: a wrong PIN now locks it", ti->desc);
    else if (ti->flags & CKF_USER_PIN_COUNT_LOW)
        prov_warn(ctx,
                  "%s reports a low PIN retry count (CKF_USER_PIN_COUNT_LOW): a wrong PIN "
                  "brings it closer to locking",
                  ti->desc);
    return PROV_R_OK;
}

/*
 * The PIN when the configuration gives none: the PIN pad, else the
 * caller's prompt. `*pin` stays NULL for the PIN pad.
 */
static prov_status pin_without_source(const prov_ctx *ctx, const prov_token_info *ti, char **pin,
                                      int *pinpad, char *from, size_t fromlen, prov_err *e)
{
    char buf[PROV_PIN_MAX + 1];

    if (ti->flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
        *pinpad = 1;
        snprintf(from, fromlen, "the reader's PIN pad");
        return PROV_R_OK;
    }
    if (ctx->pin_prompt == NULL)
        return prov_err_set(e, PROV_R_PIN_MISSING,
                            "no PIN for %s: add pin-source=file:/path (or pin-value=) to %s, or "
                            "set P11TEE_PIN",
                            ti->desc, ctx->token_word);
    if (ctx->pin_prompt(ctx->pin_prompt_arg, ti->desc, buf, sizeof(buf)) != 0)
        return prov_err_set(e, PROV_R_PIN_MISSING,
                            "no PIN for %s (no terminal to ask on, or none typed): add "
                            "pin-source=file:/path to %s, set P11TEE_PIN, or run on a terminal "
                            "and type it",
                            ti->desc, ctx->token_word);
    buf[sizeof(buf) - 1] = '\0';
    *pin = prov_secret_strdup(buf);
    OPENSSL_cleanse(buf, sizeof(buf));
    if (*pin == NULL)
        return prov_err_set(e, PROV_R_NOMEM, "out of memory");
    snprintf(from, fromlen, "the prompt");
    return PROV_R_OK;
}

/* The PIN for this login: configured, else the PIN pad or the prompt. */
static prov_status pin_get(const prov_ctx *ctx, const prov_uri *u, const prov_token_info *ti,
                           char **pin, int *pinpad, char *from, size_t fromlen, prov_err *e)
{
    switch (prov_pin_resolve(u, ctx->pin, pin, e->msg, sizeof(e->msg))) {
    case PROV_PIN_OK: prov_pin_origin(u, from, fromlen); return PROV_R_OK;
    case PROV_PIN_BAD_SOURCE: e->reason = PROV_R_PIN_SOURCE; return PROV_R_PIN_SOURCE;
    case PROV_PIN_NONE: break;
    }
    return pin_without_source(ctx, ti, pin, pinpad, from, fromlen, e);
}

prov_status prov_slot_login(const prov_ctx *ctx, prov_module *m, const prov_uri *u,
                            const prov_token_info *ti, char **pin, int *pinpad, char *pin_from,
                            size_t pin_from_len, prov_err *e)
{
    prov_login *l;
    prov_status rc;

    *pin = NULL;
    *pinpad = 0;
    pthread_mutex_lock(&m->open_lock);
    l = login_find_unlocked(m, ti->slot);
    pthread_mutex_unlock(&m->open_lock);
    rc = l != NULL ? PROV_R_OK : flags_allow_login(ctx, ti, e);
    /* Never under a lock: the prompt waits for a person. */
    if (rc == PROV_R_OK)
        rc = pin_get(ctx, u, ti, pin, pinpad, pin_from, pin_from_len, e);
    if (rc != PROV_R_OK)
        return rc;
    pthread_mutex_lock(&m->open_lock);
    l = login_find_unlocked(m, ti->slot);
    rc = l != NULL ? login_compare(ti, l, *pin, e) : login_unlocked(ctx, m, ti, *pin, pin_from, e);
    pthread_mutex_unlock(&m->open_lock);
    return rc;
}

prov_status prov_slot_relogin_child(const prov_ctx *ctx, prov_module *m, const prov_token_info *ti,
                                    const char *pin, prov_err *e)
{
    prov_status rc = PROV_R_OK;

    pthread_mutex_lock(&m->open_lock);
    if (login_find_unlocked(m, ti->slot) == NULL)
        rc = login_unlocked(ctx, m, ti, pin, "the configuration", e);
    pthread_mutex_unlock(&m->open_lock);
    return rc;
}
