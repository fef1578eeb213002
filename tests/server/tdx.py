# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""Synthetic Intel TDX quotes (version 4, TDX 1.0 body), PROTOCOL.md section 6.

A test PKI stands in for Intel's: a root whose subject says TEST, an
intermediate named like Intel's "Intel SGX PCK Platform CA", a PCK leaf that
carries the SGX extension (FMSPC, PCE-ID, TCB components) encoded like a real
one, and a P-256 attestation key. The measurements are fixed and documented
in README.md; RTMR3 is the SHA-384 extend chain of the event log, as in dstack.
"""

import datetime
import hashlib
import json
import struct

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

import pki
from pki import der_seq, der_oid, der_octets, der_int, der_enum, der_bool

# ---- fixed measurements -----------------------------------------------------


def _sha384(text):
    return hashlib.sha384(text.encode()).digest()


QE_VENDOR_ID = bytes.fromhex("939a7233f79c4ca9940a0db3957f0607")
TEE_TCB_SVN = bytes([5, 1, 2]) + bytes(13)
MRSEAM = _sha384("p11tee TEST MRSEAM")
MRSIGNERSEAM = bytes(48)
SEAM_ATTRIBUTES = bytes(8)
TD_ATTRIBUTES = (1 << 28).to_bytes(8, "little")  # SEPT_VE_DISABLE, DEBUG (bit 0) clear
XFAM = bytes.fromhex("e702060000000000")
MRTD = _sha384("p11tee TEST MRTD")
MROWNER = bytes(48)
MROWNERCONFIG = bytes(48)
RTMR0 = _sha384("p11tee TEST RTMR0")
RTMR1 = _sha384("p11tee TEST RTMR1")
RTMR2 = _sha384("p11tee TEST RTMR2")

APP_COMPOSE = json.dumps({
    "manifest_version": 2,
    "name": "p11tee-reference-TEST",
    "runner": "docker-compose",
    "docker_compose_file": "services:\n  model:\n    image: p11tee/reference-model:TEST\n",
    "kms_enabled": False,
    "gateway_enabled": False,
    "public_logs": True,
    "public_sysinfo": True,
}, separators=(",", ":"))
APP_ID = hashlib.sha256(b"p11tee TEST app").digest()[:20]
INSTANCE_ID = hashlib.sha256(b"p11tee TEST instance").digest()[:20]
DSTACK_EVENT_TYPE = 0x08000001

# SGX platform TCB the PCK leaf certifies (and the collateral rates).
SGX_TCB_COMPONENTS = (3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0)
PCESVN = 11
PCE_ID = bytes(2)
FMSPC = bytes.fromhex("90c06f000000")
PPID = hashlib.sha256(b"p11tee TEST PPID").digest()[:16]
PLATFORM_INSTANCE_ID = hashlib.sha256(b"p11tee TEST platform").digest()[:16]

# The quoting enclave's identity (its report inside the quote).
QE_MRSIGNER = hashlib.sha256(b"p11tee TEST QE signer").digest()
QE_MRENCLAVE = hashlib.sha256(b"p11tee TEST QE").digest()
QE_ATTRIBUTES = bytes([0x11]) + bytes(15)
QE_ISVPRODID = 2
QE_ISVSVN = 4
QE_AUTH_DATA = bytes(range(32))

QUOTE_FAULTS = ("debug-td", "bad-quote-signature", "bad-qe-signature", "qe-reportdata",
                "foreign-root", "expired-pck")


def app_compose_hash(app_compose=APP_COMPOSE):
    return hashlib.sha256(app_compose.encode()).digest()


def mrconfigid(app_compose=APP_COMPOSE):
    return b"\x01" + app_compose_hash(app_compose) + bytes(15)


OS_IMAGE_HASH = hashlib.sha256(b"p11tee TEST image").digest()
KEY_PROVIDER = json.dumps({"name": "kms", "id": hashlib.sha256(b"p11tee TEST KMS").hexdigest()},
                          separators=(",", ":")).encode()
BOOT_EVENT_TYPE = 0x80000001  # an EV_ action of the firmware: not dstack's, not RTMR3's


def event_digest(name, payload, event_type=DSTACK_EVENT_TYPE):
    """dstack's runtime event digest: SHA-384(u32 LE type || ":" || name || ":" || payload)."""
    return hashlib.sha384(struct.pack("<I", event_type) + b":" + name.encode() + b":" +
                          payload).digest()


def event_log(app_compose=APP_COMPOSE, compose_hash=None):
    """dstack-style event log: two boot events on IMR 0 and 1 (not replayed into RTMR3),
    then the runtime events on IMR 3. compose_hash overrides the compose-hash event's
    payload (and digest), for the rtmr3-mismatch fault."""
    events = [{"imr": 0, "event_type": BOOT_EVENT_TYPE,
               "digest": _sha384("p11tee TEST firmware").hex(), "event": "",
               "event_payload": ""},
              {"imr": 1, "event_type": BOOT_EVENT_TYPE,
               "digest": _sha384("p11tee TEST kernel").hex(), "event": "",
               "event_payload": ""}]
    for name, payload in (("system-preparing", b""), ("app-id", APP_ID),
                          ("compose-hash", compose_hash or app_compose_hash(app_compose)),
                          ("instance-id", INSTANCE_ID), ("boot-mr-done", b""),
                          ("os-image-hash", OS_IMAGE_HASH), ("key-provider", KEY_PROVIDER),
                          ("system-ready", b"")):
        events.append({"imr": 3, "event_type": DSTACK_EVENT_TYPE,
                       "digest": event_digest(name, payload).hex(), "event": name,
                       "event_payload": payload.hex()})
    return events


def rtmr3(app_compose=APP_COMPOSE):
    value = bytes(48)
    for ev in event_log(app_compose):
        if ev["imr"] == 3:
            value = hashlib.sha384(value + bytes.fromhex(ev["digest"])).digest()
    return value


def measurements(app_compose=APP_COMPOSE):
    """The fixed values a policy pins, as lowercase hex."""
    return {
        "mrtd": MRTD.hex(), "rtmr0": RTMR0.hex(), "rtmr1": RTMR1.hex(),
        "rtmr2": RTMR2.hex(), "rtmr3": rtmr3(app_compose).hex(),
        "mrconfigid": mrconfigid(app_compose).hex(), "mrowner": MROWNER.hex(),
        "mrownerconfig": MROWNERCONFIG.hex(), "mrseam": MRSEAM.hex(),
        "td_attributes": TD_ATTRIBUTES.hex(), "xfam": XFAM.hex(),
        "tee_tcb_svn": TEE_TCB_SVN.hex(), "app_compose_sha256": app_compose_hash(app_compose).hex(),
    }

# ---- the test PKI -------------------------------------------------------------


def sgx_extension():
    """DER of the PCK certificate's SGX extension (OID 1.2.840.113741.1.13.1)."""
    base = "1.2.840.113741.1.13.1"
    tcb = [der_seq(der_oid("%s.2.%d" % (base, i + 1)), der_int(svn))
           for i, svn in enumerate(SGX_TCB_COMPONENTS)]
    tcb.append(der_seq(der_oid(base + ".2.17"), der_int(PCESVN)))
    tcb.append(der_seq(der_oid(base + ".2.18"), der_octets(bytes(SGX_TCB_COMPONENTS))))
    config = der_seq(*[der_seq(der_oid("%s.7.%d" % (base, i)), der_bool(True)) for i in (1, 2, 3)])
    return der_seq(
        der_seq(der_oid(base + ".1"), der_octets(PPID)),
        der_seq(der_oid(base + ".2"), der_seq(*tcb)),
        der_seq(der_oid(base + ".3"), der_octets(PCE_ID)),
        der_seq(der_oid(base + ".4"), der_octets(FMSPC)),
        der_seq(der_oid(base + ".5"), der_enum(1)),  # platform (multi-package) SGX type
        der_seq(der_oid(base + ".6"), der_octets(PLATFORM_INSTANCE_ID)),
        der_seq(der_oid(base + ".7"), config),
    )


ROOT_NAME = pki.name("p11tee TEST SGX Root CA (not Intel)")
PCK_CA_NAME = pki.name("Intel SGX PCK Platform CA", "p11tee TEST (not Intel Corporation)")
PCK_NAME = pki.name("Intel SGX PCK Certificate", "p11tee TEST (not Intel Corporation)")
TCB_NAME = pki.name("Intel SGX TCB Signing", "p11tee TEST (not Intel Corporation)")


class TdxPki:
    """Root, PCK Platform CA, PCK leaf, TCB signing cert, attestation key."""

    def __init__(self, store, when=None):
        when = when or pki.utcnow()
        p256 = ec.SECP256R1()
        self.when = when
        self.root_key = store.key("sgx_root", p256)
        self.root = store.cert("sgx_root", lambda: self._root(self.root_key, when))
        self.pck_ca_key = store.key("sgx_pck_ca", p256)
        self.pck_ca = store.cert("sgx_pck_ca", lambda: self._pck_ca(
            self.pck_ca_key, self.root, self.root_key, when))
        self.pck_key = store.key("sgx_pck", p256)
        self.pck = store.cert("sgx_pck", lambda: self.pck_leaf(
            when - datetime.timedelta(days=1), when + datetime.timedelta(days=7 * 365)))
        self.tcb_key = store.key("sgx_tcb_signing", p256)
        self.tcb = store.cert("sgx_tcb_signing", lambda: pki.make_cert(
            TCB_NAME, self.tcb_key, self.root, self.root_key,
            when - datetime.timedelta(days=1), when + datetime.timedelta(days=7 * 365),
            key_usage="pck"))
        self.att_key = store.key("sgx_attestation", p256)

    @staticmethod
    def _root(key, when):
        return pki.make_cert(ROOT_NAME, key, None, key, when - datetime.timedelta(days=1),
                             datetime.datetime(2049, 12, 31, 23, 59, 59), ca_pathlen=1, is_ca=True)

    @staticmethod
    def _pck_ca(key, root, root_key, when):
        return pki.make_cert(PCK_CA_NAME, key, root, root_key, when - datetime.timedelta(days=1),
                             when + datetime.timedelta(days=15 * 365), ca_pathlen=0, is_ca=True)

    def pck_leaf(self, not_before, not_after, issuer=None, issuer_key=None):
        ext = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.840.113741.1.13.1"),
                                         sgx_extension())
        return pki.make_cert(PCK_NAME, self.pck_key, issuer or self.pck_ca,
                             issuer_key or self.pck_ca_key, not_before, not_after,
                             key_usage="pck", extra=[(ext, False)])

    def chain(self, faults=()):
        """[leaf, intermediate, root] as the quote carries them."""
        if "foreign-root" in faults:
            # Same names, other keys: only a signature check tells them apart.
            froot_key = pki.new_key(ec.SECP256R1())
            froot = self._root(froot_key, self.when)
            fca_key = pki.new_key(ec.SECP256R1())
            fca = self._pck_ca(fca_key, froot, froot_key, self.when)
            leaf = self.pck_leaf(self.when - datetime.timedelta(days=1),
                                 self.when + datetime.timedelta(days=365), fca, fca_key)
            return [leaf, fca, froot]
        if "expired-pck" in faults:
            leaf = self.pck_leaf(self.when - datetime.timedelta(days=400),
                                 self.when - datetime.timedelta(days=1))
            return [leaf, self.pck_ca, self.root]
        return [self.pck, self.pck_ca, self.root]

    def att_pub_raw(self):
        point = self.att_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return point[1:]

# ---- the quote -----------------------------------------------------------------


def td_body(reportdata, faults=(), app_compose=APP_COMPOSE):
    if len(reportdata) != 64:
        raise ValueError("REPORTDATA must be 64 bytes")
    attributes = bytearray(TD_ATTRIBUTES)
    if "debug-td" in faults:
        attributes[0] |= 0x01
    body = (TEE_TCB_SVN + MRSEAM + MRSIGNERSEAM + SEAM_ATTRIBUTES + bytes(attributes) + XFAM +
            MRTD + mrconfigid(app_compose) + MROWNER + MROWNERCONFIG +
            RTMR0 + RTMR1 + RTMR2 + rtmr3(app_compose) + reportdata)
    assert len(body) == 584
    return body


def qe_report(report_data):
    """384-byte SGX report of the quoting enclave."""
    report = (bytes(SGX_TCB_COMPONENTS) + struct.pack("<I", 0) + bytes(28) + QE_ATTRIBUTES +
              QE_MRENCLAVE + bytes(32) + QE_MRSIGNER + bytes(96) +
              struct.pack("<HH", QE_ISVPRODID, QE_ISVSVN) + bytes(60) + report_data)
    assert len(report) == 384
    return report


def _sign_p256(key, data):
    return pki.raw_signature(key.sign(data, ec.ECDSA(hashes.SHA256())), 32)


def build_quote(tdx_pki, reportdata, faults=(), app_compose=APP_COMPOSE, pad=0):
    """A complete v4 quote binding reportdata; faults from QUOTE_FAULTS."""
    header = struct.pack("<HHI", 4, 2, 0x81) + bytes(4) + QE_VENDOR_ID + bytes(20)
    signed = header + td_body(reportdata, faults, app_compose)
    signature = _sign_p256(tdx_pki.att_key, signed)
    if "bad-quote-signature" in faults:
        signature = pki.flip_last_byte(signature)
    att_pub = tdx_pki.att_pub_raw()
    bound = pki.sha256(att_pub + QE_AUTH_DATA)
    if "qe-reportdata" in faults:
        bound = pki.sha256(att_pub + QE_AUTH_DATA + b"\x00")
    report = qe_report(bound + bytes(32))
    report_sig = _sign_p256(tdx_pki.pck_key, report)
    if "bad-qe-signature" in faults:
        report_sig = pki.flip_last_byte(report_sig)
    chain = b"".join(pki.pem(c) for c in tdx_pki.chain(faults)) + b"\x00"
    cert5 = struct.pack("<HI", 5, len(chain)) + chain
    cert6 = (report + report_sig + struct.pack("<H", len(QE_AUTH_DATA)) + QE_AUTH_DATA + cert5)
    sig_data = signature + att_pub + struct.pack("<HI", 6, len(cert6)) + cert6
    return signed + struct.pack("<I", len(sig_data)) + sig_data + bytes(pad)


def reportdata_for(address_hex, nonce):
    """address(20) || 12 zero bytes || raw 32-byte nonce."""
    address = bytes.fromhex(address_hex[2:] if address_hex.startswith("0x") else address_hex)
    if len(address) != 20 or len(nonce) != 32:
        raise ValueError("address must be 20 bytes and nonce 32")
    return address + bytes(12) + nonce
