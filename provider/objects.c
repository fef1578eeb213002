/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Token keys: key pairs generated as session objects, private scalars
 * imported as session objects, ECDH into a secret object that is read and
 * destroyed at once, and the attributes of a key as the token reports
 * them. Keys record the process that made them: after fork() they are
 * stale.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "token.h"

int prov_key_is_current(const prov_key *key)
{
    return key->pid == getpid();
}

prov_status prov_key_check_current(prov_ctx *ctx, const prov_key *key)
{
    if (prov_key_is_current(key))
        return PROV_R_OK;
    return PROV_RAISE(ctx, PROV_R_KEY_STALE,
                      "the key was made by process %d, before fork(): generate a new one in this"
                      " process",
                      (int)key->pid);
}

/*
 * CKA_EC_POINT is a DER OCTET STRING around the point (some tokens give the
 * raw point). Copies the point into key->pub when it has c's length;
 * PROV_R_KEYGEN (not raised) when it does not.
 */
static prov_status ec_point_unwrap(const unsigned char *der, size_t len, const prov_curve *c,
                                   prov_key *key)
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
        return PROV_R_KEYGEN;
    }
    if (body != want || len - hdr != body)
        return PROV_R_KEYGEN;
    memcpy(key->pub, der + hdr, want);
    key->pub_len = want;
    return PROV_R_OK;
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

    prov_module_key_id(id);
    memcpy(t, policy, sizeof(policy));
}

static prov_status keygen_reason(CK_RV rv)
{
    return rv == CKR_CURVE_NOT_SUPPORTED || rv == CKR_DOMAIN_PARAMS_INVALID
               ? PROV_R_CURVE_UNSUPPORTED
               : PROV_R_KEYGEN;
}

/* Read the public point of a fresh pair; destroys the pair when it can't. */
static prov_status keygen_read_point(prov_ctx *ctx, CK_SESSION_HANDLE s, const prov_curve *c,
                                     prov_key *key, CK_RV *rv)
{
    unsigned char der[PROV_POINT_MAX + 3];
    CK_ATTRIBUTE a = {CKA_EC_POINT, der, sizeof(der)};
    prov_status rc;

    *rv = p11_get_attribute_value(prov_token_module(ctx), s, key->pubobj, &a, 1);
    if (*rv != CKR_OK)
        return PROV_CK_RAISE(ctx, PROV_R_KEYGEN, *rv, "C_GetAttributeValue(CKA_EC_POINT)");
    if (ec_point_unwrap(der, a.ulValueLen, c, key) != PROV_R_OK)
        return PROV_RAISE(ctx, PROV_R_KEYGEN,
                          "the token returned a malformed CKA_EC_POINT (%lu bytes)", a.ulValueLen);
    /* The check's own error (a peer's reason) is not the story here: replace it. */
    ERR_set_mark();
    if ((rc = prov_point_check(ctx, c, key->pub, key->pub_len)) != PROV_R_OK) {
        ERR_pop_to_mark();
        if (rc == PROV_R_NOMEM)
            return PROV_RAISE(ctx, PROV_R_NOMEM, "out of memory checking the new public point");
        return PROV_RAISE(ctx, PROV_R_KEYGEN, "the token returned a public point not on %s",
                          c->name);
    }
    ERR_pop_to_mark();
    return PROV_R_OK;
}

prov_status prov_key_generate(prov_ctx *ctx, const prov_curve *c, prov_key *key)
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
    prov_module *m;
    prov_status rc = prov_session_get(ctx, &s);
    CK_RV rv;

    if (rc != PROV_R_OK)
        return rc;
    m = prov_token_module(ctx);
    priv_policy(priv_tmpl, id);
    rv = p11_generate_key_pair(m, s, &mech, pub_tmpl, PROV_ARRAY_LEN(pub_tmpl), priv_tmpl,
                               PROV_ARRAY_LEN(priv_tmpl), &key->pubobj, &key->priv);
    if (rv != CKR_OK) {
        prov_session_put(ctx, s, rv);
        key->priv = key->pubobj = PROV_NO_HANDLE;
        return PROV_CK_RAISE(ctx, keygen_reason(rv), rv, "C_GenerateKeyPair(%s) on token \"%s\"",
                             c->name, prov_token_label(ctx));
    }
    key->curve = c;
    key->pid = getpid();
    rc = keygen_read_point(ctx, s, c, key, &rv);
    if (rc != PROV_R_OK) {
        p11_destroy_object(m, s, key->priv);
        p11_destroy_object(m, s, key->pubobj);
        key->priv = key->pubobj = PROV_NO_HANDLE;
        key->pub_len = 0;
        prov_session_put(ctx, s, rv);
        return rc;
    }
    prov_session_put(ctx, s, CKR_OK);
    prov_debug(ctx, "C_GenerateKeyPair(%s): objects %lu/%lu", c->name, key->priv, key->pubobj);
    return PROV_R_OK;
}

prov_status prov_key_import_private(prov_ctx *ctx, const prov_curve *c, const unsigned char *scalar,
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
    prov_status rc = prov_session_get(ctx, &s);
    CK_RV rv;

    if (rc != PROV_R_OK)
        return rc;
    priv_policy(tmpl + 4, id);
    rv = p11_create_object(prov_token_module(ctx), s, tmpl, PROV_ARRAY_LEN(tmpl), &key->priv);
    prov_session_put(ctx, s, rv);
    if (rv != CKR_OK) {
        key->priv = PROV_NO_HANDLE;
        return PROV_CK_RAISE(ctx, PROV_R_KEY_IMPORT, rv,
                             "C_CreateObject(%s private key) on token \"%s\"", c->name,
                             prov_token_label(ctx));
    }
    key->pid = getpid();
    return PROV_R_OK;
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
    CK_RV drv = p11_destroy_object(prov_token_module(ctx), s, secret);
    char nb[24];

    if (drv == CKR_OK) {
        prov_session_put(ctx, s, *rv);
        return;
    }
    prov_debug(ctx, "C_DestroyObject(derived secret): %s", prov_ckr_name(drv, nb));
    if (prov_session_close(ctx, s) != CKR_OK && *rv == CKR_OK) {
        *rv = drv;
        *step = "C_DestroyObject(derived secret) and C_CloseSession";
    }
}

/*
 * The reason of a failed derive. A private key the token no longer knows is
 * stale (gone with its session, or destroyed); a template the token
 * refuses is what FIPS-mode HSMs say to an extractable secret.
 */
static prov_status derive_fail(prov_ctx *ctx, const char *step, CK_RV rv)
{
    if (rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID)
        return PROV_CK_RAISE(ctx, PROV_R_KEY_STALE, rv, "%s on token \"%s\"", step,
                             prov_token_label(ctx));
    if (rv == CKR_TEMPLATE_INCONSISTENT || rv == CKR_ATTRIBUTE_VALUE_INVALID ||
        rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_KEY_FUNCTION_NOT_PERMITTED)
        return PROV_CK_RAISE(ctx, PROV_R_DERIVE, rv,
                             "%s on token \"%s\": the token refuses to give the ECDH secret "
                             "out (FIPS-mode HSMs often do); p11tee needs an extractable "
                             "derived secret and cannot use this token",
                             step, prov_token_label(ctx));
    if (rv == CKR_MECHANISM_INVALID)
        return PROV_CK_RAISE(ctx, PROV_R_DERIVE, rv,
                             "%s on token \"%s\": the module does not offer ECDH "
                             "(CKM_ECDH1_DERIVE) on this token%s",
                             step, prov_token_label(ctx),
                             prov_token_module(ctx)->is_p11kit
                                 ? " (p11-kit before 0.25 cannot carry ECDH between "
                                   "p11-kit-client and p11-kit server)"
                                 : "");
    return PROV_CK_RAISE(ctx, PROV_R_DERIVE, rv, "%s on token \"%s\"", step, prov_token_label(ctx));
}

/* C_DeriveKey into a 32-byte (field size) secret object, read it, destroy it. */
prov_status prov_key_derive(prov_ctx *ctx, const prov_key *key, const unsigned char *peer,
                            size_t peer_len, unsigned char *out)
{
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
    prov_module *m;
    prov_status rc = prov_key_check_current(ctx, key);
    CK_RV rv;

    if (rc == PROV_R_OK)
        rc = prov_session_get(ctx, &s);
    if (rc != PROV_R_OK)
        return rc;
    m = prov_token_module(ctx);
    rv = p11_derive_key(m, s, &mech, key->priv, tmpl, PROV_ARRAY_LEN(tmpl), &secret);
    if (rv == CKR_OK) {
        step = "C_GetAttributeValue(CKA_VALUE)";
        rv = p11_get_attribute_value(m, s, secret, &val, 1);
        if (rv == CKR_OK && val.ulValueLen != vlen)
            rv = CKR_DATA_LEN_RANGE;
        secret_destroy(ctx, s, secret, &rv, &step);
    } else {
        prov_session_put(ctx, s, rv);
    }
    if (rv != CKR_OK) {
        OPENSSL_cleanse(out, vlen);
        return derive_fail(ctx, step, rv);
    }
    prov_debug(ctx, "C_DeriveKey(%s): %lu-byte secret", key->curve->name, vlen);
    return PROV_R_OK;
}

void prov_key_destroy(prov_ctx *ctx, prov_key *key)
{
    CK_RV rv1 = CKR_OK, rv2 = CKR_OK;
    CK_SESSION_HANDLE s;
    prov_module *m;
    char nb[24];

    if (key->priv == PROV_NO_HANDLE && key->pubobj == PROV_NO_HANDLE)
        return;
    /*
     * A parent's objects are not ours to touch: the child's copy of the
     * handles just goes. At exit the module has destroyed them already.
     */
    if (prov_key_is_current(key) && !prov_modules_are_exiting()) {
        ERR_set_mark();
        if (prov_session_get(ctx, &s) == PROV_R_OK) {
            m = prov_token_module(ctx);
            /* Both, even when one is gone already (destroyed by someone else). */
            if (key->priv != PROV_NO_HANDLE)
                rv1 = p11_destroy_object(m, s, key->priv);
            if (key->pubobj != PROV_NO_HANDLE)
                rv2 = p11_destroy_object(m, s, key->pubobj);
            prov_session_put(ctx, s, rv1 != CKR_OK ? rv1 : rv2);
            if (rv1 != CKR_OK || rv2 != CKR_OK)
                prov_debug(ctx, "C_DestroyObject: %s",
                           prov_ckr_name(rv1 != CKR_OK ? rv1 : rv2, nb));
        }
        ERR_pop_to_mark();
    }
    key->priv = key->pubobj = PROV_NO_HANDLE;
}

/* ---- the attributes a key has in the token ---------------------------------- */

/* "NAME=TRUE", "NAME=FALSE" or "NAME=?" (the token would not say) for one boolean. */
static size_t attr_word(char *out, size_t outlen, const char *name, CK_RV rv, CK_BBOOL v)
{
    int n = snprintf(out, outlen, "%s=%s", name,
                     rv != CKR_OK   ? "?"
                     : v == CK_TRUE ? "TRUE"
                                    : "FALSE");

    return n < 0 ? 0 : (size_t)n;
}

prov_status prov_key_attributes(prov_ctx *ctx, const prov_key *key, char *out, size_t outlen)
{
    static const struct {
        CK_ATTRIBUTE_TYPE type;
        const char *name;
    } bools[] = {
        {CKA_TOKEN, "CKA_TOKEN"},
        {CKA_PRIVATE, "CKA_PRIVATE"},
        {CKA_SENSITIVE, "CKA_SENSITIVE"},
        {CKA_EXTRACTABLE, "CKA_EXTRACTABLE"},
        {CKA_DERIVE, "CKA_DERIVE"},
        {CKA_SIGN, "CKA_SIGN"},
        {CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE"},
        {CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE"},
    };
    unsigned char value[PROV_POINT_MAX];
    CK_ATTRIBUTE va = {CKA_VALUE, value, sizeof(value)};
    CK_SESSION_HANDLE s;
    prov_module *m;
    size_t i, used = 0;
    CK_BBOOL v;
    CK_RV rv;
    prov_status rc = key->priv == PROV_NO_HANDLE
                         ? PROV_RAISE(ctx, PROV_R_NO_PRIVATE_KEY, "the key has no private half")
                         : prov_key_check_current(ctx, key);

    if (rc == PROV_R_OK)
        rc = prov_session_get(ctx, &s);
    if (rc != PROV_R_OK)
        return rc;
    m = prov_token_module(ctx);
    for (i = 0; i < PROV_ARRAY_LEN(bools) && used < outlen; i++) {
        CK_ATTRIBUTE a = {bools[i].type, &v, sizeof(v)};

        rv = p11_get_attribute_value(m, s, key->priv, &a, 1);
        used += attr_word(out + used, outlen - used, bools[i].name, rv, v);
        if (used < outlen)
            out[used++] = ' ';
    }
    /* The private value itself must not come out. */
    rv = p11_get_attribute_value(m, s, key->priv, &va, 1);
    OPENSSL_cleanse(value, sizeof(value));
    prov_session_put(ctx, s, rv == CKR_ATTRIBUTE_SENSITIVE ? CKR_OK : rv);
    if (used < outlen)
        snprintf(out + used, outlen - used, "CKA_VALUE=%s",
                 rv == CKR_ATTRIBUTE_SENSITIVE ? "unreadable"
                 : rv == CKR_OK                ? "READABLE"
                                               : "?");
    return PROV_R_OK;
}
