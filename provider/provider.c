/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The p11tee provider: entry points (loadable module and built-in),
 * configuration, error reporting, algorithm tables, self test.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/params.h>

#include "prov.h"

static OSSL_FUNC_provider_teardown_fn prov_teardown;
static OSSL_FUNC_provider_gettable_params_fn prov_gettable_params;
static OSSL_FUNC_provider_get_params_fn prov_get_params;
static OSSL_FUNC_provider_query_operation_fn prov_query_operation;
static OSSL_FUNC_provider_get_reason_strings_fn prov_get_reason_strings;
static OSSL_FUNC_provider_self_test_fn prov_self_test;

/* ---- errors and debug output ------------------------------------------------ */

static const OSSL_ITEM reason_strings[] = {
    {PROV_R_CONFIG, "provider configuration incomplete"},
    {PROV_R_MODULE_LOAD, "PKCS#11 module could not be loaded"},
    {PROV_R_TOKEN_URI, "invalid PKCS#11 token URI"},
    {PROV_R_TOKEN_NOT_FOUND, "PKCS#11 token not found"},
    {PROV_R_TOKEN_AMBIGUOUS, "PKCS#11 token URI matches several tokens"},
    {PROV_R_PIN_MISSING, "no token PIN configured"},
    {PROV_R_PIN_SOURCE, "token PIN source unusable"},
    {PROV_R_PIN_INCORRECT, "token PIN incorrect"},
    {PROV_R_PIN_LOCKED, "token PIN locked"},
    {PROV_R_LOGIN, "token login failed"},
    {PROV_R_TOKEN, "PKCS#11 token operation failed"},
    {PROV_R_CURVE_UNSUPPORTED, "curve not supported"},
    {PROV_R_KEYGEN, "key generation in the token failed"},
    {PROV_R_PEER_MALFORMED, "peer public key malformed"},
    {PROV_R_PEER_OFF_CURVE, "peer public key not on the curve"},
    {PROV_R_DERIVE, "ECDH in the token failed"},
    {PROV_R_KEY_STALE, "key not valid in this process"},
    {PROV_R_NO_PRIVATE_KEY, "key has no private part"},
    {PROV_R_EXPORT_REFUSED, "private key cannot leave the token"},
    {PROV_R_KEY_IMPORT, "key import failed"},
    {PROV_R_BUFFER_TOO_SMALL, "output buffer too small"},
    {PROV_R_NOT_SUPPORTED, "operation not supported by p11tee"},
    {PROV_R_NOMEM, "out of memory"},
    {0, NULL},
};

void prov_raise_at(const prov_ctx *ctx, const char *file, int line, const char *func, int reason,
                   const char *fmt, ...)
{
    va_list ap;

    if (ctx == NULL || ctx->core_new_error == NULL)
        return;
    ctx->core_new_error(ctx->handle);
    ctx->core_set_error_debug(ctx->handle, file, line, func);
    va_start(ap, fmt);
    ctx->core_vset_error(ctx->handle, (uint32_t)reason, fmt, ap);
    va_end(ap);
}

void prov_debug(const prov_ctx *ctx, const char *fmt, ...)
{
    va_list ap;

    if (ctx == NULL || !ctx->debug)
        return;
    va_start(ap, fmt);
    fputs("p11tee: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- configuration handed to the built-in provider ----------------------- */

typedef struct builtin_cfg {
    struct builtin_cfg *next;
    const OSSL_LIB_CTX *libctx;
    char *module;
    char *token; /* may hold a pin-value */
} builtin_cfg;

static pthread_mutex_t builtin_lock = PTHREAD_MUTEX_INITIALIZER;
static builtin_cfg *builtin_cfgs;

static void str_clear_free(char *s)
{
    if (s != NULL)
        OPENSSL_clear_free(s, strlen(s));
}

static char *str_dup_opt(const char *s)
{
    return s != NULL ? OPENSSL_strdup(s) : NULL;
}

/* Unlink and free the entry of `libctx`. builtin_lock held. */
static void builtin_remove(const OSSL_LIB_CTX *libctx)
{
    builtin_cfg **pp, *c;

    for (pp = &builtin_cfgs; (c = *pp) != NULL; pp = &c->next) {
        if (c->libctx == libctx) {
            *pp = c->next;
            str_clear_free(c->module);
            str_clear_free(c->token);
            free(c);
            return;
        }
    }
}

int prov_builtin_config_set(const OSSL_LIB_CTX *libctx, const char *module, const char *token)
{
    builtin_cfg *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return 0;
    c->libctx = libctx;
    c->module = str_dup_opt(module);
    c->token = str_dup_opt(token);
    if ((module != NULL && c->module == NULL) || (token != NULL && c->token == NULL)) {
        str_clear_free(c->module);
        str_clear_free(c->token);
        free(c);
        return 0;
    }
    pthread_mutex_lock(&builtin_lock);
    builtin_remove(libctx);
    c->next = builtin_cfgs;
    builtin_cfgs = c;
    pthread_mutex_unlock(&builtin_lock);
    return 1;
}

void prov_builtin_config_clear(const OSSL_LIB_CTX *libctx)
{
    pthread_mutex_lock(&builtin_lock);
    builtin_remove(libctx);
    pthread_mutex_unlock(&builtin_lock);
}

/* Copy the registered configuration of `libctx`; 0 if there is none. */
static int builtin_config_get(const OSSL_LIB_CTX *libctx, prov_ctx *ctx)
{
    builtin_cfg *c;
    int found = 0;

    pthread_mutex_lock(&builtin_lock);
    for (c = builtin_cfgs; c != NULL && !found; c = c->next) {
        if (c->libctx == libctx) {
            ctx->module_path = str_dup_opt(c->module);
            ctx->token_uri = str_dup_opt(c->token);
            found = 1;
        }
    }
    pthread_mutex_unlock(&builtin_lock);
    return found;
}

/* pkcs11-module and pkcs11-token from the openssl.cnf provider section. */
static int core_config_get(const OSSL_CORE_HANDLE *handle, OSSL_FUNC_core_get_params_fn *get,
                           prov_ctx *ctx)
{
    char *module = NULL, *token = NULL;
    OSSL_PARAM p[] = {
        OSSL_PARAM_utf8_ptr(PROV_PARAM_MODULE, &module, 0),
        OSSL_PARAM_utf8_ptr(PROV_PARAM_TOKEN, &token, 0),
        OSSL_PARAM_END,
    };

    if (get == NULL || !get(handle, p))
        return 0;
    ctx->module_path = str_dup_opt(module);
    ctx->token_uri = str_dup_opt(token);
    return 1;
}

/* ---- entry points -------------------------------------------------------- */

static const OSSL_ALGORITHM keymgmt_algs[] = {
    {"EC:id-ecPublicKey:1.2.840.10045.2.1", PROV_PROPQ, prov_keymgmt_ec_functions,
     "EC keys whose private half is a PKCS#11 session object"},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM keyexch_algs[] = {
    {"ECDH", PROV_PROPQ, prov_keyexch_ecdh_functions, "ECDH computed by the PKCS#11 token"},
    {NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM *prov_query_operation(void *vctx, int operation_id, int *no_cache)
{
    (void)vctx;
    *no_cache = 0;
    switch (operation_id) {
    case OSSL_OP_KEYMGMT: return keymgmt_algs;
    case OSSL_OP_KEYEXCH: return keyexch_algs;
    default: return NULL;
    }
}

static const OSSL_PARAM *prov_gettable_params(void *vctx)
{
    static const OSSL_PARAM table[] = {
        OSSL_PARAM_DEFN(OSSL_PROV_PARAM_NAME, OSSL_PARAM_UTF8_PTR, NULL, 0),
        OSSL_PARAM_DEFN(OSSL_PROV_PARAM_VERSION, OSSL_PARAM_UTF8_PTR, NULL, 0),
        OSSL_PARAM_DEFN(OSSL_PROV_PARAM_BUILDINFO, OSSL_PARAM_UTF8_PTR, NULL, 0),
        OSSL_PARAM_DEFN(OSSL_PROV_PARAM_STATUS, OSSL_PARAM_INTEGER, NULL, 0),
        OSSL_PARAM_END,
    };

    (void)vctx;
    return table;
}

static int prov_get_params(void *vctx, OSSL_PARAM params[])
{
    const struct {
        const char *name, *v;
    } strs[] = {
        {OSSL_PROV_PARAM_NAME, "p11tee PKCS#11 provider"},
        {OSSL_PROV_PARAM_VERSION, PACKAGE_VERSION},
        {OSSL_PROV_PARAM_BUILDINFO, PACKAGE_STRING},
    };
    OSSL_PARAM *p;
    size_t i;

    for (i = 0; i < PROV_ARRAY_LEN(strs); i++) {
        p = OSSL_PARAM_locate(params, strs[i].name);
        if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, strs[i].v))
            goto bad;
    }
    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS);
    if (p != NULL && !OSSL_PARAM_set_int(p, 1))
        goto bad;
    return 1;
bad:
    PROV_RAISE((prov_ctx *)vctx, PROV_R_NOT_SUPPORTED, "provider parameter %s has the wrong type",
               p->key);
    return 0;
}

static const OSSL_ITEM *prov_get_reason_strings(void *vctx)
{
    (void)vctx;
    return reason_strings;
}

/* Opens the token and logs in, so that a wrong configuration shows at once. */
static int prov_self_test(void *vctx)
{
    prov_ctx *ctx = vctx;

    return prov_token_open(ctx);
}

static void prov_teardown(void *vctx)
{
    prov_ctx *ctx = vctx;
    size_t i;

    if (ctx == NULL)
        return;
    prov_token_free(ctx);
    for (i = 0; i < PROV_CURVE_COUNT; i++)
        EC_GROUP_free(ctx->groups[i]);
    str_clear_free(ctx->module_path);
    str_clear_free(ctx->token_uri);
    free(ctx);
}

static const OSSL_DISPATCH prov_functions[] = {
    {OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))prov_teardown},
    {OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, (void (*)(void))prov_gettable_params},
    {OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))prov_get_params},
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))prov_query_operation},
    {OSSL_FUNC_PROVIDER_GET_REASON_STRINGS, (void (*)(void))prov_get_reason_strings},
    {OSSL_FUNC_PROVIDER_SELF_TEST, (void (*)(void))prov_self_test},
    {0, NULL},
};

/* Take the core functions we use from `in`; all are present in OpenSSL >= 3.0. */
static void core_functions(const OSSL_DISPATCH *in, prov_ctx *ctx,
                           OSSL_FUNC_core_get_params_fn **get_params,
                           OSSL_FUNC_core_get_libctx_fn **get_libctx)
{
    for (; in->function_id != 0; in++) {
        switch (in->function_id) {
        case OSSL_FUNC_CORE_GET_PARAMS: *get_params = OSSL_FUNC_core_get_params(in); break;
        case OSSL_FUNC_CORE_GET_LIBCTX: *get_libctx = OSSL_FUNC_core_get_libctx(in); break;
        case OSSL_FUNC_CORE_NEW_ERROR: ctx->core_new_error = OSSL_FUNC_core_new_error(in); break;
        case OSSL_FUNC_CORE_SET_ERROR_DEBUG:
            ctx->core_set_error_debug = OSSL_FUNC_core_set_error_debug(in);
            break;
        case OSSL_FUNC_CORE_VSET_ERROR: ctx->core_vset_error = OSSL_FUNC_core_vset_error(in); break;
        default: break;
        }
    }
}

static int groups_new(prov_ctx *ctx)
{
    size_t i;

    for (i = 0; i < PROV_CURVE_COUNT; i++) {
        ctx->groups[i] = EC_GROUP_new_by_curve_name(prov_curves[i].nid);
        if (ctx->groups[i] == NULL)
            return 0;
    }
    return 1;
}

/*
 * Configuration is read here; the token is opened lazily (the openssl tool
 * loads providers for commands that never touch a key) or by self_test.
 */
static int prov_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                     const OSSL_DISPATCH **out, void **provctx, int builtin)
{
    OSSL_FUNC_core_get_params_fn *get_params = NULL;
    OSSL_FUNC_core_get_libctx_fn *get_libctx = NULL;
    prov_ctx *ctx = calloc(1, sizeof(*ctx));
    const char *dbg = getenv("P11TEE_PROV_DEBUG");

    if (ctx == NULL)
        return 0;
    ctx->handle = handle;
    core_functions(in, ctx, &get_params, &get_libctx);
    ctx->debug = dbg != NULL && dbg[0] != '\0' && strcmp(dbg, "0") != 0;
    if (!(builtin && get_libctx != NULL &&
          builtin_config_get((const OSSL_LIB_CTX *)get_libctx(handle), ctx)))
        core_config_get(handle, get_params, ctx);
    if (!groups_new(ctx) || !prov_token_new(ctx)) {
        PROV_RAISE(ctx, PROV_R_NOMEM, "out of memory while loading the provider");
        prov_teardown(ctx);
        return 0;
    }
    prov_debug(ctx, "loaded (%s), module %s", builtin ? "built-in" : "module",
               ctx->module_path != NULL ? ctx->module_path : "(not set)");
    *out = prov_functions;
    *provctx = ctx;
    return 1;
}

int prov_builtin_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                      const OSSL_DISPATCH **out, void **provctx)
{
    return prov_init(handle, in, out, provctx, 1);
}

/* The loadable module's entry point (p11tee.so exports nothing else). */
int OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                       const OSSL_DISPATCH **out, void **provctx)
{
    return prov_init(handle, in, out, provctx, 0);
}
