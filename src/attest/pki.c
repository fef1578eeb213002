/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * X.509 and ECDSA helpers shared by the TDX and NVIDIA verifiers: a
 * built-in root trusted only after its DER hashes to a pinned fingerprint,
 * test roots a caller passes, and chain verification that never trusts a
 * root the peer carries.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "attest/pki.h"

/*
 * OpenSSL reads a certificate whose public key does not decode without an
 * error (the key may be of a kind it does not know) and forgets why: decode
 * each such key again, and if it decodes now, or cannot be tried for want
 * of memory, the first attempt ran out of memory and the verdicts that
 * follow would be about the allocator, not the chain.
 */
static void certs_note_lost_keys(STACK_OF(X509) *certs)
{
    for (int i = 0; i < sk_X509_num(certs); i++) {
        X509 *c = sk_X509_value(certs, i);
        unsigned char *der = NULL;
        const unsigned char *p;
        EVP_PKEY *key;
        int n;

        if (X509_get0_pubkey(c) != NULL)
            continue;
        n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(c), &der);
        p = der;
        key = n > 0 ? d2i_PUBKEY(NULL, &p, n) : NULL;
        if (key != NULL || n <= 0 || err_openssl_oom())
            err_oom_note();
        EVP_PKEY_free(key);
        OPENSSL_free(der);
        err_openssl_clear();
    }
}

STACK_OF(X509) *attest_certs_from_pem(const char *pem, size_t len)
{
    STACK_OF(X509) *certs;
    BIO *bio;
    X509 *c;

    /* The chain in a quote may end in NULs; PEM parsing stops at the last END line. */
    while (len > 0 && pem[len - 1] == '\0')
        len--;
    if (len == 0 || len > TDX_COLLATERAL_MAX)
        return NULL;
    bio = BIO_new_mem_buf(pem, (int)len);
    certs = sk_X509_new_null();
    if (bio == NULL || certs == NULL) {
        BIO_free(bio);
        sk_X509_free(certs);
        err_oom_note();
        return NULL;
    }
    while ((c = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
        if (!sk_X509_push(certs, c)) {
            X509_free(c);
            err_oom_note();
            break;
        }
    /* The loop ends on "no start line": not an error. */
    err_openssl_clear();
    certs_note_lost_keys(certs);
    BIO_free(bio);
    if (sk_X509_num(certs) == 0) {
        sk_X509_free(certs);
        return NULL;
    }
    return certs;
}

p11tee_status attest_root_from_pem(const char *pem, const uint8_t fp[SHA256_DIGEST_LENGTH],
                                   const char *name, X509 **out, p11tee_error *err)
{
    STACK_OF(X509) *certs;
    uint8_t md[SHA256_DIGEST_LENGTH];
    unsigned int mdlen = 0;

    *out = NULL;
    err_errno_reset(); /* ENOMEM afterwards: out of memory, not a corrupt build */
    certs = attest_certs_from_pem(pem, strlen(pem));
    if (certs == NULL || sk_X509_num(certs) != 1)
        goto bad;
    if (!X509_digest(sk_X509_value(certs, 0), EVP_sha256(), md, &mdlen) || mdlen != sizeof(md) ||
        CRYPTO_memcmp(md, fp, sizeof(md)) != 0)
        goto bad;
    *out = sk_X509_shift(certs);
    sk_X509_free(certs);
    return P11TEE_OK;
bad:
    sk_X509_pop_free(certs, X509_free);
    if (err_openssl_oom())
        return err_openssl(err, P11TEE_E_NOMEM, "reading the built-in %s", name);
    return err_set(err, P11TEE_E_INTERNAL,
                   "%s: the certificate compiled in does not match its pinned SHA-256 "
                   "fingerprint; this p11tee build is corrupt, reinstall it",
                   name);
}

p11tee_status attest_trust_init(attest_trust *t, const char *root_pem,
                                const uint8_t fp[SHA256_DIGEST_LENGTH], const char *root_name,
                                const char *extra_pem, size_t extra_len, time_t at,
                                p11tee_error *err)
{
    p11tee_status rc;

    memset(t, 0, sizeof(*t));
    t->root_name = root_name;
    t->at = at != 0 ? at : time(NULL);
    rc = attest_root_from_pem(root_pem, fp, root_name, &t->root, err);
    if (rc != P11TEE_OK)
        return rc;
    t->extra = extra_pem != NULL ? attest_certs_from_pem(extra_pem, extra_len) : sk_X509_new_null();
    if (t->extra == NULL)
        return err_set(err, extra_pem != NULL ? P11TEE_E_CONFIG : P11TEE_E_NOMEM, "%s",
                       extra_pem != NULL ? "the extra trusted roots hold no PEM certificate: "
                                           "check the policy's test roots"
                                         : "out of memory");
    return P11TEE_OK;
}

void attest_trust_free(attest_trust *t)
{
    X509_free(t->root);
    sk_X509_pop_free(t->extra, X509_free);
    memset(t, 0, sizeof(*t));
}

int attest_cert_cn_is(X509 *cert, const char *cn)
{
    char got[80];
    int n =
        X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, got, sizeof(got));

    return n > 0 && strcmp(got, cn) == 0;
}

void attest_time_text(time_t t, char out[ATTEST_TIME_TEXT])
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL ||
        strftime(out, ATTEST_TIME_TEXT, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, ATTEST_TIME_TEXT, "@%lld", (long long)t);
}

static void name_text(X509_NAME *name, char *out, size_t outlen)
{
    BIO *bio = BIO_new(BIO_s_mem());
    int n = 0;

    out[0] = '\0';
    if (bio == NULL)
        return;
    if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~XN_FLAG_DN_REV) >= 0)
        n = BIO_read(bio, out, (int)outlen - 1);
    out[n > 0 ? n : 0] = '\0';
    BIO_free(bio);
}

void attest_anchor_name(const attest_trust *t, X509 *anchor, char *out, size_t outlen)
{
    char subject[160];

    if (anchor != NULL && X509_cmp(anchor, t->root) == 0) {
        snprintf(out, outlen, "%s", t->root_name);
        return;
    }
    name_text(anchor != NULL ? X509_get_subject_name(anchor) : NULL, subject, sizeof(subject));
    snprintf(out, outlen, "TEST root %s", subject);
}

static STACK_OF(X509) *peer_intermediates(STACK_OF(X509) *untrusted)
{
    STACK_OF(X509) *out = sk_X509_new_null();
    int i;

    for (i = 0; out != NULL && i < sk_X509_num(untrusted); i++) {
        X509 *c = sk_X509_value(untrusted, i);

        /* Never let a root the peer carries become (or shadow) an anchor. */
        if (X509_check_issued(c, c) == X509_V_OK)
            continue;
        if (!sk_X509_push(out, c)) {
            sk_X509_free(out);
            return NULL;
        }
    }
    return out;
}

static X509_STORE *trust_store(const attest_trust *t)
{
    X509_STORE *store = X509_STORE_new();
    int i;

    if (store == NULL || !X509_STORE_add_cert(store, t->root))
        goto fail;
    for (i = 0; i < sk_X509_num(t->extra); i++)
        if (!X509_STORE_add_cert(store, sk_X509_value(t->extra, i)))
            goto fail;
    return store;
fail:
    X509_STORE_free(store);
    return NULL;
}

int attest_chain_verify(const attest_trust *t, X509 *leaf, STACK_OF(X509) *untrusted,
                        STACK_OF(X509) **chain, char *why, size_t whylen)
{
    X509_STORE *store = trust_store(t);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *inter = peer_intermediates(untrusted);
    int ok = 0;

    *chain = NULL;
    if (store == NULL || ctx == NULL || inter == NULL ||
        !X509_STORE_CTX_init(ctx, store, leaf, inter)) {
        snprintf(why, whylen, "could not set up certificate verification");
        goto done;
    }
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), t->at);
    if (X509_verify_cert(ctx) == 1) {
        *chain = X509_STORE_CTX_get1_chain(ctx);
        ok = *chain != NULL;
    } else {
        int e = X509_STORE_CTX_get_error(ctx);
        char subject[160];

        name_text(X509_STORE_CTX_get_current_cert(ctx) != NULL
                      ? X509_get_subject_name(X509_STORE_CTX_get_current_cert(ctx))
                      : NULL,
                  subject, sizeof(subject));
        snprintf(why, whylen, "%s (certificate %s, depth %d)", X509_verify_cert_error_string(e),
                 subject[0] ? subject : "?", X509_STORE_CTX_get_error_depth(ctx));
    }
done:
    err_openssl_clear();
    sk_X509_free(inter);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return ok;
}

int attest_ecdsa_verify_raw(EVP_PKEY *key, const char *digest, const uint8_t *msg, size_t len,
                            const uint8_t *sig, size_t siglen)
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)(siglen / 2), NULL);
    BIGNUM *ss = BN_bin2bn(sig + siglen / 2, (int)(siglen / 2), NULL);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char *der = NULL;
    int derlen = -1, ok = 0;

    if (s != NULL && r != NULL && ss != NULL && ECDSA_SIG_set0(s, r, ss)) {
        r = ss = NULL; /* owned by s now */
        derlen = i2d_ECDSA_SIG(s, &der);
    }
    if (derlen > 0 && md != NULL &&
        EVP_DigestVerifyInit_ex(md, NULL, digest, NULL, NULL, key, NULL) == 1)
        ok = EVP_DigestVerify(md, der, (size_t)derlen, msg, len) == 1;
    err_openssl_clear();
    OPENSSL_free(der);
    EVP_MD_CTX_free(md);
    BN_free(r);
    BN_free(ss);
    ECDSA_SIG_free(s);
    return ok;
}
