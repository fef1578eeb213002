# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""Test certificate authorities: a tiny DER encoder, certificate builders and a
key store that keeps a test PKI across processes (so that many quotes or GPU
reports can chain to one pinned test root).

Every name made here says TEST; nothing pretends to be Intel or NVIDIA.
"""

import contextlib
import datetime
import fcntl
import hashlib
import os
import re
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils
from cryptography.x509.oid import NameOID

# ---- DER (just what the vendor extensions need) ---------------------------


def der_len(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def der_tlv(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def der_seq(*items):
    return der_tlv(0x30, b"".join(items))


def der_oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return der_tlv(0x06, bytes(body))


def der_int(value):
    body = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)
    return der_tlv(0x02, body)


def der_octets(data):
    return der_tlv(0x04, bytes(data))


def der_enum(value):
    return der_tlv(0x0A, bytes([value]))


def der_bool(value):
    return der_tlv(0x01, b"\xff" if value else b"\x00")


# ---- time -----------------------------------------------------------------


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0, tzinfo=None)


def parse_time(text):
    """ISO 8601 UTC ("2025-06-20T00:00:00Z" or with +00:00) -> naive UTC."""
    value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value


def iso(value):
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


FAR_FUTURE = datetime.datetime(9999, 12, 31, 23, 59, 59)

# ---- names, keys, certificates --------------------------------------------


def name(cn, org="p11tee TEST", extra=()):
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)]
    attrs += [x509.NameAttribute(oid, value) for oid, value in extra]
    return x509.Name(attrs)


def new_key(curve):
    return ec.generate_private_key(curve)


def _ski(key):
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())


def make_cert(subject, key, issuer_cert, issuer_key, not_before, not_after,
              ca_pathlen=None, is_ca=False, key_usage="ca", extra=(), hash_alg=None,
              serial=None):
    """One certificate; issuer_cert None means self-signed by key."""
    hash_alg = hash_alg or hashes.SHA256()
    issuer_name = subject if issuer_cert is None else issuer_cert.subject
    issuer_pub = key.public_key() if issuer_cert is None else issuer_cert.public_key()
    builder = (x509.CertificateBuilder()
               .subject_name(subject).issuer_name(issuer_name)
               .public_key(key.public_key())
               .serial_number(serial or x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(_ski(key), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_pub),
                              critical=False))
    if is_ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=ca_pathlen),
                                        critical=True)
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None),
                                        critical=True)
    builder = builder.add_extension(_key_usage(key_usage), critical=True)
    for ext, critical in extra:
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(issuer_key, hash_alg)


def _key_usage(kind):
    ca = kind == "ca"
    return x509.KeyUsage(digital_signature=not ca, content_commitment=kind == "pck",
                         key_encipherment=False, data_encipherment=False,
                         key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def split_pem_chain(data):
    """Certificates of a PEM bundle, in order (cryptography 38 has no helper)."""
    if isinstance(data, str):
        data = data.encode()
    blocks = re.findall(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", data, re.S)
    return [x509.load_pem_x509_certificate(b) for b in blocks]


def raw_signature(der_sig, size):
    """DER ECDSA signature -> fixed-size r || s."""
    r, s = utils.decode_dss_signature(der_sig)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def der_signature(raw):
    half = len(raw) // 2
    return utils.encode_dss_signature(int.from_bytes(raw[:half], "big"),
                                      int.from_bytes(raw[half:], "big"))


def sha256(data):
    return hashlib.sha256(data).digest()


def flip_last_byte(data):
    """The same bytes with the low bit of the last one inverted."""
    return data[:-1] + bytes([data[-1] ^ 0x01])


# ---- persistence -----------------------------------------------------------


class Store:
    """Keys and certificates under a directory, created on first use.

    With dir None everything lives in memory only. Files are written with
    mode 0600 / 0644 and replaced atomically."""

    def __init__(self, directory=None):
        self.dir = directory
        self._mutex = threading.RLock()
        self._depth = 0
        if directory:
            os.makedirs(directory, exist_ok=True)

    @contextlib.contextmanager
    def locked(self):
        """Hold the directory's lock (re-entrant): processes and threads sharing
        it create each key once."""
        with self._mutex:
            self._depth += 1
            try:
                if self.dir and self._depth == 1:
                    with open(self._path(".lock"), "a") as fh:
                        fcntl.flock(fh, fcntl.LOCK_EX)
                        yield
                else:
                    yield
            finally:
                self._depth -= 1

    def _path(self, fname):
        return os.path.join(self.dir, fname)

    def key(self, label, curve):
        if self.dir and os.path.exists(self._path(label + ".key")):
            with open(self._path(label + ".key"), "rb") as fh:
                return serialization.load_pem_private_key(fh.read(), None)
        key = new_key(curve)
        if self.dir:
            write_atomic(self._path(label + ".key"), key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()), 0o600)
        return key

    def ed25519_key(self, label):
        """An Ed25519 key, kept like key() (ACI's receipt signing key)."""
        if self.dir and os.path.exists(self._path(label + ".key")):
            with open(self._path(label + ".key"), "rb") as fh:
                return serialization.load_pem_private_key(fh.read(), None)
        key = ed25519.Ed25519PrivateKey.generate()
        if self.dir:
            write_atomic(self._path(label + ".key"), key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()), 0o600)
        return key

    def cert(self, label, make):
        """The stored certificate `label`, or make() saved under that label."""
        if self.dir and os.path.exists(self._path(label + ".pem")):
            with open(self._path(label + ".pem"), "rb") as fh:
                return x509.load_pem_x509_certificate(fh.read())
        cert = make()
        if self.dir:
            write_atomic(self._path(label + ".pem"), pem(cert))
        return cert


def write_atomic(path, data, mode=0o644):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data if isinstance(data, bytes) else data.encode())
    os.replace(tmp, path)
