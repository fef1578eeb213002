/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The token layer of the provider: every PKCS#11 call goes through the one
 * function list a module record holds, on which the module was initialised
 * and the login happened (p11-kit-proxy hands out a separate, uninitialised
 * instance per C_GetFunctionList). Only these files include pkcs11.h.
 *
 * Locks. The registry (module.c) has one lock, never held across a module
 * call. Each module has an open lock that makes C_Initialize, C_Finalize
 * and C_Login single-flight; it is the only lock held across module calls
 * (functions that need it held end in _unlocked, as in p11-kit). A
 * provider instance's token has a lock for its state and session pool,
 * never held across a module call either: opening is single-flight through
 * its state and a condition variable.
 */
#ifndef P11TEE_PROV_TOKEN_H
#define P11TEE_PROV_TOKEN_H

#include <stdatomic.h>

#include "prov.h"

/* Last: its compatibility macros rename identifiers such as `value`. */
#include <p11-kit/pkcs11.h>

#define PROV_SESSIONS_MAX 8

/* A message under construction: the reason and its text (never a PIN). */
typedef struct prov_err {
    prov_status reason;
    char msg[PROV_MSG_MAX];
} prov_err;

/* Fill `e` and return `reason`. */
prov_status prov_err_set(prov_err *e, prov_status reason, const char *fmt, ...) PROV_PRINTF(3, 4);

/* ---- interface.c: the module's functions, one thin wrapper each ------------ */

/* A login that keeps the process logged in to a slot. */
typedef struct prov_login {
    struct prov_login *next;
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE session; /* kept open: the token logs out when the last one closes */
    char *pin;                 /* NULL: logged in at the reader's PIN pad */
    pid_t pid;                 /* the process that logged in */
} prov_login;

typedef struct prov_module {
    struct prov_module *next;
    unsigned int refs; /* registry lock */
    void *dl;          /* the registry's key: one record per loaded module */
    char *path;        /* the path that loaded it; others may name the same file */
    int trace;         /* P11TEE_PROV_DEBUG: trace failed calls */
    int is_p11kit;     /* p11-kit's proxy or client (CK_INFO says so) */
    pthread_mutex_t open_lock;
    /* Set once, by the first open; read without the lock after that. */
    CK_FUNCTION_LIST_PTR fl;
    /* open_lock held: */
    int initialised; /* this record called C_Initialize and must finalise */
    pid_t pid;       /* the process whose C_Initialize the module state is */
    prov_login *logins;
} prov_module;

CK_RV p11_initialize(prov_module *m);
CK_RV p11_finalize(prov_module *m);
CK_RV p11_get_info(prov_module *m, CK_INFO *info);
CK_RV p11_get_slot_list(prov_module *m, CK_SLOT_ID *slots, CK_ULONG *n);
CK_RV p11_get_token_info(prov_module *m, CK_SLOT_ID slot, CK_TOKEN_INFO *info);
CK_RV p11_open_session(prov_module *m, CK_SLOT_ID slot, CK_SESSION_HANDLE *s);
CK_RV p11_close_session(prov_module *m, CK_SESSION_HANDLE s);
CK_RV p11_get_session_info(prov_module *m, CK_SESSION_HANDLE s, CK_SESSION_INFO *info);
CK_RV p11_login(prov_module *m, CK_SESSION_HANDLE s, const char *pin);
CK_RV p11_generate_key_pair(prov_module *m, CK_SESSION_HANDLE s, CK_MECHANISM *mech,
                            CK_ATTRIBUTE *pub, CK_ULONG npub, CK_ATTRIBUTE *priv, CK_ULONG npriv,
                            CK_OBJECT_HANDLE *pubobj, CK_OBJECT_HANDLE *privobj);
CK_RV p11_create_object(prov_module *m, CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n,
                        CK_OBJECT_HANDLE *obj);
CK_RV p11_derive_key(prov_module *m, CK_SESSION_HANDLE s, CK_MECHANISM *mech, CK_OBJECT_HANDLE base,
                     CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *obj);
CK_RV p11_get_attribute_value(prov_module *m, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj,
                              CK_ATTRIBUTE *t, CK_ULONG n);
CK_RV p11_destroy_object(prov_module *m, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj);

/*
 * The error report of a failed call: raises `reason` with "<what>: <CK_RV
 * name>" (what is printf-formatted) and returns it.
 */
prov_status prov_ck_raise_at(const prov_ctx *ctx, const char *file, int line, const char *func,
                             prov_status reason, CK_RV rv, const char *fmt, ...) PROV_PRINTF(7, 8);
#define PROV_CK_RAISE(ctx, reason, rv, ...)                                                        \
    prov_ck_raise_at((ctx), __FILE__, __LINE__, __func__, (reason), (rv), __VA_ARGS__)

/* A fixed-width, blank-padded CK_*_INFO field as a C string, trailing blanks removed. */
void prov_ck_string(const CK_UTF8CHAR *field, size_t width, char *out, size_t outlen);

/* ---- module.c: the modules of the process --------------------------------- */

/*
 * The module at `path`, loaded and initialised on first use; the same record
 * for any path that loads the same module. In a child after fork() the
 * module is initialised again first (C_Initialize with CKF_OS_LOCKING_OK).
 */
prov_status prov_module_acquire(const prov_ctx *ctx, const char *path, prov_module **out,
                                prov_err *e);
/*
 * Whether the module at `path` loads and exports C_GetFunctionList, without
 * calling it or initialising anything (the configuration probe).
 */
prov_status prov_module_probe(const prov_ctx *ctx, const char *path, prov_err *e);
/* Drop a reference; the last one finalises the module (in the process that initialised it). */
void prov_module_release(prov_module *m);
/* C_Initialize again in a child after fork(), unless done already. */
prov_status prov_module_reinit_child(const prov_ctx *ctx, prov_module *m, prov_err *e);
/* Set by the exit handler: module code may already be torn down. */
int prov_modules_are_exiting(void);
/* A CKA_ID that links the two objects of a pair: pid and a process-wide counter. */
void prov_module_key_id(unsigned char id[12]);

/* ---- locate.c: which module file ----------------------------------------- */

/*
 * The module a configuration names: pkcs11-module, or the URI's
 * module-path, or its module-name (a p11-kit module configuration, or a
 * file in p11-kit's module directory). Names given twice must agree.
 * `*path` is malloc'd.
 */
prov_status prov_module_locate(const prov_ctx *ctx, const prov_uri *u, char **path, prov_err *e);

/* ---- slot.c: the token a URI selects, and the login ----------------------- */

/* What the token said about itself, for messages and PROV_INFO_*. */
typedef struct prov_token_info {
    CK_SLOT_ID slot;
    char label[33], serial[17], model[17], manufacturer[33];
    CK_FLAGS flags;
    char desc[200]; /* token "x" (slot 1, serial ..., model ...) */
} prov_token_info;

/* The one initialised token that matches `u`; `shown` is the URI as messages show it. */
prov_status prov_slot_find(const prov_ctx *ctx, prov_module *m, const prov_uri *u,
                           const char *shown, prov_token_info *ti, prov_err *e);
/*
 * Log in to the token of `ti` by the PIN rules (flags, PIN sources, prompt,
 * PIN pad), or check the PIN against the one this process logged in with.
 * `*pin` receives what is kept to log in again after fork().
 */
prov_status prov_slot_login(const prov_ctx *ctx, prov_module *m, const prov_uri *u,
                            const prov_token_info *ti, char **pin, int *pinpad, char *pin_from,
                            size_t pin_from_len, prov_err *e);
/* In a child after fork(): log in again with what prov_slot_login() kept (NULL: PIN pad). */
prov_status prov_slot_relogin_child(const prov_ctx *ctx, prov_module *m, const prov_token_info *ti,
                                    const char *pin, prov_err *e);

/* ---- session.c: the session pool ------------------------------------------ */

typedef struct prov_pool {
    pthread_cond_t idle_cond; /* with the token's lock */
    CK_SESSION_HANDLE idle[PROV_SESSIONS_MAX];
    size_t nidle;
    size_t nopen;
} prov_pool;

/* Open one session and check that it is logged in; it becomes the pool's first. */
prov_status prov_pool_start(prov_token *t, prov_err *e);
/* Forget the sessions of the parent process without closing them. */
void prov_pool_forget_unlocked(prov_token *t);
/* Close the idle sessions (teardown). */
void prov_pool_close(prov_token *t);
/* A session for one operation; opens the token first. */
prov_status prov_session_get(prov_ctx *ctx, CK_SESSION_HANDLE *s);
/* Return a session; one the token says is gone (`last_rv`) is dropped. */
void prov_session_put(prov_ctx *ctx, CK_SESSION_HANDLE s, CK_RV last_rv);
/*
 * Close a session for good (the token destroys its session objects); it
 * leaves the pool either way. Returns what C_CloseSession returned.
 */
CK_RV prov_session_close(prov_ctx *ctx, CK_SESSION_HANDLE s);

/* ---- token.c: a provider instance's token ---------------------------------- */

struct prov_token {
    pthread_mutex_t lock; /* state changes and the pool */
    pthread_cond_t state_cond;
    _Atomic int state; /* enum in token.c; OPEN read without the lock */
    pid_t pid;         /* process the sessions belong to */
    prov_err fail;     /* a remembered open failure */
    prov_module *mod;
    prov_token_info info;
    char *pin; /* kept to log in again after fork(); cleansed at teardown */
    int pinpad;
    char pin_from[PROV_INFO_PIN_FROM_MAX];
    prov_pool pool;
};

/* The module and label of the open token (for operation messages). */
prov_module *prov_token_module(const prov_ctx *ctx);
const char *prov_token_label(const prov_ctx *ctx);

#endif /* P11TEE_PROV_TOKEN_H */
