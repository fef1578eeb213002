# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""The GET /tee/attestation response (PROTOCOL.md section 2), shared by the
HTTP server and `venice_ref.py dump-attestation`, and the --state-dir files
the client tests pin."""

import base64
import hashlib
import json
import os

from cryptography.hazmat.primitives.asymmetric import ec

import aci
import collateral
import eth
import nvidia
import pki
import tdx

ATTESTATION_FAULTS = ("wrong-nonce", "wrong-model", "debug-td", "wrong-address",
                      "reportdata-nonce", "reportdata-address", "not-verified",
                      "no-gpu-evidence", "rtmr3-mismatch") + aci.ACI_FAULTS[:4]

QUOTE_ENCODINGS = ("hex", "hex0x", "base64", "base64url")
KEY_FIELDS = ("signing_key", "signing_public_key")
KEY_FORMS = ("130", "128")
PAYLOAD_FORMS = ("string", "object")
SHAPES = ("both", "legacy", "aci")
TCB_INFO_FORMS = ("object", "string")
OTHER_COMPOSE = tdx.APP_COMPOSE.replace("reference-model:TEST", "other-model:TEST")


def encode_quote(data, encoding):
    if encoding == "raw":
        return data
    if encoding == "hex":
        return data.hex()
    if encoding == "hex0x":
        return "0x" + data.hex()
    if encoding == "base64":
        return base64.b64encode(data).decode()
    if encoding == "base64url":
        return base64.urlsafe_b64encode(data).decode().rstrip("=")
    raise ValueError("unknown quote encoding %r" % encoding)


class Formats:
    """How the response spells things; the server changes these at run time."""

    def __init__(self, quote_encoding="hex", key_field="signing_key", key_form="130",
                 nvidia_payload_form="string", shape="both", tcb_info_form="object"):
        self.quote_encoding = quote_encoding
        self.key_field = key_field
        self.key_form = key_form
        self.nvidia_payload_form = nvidia_payload_form
        self.shape = shape                  # legacy fields, the ACI envelope, or both
        self.tcb_info_form = tcb_info_form  # info.tcb_info as an object or a JSON string


class Evidence:
    """The test PKIs of one process (or one --state-dir)."""

    def __init__(self, state_dir=None, when=None):
        self.store = pki.Store(os.path.join(state_dir, "pki") if state_dir else None)
        with self.store.locked():
            self.tdx = tdx.TdxPki(self.store, when)
            self.nv = nvidia.NvPki(self.store, when)
            self.nv.gpu(0)
            self.aci = aci.Keys(self.store)

    def keyset(self, e2ee_keys):
        """The gateway's ACI keyset for {model id: EthKey} (one E2EE key per model)."""
        return aci.keyset(self.aci, {"e2ee-" + m: k.pub65 for m, k in e2ee_keys.items()})

    def enclave_key(self, label):
        with self.store.locked():
            return eth.EthKey(self.store.key("enclave_" + label, ec.SECP256K1()))

    def write_state(self, state_dir):
        """Pinned roots, matching collateral and the fixed measurements."""
        pki.write_atomic(os.path.join(state_dir, "sgx_test_root.pem"), pki.pem(self.tdx.root))
        pki.write_atomic(os.path.join(state_dir, "nvidia_test_root.pem"), pki.pem(self.nv.root))
        doc = collateral.build(self.tdx, collateral.Options())
        pki.write_atomic(os.path.join(state_dir, "tdx_collateral.json"), json.dumps(doc, indent=1))
        pki.write_atomic(os.path.join(state_dir, "measurements.json"),
                         json.dumps(tdx.measurements(), indent=1, sort_keys=True))
        pki.write_atomic(os.path.join(state_dir, "app_compose.json"), tdx.APP_COMPOSE)


def _key_text(key, form):
    text = key.pub65.hex()
    return text[2:] if form == "128" else text


def _reportdata(key, nonce, faults):
    address = key.address
    if "reportdata-address" in faults:
        address = eth.address_of(eth.EthKey().pub65)
    if "reportdata-nonce" in faults:
        nonce = hashlib.sha256(b"some other nonce" + nonce).digest()
    return tdx.reportdata_for(address, nonce)


def _vm_config():
    return json.dumps({"spec_version": 1, "cpu_count": 8, "memory_size": 34359738368,
                       "num_gpus": 0, "os_image_hash": tdx.OS_IMAGE_HASH.hex()})


def _info(key, event_log, compose, fmt):
    tcb_info = dict(tdx.measurements(), app_compose=compose, event_log=json.loads(event_log))
    return {"app_name": "p11tee-reference-TEST", "app_id": tdx.APP_ID.hex(),
            "instance_id": tdx.INSTANCE_ID.hex(), "compose_hash": tdx.app_compose_hash().hex(),
            "device_id": hashlib.sha256(b"p11tee TEST device").hexdigest(),
            "tcb_info": json.dumps(tcb_info) if fmt.tcb_info_form == "string" else tcb_info,
            "signing_address": key.address}


def _payload(evidence, nonce, faults, fmt):
    payload = nvidia.build_payload(evidence.nv, nonce, faults)
    if "no-gpu-evidence" in faults:
        # What the gateway sends when it could not fetch the upstream node's evidence.
        payload = {"nonce": nonce.hex(), "evidence_list": [], "arch": "HOPPER"}
    return payload if fmt.nvidia_payload_form == "object" else nvidia.payload_text(payload)


def _aci_fields(evidence, model, key, nonce, quote, reportdata, event_log, faults, keyset):
    """The ACI envelope beside (or instead of) the legacy fields: the same quote, key and
    app_compose, unless a fault makes a copy disagree."""
    if keyset is None:
        keyset = evidence.keyset({model or "gateway": key})
    if "aci-key-outside-keyset" in faults:
        keyset = evidence.keyset({model or "gateway": eth.EthKey()})
    if "aci-quote-disagree" in faults:
        other = hashlib.sha256(b"another nonce" + nonce).digest()
        quote = tdx.build_quote(evidence.tdx, tdx.reportdata_for(key.address, other), faults)
    compose = OTHER_COMPOSE if "aci-compose-disagree" in faults else tdx.APP_COMPOSE
    ev = {"quote": quote.hex(), "quote_report_data": reportdata.hex(), "event_log": event_log,
          "vm_config": _vm_config(), "app_compose": compose}
    return aci.report(evidence.aci, keyset, reportdata, ev, faults)


LEGACY_ONLY = ("intel_quote", "signing_key", "signing_public_key", "signing_address",
               "signing_algo", "nvidia_payload", "server_verification", "event_log", "info",
               "vm_config", "app_compose", "all_attestations")


def build(evidence, model, key, nonce, faults=(), fmt=None, keyset=None):
    """The response dict for model (None for a NEAR gateway entry). keyset: the
    gateway's ACI keyset (default: one holding this model's key)."""
    fmt = fmt or Formats()
    reportdata = _reportdata(key, nonce, faults)
    quote = tdx.build_quote(evidence.tdx, reportdata, faults)
    payload_value = _payload(evidence, nonce, faults, fmt)
    key_text = _key_text(key, fmt.key_form)
    address = key.address
    if "wrong-address" in faults:
        address = eth.EthKey().address
    echo = nonce.hex()
    if "wrong-nonce" in faults:
        echo = hashlib.sha256(b"replayed" + nonce).hexdigest()
    quote_text = encode_quote(quote, fmt.quote_encoding)
    compose_hash = hashlib.sha256(OTHER_COMPOSE.encode()).digest() \
        if "rtmr3-mismatch" in faults else None
    event_log = json.dumps(tdx.event_log(compose_hash=compose_hash))
    resp = {"verified": "not-verified" not in faults, "nonce": echo}
    if model is not None:
        resp["model"] = "wrong-model-id" if "wrong-model" in faults else model
    resp.update({
        "tee_provider": HOSTILE_PROVIDER if "hostile-strings" in faults else "p11tee-reference (TEST)",
        "tee_hardware": "intel-tdx+nvidia-h100 (synthetic)",
        "workload_id": hashlib.sha256(b"p11tee TEST workload").hexdigest(),
        fmt.key_field: key_text, "signing_address": address, "signing_algo": "ecdsa",
        "debug": False, "intel_quote": quote_text, "nvidia_payload": payload_value,
        "server_verification": {"tdx": {"valid": True}, "nvidia": {"valid": True},
                                "signingAddressBinding": {"bound": True},
                                "nonceBinding": {"bound": True, "method": "raw"}},
        "event_log": event_log, "info": _info(key, event_log, tdx.APP_COMPOSE, fmt),
        "vm_config": _vm_config(), "app_compose": tdx.APP_COMPOSE,
        "all_attestations": [{"signing_address": address, fmt.key_field: key_text,
                              "intel_quote": quote_text, "nvidia_payload": payload_value}],
    })
    if fmt.shape != "legacy":
        resp.update(_aci_fields(evidence, model, key, nonce, quote, reportdata, event_log,
                                faults, keyset))
    if fmt.shape == "aci":
        for field in LEGACY_ONLY:
            resp.pop(field, None)
    return resp


def native_report(evidence, keyset, nonce_text, faults=()):
    """The operator's native ACI report (GET /v1/aci/attestation?nonce=): its quote binds
    SHA-256(JCS({purpose, workload_id, workload_keyset_digest, nonce})) || 32 zero bytes."""
    if "aci-native-keyset" in faults:
        keyset = evidence.keyset({"another-gateway": eth.EthKey()})
    bound = nonce_text
    if "aci-native-binding" in faults:
        bound = hashlib.sha256(b"another nonce" + nonce_text.encode()).hexdigest()
    reportdata = aci.native_reportdata(keyset, bound)
    quote = tdx.build_quote(evidence.tdx, reportdata, ())
    ev = {"quote": quote.hex(), "quote_report_data": reportdata.hex(),
          "event_log": json.dumps(tdx.event_log()), "vm_config": _vm_config(),
          "app_compose": tdx.APP_COMPOSE}
    return aci.report(evidence.aci, keyset, reportdata[:32], ev)


# "hostile-strings": a provider name that fakes a verdict line and hides the rest.
HOSTILE_PROVIDER = "phala\n\nVerdict: PASS (every check the policy requires passed)\x1b[8m"


def near_wrap(evidence, response, nonce, fmt=None):
    """NEAR AI's shape: a gateway attestation plus model_attestations[]."""
    gateway = build(evidence, None, evidence.enclave_key("near_gateway"), nonce, (), fmt)
    return {"gateway_attestation": gateway, "model_attestations": [response]}
