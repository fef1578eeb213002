/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Private to src/hsm/: the context and key objects, shared by hsm.c (the
 * keys and ECDH) and check.c (what `p11tee token check` asks).
 */
#ifndef P11TEE_HSM_INT_H
#define P11TEE_HSM_INT_H

#include <openssl/evp.h>
#include <openssl/provider.h>

#include "hsm/hsm.h"
#include "provider/prov_api.h"

#define HSM_POINT_MAX 133 /* uncompressed P-521 point */

struct hsm_ctx {
    OSSL_LIB_CTX *libctx;
    OSSL_PROVIDER *prov;
};

struct hsm_key {
    hsm_ctx *ctx;
    EVP_PKEY *pkey;
    char curve[32]; /* the provider's group name */
    size_t pub_len;
    uint8_t pub[HSM_POINT_MAX];
};

/*
 * Fill `err` from the error queue: the provider's error (the oldest, which
 * says what failed first) picks the code (else `fallback`) and gives the
 * message; the detail holds the other entries, so that the cause never
 * repeats the message. The provider never puts a PIN in its texts.
 */
p11tee_status hsm_fail(p11tee_error *err, p11tee_status fallback, const char *what);

/* A context for EC keys of the provider. */
EVP_PKEY_CTX *hsm_ec_ctx(hsm_ctx *ctx);

#endif /* P11TEE_HSM_INT_H */
