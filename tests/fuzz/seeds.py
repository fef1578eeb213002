#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""Seed corpora for the fuzz harnesses, made by the reference server's own
builders (tests/server): attestation responses, TDX quotes and collateral,
NVIDIA payloads and evidence, chat streams and chunks, model lists, response
signatures, envelopes, error bodies and the chat requests the gateway takes;
plus the real vectors when a vectors directory is given. Writes
OUT/<harness>/<name> files.

usage: seeds.py --out DIR [--vectors DIR]
"""

import argparse
import base64
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))

import aci  # noqa: E402
import attestation  # noqa: E402
import chat  # noqa: E402
import collateral  # noqa: E402
import ecies  # noqa: E402
import eth  # noqa: E402
import model  # noqa: E402
import nvidia  # noqa: E402
import tdx  # noqa: E402

# The nonce the attestation harness checks against (tests/fuzz/attestation.c).
NONCE = bytes(range(32))


class Corpus:
    def __init__(self, out):
        self.out = out
        self.count = 0

    def add(self, harness, name, data):
        if isinstance(data, str):
            data = data.encode()
        d = os.path.join(self.out, harness)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        self.count += 1


def dumps(obj):
    return json.dumps(obj, indent=1)


class FakeJob(chat.Job):
    """A chat that passed the server's checks, without an HTTP request."""

    def __init__(self, model_id, user_text, client_key):
        super().__init__(model.MODELS[model_id], True, [user_text], user_text, client_key)
        self.api_key_echo = "@K"  # tests/fuzz: fuzz_with_key() puts the API key here


def streams(c):
    client = eth.EthKey()
    pub = ecies.public_key(client.pub65)
    cases = [
        ("plain", "tee-llama-3-3-70b", "héllo wörld", None, (), 8),
        ("e2ee", "e2ee-qwen3-5-122b-a10b", "hello world", pub, (), 4),
        ("reasoning", "e2ee-qwen3-30b-thinking", "why?", pub, (), 3),
        ("tamper", "e2ee-qwen3-5-122b-a10b", "tamper me", pub, ("tamper-ciphertext",), 4),
        ("plaintext-chunk", "e2ee-qwen3-5-122b-a10b", "downgrade", pub, ("plaintext-chunk",), 4),
        ("stream-error", "e2ee-qwen3-5-122b-a10b", "rate me", pub, ("stream-error",), 4),
        ("drop", "tee-llama-3-3-70b", "cut short", None, ("drop-stream",), 6),
        ("emoji", "tee-llama-3-3-70b", "🙂 漢字 \u0000 \x1b[2J", None, (), 16),
    ]
    for name, mid, text, key, faults, n in cases:
        job = FakeJob(mid, text, key)
        body = b"".join(data for _kind, data in chat.events(job, n, faults))
        c.add("sse", name, body)
        c.add("chat", name, body)
        c.add("chat", name + "-crlf", body.replace(b"\n", b"\r\n"))
        for i, (_kind, data) in enumerate(chat.events(job, n, faults)):
            if data.startswith(b"data: {"):
                c.add("chunk", "%s-%02d" % (name, i), data[6:].strip())
        if key is not None:
            for i, (_kind, data) in enumerate(chat.events(job, n, ())):
                if b'"content":"' in data and i > 0:
                    env = json.loads(data[6:])["choices"][0]["delta"]["content"]
                    c.add("envelope", "%s-%02d" % (name, i), env)
                    c.add("codec", "envelope-%s-%02d" % (name, i), env)
    plain = FakeJob("tee-llama-3-3-70b", "whole answer", None)
    c.add("chunk", "completion", dumps(chat.completion(plain, 4)))
    for m, text in (("plain", "héllo wörld"), ("emoji", "🙂 漢字 \x1b]52;c;ZXZpbA==\x07")):
        thinking, content = model.answer(text, 7, True)
        c.add("text", m, "".join(thinking + content))


def listings(c):
    for mtype in ("text", "all", "image"):
        c.add("models", mtype, dumps(model.listing(mtype)))
    c.add("models", "e2ee-off", dumps(model.listing("all", e2ee_off=True)))
    c.add("models", "empty", dumps(model.listing("video")))


def evidence(c, ev):
    key = ev.enclave_key("e2ee-qwen3-5-122b-a10b")
    mid = "e2ee-qwen3-5-122b-a10b"
    forms = [("default", attestation.Formats()),
             ("base64-128-object", attestation.Formats("base64", "signing_public_key", "128",
                                                       "object")),
             ("hex0x", attestation.Formats("hex0x")),
             ("base64url", attestation.Formats("base64url"))]
    for name, fmt in forms:
        c.add("attestation", name, dumps(attestation.build(ev, mid, key, NONCE, (), fmt)))
    for fault in ("wrong-nonce", "debug-td", "wrong-address", "reportdata-nonce",
                  "bad-quote-signature", "foreign-root", "nvidia-wrong-nonce", "hostile-strings"):
        c.add("attestation", "fault-" + fault,
              dumps(attestation.build(ev, mid, key, NONCE, (fault,))))
    resp = attestation.build(ev, mid, key, NONCE)
    c.add("attestation", "near", dumps(attestation.near_wrap(ev, resp, NONCE)))
    resp["tee_provider"] = "echo @K @J"  # the API key echoed (fuzz_with_key)
    c.add("attestation", "key-echo", dumps(resp))

    rd = tdx.reportdata_for(key.address, NONCE)
    for faults in ((), ("debug-td",), ("bad-qe-signature",), ("qe-reportdata",),
                   ("expired-pck",)):
        quote = tdx.build_quote(ev.tdx, rd, faults)
        name = "-".join(faults) or "valid"
        c.add("quote", name, quote)
    quote = tdx.build_quote(ev.tdx, rd, (), pad=70)
    c.add("quote", "padded", quote)
    for enc in attestation.QUOTE_ENCODINGS:
        c.add("quote", "text-" + enc, attestation.encode_quote(quote, enc))
        c.add("codec", "quote-" + enc, attestation.encode_quote(quote, enc))

    # The collateral harness reads a quote, then the collateral after it.
    valid = tdx.build_quote(ev.tdx, rd, ())
    for name, opts in (("UpToDate", collateral.Options("UpToDate")),
                       ("OutOfDate", collateral.Options("OutOfDate")),
                       ("Revoked", collateral.Options("Revoked")),
                       ("revoked-pck", collateral.Options(revoke_pck=True)),
                       ("revoked-ca", collateral.Options(revoke_intermediate=True)),
                       ("qe-mismatch", collateral.Options(qe_identity_mismatch=True)),
                       ("bad-signature", collateral.Options(faults=("tcb-info-signature",)))):
        c.add("collateral", name, valid + dumps(collateral.build(ev.tdx, opts)).encode())

    for faults, gpus, trailing in (((), 1, False), (("nvidia-bad-signature",), 2, False),
                                   (("nvidia-wrong-nonce",), 1, True),
                                   (("nvidia-fwid-mismatch",), 1, False)):
        payload = nvidia.build_payload(ev.nv, NONCE, faults, gpus, trailing)
        name = "-".join(faults) or "valid"
        c.add("nvidia", "%s-%d" % (name, gpus), nvidia.payload_text(payload))
        c.add("spdm", "%s-%d" % (name, gpus), base64.b64decode(
            payload["evidence_list"][0]["evidence"]))

    text = "%s:%s" % (hashlib.sha256(b"request").hexdigest(),
                      hashlib.sha256(b"response").hexdigest())
    sig = key.personal_sign(text)
    for name, value in (("text", text), ("model-text", mid + ":" + text), ("signature", sig),
                        ("address", key.address), ("address-eip55", eth.checksum_address(
                            key.address))):
        c.add("eth", name, value)
    c.add("signature", "plain", dumps({"text": text, "signature": sig,
                                       "signing_address": key.address, "signing_algo": "ecdsa"}))
    c.add("signature", "model", dumps({"text": mid + ":" + text,
                                       "signature": key.personal_sign(mid + ":" + text),
                                       "signing_address": key.address}))
    c.add("signature", "object", dumps({"text": text, "signing_address": key.address,
                                        "signature": {"algorithm": "ecdsa", "value": sig,
                                                      "public_key": key.pub65.hex()}}))


def workload(c, ev):
    """The ACI envelope, its keyset in canonical JSON, the native report and the event log."""
    key = ev.enclave_key("e2ee-qwen3-5-122b-a10b")
    mid = "e2ee-qwen3-5-122b-a10b"
    ks = ev.keyset({mid: key})
    for shape in ("both", "aci"):
        fmt = attestation.Formats(shape=shape)
        c.add("aci", "response-" + shape, dumps(attestation.build(ev, mid, key, NONCE, (), fmt,
                                                                  ks)))
    for fault in aci.ACI_FAULTS:
        c.add("aci", "fault-" + fault, dumps(attestation.build(ev, mid, key, NONCE, (fault,),
                                                               None, ks)))
    for fault in ((), ("aci-native-keyset",), ("aci-native-binding",)):
        c.add("aci", "native-" + ("-".join(fault) or "valid"),
              dumps(attestation.native_report(ev, ks, NONCE.hex(), fault)))
    c.add("jcs", "keyset", dumps(ks))
    c.add("jcs", "keyset-canonical", aci.jcs(ks))
    c.add("jcs", "statement", aci.statement(ks, NONCE.hex()))
    c.add("jcs", "numbers", json.dumps([0, -0.0, 1e21, 1e-7, 5e-324, 1.7976931348623157e308,
                                        0.1, 123456789.125, 2 ** 53 + 1]))
    c.add("jcs", "strings", json.dumps({"\u20ac": "\U0001f600", "\x7f": "\u2028", "a": "\x00"}))
    log = tdx.event_log()
    c.add("eventlog", "valid", json.dumps(log))
    c.add("eventlog", "as-string", json.dumps(json.dumps(log)))
    other = hashlib.sha256(attestation.OTHER_COMPOSE.encode()).digest()
    c.add("eventlog", "rtmr3-mismatch", json.dumps(tdx.event_log(compose_hash=other)))


def errors(c):
    for status, msg in ((400, "E2EE requires streaming"), (400, chat.KEY_MISMATCH),
                        (404, "Model not found: x"), (401, "Authentication failed")):
        c.add("httperror", "%d-%s" % (status, hashlib.sha256(msg.encode()).hexdigest()[:8]),
              json.dumps({"error": msg}))
    c.add("httperror", "details", json.dumps({"error": {"message": "bad key @K", "type": "auth",
                                                        "details": {"seen": "@J", "x": ["@W"]}}}))


def requests(c):
    """Chat requests as OpenAI clients send them to p11tee serve, for each text model;
    the first byte tells tests/fuzz/gateway.c what the upstream says of the model."""
    shapes = (
        {"messages": [{"role": "user", "content": "hello"}], "stream": True},
        {"messages": [{"role": "system", "content": "be brief"},
                      {"role": "user", "content": [{"type": "text", "text": "hi"}]},
                      {"role": "assistant", "content": "hey", "reasoning_content": "hmm"},
                      {"role": "user", "content": "again"}],
         "stream": False, "n": 2, "temperature": 0.2, "max_tokens": 64, "seed": 7},
        {"messages": [{"role": "user", "content": "x"}], "stream": True,
         "stream_options": {"include_usage": True}, "tools": [], "tool_choice": None,
         "logprobs": False, "venice_parameters": {"include_venice_system_prompt": False}},
        {"messages": [{"role": "user", "content": "x"}], "stop": ["\n"],
         "response_format": {"type": "json_object"}},
    )
    for m in model.CATALOGUE:
        if m.type != "text":
            continue
        mode = b"\x02" if m.e2ee else b"\x01" if m.tee else b"\x00"
        for i, shape in enumerate(shapes):
            body = dict(shape, model=m.id)
            c.add("gateway", "%s-%d" % (m.id, i), mode + json.dumps(body).encode())


def vectors(c, vdir):
    tdx_dir = os.path.join(vdir, "tdx")
    nv_dir = os.path.join(vdir, "nvidia")
    for name in ("dcap-qvl_tdx_quote", "go-tdx-guest_quote_v5_sample.dat",
                 "trustee_tdx_quote_4_DEBUG.dat", "trustee_tdx_quote_6.dat",
                 "dcap-qvl_tdx-quote.hex"):
        path = os.path.join(tdx_dir, name)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                c.add("quote", "vector-" + name, f.read())
    path = os.path.join(tdx_dir, "dcap-qvl_tdx_quote_collateral.json")
    quote = os.path.join(tdx_dir, "dcap-qvl_tdx_quote")
    if os.path.isfile(path) and os.path.isfile(quote):
        with open(quote, "rb") as f:
            q = f.read()
        with open(path, "rb") as f:
            c.add("collateral", "vector-dcap-qvl", q + f.read())
    report = os.path.join(nv_dir, "nvtrust_hopperAttestationReport.txt")
    chain = os.path.join(nv_dir, "nvtrust_hopperCertChain.txt")
    if os.path.isfile(report) and os.path.isfile(chain):
        with open(report) as f:
            raw = bytes.fromhex(f.read().strip())
        with open(chain, "rb") as f:
            pem = f.read()
        c.add("spdm", "vector-nvtrust-hopper", raw)
        nonce = raw[4:36].hex()
        c.add("nvidia", "vector-nvtrust-hopper", json.dumps({
            "nonce": nonce, "arch": "HOPPER",
            "evidence_list": [{"evidence": base64.b64encode(raw).decode(),
                               "certificate": base64.b64encode(pem).decode(),
                               "arch": "HOPPER"}]}))


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--vectors")
    args = p.parse_args()
    c = Corpus(args.out)
    streams(c)
    listings(c)
    ev = attestation.Evidence()
    evidence(c, ev)
    workload(c, ev)
    errors(c)
    requests(c)
    if args.vectors and os.path.isdir(args.vectors):
        vectors(c, args.vectors)
    print("seeds.py: %d seeds in %s" % (c.count, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
