# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""The HTTP server: endpoints of PROTOCOL.md on 127.0.0.1, fault switches,
/__control and /__stats. Run through `venice_ref.py [serve]`."""

import hmac
import json
import os
import select
import signal
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import chat
import model
import pki
import state as state_mod

API = "/api/v1"
MAX_BODY = 32 << 20


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "p11tee-venice-ref/1"

    def setup(self):
        super().setup()
        # Each SSE event is one small write: without this, Nagle holds it until the
        # client's delayed ACK (40 ms) and the stream stutters.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    @property
    def st(self):
        return self.server.state

    # ---- plumbing ---------------------------------------------------------------

    def log_message(self, fmt, *args):
        self.st.log("%s %s" % (self.address_string(), fmt % args))

    def send_json(self, status, obj, hide=None):
        text = json.dumps(obj, separators=(",", ":"))
        if hide:
            # "key-echo": the echoed key spelled with JSON's \/ escapes in the raw body.
            text = text.replace(hide, hide.replace("/", "\\/"))
        return self.send_body(status, text.encode())

    def send_body(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return body

    def send_error_json(self, status, message):
        return self.send_json(status, {"error": message})

    def send_refusal(self, refusal):
        """A refusal of the API, in the plain or the gateway's form (--error-form)."""
        return self.send_json(refusal.status, refusal.body(self.st.error_form()))

    def read_body(self):
        try:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                return self._read_chunked()
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True  # where the next request starts is unknown
            raise chat.Refusal(400, "Malformed request body framing")
        if length < 0 or length > MAX_BODY:
            self.close_connection = True  # the unread body must not be taken for a request
            raise chat.Refusal(413, "Request body too large")
        return self.rfile.read(length)

    def _read_chunked(self):
        out = bytearray()
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(out)
            out += self.rfile.read(size)
            self.rfile.readline()
            if len(out) > MAX_BODY:
                self.close_connection = True
                raise chat.Refusal(413, "Request body too large")

    def authorized(self):
        sent = self.headers.get("Authorization") or ""
        expected = "Bearer " + self.st.api_key
        return hmac.compare_digest(sent.encode(), expected.encode())

    # ---- dispatch ---------------------------------------------------------------

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def dispatch(self, method):
        url = urlsplit(self.path)
        route = ROUTES.get((method, url.path))
        known_path = any(path == url.path for _m, path in ROUTES)
        self.st.count(route[0] if route else "other")
        try:
            body = self.read_body() if method == "POST" else b""
            if route is not None and route[0] == "aci":
                # The operator's native report is public (ACI section 4): no key asked, and
                # a client must not send one to another host.
                self.get_aci_report(parse_qs(url.query), body)
                return
            if not self.authorized():
                self.st.bump("unauthorized")
                if self.st.has_fault("key-echo"):
                    sent = (self.headers.get("Authorization") or "")[len("Bearer "):]
                    self.send_json(401, {"error": "Authentication failed for key " + sent,
                                         "details": {"sent": sent, "spaced": " ".join(sent)}},
                                   hide=sent)
                else:
                    self.send_error_json(401, "Authentication failed")
                return
            if url.path.startswith(API):
                self.st.remember_headers(self.headers)
            if route is None:
                self.send_error_json(405 if known_path else 404,
                                     "Method not allowed" if known_path else "Not found")
            elif url.path.startswith(API) and self.st.has_fault("http-500"):
                self.send_error_json(500, "Internal server error")
            else:
                getattr(self, route[1])(parse_qs(url.query), body)
        except chat.Refusal as refusal:
            self.send_refusal(refusal)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # a bug here must not look like a network fault
            self.st.log("internal error:\n" + traceback.format_exc())
            self.close_connection = True
            self.send_error_json(500, "Internal server error")

    # ---- endpoints ----------------------------------------------------------------

    def get_models(self, query, _body):
        mtype = _param(query, "type")
        if mtype is not None and mtype not in model.TEXT_TYPES:
            raise chat.Refusal(400, "Invalid type parameter: %s" % mtype)
        listing = model.listing(mtype, self.st.has_fault("e2ee-flag-off"))
        if self.st.has_fault("key-echo"):
            for entry in listing["data"]:
                entry["description"] = "key " + self.st.api_key
                entry["model_spec"]["name"] = "key " + "\n".join(self.st.api_key)
        self.send_json(200, listing, hide=self.st.api_key if self.st.has_fault("key-echo") else None)

    def get_attestation(self, query, _body):
        mdl = _tee_model(_required(query, "model"))
        nonce_text = _param(query, "nonce") or ""
        try:
            nonce = bytes.fromhex(nonce_text)
        except ValueError:
            nonce = b""
        if len(nonce_text) != 64 or len(nonce) != 32:
            raise chat.Refusal(400, "Nonce must be exactly 32 bytes")
        if self.st.has_fault("attestation-502"):
            # What a provider whose attestation service is down answers, in Venice's words.
            raise chat.Refusal(502, "Nonce must be exactly 32 bytes")
        resp = self.st.attest(mdl.id, nonce)
        if self.st.has_fault("key-echo"):
            resp["tee_provider"] = "key " + " ".join(self.st.api_key)
            resp["tee_hardware"] = self.st.api_key
        self.send_json(200, resp, hide=self.st.api_key if self.st.has_fault("key-echo") else None)

    def get_aci_report(self, query, _body):
        if self.headers.get("Authorization") is not None:
            self.st.bump("aci_reports_with_authorization")
        nonce_text = _param(query, "nonce") or ""
        if len(nonce_text) != 64 or any(c not in "0123456789abcdef" for c in nonce_text):
            self.send_json(400, {"error": {"message": "nonce must be 64 lowercase hex characters",
                                           "type": "invalid_request_error", "param": "nonce",
                                           "code": None}})
            return
        self.st.bump("aci_reports_served")
        self.send_json(200, self.st.native_report(nonce_text))

    def get_signature(self, query, _body):
        mdl = _tee_model(_required(query, "model"))
        request_id = _required(query, "request_id")
        self.send_json(200, self.st.signature(mdl.id, request_id))

    def post_chat(self, _query, body):
        job = chat.prepare(body, self.headers, self.st.enclave_key)
        if job.e2ee and self.st.has_fault("mismatch-always"):
            raise chat.Refusal(400, chat.KEY_MISMATCH)
        if job.e2ee and self.st.has_fault("decrypt-fail"):
            raise chat.Refusal(400, "Failed to decrypt field")
        if self.st.has_fault("hostile-strings"):
            job.id += HOSTILE_ID_SUFFIX
        if self.st.has_fault("key-echo"):
            job.id += "-" + self.st.api_key
        job.api_key_echo = self.st.api_key if self.st.has_fault("stream-error") else None
        key = self.st.enclave_key(job.model.id) if job.model.tee else None
        self.st.reached_model(job)
        if not job.stream:
            answer = json.dumps(chat.completion(job, self.st.chunks), separators=(",", ":")).encode()
            # Recorded before it is sent: the client may ask for its signature at once.
            self.st.record(job, key, body, answer)
            self.send_body(200, answer)
            return
        self.stream(job, key, body)

    def stream(self, job, key, body):
        n, delay, faults, reasoning_field = self.st.stream_settings()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        bench = self.st.bench and job.client_key is not None
        events = (chat.bench_events(job, n, self.st) if bench
                  else chat.events(job, n, faults, self.st.one_ephemeral, reasoning_field))
        sent = bytearray()  # what the enclave sent, and signs
        first_piece = True
        recorded = False
        pieces, how, timing = 0, "cut", []
        self.st.stream_begin()
        try:
            for kind, data, signed in chat.relay(events, n, faults):
                if kind == "piece" and not first_piece and delay:
                    self.wait_or_gone(delay / 1000.0)
                first_piece = first_piece and kind != "piece"
                if kind in ("drop", "stall"):
                    break
                if signed:
                    sent += data
                if kind in ("dropped", "held"):  # what a hostile relay keeps back
                    continue
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                if kind == "piece":
                    if self.st.bench:
                        timing.append("%s %d %d\n" % (job.id, pieces, time.monotonic_ns()))
                    pieces += 1
            # Recorded before the end shows: the client may ask for its signature at once.
            self.st.record(job, key, body, bytes(sent))
            recorded = True
            if kind == "drop":
                self.drop_connection()
            elif kind == "stall":
                how = "client_closed" if self.stall() else "cut"
            else:
                self.wfile.write(b"0\r\n\r\n")
                how = "completed"
        except (BrokenPipeError, ConnectionResetError):
            how = "client_closed"
            raise
        finally:
            if not recorded:
                self.st.record(job, key, body, bytes(sent))
            self.st.bench_record(timing)  # before the end is counted: a benchmark waits for it
            self.st.stream_end(job, how, pieces)

    def client_gone(self):
        """The client closed its end (a pending request byte is not a close)."""
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return False
        try:
            return not self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True

    def wait_or_gone(self, seconds):
        """Pause between pieces, but notice at once a client that went away."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            readable, _, _ = select.select([self.connection], [], [], left)
            if readable and self.client_gone():
                raise ConnectionResetError("the client closed the connection")
            if readable:
                time.sleep(left)  # pipelined bytes: not ours to read now
                return

    def drop_connection(self):
        """Cut the TCP connection mid-body: no last chunk, no [DONE]."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def stall(self):
        """Send nothing more until the client goes away (True) or the server stops."""
        self.close_connection = True
        self.st.log("stalling a stream")
        while not self.st.stopping.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.1)
            if readable and self.client_gone():
                return True
        return False

    def post_control(self, _query, body):
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            raise chat.Refusal(400, "Invalid JSON body")
        self.send_json(200, self.st.control(req))

    def get_control(self, _query, _body):
        self.send_json(200, self.st.settings())

    def get_stats(self, _query, _body):
        self.send_json(200, self.st.stats())


ROUTES = {
    ("GET", API + "/models"): ("models", "get_models"),
    ("GET", API + "/tee/attestation"): ("attestation", "get_attestation"),
    ("GET", API + "/tee/signature"): ("signature", "get_signature"),
    ("GET", "/v1/aci/attestation"): ("aci", "get_aci_report"),
    ("POST", API + "/chat/completions"): ("chat", "post_chat"),
    ("POST", "/__control"): ("control", "post_control"),
    ("GET", "/__control"): ("control", "get_control"),
    ("GET", "/__stats"): ("stats", "get_stats"),
}


def _param(query, name):
    values = query.get(name)
    return values[0] if values else None


def _required(query, name):
    value = _param(query, name)
    if not value:
        raise chat.Refusal(400, "Missing required parameter: %s" % name)
    return value


def _tee_model(model_id):
    mdl = model.MODELS.get(model_id)
    if mdl is None:
        raise chat.Refusal(404, "Model not found: %s" % model_id)
    if not mdl.tee:
        raise chat.Refusal(400, "Model does not support TEE attestation: %s" % model_id)
    return mdl

# ---- process life ----------------------------------------------------------------------


# "hostile-strings": a chunk id that writes the clipboard (OSC 52) and hides what follows.
HOSTILE_ID_SUFFIX = "\x1b]52;c;ZXZpbA==\x07\x1b[8m"


def _api_key(args):
    if args.api_key_file:
        with open(args.api_key_file, encoding="utf-8") as fh:
            return fh.read().strip()
    return args.api_key


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _watchdog(server, st, deadline, parent):
    """Stop at the lifetime limit or when the parent process is gone (a dead
    parent may linger as a zombie, but then we have been re-parented)."""
    ppid = os.getppid()
    while not st.stopping.wait(0.2):
        reason = None
        if time.monotonic() >= deadline:
            reason = "lifetime reached"
        elif not _alive(parent) or (ppid == parent and os.getppid() != ppid):
            reason = "parent process %d is gone" % parent
        if reason:
            st.log("stopping: " + reason)
            st.stopping.set()
            server.shutdown()


class Server(ThreadingHTTPServer):
    # Benchmarks open hundreds of connections at once: a listen backlog of 5 drops SYNs.
    request_queue_size = 1024

    def handle_error(self, request, client_address):
        """A client that went away while we read its request is not a server error."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def main(args):
    api_key = _api_key(args)
    if not api_key:
        sys.exit("venice_ref: an API key is required (--api-key-file FILE or --api-key KEY)")
    st = state_mod.State(args, api_key)
    server = Server(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = st
    port = server.server_address[1]
    if args.port_file:
        pki.write_atomic(args.port_file, "%d\n" % port)
    st.log("listening on 127.0.0.1:%d (lifetime %gs)" % (port, args.lifetime))

    def on_signal(signum, _frame):
        st.log("stopping: signal %d" % signum)
        st.stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threading.Thread(target=_watchdog, daemon=True,
                     args=(server, st, time.monotonic() + args.lifetime, args.parent_pid)).start()
    server.serve_forever(poll_interval=0.1)
    st.stopping.set()
    server.server_close()
    return 0

