# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""ACI (api_version "aci/1") as Venice's gateway serves it (PROTOCOL.md sections
2 and 3): the workload keyset, its digest and workload id, the keyset
endorsement, the envelope beside the legacy attestation fields, the operator's
native report whose quote binds the attestation statement, and receipts
signed with an Ed25519 key of the keyset.

Every ACI document here holds strings, integers, booleans, nulls, arrays and
objects with ASCII member names only, so RFC 8785 is json.dumps with sorted
keys, no whitespace and the characters as they are (Python escapes control
characters as \\u00xx and keeps the short forms, as ECMAScript does)."""

import hashlib
import json
import secrets
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils

API_VERSION = "aci/1"
REPORT_DATA_PURPOSE = "aci.report_data.v1"
ENDORSEMENT_PURPOSE = "aci.keyset.endorsement.v1"
E2EE_ALGO = "secp256k1-aes-256-gcm-hkdf-sha256"
NOT_AFTER = 1893456000  # 2030-01-01T00:00:00Z: the keyset's expiry, fixed so digests are too
RECEIPT_KEY_ID = "receipt-1"
SOURCE = {"repo_url": "https://example.invalid/p11tee-reference-gateway.git",
          "repo_commit": "0123456789abcdef0123456789abcdef01234567",
          "image_digest": "sha256:" + hashlib.sha256(b"p11tee TEST image").hexdigest()}

ACI_FAULTS = ("aci-quote-disagree", "aci-compose-disagree", "aci-key-outside-keyset",
              "aci-keyset-digest", "receipt-forged", "receipt-unknown-key", "receipt-keyset",
              "upstream-unverified", "aci-native-binding", "aci-native-keyset")


def jcs(obj):
    """RFC 8785 bytes of an ACI document (see the module's note)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def tagged_sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _pub65(key):
    return key.public_key().public_bytes(serialization.Encoding.X962,
                                         serialization.PublicFormat.UncompressedPoint)


def _raw_ed25519(key):
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class Keys:
    """The gateway's ACI keys: a secp256k1 workload identity and an Ed25519 receipt key."""

    def __init__(self, store):
        self.identity = store.key("aci_identity", ec.SECP256K1())
        self.receipt = store.ed25519_key("aci_receipt")


def keyset(keys, e2ee_keys, receipt_key=None):
    """The workload keyset: e2ee_keys maps a key id to a 65-byte public key."""
    receipt_key = receipt_key or keys.receipt
    return {
        "workload_identity": {"public_key": {"algo": "secp256k1",
                                             "public_key": _pub65(keys.identity).hex()},
                              "subject": None},
        "keyset_epoch": {"version": 1, "not_after": NOT_AFTER},
        "receipt_signing_keys": [{"key_id": RECEIPT_KEY_ID, "algo": "ed25519",
                                  "public_key": _raw_ed25519(receipt_key).hex()}],
        "e2ee_public_keys": [{"key_id": kid, "algo": E2EE_ALGO, "public_key": pub.hex()}
                             for kid, pub in sorted(e2ee_keys.items())],
        "tls_public_keys": [],
    }


def workload_id(ks):
    return tagged_sha256(jcs(ks["workload_identity"]["public_key"]))


def keyset_digest(ks):
    return tagged_sha256(jcs(ks))


def statement(ks, nonce_text):
    """The bytes whose SHA-256 the native report's quote binds (REPORTDATA[0:32])."""
    return jcs({"purpose": REPORT_DATA_PURPOSE, "workload_id": workload_id(ks),
                "workload_keyset_digest": keyset_digest(ks), "nonce": nonce_text})


def native_reportdata(ks, nonce_text):
    return hashlib.sha256(statement(ks, nonce_text)).digest() + bytes(32)


def endorsement(keys, digest):
    """ECDSA secp256k1 (SHA-256) by the identity key over the JCS endorsement payload, r || s."""
    payload = jcs({"purpose": ENDORSEMENT_PURPOSE, "workload_keyset_digest": digest})
    der = keys.identity.sign(payload, ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    return {"algo": "ecdsa-secp256k1", "value": (r.to_bytes(32, "big") + s.to_bytes(32, "big")).hex()}


def report(keys, ks, report_data, evidence, faults=()):
    """The ACI fields of an attestation response: api_version, workload_id,
    workload_keyset_digest, attestation{...} and service_capabilities."""
    digest = keyset_digest(ks)
    now = int(time.time())
    return {
        "api_version": API_VERSION,
        "workload_id": workload_id(ks),
        "workload_keyset_digest": ("sha256:" + "00" * 32) if "aci-keyset-digest" in faults
        else digest,
        "attestation": {
            "vendor": "dstack", "tee_type": "tdx", "workload_keyset": ks,
            "report_data": report_data.hex(), "keyset_endorsement": endorsement(keys, digest),
            "source_provenance": dict(SOURCE, image_provenance=None),
            "freshness": {"fetched_at": now, "stale_after": now + 300},
            "evidence": evidence,
        },
        "service_capabilities": {"supported_e2ee_versions": ["2"], "serving": "aggregator"},
    }

# ---- receipts --------------------------------------------------------------------------


def _upstream_event(model_id, faults):
    if "upstream-unverified" in faults:
        return {"type": "upstream.verified", "upstream_name": "p11tee-reference-gpu",
                "provider_type": "phala-direct", "model_id": model_id, "url_origin": None,
                "verifier_id": "p11tee-reference/1", "result": "failed", "required": False,
                "reason": "upstream attestation unavailable (TEST)", "channel_bindings": [],
                "provider_claims": None}
    return {"type": "upstream.verified", "upstream_name": "p11tee-reference-gpu",
            "provider_type": "phala-direct", "model_id": model_id,
            "url_origin": "https://gpu.example.invalid", "verifier_id": "p11tee-reference/1",
            "result": "verified", "required": True, "reason": None,
            "channel_bindings": [{"type": "tls_spki_sha256", "origin": "https://gpu.example.invalid",
                                  "spki_sha256": hashlib.sha256(b"p11tee TEST GPU TLS").hexdigest()}],
            "provider_claims": None,
            "session_id": hashlib.sha256(b"p11tee TEST session " + model_id.encode()).hexdigest(),
            "claims": {"tee_attested": {"status": "asserted", "source": "hardware_proven"},
                       "gpu_attested": {"status": "asserted", "source": "hardware_proven"}}}


def receipt(keys, ks, chat_id, model_id, request_body, response_body, served_at, faults=()):
    """A receipt signed over its JCS form without signature.value (PROTOCOL.md section 3)."""
    events = [{"type": "request.received", "body_hash": tagged_sha256(request_body)},
              {"type": "request.forwarded", "body_hash": tagged_sha256(request_body)},
              _upstream_event(model_id, faults),
              {"type": "response.returned", "body_hash": tagged_sha256(response_body),
               "wire_hash": tagged_sha256(response_body)}]
    for seq, event in enumerate(events):
        event["seq"] = seq
    digest = keyset_digest(ks)
    if "receipt-keyset" in faults:
        digest = "sha256:" + hashlib.sha256(b"another keyset").hexdigest()
    doc = {"api_version": API_VERSION, "receipt_id": "rcpt-" + secrets.token_hex(12),
           "chat_id": chat_id, "model": model_id, "workload_id": workload_id(ks),
           "workload_keyset_digest": digest, "endpoint": "/v1/chat/completions",
           "method": "POST", "served_at": served_at, "event_log": events,
           "signature": {"algo": "ed25519",
                         "key_id": "receipt-9" if "receipt-unknown-key" in faults
                         else RECEIPT_KEY_ID}}
    signer = ed25519.Ed25519PrivateKey.generate() if "receipt-forged" in faults else keys.receipt
    doc["signature"]["value"] = signer.sign(jcs(doc)).hex()
    return doc
