#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""Local fixture server for the src/net transfer tests.

Modes:
  http    an HTTP/1.1 server with the routes below
  tls     the same over TLS, with a throwaway CA made by `cryptography`
          (the CA certificate is written to DIR/NAME-ca.pem)
  proxy   a forward proxy (absolute-form requests and CONNECT tunnels) that
          records what it forwarded in DIR/NAME.log and the raw tunnelled
          client bytes in DIR/NAME.tunnel
  silent  accepts connections and never answers (a stalled TLS handshake)

It binds 127.0.0.1 on a free port, writes the port to DIR/NAME.port once it
serves, and stops on SIGTERM, when its parent dies, or after --lifetime s.

Routes (http and tls):
  /echo                  200 JSON: method, path, request headers, body
  /json                  200 {"ok": true}
  /status/CODE?form=F    error CODE with body form F: string, object, details,
                         html, empty, big, echo-key
  /big?n=N               200 with N bytes
  /stream?n=N&token=T    chunked SSE; after event k waits for /ack?token=T&k=k
                         (up to 5 s, else sends "data: late"), ends with [DONE]
  /ack?token=T&k=K       acknowledges event K of stream T
  /stall                 one SSE event, then silence
  /drip?ms=M             a comment line every M ms, for up to 30 s
  /peer?ms=M             after M ms, the client's port: which connection a request used
  /drop                  Content-Length 1000, 100 bytes sent, connection closed
  /drop-chunked          one chunk of an SSE stream, then the connection closes
  /big-header?n=N        200 with one response header of N bytes
  /many-headers?n=N      200 with N response headers of 1 KiB each
  /echo-key-header       200 whose X-Venice-Echo and X-Request-Id headers echo the
                         API key, spaced out and JSON-escaped
"""
import argparse
import datetime
import http.server
import ipaddress
import json
import os
import select
import signal
import socket
import socketserver
import ssl
import sys
import tempfile
import threading
import time
import urllib.parse

STOP = threading.Event()
ACKS = {}
ACK_COND = threading.Condition()


def make_tls_context(ca_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "p11tee net test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    with open(ca_path + ".tmp", "wb") as f:
        f.write(ca.public_bytes(pem))
    os.rename(ca_path + ".tmp", ca_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as d:
        cert_file, key_file = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        with open(cert_file, "wb") as f:
            f.write(leaf.public_bytes(pem))
        with open(key_file, "wb") as f:
            f.write(
                key.private_bytes(
                    pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
        ctx.load_cert_chain(cert_file, key_file)
    return ctx


ERROR_BODIES = {
    "string": ("application/json", b'{"error": "E2EE requires streaming"}'),
    "object": (
        "application/json",
        b'{"error": {"message": "Invalid public key", "type": "invalid_request_error"},'
        b' "details": {"field": "X-Venice-TEE-Client-Pub-Key"}}',
    ),
    "details": (
        "application/json",
        b'{"error": "Internal failure", "details": {"trace": "abc123", "retry": false}}',
    ),
    "html": ("text/html", b"<html>\r\n<body>Bad   gateway</body>\n</html>\x01\x7f\xc3\xa9"),
    "empty": ("application/json", b""),
    "big": ("text/plain", b"overload " * 200000),
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def do_PUT(self):
        self.route()

    def send(self, code, ctype, body, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Request-Id", "req-42")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def start_chunked(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def route(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        path = url.path
        if path == "/echo":
            out = {
                "method": self.command,
                "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body": body.decode("utf-8", "replace"),
            }
            self.send(200, "application/json", json.dumps(out).encode())
        elif path == "/json":
            self.send(200, "application/json; charset=utf-8", b'{"ok": true}')
        elif path == "/headers":
            # ?NAME=VALUE...: each sent as a response header ("@N" stands for N times "a").
            extra = [(k, "a" * int(v[1:]) if v.startswith("@") else v) for k, v in q.items()]
            self.send(200, "application/json", b'{"ok": true}', extra)
        elif path.startswith("/status/"):
            self.error_reply(int(path[len("/status/"):]), q.get("form", "string"))
        elif path == "/big":
            self.send(200, "application/octet-stream", b"a" * int(q["n"]))
        elif path == "/stream":
            self.stream(int(q.get("n", "3")), q.get("token"))
        elif path == "/peer":
            # The client's port, after `ms`: which connection a request came on.
            time.sleep(int(q.get("ms", "0")) / 1000.0)
            self.send(200, "text/plain", b"%d" % self.client_address[1])
        elif path == "/ack":
            with ACK_COND:
                token = q["token"]
                ACKS[token] = max(ACKS.get(token, 0), int(q["k"]))
                ACK_COND.notify_all()
            self.send(200, "text/plain", b"ok")
        elif path == "/stall":
            self.start_chunked()
            self.chunk(b"data: first\n\n")
            STOP.wait(30)
        elif path == "/drip":
            self.start_chunked()
            for _ in range(int(30000 / int(q.get("ms", "50")))):
                self.chunk(b": tick\n")
                if STOP.wait(int(q.get("ms", "50")) / 1000.0):
                    break
        elif path == "/drop":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 100)
            self.close_connection = True
        elif path in ("/big-header", "/many-headers", "/echo-key-header"):
            self.header_reply(path, int(q.get("n", "0")))
        elif path == "/drop-chunked":
            self.start_chunked()
            self.chunk(b'data: {"k": 1}\n\n')
            self.close_connection = True
        else:
            self.send(404, "application/json", b'{"error": "no such route"}')

    def header_reply(self, path, n):
        self.send_response(200)
        if path == "/big-header":
            self.send_header("X-Big", "a" * n)
        elif path == "/many-headers":
            for i in range(n):
                self.send_header("X-Many-%d" % i, "m" * 1024)
        else:
            key = self.headers.get("Authorization", "")[len("Bearer "):]
            self.send_header("X-Venice-Echo", " ".join(key))
            self.send_header("X-Request-Id", key.replace("/", "\\/"))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def error_reply(self, code, form):
        if form == "echo-key":
            auth = self.headers.get("Authorization", "")
            key = auth[len("Bearer "):]
            body = json.dumps({"error": "invalid key " + key, "details": {"key": key}}).encode()
            ctype = "application/json"
        else:
            ctype, body = ERROR_BODIES[form]
        self.send(code, ctype, body)

    def stream(self, n, token):
        self.start_chunked()
        for k in range(1, n + 1):
            self.chunk(b'data: {"k": %d}\n\n' % k)
            if token:
                with ACK_COND:
                    acked = ACK_COND.wait_for(lambda: ACKS.get(token, 0) >= k, timeout=5)
                if not acked:
                    self.chunk(b"data: late\n\n")
        self.chunk(b"data: [DONE]\n\n")
        self.chunk(b"")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    tls = None

    def handle_error(self, request, client_address):
        # Clients that abort (timeouts, sink errors, bounded reads) are expected.
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            super().handle_error(request, client_address)

    def finish_request(self, request, client_address):
        # The TLS handshake runs in the connection's thread, never in accept().
        if self.tls is not None:
            request.settimeout(10)
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
            request.settimeout(None)
        try:
            self.RequestHandlerClass(request, client_address, self)
        finally:
            if self.tls is not None:
                request.close()


class ProxyHandler(socketserver.BaseRequestHandler):
    def record(self, line):
        with self.server.log_lock:
            with open(self.server.log_path, "a") as f:
                f.write(line + "\n")

    def handle(self):
        f = self.request.makefile("rb")
        request_line = f.readline(65536).decode("latin-1").strip()
        headers = []
        while True:
            h = f.readline(65536).decode("latin-1").rstrip("\r\n")
            if not h:
                break
            headers.append(h)
        method, target, _ = request_line.split(" ", 2)
        self.record("%s %s" % (method, target))
        for h in headers:
            self.record("HDR " + h)
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            up = socket.create_connection((host, int(port)))
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.relay(up, tunnel=True)
            return
        u = urllib.parse.urlsplit(target)
        length = 0
        out = ["%s %s HTTP/1.1" % (method, (u.path or "/") + ("?" + u.query if u.query else ""))]
        for h in headers:
            name = h.split(":", 1)[0].strip().lower()
            if name == "content-length":
                length = int(h.split(":", 1)[1])
            if name not in ("connection", "proxy-connection", "keep-alive"):
                out.append(h)
        out.append("Connection: close")
        body = f.read(length) if length else b""
        up = socket.create_connection((u.hostname, u.port or 80))
        up.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)
        self.relay(up, tunnel=False)

    def relay(self, up, tunnel):
        client = self.request
        socks = [client, up]
        try:
            while not STOP.is_set():
                ready, _, _ = select.select(socks, [], [], 0.5)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    if s is client:
                        if tunnel:
                            with self.server.log_lock:
                                with open(self.server.tunnel_path, "ab") as t:
                                    t.write(data)
                        up.sendall(data)
                    else:
                        client.sendall(data)
        except OSError:
            pass
        finally:
            up.close()


class ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SilentHandler(socketserver.BaseRequestHandler):
    def handle(self):
        STOP.wait(30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--mode", choices=["http", "tls", "proxy", "silent"], required=True)
    ap.add_argument("--lifetime", type=float, default=60)
    a = ap.parse_args()
    base = os.path.join(a.dir, a.name)

    if a.mode in ("http", "tls"):
        srv = Server(("127.0.0.1", 0), Handler)
        if a.mode == "tls":
            srv.tls = make_tls_context(base + "-ca.pem")
    elif a.mode == "proxy":
        srv = ProxyServer(("127.0.0.1", 0), ProxyHandler)
        srv.log_lock = threading.Lock()
        srv.log_path, srv.tunnel_path = base + ".log", base + ".tunnel"
        open(srv.log_path, "w").close()
        open(srv.tunnel_path, "wb").close()
    else:
        srv = ProxyServer(("127.0.0.1", 0), SilentHandler)

    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    parent = os.getppid()
    threading.Thread(target=srv.serve_forever, args=(0.1,), daemon=True).start()
    with open(base + ".port.tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(base + ".port.tmp", base + ".port")

    deadline = time.monotonic() + a.lifetime
    while not STOP.wait(0.2):
        if time.monotonic() > deadline or os.getppid() != parent:
            STOP.set()
    srv.shutdown()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
