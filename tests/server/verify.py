# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""Independent checks of what the builders emit, for the self-test: parse a TDX
quote per PROTOCOL.md section 6 and NVIDIA evidence per section 7, verify
their signatures and chains with cryptography. Each check raises
VerifyError(name) so a test can assert which one failed.
"""

import base64
import hashlib
import json
import struct

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

import pki


class VerifyError(Exception):
    pass


def _take(data, off, n, what):
    if off + n > len(data):
        raise VerifyError("truncated: " + what)
    return data[off:off + n], off + n


BODY_FIELDS = (("tee_tcb_svn", 0, 16), ("mrseam", 16, 48), ("mrsignerseam", 64, 48),
               ("seam_attributes", 112, 8), ("td_attributes", 120, 8), ("xfam", 128, 8),
               ("mrtd", 136, 48), ("mrconfigid", 184, 48), ("mrowner", 232, 48),
               ("mrownerconfig", 280, 48), ("rtmr0", 328, 48), ("rtmr1", 376, 48),
               ("rtmr2", 424, 48), ("rtmr3", 472, 48), ("reportdata", 520, 64))


def parse_quote(q):
    """Fields of a v4/v5 quote; raises VerifyError on any structural problem."""
    header, off = _take(q, 0, 48, "header")
    version, key_type, tee_type = struct.unpack_from("<HHI", header)
    if version not in (4, 5) or key_type != 2 or tee_type != 0x81:
        raise VerifyError("header")
    body_size = 584
    if version == 5:
        desc, off = _take(q, off, 6, "descriptor")
        body_type, body_size = struct.unpack("<HI", desc)
        if (body_type, body_size) not in ((2, 584), (3, 648)):
            raise VerifyError("descriptor")
    body, off = _take(q, off, body_size, "body")
    out = {"version": version, "signed": q[:off], "header": header}
    out.update({name: body[o:o + n] for name, o, n in BODY_FIELDS})
    raw, off = _take(q, off, 4, "signature data length")
    sig_len, = struct.unpack("<I", raw)
    sig_data, _ = _take(q, off, sig_len, "signature data")
    out["trailing"] = len(q) - off - sig_len
    out.update(_parse_sig_data(sig_data))
    return out


def _parse_sig_data(d):
    out = {}
    out["signature"], off = _take(d, 0, 64, "quote signature")
    out["attestation_key"], off = _take(d, off, 64, "attestation key")
    raw, off = _take(d, off, 6, "certification data header")
    ctype, csize = struct.unpack("<HI", raw)
    if ctype != 6:
        raise VerifyError("certification data type %d" % ctype)
    cert6, _ = _take(d, off, csize, "certification data")
    out["qe_report"], off = _take(cert6, 0, 384, "QE report")
    out["qe_signature"], off = _take(cert6, off, 64, "QE report signature")
    raw, off = _take(cert6, off, 2, "QE auth data length")
    out["qe_auth_data"], off = _take(cert6, off, struct.unpack("<H", raw)[0], "QE auth data")
    raw, off = _take(cert6, off, 6, "nested certification data header")
    ntype, nsize = struct.unpack("<HI", raw)
    if ntype != 5:
        raise VerifyError("nested certification data type %d" % ntype)
    out["pck_chain_pem"], _ = _take(cert6, off, nsize, "PCK chain")
    return out


def _verify_raw(pub, raw, data, hash_alg, check):
    try:
        pub.verify(pki.der_signature(raw), data, ec.ECDSA(hash_alg))
    except InvalidSignature:
        raise VerifyError(check)


def verify_chain(certs, root, at, check="chain"):
    """certs[0] is the leaf; each must be signed by the next, the last by root."""
    chain = list(certs) + [root]
    for cert, issuer in zip(chain, chain[1:]):
        if cert.issuer != issuer.subject:
            raise VerifyError(check + ": issuer name")
        try:
            issuer.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                                       ec.ECDSA(cert.signature_hash_algorithm))
        except InvalidSignature:
            raise VerifyError(check + ": signature")
    for cert in chain:
        if not cert.not_valid_before <= at <= cert.not_valid_after:
            raise VerifyError(check + ": validity")


def verify_quote(q, root, at):
    """Checks (a)-(d) of section 6; returns the parsed quote."""
    p = parse_quote(q)
    ak = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + p["attestation_key"])
    _verify_raw(ak, p["signature"], p["signed"], hashes.SHA256(), "quote signature")
    certs = pki.split_pem_chain(p["pck_chain_pem"].rstrip(b"\x00"))
    if len(certs) < 2:
        raise VerifyError("PCK chain length")
    _verify_raw(certs[0].public_key(), p["qe_signature"], p["qe_report"], hashes.SHA256(),
                "QE report signature")
    expect = hashlib.sha256(p["attestation_key"] + p["qe_auth_data"]).digest()
    if p["qe_report"][320:352] != expect:
        raise VerifyError("QE report data")
    intermediates = [c for c in certs[1:] if c.subject != c.issuer]
    verify_chain([certs[0]] + intermediates, root, at, "PCK chain")
    p["pck_certs"] = certs
    return p


def parse_evidence(ev):
    """Request, response fields and signature of one SPDM evidence blob."""
    if len(ev) < 37 + 42 or ev[:4] != bytes([0x11, 0xE0, 0x01, 0xFF]):
        raise VerifyError("request")
    out = {"request_nonce": ev[4:36], "request": ev[:37]}
    r = ev[37:]
    if r[:2] != bytes([0x11, 0x60]):
        raise VerifyError("response code")
    blocks, rec_len = r[4], int.from_bytes(r[5:8], "little")
    record, off = _take(r, 8, rec_len, "measurement record")
    out["blocks"] = _parse_record(record, blocks)
    out["responder_nonce"], off = _take(r, off, 32, "responder nonce")
    raw, off = _take(r, off, 2, "opaque length")
    opaque, off = _take(r, off, struct.unpack("<H", raw)[0], "opaque data")
    out["opaque"] = _parse_opaque(opaque)
    out["signed"] = ev[:37 + off]
    out["signature"], off = _take(r, off, 96, "signature")
    out["trailing"] = len(r) - off
    return out


def _parse_record(record, count):
    blocks, off = {}, 0
    for _ in range(count):
        raw, off = _take(record, off, 4, "measurement block header")
        index, spec, size = raw[0], raw[1], struct.unpack("<H", raw[2:])[0]
        block, off = _take(record, off, size, "measurement block")
        if spec != 1 or size < 3 or struct.unpack("<H", block[1:3])[0] != size - 3:
            raise VerifyError("measurement block %d" % index)
        blocks[index] = block[3:]
    if off != len(record):
        raise VerifyError("measurement record length")
    return blocks


def _parse_opaque(opaque):
    fields, off = {}, 0
    while off < len(opaque):
        raw, off = _take(opaque, off, 4, "opaque field header")
        ftype, size = struct.unpack("<HH", raw)
        fields[ftype], off = _take(opaque, off, size, "opaque field")
    return fields


def verify_payload(payload, nonce, root, at):
    """Section 7 checks for every GPU; returns the parsed evidence list."""
    if isinstance(payload, str):
        payload = json.loads(payload)
    if bytes.fromhex(payload["nonce"]) != nonce:
        raise VerifyError("payload nonce")
    parsed = []
    for item in payload["evidence_list"]:
        ev = parse_evidence(base64.b64decode(item["evidence"]))
        certs = pki.split_pem_chain(base64.b64decode(item["certificate"]))
        if len(certs) != 5:
            raise VerifyError("device chain length")
        if ev["request_nonce"] != nonce:
            raise VerifyError("evidence nonce")
        _verify_raw(certs[0].public_key(), ev["signature"], ev["signed"], hashes.SHA384(),
                    "evidence signature")
        verify_chain(certs[:4], root, at, "device chain")
        dice = certs[0].extensions.get_extension_for_oid(x509.ObjectIdentifier("2.23.133.5.4.1"))
        if dice.value.value[-48:] != ev["opaque"].get(20):
            raise VerifyError("FWID")
        parsed.append(ev)
    return parsed
