/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The E2EE envelope (src/crypto/envelope.c) up to the token: the shape
 * checks and the ephemeral key (envelope_ephemeral), and the opening with
 * an AES key (envelope_open_with_key) that the harness knows, since the
 * ECDH that makes it runs in the token. Oracles: the shape is accepted
 * exactly when the field is even-length hex of an envelope's size, and
 * envelope_is_ciphertext() agrees; the ephemeral key is the first 65 bytes;
 * an envelope the harness seals (OpenSSL's AES-256-GCM, independently)
 * around the input opens to exactly the input, and with one bit changed
 * anywhere it does not open.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "fuzz.h"

static const uint8_t env_key[ENVELOPE_KEY_BYTES] = "p11tee fuzz: a fixed AES-256 key";

static int env_is_hex(const uint8_t *d, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (hex_digit_value(d[i]) < 0)
            return 0;
    return 1;
}

/* eph(65) || nonce(12) || AES-256-GCM(pt) || tag(16), as lowercase hex (malloc'd). */
static char *env_seal(const uint8_t *pt, size_t len, size_t *hexlen)
{
    size_t raw_len = ENVELOPE_OVERHEAD + len;
    uint8_t *raw = malloc(raw_len);
    char *hex = malloc(2 * raw_len + 1);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok;

    if (raw == NULL || hex == NULL || c == NULL)
        fuzz_fail("out of memory");
    memset(raw, 0x04, P11TEE_PUBKEY_BYTES);
    memset(raw + P11TEE_PUBKEY_BYTES, 0x5a, ENVELOPE_NONCE_BYTES);
    ok = EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, env_key, raw + P11TEE_PUBKEY_BYTES) &&
         EVP_EncryptUpdate(c, raw + P11TEE_PUBKEY_BYTES + ENVELOPE_NONCE_BYTES, &n, pt, (int)len) &&
         EVP_EncryptFinal_ex(c, raw + raw_len - ENVELOPE_TAG_BYTES, &n) &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, ENVELOPE_TAG_BYTES,
                             raw + raw_len - ENVELOPE_TAG_BYTES);
    FUZZ_CHECK(ok, "OpenSSL could not seal the reference envelope");
    EVP_CIPHER_CTX_free(c);
    *hexlen = hex_encode(raw, raw_len, hex, 2 * raw_len + 1);
    free(raw);
    return hex;
}

static void env_shape(const uint8_t *data, size_t size)
{
    uint8_t eph[P11TEE_PUBKEY_BYTES], want[P11TEE_PUBKEY_BYTES];
    int good = env_is_hex(data, size) && size % 2 == 0 && size >= ENVELOPE_MIN_HEX &&
               (size - ENVELOPE_MIN_HEX) / 2 <= ENVELOPE_MAX_PLAINTEXT;
    p11tee_status rc = envelope_ephemeral((const char *)data, size, eph, NULL);

    FUZZ_CHECK((rc == P11TEE_OK) == good, "envelope_ephemeral says %d for a field that is %s", rc,
               good ? "well-formed" : "malformed");
    FUZZ_CHECK(envelope_is_ciphertext((const char *)data, size) ==
                   (env_is_hex(data, size) && size % 2 == 0 && size >= ENVELOPE_MIN_HEX),
               "envelope_is_ciphertext disagrees with the shape");
    if (rc == P11TEE_OK) {
        hex_decode((const char *)data, 2 * P11TEE_PUBKEY_BYTES, want, sizeof(want), NULL, NULL);
        FUZZ_CHECK(memcmp(eph, want, sizeof(eph)) == 0,
                   "the ephemeral key is not the first 65 bytes");
    }
}

static void env_round_trip(const uint8_t *data, size_t size)
{
    size_t hexlen, ptlen = 0, at;
    char *hex = env_seal(data, size, &hexlen);
    uint8_t *pt = NULL;

    FUZZ_CHECK(envelope_open_with_key(env_key, hex, hexlen, &pt, &ptlen, NULL) == P11TEE_OK,
               "an envelope sealed by OpenSSL does not open");
    FUZZ_CHECK(ptlen == size && (size == 0 || memcmp(pt, data, size) == 0) && pt[ptlen] == '\0',
               "the opened envelope is not what was sealed");
    envelope_plaintext_free(pt, ptlen + 1);
    /* One bit changed after the ephemeral key (nonce, ciphertext or tag): it must not open. */
    at = 2 * P11TEE_PUBKEY_BYTES + (size > 0 ? (size_t)data[0] * 7 : 0) % (hexlen - 130);
    hex[at] = hex[at] == '0' ? '1' : '0';
    pt = NULL;
    FUZZ_CHECK(envelope_open_with_key(env_key, hex, hexlen, &pt, &ptlen, NULL) ==
                       P11TEE_E_ENVELOPE_AUTH &&
                   pt == NULL,
               "a changed envelope opened");
    free(hex);
}

static int envelope_fuzz_one(const uint8_t *data, size_t size)
{
    uint8_t *pt = NULL;
    size_t ptlen = 0;

    env_shape(data, size);
    if (envelope_open_with_key(env_key, (const char *)data, size, &pt, &ptlen, NULL) == P11TEE_OK)
        envelope_plaintext_free(pt, ptlen + 1); /* by chance: a valid envelope under env_key */
    else
        FUZZ_CHECK(pt == NULL, "a refused envelope returned plaintext");
    if (size <= 64 * 1024)
        env_round_trip(data, size);
    return 0;
}

static const fuzz_seed envelope_seeds[] = {
    FUZZ_SEED(""),
    FUZZ_SEED("04"),
    FUZZ_SEED(
        "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4"
        "fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b85a5a5a5a5a5a5a5a5a5a5a5a00112233445566778899"
        "aabbccddeeff"),
    FUZZ_SEED("not hex at all, but long enough to be mistaken for an envelope by a lazy check ..."),
};

FUZZ_REGISTER(envelope, envelope_fuzz_one, envelope_seeds)
