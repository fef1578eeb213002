# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""Everything the server remembers, behind one lock: settings and faults,
the enclave keys, chat records for /tee/signature, and the counters of
/__stats."""

import copy
import hashlib
import sys
import threading
import time

import aci
import attestation
import chat
import eth
import model
import nvidia
import tdx

FAULTS = ("tamper-ciphertext", "wrong-nonce", "wrong-model", "debug-td", "wrong-address",
          "reportdata-nonce", "reportdata-address", "not-verified", "plaintext-chunk",
          "rotate-key", "drop-stream", "stall-stream", "http-500",
          "bad-quote-signature", "bad-qe-signature", "qe-reportdata", "foreign-root",
          "expired-pck", "nvidia-bad-signature", "nvidia-wrong-nonce",
          "e2ee-flag-off", "stream-error", "hostile-strings", "mismatch-always",
          "stream-error-object", "reasoning-plaintext", "gateway-framing", "attestation-502",
          "decrypt-fail", "no-gpu-evidence", "rtmr3-mismatch", "key-echo",
          "replay-chunk", "swap-chunks", "drop-chunk") + aci.ACI_FAULTS
assert set(tdx.QUOTE_FAULTS) <= set(FAULTS) and set(nvidia.NVIDIA_FAULTS) <= set(FAULTS)
assert set(attestation.ATTESTATION_FAULTS) <= set(FAULTS)

SETTINGS = {
    "quote_encoding": attestation.QUOTE_ENCODINGS, "key_field": attestation.KEY_FIELDS,
    "key_form": attestation.KEY_FORMS, "nvidia_payload_form": attestation.PAYLOAD_FORMS,
    "signature_text": ("plain", "model"), "signature_form": ("hex", "object", "payload"),
    "shape": attestation.SHAPES, "tcb_info_form": attestation.TCB_INFO_FORMS,
    "error_form": ("plain", "gateway"), "reasoning_field": ("reasoning_content", "reasoning"),
}
MAX_CHUNKS = 1000000


def check_faults(names):
    for name in names:
        if name not in FAULTS:
            raise chat.Refusal(400, "Unknown fault: %s" % name)
    return set(names)


class State:
    def __init__(self, args, api_key):
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.api_key = api_key
        self._log_file = open(args.log, "a", buffering=1) if args.log else sys.stderr
        try:
            self.faults = check_faults(args.fault)
            self.chunks = _chunks(args.chunks)
            self.delay_ms = _delay(args.chunk_delay_ms)
        except chat.Refusal as exc:
            sys.exit("venice_ref: %s (faults: %s)" % (exc.message, ", ".join(FAULTS)))
        self.fmt = attestation.Formats(args.quote_encoding, args.key_field, args.key_form,
                                       args.nvidia_payload_form, args.shape, args.tcb_info_form)
        self.signature_text = args.signature_text
        self.signature_form = args.signature_form
        self.error_form_ = getattr(args, "error_form", "plain")
        self.reasoning_field = getattr(args, "reasoning_field", "reasoning_content")
        self.one_ephemeral = getattr(args, "ephemeral", "per-field") == "per-response"
        self.evidence = attestation.Evidence(args.state_dir)
        if args.state_dir:
            self.evidence.write_state(args.state_dir)
        self.keys = {m.id: self.evidence.enclave_key(m.id) for m in model.CATALOGUE if m.tee}
        self.records = {}
        self.bench = bool(getattr(args, "bench", False))
        self.bench_cache = {}  # (client key, model, chunks) -> sealed pieces, bench mode
        self._bench_log = open(args.bench_log, "a") if getattr(args, "bench_log", None) else None
        self._reset_stats()

    def log(self, text):
        self._log_file.write("venice_ref: %s %s\n" % (time.strftime("%H:%M:%S"), text))
        self._log_file.flush()

    # ---- faults and settings -------------------------------------------------------

    def has_fault(self, name):
        with self.lock:
            return name in self.faults

    def stream_settings(self):
        with self.lock:
            return self.chunks, self.delay_ms, set(self.faults), self.reasoning_field

    def error_form(self):
        with self.lock:
            return self.error_form_

    def settings(self):
        with self.lock:
            out = {"faults": sorted(self.faults), "chunks": self.chunks,
                   "ephemeral": "per-response" if self.one_ephemeral else "per-field",
                   "chunk_delay_ms": self.delay_ms,
                   "signature_text": self.signature_text, "signature_form": self.signature_form,
                   "error_form": self.error_form_, "reasoning_field": self.reasoning_field}
            out.update({k: getattr(self.fmt, k) for k in
                        ("quote_encoding", "key_field", "key_form", "nvidia_payload_form",
                         "shape", "tcb_info_form")})
            return out

    def control(self, req):
        """Apply a /__control request atomically; the new settings."""
        if not isinstance(req, dict):
            raise chat.Refusal(400, "Invalid JSON body")
        for key in req:
            if key not in ("faults", "set_faults", "clear_faults", "chunks", "chunk_delay_ms",
                           "reset_stats") and key not in SETTINGS:
                raise chat.Refusal(400, "Unknown control key: %s" % key)
        with self.lock:
            faults = self._new_faults(req)
            chunks = _chunks(req["chunks"]) if "chunks" in req else self.chunks
            delay = _delay(req["chunk_delay_ms"]) if "chunk_delay_ms" in req else self.delay_ms
            for key, allowed in SETTINGS.items():
                if key in req and req[key] not in allowed:
                    raise chat.Refusal(400, "Invalid value for %s: %r" % (key, req[key]))
            self.faults, self.chunks, self.delay_ms = faults, chunks, delay
            for key in SETTINGS:
                if key in req:
                    attr = key + "_" if key == "error_form" else key
                    setattr(self.fmt if hasattr(self.fmt, key) else self, attr, req[key])
            if req.get("reset_stats"):
                self._reset_stats()
        self.log("control: %s" % sorted(req))
        return self.settings()

    def _new_faults(self, req):
        faults = set(self.faults)
        if "faults" in req:
            faults = check_faults(_names(req["faults"]))
        if req.get("clear_faults") is True:
            faults = set()
        elif "clear_faults" in req:
            faults -= check_faults(_names(req["clear_faults"]))
        if "set_faults" in req:
            faults |= check_faults(_names(req["set_faults"]))
        return faults

    # ---- keys, attestation, signatures ------------------------------------------------

    def enclave_key(self, model_id):
        with self.lock:
            return self.keys[model_id]

    def keyset(self):
        """The gateway's ACI keyset: one E2EE key per TEE model (changes when one rotates)."""
        with self.lock:
            keys = dict(self.keys)
        return self.evidence.keyset(keys)

    def native_report(self, nonce_text):
        with self.lock:
            faults = set(self.faults)
        return attestation.native_report(self.evidence, self.keyset(), nonce_text, faults)

    def attest(self, model_id, nonce):
        with self.lock:
            key, faults, fmt = self.keys[model_id], set(self.faults), copy.copy(self.fmt)
        resp = attestation.build(self.evidence, model_id, key, nonce, faults, fmt, self.keyset())
        with self.lock:
            self.counters["attestations_served"] += 1
            if "rotate-key" in self.faults and self.keys[model_id] is key:
                # Rotate once, after this attestation: the next chat sees a mismatch.
                self.keys[model_id] = eth.EthKey()
                self.faults.discard("rotate-key")
        if "rotate-key" in faults:
            self.log("rotated the enclave key of %s" % model_id)
        return resp

    def record(self, job, key, request_body, response_body):
        keyset = self.keyset()
        with self.lock:
            self.records[job.id] = (job.model.id, key, request_body, response_body, keyset,
                                    int(time.time()))

    def signature(self, model_id, request_id):
        with self.lock:
            rec = self.records.get(request_id)
            text_form, sig_form = self.signature_text, self.signature_form
            faults, shape = set(self.faults), self.fmt.shape
        if rec is None or rec[0] != model_id:
            raise chat.Refusal(404, "Request id not found: %s" % request_id)
        _, key, request_body, response_body, keyset, served_at = rec
        req_hash = hashlib.sha256(request_body).hexdigest()
        resp_hash = hashlib.sha256(response_body).hexdigest()
        text = "%s:%s" % (req_hash, resp_hash)
        if text_form == "model":
            text = "%s:%s" % (model_id, text)
        sig = key.personal_sign(text)
        if sig_form == "object":
            sig = {"algorithm": "ecdsa", "value": sig, "public_key": key.pub65.hex()}
        with self.lock:
            self.counters["signatures_served"] += 1
        out = {"text": text, "signature": sig, "signing_address": key.address,
               "signing_algo": "ecdsa"}
        if sig_form == "payload":
            # The signed text, given as its parts instead.
            del out["text"]
            out["payload"] = {"request_hash": req_hash, "response_hash": resp_hash,
                              "timestamp": served_at}
        if shape != "legacy":
            out["api_version"] = aci.API_VERSION
            out["receipt"] = aci.receipt(self.evidence.aci, keyset, request_id, model_id,
                                         request_body, response_body, served_at, faults)
        return out

    # ---- statistics ----------------------------------------------------------------------

    def _reset_stats(self):
        self.requests = {}
        self.counters = {"unauthorized": 0, "chat_requests_reached_model": 0,
                         "prompts_decrypted": 0, "fields_decrypted": 0,
                         "attestations_served": 0, "signatures_served": 0,
                         "tee_only_chats": 0, "aci_reports_served": 0,
                         "aci_reports_with_authorization": 0,
                         "streams_started": 0, "streams_completed": 0,
                         "streams_client_closed": 0, "stream_pieces_sent": 0,
                         "streams_active": 0}
        self.last_stream = {}
        self.last_headers = {}

    def count(self, endpoint):
        with self.lock:
            self.requests[endpoint] = self.requests.get(endpoint, 0) + 1

    def bump(self, counter):
        with self.lock:
            self.counters[counter] += 1

    def remember_headers(self, headers):
        kept = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        with self.lock:
            self.last_headers = kept

    def stream_begin(self):
        with self.lock:
            self.counters["streams_started"] += 1
            self.counters["streams_active"] += 1

    def stream_end(self, job, how, pieces):
        """how: "completed", "client_closed" or "cut" (a drop/stall fault, a server error)."""
        with self.lock:
            self.counters["streams_active"] -= 1
            self.counters["stream_pieces_sent"] += pieces
            if how != "cut":
                self.counters["streams_" + how] += 1
            self.last_stream = {"id": job.id, "end": how, "pieces_sent": pieces,
                                "ended_monotonic": time.monotonic()}

    def bench_pieces(self, key, build):
        """Benchmark mode: the sealed pieces for this key, built once (the streams that
        arrive meanwhile wait for them rather than seal their own)."""
        with self.lock:
            entry = self.bench_cache.get(key)
            if entry is None:
                entry = self.bench_cache[key] = [threading.Event(), None]
                builder = True
            else:
                builder = False
        if builder:
            try:
                entry[1] = build()
            finally:
                if entry[1] is None:
                    with self.lock:
                        self.bench_cache.pop(key, None)
                entry[0].set()
        entry[0].wait()
        if entry[1] is None:
            raise RuntimeError("benchmark mode: sealing the answer failed")
        return entry[1]

    def bench_record(self, lines):
        if self._bench_log is not None and lines:
            with self.lock:
                self._bench_log.write("".join(lines))
                self._bench_log.flush()

    def reached_model(self, job):
        with self.lock:
            self.counters["chat_requests_reached_model"] += 1
            if job.model.e2ee and not job.e2ee:
                self.counters["tee_only_chats"] += 1
            if job.fields_decrypted:
                self.counters["prompts_decrypted"] += 1
                self.counters["fields_decrypted"] += job.fields_decrypted

    def stats(self):
        with self.lock:
            out = dict(self.counters)
            out["requests"] = dict(self.requests)
            out["last_request_headers"] = dict(self.last_headers)
            out["last_stream"] = dict(self.last_stream)
            out["faults"] = sorted(self.faults)
            return out


def _names(value):
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise chat.Refusal(400, "Faults must be a name or a list of names")
    return value


def _chunks(value):
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_CHUNKS:
        raise _bad("chunks", value)
    return value


def _delay(value):
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 60000:
        raise _bad("chunk_delay_ms", value)
    return value


def _bad(key, value):
    return chat.Refusal(400, "Invalid value for %s: %r" % (key, value))
