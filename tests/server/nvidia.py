# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""Synthetic NVIDIA Hopper GPU evidence, PROTOCOL.md section 7.

Each GPU's evidence is an SPDM 1.1 GET_MEASUREMENTS request (37 bytes) and
MEASUREMENTS response laid out like NVIDIA's sample report
(../shared/vectors/nvidia/nvtrust_hopperAttestationReport.txt): 64 DMTF
measurement blocks of 48-byte digests, a responder nonce, opaque data in the
same fields and order as the sample (FWID in field 20), then a P-384 r||s
signature over SHA-384(request || response-without-signature). The device
chain has five certificates like the real one; the leaf carries the TCG DICE
FWID extension (2.23.133.5.4.1) whose last 48 bytes equal the report's FWID.
"""

import base64
import datetime
import hashlib
import json
import os
import struct
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import pki
from pki import der_seq, der_int, der_oid, der_octets, der_tlv

NVIDIA_FAULTS = ("nvidia-bad-signature", "nvidia-wrong-nonce")
BUILDER_FAULTS = NVIDIA_FAULTS + ("nvidia-fwid-mismatch",)

MEASUREMENT_BLOCKS = 64
SHA384_OID = "2.16.840.1.101.3.4.2.2"
DICE_FWID_OID = "2.23.133.5.4.1"
NVIDIA_SAN_OID = "1.3.6.1.4.1.412.274.1"

ROOT_NAME = pki.name("p11tee TEST NVIDIA Device Identity CA", "p11tee TEST (not NVIDIA)")
IDENTITY_NAME = pki.name("NVIDIA GH100 Identity", "p11tee TEST (not NVIDIA Corporation)")
PROVISIONER_NAME = pki.name("NVIDIA GH100 Provisioner ICA 1", "p11tee TEST (not NVIDIA Corporation)")


def measurement(index):
    return hashlib.sha384(b"p11tee TEST GPU measurement %d" % index).digest()


def fwid(gpu):
    return hashlib.sha384(b"p11tee TEST GPU firmware %d" % gpu).digest()


def _device_name(cn, serial_text):
    return x509.Name([x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_text),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "p11tee TEST (not NVIDIA Corporation)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class NvPki:
    """Root -> GH100 Identity -> Provisioner ICA 1 -> per GPU: BROM -> FMC leaf."""

    def __init__(self, store, when=None):
        self.store = store
        self.when = when or pki.utcnow()
        p384 = ec.SECP384R1()
        start = self.when - datetime.timedelta(days=1)
        self._make = lambda nm, key, issuer, issuer_key, **kw: pki.make_cert(
            nm, key, issuer, issuer_key, start, pki.FAR_FUTURE, hash_alg=hashes.SHA384(), **kw)
        self.root_key = store.key("nv_root", p384)
        self.root = store.cert("nv_root", lambda: self._make(
            ROOT_NAME, self.root_key, None, self.root_key, is_ca=True))
        self.identity_key = store.key("nv_identity", p384)
        self.identity = store.cert("nv_identity", lambda: self._make(
            IDENTITY_NAME, self.identity_key, self.root, self.root_key, is_ca=True))
        self.prov_key = store.key("nv_provisioner", p384)
        self.prov = store.cert("nv_provisioner", lambda: self._make(
            PROVISIONER_NAME, self.prov_key, self.identity, self.identity_key, is_ca=True))
        self.gpus = {}
        self.lock = threading.Lock()

    def gpu(self, index):
        """(leaf_key, [leaf, brom, provisioner, identity, root]) of GPU index."""
        with self.lock:  # server threads must all see one key per GPU
            if index not in self.gpus:
                self.gpus[index] = self._gpu(index)
            return self.gpus[index]

    def _gpu(self, index):
        with self.store.locked():
            return self._make_gpu(index)

    def _make_gpu(self, index):
        p384 = ec.SECP384R1()
        brom_key = self.store.key("nv_gpu%d_brom" % index, p384)
        brom_serial = "%018X" % (0x41431D480FE5E87200 + index)
        brom = self.store.cert("nv_gpu%d_brom" % index, lambda: self._make(
            _device_name("GH100 A01 GSP BROM", brom_serial), brom_key, self.prov, self.prov_key,
            is_ca=True))
        leaf_key = self.store.key("nv_gpu%d_leaf" % index, p384)
        leaf = self.store.cert("nv_gpu%d_leaf" % index, lambda: self._leaf(
            index, leaf_key, brom, brom_key))
        return leaf_key, [leaf, brom, self.prov, self.identity, self.root]

    def _leaf(self, index, key, brom, brom_key):
        spki = brom.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
        dice = der_seq(der_int(1), spki, der_seq(der_oid(SHA384_OID), der_octets(fwid(index))))
        ueid = "NVIDIA:GH100:%016X" % (0x48B02D92494BADF4 + index)
        san = x509.SubjectAlternativeName([x509.OtherName(
            x509.ObjectIdentifier(NVIDIA_SAN_OID), der_tlv(0x0C, ueid.encode()))])
        serial_text = hashlib.sha1(b"p11tee TEST GPU %d" % index).hexdigest().upper()
        extra = [(san, False),
                 (x509.UnrecognizedExtension(x509.ObjectIdentifier(DICE_FWID_OID), dice), False)]
        return self._make(_device_name("GH100 A01 GSP FMC LF", serial_text), key, brom, brom_key,
                          key_usage="leaf", extra=extra)


def _record():
    out = bytearray()
    for index in range(1, MEASUREMENT_BLOCKS + 1):
        value = measurement(index)
        dmtf = bytes([0x01]) + struct.pack("<H", len(value)) + value
        out += bytes([index, 0x01]) + struct.pack("<H", len(dmtf)) + dmtf
    return bytes(out)


def _opaque(fw):
    """Opaque fields in the order of NVIDIA's sample: (type u16, size u16, data)."""
    fields = [
        (6, bytes.fromhex("009f009601000000")),  # VBIOS version
        (14, struct.pack("<I", 0x3B1)),          # board id
        (15, b"882" + bytes(6)),                 # chip SKU
        (16, b"0" + bytes(4)),                   # chip SKU mod
        (17, b"1010\x00"),                       # project
        (18, b"0200\x00"),                       # project SKU
        (19, bytes(2)),                          # project SKU mod
        (3, b"550.90.07\x00"),                   # driver version
        (4, bytes.fromhex("8001000000000000")),  # GPU info
        (12, struct.pack("<64I", *([1] * 64))),  # measurement counts
        (13, bytes.fromhex("00c00100")),         # CPR info
        (11, b"\x55"),                           # NVDEC0 status
        (20, fw),                                # FWID
        (21, b"\x55"),
    ]
    return b"".join(struct.pack("<HH", t, len(d)) + d for t, d in fields)


def build_evidence(nv_pki, gpu, nonce, faults=(), trailing_byte=False):
    """Request || response || signature [|| one trailing byte] of one GPU."""
    leaf_key = nv_pki.gpu(gpu)[0]
    if "nvidia-wrong-nonce" in faults:
        nonce = hashlib.sha256(b"not the caller's nonce" + nonce).digest()
    request = bytes([0x11, 0xE0, 0x01, 0xFF]) + nonce + b"\x00"
    record = _record()
    fw = fwid(gpu)
    if "nvidia-fwid-mismatch" in faults:
        fw = hashlib.sha384(b"p11tee TEST other firmware").digest()
    opaque = _opaque(fw)
    response = (bytes([0x11, 0x60, 0x00, 0x00, MEASUREMENT_BLOCKS]) +
                len(record).to_bytes(3, "little") + record + os.urandom(32) +
                struct.pack("<H", len(opaque)) + opaque)
    signature = pki.raw_signature(leaf_key.sign(request + response, ec.ECDSA(hashes.SHA384())), 48)
    if "nvidia-bad-signature" in faults:
        signature = pki.flip_last_byte(signature)
    return request + response + signature + (b"\x00" if trailing_byte else b"")


def build_payload(nv_pki, nonce, faults=(), gpus=1, trailing_byte=False):
    """The nvidia_payload object; faults hit GPU 0 only."""
    evidence_list = []
    for gpu in range(gpus):
        gpu_faults = faults if gpu == 0 else ()
        evidence = build_evidence(nv_pki, gpu, nonce, gpu_faults, trailing_byte)
        chain = b"".join(pki.pem(c) for c in nv_pki.gpu(gpu)[1])
        evidence_list.append({"certificate": base64.b64encode(chain).decode(),
                              "evidence": base64.b64encode(evidence).decode(),
                              "arch": "HOPPER"})
    return {"nonce": nonce.hex(), "evidence_list": evidence_list, "arch": "HOPPER"}


def payload_text(payload):
    return json.dumps(payload, separators=(",", ":"))
