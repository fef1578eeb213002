/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The E2EE envelope (PROTOCOL.md section 4), used both ways:
 *   hex( eph_pub(65) || nonce(12) || AES-256-GCM(key, nonce, pt) || tag(16) )
 *   key = HKDF-SHA256(ikm = X(ECDH(eph, recipient)), salt = none,
 *                     info = "ecdsa_encryption", 32 bytes)
 * Every ECDH runs in the token through src/hsm; the shared secret and the AES
 * key are cleansed as soon as they have been used.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>

#include "crypto/crypto.h"

/* Fetched once: fetching per field would cost more than the GCM itself. */
static EVP_KDF *envelope_hkdf;
static EVP_CIPHER *envelope_gcm;
static pthread_once_t envelope_once = PTHREAD_ONCE_INIT;

static void envelope_fetch(void)
{
    envelope_hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    envelope_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

static p11tee_status envelope_algorithms(p11tee_error *err)
{
    pthread_once(&envelope_once, envelope_fetch);
    if (envelope_hkdf == NULL || envelope_gcm == NULL)
        return err_openssl(err, P11TEE_E_CRYPTO,
                           "OpenSSL's default provider lacks HKDF or AES-256-GCM; check the "
                           "OpenSSL configuration");
    return P11TEE_OK;
}

/* key = HKDF-SHA256(secret, no salt, info "ecdsa_encryption"). */
static p11tee_status envelope_kdf(const uint8_t *secret, size_t secret_len,
                                  uint8_t key[ENVELOPE_KEY_BYTES], p11tee_error *err)
{
    OSSL_PARAM params[4];
    EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(envelope_hkdf);
    int ok;

    if (kctx == NULL)
        return err_openssl(err, P11TEE_E_NOMEM, "cannot create an HKDF context");
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, secret_len);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)ENVELOPE_HKDF_INFO,
                                                  strlen(ENVELOPE_HKDF_INFO));
    params[3] = OSSL_PARAM_construct_end();
    ok = EVP_KDF_derive(kctx, key, ENVELOPE_KEY_BYTES, params);
    EVP_KDF_CTX_free(kctx);
    if (ok != 1)
        return err_openssl(err, P11TEE_E_CRYPTO, "HKDF-SHA256 failed");
    return P11TEE_OK;
}

/* ECDH in the token, then HKDF; the shared secret never outlives this call. */
static p11tee_status envelope_derive_key(hsm_key *key, const uint8_t peer[P11TEE_PUBKEY_BYTES],
                                         uint8_t aes_key[ENVELOPE_KEY_BYTES], p11tee_error *err)
{
    uint8_t secret[HSM_SECRET_MAX];
    size_t secret_len = 0;
    p11tee_status rc;

    rc = hsm_derive(key, peer, P11TEE_PUBKEY_BYTES, secret, sizeof(secret), &secret_len, err);
    if (rc == P11TEE_OK)
        rc = envelope_kdf(secret, secret_len, aes_key, err);
    OPENSSL_cleanse(secret, sizeof(secret));
    return rc;
}

/*
 * AES-256-GCM, no AAD. Encrypts or decrypts `in` into `out` (same length);
 * on decrypt the tag is checked and `out` is wiped when it does not match.
 */
static p11tee_status envelope_gcm_run(int encrypt, const uint8_t key[ENVELOPE_KEY_BYTES],
                                      const uint8_t nonce[ENVELOPE_NONCE_BYTES], const uint8_t *in,
                                      size_t len, uint8_t *out, uint8_t tag[ENVELOPE_TAG_BYTES],
                                      p11tee_error *err)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0, ok;

    if (c == NULL)
        return err_openssl(err, P11TEE_E_NOMEM, "cannot create a cipher context");
    ok = EVP_CipherInit_ex2(c, envelope_gcm, key, nonce, encrypt, NULL) == 1 &&
         (len == 0 || EVP_CipherUpdate(c, out, &n, in, (int)len) == 1);
    if (ok && !encrypt)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, ENVELOPE_TAG_BYTES, tag) == 1;
    if (ok)
        fin = EVP_CipherFinal_ex(c, out + n, &n) == 1;
    if (encrypt)
        ok =
            ok && fin && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, ENVELOPE_TAG_BYTES, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok)
        return err_openssl(err, P11TEE_E_CRYPTO, "AES-256-GCM failed");
    if (!fin) { /* decrypting, and the tag did not match */
        OPENSSL_cleanse(out, len);
        ERR_clear_error();
        return err_set(err, P11TEE_E_ENVELOPE_AUTH,
                       "encrypted field failed authentication (wrong key or tampered data); "
                       "nothing of it is used");
    }
    return P11TEE_OK;
}

/* Lay out eph || nonce || ct || tag in `raw` and encrypt in place. */
static p11tee_status envelope_seal_raw(hsm_ctx *hsm, const uint8_t recipient[P11TEE_PUBKEY_BYTES],
                                       const uint8_t *pt, size_t ptlen, uint8_t *raw,
                                       p11tee_error *err)
{
    uint8_t aes_key[ENVELOPE_KEY_BYTES];
    uint8_t *nonce = raw + P11TEE_PUBKEY_BYTES, *ct = nonce + ENVELOPE_NONCE_BYTES;
    hsm_key *eph = NULL;
    size_t publen = 0;
    p11tee_status rc;

    rc = hsm_key_generate(hsm, "secp256k1", &eph, err);
    if (rc != P11TEE_OK)
        return rc;
    rc = hsm_key_public(eph, raw, P11TEE_PUBKEY_BYTES, &publen, err);
    if (rc == P11TEE_OK && publen != P11TEE_PUBKEY_BYTES)
        rc = err_set(err, P11TEE_E_INTERNAL, "ephemeral public key has %zu bytes, not 65", publen);
    if (rc == P11TEE_OK)
        rc = envelope_derive_key(eph, recipient, aes_key, err);
    hsm_key_free(eph);
    if (rc != P11TEE_OK) {
        OPENSSL_cleanse(aes_key, sizeof(aes_key)); /* HKDF may have written part of it */
        return rc;
    }
    if (RAND_bytes(nonce, ENVELOPE_NONCE_BYTES) != 1)
        rc = err_openssl(err, P11TEE_E_CRYPTO, "no random bytes for the GCM nonce");
    else
        rc = envelope_gcm_run(1, aes_key, nonce, pt, ptlen, ct, ct + ptlen, err);
    OPENSSL_cleanse(aes_key, sizeof(aes_key));
    return rc;
}

p11tee_status envelope_seal(hsm_ctx *hsm, const uint8_t recipient[P11TEE_PUBKEY_BYTES],
                            const uint8_t *pt, size_t ptlen, char **hex_out, size_t *hexlen,
                            p11tee_error *err)
{
    size_t rawlen = ptlen + ENVELOPE_OVERHEAD;
    uint8_t *raw;
    char *hex;
    p11tee_status rc;

    *hex_out = NULL;
    if (ptlen > ENVELOPE_MAX_PLAINTEXT)
        return err_set(err, P11TEE_E_TOO_LARGE,
                       "field of %zu bytes exceeds the %u bytes one envelope may carry", ptlen,
                       ENVELOPE_MAX_PLAINTEXT);
    rc = envelope_algorithms(err);
    if (rc != P11TEE_OK)
        return rc;
    raw = malloc(rawlen);
    hex = malloc(2 * rawlen + 1);
    if (raw == NULL || hex == NULL) {
        free(raw);
        free(hex);
        return err_set(err, P11TEE_E_NOMEM, "out of memory sealing a %zu-byte field", ptlen);
    }
    rc = envelope_seal_raw(hsm, recipient, pt, ptlen, raw, err);
    if (rc == P11TEE_OK) {
        hex_encode(raw, rawlen, hex, 2 * rawlen + 1);
        *hex_out = hex;
        if (hexlen != NULL)
            *hexlen = 2 * rawlen;
    } else {
        free(hex);
    }
    free(raw); /* ciphertext only: nothing secret left in it */
    return rc;
}

/* Refuse what cannot be an envelope, with the error that says why. */
static p11tee_status envelope_check_shape(const char *hex, size_t hexlen, p11tee_error *err)
{
    size_t i;

    for (i = 0; i < hexlen; i++)
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f') ||
              (hex[i] >= 'A' && hex[i] <= 'F')))
            return err_set(err, P11TEE_E_CIPHERTEXT_NOT_HEX,
                           "encrypted field is not hex (character %zu): the server sent "
                           "plaintext or garbage where ciphertext was expected",
                           i);
    if (hexlen % 2 != 0)
        return err_set(err, P11TEE_E_HEX_ODD_LENGTH,
                       "encrypted field has an odd number (%zu) of hex characters", hexlen);
    if (hexlen < ENVELOPE_MIN_HEX)
        return err_set(err, P11TEE_E_ENVELOPE_SHORT,
                       "encrypted field has %zu hex characters; an envelope has at least %d",
                       hexlen, ENVELOPE_MIN_HEX);
    if ((hexlen - ENVELOPE_MIN_HEX) / 2 > ENVELOPE_MAX_PLAINTEXT)
        return err_set(err, P11TEE_E_TOO_LARGE,
                       "encrypted field exceeds the %u bytes one envelope may carry",
                       ENVELOPE_MAX_PLAINTEXT);
    return P11TEE_OK;
}

/* The token refuses a bad peer point; for an envelope that means a bad ephemeral key. */
static p11tee_status envelope_ephemeral_error(p11tee_status rc, p11tee_error *err)
{
    if (rc != P11TEE_E_PEER_MALFORMED && rc != P11TEE_E_PEER_OFF_CURVE)
        return rc;
    return err_set(err, P11TEE_E_ENVELOPE_EPHEMERAL,
                   "encrypted field carries an invalid ephemeral public key (%s)",
                   rc == P11TEE_E_PEER_OFF_CURVE ? "not on secp256k1"
                                                 : "not an uncompressed point");
}

p11tee_status envelope_ephemeral(const char *hex, size_t hexlen, uint8_t eph[P11TEE_PUBKEY_BYTES],
                                 p11tee_error *err)
{
    p11tee_status rc = envelope_check_shape(hex, hexlen, err);

    if (rc == P11TEE_OK)
        hex_decode(hex, 2 * P11TEE_PUBKEY_BYTES, eph, P11TEE_PUBKEY_BYTES, NULL, NULL);
    return rc;
}

p11tee_status envelope_key(hsm_key *key, const uint8_t eph[P11TEE_PUBKEY_BYTES],
                           uint8_t aes_key[ENVELOPE_KEY_BYTES], p11tee_error *err)
{
    p11tee_status rc = envelope_algorithms(err);

    if (rc == P11TEE_OK)
        rc = envelope_ephemeral_error(envelope_derive_key(key, eph, aes_key, err), err);
    if (rc != P11TEE_OK)
        OPENSSL_cleanse(aes_key, ENVELOPE_KEY_BYTES);
    return rc;
}

p11tee_status envelope_open_with_key(const uint8_t aes_key[ENVELOPE_KEY_BYTES], const char *hex,
                                     size_t hexlen, uint8_t **pt_out, size_t *ptlen,
                                     p11tee_error *err)
{
    uint8_t *raw, *pt;
    size_t rawlen = hexlen / 2, ctlen;
    p11tee_status rc;

    *pt_out = NULL;
    *ptlen = 0;
    rc = envelope_check_shape(hex, hexlen, err);
    if (rc == P11TEE_OK)
        rc = envelope_algorithms(err);
    if (rc != P11TEE_OK)
        return rc;
    ctlen = rawlen - ENVELOPE_OVERHEAD;
    raw = malloc(rawlen);
    pt = malloc(ctlen + 1);
    if (raw == NULL || pt == NULL) {
        free(raw);
        free(pt);
        return err_set(err, P11TEE_E_NOMEM, "out of memory opening a %zu-byte field", ctlen);
    }
    hex_decode(hex, hexlen, raw, rawlen, NULL, NULL); /* shape already checked */
    rc = envelope_gcm_run(0, aes_key, raw + P11TEE_PUBKEY_BYTES,
                          raw + P11TEE_PUBKEY_BYTES + ENVELOPE_NONCE_BYTES, ctlen, pt,
                          raw + rawlen - ENVELOPE_TAG_BYTES, err);
    free(raw);
    if (rc != P11TEE_OK) {
        envelope_plaintext_free(pt, ctlen + 1);
        return rc;
    }
    pt[ctlen] = '\0';
    *pt_out = pt;
    *ptlen = ctlen;
    return P11TEE_OK;
}

p11tee_status envelope_open(hsm_key *key, const char *hex, size_t hexlen, uint8_t **pt_out,
                            size_t *ptlen, p11tee_error *err)
{
    uint8_t eph[P11TEE_PUBKEY_BYTES], aes_key[ENVELOPE_KEY_BYTES];
    p11tee_status rc;

    *pt_out = NULL;
    *ptlen = 0;
    rc = envelope_ephemeral(hex, hexlen, eph, err);
    if (rc == P11TEE_OK)
        rc = envelope_key(key, eph, aes_key, err);
    if (rc == P11TEE_OK)
        rc = envelope_open_with_key(aes_key, hex, hexlen, pt_out, ptlen, err);
    OPENSSL_cleanse(aes_key, sizeof(aes_key));
    return rc;
}

void envelope_plaintext_free(uint8_t *pt, size_t ptlen)
{
    if (pt == NULL)
        return;
    OPENSSL_cleanse(pt, ptlen);
    free(pt);
}
