# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""Keccak-256 as Ethereum uses it, in pure Python.

hashlib.sha3_256 is FIPS 202 SHA3-256: same permutation and rate, but its
padding starts with the domain byte 0x06 where original Keccak uses 0x01,
so the digests differ. sponge() takes the domain byte as a parameter, which
lets the self-test check the permutation against hashlib (pad 0x06) and the
Keccak padding against published answers (pad 0x01).
"""

_MASK = (1 << 64) - 1

_ROUND_CONSTANTS = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)

# Rotation offsets r[x][y] of the rho step.
_ROTATIONS = (
    (0, 36, 3, 41, 18),
    (1, 44, 10, 45, 2),
    (62, 6, 43, 15, 61),
    (28, 55, 25, 21, 56),
    (27, 20, 39, 8, 14),
)


def _rol(value, shift):
    shift %= 64
    return ((value << shift) | (value >> (64 - shift))) & _MASK


def _round(a, rc):
    """One round on the 5x5 lane state a[x][y] (lists, modified in place)."""
    c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
    d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
    for x in range(5):
        for y in range(5):
            a[x][y] ^= d[x]
    b = [[0] * 5 for _ in range(5)]
    for x in range(5):
        for y in range(5):
            b[y][(2 * x + 3 * y) % 5] = _rol(a[x][y], _ROTATIONS[x][y])
    for x in range(5):
        for y in range(5):
            a[x][y] = b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y])
    a[0][0] ^= rc


def keccak_f1600(a):
    for rc in _ROUND_CONSTANTS:
        _round(a, rc)


def sponge(data, rate=136, pad=0x01, out_len=32):
    """Absorb data with multi-rate padding (first byte `pad`, last bit 0x80)."""
    data = bytes(data)
    padded = bytearray(data)
    padded.append(pad)
    while len(padded) % rate:
        padded.append(0)
    padded[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(padded), rate):
        block = padded[off:off + rate]
        for i in range(rate // 8):
            lane = int.from_bytes(block[8 * i:8 * i + 8], "little")
            a[i % 5][i // 5] ^= lane
        keccak_f1600(a)
    out = bytearray()
    while True:
        for i in range(rate // 8):
            out += a[i % 5][i // 5].to_bytes(8, "little")
        if len(out) >= out_len:
            return bytes(out[:out_len])
        keccak_f1600(a)


def keccak256(data):
    return sponge(data, 136, 0x01, 32)
