/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * The codecs (src/crypto/codec.c). Oracles, both ways round: whatever a
 * decoder accepts encodes back to exactly the input (hex in lowercase;
 * base64 has one accepted spelling per byte string, padding as given for
 * base64url); hex_is_valid agrees with hex_decode; and the input's bytes,
 * encoded, decode back to themselves.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "fuzz.h"

/* An independent base64 encoder: the oracle's, not the library's. */
static size_t codec_b64_encode(const uint8_t *in, size_t len, int url, int pad, char *out)
{
    const char *abc = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                          : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i, o = 0;

    for (i = 0; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

        out[o++] = abc[v >> 18];
        out[o++] = abc[(v >> 12) & 63];
        out[o++] = abc[(v >> 6) & 63];
        out[o++] = abc[v & 63];
    }
    if (len - i == 1) {
        out[o++] = abc[in[i] >> 2];
        out[o++] = abc[(in[i] & 3) << 4];
        if (pad) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];

        out[o++] = abc[v >> 10];
        out[o++] = abc[(v >> 4) & 63];
        out[o++] = abc[(v & 15) << 2];
        if (pad)
            out[o++] = '=';
    }
    return o;
}

static void codec_hex(const char *in, size_t len, uint8_t *buf, char *enc)
{
    size_t n = 0, i;
    p11tee_status rc = hex_decode(in, len, buf, len / 2 + 1, &n, NULL);

    FUZZ_CHECK((rc == P11TEE_OK) == hex_is_valid(in, len), "hex_decode says %d, hex_is_valid %d",
               rc, hex_is_valid(in, len));
    if (rc != P11TEE_OK)
        return;
    FUZZ_CHECK(n == len / 2 && hex_encode(buf, n, enc, 2 * n + 1) == len,
               "hex of %zu characters decoded to %zu bytes", len, n);
    for (i = 0; i < len; i++)
        FUZZ_CHECK(enc[i] == tolower((unsigned char)in[i]), "hex does not round-trip at %zu", i);
    /* A buffer one byte short is refused, never overrun. */
    if (n > 0)
        FUZZ_CHECK(hex_decode(in, len, buf, n - 1, NULL, NULL) == P11TEE_E_TOO_LARGE,
                   "hex_decode wrote past a short buffer");
}

static void codec_b64(const char *in, size_t len, b64_variant v, uint8_t *buf, char *enc)
{
    size_t n = 0, cap = b64_decoded_max(len), e;
    int url, pad;
    p11tee_status rc = b64_decode(in, len, v, buf, cap, &n, NULL);

    if (rc != P11TEE_OK)
        return;
    FUZZ_CHECK(n <= cap, "b64_decode reported %zu bytes for room of %zu", n, cap);
    url = v == B64_URL ||
          (v == B64_ANY && (memchr(in, '-', len) || memchr(in, '_', len) || (len % 4 != 0)));
    pad = len > 0 && in[len - 1] == '=';
    e = codec_b64_encode(buf, n, url, pad || !url, enc);
    FUZZ_CHECK(e == len && memcmp(enc, in, len) == 0,
               "base64 (variant %d) accepted a spelling that does not round-trip", (int)v);
    if (n > 0)
        FUZZ_CHECK(b64_decode(in, len, v, buf, n - 1, NULL, NULL) == P11TEE_E_TOO_LARGE,
                   "b64_decode wrote past a short buffer");
}

/* The input as bytes: encoded by each codec, decoded back. */
static void codec_bytes(const uint8_t *data, size_t size, uint8_t *buf, char *enc)
{
    size_t n = 0, e;
    uint8_t *any = NULL;

    e = hex_encode(data, size, enc, 2 * size + 1);
    FUZZ_CHECK(e == 2 * size && hex_decode(enc, e, buf, size, &n, NULL) == P11TEE_OK && n == size &&
                   memcmp(buf, data, size) == 0,
               "hex of the input does not decode to it");
    if (size > 0) {
        FUZZ_CHECK(bytes_decode_any(enc, e, size, &any, &n, NULL) == P11TEE_OK && n == size &&
                       memcmp(any, data, size) == 0,
                   "bytes_decode_any does not read hex");
        free(any);
    }
    e = codec_b64_encode(data, size, 0, 1, enc);
    FUZZ_CHECK(b64_decode(enc, e, B64_STD, buf, b64_decoded_max(e), &n, NULL) == P11TEE_OK &&
                   n == size && memcmp(buf, data, size) == 0,
               "base64 of the input does not decode to it");
    e = codec_b64_encode(data, size, 1, 0, enc);
    FUZZ_CHECK(b64_decode(enc, e, B64_URL, buf, b64_decoded_max(e), &n, NULL) == P11TEE_OK &&
                   n == size && memcmp(buf, data, size) == 0,
               "unpadded base64url of the input does not decode to it");
}

static int codec_fuzz_one(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    uint8_t *buf = malloc(size + 4), *any = NULL;
    char *enc = malloc(2 * size + 8);
    size_t n = 0;

    if (buf == NULL || enc == NULL)
        fuzz_fail("out of memory");
    codec_hex(in, size, buf, enc);
    codec_b64(in, size, B64_STD, buf, enc);
    codec_b64(in, size, B64_URL, buf, enc);
    codec_b64(in, size, B64_ANY, buf, enc);
    if (bytes_decode_any(in, size, size, &any, &n, NULL) == P11TEE_OK)
        FUZZ_CHECK(n <= size, "bytes_decode_any returned more bytes than allowed");
    else
        FUZZ_CHECK(any == NULL && n == 0, "bytes_decode_any failed but returned bytes");
    free(any);
    codec_bytes(data, size, buf, enc);
    free(buf);
    free(enc);
    return 0;
}

static const fuzz_seed codec_seeds[] = {
    FUZZ_SEED(""),
    FUZZ_SEED("00ff10AbCd"),
    FUZZ_SEED("0x0a1B"),
    FUZZ_SEED("QQ=="),
    FUZZ_SEED("QR=="),
    FUZZ_SEED("-_-_"),
    FUZZ_SEED("+/+/"),
    FUZZ_SEED("aGVsbG8gd29ybGQ"),
    FUZZ_SEED("aGVsbG8gd29ybGQ="),
    FUZZ_SEED("A"),
};

FUZZ_REGISTER(codec, codec_fuzz_one, codec_seeds)
