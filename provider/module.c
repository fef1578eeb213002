/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The PKCS#11 modules of the process. A module is shared by every provider
 * instance that loads it, whatever path names it: one record per dlopen
 * handle, holding the one function list every call goes through. The
 * record initialises the module (C_Initialize with CKF_OS_LOCKING_OK) on
 * first use and finalises it when its last user lets go, in the process
 * that initialised it. After fork() the child initialises it again before
 * any other call. At exit the modules are finalised before their own
 * static destructors run.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "token.h"

#define EXIT_COVERED_MAX 8

/* Everything the modules of the process share; `lock` guards what the comments say. */
static struct prov_shared {
    pthread_mutex_t lock;
    prov_module *modules;                 /* lock */
    _Atomic int exiting;                  /* set once, by the exit handler */
    void *exit_covered[EXIT_COVERED_MAX]; /* lock: modules the exit handler follows */
    size_t exit_ncovered;
    _Atomic uint64_t key_counter; /* CKA_ID of the next key pair */
} gl = {.lock = PTHREAD_MUTEX_INITIALIZER};

int prov_modules_are_exiting(void)
{
    return atomic_load(&gl.exiting);
}

void prov_module_key_id(unsigned char id[12])
{
    uint64_t n = atomic_fetch_add(&gl.key_counter, 1) + 1;
    uint32_t pid = (uint32_t)getpid();
    int i;

    for (i = 0; i < 4; i++)
        id[i] = (unsigned char)(pid >> (24 - 8 * i));
    for (i = 0; i < 8; i++)
        id[4 + i] = (unsigned char)(n >> (56 - 8 * i));
}

/*
 * dlopen the module at `path`. A symlink or any other path to the same file
 * gives the same handle. RTLD_NODELETE keeps the module mapped after its last
 * release (see exit_cover_unlocked).
 */
static prov_status module_dlopen(const prov_ctx *ctx, const char *path, void **dl, prov_err *e)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return prov_err_set(e, PROV_R_MODULE_LOAD, "PKCS#11 module %s: %s; check %s", path,
                            strerror(errno), ctx->module_word);
    *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (*dl == NULL)
        return prov_err_set(e, PROV_R_MODULE_LOAD, "cannot load PKCS#11 module %s: %s", path,
                            dlerror());
    return PROV_R_OK;
}

prov_status prov_module_probe(const prov_ctx *ctx, const char *path, prov_err *e)
{
    void *dl;
    prov_status rc = module_dlopen(ctx, path, &dl, e);

    if (rc != PROV_R_OK)
        return rc;
    if (dlsym(dl, "C_GetFunctionList") == NULL)
        rc = prov_err_set(e, PROV_R_MODULE_LOAD,
                          "%s is not a PKCS#11 module (no C_GetFunctionList); check %s", path,
                          ctx->module_word);
    dlclose(dl); /* RTLD_NODELETE: the mapping stays for the real load */
    return rc;
}

/* The function list, asked for once: p11-kit-proxy gives a new instance per call. */
static prov_status module_functions_unlocked(prov_module *m, prov_err *e)
{
    CK_C_GetFunctionList getfl;
    char nb[24];
    CK_RV rv;

    if (m->fl != NULL)
        return PROV_R_OK;
    getfl = (CK_C_GetFunctionList)dlsym(m->dl, "C_GetFunctionList");
    if (getfl == NULL)
        return prov_err_set(e, PROV_R_MODULE_LOAD,
                            "%s is not a PKCS#11 module (no C_GetFunctionList)", m->path);
    rv = getfl(&m->fl);
    if (rv != CKR_OK || m->fl == NULL) {
        m->fl = NULL;
        return prov_err_set(e, PROV_R_MODULE_LOAD, "PKCS#11 module %s: C_GetFunctionList: %s",
                            m->path, prov_ckr_name(rv, nb));
    }
    return PROV_R_OK;
}

/* p11-kit's proxy and client modules describe themselves as "PKCS#11 Kit ...". */
static int module_is_p11kit(prov_module *m)
{
    CK_INFO info;
    char desc[sizeof(info.libraryDescription) + 1];

    if (p11_get_info(m, &info) != CKR_OK)
        return 0;
    prov_ck_string(info.libraryDescription, sizeof(info.libraryDescription), desc, sizeof(desc));
    return strstr(desc, "PKCS#11 Kit") != NULL;
}

/*
 * C_Initialize on the record's list, unless done in this process. A module
 * someone else in the process initialised answers
 * CKR_CRYPTOKI_ALREADY_INITIALIZED: usable, but not ours to finalise. In a
 * child after fork() the parent's login sessions are forgotten, not
 * closed, and a copy of the parent's state that the record had initialised
 * is the child's to finalise. Returns the failure, or CKR_OK. m->open_lock
 * held.
 */
static CK_RV module_init_unlocked(const prov_ctx *ctx, prov_module *m)
{
    int child = m->pid != 0, was = m->initialised;
    prov_login *l;
    char nb[24];
    CK_RV rv;

    if (m->pid == getpid())
        return CKR_OK;
    rv = p11_initialize(m);
    prov_debug(ctx, "C_Initialize(CKF_OS_LOCKING_OK) of %s in process %d: %s", m->path,
               (int)getpid(), prov_ckr_name(rv, nb));
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
        return rv;
    m->initialised = rv == CKR_OK || (child && was);
    m->pid = getpid();
    m->is_p11kit = module_is_p11kit(m);
    for (l = m->logins; child && l != NULL; l = l->next)
        l->session = CK_INVALID_HANDLE;
    return CKR_OK;
}

static void logins_free_unlocked(prov_module *m)
{
    prov_login *l, *next;

    for (l = m->logins; l != NULL; l = next) {
        next = l->next;
        prov_secret_free(l->pin);
        free(l);
    }
    m->logins = NULL;
}

/*
 * Finalise the module (which closes every session, logging the process
 * out) if this record initialised it in this process. In a child that
 * never re-initialised it, its state is the parent's: leave it alone.
 * m->open_lock held.
 */
static void module_finalize_unlocked(prov_module *m)
{
    if (m->initialised && m->pid == getpid())
        p11_finalize(m);
    m->initialised = 0;
    m->pid = 0;
    logins_free_unlocked(m);
}

static void module_free(prov_module *m)
{
    logins_free_unlocked(m);
    pthread_mutex_destroy(&m->open_lock);
    if (m->dl != NULL)
        dlclose(m->dl);
    free(m->path);
    free(m);
}

/*
 * At exit, OpenSSL tears providers down from its own atexit handler, which
 * runs after the C++ static destructors of a module loaded later (SoftHSM
 * crashes in C_CloseAllSessions then). This handler runs before them: it
 * finalises the modules and tells the teardown code not to call them any
 * more. It may be registered more than once; a second run does nothing.
 * It walks the list without the registry lock (held across no module call):
 * the teardown that frees records runs after it, in the same thread.
 */
static void modules_at_exit(void)
{
    prov_module *m;

    pthread_mutex_lock(&gl.lock);
    if (atomic_exchange(&gl.exiting, 1)) {
        pthread_mutex_unlock(&gl.lock);
        return;
    }
    m = gl.modules;
    pthread_mutex_unlock(&gl.lock);
    for (; m != NULL; m = m->next) {
        pthread_mutex_lock(&m->open_lock);
        module_finalize_unlocked(m);
        pthread_mutex_unlock(&m->open_lock);
    }
}

/*
 * Exit handlers run in reverse order of registration, and a module's static
 * destructors are registered when it is loaded, so modules_at_exit must be
 * registered after that: after C_Initialize, when p11-kit-proxy has loaded
 * the modules it stands for. Modules stay mapped (RTLD_NODELETE): a module is
 * loaded once per process, so one registration per module suffices, however
 * often clients open and release it. (Registering only once per process
 * would be wrong: a module unloaded and loaded again would register its
 * destructors after our handler.) gl.lock held.
 */
static void exit_cover_unlocked(const prov_ctx *ctx, const prov_module *m)
{
    size_t i;

    for (i = 0; i < gl.exit_ncovered; i++)
        if (gl.exit_covered[i] == m->dl)
            return;
    if (atexit(modules_at_exit) != 0) {
        prov_debug(ctx, "atexit failed: the modules are not finalised at exit");
        return;
    }
    prov_debug(ctx, "exit handler registered after loading %s", m->path);
    /* Past 8 distinct modules, every load registers again: correct, only longer. */
    if (gl.exit_ncovered < EXIT_COVERED_MAX)
        gl.exit_covered[gl.exit_ncovered++] = m->dl;
}

/* The record of `dl` with one more reference, or a new one. gl.lock held. */
static prov_status module_record_unlocked(const prov_ctx *ctx, const char *path, void *dl,
                                          prov_module **out, prov_err *e)
{
    prov_module *m;

    for (m = gl.modules; m != NULL; m = m->next) {
        if (m->dl == dl) {
            dlclose(dl); /* the record holds one reference */
            m->refs++;
            *out = m;
            return PROV_R_OK;
        }
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL || (m->path = strdup(path)) == NULL) {
        free(m);
        dlclose(dl);
        return prov_err_set(e, PROV_R_NOMEM, "out of memory");
    }
    pthread_mutex_init(&m->open_lock, NULL);
    m->dl = dl;
    m->refs = 1;
    m->trace = ctx->debug;
    m->next = gl.modules;
    gl.modules = m;
    prov_debug(ctx, "loaded PKCS#11 module %s", path);
    *out = m;
    return PROV_R_OK;
}

prov_status prov_module_acquire(const prov_ctx *ctx, const char *path, prov_module **out,
                                prov_err *e)
{
    prov_module *m = NULL;
    void *dl;
    char nb[24];
    CK_RV rv;
    prov_status rc = module_dlopen(ctx, path, &dl, e);

    *out = NULL;
    if (rc != PROV_R_OK)
        return rc;
    pthread_mutex_lock(&gl.lock);
    rc = module_record_unlocked(ctx, path, dl, &m, e);
    pthread_mutex_unlock(&gl.lock);
    if (rc != PROV_R_OK)
        return rc;
    /* Single-flight: the first user initialises, the others wait for it. */
    pthread_mutex_lock(&m->open_lock);
    rc = module_functions_unlocked(m, e);
    if (rc == PROV_R_OK && (rv = module_init_unlocked(ctx, m)) != CKR_OK)
        rc = prov_err_set(e, PROV_R_MODULE_LOAD, "PKCS#11 module %s failed to initialise: %s",
                          m->path, prov_ckr_name(rv, nb));
    pthread_mutex_unlock(&m->open_lock);
    if (rc != PROV_R_OK) {
        prov_module_release(m);
        return rc;
    }
    /* After C_Initialize: a proxy module loads the modules behind it only then. */
    pthread_mutex_lock(&gl.lock);
    exit_cover_unlocked(ctx, m);
    pthread_mutex_unlock(&gl.lock);
    *out = m;
    return PROV_R_OK;
}

/* Take `m` out of the registry. gl.lock held. */
static void module_unlink_unlocked(prov_module *m)
{
    prov_module **pp;

    for (pp = &gl.modules; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == m) {
            *pp = m->next;
            return;
        }
    }
}

/*
 * The last reference finalises the module under its open lock, unless a new
 * user came meanwhile (then it is initialised again by that user, who waits
 * for the lock); lock order: open_lock, then the registry lock. Once the exit
 * handler has run, the module is finalised already: the record just goes.
 */
void prov_module_release(prov_module *m)
{
    int last, exiting;

    pthread_mutex_lock(&gl.lock);
    last = --m->refs == 0;
    exiting = atomic_load(&gl.exiting);
    if (last && exiting)
        module_unlink_unlocked(m);
    pthread_mutex_unlock(&gl.lock);
    if (!last)
        return;
    if (exiting) {
        module_free(m);
        return;
    }
    pthread_mutex_lock(&m->open_lock);
    pthread_mutex_lock(&gl.lock);
    last = m->refs == 0;
    pthread_mutex_unlock(&gl.lock);
    if (last)
        module_finalize_unlocked(m);
    pthread_mutex_unlock(&m->open_lock);
    pthread_mutex_lock(&gl.lock);
    last = m->refs == 0;
    if (last)
        module_unlink_unlocked(m);
    pthread_mutex_unlock(&gl.lock);
    if (last)
        module_free(m);
}

/*
 * After fork() the child must call C_Initialize before using the module
 * (PKCS#11 v2.40 section 6.7.7), with CKF_OS_LOCKING_OK: SoftHSM with
 * reset_on_fork would otherwise run unlocked and crash under threads. A
 * module that did not notice the fork answers
 * CKR_CRYPTOKI_ALREADY_INITIALIZED and keeps the parent's state, which is
 * equally usable. The parent's login sessions are forgotten, not closed.
 */
prov_status prov_module_reinit_child(const prov_ctx *ctx, prov_module *m, prov_err *e)
{
    char nb[24];
    CK_RV rv;

    pthread_mutex_lock(&m->open_lock);
    rv = module_init_unlocked(ctx, m);
    pthread_mutex_unlock(&m->open_lock);
    if (rv != CKR_OK)
        return prov_err_set(e, PROV_R_TOKEN, "C_Initialize in the child process after fork(): %s",
                            prov_ckr_name(rv, nb));
    return PROV_R_OK;
}
