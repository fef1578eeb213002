/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The primitives of ACI (PROTOCOL.md sections 2 and 3): SHA-256 over the RFC
 * 8785 form of a document ("sha256:<hex>", the keyset digest and workload
 * id), Ed25519 (receipts, through OpenSSL's EVP) and ECDSA secp256k1 over
 * SHA-256 (the keyset endorsement, through libsecp256k1).
 */
#include "config.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <secp256k1.h>

#include "attest/workload.h"
#include "crypto/crypto.h"

#define ACI_ED25519_KEY_BYTES 32
#define ACI_ED25519_SIG_BYTES 64

p11tee_status aci_digest(json_object *v, char out[80], p11tee_error *err)
{
    uint8_t md[SHA256_DIGEST_LENGTH];
    p11tee_status rc = jcs_sha256(v, md, err);

    out[0] = '\0';
    if (rc != P11TEE_OK)
        return rc;
    memcpy(out, "sha256:", 7);
    hex_encode(md, sizeof(md), out + 7, 80 - 7);
    return P11TEE_OK;
}

int aci_ed25519_verify(const uint8_t *pub, const uint8_t *sig, const uint8_t *msg, size_t len)
{
    EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, ACI_ED25519_KEY_BYTES);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = key != NULL && ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
             EVP_DigestVerify(ctx, sig, ACI_ED25519_SIG_BYTES, msg, len) == 1;

    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    ERR_clear_error(); /* a bad signature is an answer, not an error to carry */
    return ok;
}

int aci_secp256k1_verify(const uint8_t *pub, size_t publen, const uint8_t *sig, size_t siglen,
                         const uint8_t *msg, size_t len)
{
    const secp256k1_context *ctx = secp256k1_context_static;
    secp256k1_pubkey key;
    secp256k1_ecdsa_signature s;
    uint8_t md[SHA256_DIGEST_LENGTH];

    if ((siglen != 64 && siglen != 65) || !secp256k1_ec_pubkey_parse(ctx, &key, pub, publen) ||
        !secp256k1_ecdsa_signature_parse_compact(ctx, &s, sig))
        return 0;
    /* A high-S signature is as valid over these bytes; malleability buys nothing here. */
    secp256k1_ecdsa_signature_normalize(ctx, &s, &s);
    /* Not computed (out of memory, which err_oom_seen() reports): not verified. */
    return digest_sha256(msg, len, md, NULL) == P11TEE_OK &&
           secp256k1_ecdsa_verify(ctx, &s, md, &key);
}
