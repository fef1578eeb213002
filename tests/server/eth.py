# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""Ethereum-style keys on secp256k1: addresses, EIP-191 personal_sign, ecrecover.

cryptography signs and verifies ECDSA on secp256k1 but cannot produce or use
a recovery id, so this module does the little point arithmetic recovery needs
in pure Python (affine coordinates; a handful of operations per signature).
"""

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from keccak import keccak256

P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def _add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        lam = 3 * x1 * x1 * pow(2 * y1, -1, P) % P
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (lam * lam - x1 - x2) % P
    return (x3, (lam * (x1 - x3) - y1) % P)


def _mul(k, point):
    result = None
    while k:
        if k & 1:
            result = _add(result, point)
        point = _add(point, point)
        k >>= 1
    return result


def point_bytes(point):
    return b"\x04" + point[0].to_bytes(32, "big") + point[1].to_bytes(32, "big")


def on_curve(x, y):
    return (y * y - x * x * x - 7) % P == 0


def address_of(pub65):
    """0x-prefixed lowercase address: last 20 bytes of Keccak-256(X || Y)."""
    if len(pub65) != 65 or pub65[0] != 4:
        raise ValueError("uncompressed 65-byte public key expected")
    return "0x" + keccak256(pub65[1:])[12:].hex()


def checksum_address(address):
    """EIP-55 mixed-case form of a 0x address (for display only)."""
    low = address[2:].lower()
    digest = keccak256(low.encode()).hex()
    return "0x" + "".join(c.upper() if int(digest[i], 16) >= 8 else c for i, c in enumerate(low))


def eip191_hash(text):
    """Keccak-256("\\x19Ethereum Signed Message:\\n" + len + message)."""
    msg = text.encode() if isinstance(text, str) else bytes(text)
    return keccak256(b"\x19Ethereum Signed Message:\n" + str(len(msg)).encode() + msg)


def recover(digest, r, s, recid):
    """The public key (65 bytes) that signed digest, or None."""
    if not (0 < r < N and 0 < s < N) or recid not in (0, 1):
        return None
    x = r
    alpha = (x * x * x + 7) % P
    y = pow(alpha, (P + 1) // 4, P)
    if y * y % P != alpha:
        return None
    if y % 2 != recid:
        y = P - y
    e = int.from_bytes(digest, "big") % N
    r_inv = pow(r, -1, N)
    q = _add(_mul(s * r_inv % N, (x, y)), _mul((-e * r_inv) % N, G))
    return None if q is None else point_bytes(q)


def recover_address(digest, sig65):
    """Signer address of a 65-byte r||s||v signature (v 27/28 or 0/1), or None."""
    if len(sig65) != 65:
        return None
    v = sig65[64]
    recid = v - 27 if v >= 27 else v
    pub = recover(digest, int.from_bytes(sig65[:32], "big"),
                  int.from_bytes(sig65[32:64], "big"), recid)
    return None if pub is None else address_of(pub)


class EthKey:
    """A secp256k1 key pair with its public encodings and address."""

    def __init__(self, private_key=None):
        self.private_key = private_key or ec.generate_private_key(ec.SECP256K1())
        self.pub65 = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        self.address = address_of(self.pub65)

    @classmethod
    def from_int(cls, secret):
        return cls(ec.derive_private_key(secret, ec.SECP256K1()))

    def sign_digest(self, digest):
        """(r, s, v) with low s and v in {27, 28}."""
        der = self.private_key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        r, s = utils.decode_dss_signature(der)
        if s > N // 2:
            s = N - s
        for recid in (0, 1):
            if recover(digest, r, s, recid) == self.pub65:
                return r, s, 27 + recid
        raise RuntimeError("no recovery id reproduces the signing key")

    def personal_sign(self, text):
        """EIP-191 signature as 0x + hex(r || s || v)."""
        r, s, v = self.sign_digest(eip191_hash(text))
        return "0x" + (r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])).hex()
