/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Keccak-256 as Ethereum uses it: the Keccak[c=512] sponge (rate 136 bytes)
 * over the Keccak-f[1600] permutation of FIPS 202, with the padding of the
 * original submission (domain byte 0x01). OpenSSL 3.0 has SHA3-256 but not
 * this padding, hence an implementation of our own; the domain byte is a
 * parameter so that the same sponge can be checked against SHA3-256 (0x06).
 */
#include "config.h"

#include <string.h>

#include "attest/eth.h"

#define KECCAK_ROUNDS 24

/* Round constants of the iota step (FIPS 202, section 3.2.5). */
static const uint64_t keccak_rc[KECCAK_ROUNDS] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* Rotation offsets of the rho step, lane (x, y) at index x + 5y. */
static const unsigned keccak_rho[25] = {
    0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
};

static uint64_t rotl64(uint64_t v, unsigned n)
{
    return n == 0 ? v : (v << n) | (v >> (64 - n));
}

static void keccak_f1600(uint64_t a[25])
{
    uint64_t b[25], c[5], d;
    unsigned round, x, y;

    for (round = 0; round < KECCAK_ROUNDS; round++) {
        /* theta */
        for (x = 0; x < 5; x++)
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        for (x = 0; x < 5; x++) {
            d = c[(x + 4) % 5] ^ rotl64(c[(x + 1) % 5], 1);
            for (y = 0; y < 25; y += 5)
                a[x + y] ^= d;
        }
        /* rho and pi: lane (x, y) moves to (y, 2x + 3y) */
        for (x = 0; x < 5; x++)
            for (y = 0; y < 5; y++)
                b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl64(a[x + 5 * y], keccak_rho[x + 5 * y]);
        /* chi */
        for (y = 0; y < 25; y += 5)
            for (x = 0; x < 5; x++)
                a[x + y] = b[x + y] ^ (~b[(x + 1) % 5 + y] & b[(x + 2) % 5 + y]);
        /* iota */
        a[0] ^= keccak_rc[round];
    }
}

/* Lanes are little-endian: byte i of the state is byte i % 8 of lane i / 8. */
static void keccak_xor_byte(eth_keccak *k, size_t pos, uint8_t v)
{
    k->lanes[pos / 8] ^= (uint64_t)v << (8 * (pos % 8));
}

void eth_keccak_init(eth_keccak *k, uint8_t domain)
{
    memset(k, 0, sizeof(*k));
    k->domain = domain;
}

void eth_keccak_update(eth_keccak *k, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t i;

    for (i = 0; i < len; i++) {
        keccak_xor_byte(k, k->pos, p[i]);
        if (++k->pos == ETH_KECCAK_RATE) {
            keccak_f1600(k->lanes);
            k->pos = 0;
        }
    }
}

void eth_keccak_final(eth_keccak *k, uint8_t out[ETH_HASH_BYTES])
{
    size_t i;

    /* pad10*1 after the domain bits; both ends may fall in the same byte */
    keccak_xor_byte(k, k->pos, k->domain);
    keccak_xor_byte(k, ETH_KECCAK_RATE - 1, 0x80);
    keccak_f1600(k->lanes);
    for (i = 0; i < ETH_HASH_BYTES; i++)
        out[i] = (uint8_t)(k->lanes[i / 8] >> (8 * (i % 8)));
    memset(k, 0, sizeof(*k));
}

void eth_keccak256(const void *data, size_t len, uint8_t out[ETH_HASH_BYTES])
{
    eth_keccak k;

    eth_keccak_init(&k, ETH_KECCAK_DOMAIN);
    eth_keccak_update(&k, data, len);
    eth_keccak_final(&k, out);
}
