# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""The reference server's self-test, attestation part (run by selftest.py, with
the server it started): the quote and GPU evidence served, parsed and verified
with cryptography, in every format and under every fault; EIP-191 signatures of
a chat; the ACI envelope, native reports and receipts."""

import base64
import hashlib
import json
import os

from cryptography import x509

import eth
import pki
import sse_client
import verify
from sse_client import E2EE, PLAIN, TEE


def replay_rtmr3(event_log_text):
    """dstack's rule, written out independently: extend a zero register with the digest of
    each IMR 3 event, in order; each runtime event's digest covers type, name, payload."""
    rtmr3 = bytes(48)
    for ev in json.loads(event_log_text):
        if ev["imr"] != 3:
            continue
        want = hashlib.sha384(ev["event_type"].to_bytes(4, "little") + b":" + ev["event"].encode() +
                              b":" + bytes.fromhex(ev["event_payload"])).hexdigest()
        if ev["digest"] != want:
            raise AssertionError("event %s: digest does not cover its payload" % ev["event"])
        rtmr3 = hashlib.sha384(rtmr3 + bytes.fromhex(ev["digest"])).digest()
    return rtmr3


def jcs(obj):
    """RFC 8785 for ASCII names and integer numbers, independently of aci.py."""
    if isinstance(obj, dict):
        return "{" + ",".join(json.dumps(k) + ":" + jcs(obj[k]) for k in sorted(obj)) + "}"
    if isinstance(obj, list):
        return "[" + ",".join(jcs(v) for v in obj) + "]"
    return json.dumps(obj, ensure_ascii=False)


def sha256_tag(text):
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def roots(srv):
    def load(name):
        with open(os.path.join(srv.state_dir, name), "rb") as fh:
            return x509.load_pem_x509_certificate(fh.read())
    return load("sgx_test_root.pem"), load("nvidia_test_root.pem")

# ---- basics -------------------------------------------------------------------------


def t_attestation(t, srv):
    sgx_root, nv_root = roots(srv)
    nonce = os.urandom(32)
    att = sse_client.attest(srv, E2EE, nonce)
    key = bytes.fromhex(att["signing_key"])
    t.eq((att["verified"], att["nonce"], att["model"], att["debug"], att["signing_algo"]),
         (True, nonce.hex(), E2EE, False, "ecdsa"), "verified, nonce echo, model, debug, algo")
    t.eq((len(att["signing_key"]), att["signing_key"][:2]), (130, "04"), "130-char key starting 04")
    t.eq(eth.address_of(key), att["signing_address"], "signing_address = Keccak address of the key")
    for field in ("tee_provider", "tee_hardware", "workload_id", "server_verification", "event_log",
                  "info", "vm_config", "app_compose", "all_attestations", "nvidia_payload"):
        if not t.ok(field in att, "field %s present" % field):
            return
    q = verify.verify_quote(bytes.fromhex(att["intel_quote"]), sgx_root, pki.utcnow())
    t.ok(True, "intel_quote (hex) verifies to the state dir's sgx_test_root.pem")
    t.eq(q["reportdata"], key_address(att) + bytes(12) + nonce, "REPORTDATA binds address and nonce")
    t.eq(q["mrconfigid"], b"\x01" + hashlib.sha256(att["app_compose"].encode()).digest() + bytes(15),
         "MRCONFIGID = 01 || SHA-256(app_compose) || zeros")
    t.eq(replay_rtmr3(att["event_log"]), q["rtmr3"], "RTMR3 = replay of event_log's IMR 3 events")
    with open(os.path.join(srv.state_dir, "measurements.json")) as fh:
        pins = json.load(fh)
    t.eq([pins[k] for k in ("mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3")],
         [q[k].hex() for k in ("mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3")],
         "measurements.json pins the served MRTD and RTMRs")
    t.ok(isinstance(att["nvidia_payload"], str), "nvidia_payload is a JSON string by default")
    verify.verify_payload(att["nvidia_payload"], nonce, nv_root, pki.utcnow())
    t.ok(True, "nvidia_payload verifies to nvidia_test_root.pem with our nonce")
    t.eq(srv.json("GET", "/api/v1/tee/attestation?model=%s&nonce=%s" % (E2EE, nonce.hex()[:62])),
         (400, {"error": "Nonce must be exactly 32 bytes"}), "31-byte nonce: 400")
    t.eq(srv.json("GET", "/api/v1/tee/attestation?model=%s&nonce=%s" % (E2EE, "zz" * 32)),
         (400, {"error": "Nonce must be exactly 32 bytes"}), "64 non-hex chars: 400")
    t.eq(srv.json("GET", "/api/v1/tee/attestation?model=%s" % E2EE),
         (400, {"error": "Nonce must be exactly 32 bytes"}), "no nonce: 400")
    t.eq(srv.json("GET", "/api/v1/tee/attestation?nonce=" + nonce.hex()),
         (400, {"error": "Missing required parameter: model"}), "no model: 400")
    t.eq(srv.json("GET", "/api/v1/tee/attestation?model=nope&nonce=" + nonce.hex()),
         (404, {"error": "Model not found: nope"}), "unknown model: 404")
    t.eq(srv.json("GET", "/api/v1/tee/attestation?model=%s&nonce=%s" % (PLAIN, nonce.hex())),
         (400, {"error": "Model does not support TEE attestation: " + PLAIN}), "plain model: 400")


def key_address(att):
    return bytes.fromhex(att["signing_address"][2:])


def t_formats(t, srv):
    sgx_root, nv_root = roots(srv)
    nonce = os.urandom(32)
    decoders = {"hex0x": lambda s: bytes.fromhex(s[2:]), "base64": base64.b64decode,
                "base64url": lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))}
    for enc, dec in decoders.items():
        srv.control(quote_encoding=enc)
        att = sse_client.attest(srv, TEE, nonce)
        q = verify.verify_quote(dec(att["intel_quote"]), sgx_root, pki.utcnow())
        t.eq(q["reportdata"][32:], nonce, "quote_encoding %s serves a valid quote" % enc)
    srv.control(quote_encoding="hex", key_field="signing_public_key", key_form="128",
                nvidia_payload_form="object")
    att = sse_client.attest(srv, TEE, nonce)
    t.ok("signing_key" not in att and len(att["signing_public_key"]) == 128 and
         eth.address_of(bytes.fromhex("04" + att["signing_public_key"])) == att["signing_address"],
         "key_field signing_public_key, key_form 128")
    t.ok(isinstance(att["nvidia_payload"], dict) and
         verify.verify_payload(att["nvidia_payload"], nonce, nv_root, pki.utcnow()),
         "nvidia_payload_form object")
    srv.control(key_field="signing_key", key_form="130", nvidia_payload_form="string")


def _fault_attest(srv, fault, nonce):
    srv.control(faults=[fault])
    try:
        return sse_client.attest(srv, E2EE, nonce)
    finally:
        srv.control(clear_faults=True)


def t_attestation_faults(t, srv):
    sgx_root, nv_root = roots(srv)
    nonce = os.urandom(32)
    now = pki.utcnow()

    def quote(att):
        return bytes.fromhex(att["intel_quote"])

    att = _fault_attest(srv, "wrong-nonce", nonce)
    t.ok(att["nonce"] != nonce.hex() and verify.verify_quote(quote(att), sgx_root, now)
         ["reportdata"][32:] == nonce, "wrong-nonce: echo differs, quote still binds our nonce")
    t.ok(_fault_attest(srv, "wrong-model", nonce)["model"] != E2EE, "wrong-model: model differs")
    att = _fault_attest(srv, "debug-td", nonce)
    t.eq(verify.verify_quote(quote(att), sgx_root, now)["td_attributes"][0] & 1, 1,
         "debug-td: TDATTRIBUTES bit 0 set in a validly signed quote")
    att = _fault_attest(srv, "wrong-address", nonce)
    t.ok(att["signing_address"] != eth.address_of(bytes.fromhex(att["signing_key"])) and
         verify.parse_quote(quote(att))["reportdata"][:20].hex() ==
         eth.address_of(bytes.fromhex(att["signing_key"]))[2:],
         "wrong-address: signing_address is not the key's; REPORTDATA has the key's")
    rd = verify.parse_quote(quote(_fault_attest(srv, "reportdata-nonce", nonce)))["reportdata"]
    t.ok(rd[32:] != nonce and rd[32:] != hashlib.sha256(nonce.hex().encode()).digest(),
         "reportdata-nonce: REPORTDATA[32:64] is neither the nonce nor its SHA-256 fallback")
    att = _fault_attest(srv, "reportdata-address", nonce)
    rd = verify.parse_quote(quote(att))["reportdata"]
    t.ok(rd[:20] != key_address(att) and rd[32:] == nonce, "reportdata-address: other address")
    t.eq(_fault_attest(srv, "not-verified", nonce)["verified"], False, "not-verified: verified false")
    checks = {"bad-quote-signature": "quote signature", "bad-qe-signature": "QE report signature",
              "qe-reportdata": "QE report data", "foreign-root": "PCK chain: signature",
              "expired-pck": "PCK chain: validity"}
    for fault, check in checks.items():
        att = _fault_attest(srv, fault, nonce)
        t.raises(verify.VerifyError, lambda a=att: verify.verify_quote(quote(a), sgx_root, now),
                 "%s: the served quote fails '%s'" % (fault, check), lambda e, c=check: str(e) == c)
    for fault, check in (("nvidia-bad-signature", "evidence signature"),
                         ("nvidia-wrong-nonce", "evidence nonce")):
        att = _fault_attest(srv, fault, nonce)
        t.raises(verify.VerifyError,
                 lambda a=att: verify.verify_payload(a["nvidia_payload"], nonce, nv_root, now),
                 "%s: the served GPU evidence fails '%s'" % (fault, check), lambda e, c=check: str(e) == c)

# ---- chat -------------------------------------------------------------------------------------


def t_signature(t, srv):
    srv.control(chunks=4)
    session = sse_client.Session(srv, E2EE)
    res = session.chat([("user", "sign me")])
    sig = srv.json("GET", "/api/v1/tee/signature?model=%s&request_id=%s" % (E2EE, res.id))[1]
    t.eq(sig["text"], "%s:%s" % (hashlib.sha256(res.request_body).hexdigest(),
                                 hashlib.sha256(res.raw).hexdigest()),
         "signature text = sha256(request bytes):sha256(every SSE byte)")
    raw = bytes.fromhex(sig["signature"][2:])
    t.eq((sig["signing_address"], sig["signing_algo"], len(raw), raw[64] in (27, 28)),
         (session.address, "ecdsa", 65, True), "0x r||s||v (65 bytes, v 27/28), the attested address")
    t.eq(eth.recover_address(eth.eip191_hash(sig["text"]), raw), session.address,
         "the EIP-191 signature recovers to the attested signing_address")
    status, body = srv.json("POST", "/api/v1/chat/completions",
                            {"model": TEE, "messages": [{"role": "user", "content": "q"}]})
    tee_att = sse_client.attest(srv, TEE, os.urandom(32))
    srv.control(signature_text="model", signature_form="object")
    sig = srv.json("GET", "/api/v1/tee/signature?model=%s&request_id=%s" % (TEE, body["id"]))[1]
    value = bytes.fromhex(sig["signature"]["value"][2:])
    t.ok(sig["text"].startswith(TEE + ":") and sig["signature"]["algorithm"] == "ecdsa" and
         eth.recover_address(eth.eip191_hash(sig["text"]), value) == tee_att["signing_address"],
         "signature_text model and signature_form object (NEAR's forms) recover to the TEE model key")
    srv.control(signature_text="plain", signature_form="hex")
    t.eq(srv.json("GET", "/api/v1/tee/signature?model=%s&request_id=chatcmpl-nope" % E2EE),
         (404, {"error": "Request id not found: chatcmpl-nope"}), "unknown request id: 404")
    t.eq(srv.json("GET", "/api/v1/tee/signature?model=%s&request_id=%s" % (E2EE, body["id"])),
         (404, {"error": "Request id not found: %s" % body["id"]}), "another model's request id: 404")
    t.eq(srv.json("GET", "/api/v1/tee/signature?model=" + E2EE),
         (400, {"error": "Missing required parameter: request_id"}), "no request_id: 400")
    srv.control(chunks=8)


def t_aci(t, srv):
    """The ACI envelope beside the legacy fields, its faults, the native report, receipts."""
    from cryptography.hazmat.primitives.asymmetric import ed25519
    sgx_root, _ = roots(srv)
    nonce = os.urandom(32)
    att = sse_client.attest(srv, E2EE, nonce)
    ks = att["attestation"]["workload_keyset"]
    digest = sha256_tag(jcs(ks))
    t.eq((att["api_version"], att["workload_keyset_digest"], att["workload_id"]),
         ("aci/1", digest, sha256_tag(jcs(ks["workload_identity"]["public_key"]))),
         "ACI beside the legacy fields: the keyset digest and workload id recompute")
    ev = att["attestation"]["evidence"]
    t.eq((ev["quote"], ev["app_compose"], ev["event_log"], att["attestation"]["report_data"]),
         (att["intel_quote"], att["app_compose"], att["event_log"],
          verify.parse_quote(bytes.fromhex(att["intel_quote"]))["reportdata"].hex()),
         "the copies agree: quote, app_compose, event_log; report_data is the quote's REPORTDATA")
    t.ok({"algo": "secp256k1-aes-256-gcm-hkdf-sha256", "public_key": att["signing_key"]} in
         [{"algo": k["algo"], "public_key": k["public_key"]} for k in ks["e2ee_public_keys"]],
         "the E2EE key is one of the keyset's e2ee_public_keys")
    tcb = att["info"]["tcb_info"]
    t.eq((json.loads(att["vm_config"])["num_gpus"], tcb["app_compose"]), (0, att["app_compose"]),
         "vm_config says num_gpus 0; info.tcb_info carries app_compose too")
    srv.control(shape="aci", tcb_info_form="string")
    only = sse_client.attest(srv, E2EE, nonce)
    t.ok(not any(k in only for k in ("intel_quote", "signing_key", "app_compose", "info",
                                     "nvidia_payload")) and "attestation" in only,
         "shape aci: the ACI envelope alone")
    srv.control(shape="both")
    t.ok(isinstance(sse_client.attest(srv, E2EE, nonce)["info"]["tcb_info"], str),
         "tcb_info_form string: info.tcb_info is a JSON string")
    srv.control(tcb_info_form="object")
    for fault, check in (
            ("aci-quote-disagree", lambda a: a["attestation"]["evidence"]["quote"] != a["intel_quote"]),
            ("aci-compose-disagree",
             lambda a: a["attestation"]["evidence"]["app_compose"] != a["app_compose"]),
            ("aci-key-outside-keyset",
             lambda a: a["signing_key"] not in [k["public_key"] for k in
                                                a["attestation"]["workload_keyset"]["e2ee_public_keys"]]),
            ("aci-keyset-digest",
             lambda a: a["workload_keyset_digest"] != sha256_tag(jcs(a["attestation"]["workload_keyset"]))),
            ("no-gpu-evidence", lambda a: json.loads(a["nvidia_payload"])["evidence_list"] == []),
            ("rtmr3-mismatch", lambda a: replay_rtmr3(a["event_log"]) !=
             verify.parse_quote(bytes.fromhex(a["intel_quote"]))["rtmr3"])):
        srv.control(faults=[fault])
        t.ok(check(sse_client.attest(srv, E2EE, nonce)), "%s: served as documented" % fault)
    srv.control(clear_faults=True)
    # The operator's native report: public, bound to the statement with our nonce.
    before = srv.stats()
    status, native = srv.json("GET", "/v1/aci/attestation?nonce=" + nonce.hex(), key=False)
    q = verify.verify_quote(bytes.fromhex(native["attestation"]["evidence"]["quote"]), sgx_root,
                            pki.utcnow())
    statement = jcs({"purpose": "aci.report_data.v1", "workload_id": native["workload_id"],
                     "workload_keyset_digest": native["workload_keyset_digest"],
                     "nonce": nonce.hex()})
    t.eq((status, q["reportdata"]), (200, hashlib.sha256(statement.encode()).digest() + bytes(32)),
         "native report: its quote binds SHA-256(JCS(statement)) || zeros, without an API key")
    t.eq(native["workload_keyset_digest"], digest, "native report: the keyset Venice serves")
    after = srv.stats()
    t.eq((after["aci_reports_served"] - before["aci_reports_served"],
          after["aci_reports_with_authorization"]), (1, 0), "/__stats counts native reports")
    t.eq(srv.json("GET", "/v1/aci/attestation?nonce=AB", key=False)[0], 400, "a bad nonce: 400")
    srv.control(faults=["aci-native-binding"])
    q = verify.parse_quote(bytes.fromhex(srv.json("GET", "/v1/aci/attestation?nonce=" + nonce.hex(),
                                                  key=False)[1]["attestation"]["evidence"]["quote"]))
    t.ok(q["reportdata"][:32] != hashlib.sha256(statement.encode()).digest(),
         "aci-native-binding: the quote binds another statement")
    srv.control(faults=["aci-native-keyset"])
    t.ok(srv.json("GET", "/v1/aci/attestation?nonce=" + nonce.hex(),
                  key=False)[1]["workload_keyset_digest"] != digest,
         "aci-native-keyset: another keyset")
    srv.control(clear_faults=True)
    # Receipts: Ed25519 over the JCS form without signature.value, by the keyset's key.
    session = sse_client.Session(srv, E2EE)
    res = session.chat([("user", "receipt")])
    url = "/api/v1/tee/signature?model=%s&request_id=%s" % (E2EE, res.id)

    def receipt_ok(r, keyset):
        keys = {k["key_id"]: k for k in keyset["receipt_signing_keys"]}
        entry = keys.get(r["signature"]["key_id"])
        if entry is None:
            return False
        unsigned = dict(r, signature={k: v for k, v in r["signature"].items() if k != "value"})
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(entry["public_key"])).verify(
                bytes.fromhex(r["signature"]["value"]), jcs(unsigned).encode())
            return True
        except Exception:
            return False
    sig = srv.json("GET", url)[1]
    r = sig["receipt"]
    events = {e["type"]: e for e in r["event_log"]}
    t.ok(receipt_ok(r, ks) and r["workload_keyset_digest"] == digest and r["chat_id"] == res.id,
         "receipt: signed by the keyset's Ed25519 key, for this keyset and this chat")
    t.eq((events["request.received"]["body_hash"], events["response.returned"]["wire_hash"],
          events["upstream.verified"]["result"], len(events["upstream.verified"]["session_id"])),
         (sha256_tag(res.request_body.decode()), "sha256:" + hashlib.sha256(res.raw).hexdigest(),
          "verified", 64), "receipt: body hashes, upstream.verified with a session")
    for fault, check in (("receipt-forged", lambda x: not receipt_ok(x, ks)),
                         ("receipt-unknown-key", lambda x: not receipt_ok(x, ks)),
                         ("receipt-keyset", lambda x: x["workload_keyset_digest"] != digest and
                          receipt_ok(x, ks)),
                         ("upstream-unverified",
                          lambda x: [e for e in x["event_log"] if e["type"] == "upstream.verified"][0]
                          ["result"] == "failed" and receipt_ok(x, ks))):
        srv.control(faults=[fault])
        t.ok(check(srv.json("GET", url)[1]["receipt"]), "%s: served as documented" % fault)
    srv.control(clear_faults=True, signature_form="payload")
    sig = srv.json("GET", url)[1]
    t.ok("text" not in sig and eth.recover_address(
        eth.eip191_hash("%s:%s" % (sig["payload"]["request_hash"], sig["payload"]["response_hash"])),
        bytes.fromhex(sig["signature"][2:])) == session.address,
        "signature_form payload: no text; the signature covers request_hash:response_hash")
    srv.control(signature_form="hex", shape="legacy")
    t.ok("receipt" not in srv.json("GET", url)[1] and
         "attestation" not in sse_client.attest(srv, E2EE, nonce), "shape legacy: no ACI at all")
    srv.control(shape="both")
