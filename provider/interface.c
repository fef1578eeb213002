/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The module's functions, one thin wrapper each (after pkcs11-provider's
 * interface.c, without its generating macros): every call goes through the
 * module record's one function list, and a failed call is traced when
 * P11TEE_PROV_DEBUG is set. Also the CK_RV names and the error report
 * that turns a CK_RV into a message.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "token.h"

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

prov_status prov_login_reason(unsigned long rv)
{
    switch (rv) {
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE: return PROV_R_PIN_INCORRECT;
    case CKR_PIN_LOCKED: return PROV_R_PIN_LOCKED;
    default: return PROV_R_LOGIN;
    }
}

/* ---- error reports ----------------------------------------------------------- */

prov_status prov_err_set(prov_err *e, prov_status reason, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    e->reason = reason;
    return reason;
}

prov_status prov_ck_raise_at(const prov_ctx *ctx, const char *file, int line, const char *func,
                             prov_status reason, CK_RV rv, const char *fmt, ...)
{
    char what[PROV_MSG_MAX], nb[24];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return prov_raise_at(ctx, file, line, func, reason, "%s: %s", what, prov_ckr_name(rv, nb));
}

void prov_ck_string(const CK_UTF8CHAR *field, size_t width, char *out, size_t outlen)
{
    size_t n = width < outlen - 1 ? width : outlen - 1;

    memcpy(out, field, n);
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\0'))
        n--;
    out[n] = '\0';
}

/* ---- the wrappers ------------------------------------------------------------ */

/*
 * Failed calls go to the debug trace; the caller reports them in its own
 * words. Whatever the module left on this thread's OpenSSL error queue (a
 * module linking libcrypto, as SoftHSM does, may) is dropped by the caller
 * of the wrapper through CALL(): the queue is ours to report on.
 */
static CK_RV traced(const prov_module *m, const char *call, CK_RV rv)
{
    char nb[24];

    ERR_pop_to_mark();
    if (rv != CKR_OK && m->trace)
        fprintf(stderr, "p11tee: %s: %s\n", call, prov_ckr_name(rv, nb));
    return rv;
}

/* One module call: mark the error queue, call, trace (which pops to the mark). */
#define CALL(m, name, call) (ERR_set_mark(), traced((m), (name), (m)->fl->call))

/* Every module record asks for CKF_OS_LOCKING_OK: the pool calls from many threads. */
CK_RV p11_initialize(prov_module *m)
{
    CK_C_INITIALIZE_ARGS args;

    memset(&args, 0, sizeof(args));
    args.flags = CKF_OS_LOCKING_OK;
    return CALL(m, "C_Initialize", C_Initialize(&args));
}

CK_RV p11_finalize(prov_module *m)
{
    return CALL(m, "C_Finalize", C_Finalize(NULL));
}

CK_RV p11_get_info(prov_module *m, CK_INFO *info)
{
    return CALL(m, "C_GetInfo", C_GetInfo(info));
}

/* Slots with a token present; `*n` is the capacity in, the count out. */
CK_RV p11_get_slot_list(prov_module *m, CK_SLOT_ID *slots, CK_ULONG *n)
{
    return CALL(m, "C_GetSlotList", C_GetSlotList(CK_TRUE, slots, n));
}

CK_RV p11_get_token_info(prov_module *m, CK_SLOT_ID slot, CK_TOKEN_INFO *info)
{
    return CALL(m, "C_GetTokenInfo", C_GetTokenInfo(slot, info));
}

/* Read-only: session objects only; nothing can be written to the token. */
CK_RV p11_open_session(prov_module *m, CK_SLOT_ID slot, CK_SESSION_HANDLE *s)
{
    return CALL(m, "C_OpenSession", C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, s));
}

CK_RV p11_close_session(prov_module *m, CK_SESSION_HANDLE s)
{
    return CALL(m, "C_CloseSession", C_CloseSession(s));
}

CK_RV p11_get_session_info(prov_module *m, CK_SESSION_HANDLE s, CK_SESSION_INFO *info)
{
    return CALL(m, "C_GetSessionInfo", C_GetSessionInfo(s, info));
}

/* A NULL PIN logs in at the reader's PIN pad (CKF_PROTECTED_AUTHENTICATION_PATH). */
CK_RV p11_login(prov_module *m, CK_SESSION_HANDLE s, const char *pin)
{
    return CALL(m, "C_Login",
                C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, pin != NULL ? strlen(pin) : 0));
}

CK_RV p11_generate_key_pair(prov_module *m, CK_SESSION_HANDLE s, CK_MECHANISM *mech,
                            CK_ATTRIBUTE *pub, CK_ULONG npub, CK_ATTRIBUTE *priv, CK_ULONG npriv,
                            CK_OBJECT_HANDLE *pubobj, CK_OBJECT_HANDLE *privobj)
{
    return CALL(m, "C_GenerateKeyPair",
                C_GenerateKeyPair(s, mech, pub, npub, priv, npriv, pubobj, privobj));
}

CK_RV p11_create_object(prov_module *m, CK_SESSION_HANDLE s, CK_ATTRIBUTE *t, CK_ULONG n,
                        CK_OBJECT_HANDLE *obj)
{
    return CALL(m, "C_CreateObject", C_CreateObject(s, t, n, obj));
}

CK_RV p11_derive_key(prov_module *m, CK_SESSION_HANDLE s, CK_MECHANISM *mech, CK_OBJECT_HANDLE base,
                     CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *obj)
{
    return CALL(m, "C_DeriveKey", C_DeriveKey(s, mech, base, t, n, obj));
}

CK_RV p11_get_attribute_value(prov_module *m, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj,
                              CK_ATTRIBUTE *t, CK_ULONG n)
{
    return CALL(m, "C_GetAttributeValue", C_GetAttributeValue(s, obj, t, n));
}

CK_RV p11_destroy_object(prov_module *m, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE obj)
{
    return CALL(m, "C_DestroyObject", C_DestroyObject(s, obj));
}
