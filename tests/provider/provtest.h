/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Helpers of the provider tests: the built-in provider in a private
 * library context, software ECDH with the default provider to compare
 * against, the provider's error reasons, and a second, direct PKCS#11 view
 * of the test token (same process, so the same module and login).
 */
#ifndef P11TEE_PROVTEST_H
#define P11TEE_PROVTEST_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "hsm/hsm.h"
#include "testlib.h"

#define PT_POINT_MAX  133
#define PT_SECRET_MAX 66

/*
 * A library context holding only the built-in p11tee provider configured
 * with (module, token), as hsm.c loads it; NULL on failure. The token opens
 * at first use or with OSSL_PROVIDER_self_test(). The provider's error
 * strings go when it is unloaded: read its errors before pt_libctx_free().
 */
OSSL_LIB_CTX *pt_libctx_new(const char *module, const char *token, OSSL_PROVIDER **prov);
void pt_libctx_free(OSSL_LIB_CTX *libctx, OSSL_PROVIDER *prov);

/* The usual fixture: a fresh token, an hsm context and a provider library context on it. */
typedef struct pt_fixture {
    test_token tok;
    hsm_ctx *hctx;
    OSSL_LIB_CTX *libctx;
    OSSL_PROVIDER *prov;
} pt_fixture;

/* 0, or -1 (with the reason on stderr) for a cmocka group setup. */
int pt_fixture_open(pt_fixture *f, const char *label);
void pt_fixture_close(pt_fixture *f);

/* P11TEE_TEST_QUICK=1 (make valgrind): scale iterations down. */
int pt_quick(void);

/*
 * Checks in a process of its own, where cmocka cannot report: PT_CHECK
 * counts a failure and prints it on stderr. pt_isolated() runs fn(arg) in
 * a child process and returns the child's failure count (-1 if it died).
 */
#define PT_CHECK(cond) pt_check((cond), #cond, __LINE__)
void pt_check(int ok, const char *what, int line);
int pt_isolated(void (*fn)(void *), void *arg);

/*
 * Append a line to the token's softhsm2.conf. SoftHSM reads it once per
 * process: only a process that has not loaded the module yet sees it.
 */
void pt_token_conf(const test_token *tok, const char *line);

/* A token key on `curve` through EVP in `libctx` (NULL on failure, errors queued). */
EVP_PKEY *pt_token_key(OSSL_LIB_CTX *libctx, const char *curve);
/* A public key of the provider's keymgmt from an encoded point (NULL on failure). */
EVP_PKEY *pt_token_peer(OSSL_LIB_CTX *libctx, const char *curve, const uint8_t *pt, size_t len);
/*
 * EVP_PKEY_fromdata into the provider's keymgmt with `selection`: group,
 * point and, unless NULL, the private scalar `priv`.
 */
EVP_PKEY *pt_token_import(OSSL_LIB_CTX *libctx, const char *curve, const uint8_t *pt, size_t len,
                          const BIGNUM *priv, int selection);
/* ECDH through the provider; 0 on failure (errors queued). */
size_t pt_token_derive(OSSL_LIB_CTX *libctx, EVP_PKEY *key, EVP_PKEY *peer, uint8_t *out,
                       size_t cap);

/* A software key (default provider, default library context). */
EVP_PKEY *pt_sw_key(const char *curve);
/* A software public key from an encoded point (NULL on failure). */
EVP_PKEY *pt_sw_peer(const char *curve, const uint8_t *pt, size_t len);
/* The encoded public point of any EC key; its length, 0 on failure. */
size_t pt_pub(const EVP_PKEY *pkey, uint8_t *out, size_t cap);
/* Default-provider ECDH of `priv` with the encoded point `peer`; the length, 0 on failure. */
size_t pt_sw_derive(EVP_PKEY *priv, const char *curve, const uint8_t *peer, size_t peer_len,
                    uint8_t *out, size_t cap);
/*
 * hsm_derive of the secp256k1 token key `k` with a fresh software peer,
 * compared with the default provider; 1 if equal (else the reason on stderr).
 * Thread-safe.
 */
int pt_hsm_derive_ok(hsm_key *k);

/*
 * How often faultmod.so, loaded as `module`, saw `fn` (C_OpenSession or
 * C_Login) called in this process; -1 if it is not loaded.
 */
long pt_fault_calls(const char *module, const char *fn);

/*
 * The reason of the first error the provider raised that is on the queue
 * (0 if none) and its text; empties the queue.
 */
int pt_prov_error(char *text, size_t cap);

/* A direct PKCS#11 session on the token (labelled) the provider already opened. */
typedef struct pt_p11 pt_p11;

/* Booleans are 0 or 1, -1 when the object class has no such attribute. */
typedef struct pt_attrs {
    int token, private_, sensitive, extractable, derive, sign;
    int always_sensitive, never_extractable;
    unsigned long cls;
    unsigned long value_rv; /* what C_GetAttributeValue(CKA_VALUE) returned */
} pt_attrs;

#define PT_CKO_PUBLIC_KEY          2UL
#define PT_CKO_PRIVATE_KEY         3UL
#define PT_CKO_SECRET_KEY          4UL
#define PT_CKR_OK                  0UL
#define PT_CKR_ATTRIBUTE_SENSITIVE 0x11UL

pt_p11 *pt_p11_open(const char *module, const char *label);
/* The token's slot and serial number (trailing blanks removed). */
void pt_p11_slot(const pt_p11 *p, unsigned long *slot, char serial[17]);
void pt_p11_close(pt_p11 *p);
/* Free without calling the module: what a child does with its parent's session. */
void pt_p11_abandon(pt_p11 *p);
/* Every object the session sees (token and session objects); -1 on error. */
long pt_p11_count(pt_p11 *p);
/* The pair whose public point is `pub`: found by CKA_EC_POINT, linked by CKA_ID. */
int pt_p11_find_pair(pt_p11 *p, const uint8_t *pub, size_t len, unsigned long *pubobj,
                     unsigned long *privobj);
/* C_DestroyObject behind the provider's back; 1 if the token did it. */
int pt_p11_destroy(pt_p11 *p, unsigned long obj);
/* Handles of every object of class `cls` (at most `cap`); their number, -1 on error. */
long pt_p11_objects(pt_p11 *p, unsigned long cls, unsigned long *objs, size_t cap);
/* The attributes the tests check; 0 on error. */
int pt_p11_attrs(pt_p11 *p, unsigned long obj, pt_attrs *a);

#endif /* P11TEE_PROVTEST_H */
