/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * SHA-256 in one place. OpenSSL 3's one-shot SHA256() allocates a digest
 * context (and may fetch the algorithm) on every call; when that fails it
 * returns NULL and leaves the output unwritten, so a caller that ignores
 * the return reads whatever the stack held as a digest.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <openssl/sha.h>

#include "common/common.h"

p11tee_status digest_sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LENGTH],
                            p11tee_error *err)
{
    err_errno_reset(); /* ENOMEM afterwards: this call's allocation failed */
    if (SHA256(data != NULL ? data : (const void *)"", len, out) != NULL)
        return P11TEE_OK;
    memset(out, 0, SHA256_DIGEST_LENGTH);
    return err_openssl(err, P11TEE_E_CRYPTO, "SHA-256 could not be computed");
}
