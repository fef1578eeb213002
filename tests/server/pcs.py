#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""A local stand-in for Intel's PCS (v4) and a PCCS, for `p11tee collateral fetch`.

pcs.py --dir DIR (--collateral FILE | --state-dir SDIR [--issued-days-ago N])
       [--tls] [--fault NAME]... [--lifetime S]

It serves one collateral document (the dcap-qvl JSON shape: the real vector,
or one built from a reference server's test PKI in SDIR, issued N days ago,
valid 30 days) the way PCS and PCCS answer:
  /sgx/certification/v4/pckcrl?ca=CA&encoding=der  DER, SGX-PCK-CRL-Issuer-Chain header
  /sgx/certification/v4/rootcacrl                  the root CA CRL as hex (PCCS)
  /IntelSGXRootCA.der                              the root CA CRL as DER (Intel's CDP)
  /tdx/certification/v4/tcb?fmspc=F                {"tcbInfo": ..., "signature": ...},
                                                   TCB-Info-Issuer-Chain header; 404 for
                                                   another FMSPC
  /tdx/certification/v4/qe/identity                {"enclaveIdentity": ..., "signature": ...},
                                                   SGX-Enclave-Identity-Issuer-Chain header
Headers carry the PEM chains percent-encoded, as PCS does. Faults:
  tamper-tcb     one digit of the TCB info changed after signing
  wrong-fmspc    the TCB info is served for any FMSPC asked for
  no-chain       the TCB info answer lacks its issuer chain header
With --tls it serves HTTPS with a throwaway CA written to DIR/pcs-ca.pem.
It binds 127.0.0.1, writes its port to DIR/pcs.port and every request line
to DIR/pcs.log, and stops on SIGTERM, when its parent dies or after --lifetime.
"""
import argparse
import datetime
import http.server
import ipaddress
import json
import os
import signal
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

FAULTS = ("tamper-tcb", "wrong-fmspc", "no-chain")


def built_collateral(state_dir, days_ago):
    import collateral
    import pki
    import tdx
    store = pki.Store(os.path.join(state_dir, "pki"))
    with store.locked():
        tdx_pki = tdx.TdxPki(store)
    issue = pki.utcnow() - datetime.timedelta(days=days_ago)
    return collateral.build(tdx_pki, collateral.Options(issue_date=issue))


def tls_context(ca_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID
    import pki
    now = pki.utcnow()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = pki.make_cert(pki.name("p11tee TEST PCS CA"), ca_key, None, ca_key,
                       now - datetime.timedelta(days=1), now + datetime.timedelta(days=1),
                       ca_pathlen=0, is_ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                       x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    leaf = pki.make_cert(pki.name("127.0.0.1"), key, ca, ca_key,
                         now - datetime.timedelta(days=1), now + datetime.timedelta(days=1),
                         key_usage="leaf",
                         extra=[(san, False),
                                (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)])
    with open(ca_path, "wb") as f:
        f.write(pki.pem(ca))
    chain_path = ca_path + ".server"
    with open(chain_path, "wb") as f:
        f.write(pki.pem(leaf))
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(chain_path)
    os.unlink(chain_path)
    return ctx


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, code, ctype, body, headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        srv = self.server
        with srv.log_lock, open(srv.log_path, "a") as log:
            log.write("GET %s\n" % self.path)
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        doc, faults = srv.doc, srv.faults

        def chain(key):
            return urllib.parse.quote(doc[key], safe="")

        if url.path == "/sgx/certification/v4/pckcrl":
            self.send(200, "application/pkix-crl", bytes.fromhex(doc["pck_crl"]),
                      [("SGX-PCK-CRL-Issuer-Chain", chain("pck_crl_issuer_chain"))])
        elif url.path == "/sgx/certification/v4/rootcacrl":
            self.send(200, "text/plain", doc["root_ca_crl"].encode())
        elif url.path == "/IntelSGXRootCA.der":
            self.send(200, "application/pkix-crl", bytes.fromhex(doc["root_ca_crl"]))
        elif url.path == "/tdx/certification/v4/tcb":
            tcb = doc["tcb_info"]
            fmspc = json.loads(tcb)["fmspc"]
            if q.get("fmspc", "").upper() != fmspc.upper() and "wrong-fmspc" not in faults:
                self.send(404, "application/json", b'{"error": "no TCB info for this FMSPC"}')
                return
            if "tamper-tcb" in faults:
                tcb = tcb.replace('"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":18', 1)
            body = '{"tcbInfo":%s,"signature":"%s"}' % (tcb, doc["tcb_info_signature"])
            headers = [] if "no-chain" in faults else [
                ("TCB-Info-Issuer-Chain", chain("tcb_info_issuer_chain"))]
            self.send(200, "application/json", body.encode(), headers)
        elif url.path == "/tdx/certification/v4/qe/identity":
            body = '{"enclaveIdentity":%s,"signature":"%s"}' % (doc["qe_identity"],
                                                               doc["qe_identity_signature"])
            self.send(200, "application/json", body.encode(),
                      [("SGX-Enclave-Identity-Issuer-Chain", chain("qe_identity_issuer_chain"))])
        else:
            self.send(404, "application/json", b'{"error": "not found"}')


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    tls = None

    def get_request(self):
        sock, addr = super().get_request()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True)
        return sock, addr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--collateral")
    src.add_argument("--state-dir")
    ap.add_argument("--issued-days-ago", type=float, default=1)
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--fault", action="append", default=[], choices=FAULTS)
    ap.add_argument("--lifetime", type=float, default=300)
    a = ap.parse_args()
    if a.collateral:
        with open(a.collateral) as f:
            doc = json.load(f)
    else:
        doc = built_collateral(a.state_dir, a.issued_days_ago)
    srv = Server(("127.0.0.1", 0), Handler)
    srv.doc, srv.faults = doc, set(a.fault)
    srv.log_lock, srv.log_path = threading.Lock(), os.path.join(a.dir, "pcs.log")
    open(srv.log_path, "w").close()
    if a.tls:
        srv.tls = tls_context(os.path.join(a.dir, "pcs-ca.pem"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    parent = os.getppid()
    threading.Thread(target=srv.serve_forever, args=(0.1,), daemon=True).start()
    port = os.path.join(a.dir, "pcs.port")
    with open(port + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(port + ".tmp", port)
    deadline = time.monotonic() + a.lifetime
    while not stop.wait(0.2):
        if time.monotonic() > deadline or os.getppid() != parent:
            stop.set()
    srv.shutdown()
    os._exit(0)


if __name__ == "__main__":
    main()
