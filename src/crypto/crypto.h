/*
 * crypto/: strict codecs for network bytes, and (envelope.c) the E2EE
 * envelope of PROTOCOL.md section 4 whose every ECDH runs in the token.
 */
#ifndef P11TEE_CRYPTO_H
#define P11TEE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "common/common.h"

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
p11tee_status hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap,
                         size_t *outlen, p11tee_error *err);

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

#endif /* P11TEE_CRYPTO_H */
