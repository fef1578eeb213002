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
    {PROV_R_PIN_FINAL_TRY, "token PIN on its final try"},
    {0, NULL},
};

prov_status prov_raise_at(const prov_ctx *ctx, const char *file, int line, const char *func,
                          prov_status reason, const char *fmt, ...)
{
    va_list ap;

    if (ctx == NULL || ctx->core_new_error == NULL)
        return reason;
    ctx->core_new_error(ctx->handle);
    ctx->core_set_error_debug(ctx->handle, file, line, func);
    va_start(ap, fmt);
    ctx->core_vset_error(ctx->handle, (uint32_t)reason, fmt, ap);
    va_end(ap);
    return reason;
}

int prov_debug_is_on(void)
{
    const char *dbg = getenv("P11TEE_PROV_DEBUG");

    return dbg != NULL && dbg[0] != '\0' && strcmp(dbg, "0") != 0;
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

void prov_warn(const prov_ctx *ctx, const char *fmt, ...)
{
    char text[PROV_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (ctx->warn != NULL)
        ctx->warn(ctx->warn_arg, text);
    else
        prov_debug(ctx, "warning: %s", text);
}

/* ---- configuration handed to the built-in provider ----------------------- */

/* A registered configuration: a deep copy of what hsm passed. */
typedef struct builtin_cfg {
    struct builtin_cfg *next;
    const OSSL_LIB_CTX *libctx;
    prov_builtin_config c; /* strings owned; the token may hold a pin-value */
} builtin_cfg;

/* The registered configurations; `lock` guards the list. */
static struct {
    pthread_mutex_t lock;
    builtin_cfg *list;
} builtins = {PTHREAD_MUTEX_INITIALIZER, NULL};

static void str_clear_free(char *s)
{
    if (s != NULL)
        OPENSSL_clear_free(s, strlen(s));
}

static char *str_dup_opt(const char *s)
{
    return s != NULL ? OPENSSL_strdup(s) : NULL;
}

static void cfg_strings_free(prov_builtin_config *c)
{
    str_clear_free((char *)c->module);
    prov_secret_free((char *)c->token);
    prov_secret_free((char *)c->pin);
    str_clear_free((char *)c->module_word);
    str_clear_free((char *)c->token_word);
    str_clear_free((char *)c->force_word);
}

/* Deep copy; 0 when out of memory (then nothing is kept). The secrets go to secret.c. */
static int cfg_copy(prov_builtin_config *dst, const prov_builtin_config *src)
{
    const char *const *from[] = {&src->module, &src->module_word, &src->token_word,
                                 &src->force_word};
    const char **to[] = {&dst->module, &dst->module_word, &dst->token_word, &dst->force_word};
    size_t i;
    int ok = 1;

    *dst = *src;
    for (i = 0; i < PROV_ARRAY_LEN(to); i++) {
        *to[i] = str_dup_opt(*from[i]);
        ok &= *from[i] == NULL || *to[i] != NULL;
    }
    dst->token = prov_secret_strdup(src->token);
    dst->pin = prov_secret_strdup(src->pin);
    ok &= (src->token == NULL || dst->token != NULL) && (src->pin == NULL || dst->pin != NULL);
    if (!ok)
        cfg_strings_free(dst);
    return ok;
}

/* Unlink and free the entry of `libctx`. builtins.lock held. */
static void builtin_remove_unlocked(const OSSL_LIB_CTX *libctx)
{
    builtin_cfg **pp, *c;

    for (pp = &builtins.list; (c = *pp) != NULL; pp = &c->next) {
        if (c->libctx == libctx) {
            *pp = c->next;
            cfg_strings_free(&c->c);
            free(c);
            return;
        }
    }
}

int prov_builtin_config_set(const OSSL_LIB_CTX *libctx, const prov_builtin_config *cfg)
{
    builtin_cfg *c = calloc(1, sizeof(*c));

    if (c == NULL || !cfg_copy(&c->c, cfg)) {
        free(c);
        return PROV_OSSL_ERR;
    }
    c->libctx = libctx;
    pthread_mutex_lock(&builtins.lock);
    builtin_remove_unlocked(libctx);
    c->next = builtins.list;
    builtins.list = c;
    pthread_mutex_unlock(&builtins.lock);
    return PROV_OSSL_OK;
}

void prov_builtin_config_clear(const OSSL_LIB_CTX *libctx)
{
    pthread_mutex_lock(&builtins.lock);
    builtin_remove_unlocked(libctx);
    pthread_mutex_unlock(&builtins.lock);
}

/*
 * Take the configuration's settings into the provider context: 1, or -1
 * when a copy failed for want of memory (a setting lost that way must not
 * read as one never given).
 */
static int ctx_configure(prov_ctx *ctx, const prov_builtin_config *c)
{
    ctx->module_path = str_dup_opt(c->module);
    ctx->token_uri = c->token != NULL ? prov_secret_strdup(c->token) : NULL;
    ctx->pin = c->pin != NULL ? prov_secret_strdup(c->pin) : NULL;
    ctx->module_word = str_dup_opt(c->module_word);
    ctx->token_word = str_dup_opt(c->token_word);
    ctx->force_word = str_dup_opt(c->force_word);
    ctx->force_final_pin_try = c->force_final_pin_try;
    ctx->pin_prompt = c->pin_prompt;
    ctx->pin_prompt_arg = c->pin_prompt_arg;
    ctx->warn = c->warn;
    ctx->warn_arg = c->warn_arg;
    return (c->module == NULL) == (ctx->module_path == NULL) &&
                   (c->token == NULL) == (ctx->token_uri == NULL) &&
                   (c->pin == NULL) == (ctx->pin == NULL) &&
                   (c->module_word == NULL) == (ctx->module_word == NULL) &&
                   (c->token_word == NULL) == (ctx->token_word == NULL) &&
                   (c->force_word == NULL) == (ctx->force_word == NULL)
               ? 1
               : -1;
}

/* Copy the registered configuration of `libctx`: 1, 0 if there is none, -1 out of memory. */
static int builtin_config_get(const OSSL_LIB_CTX *libctx, prov_ctx *ctx)
{
    builtin_cfg *c;
    int found = 0;

    pthread_mutex_lock(&builtins.lock);
    for (c = builtins.list; c != NULL && found == 0; c = c->next)
        if (c->libctx == libctx)
            found = ctx_configure(ctx, &c->c);
    pthread_mutex_unlock(&builtins.lock);
    return found;
}

/*
 * pkcs11-module, pkcs11-token and pkcs11-force-final-pin-try from
 * openssl.cnf: 1, 0 without a core to ask, -1 out of memory.
 */
static int core_config_get(const OSSL_CORE_HANDLE *handle, OSSL_FUNC_core_get_params_fn *get,
                           prov_ctx *ctx)
{
    char *module = NULL, *token = NULL, *force = NULL;
    OSSL_PARAM p[] = {
        OSSL_PARAM_utf8_ptr(PROV_PARAM_MODULE, &module, 0),
        OSSL_PARAM_utf8_ptr(PROV_PARAM_TOKEN, &token, 0),
        OSSL_PARAM_utf8_ptr(PROV_PARAM_FINAL_TRY, &force, 0),
        OSSL_PARAM_END,
    };
    prov_builtin_config c = {0};

    if (get == NULL || !get(handle, p))
        return 0;
    c.module = module;
    c.token = token;
    c.force_final_pin_try = force != NULL && strcmp(force, "1") == 0;
    return ctx_configure(ctx, &c);
}

/* Messages name the settings as the user gave them; by default, their parameter names. */
static int words_default(prov_ctx *ctx)
{
    char **w[] = {&ctx->module_word, &ctx->token_word, &ctx->force_word};
    const char *dflt[] = {PROV_PARAM_MODULE, PROV_PARAM_TOKEN, PROV_PARAM_FINAL_TRY "=1"};
    size_t i;

    for (i = 0; i < PROV_ARRAY_LEN(w); i++)
        if (*w[i] == NULL && (*w[i] = OPENSSL_strdup(dflt[i])) == NULL)
            return PROV_OSSL_ERR;
    return PROV_OSSL_OK;
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
        OSSL_PARAM_DEFN(PROV_INFO_MODULE, OSSL_PARAM_UTF8_STRING, NULL, 0),
        OSSL_PARAM_DEFN(PROV_INFO_LIBRARY, OSSL_PARAM_UTF8_STRING, NULL, 0),
        OSSL_PARAM_DEFN(PROV_INFO_SLOT, OSSL_PARAM_UTF8_STRING, NULL, 0),
        OSSL_PARAM_DEFN(PROV_INFO_LABEL, OSSL_PARAM_UTF8_STRING, NULL, 0),
        OSSL_PARAM_DEFN(PROV_INFO_SERIAL, OSSL_PARAM_UTF8_STRING, NULL, 0),
        OSSL_PARAM_DEFN(PROV_INFO_MODEL, OSSL_PARAM_UTF8_STRING, NULL, 0),
        OSSL_PARAM_DEFN(PROV_INFO_MANUFACTURER, OSSL_PARAM_UTF8_STRING, NULL, 0),
        OSSL_PARAM_DEFN(PROV_INFO_FLAGS, OSSL_PARAM_UTF8_STRING, NULL, 0),
        OSSL_PARAM_DEFN(PROV_INFO_PIN_FROM, OSSL_PARAM_UTF8_STRING, NULL, 0),
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
    return prov_token_get_params(vctx, params) == PROV_R_OK ? PROV_OSSL_OK : PROV_OSSL_ERR;
bad:
    PROV_RAISE((prov_ctx *)vctx, PROV_R_NOT_SUPPORTED, "provider parameter %s has the wrong type",
               p->key);
    return PROV_OSSL_ERR;
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

    return prov_token_open(ctx) == PROV_R_OK ? PROV_OSSL_OK : PROV_OSSL_ERR;
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
    prov_secret_free(ctx->token_uri);
    prov_secret_free(ctx->pin);
    str_clear_free(ctx->module_word);
    str_clear_free(ctx->token_word);
    str_clear_free(ctx->force_word);
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
            return PROV_OSSL_ERR;
    }
    return PROV_OSSL_OK;
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
    int configured;

    if (ctx == NULL)
        return PROV_OSSL_ERR;
    ctx->handle = handle;
    core_functions(in, ctx, &get_params, &get_libctx);
    ctx->debug = prov_debug_is_on();
    configured = builtin && get_libctx != NULL
                     ? builtin_config_get((const OSSL_LIB_CTX *)get_libctx(handle), ctx)
                     : 0;
    if (configured == 0)
        configured = core_config_get(handle, get_params, ctx);
    if (configured < 0 || !words_default(ctx) || !groups_new(ctx) ||
        prov_token_new(ctx) != PROV_R_OK) {
        PROV_RAISE(ctx, PROV_R_NOMEM, "out of memory while loading the provider");
        prov_teardown(ctx);
        return PROV_OSSL_ERR;
    }
    prov_debug(ctx, "loaded (%s), module %s", builtin ? "built-in" : "module",
               ctx->module_path != NULL ? ctx->module_path : "(not set)");
    *out = prov_functions;
    *provctx = ctx;
    return PROV_OSSL_OK;
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
