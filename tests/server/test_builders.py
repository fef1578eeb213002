#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""Offline self-test of the reference server's pieces (TAP): Keccak-256 and
EIP-191 known answers, the ECIES interop tool, and the evidence builders
(build-quote with collateral, build-nvidia, dump-attestation), each output
parsed back per PROTOCOL.md sections 6 and 7 and verified with cryptography."""

import base64
import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys

# No __pycache__ in the source tree (it may be read-only, as in distcheck).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import taplib  # noqa: E402

taplib.require_cryptography()

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

import eth  # noqa: E402
import keccak  # noqa: E402
import pki  # noqa: E402
import venice_ref  # noqa: E402
import verify  # noqa: E402
from verify import VerifyError  # noqa: E402

WORK = taplib.tmpdir()
NONCE = bytes(range(0xA0, 0xC0))
ADDRESS = "0x" + "5a" * 20


def path(name):
    return os.path.join(WORK, name)


def cli(*argv):
    """venice_ref.py ARGV in this process: (exit status, stderr text)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            status = venice_ref.main([str(a) for a in argv])
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 2
    return status, err.getvalue()


def load_cert(name):
    with open(path(name), "rb") as fh:
        return x509.load_pem_x509_certificate(fh.read())


def read(name, mode="rb"):
    with open(path(name), mode) as fh:
        return fh.read()

# ---- Keccak and Ethereum ---------------------------------------------------------


def t_keccak(t):
    t.eq(keccak.keccak256(b"").hex(),
         "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470", "keccak256('')")
    t.eq(keccak.keccak256(b"abc").hex(),
         "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45", "keccak256('abc')")
    t.eq(keccak.keccak256(b"The quick brown fox jumps over the lazy dog").hex(),
         "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15", "keccak256(fox)")
    t.ok(keccak.keccak256(b"abc") != hashlib.sha3_256(b"abc").digest(),
         "Keccak-256 differs from SHA3-256 (padding)")
    # Lengths around the 136-byte rate: padding in one block, across blocks, several blocks.
    lengths = (0, 1, 2, 31, 32, 33, 64, 134, 135, 136, 137, 200, 270, 271, 272, 273, 1000, 4099)
    bad = [n for n in lengths if keccak.sponge(bytes(i % 251 for i in range(n)), 136, 0x06, 32)
           != hashlib.sha3_256(bytes(i % 251 for i in range(n))).digest()]
    t.eq(bad, [], "the permutation with SHA-3 padding equals hashlib.sha3_256 at %d lengths "
         "from 0 to 4099 bytes" % len(lengths))


def t_eth(t):
    t.eq(eth.checksum_address(eth.EthKey.from_int(1).address),
         "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf", "address of private key 1")
    t.eq(eth.checksum_address(eth.EthKey.from_int(2).address),
         "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF", "address of private key 2")
    t.eq(eth.eip191_hash("Hello World").hex(),
         "a1de988600a42c4b4ab089b619297c17d53cffae5d5120d82d8a92d0bb3b78f2",
         "EIP-191 hash of 'Hello World' (ethers hashMessage)")
    # viem's documented signMessage('hello world') by the well-known test account #0.
    sig = bytes.fromhex("a461f509887bd19e312c0c58467ce8ff8e300d3c1a90b608a760c5b80318eaf1"
                        "5fe57c96f9175d6cd4daad4663763baa7e78836e067d0163e9a2ccf2ff753f5b1b")
    t.eq(eth.recover_address(eth.eip191_hash("hello world"), sig),
         "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", "ecrecover of a published EIP-191 signature")
    key = eth.EthKey()
    good = True
    for i in range(8):
        text = "%064x:%064x" % (i, i * 7)
        raw = bytes.fromhex(key.personal_sign(text)[2:])
        s = int.from_bytes(raw[32:64], "big")
        good &= (raw[64] in (27, 28) and s <= eth.N // 2 and
                 eth.recover_address(eth.eip191_hash(text), raw) == key.address)
    t.ok(good, "personal_sign: low s, v 27/28, recovers to the signer (8 texts)")
    t.eq(eth.recover_address(eth.eip191_hash("other"), raw) == key.address, False,
         "a signature does not recover to the signer for another text")

# ---- ECIES interop tool ------------------------------------------------------------


class Tool:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, taplib.SERVER, "ecies"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)

    def __call__(self, **req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        return self.proc.wait(30)


def t_ecies(t):
    tool = Tool()
    k = tool(op="keygen", id=7)
    t.ok(len(k["priv"]) == 64 and len(k["pub"]) == 130 and k["pub"].startswith("04") and k["id"] == 7,
         "keygen: 32-byte private key, 65-byte public key, id echoed")
    messages = [b"", "héllo wörld — ünïcödé 😀 中文".encode(), os.urandom(1 << 20)]
    messages += [os.urandom(i % 97) for i in range(497)]
    wrong = []
    for i, msg in enumerate(messages):
        env = tool(op="seal", to=k["pub"], plaintext=msg.hex())["envelope"]
        if len(env) != 2 * (93 + len(msg)) or env != env.lower() or \
                tool(op="open", priv=k["priv"], envelope=env).get("plaintext") != msg.hex():
            wrong.append(i)
    t.eq(wrong, [], "500 messages (empty, UTF-8, 1 MiB, random) seal and open to the same bytes")
    env = tool(op="seal", to=k["pub"][2:], plaintext="00")["envelope"]
    t.eq(tool(op="open", priv=k["priv"], envelope=env)["plaintext"], "00",
         "seal accepts a 128-char key (04 implied)")
    other = tool(op="keygen")
    flipped = env[:160] + ("1" if env[160] == "0" else "0") + env[161:]
    cases = [(flipped, "bad-tag", "a flipped ciphertext byte"),
             (env[:-1], "odd-length", "odd-length hex"),
             (env[:-2] + "zz", "not-hex", "non-hex characters"),
             (env[:184], "too-short", "92 bytes"),
             ("05" + env[2:], "bad-ephemeral-key", "an ephemeral key not starting 04"),
             (env[:2] + "ff" * 64 + env[130:], "bad-ephemeral-key", "an off-curve ephemeral key")]
    for envelope, name, what in cases:
        t.eq(tool(op="open", priv=k["priv"], envelope=envelope), {"error": name},
             "open refuses %s with %s" % (what, name))
    t.eq(tool(op="open", priv=other["priv"], envelope=env), {"error": "bad-tag"},
         "open with another key fails with bad-tag")
    t.eq(tool(op="seal", to="05" + k["pub"][2:], plaintext=""), {"error": "bad-public-key"},
         "seal refuses a bad recipient key")
    t.eq(tool(op="open", priv="00" * 32, envelope=env), {"error": "bad-private-key"},
         "open refuses a zero private key")
    t.eq(tool(op="frobnicate")["error"], "bad-request", "an unknown op is a bad-request")
    t.eq(tool(op="seal", to=k["pub"])["error"], "bad-request", "a missing field is a bad-request")
    t.eq(tool.close(), 0, "the tool exits 0 at end of input")

# ---- build-quote and collateral ------------------------------------------------------


def _quote(name, *extra):
    status, err = cli("build-quote", "--out", path(name), "--address", ADDRESS, "--nonce",
                      NONCE.hex(), "--state-dir", path("state"), *extra)
    if status != 0:
        raise RuntimeError("build-quote failed: %s" % err)
    return read(name)


def t_build_quote(t):
    q = _quote("q.bin", "--root-out", path("root.pem"), "--info-out", path("info.json"),
               "--chain-out", path("chain.pem"), "--pad", 70)
    root = load_cert("root.pem")
    p = verify.verify_quote(q, root, pki.utcnow())
    t.ok(True, "quote verifies: signature, QE signature, QE report data, chain to --root-out")
    t.eq((p["version"], len(p["signed"]), p["trailing"]), (4, 632, 70), "v4, 48+584 signed bytes, 70 B pad")
    t.eq(p["reportdata"], bytes.fromhex(ADDRESS[2:]) + bytes(12) + NONCE,
         "REPORTDATA = address || 12 zero bytes || nonce")
    t.eq(p["td_attributes"][0] & 1, 0, "TDATTRIBUTES DEBUG bit clear")
    t.ok("TEST" in root.subject.rfc4514_string(), "the root's subject says TEST")
    t.eq(p["pck_certs"][1].subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value,
         "Intel SGX PCK Platform CA", "the intermediate is named Intel SGX PCK Platform CA")
    t.ok(p["pck_chain_pem"].endswith(b"\x00"), "the PEM chain ends with a NUL byte")
    info = json.loads(read("info.json"))
    t.eq([info[k] for k in ("mrtd", "rtmr0", "rtmr3", "mrconfigid", "reportdata")],
         [p[k].hex() for k in ("mrtd", "rtmr0", "rtmr3", "mrconfigid", "reportdata")],
         "--info-out matches the quote's measurements")
    t.eq(info["attestation_key"], p["attestation_key"].hex(), "--info-out attestation key")
    measurements = json.loads(read("state/measurements.json"))
    t.eq(measurements["mrtd"], p["mrtd"].hex(), "state dir measurements.json has the quote's MRTD")
    compose = read("state/app_compose.json")
    t.eq(p["mrconfigid"], b"\x01" + hashlib.sha256(compose).digest() + bytes(15),
         "MRCONFIGID = 01 || SHA-256(app_compose) || zeros")
    t.eq(load_cert("state/sgx_test_root.pem").fingerprint(hashes.SHA256()),
         root.fingerprint(hashes.SHA256()), "the state dir keeps one PKI across runs")
    t_sgx_extension(t, p["pck_certs"][0])
    t_quote_faults(t, root)
    t_encodings(t, q)


def t_sgx_extension(t, leaf):
    ext = leaf.extensions.get_extension_for_oid(x509.ObjectIdentifier("1.2.840.113741.1.13.1"))
    der = ext.value.value
    # SEQUENCE { OID 1.2.840.113741.1.13.1.4, OCTET STRING(6) FMSPC }
    fmspc = bytes.fromhex("060a2a864886f84d010d0104" "0406" "90c06f000000")
    t.ok(fmspc in der, "PCK leaf SGX extension carries FMSPC 90C06F000000")
    t.ok(bytes.fromhex("060a2a864886f84d010d01030402") + bytes(2) in der, "... and PCE-ID 0000")


def t_quote_faults(t, root):
    want = {"bad-quote-signature": "quote signature", "bad-qe-signature": "QE report signature",
            "qe-reportdata": "QE report data", "foreign-root": "PCK chain: signature",
            "expired-pck": "PCK chain: validity"}
    for fault, check in want.items():
        q = _quote("f.bin", "--fault", fault)
        t.raises(VerifyError, lambda: verify.verify_quote(q, root, pki.utcnow()),
                 "build-quote --fault %s fails exactly '%s'" % (fault, check),
                 lambda e, c=check: str(e) == c)
    p = verify.verify_quote(_quote("d.bin", "--fault", "debug-td"), root, pki.utcnow())
    t.eq(p["td_attributes"][0] & 1, 1, "--fault debug-td: DEBUG bit set, still correctly signed")


def t_encodings(t, raw):
    raw = raw[:-70]
    for enc, decode in (("hex", bytes.fromhex), ("hex0x", lambda s: bytes.fromhex(s[2:])),
                        ("base64", base64.b64decode),
                        ("base64url", lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))):
        text = _quote("e.txt", "--encoding", enc).decode()
        data = decode(text)
        t.ok(len(data) == len(raw) and data[:48] == raw[:48] and verify.parse_quote(data),
             "--encoding %s decodes to a v4 quote" % enc)
    t.ok("=" not in _quote("e.txt", "--encoding", "base64url").decode(), "base64url has no padding")
    status, err = cli("build-quote", "--out", path("x"), "--reportdata", "12")
    t.ok(status == 2 and "128 hex chars" in err, "a short --reportdata is a usage error (2)")


def _verify_signed_json(text, sig_hex, chain_pem, root):
    certs = pki.split_pem_chain(chain_pem)
    verify.verify_chain(certs[:1], root, pki.utcnow(), "TCB signing chain")
    certs[0].public_key().verify(pki.der_signature(bytes.fromhex(sig_hex)), text.encode(),
                                 ec.ECDSA(hashes.SHA256()))
    return json.loads(text)


def _collateral(*knobs):
    _quote("c.bin", "--collateral-out", path("c.json"), *knobs)
    return json.loads(read("c.json"))


def _crl(doc, key):
    return x509.load_der_x509_crl(bytes.fromhex(doc[key]))


def t_collateral(t):
    root = load_cert("state/sgx_test_root.pem")
    doc = _collateral()
    vector = os.path.join(os.environ.get("P11TEE_VECTORS", ""), "tdx/dcap-qvl_tdx_quote_collateral.json")
    if os.path.exists(vector):
        with open(vector) as fh:
            t.eq(sorted(doc), sorted(json.load(fh)), "collateral has the keys of the real vector")
    else:
        t.ok(True, "collateral has the keys of the real vector # SKIP vectors absent")
    tcb = _verify_signed_json(doc["tcb_info"], doc["tcb_info_signature"],
                              doc["tcb_info_issuer_chain"], root)
    qe = _verify_signed_json(doc["qe_identity"], doc["qe_identity_signature"],
                             doc["qe_identity_issuer_chain"], root)
    t.ok(True, "TCB info and QE identity signatures verify under the test root")
    t.eq((tcb["id"], tcb["fmspc"], tcb["tcbLevels"][0]["tcbStatus"]), ("TDX", "90C06F000000", "UpToDate"),
         "TCB info: TDX, FMSPC of the PCK leaf, matching level UpToDate")
    q = verify.parse_quote(read("c.bin"))
    t.eq([c["svn"] for c in tcb["tcbLevels"][0]["tcb"]["tdxtcbcomponents"]], list(q["tee_tcb_svn"]),
         "the matching level's TDX components equal the quote's TEE_TCB_SVN")
    t.eq(qe["mrsigner"], q["qe_report"][128:160].hex().upper(), "QE identity mrsigner = QE report's")
    pck_crl, root_crl = _crl(doc, "pck_crl"), _crl(doc, "root_ca_crl")
    ca = pki.split_pem_chain(doc["pck_crl_issuer_chain"])[0]
    t.ok(pck_crl.is_signature_valid(ca.public_key()) and root_crl.is_signature_valid(root.public_key()),
         "both CRLs are signed by their issuers")
    leaf = verify.parse_quote(read("c.bin"))
    leaf_serial = pki.split_pem_chain(leaf["pck_chain_pem"])[0].serial_number
    t.eq(pck_crl.get_revoked_certificate_by_serial_number(leaf_serial), None,
         "PCK leaf not revoked by default")
    doc = _collateral("--revoke-pck", "--revoke-intermediate", "--tcb-status", "OutOfDate",
                      "--qe-identity-mismatch", "--issue-date", "2031-01-01T00:00:00Z",
                      "--next-update", "2031-02-01T00:00:00Z")
    t.ok(_crl(doc, "pck_crl").get_revoked_certificate_by_serial_number(leaf_serial) is not None,
         "--revoke-pck lists the PCK leaf serial")
    t.ok(_crl(doc, "root_ca_crl").get_revoked_certificate_by_serial_number(ca.serial_number) is not None,
         "--revoke-intermediate lists the intermediate serial")
    tcb, qe = json.loads(doc["tcb_info"]), json.loads(doc["qe_identity"])
    t.eq(tcb["tcbLevels"][0]["tcbStatus"], "OutOfDate", "--tcb-status sets the matching level")
    t.ok(qe["mrsigner"] != q["qe_report"][128:160].hex().upper(), "--qe-identity-mismatch")
    t.eq((tcb["issueDate"], tcb["nextUpdate"], qe["nextUpdate"]),
         ("2031-01-01T00:00:00Z", "2031-02-01T00:00:00Z", "2031-02-01T00:00:00Z"),
         "--issue-date / --next-update")
    for fault, key in (("tcb-info-signature", "tcb_info"), ("qe-identity-signature", "qe_identity")):
        doc = _collateral("--collateral-fault", fault)
        t.raises(Exception, lambda d=doc, k=key: _verify_signed_json(
            d[k], d[k + "_signature"], d[k + "_issuer_chain"], root),
            "--collateral-fault %s breaks that signature only" % fault)

# ---- build-nvidia and dump-attestation --------------------------------------------------


def t_build_nvidia(t):
    status, err = cli("build-nvidia", "--out", path("p.json"), "--nonce", NONCE.hex(),
                      "--root-out", path("nvroot.pem"), "--evidence-out", path("ev.bin"),
                      "--chain-out", path("nvchain.pem"), "--gpus", 2, "--state-dir", path("state"))
    t.eq(status, 0, "build-nvidia exits 0")
    root = load_cert("nvroot.pem")
    payload = json.loads(read("p.json"))
    parsed = verify.verify_payload(payload, NONCE, root, pki.utcnow())
    t.eq(len(parsed), 2, "two GPUs: nonce, signature, 5-cert chain and FWID verify for each")
    t.ok("TEST" in root.subject.rfc4514_string() and "NVIDIA Device Identity CA" in
         root.subject.rfc4514_string(), "the NVIDIA test root says TEST and NVIDIA Device Identity CA")
    ev = read("ev.bin")
    t.eq((len(ev), len(parsed[0]["blocks"]), parsed[0]["trailing"]), (4117, 64, 0),
         "evidence: 4117 bytes, 64 measurement blocks, no trailing byte")
    t.eq(parsed[0]["blocks"][1], hashlib.sha384(b"p11tee TEST GPU measurement 1").digest(),
         "measurement block 1 is the documented value")
    t.eq(pki.der(pki.split_pem_chain(read("nvchain.pem"))[0]),
         pki.der(pki.split_pem_chain(base64.b64decode(payload["evidence_list"][0]["certificate"]))[0]),
         "--chain-out is GPU 0's chain")
    want = {"nvidia-bad-signature": "evidence signature", "nvidia-wrong-nonce": "evidence nonce",
            "nvidia-fwid-mismatch": "FWID"}
    for fault, check in want.items():
        cli("build-nvidia", "--out", path("f.json"), "--nonce", NONCE.hex(), "--fault", fault,
            "--state-dir", path("state"))
        t.raises(VerifyError, lambda: verify.verify_payload(json.loads(read("f.json")), NONCE, root,
                                                            pki.utcnow()),
                 "build-nvidia --fault %s fails exactly '%s'" % (fault, check),
                 lambda e, c=check: str(e) == c)
    cli("build-nvidia", "--out", path("tb.json"), "--nonce", NONCE.hex(), "--trailing-byte",
        "--state-dir", path("state"))
    parsed = verify.verify_payload(json.loads(read("tb.json")), NONCE, root, pki.utcnow())
    t.eq(parsed[0]["trailing"], 1, "--trailing-byte: one byte after the signature, still verifies")


def t_dump(t):
    status, _err = cli("dump-attestation", "--model", "e2ee-qwen3-5-122b-a10b", "--nonce", NONCE.hex(),
                       "--wrapper", "near", "--out", path("d.json"), "--state-dir", path("state"),
                       "--key-field", "signing_public_key", "--key-form", "128",
                       "--nvidia-payload-form", "object", "--quote-encoding", "base64")
    doc = json.loads(read("d.json"))
    t.eq((status, sorted(doc)), (0, ["gateway_attestation", "model_attestations"]),
         "dump-attestation --wrapper near: gateway_attestation and model_attestations[]")
    att = doc["model_attestations"][0]
    key = bytes.fromhex("04" + att["signing_public_key"])
    t.eq((att["model"], att["nonce"], len(att["signing_public_key"]), eth.address_of(key)),
         ("e2ee-qwen3-5-122b-a10b", NONCE.hex(), 128, att["signing_address"]),
         "model entry: model, nonce, 128-char signing_public_key, matching address")
    q = verify.verify_quote(base64.b64decode(att["intel_quote"]),
                            load_cert("state/sgx_test_root.pem"), pki.utcnow())
    t.eq(q["reportdata"], bytes.fromhex(att["signing_address"][2:]) + bytes(12) + NONCE,
         "its quote verifies to the state dir root and binds address and nonce")
    verify.verify_payload(att["nvidia_payload"], NONCE, load_cert("state/nvidia_test_root.pem"),
                          pki.utcnow())
    t.ok(isinstance(att["nvidia_payload"], dict), "nvidia_payload object form verifies")
    again = json.loads(subprocess.run(
        [sys.executable, taplib.SERVER, "dump-attestation", "--model", "e2ee-qwen3-5-122b-a10b",
         "--nonce", NONCE.hex(), "--fault", "wrong-nonce", "--state-dir", path("state")],
        stdout=subprocess.PIPE, check=True).stdout)
    t.eq(again["signing_address"], att["signing_address"], "the state dir keeps the model's enclave key")
    t.ok(again["nonce"] != NONCE.hex() and "intel_quote" in again and "signing_key" in again,
         "dump-attestation --fault wrong-nonce (subprocess, stdout) echoes another nonce")


def t_dump_native(t):
    """--native-out: the operator's native report for the same keyset and nonce."""
    def tagged(obj):
        text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    def dump(*extra):
        status, _err = cli("dump-attestation", "--model", "e2ee-qwen3-5-122b-a10b", "--nonce",
                           NONCE.hex(), "--out", path("m.json"), "--native-out", path("n.json"),
                           "--state-dir", path("state"), *extra)
        return status, json.loads(read("m.json")), json.loads(read("n.json"))

    status, att, native = dump()
    keyset = native["attestation"]["workload_keyset"]
    t.eq((status, keyset), (0, att["attestation"]["workload_keyset"]),
         "dump-attestation --native-out: the native report serves the model's keyset")
    statement = {"purpose": "aci.report_data.v1",
                 "workload_id": tagged(keyset["workload_identity"]["public_key"]),
                 "workload_keyset_digest": tagged(keyset), "nonce": NONCE.hex()}
    want = hashlib.sha256(json.dumps(statement, sort_keys=True, separators=(",", ":"))
                          .encode()).digest() + bytes(32)
    q = verify.verify_quote(bytes.fromhex(native["attestation"]["evidence"]["quote"]),
                            load_cert("state/sgx_test_root.pem"), pki.utcnow())
    t.eq(q["reportdata"], want,
         "its quote verifies and binds SHA-256(JCS(the ACI statement with our nonce)) || zeros")
    t.eq(native["workload_keyset_digest"], tagged(keyset), "its digest is the keyset's")
    _s, _a, bad = dump("--native-fault", "aci-native-binding")
    q = verify.verify_quote(bytes.fromhex(bad["attestation"]["evidence"]["quote"]),
                            load_cert("state/sgx_test_root.pem"), pki.utcnow())
    t.ok(q["reportdata"] != want, "--native-fault aci-native-binding: another nonce is bound")
    _s, _a, other = dump("--native-fault", "aci-native-keyset")
    t.ok(other["attestation"]["workload_keyset"] != keyset,
         "--native-fault aci-native-keyset: another keyset")


def main():
    t = taplib.Tap()
    try:
        for group in (t_keccak, t_eth, t_ecies, t_build_quote, t_collateral, t_build_nvidia, t_dump,
                      t_dump_native):
            t.run(group)
    finally:
        taplib.cleanup(WORK)
    t.done()


if __name__ == "__main__":
    main()
