/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Strict, bounded codecs for bytes that arrive from the network: hex (either
 * case, optional 0x in the "any" decoder only), base64 and base64url.
 * Decoders never write past `outcap` and never accept what they cannot
 * round-trip: no whitespace, no stray characters, no bad padding.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

static const char hex_digits[] = "0123456789abcdef";

size_t hex_encode(const uint8_t *in, size_t len, char *out, size_t outcap)
{
    size_t i;

    if (outcap == 0 || len > (outcap - 1) / 2) {
        if (outcap > 0)
            out[0] = '\0';
        return 0;
    }
    for (i = 0; i < len; i++) {
        out[2 * i] = hex_digits[in[i] >> 4];
        out[2 * i + 1] = hex_digits[in[i] & 0x0f];
    }
    out[2 * len] = '\0';
    return 2 * len;
}

int hex_is_valid(const char *in, size_t inlen)
{
    size_t i;

    if (inlen % 2 != 0)
        return 0;
    for (i = 0; i < inlen; i++)
        if (hex_digit_value((unsigned char)in[i]) < 0)
            return 0;
    return 1;
}

p11tee_status hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap, size_t *outlen,
                         p11tee_error *err)
{
    size_t i;

    if (inlen % 2 != 0)
        return err_set(err, P11TEE_E_HEX_ODD_LENGTH,
                       "hex string of %zu characters has an odd length", inlen);
    if (inlen / 2 > outcap)
        return err_set(err, P11TEE_E_TOO_LARGE,
                       "hex string decodes to %zu bytes, more than the %zu allowed", inlen / 2,
                       outcap);
    for (i = 0; i < inlen; i += 2) {
        int hi = hex_digit_value((unsigned char)in[i]);
        int lo = hex_digit_value((unsigned char)in[i + 1]);

        if (hi < 0 || lo < 0)
            return err_set(err, P11TEE_E_HEX_INVALID, "invalid hex character at offset %zu",
                           hi < 0 ? i : i + 1);
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    if (outlen != NULL)
        *outlen = inlen / 2;
    return P11TEE_OK;
}

/* 0..63 for a character of the alphabet, -1 otherwise. */
static int b64_value(unsigned char c, int url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

size_t b64_decoded_max(size_t inlen)
{
    return inlen / 4 * 3 + 3;
}

/*
 * Decode one alphabet. Standard base64 must be padded to a multiple of 4;
 * base64url may omit its padding. Unused low bits of the last symbol must be
 * zero, so that each byte string has exactly one accepted encoding.
 */
static p11tee_status b64_decode_one(const char *in, size_t inlen, int url, uint8_t *out,
                                    size_t outcap, size_t *outlen, p11tee_error *err)
{
    size_t pad = 0, data_len, i, o = 0;
    uint32_t acc = 0;
    int bits = 0;

    while (pad < 2 && inlen > pad && in[inlen - 1 - pad] == '=')
        pad++;
    data_len = inlen - pad;
    if ((!url || pad > 0) && inlen % 4 != 0)
        return err_set(err, P11TEE_E_BASE64_INVALID, "base64 length %zu is not a multiple of 4",
                       inlen);
    if (data_len % 4 == 1)
        return err_set(err, P11TEE_E_BASE64_INVALID, "base64 has a dangling character");
    if (data_len / 4 * 3 + (data_len % 4 ? data_len % 4 - 1 : 0) > outcap)
        return err_set(err, P11TEE_E_TOO_LARGE, "base64 input exceeds the %zu bytes allowed",
                       outcap);
    for (i = 0; i < data_len; i++) {
        int v = b64_value((unsigned char)in[i], url);

        if (v < 0)
            return err_set(err, P11TEE_E_BASE64_INVALID, "invalid base64 character at offset %zu",
                           i);
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0)
        return err_set(err, P11TEE_E_BASE64_INVALID, "base64 has non-zero trailing bits");
    if (outlen != NULL)
        *outlen = o;
    return P11TEE_OK;
}

p11tee_status b64_decode(const char *in, size_t inlen, b64_variant variant, uint8_t *out,
                         size_t outcap, size_t *outlen, p11tee_error *err)
{
    p11tee_status rc;
    size_t i;
    int has_url = 0, has_std = 0;

    if (variant != B64_ANY)
        return b64_decode_one(in, inlen, variant == B64_URL, out, outcap, outlen, err);
    for (i = 0; i < inlen; i++) {
        has_url |= in[i] == '-' || in[i] == '_';
        has_std |= in[i] == '+' || in[i] == '/';
    }
    if (has_url && has_std)
        return err_set(err, P11TEE_E_BASE64_INVALID, "base64 mixes two alphabets");
    rc = b64_decode_one(in, inlen, has_url, out, outcap, outlen, err);
    if (rc == P11TEE_E_BASE64_INVALID && !has_url && !has_std && inlen % 4 != 0)
        rc = b64_decode_one(in, inlen, 1, out, outcap, outlen, err); /* unpadded url form */
    return rc;
}

p11tee_status bytes_decode_any(const char *in, size_t inlen, size_t max, uint8_t **out,
                               size_t *outlen, p11tee_error *err)
{
    const char *p = in;
    size_t n = inlen, cap;
    int is_hex, prefixed = 0;
    uint8_t *dst;
    p11tee_status rc;

    *out = NULL;
    *outlen = 0;
    if (n >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
        n -= 2;
        prefixed = 1;
    }
    if (n == 0)
        return err_set(err, P11TEE_E_INVALID_ARG, "empty encoded input");
    /* Live servers send hex; a hex-looking string is read as hex. */
    is_hex = prefixed || hex_is_valid(p, n);
    cap = is_hex ? n / 2 : b64_decoded_max(n);
    if (cap > max)
        cap = max;
    dst = malloc(cap ? cap : 1);
    if (dst == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory decoding %zu characters", n);
    if (is_hex)
        rc = hex_decode(p, n, dst, cap, outlen, err);
    else
        rc = b64_decode(p, n, B64_ANY, dst, cap, outlen, err);
    if (rc != P11TEE_OK) {
        free(dst);
        *outlen = 0;
        return rc;
    }
    *out = dst;
    return P11TEE_OK;
}
