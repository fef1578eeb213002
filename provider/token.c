/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * PKCS#11 plumbing. libp11 loads the module, enumerates the slots and logs
 * in; libp11 0.4.12 cannot generate EC keys, make session objects or hand
 * out its handles, so keygen, derive and destroy call the module's own
 * function list (the same dlopen handle, hence the same initialised module
 * and the same per-process login) on sessions this file opens and pools.
 *
 * A module is shared by every provider instance of the process that loads
 * it, whatever path names it (libp11 finalises the module and closes all of
 * a slot's sessions when it lets go, which would pull the rug from under
 * another instance).
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libp11.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "prov.h"

/* Last: its compatibility macros rename identifiers such as `value`. */
#include <p11-kit/pkcs11.h>

#define PROV_SESSIONS_MAX 8
#define WHY_MAX           400

/* ---- CK_RV names ------------------------------------------------------------ */

#define CKR_ENTRY(rv)                                                                              \
    {                                                                                              \
        rv, #rv                                                                                    \
    }
static const struct {
    CK_RV rv;
    const char *name;
} ckr_names[] = {
    CKR_ENTRY(CKR_OK),
    CKR_ENTRY(CKR_CANCEL),
    CKR_ENTRY(CKR_HOST_MEMORY),
    CKR_ENTRY(CKR_SLOT_ID_INVALID),
    CKR_ENTRY(CKR_GENERAL_ERROR),
    CKR_ENTRY(CKR_FUNCTION_FAILED),
    CKR_ENTRY(CKR_ARGUMENTS_BAD),
    CKR_ENTRY(CKR_NEED_TO_CREATE_THREADS),
    CKR_ENTRY(CKR_CANT_LOCK),
    CKR_ENTRY(CKR_ATTRIBUTE_READ_ONLY),
    CKR_ENTRY(CKR_ATTRIBUTE_SENSITIVE),
    CKR_ENTRY(CKR_ATTRIBUTE_TYPE_INVALID),
    CKR_ENTRY(CKR_ATTRIBUTE_VALUE_INVALID),
    CKR_ENTRY(CKR_ACTION_PROHIBITED),
    CKR_ENTRY(CKR_DATA_INVALID),
    CKR_ENTRY(CKR_DATA_LEN_RANGE),
    CKR_ENTRY(CKR_DEVICE_ERROR),
    CKR_ENTRY(CKR_DEVICE_MEMORY),
    CKR_ENTRY(CKR_DEVICE_REMOVED),
    CKR_ENTRY(CKR_FUNCTION_CANCELED),
    CKR_ENTRY(CKR_FUNCTION_NOT_SUPPORTED),
    CKR_ENTRY(CKR_KEY_HANDLE_INVALID),
    CKR_ENTRY(CKR_KEY_SIZE_RANGE),
    CKR_ENTRY(CKR_KEY_TYPE_INCONSISTENT),
    CKR_ENTRY(CKR_KEY_FUNCTION_NOT_PERMITTED),
    CKR_ENTRY(CKR_MECHANISM_INVALID),
    CKR_ENTRY(CKR_MECHANISM_PARAM_INVALID),
    CKR_ENTRY(CKR_OBJECT_HANDLE_INVALID),
    CKR_ENTRY(CKR_OPERATION_ACTIVE),
    CKR_ENTRY(CKR_OPERATION_NOT_INITIALIZED),
    CKR_ENTRY(CKR_PIN_INCORRECT),
    CKR_ENTRY(CKR_PIN_INVALID),
    CKR_ENTRY(CKR_PIN_LEN_RANGE),
    CKR_ENTRY(CKR_PIN_EXPIRED),
    CKR_ENTRY(CKR_PIN_LOCKED),
    CKR_ENTRY(CKR_SESSION_CLOSED),
    CKR_ENTRY(CKR_SESSION_COUNT),
    CKR_ENTRY(CKR_SESSION_HANDLE_INVALID),
    CKR_ENTRY(CKR_SESSION_PARALLEL_NOT_SUPPORTED),
    CKR_ENTRY(CKR_SESSION_READ_ONLY),
    CKR_ENTRY(CKR_TEMPLATE_INCOMPLETE),
    CKR_ENTRY(CKR_TEMPLATE_INCONSISTENT),
    CKR_ENTRY(CKR_TOKEN_NOT_PRESENT),
    CKR_ENTRY(CKR_TOKEN_NOT_RECOGNIZED),
    CKR_ENTRY(CKR_TOKEN_WRITE_PROTECTED),
    CKR_ENTRY(CKR_USER_ALREADY_LOGGED_IN),
    CKR_ENTRY(CKR_USER_NOT_LOGGED_IN),
    CKR_ENTRY(CKR_USER_PIN_NOT_INITIALIZED),
    CKR_ENTRY(CKR_USER_TYPE_INVALID),
    CKR_ENTRY(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
    CKR_ENTRY(CKR_DOMAIN_PARAMS_INVALID),
    CKR_ENTRY(CKR_CURVE_NOT_SUPPORTED),
    CKR_ENTRY(CKR_BUFFER_TOO_SMALL),
    CKR_ENTRY(CKR_CRYPTOKI_NOT_INITIALIZED),
    CKR_ENTRY(CKR_CRYPTOKI_ALREADY_INITIALIZED),
    CKR_ENTRY(CKR_PIN_TOO_WEAK),
    CKR_ENTRY(CKR_FUNCTION_REJECTED),
};
#undef CKR_ENTRY

const char *prov_ckr_name(unsigned long rv, char buf[24])
{
    size_t i;

    for (i = 0; i < PROV_ARRAY_LEN(ckr_names); i++)
        if (ckr_names[i].rv == rv)
            return ckr_names[i].name;
    snprintf(buf, 24, "CKR_0x%lx", rv);
    return buf;
}

int prov_login_reason(unsigned long rv)
{
    switch (rv) {
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE: return PROV_R_PIN_INCORRECT;
    case CKR_PIN_LOCKED: return PROV_R_PIN_LOCKED;
    default: return PROV_R_LOGIN;
    }
}

/* ---- modules shared by the process's provider instances --------------------- */

/* A PIN that logged in to a slot: later instances must present the same one. */
typedef struct prov_login {
    struct prov_login *next;
    CK_SLOT_ID slot;
    char *pin;
} prov_login;

typedef struct prov_module {
    struct prov_module *next;
    char *path; /* the path that loaded it; others may name the same file */
    unsigned int refs;
    void *dl; /* the registry's key: one record per loaded module */
    CK_FUNCTION_LIST_PTR fl;
    PKCS11_CTX *p11;
    PKCS11_SLOT *slots;
    unsigned int nslots;
    pid_t pid; /* process that initialised the module */
    prov_login *logins;
} prov_module;

static pthread_mutex_t modules_lock = PTHREAD_MUTEX_INITIALIZER;
static prov_module *modules;

/*
 * The CK_RV of the libp11 failure that just happened (libp11 raises it
 * last, as an error of its "CKR" library), or CKR_GENERAL_ERROR. Pops what
 * libp11 raised since our ERR_set_mark(): we report it in our own words.
 */
static CK_RV libp11_rv(void)
{
    unsigned long e = ERR_peek_last_error();
    CK_RV rv = CKR_GENERAL_ERROR;

    if (e != 0 && ERR_GET_LIB(e) == ERR_get_CKR_code() && ERR_GET_REASON(e) != 0)
        rv = (CK_RV)ERR_GET_REASON(e);
    ERR_pop_to_mark();
    return rv;
}

/*
 * dlopen the module at `path`. A symlink or any other path to the same file
 * gives the same handle. RTLD_NODELETE keeps the module mapped after its last
 * release (see exit_handler_cover).
 */
static int module_dlopen(const char *path, void **dl, char *why, size_t whylen)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        snprintf(why, whylen, "PKCS#11 module %s: %s; check pkcs11-module", path, strerror(errno));
        return PROV_R_MODULE_LOAD;
    }
    *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (*dl == NULL) {
        snprintf(why, whylen, "cannot load PKCS#11 module %s: %s", path, dlerror());
        return PROV_R_MODULE_LOAD;
    }
    return 0;
}

/* C_GetFunctionList, with a message that says what failed. */
static int module_functions(prov_module *m, char *why, size_t whylen)
{
    CK_C_GetFunctionList getfl;
    char nb[24];
    CK_RV rv;

    getfl = (CK_C_GetFunctionList)dlsym(m->dl, "C_GetFunctionList");
    if (getfl == NULL) {
        snprintf(why, whylen, "%s is not a PKCS#11 module (no C_GetFunctionList)", m->path);
        return PROV_R_MODULE_LOAD;
    }
    rv = getfl(&m->fl);
    if (rv != CKR_OK || m->fl == NULL) {
        snprintf(why, whylen, "PKCS#11 module %s: C_GetFunctionList: %s", m->path,
                 prov_ckr_name(rv, nb));
        return PROV_R_MODULE_LOAD;
    }
    return 0;
}

/* libp11: load (C_Initialize with CKF_OS_LOCKING_OK) and enumerate the slots. */
static int module_open_p11(prov_module *m, char *why, size_t whylen)
{
    char nb[24];

    m->p11 = PKCS11_CTX_new();
    if (m->p11 == NULL) {
        snprintf(why, whylen, "out of memory");
        return PROV_R_NOMEM;
    }
    ERR_set_mark();
    if (PKCS11_CTX_load(m->p11, m->path) != 0) {
        snprintf(why, whylen, "PKCS#11 module %s failed to initialise: %s", m->path,
                 prov_ckr_name(libp11_rv(), nb));
        PKCS11_CTX_free(m->p11);
        m->p11 = NULL;
        return PROV_R_MODULE_LOAD;
    }
    m->pid = getpid();
    if (PKCS11_enumerate_slots(m->p11, &m->slots, &m->nslots) != 0) {
        snprintf(why, whylen, "PKCS#11 module %s: listing slots failed: %s", m->path,
                 prov_ckr_name(libp11_rv(), nb));
        return PROV_R_TOKEN;
    }
    ERR_pop_to_mark();
    return 0;
}

/* Set by the exit handler: module code may already be torn down. */
static _Atomic int modules_exiting;

/*
 * Let libp11 close the slots' sessions and finalise the module. In a child
 * that never re-initialised the module, its state is the parent's: libp11
 * would close the parent's sessions, so leave it alone. modules_lock held.
 */
static void module_shutdown(prov_module *m)
{
    if (m->p11 != NULL && m->pid == getpid()) {
        if (m->slots != NULL)
            PKCS11_release_all_slots(m->p11, m->slots, m->nslots);
        PKCS11_CTX_unload(m->p11);
        PKCS11_CTX_free(m->p11);
    }
    m->p11 = NULL;
    m->slots = NULL;
    if (m->dl != NULL)
        dlclose(m->dl);
    m->dl = NULL;
}

static void module_free(prov_module *m)
{
    prov_login *l, *next;

    for (l = m->logins; l != NULL; l = next) {
        next = l->next;
        OPENSSL_clear_free(l->pin, strlen(l->pin));
        free(l);
    }
    module_shutdown(m);
    free(m->path);
    free(m);
}

/*
 * At exit, OpenSSL tears providers down from its own atexit handler, which
 * runs after the C++ static destructors of a module loaded later (SoftHSM
 * crashes in C_CloseAllSessions then). This handler runs before them: it
 * finalises the modules and tells the teardown code not to call them any
 * more. It may be registered more than once; a second run does nothing.
 */
static void modules_at_exit(void)
{
    prov_module *m;

    pthread_mutex_lock(&modules_lock);
    atomic_store(&modules_exiting, 1);
    for (m = modules; m != NULL; m = m->next)
        module_shutdown(m);
    pthread_mutex_unlock(&modules_lock);
}

/* Modules the exit handler was registered after; modules_lock held. */
static void *exit_covered[8];
static size_t exit_ncovered;

/*
 * Exit handlers run in reverse order of registration, and a module's static
 * destructors are registered when it is loaded, so modules_at_exit must be
 * registered after that. Modules stay mapped (RTLD_NODELETE): a module is
 * loaded once per process, so one registration per module suffices, however
 * often clients open and release it. (Registering only once per process
 * would be wrong: a module unloaded and loaded again would register its
 * destructors after our handler.) modules_lock held.
 */
static void exit_handler_cover(const prov_ctx *ctx, const prov_module *m)
{
    size_t i;

    for (i = 0; i < exit_ncovered; i++)
        if (exit_covered[i] == m->dl)
            return;
    if (atexit(modules_at_exit) != 0) {
        prov_debug(ctx, "atexit failed: the modules are not finalised at exit");
        return;
    }
    prov_debug(ctx, "exit handler registered after loading %s", m->path);
    /* Past 8 distinct modules, every load registers again: correct, only longer. */
    if (exit_ncovered < PROV_ARRAY_LEN(exit_covered))
        exit_covered[exit_ncovered++] = m->dl;
}

/*
 * The module at `path`, loaded on first use; the same record for any path
 * that loads the same module. Called with modules_lock held.
 */
static int module_acquire(const prov_ctx *ctx, const char *path, prov_module **out, char *why,
                          size_t whylen)
{
    prov_module *m;
    void *dl;
    int reason = module_dlopen(path, &dl, why, whylen);

    if (reason != 0)
        return reason;
    for (m = modules; m != NULL; m = m->next) {
        if (m->dl == dl) {
            dlclose(dl); /* the record holds one reference */
            m->refs++;
            *out = m;
            return 0;
        }
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL || (m->path = strdup(path)) == NULL) {
        free(m);
        dlclose(dl);
        snprintf(why, whylen, "out of memory");
        return PROV_R_NOMEM;
    }
    m->dl = dl;
    reason = module_functions(m, why, whylen);
    if (reason == 0)
        reason = module_open_p11(m, why, whylen);
    if (reason != 0) {
        module_free(m);
        return reason;
    }
    m->refs = 1;
    m->next = modules;
    modules = m;
    *out = m;
    prov_debug(ctx, "loaded PKCS#11 module %s", path);
    exit_handler_cover(ctx, m);
    return 0;
}

static void module_release(prov_module *m)
{
    prov_module **pp;

    pthread_mutex_lock(&modules_lock);
    if (--m->refs == 0) {
        for (pp = &modules; *pp != NULL; pp = &(*pp)->next) {
            if (*pp == m) {
                *pp = m->next;
                break;
            }
        }
        module_free(m);
    }
    pthread_mutex_unlock(&modules_lock);
}

/*
 * After fork() the child must call C_Initialize before using the module
 * (PKCS#11 v2.40 section 6.7.7). We do it first and with
 * CKF_OS_LOCKING_OK: libp11's own re-initialisation in the child passes
 * no arguments, which would leave the module without locks. A module that
 * did not notice the fork answers CKR_CRYPTOKI_ALREADY_INITIALIZED and
 * keeps the parent's state, which is equally usable. modules_lock held.
 */
static int module_reinit_child(const prov_ctx *ctx, prov_module *m, char *why, size_t whylen)
{
    CK_C_INITIALIZE_ARGS args;
    char nb[24];
    CK_RV rv;

    if (m->pid == getpid())
        return 0;
    memset(&args, 0, sizeof(args));
    args.flags = CKF_OS_LOCKING_OK;
    rv = m->fl->C_Initialize(&args);
    prov_debug(ctx, "C_Initialize(CKF_OS_LOCKING_OK) in child %d: %s", (int)getpid(),
               prov_ckr_name(rv, nb));
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        snprintf(why, whylen, "C_Initialize in the child process after fork(): %s",
                 prov_ckr_name(rv, nb));
        return PROV_R_TOKEN;
    }
    m->pid = getpid();
    return 0;
}

/* ---- the token of one provider instance ------------------------------------- */

enum { TOKEN_CLOSED, TOKEN_OPEN, TOKEN_FAILED };

struct prov_token {
    pthread_mutex_t lock; /* everything below but `state` reads on the fast path */
    pthread_cond_t idle_cond;
    _Atomic int state;
    pid_t pid; /* process the sessions belong to */
    int fail_reason;
    char fail_msg[WHY_MAX];
    prov_module *mod;
    PKCS11_SLOT *slot;
    CK_SLOT_ID slot_id;
    char label[33];
    char *pin; /* kept to log in again after fork(); cleansed at teardown */
    CK_SESSION_HANDLE idle[PROV_SESSIONS_MAX];
    size_t nidle;
    size_t nopen;
};

int prov_token_new(prov_ctx *ctx)
{
    prov_token *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return 0;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->idle_cond, NULL);
    atomic_init(&t->state, TOKEN_CLOSED);
    ctx->token = t;
    return 1;
}

void prov_token_free(prov_ctx *ctx)
{
    prov_token *t = ctx->token;
    size_t i;

    if (t == NULL)
        return;
    if (atomic_load(&t->state) == TOKEN_OPEN && t->pid == getpid() &&
        !atomic_load(&modules_exiting)) {
        for (i = 0; i < t->nidle; i++)
            t->mod->fl->C_CloseSession(t->idle[i]);
    }
    if (t->mod != NULL)
        module_release(t->mod);
    prov_pin_free(t->pin);
    pthread_cond_destroy(&t->idle_cond);
    pthread_mutex_destroy(&t->lock);
    free(t);
    ctx->token = NULL;
}

/* Does the slot's token match every attribute the URI gives? */
static int slot_matches(PKCS11_SLOT *s, const prov_uri *u)
{
    const PKCS11_TOKEN *tk = s->token;

    if (tk == NULL || !tk->initialized)
        return 0; /* libp11 waits forever for a session on an uninitialised token */
    if (u->token != NULL && strcmp(u->token, tk->label) != 0)
        return 0;
    if (u->serial != NULL && strcmp(u->serial, tk->serialnr) != 0)
        return 0;
    if (u->manufacturer != NULL && strcmp(u->manufacturer, tk->manufacturer) != 0)
        return 0;
    if (u->model != NULL && strcmp(u->model, tk->model) != 0)
        return 0;
    if (u->slotid != NULL && strtoul(u->slotid, NULL, 10) != PKCS11_get_slotid_from_slot(s))
        return 0;
    return 1;
}

static int find_slot(const prov_ctx *ctx, const prov_uri *u, const char *shown, char *why,
                     size_t whylen)
{
    prov_token *t = ctx->token;
    unsigned int i, n = 0;
    size_t used;

    for (i = 0; i < t->mod->nslots; i++) {
        if (slot_matches(&t->mod->slots[i], u) && n++ == 0)
            t->slot = &t->mod->slots[i];
    }
    if (n == 1) {
        t->slot_id = PKCS11_get_slotid_from_slot(t->slot);
        snprintf(t->label, sizeof(t->label), "%s", t->slot->token->label);
        return 0;
    }
    if (n > 1) {
        snprintf(why, whylen, "%u tokens match %s: add token= or serial= to pkcs11-token", n,
                 shown);
        return PROV_R_TOKEN_AMBIGUOUS;
    }
    used = (size_t)snprintf(why, whylen, "no initialised token matches %s in %s; present:", shown,
                            ctx->module_path);
    for (i = 0; i < t->mod->nslots && used < whylen; i++) {
        const PKCS11_TOKEN *tk = t->mod->slots[i].token;

        if (tk != NULL && tk->initialized)
            used += (size_t)snprintf(why + used, whylen - used, " \"%s\"", tk->label);
    }
    if (used < whylen && strchr(why, '"') == NULL)
        snprintf(why + used, whylen - used, " none");
    return PROV_R_TOKEN_NOT_FOUND;
}

/*
 * Log in through libp11, or check the PIN against the one this process
 * already logged in with (the token would answer
 * CKR_USER_ALREADY_LOGGED_IN to any PIN). modules_lock held.
 */
static int login(prov_token *t, char *why, size_t whylen)
{
    prov_login *l;
    char nb[24];
    CK_RV rv;

    for (l = t->mod->logins; l != NULL; l = l->next) {
        if (l->slot != t->slot_id)
            continue;
        if (strlen(l->pin) != strlen(t->pin) ||
            CRYPTO_memcmp(l->pin, t->pin, strlen(t->pin)) != 0) {
            snprintf(why, whylen,
                     "the PIN for token \"%s\" differs from the one this process logged in with",
                     t->label);
            return PROV_R_PIN_INCORRECT;
        }
        break;
    }
    ERR_set_mark();
    if (PKCS11_login(t->slot, 0, t->pin) != 0) {
        rv = libp11_rv();
        snprintf(why, whylen, "login to token \"%s\" failed (C_Login: %s)%s", t->label,
                 prov_ckr_name(rv, nb),
                 prov_login_reason(rv) == PROV_R_PIN_INCORRECT
                     ? ": check pin-value, pin-source or P11TEE_PIN"
                     : "");
        return prov_login_reason(rv);
    }
    ERR_pop_to_mark();
    if (l == NULL) {
        l = calloc(1, sizeof(*l));
        if (l == NULL || (l->pin = OPENSSL_strdup(t->pin)) == NULL) {
            free(l);
            snprintf(why, whylen, "out of memory");
            return PROV_R_NOMEM;
        }
        l->slot = t->slot_id;
        l->next = t->mod->logins;
        t->mod->logins = l;
    }
    return 0;
}

/* Open one session and check that it is logged in; it becomes the first idle one. */
static int first_session(prov_token *t, char *why, size_t whylen)
{
    CK_SESSION_HANDLE s;
    CK_SESSION_INFO info;
    char nb[24];
    CK_RV rv;

    /* Read-only: session objects only; nothing can be written to the token. */
    rv = t->mod->fl->C_OpenSession(t->slot_id, CKF_SERIAL_SESSION, NULL, NULL, &s);
    if (rv != CKR_OK) {
        snprintf(why, whylen, "C_OpenSession on token \"%s\": %s", t->label, prov_ckr_name(rv, nb));
        return PROV_R_TOKEN;
    }
    rv = t->mod->fl->C_GetSessionInfo(s, &info);
    if (rv != CKR_OK || info.state != CKS_RO_USER_FUNCTIONS) {
        snprintf(why, whylen, "token \"%s\" reports no user login after C_Login (%s, state %lu)",
                 t->label, prov_ckr_name(rv, nb), rv == CKR_OK ? info.state : 0UL);
        t->mod->fl->C_CloseSession(s);
        return PROV_R_LOGIN;
    }
    t->idle[0] = s;
    t->nidle = t->nopen = 1;
    return 0;
}

/* Module, token, PIN, login, first session. t->lock held. */
static int token_open_first(prov_ctx *ctx, char *why, size_t whylen)
{
    prov_token *t = ctx->token;
    char shown[160]; /* the URI as messages show it: PIN redacted, truncated */
    prov_uri uri;
    int reason;

    if (ctx->module_path == NULL || ctx->token_uri == NULL) {
        snprintf(why, whylen, "%s is not configured: set it in the provider's configuration",
                 ctx->module_path == NULL ? PROV_PARAM_MODULE : PROV_PARAM_TOKEN);
        return PROV_R_CONFIG;
    }
    /* A URI that does not parse is not shown: only a parsed one can be redacted. */
    if (!prov_uri_parse(ctx->token_uri, &uri, why, whylen)) {
        size_t n = strlen(why);

        snprintf(why + n, whylen - n, " in pkcs11-token");
        return PROV_R_TOKEN_URI;
    }
    prov_uri_redact(ctx->token_uri, shown, sizeof(shown));
    pthread_mutex_lock(&modules_lock);
    reason = module_acquire(ctx, ctx->module_path, &t->mod, why, whylen);
    /* A child whose first instance is this one: the module is still the parent's. */
    if (reason == 0)
        reason = module_reinit_child(ctx, t->mod, why, whylen);
    if (reason == 0)
        reason = find_slot(ctx, &uri, shown, why, whylen);
    if (reason == 0) {
        switch (prov_pin_resolve(&uri, &t->pin, why, whylen)) {
        case PROV_PIN_OK: reason = login(t, why, whylen); break;
        case PROV_PIN_NONE: reason = PROV_R_PIN_MISSING; break;
        case PROV_PIN_BAD_SOURCE: reason = PROV_R_PIN_SOURCE; break;
        }
    }
    if (reason == 0)
        reason = first_session(t, why, whylen);
    pthread_mutex_unlock(&modules_lock);
    prov_uri_clear(&uri);
    return reason;
}

/* In a child after fork(): initialise, log in again, forget the parent's sessions. */
static int token_reopen_child(prov_ctx *ctx, char *why, size_t whylen)
{
    prov_token *t = ctx->token;
    int reason;

    prov_debug(ctx, "process %d is a child of %d: re-initialising", (int)getpid(), (int)t->pid);
    t->nidle = t->nopen = 0;
    pthread_mutex_lock(&modules_lock);
    reason = module_reinit_child(ctx, t->mod, why, whylen);
    if (reason == 0)
        reason = login(t, why, whylen);
    if (reason == 0)
        reason = first_session(t, why, whylen);
    pthread_mutex_unlock(&modules_lock);
    return reason;
}

/* Remember and raise a failure; later calls raise it again without retrying. */
static int token_fail(prov_ctx *ctx, int reason, const char *why)
{
    prov_token *t = ctx->token;

    t->fail_reason = reason;
    snprintf(t->fail_msg, sizeof(t->fail_msg), "%s", why);
    atomic_store(&t->state, TOKEN_FAILED);
    prov_debug(ctx, "token: %s", why);
    PROV_RAISE(ctx, reason, "%s", why);
    return 0;
}

int prov_token_open(prov_ctx *ctx)
{
    prov_token *t = ctx->token;
    char why[WHY_MAX];
    int reason = 0, ok = 1;

    if (atomic_load(&t->state) == TOKEN_OPEN && t->pid == getpid())
        return 1;
    pthread_mutex_lock(&t->lock);
    switch (atomic_load(&t->state)) {
    case TOKEN_FAILED:
        PROV_RAISE(ctx, t->fail_reason, "%s", t->fail_msg);
        ok = 0;
        break;
    case TOKEN_CLOSED: reason = token_open_first(ctx, why, sizeof(why)); break;
    default:
        if (t->pid != getpid())
            reason = token_reopen_child(ctx, why, sizeof(why));
        break;
    }
    if (ok && reason != 0)
        ok = token_fail(ctx, reason, why);
    else if (ok) {
        t->pid = getpid();
        atomic_store(&t->state, TOKEN_OPEN);
    }
    pthread_mutex_unlock(&t->lock);
    return ok;
}

/* ---- the session pool ---------------------------------------------------- */

static int session_get(prov_ctx *ctx, CK_SESSION_HANDLE *s)
{
    prov_token *t = ctx->token;
    char nb[24];
    CK_RV rv;

    if (!prov_token_open(ctx))
        return 0;
    pthread_mutex_lock(&t->lock);
    while (t->nidle == 0 && t->nopen >= PROV_SESSIONS_MAX)
        pthread_cond_wait(&t->idle_cond, &t->lock);
    if (t->nidle > 0) {
        *s = t->idle[--t->nidle];
        pthread_mutex_unlock(&t->lock);
        return 1;
    }
    t->nopen++; /* reserve the place; open outside the lock */
    pthread_mutex_unlock(&t->lock);
    rv = t->mod->fl->C_OpenSession(t->slot_id, CKF_SERIAL_SESSION, NULL, NULL, s);
    if (rv == CKR_OK)
        return 1;
    pthread_mutex_lock(&t->lock);
    t->nopen--;
    pthread_cond_signal(&t->idle_cond);
    pthread_mutex_unlock(&t->lock);
    PROV_RAISE(ctx, PROV_R_TOKEN, "C_OpenSession on token \"%s\": %s", t->label,
               prov_ckr_name(rv, nb));
    return 0;
}

/* Return a session; one the token says is gone is dropped from the pool. */
static void session_put(prov_ctx *ctx, CK_SESSION_HANDLE s, CK_RV last_rv)
{
    prov_token *t = ctx->token;
    int gone = last_rv == CKR_SESSION_HANDLE_INVALID || last_rv == CKR_SESSION_CLOSED ||
               last_rv == CKR_DEVICE_REMOVED || last_rv == CKR_TOKEN_NOT_PRESENT;

    pthread_mutex_lock(&t->lock);
    if (gone)
        t->nopen--;
    else
        t->idle[t->nidle++] = s;
    pthread_cond_signal(&t->idle_cond);
    pthread_mutex_unlock(&t->lock);
}

/*
 * Close a session for good: the token destroys the session objects it
 * created, a secret C_DestroyObject left behind and any key pair generated
 * in it (those keys then report KEY_STALE). The login survives: libp11 keeps
 * the session it logged in with. 1 if the token closed it.
 */
static int session_close(prov_ctx *ctx, CK_SESSION_HANDLE s)
{
    CK_RV rv = ctx->token->mod->fl->C_CloseSession(s);
    char nb[24];

    prov_debug(ctx, "C_CloseSession: %s", prov_ckr_name(rv, nb));
    session_put(ctx, s, CKR_SESSION_CLOSED); /* out of the pool either way */
    return rv == CKR_OK;
}

/* ---- objects ------------------------------------------------------------- */

int prov_key_is_current(const prov_key *key)
{
    return key->pid == getpid();
}

int prov_key_check_current(prov_ctx *ctx, const prov_key *key)
{
    if (prov_key_is_current(key))
        return 1;
    PROV_RAISE(ctx, PROV_R_KEY_STALE,
               "the key was made by process %d, before fork(): generate a new one in this"
               " process",
               (int)key->pid);
    return 0;
}

/*
 * CKA_EC_POINT is a DER OCTET STRING around the point (some tokens give the
 * raw point). Copies the point into key->pub when it has c's length.
 */
static int ec_point_unwrap(const unsigned char *der, size_t len, const prov_curve *c, prov_key *key)
{
    size_t want = prov_curve_point_len(c), hdr, body;

    if (len == want && der[0] == 0x04) {
        hdr = 0;
        body = len;
    } else if (len >= 2 && der[0] == 0x04 && der[1] < 0x80) {
        hdr = 2;
        body = der[1];
    } else if (len >= 3 && der[0] == 0x04 && der[1] == 0x81) {
        hdr = 3;
        body = der[2];
    } else {
        return 0;
    }
    if (body != want || len - hdr != body)
        return 0;
    memcpy(key->pub, der + hdr, want);
    key->pub_len = want;
    return 1;
}

/* A CKA_ID that links the two objects of a pair: pid and a process-wide counter. */
static void key_id(unsigned char id[12])
{
    static _Atomic uint64_t counter;
    uint64_t n = atomic_fetch_add(&counter, 1) + 1;
    uint32_t pid = (uint32_t)getpid();
    int i;

    for (i = 0; i < 4; i++)
        id[i] = (unsigned char)(pid >> (24 - 8 * i));
    for (i = 0; i < 8; i++)
        id[4 + i] = (unsigned char)(n >> (56 - 8 * i));
}

/*
 * What every private key object is, generated or imported: a session
 * object, private, sensitive, not extractable, for ECDH only; and its
 * CKA_ID, which `id` receives.
 */
#define PRIV_POLICY_LEN 7
static void priv_policy(CK_ATTRIBUTE t[PRIV_POLICY_LEN], unsigned char id[12])
{
    static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    const CK_ATTRIBUTE policy[PRIV_POLICY_LEN] = {
        {CKA_TOKEN, &no, sizeof(no)},
        {CKA_PRIVATE, &yes, sizeof(yes)},
        {CKA_SENSITIVE, &yes, sizeof(yes)},
        {CKA_EXTRACTABLE, &no, sizeof(no)},
        {CKA_DERIVE, &yes, sizeof(yes)},
        {CKA_SIGN, &no, sizeof(no)},
        {CKA_ID, id, 12},
    };

    key_id(id);
    memcpy(t, policy, sizeof(policy));
}

static int keygen_reason(CK_RV rv)
{
    return rv == CKR_CURVE_NOT_SUPPORTED || rv == CKR_DOMAIN_PARAMS_INVALID
               ? PROV_R_CURVE_UNSUPPORTED
               : PROV_R_KEYGEN;
}

/* Read the public point of a fresh pair; destroys the pair when it can't. */
static int keygen_read_point(prov_ctx *ctx, CK_SESSION_HANDLE s, const prov_curve *c, prov_key *key,
                             CK_RV *rv)
{
    unsigned char der[PROV_POINT_MAX + 3];
    CK_ATTRIBUTE a = {CKA_EC_POINT, der, sizeof(der)};
    char nb[24];

    *rv = ctx->token->mod->fl->C_GetAttributeValue(s, key->pubobj, &a, 1);
    if (*rv != CKR_OK) {
        PROV_RAISE(ctx, PROV_R_KEYGEN, "C_GetAttributeValue(CKA_EC_POINT): %s",
                   prov_ckr_name(*rv, nb));
        return 0;
    }
    if (!ec_point_unwrap(der, a.ulValueLen, c, key)) {
        PROV_RAISE(ctx, PROV_R_KEYGEN, "the token returned a malformed CKA_EC_POINT (%lu bytes)",
                   a.ulValueLen);
        return 0;
    }
    /* The check's own error (a peer's reason) is not the story here: replace it. */
    ERR_set_mark();
    if (!prov_point_check(ctx, c, key->pub, key->pub_len)) {
        ERR_pop_to_mark();
        PROV_RAISE(ctx, PROV_R_KEYGEN, "the token returned a public point not on %s", c->name);
        return 0;
    }
    ERR_pop_to_mark();
    return 1;
}

int prov_token_generate(prov_ctx *ctx, const prov_curve *c, prov_key *key)
{
    CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    CK_BBOOL no = CK_FALSE;
    unsigned char id[12];
    CK_ATTRIBUTE pub_tmpl[] = {
        {CKA_TOKEN, &no, sizeof(no)},
        {CKA_PRIVATE, &no, sizeof(no)},
        {CKA_EC_PARAMS, (void *)c->oid_der, c->oid_der_len},
        {CKA_ID, id, sizeof(id)},
    };
    CK_ATTRIBUTE priv_tmpl[PRIV_POLICY_LEN];
    CK_SESSION_HANDLE s;
    CK_RV rv;
    char nb[24];

    if (!session_get(ctx, &s))
        return 0;
    priv_policy(priv_tmpl, id);
    rv = ctx->token->mod->fl->C_GenerateKeyPair(s, &mech, pub_tmpl, PROV_ARRAY_LEN(pub_tmpl),
                                                priv_tmpl, PROV_ARRAY_LEN(priv_tmpl), &key->pubobj,
                                                &key->priv);
    if (rv != CKR_OK) {
        session_put(ctx, s, rv);
        PROV_RAISE(ctx, keygen_reason(rv), "C_GenerateKeyPair(%s) on token \"%s\": %s", c->name,
                   ctx->token->label, prov_ckr_name(rv, nb));
        key->priv = key->pubobj = PROV_NO_HANDLE;
        return 0;
    }
    key->curve = c;
    key->pid = getpid();
    if (!keygen_read_point(ctx, s, c, key, &rv)) {
        ctx->token->mod->fl->C_DestroyObject(s, key->priv);
        ctx->token->mod->fl->C_DestroyObject(s, key->pubobj);
        key->priv = key->pubobj = PROV_NO_HANDLE;
        key->pub_len = 0;
        session_put(ctx, s, rv);
        return 0;
    }
    session_put(ctx, s, CKR_OK);
    prov_debug(ctx, "C_GenerateKeyPair(%s): objects %lu/%lu", c->name, key->priv, key->pubobj);
    return 1;
}

int prov_token_import_private(prov_ctx *ctx, const prov_curve *c, const unsigned char *scalar,
                              size_t len, prov_key *key)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt = CKK_EC;
    unsigned char id[12];
    CK_ATTRIBUTE tmpl[PRIV_POLICY_LEN + 4] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_KEY_TYPE, &kt, sizeof(kt)},
        {CKA_EC_PARAMS, (void *)c->oid_der, c->oid_der_len},
        {CKA_VALUE, (void *)scalar, len},
    };
    CK_SESSION_HANDLE s;
    CK_RV rv;
    char nb[24];

    if (!session_get(ctx, &s))
        return 0;
    priv_policy(tmpl + 4, id);
    rv = ctx->token->mod->fl->C_CreateObject(s, tmpl, PROV_ARRAY_LEN(tmpl), &key->priv);
    session_put(ctx, s, rv);
    if (rv != CKR_OK) {
        key->priv = PROV_NO_HANDLE;
        PROV_RAISE(ctx, PROV_R_KEY_IMPORT, "C_CreateObject(%s private key) on token \"%s\": %s",
                   c->name, ctx->token->label, prov_ckr_name(rv, nb));
        return 0;
    }
    key->pid = getpid();
    return 1;
}

/*
 * Destroy the derived secret, a readable object. If the token will not, its
 * session is closed instead, which destroys it; if even that fails, the
 * secret may remain: the derive fails. Returns the session to the pool or
 * closes it; `*rv` and `*step` become the failure to report, if any.
 */
static void secret_destroy(prov_ctx *ctx, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE secret, CK_RV *rv,
                           const char **step)
{
    CK_RV drv = ctx->token->mod->fl->C_DestroyObject(s, secret);
    char nb[24];

    if (drv == CKR_OK) {
        session_put(ctx, s, *rv);
        return;
    }
    prov_debug(ctx, "C_DestroyObject(derived secret): %s", prov_ckr_name(drv, nb));
    if (!session_close(ctx, s) && *rv == CKR_OK) {
        *rv = drv;
        *step = "C_DestroyObject(derived secret) and C_CloseSession";
    }
}

/* C_DeriveKey into a 32-byte (field size) secret object, read it, destroy it. */
int prov_token_derive(prov_ctx *ctx, const prov_key *key, const unsigned char *peer,
                      size_t peer_len, unsigned char *out)
{
    CK_FUNCTION_LIST_PTR fl;
    CK_ECDH1_DERIVE_PARAMS p = {CKD_NULL, 0, NULL, peer_len, (unsigned char *)peer};
    CK_MECHANISM mech = {CKM_ECDH1_DERIVE, &p, sizeof(p)};
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
    CK_ULONG vlen = key->curve->field_bytes;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof(cls)},       {CKA_KEY_TYPE, &kt, sizeof(kt)},
        {CKA_TOKEN, &no, sizeof(no)},         {CKA_PRIVATE, &yes, sizeof(yes)},
        {CKA_SENSITIVE, &no, sizeof(no)},     {CKA_EXTRACTABLE, &yes, sizeof(yes)},
        {CKA_VALUE_LEN, &vlen, sizeof(vlen)},
    };
    CK_ATTRIBUTE val = {CKA_VALUE, out, vlen};
    CK_OBJECT_HANDLE secret = CK_INVALID_HANDLE;
    CK_SESSION_HANDLE s;
    const char *step = "C_DeriveKey";
    char nb[24];
    CK_RV rv;

    if (!prov_key_check_current(ctx, key) || !session_get(ctx, &s))
        return 0;
    fl = ctx->token->mod->fl;
    rv = fl->C_DeriveKey(s, &mech, key->priv, tmpl, PROV_ARRAY_LEN(tmpl), &secret);
    if (rv == CKR_OK) {
        step = "C_GetAttributeValue(CKA_VALUE)";
        rv = fl->C_GetAttributeValue(s, secret, &val, 1);
        if (rv == CKR_OK && val.ulValueLen != vlen)
            rv = CKR_DATA_LEN_RANGE;
        secret_destroy(ctx, s, secret, &rv, &step);
    } else {
        session_put(ctx, s, rv);
    }
    if (rv != CKR_OK) {
        OPENSSL_cleanse(out, vlen);
        /* A private key the token no longer knows: gone with its session, or destroyed. */
        PROV_RAISE(ctx,
                   rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID
                       ? PROV_R_KEY_STALE
                       : PROV_R_DERIVE,
                   "%s on token \"%s\": %s", step, ctx->token->label, prov_ckr_name(rv, nb));
        return 0;
    }
    prov_debug(ctx, "C_DeriveKey(%s): %lu-byte secret", key->curve->name, vlen);
    return 1;
}

void prov_token_destroy(prov_ctx *ctx, prov_key *key)
{
    CK_SESSION_HANDLE s;

    if (key->priv == PROV_NO_HANDLE && key->pubobj == PROV_NO_HANDLE)
        return;
    /*
     * A parent's objects are not ours to touch: the child's copy of the
     * handles just goes. At exit the module has destroyed them already.
     */
    if (prov_key_is_current(key) && !atomic_load(&modules_exiting)) {
        ERR_set_mark();
        if (session_get(ctx, &s)) {
            CK_RV rv1 = CKR_OK, rv2 = CKR_OK;
            char nb[24];

            /* Both, even when one is gone already (destroyed by someone else). */
            if (key->priv != PROV_NO_HANDLE)
                rv1 = ctx->token->mod->fl->C_DestroyObject(s, key->priv);
            if (key->pubobj != PROV_NO_HANDLE)
                rv2 = ctx->token->mod->fl->C_DestroyObject(s, key->pubobj);
            session_put(ctx, s, rv1 != CKR_OK ? rv1 : rv2);
            if (rv1 != CKR_OK || rv2 != CKR_OK)
                prov_debug(ctx, "C_DestroyObject: %s",
                           prov_ckr_name(rv1 != CKR_OK ? rv1 : rv2, nb));
        }
        ERR_pop_to_mark();
    }
    key->priv = key->pubobj = PROV_NO_HANDLE;
}
