/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * A PKCS#11 module for tests: SoftHSM ($SOFTHSM_MODULE) with one function
 * made to misbehave, so that the provider's handling of token failures
 * SoftHSM never shows can be tested. $P11TEE_FAULT, read when the module
 * hands out its function list, picks the fault:
 *   getfl=RV        C_GetFunctionList itself returns RV
 *   init=RV         C_Initialize returns RV
 *   slots=RV        C_GetSlotList returns RV
 *   keygen=RV       C_GenerateKeyPair returns RV
 *   login=RV        C_Login returns RV
 *   derive-once=RV  the first C_DeriveKey returns RV, later ones work
 *   create=RV       C_CreateObject returns RV
 *   destroy-once=RV the first C_DestroyObject returns RV (and destroys nothing)
 *   destroy-close-once=RV  the same, and the first C_CloseSession returns RV too
 *   ecpoint=short   CKA_EC_POINT comes back as 3 bytes
 *   ecpoint=offcurve  CKA_EC_POINT comes back with its last byte changed
 *   value=short     CKA_VALUE is written but its length comes back one short
 *   child-init=RV   C_Initialize returns RV in any process but the one that
 *                   loaded the module (a child after fork())
 *   lost-noopen=RV  the first C_DeriveKey says CKR_SESSION_HANDLE_INVALID (the
 *                   session is gone), then the next FAULT_NOOPEN_TIMES calls of
 *                   C_OpenSession return RV (more than the provider's pool holds)
 *   none            no fault: SoftHSM as it is, with the calls counted
 * RV is a CK_RV in hex (0xa4 = CKR_PIN_LOCKED). Whatever the fault, the
 * calls of C_OpenSession, C_Login, C_Initialize and C_Finalize are counted:
 * faultmod_calls().
 *
 * Token flags SoftHSM never reports: $P11TEE_FAULT_TOKEN_FLAGS (hex) is
 * OR'ed into what C_GetTokenInfo says (0x100 PROTECTED_AUTHENTICATION_PATH,
 * 0x10000 USER_PIN_COUNT_LOW, 0x20000 USER_PIN_FINAL_TRY, 0x40000
 * USER_PIN_LOCKED). A reader's PIN pad: C_Login with a NULL PIN logs in
 * with $P11TEE_FAULT_PINPAD (what the user would type on the pad), counted
 * as "C_Login(NULL)".
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Last: its compatibility macros rename identifiers such as `value`. */
#include <p11-kit/pkcs11.h>

#define FAULT_NOOPEN_TIMES 9

static CK_FUNCTION_LIST real, mine;
static CK_RV fault_rv;
static int derive_failed_once, destroy_failed_once, close_failed_once;
static const char *ecpoint_mode;
static _Atomic unsigned long open_calls, login_calls, pinpad_calls, init_calls, final_calls;
static _Atomic int noopen_left = -1; /* lost-noopen: -1 until the session is lost */
static int login_fails, init_child_fails;
static pid_t loader_pid;
static CK_FLAGS extra_flags;

/*
 * How often C_OpenSession, C_Login, C_Login(NULL), C_Initialize or
 * C_Finalize was called (in this process) since the module was loaded.
 */
unsigned long faultmod_calls(const char *name);

unsigned long faultmod_calls(const char *name)
{
    if (strcmp(name, "C_OpenSession") == 0)
        return atomic_load(&open_calls);
    if (strcmp(name, "C_Login") == 0)
        return atomic_load(&login_calls);
    if (strcmp(name, "C_Login(NULL)") == 0)
        return atomic_load(&pinpad_calls);
    if (strcmp(name, "C_Initialize") == 0)
        return atomic_load(&init_calls);
    if (strcmp(name, "C_Finalize") == 0)
        return atomic_load(&final_calls);
    return 0;
}

/* Counts begin again in a child: "since the module was loaded" in this process. */
static void counts_restart(void)
{
    atomic_store(&open_calls, 0);
    atomic_store(&login_calls, 0);
    atomic_store(&pinpad_calls, 0);
    atomic_store(&init_calls, 0);
    atomic_store(&final_calls, 0);
}

static CK_RV count_init(CK_VOID_PTR args)
{
    atomic_fetch_add(&init_calls, 1);
    if (init_child_fails && getpid() != loader_pid)
        return fault_rv;
    return real.C_Initialize(args);
}

static CK_RV count_finalize(CK_VOID_PTR reserved)
{
    atomic_fetch_add(&final_calls, 1);
    return real.C_Finalize(reserved);
}

static CK_RV flagged_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
    CK_RV rv = real.C_GetTokenInfo(slot, info);

    if (rv == CKR_OK)
        info->flags |= extra_flags;
    return rv;
}

static CK_RV count_open(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
                        CK_SESSION_HANDLE_PTR s)
{
    int left = atomic_load(&noopen_left);

    atomic_fetch_add(&open_calls, 1);
    while (left > 0 && !atomic_compare_exchange_weak(&noopen_left, &left, left - 1))
        ;
    if (left > 0)
        return fault_rv;
    return real.C_OpenSession(slot, flags, app, notify, s);
}

/* lost-noopen: the first derive finds its session gone; C_OpenSession fails from then on. */
static CK_RV lose_session_once(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE base,
                               CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR out)
{
    int never = -1;

    if (atomic_compare_exchange_strong(&noopen_left, &never, FAULT_NOOPEN_TIMES))
        return CKR_SESSION_HANDLE_INVALID;
    return real.C_DeriveKey(s, m, base, t, n, out);
}

static CK_RV fail_init(CK_VOID_PTR args)
{
    (void)args;
    return fault_rv;
}

static CK_RV fail_slots(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR n)
{
    (void)present, (void)list, (void)n;
    return fault_rv;
}

static CK_RV fail_keygen(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pt, CK_ULONG pn,
                         CK_ATTRIBUTE_PTR kt, CK_ULONG kn, CK_OBJECT_HANDLE_PTR pub,
                         CK_OBJECT_HANDLE_PTR priv)
{
    (void)s, (void)m, (void)pt, (void)pn, (void)kt, (void)kn, (void)pub, (void)priv;
    return fault_rv;
}

static CK_RV count_login(CK_SESSION_HANDLE s, CK_USER_TYPE u, CK_UTF8CHAR_PTR pin, CK_ULONG n)
{
    const char *pad = getenv("P11TEE_FAULT_PINPAD");

    atomic_fetch_add(&login_calls, 1);
    if (login_fails)
        return fault_rv;
    if (pin == NULL) {
        atomic_fetch_add(&pinpad_calls, 1);
        if (pad == NULL)
            return CKR_PIN_INCORRECT;
        return real.C_Login(s, u, (CK_UTF8CHAR_PTR)pad, strlen(pad));
    }
    return real.C_Login(s, u, pin, n);
}

static CK_RV fail_create(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n,
                         CK_OBJECT_HANDLE_PTR out)
{
    (void)s, (void)t, (void)n, (void)out;
    return fault_rv;
}

static CK_RV fail_derive_once(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE base,
                              CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR out)
{
    if (!derive_failed_once) {
        derive_failed_once = 1;
        return fault_rv;
    }
    return real.C_DeriveKey(s, m, base, t, n, out);
}

static CK_RV fail_destroy_once(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o)
{
    if (!destroy_failed_once) {
        destroy_failed_once = 1;
        return fault_rv;
    }
    return real.C_DestroyObject(s, o);
}

static CK_RV fail_close_once(CK_SESSION_HANDLE s)
{
    if (!close_failed_once) {
        close_failed_once = 1;
        return fault_rv;
    }
    return real.C_CloseSession(s);
}

static CK_RV bad_ec_point(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
    CK_RV rv = real.C_GetAttributeValue(s, o, t, n);

    if (rv != CKR_OK || n != 1 || t[0].type != CKA_EC_POINT || t[0].pValue == NULL)
        return rv;
    if (strcmp(ecpoint_mode, "short") == 0)
        t[0].ulValueLen = 3;
    else
        ((unsigned char *)t[0].pValue)[t[0].ulValueLen - 1] ^= 0x01;
    return rv;
}

/* The value is written in full; only its length is misreported. */
static CK_RV short_value(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
    CK_RV rv = real.C_GetAttributeValue(s, o, t, n);

    if (rv == CKR_OK && n == 1 && t[0].type == CKA_VALUE && t[0].pValue != NULL &&
        t[0].ulValueLen > 0)
        t[0].ulValueLen--;
    return rv;
}

/* 1 when `fault` is "name=RV"; RV goes to fault_rv. */
static int fault_is(const char *fault, const char *name)
{
    size_t n = strlen(name);

    if (strncmp(fault, name, n) != 0 || fault[n] != '=')
        return 0;
    fault_rv = strtoul(fault + n + 1, NULL, 16);
    return 1;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
    const char *path = getenv("SOFTHSM_MODULE"), *fault = getenv("P11TEE_FAULT");
    const char *flags = getenv("P11TEE_FAULT_TOKEN_FLAGS");
    CK_C_GetFunctionList getfl;
    CK_FUNCTION_LIST_PTR fl;
    void *dl;

    fault = fault != NULL ? fault : "";
    if (fault_is(fault, "getfl"))
        return fault_rv;
    if (path == NULL || (dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL ||
        (getfl = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList")) == NULL ||
        getfl(&fl) != CKR_OK)
        return CKR_GENERAL_ERROR;
    real = *fl;
    mine = *fl;
    mine.C_GetFunctionList = C_GetFunctionList;
    mine.C_OpenSession = count_open;
    mine.C_Login = count_login;
    mine.C_GetTokenInfo = flagged_token_info;
    mine.C_Initialize = count_init;
    mine.C_Finalize = count_finalize;
    if (loader_pid == 0) { /* the first call: the process that loaded the module */
        loader_pid = getpid();
        pthread_atfork(NULL, NULL, counts_restart);
    }
    extra_flags = flags != NULL ? strtoul(flags, NULL, 16) : 0;
    if (fault_is(fault, "init"))
        mine.C_Initialize = fail_init;
    else if (fault_is(fault, "slots"))
        mine.C_GetSlotList = fail_slots;
    else if (fault_is(fault, "child-init"))
        init_child_fails = 1;
    else if (fault_is(fault, "lost-noopen"))
        mine.C_DeriveKey = lose_session_once;
    else if (fault_is(fault, "keygen"))
        mine.C_GenerateKeyPair = fail_keygen;
    else if (fault_is(fault, "login"))
        login_fails = 1;
    else if (fault_is(fault, "derive-once"))
        mine.C_DeriveKey = fail_derive_once;
    else if (fault_is(fault, "create"))
        mine.C_CreateObject = fail_create;
    else if (fault_is(fault, "destroy-once"))
        mine.C_DestroyObject = fail_destroy_once;
    else if (fault_is(fault, "destroy-close-once")) {
        mine.C_DestroyObject = fail_destroy_once;
        mine.C_CloseSession = fail_close_once;
    } else if (strcmp(fault, "value=short") == 0)
        mine.C_GetAttributeValue = short_value;
    else if (strncmp(fault, "ecpoint=", 8) == 0) {
        ecpoint_mode = fault + 8;
        mine.C_GetAttributeValue = bad_ec_point;
    }
    *out = &mine;
    return CKR_OK;
}
