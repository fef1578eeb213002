/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/* Helpers of the provider tests; see provtest.h. */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include "provider/prov_api.h"
#include "provtest.h"

/* Last: its compatibility macros rename identifiers such as `value`. */
#include <p11-kit/pkcs11.h>

OSSL_LIB_CTX *pt_libctx_new(const char *module, const char *token, OSSL_PROVIDER **prov)
{
    OSSL_LIB_CTX *libctx = OSSL_LIB_CTX_new();
    prov_builtin_config cfg = {.module = module, .token = token};

    *prov = NULL;
    if (libctx == NULL || !prov_builtin_config_set(libctx, &cfg) ||
        !OSSL_PROVIDER_add_builtin(libctx, PROV_NAME, prov_builtin_init))
        goto fail;
    *prov = OSSL_PROVIDER_load(libctx, PROV_NAME);
    prov_builtin_config_clear(libctx);
    if (*prov == NULL)
        goto fail;
    return libctx;
fail:
    pt_libctx_free(libctx, *prov);
    *prov = NULL;
    return NULL;
}

void pt_libctx_free(OSSL_LIB_CTX *libctx, OSSL_PROVIDER *prov)
{
    if (prov != NULL)
        OSSL_PROVIDER_unload(prov);
    if (libctx != NULL) {
        prov_builtin_config_clear(libctx);
        OSSL_LIB_CTX_free(libctx);
    }
}

int pt_fixture_open(pt_fixture *f, const char *label)
{
    hsm_config cfg = {0};
    p11tee_error err;

    memset(f, 0, sizeof(*f));
    test_token_create(&f->tok, label);
    cfg.module = f->tok.module;
    cfg.token = f->tok.uri;
    if (hsm_ctx_new(&cfg, &f->hctx, &err) != P11TEE_OK) {
        fprintf(stderr, "hsm_ctx_new: %s (%s)\n", err.message, err.detail);
        return -1;
    }
    f->libctx = pt_libctx_new(f->tok.module, f->tok.uri, &f->prov);
    if (f->libctx == NULL || OSSL_PROVIDER_self_test(f->prov) != 1) {
        fprintf(stderr, "the provider could not open the token\n");
        return -1;
    }
    return 0;
}

void pt_fixture_close(pt_fixture *f)
{
    pt_libctx_free(f->libctx, f->prov);
    hsm_ctx_free(f->hctx);
    test_token_destroy(&f->tok);
}

int pt_quick(void)
{
    const char *q = getenv("P11TEE_TEST_QUICK");

    return q != NULL && strcmp(q, "1") == 0;
}

static int check_failures;

void pt_check(int ok, const char *what, int line)
{
    if (!ok) {
        check_failures++;
        fprintf(stderr, "[%d] line %d: check failed: %s\n", (int)getpid(), line, what);
    }
}

int pt_isolated(void (*fn)(void *), void *arg)
{
    pid_t pid;
    int status;

    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        check_failures = 0;
        fn(arg);
        exit(check_failures);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

void pt_token_conf(const test_token *tok, const char *line)
{
    char conf[1024];
    FILE *f;

    snprintf(conf, sizeof(conf), "%s/softhsm2.conf", tok->dir);
    f = fopen(conf, "a");
    if (f == NULL || fprintf(f, "%s\n", line) < 0 || fclose(f) != 0) {
        fprintf(stderr, "cannot append to %s\n", conf);
        exit(99);
    }
}

static EVP_PKEY *gen_key(OSSL_LIB_CTX *libctx, const char *propq, const char *curve)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(libctx, "EC", propq);
    EVP_PKEY *k = NULL;

    if (c == NULL || EVP_PKEY_keygen_init(c) != 1 || EVP_PKEY_CTX_set_group_name(c, curve) != 1 ||
        EVP_PKEY_generate(c, &k) != 1)
        k = NULL;
    EVP_PKEY_CTX_free(c);
    return k;
}

static EVP_PKEY *import(OSSL_LIB_CTX *libctx, const char *propq, const char *curve,
                        const uint8_t *pt, size_t len, const BIGNUM *priv, int selection)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(libctx, "EC", propq);
    EVP_PKEY *k = NULL;

    if (bld == NULL || c == NULL ||
        !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, len) ||
        (priv != NULL && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)) ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL || EVP_PKEY_fromdata_init(c) != 1 ||
        EVP_PKEY_fromdata(c, &k, selection, params) != 1)
        k = NULL;
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(c);
    return k;
}

static size_t derive(OSSL_LIB_CTX *libctx, const char *propq, EVP_PKEY *key, EVP_PKEY *peer,
                     uint8_t *out, size_t cap)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(libctx, key, propq);
    size_t n = cap;

    if (c == NULL || EVP_PKEY_derive_init(c) != 1 || EVP_PKEY_derive_set_peer(c, peer) != 1 ||
        EVP_PKEY_derive(c, out, &n) != 1)
        n = 0;
    EVP_PKEY_CTX_free(c);
    return n;
}

EVP_PKEY *pt_token_key(OSSL_LIB_CTX *libctx, const char *curve)
{
    return gen_key(libctx, PROV_PROPQ, curve);
}

EVP_PKEY *pt_token_peer(OSSL_LIB_CTX *libctx, const char *curve, const uint8_t *pt, size_t len)
{
    return import(libctx, PROV_PROPQ, curve, pt, len, NULL, EVP_PKEY_PUBLIC_KEY);
}

EVP_PKEY *pt_token_import(OSSL_LIB_CTX *libctx, const char *curve, const uint8_t *pt, size_t len,
                          const BIGNUM *priv, int selection)
{
    return import(libctx, PROV_PROPQ, curve, pt, len, priv, selection);
}

size_t pt_token_derive(OSSL_LIB_CTX *libctx, EVP_PKEY *key, EVP_PKEY *peer, uint8_t *out,
                       size_t cap)
{
    return derive(libctx, PROV_PROPQ, key, peer, out, cap);
}

EVP_PKEY *pt_sw_key(const char *curve)
{
    return gen_key(NULL, "provider=default", curve);
}

EVP_PKEY *pt_sw_peer(const char *curve, const uint8_t *pt, size_t len)
{
    return import(NULL, "provider=default", curve, pt, len, NULL, EVP_PKEY_PUBLIC_KEY);
}

size_t pt_pub(const EVP_PKEY *pkey, uint8_t *out, size_t cap)
{
    size_t n = 0;

    if (!EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out, cap, &n))
        return 0;
    return n;
}

size_t pt_sw_derive(EVP_PKEY *priv, const char *curve, const uint8_t *peer, size_t peer_len,
                    uint8_t *out, size_t cap)
{
    EVP_PKEY *p = pt_sw_peer(curve, peer, peer_len);
    size_t n = p != NULL ? derive(NULL, "provider=default", priv, p, out, cap) : 0;

    EVP_PKEY_free(p);
    return n;
}

int pt_hsm_derive_ok(hsm_key *k)
{
    EVP_PKEY *s = pt_sw_key("secp256k1");
    uint8_t kpub[HSM_PUBKEY_BYTES], spub[PT_POINT_MAX], x1[HSM_SECRET_MAX], x2[HSM_SECRET_MAX];
    size_t kn = 0, sn = s != NULL ? pt_pub(s, spub, sizeof(spub)) : 0, n = 0;
    p11tee_error err = {0};
    int ok;

    ok = sn != 0 && hsm_key_public(k, kpub, sizeof(kpub), &kn, &err) == P11TEE_OK &&
         hsm_derive(k, spub, sn, x1, sizeof(x1), &n, &err) == P11TEE_OK && n == 32 &&
         pt_sw_derive(s, "secp256k1", kpub, kn, x2, sizeof(x2)) == 32 && memcmp(x1, x2, 32) == 0;
    if (!ok)
        fprintf(stderr, "[%d] derive: %s (%s)\n", (int)getpid(), err.message, err.detail);
    EVP_PKEY_free(s);
    return ok;
}

long pt_fault_calls(const char *module, const char *fn)
{
    void *dl = dlopen(module, RTLD_NOW | RTLD_NOLOAD);
    unsigned long (*calls)(const char *) = NULL;
    long n = -1;

    if (dl != NULL)
        *(void **)&calls = dlsym(dl, "faultmod_calls");
    if (calls != NULL)
        n = (long)calls(fn);
    if (dl != NULL)
        dlclose(dl);
    return n;
}

int pt_prov_error(char *text, size_t cap)
{
    unsigned long e;
    const char *data;
    int flags, reason = 0;

    text[0] = '\0';
    while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
        const char *lib = ERR_lib_error_string(e);

        if (reason == 0 && lib != NULL && strcmp(lib, PROV_NAME) == 0) {
            reason = ERR_GET_REASON(e);
            snprintf(text, cap, "%s", (flags & ERR_TXT_STRING) ? data : "");
        }
    }
    return reason;
}

/* ---- direct PKCS#11 ------------------------------------------------------ */

struct pt_p11 {
    void *dl;
    CK_FUNCTION_LIST_PTR fl;
    CK_SESSION_HANDLE s;
    CK_SLOT_ID slot;
    char serial[17];
};

/* The slot holding the token labelled `label` (labels are blank-padded), and its serial. */
static int slot_of(pt_p11 *p, const char *label)
{
    CK_SLOT_ID ids[16];
    CK_ULONG n = 16, i;
    CK_TOKEN_INFO info;
    char padded[32];
    int len;

    memset(padded, ' ', sizeof(padded));
    memcpy(padded, label, strnlen(label, sizeof(padded)));
    if (p->fl->C_GetSlotList(CK_TRUE, ids, &n) != CKR_OK)
        return 0;
    for (i = 0; i < n; i++) {
        if (p->fl->C_GetTokenInfo(ids[i], &info) == CKR_OK &&
            memcmp(info.label, padded, sizeof(padded)) == 0) {
            p->slot = ids[i];
            for (len = 16; len > 0 && info.serialNumber[len - 1] == ' ';)
                len--;
            snprintf(p->serial, sizeof(p->serial), "%.*s", len, (char *)info.serialNumber);
            return 1;
        }
    }
    return 0;
}

pt_p11 *pt_p11_open(const char *module, const char *label)
{
    pt_p11 *p = calloc(1, sizeof(*p));
    CK_C_GetFunctionList getfl;

    /* The provider loaded and initialised the module: the same handle comes back. */
    if (p == NULL || (p->dl = dlopen(module, RTLD_NOW | RTLD_NOLOAD)) == NULL ||
        (getfl = (CK_C_GetFunctionList)dlsym(p->dl, "C_GetFunctionList")) == NULL ||
        getfl(&p->fl) != CKR_OK || !slot_of(p, label) ||
        p->fl->C_OpenSession(p->slot, CKF_SERIAL_SESSION, NULL, NULL, &p->s) != CKR_OK) {
        pt_p11_close(p);
        return NULL;
    }
    return p;
}

void pt_p11_slot(const pt_p11 *p, unsigned long *slot, char serial[17])
{
    *slot = p->slot;
    memcpy(serial, p->serial, sizeof(p->serial));
}

void pt_p11_close(pt_p11 *p)
{
    if (p == NULL)
        return;
    if (p->s != CK_INVALID_HANDLE)
        p->fl->C_CloseSession(p->s);
    if (p->dl != NULL)
        dlclose(p->dl);
    free(p);
}

void pt_p11_abandon(pt_p11 *p)
{
    if (p != NULL && p->dl != NULL)
        dlclose(p->dl);
    free(p);
}

/* Handles matching `tmpl` (at most `cap`); their number, -1 on error. */
static long find(pt_p11 *p, CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *objs, size_t cap)
{
    CK_OBJECT_HANDLE h[64];
    CK_ULONG got;
    long total = 0;

    if (p->fl->C_FindObjectsInit(p->s, tmpl, n) != CKR_OK)
        return -1;
    do {
        if (p->fl->C_FindObjects(p->s, h, 64, &got) != CKR_OK) {
            total = -1;
            break;
        }
        for (CK_ULONG i = 0; i < got; i++, total++)
            if (objs != NULL && (size_t)total < cap)
                objs[total] = h[i];
    } while (got > 0);
    p->fl->C_FindObjectsFinal(p->s);
    return total;
}

long pt_p11_count(pt_p11 *p)
{
    return find(p, NULL, 0, NULL, 0);
}

int pt_p11_find_pair(pt_p11 *p, const uint8_t *pub, size_t len, unsigned long *pubobj,
                     unsigned long *privobj)
{
    CK_OBJECT_CLASS pubc = CKO_PUBLIC_KEY, privc = CKO_PRIVATE_KEY;
    unsigned char der[PT_POINT_MAX + 3], id[64];
    CK_ATTRIBUTE by_point[] = {{CKA_CLASS, &pubc, sizeof(pubc)}, {CKA_EC_POINT, der, 0}};
    CK_ATTRIBUTE idattr = {CKA_ID, id, sizeof(id)};
    CK_ATTRIBUTE by_id[] = {{CKA_CLASS, &privc, sizeof(privc)}, {CKA_ID, id, 0}};
    CK_OBJECT_HANDLE h;
    size_t hdr;

    if (len > PT_POINT_MAX || len < 2)
        return 0;
    /* DER OCTET STRING around the point: short length form below 128 bytes (P-521's is 133). */
    der[0] = 0x04;
    hdr = len < 0x80 ? 2 : 3;
    der[1] = len < 0x80 ? (unsigned char)len : 0x81;
    der[2] = (unsigned char)len;
    memcpy(der + hdr, pub, len);
    by_point[1].ulValueLen = hdr + len;
    if (find(p, by_point, 2, &h, 1) != 1)
        return 0;
    *pubobj = h;
    if (p->fl->C_GetAttributeValue(p->s, h, &idattr, 1) != CKR_OK)
        return 0;
    by_id[1].ulValueLen = idattr.ulValueLen;
    if (find(p, by_id, 2, &h, 1) != 1)
        return 0;
    *privobj = h;
    return 1;
}

int pt_p11_destroy(pt_p11 *p, unsigned long obj)
{
    return p->fl->C_DestroyObject(p->s, obj) == CKR_OK;
}

long pt_p11_objects(pt_p11 *p, unsigned long cls, unsigned long *objs, size_t cap)
{
    CK_OBJECT_CLASS c = cls;
    CK_ATTRIBUTE t = {CKA_CLASS, &c, sizeof(c)};

    return find(p, &t, 1, objs, cap);
}

/* One CK_BBOOL attribute: 0 or 1, -1 when the object has no such attribute. */
static int bool_attr(pt_p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type)
{
    CK_BBOOL b = CK_FALSE;
    CK_ATTRIBUTE t = {type, &b, sizeof(b)};

    return p->fl->C_GetAttributeValue(p->s, obj, &t, 1) == CKR_OK ? b == CK_TRUE : -1;
}

int pt_p11_attrs(pt_p11 *p, unsigned long obj, pt_attrs *a)
{
    unsigned char val[256];
    CK_ATTRIBUTE cls = {CKA_CLASS, &a->cls, sizeof(a->cls)};
    CK_ATTRIBUTE v = {CKA_VALUE, val, sizeof(val)};

    if (p->fl->C_GetAttributeValue(p->s, obj, &cls, 1) != CKR_OK)
        return 0;
    a->token = bool_attr(p, obj, CKA_TOKEN);
    a->private_ = bool_attr(p, obj, CKA_PRIVATE);
    a->sensitive = bool_attr(p, obj, CKA_SENSITIVE);
    a->extractable = bool_attr(p, obj, CKA_EXTRACTABLE);
    a->derive = bool_attr(p, obj, CKA_DERIVE);
    a->sign = bool_attr(p, obj, CKA_SIGN);
    a->always_sensitive = bool_attr(p, obj, CKA_ALWAYS_SENSITIVE);
    a->never_extractable = bool_attr(p, obj, CKA_NEVER_EXTRACTABLE);
    a->value_rv = p->fl->C_GetAttributeValue(p->s, obj, &v, 1);
    return 1;
}
