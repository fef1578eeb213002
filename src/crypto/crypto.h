/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * crypto/: strict codecs for network bytes, and (envelope.c) the E2EE
 * envelope of PROTOCOL.md section 4 whose every ECDH runs in the token.
 */
#ifndef P11TEE_CRYPTO_H
#define P11TEE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "p11tee/p11tee.h"

#include "common/common.h"
#include "hsm/hsm.h"

/* ---- codecs (codec.c) ---------------------------------------------------- */

/*
 * Lowercase hex of `in` into `out` (needs 2*len+1 bytes), NUL-terminated.
 * Returns the number of characters written, 0 when `out` is too small.
 */
size_t hex_encode(const uint8_t *in, size_t len, char *out, size_t outcap);

/* 1 when `in` is an even number of hex digits (either case), else 0. */
int hex_is_valid(const char *in, size_t inlen);

/*
 * Decode exactly `inlen` hex digits (either case, no prefix, no spaces) into
 * at most `outcap` bytes. Errors: P11TEE_E_HEX_ODD_LENGTH,
 * P11TEE_E_HEX_INVALID, P11TEE_E_TOO_LARGE.
 */
p11tee_status hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap, size_t *outlen,
                         p11tee_error *err);

typedef enum b64_variant {
    B64_STD, /* RFC 4648 section 4, padding required */
    B64_URL, /* RFC 4648 section 5, padding optional */
    B64_ANY, /* whichever alphabet the input uses (mixing both is refused) */
} b64_variant;

/* Upper bound of the decoded size of `inlen` base64 characters. */
size_t b64_decoded_max(size_t inlen);

/* Errors: P11TEE_E_BASE64_INVALID, P11TEE_E_TOO_LARGE. */
p11tee_status b64_decode(const char *in, size_t inlen, b64_variant variant, uint8_t *out,
                         size_t outcap, size_t *outlen, p11tee_error *err);

/*
 * Decode a binary blob as servers send it: hex (with or without 0x), base64
 * or base64url. A string that is valid hex is read as hex. The result is
 * malloc'd (free() it) and at most `max` bytes long.
 */
p11tee_status bytes_decode_any(const char *in, size_t inlen, size_t max, uint8_t **out,
                               size_t *outlen, p11tee_error *err);

/* ---- envelope (envelope.c), PROTOCOL.md section 4 ---------------------- */

#define ENVELOPE_NONCE_BYTES 12
#define ENVELOPE_TAG_BYTES   16
#define ENVELOPE_KEY_BYTES   32
/* 93 bytes around the ciphertext, so at least 186 hex characters on the wire. */
#define ENVELOPE_OVERHEAD (P11TEE_PUBKEY_BYTES + ENVELOPE_NONCE_BYTES + ENVELOPE_TAG_BYTES)
#define ENVELOPE_MIN_HEX  (2 * ENVELOPE_OVERHEAD)
/* Largest plaintext sealed or opened: bounds what one field can make us allocate. */
#define ENVELOPE_MAX_PLAINTEXT (8u * 1024 * 1024)
#define ENVELOPE_HKDF_INFO     "ecdsa_encryption"

_Static_assert(HSM_PUBKEY_BYTES == P11TEE_PUBKEY_BYTES,
               "the token's public points are the E2EE keys: 04 || X || Y on a 256-bit curve");
_Static_assert(ENVELOPE_MIN_HEX == 186,
               "PROTOCOL.md section 4: an envelope is at least 186 hex characters");

/*
 * Seal `pt` to `recipient` (65-byte uncompressed secp256k1 point): a fresh
 * ephemeral key generated in the token, ECDH in the token, HKDF-SHA256 (no
 * salt, info "ecdsa_encryption"), AES-256-GCM with a random 12-byte nonce.
 * `*hex_out` (malloc'd, NUL-terminated) is lowercase hex of
 * eph_pub || nonce || ciphertext || tag.
 */
p11tee_status envelope_seal(hsm_ctx *hsm, const uint8_t recipient[P11TEE_PUBKEY_BYTES],
                            const uint8_t *pt, size_t ptlen, char **hex_out, size_t *hexlen,
                            p11tee_error *err);

/*
 * Open an envelope addressed to `key` (whose private half is in the token).
 * `*pt_out` is malloc'd with a NUL after the `*ptlen` bytes; free it with
 * envelope_plaintext_free(). On any failure nothing is returned: a wrong tag never
 * yields partial plaintext. Errors: P11TEE_E_CIPHERTEXT_NOT_HEX,
 * P11TEE_E_HEX_ODD_LENGTH, P11TEE_E_ENVELOPE_SHORT, P11TEE_E_TOO_LARGE,
 * P11TEE_E_ENVELOPE_EPHEMERAL, P11TEE_E_ENVELOPE_AUTH, token errors.
 */
p11tee_status envelope_open(hsm_key *key, const char *hex, size_t hexlen, uint8_t **pt_out,
                            size_t *ptlen, p11tee_error *err);

/*
 * envelope_open() in its three steps, for callers that keep the AES key of
 * an ephemeral key they saw before (one stream of a server that reuses its
 * ephemeral key): the ephemeral public key an envelope carries (after the
 * shape checks of envelope_open()); the AES key of envelopes from `eph` to
 * `key` (ECDH in the token, HKDF; P11TEE_E_ENVELOPE_EPHEMERAL for a bad
 * point; cleansed on failure; the caller cleanses it after use); and the
 * opening with that key.
 */
p11tee_status envelope_ephemeral(const char *hex, size_t hexlen, uint8_t eph[P11TEE_PUBKEY_BYTES],
                                 p11tee_error *err);
p11tee_status envelope_key(hsm_key *key, const uint8_t eph[P11TEE_PUBKEY_BYTES],
                           uint8_t aes_key[ENVELOPE_KEY_BYTES], p11tee_error *err);
p11tee_status envelope_open_with_key(const uint8_t aes_key[ENVELOPE_KEY_BYTES], const char *hex,
                                     size_t hexlen, uint8_t **pt_out, size_t *ptlen,
                                     p11tee_error *err);

/* Cleanse and free a plaintext returned by envelope_open(). Accepts NULL. */
void envelope_plaintext_free(uint8_t *pt, size_t ptlen);

/* 1 when `s` is hex of at least ENVELOPE_MIN_HEX characters (an envelope, not plaintext). */
int envelope_is_ciphertext(const char *s, size_t len);

/*
 * The client key as sent in X-Venice-TEE-Client-Pub-Key: exactly 130 hex
 * characters starting "04". Error: P11TEE_E_CLIENT_KEY_INVALID.
 */
p11tee_status key_check_client(const char *hex, size_t len, p11tee_error *err);

/*
 * A model key as attestation delivers it: 130 hex characters starting "04",
 * or 128 without the prefix (then "04" is prepended); it must be a point on
 * secp256k1. Error: P11TEE_E_MODEL_KEY_INVALID.
 */
p11tee_status key_parse_model(const char *hex, size_t len, uint8_t out[P11TEE_PUBKEY_BYTES],
                              p11tee_error *err);

#endif /* P11TEE_CRYPTO_H */
