# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""The E2EE envelope of PROTOCOL.md section 4, server side, and the JSON-lines
interop tool the C tests drive (`venice_ref.py ecies`).

wire = hex(ephemeral_pub(65) || nonce(12) || ciphertext || tag(16));
key = HKDF-SHA256(ECDH x-coordinate, salt none, info "ecdsa_encryption", 32).
"""

import json
import os
import string

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MIN_BYTES = 65 + 12 + 16
INFO = b"ecdsa_encryption"
_HEX = frozenset(string.hexdigits)


class EnvelopeError(Exception):
    """name is one of: not-hex, odd-length, too-short, bad-ephemeral-key, bad-tag."""

    def __init__(self, name):
        super().__init__(name)
        self.name = name


def _aes_key(private_key, peer):
    shared = private_key.exchange(ec.ECDH(), peer)
    return HKDF(hashes.SHA256(), 32, None, INFO).derive(shared)


def public_key(raw):
    """secp256k1 public key from 65 bytes (04||X||Y) or 64 bytes (X||Y); ValueError if invalid."""
    if len(raw) == 64:
        raw = b"\x04" + raw
    if len(raw) != 65 or raw[0] != 4:
        raise ValueError("not an uncompressed secp256k1 point")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256K1(), raw)


def pub_bytes(key):
    return key.public_bytes(serialization.Encoding.X962,
                            serialization.PublicFormat.UncompressedPoint)


def new_ephemeral():
    return ec.generate_private_key(ec.SECP256K1())


def seal(recipient, plaintext, eph=None):
    """Envelope (lowercase hex) of plaintext bytes to a recipient public key object.

    A fresh ephemeral key per envelope, unless `eph` (a private key) is given: a
    server that seals a whole response with one key (as vllm-proxy does)."""
    eph = eph if eph is not None else new_ephemeral()
    return seal_with(sealing_key(recipient, eph), plaintext)


def sealing_key(recipient, eph=None):
    """(ephemeral public key bytes, AES-GCM) to seal any number of texts to recipient
    with seal_with(); the ECDH is done here, once (a fresh ephemeral key unless `eph`)."""
    eph = eph if eph is not None else new_ephemeral()
    return pub_bytes(eph.public_key()), AESGCM(_aes_key(eph, recipient))


def seal_with(key, plaintext):
    """Envelope (lowercase hex) of plaintext under a sealing_key(), with a fresh nonce."""
    pub, aead = key
    nonce = os.urandom(12)
    return (pub + nonce + aead.encrypt(nonce, plaintext, None)).hex()


def decode(text):
    """Envelope bytes from hex text, or EnvelopeError."""
    if not all(c in _HEX for c in text):
        raise EnvelopeError("not-hex")
    if len(text) % 2:
        raise EnvelopeError("odd-length")
    data = bytes.fromhex(text)
    if len(data) < MIN_BYTES:
        raise EnvelopeError("too-short")
    return data


def open_envelope(private_key, text):
    """Plaintext bytes of an envelope addressed to private_key, or EnvelopeError."""
    data = decode(text)
    try:
        eph = public_key(data[:65])
    except ValueError:
        raise EnvelopeError("bad-ephemeral-key")
    try:
        return AESGCM(_aes_key(private_key, eph)).decrypt(data[65:77], data[77:], None)
    except InvalidTag:
        raise EnvelopeError("bad-tag")


def _hexarg(req, field):
    value = req.get(field)
    if not isinstance(value, str):
        raise KeyError(field)
    return bytes.fromhex(value[2:] if value.startswith("0x") else value)


def _keygen(_req):
    key = ec.generate_private_key(ec.SECP256K1())
    secret = key.private_numbers().private_value.to_bytes(32, "big")
    return {"priv": secret.hex(), "pub": pub_bytes(key.public_key()).hex()}


def _seal(req):
    try:
        recipient = public_key(_hexarg(req, "to"))
    except ValueError:
        return {"error": "bad-public-key"}
    return {"envelope": seal(recipient, _hexarg(req, "plaintext"))}


def _open(req):
    try:
        key = ec.derive_private_key(int.from_bytes(_hexarg(req, "priv"), "big"), ec.SECP256K1())
    except ValueError:
        return {"error": "bad-private-key"}
    envelope = req.get("envelope")
    if not isinstance(envelope, str):
        raise KeyError("envelope")
    try:
        return {"plaintext": open_envelope(key, envelope).hex()}
    except EnvelopeError as exc:
        return {"error": exc.name}


OPS = {"keygen": _keygen, "seal": _seal, "open": _open}


def handle(line):
    """One request line -> one response object (never raises on bad input)."""
    try:
        req = json.loads(line)
        if not isinstance(req, dict):
            raise ValueError("not an object")
        op = OPS.get(req.get("op"))
        if op is None:
            resp = {"error": "bad-request", "detail": "unknown op %r" % req.get("op")}
        else:
            resp = op(req)
    except (ValueError, KeyError) as exc:
        resp = {"error": "bad-request", "detail": str(exc)}
        req = {}
    if "id" in req:
        resp["id"] = req["id"]
    return resp


def batch(stdin, stdout):
    """Answer each JSON line on stdin with one JSON line on stdout, flushed."""
    for line in stdin:
        if not line.strip():
            continue
        stdout.write(json.dumps(handle(line), separators=(",", ":")) + "\n")
        stdout.flush()
    return 0
