# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""A small E2EE chat client for the self-test: attests, seals request fields
to the model key, reads the SSE stream raw (so drops and stalls show as such)
and opens every field with the session key."""

import http.client
import json
import os
import socket

from cryptography.hazmat.primitives.asymmetric import ec

import ecies

TEE = "tee-llama-3-3-70b"
E2EE = "e2ee-qwen3-5-122b-a10b"
REASONING = "e2ee-qwen3-30b-thinking"
PLAIN = "llama-3.2-3b"


def attest(srv, model_id, nonce):
    status, body = srv.json("GET", "/api/v1/tee/attestation?model=%s&nonce=%s" % (model_id, nonce.hex()))
    if status != 200:
        raise RuntimeError("attestation: %d %r" % (status, body))
    return body


class Result:
    def __init__(self):
        self.status = None
        self.message = None
        self.error = None
        self.done = False
        self.raw = b""
        self.request_body = b""
        self.id = None
        self.roles = []
        self.finish = None
        self.usage = None
        self.contents = []
        self.reasoning = []
        self.failed_fields = []
        self.plain_fields = []
        self.ephemeral_keys = []
        self.envelopes = []        # every sealed field, as sent
        self.choices = {}         # index -> content pieces of that choice (opened)
        self.errors = []          # error objects or strings the server put in the stream
        self.clear_reasoning = []  # reasoning that arrived in clear (reasoning, *_details)
        self.tokens = []          # logprobs tokens, as sent (in clear)
        self.empty_events = 0     # "data:" with nothing after it
        self.null_deltas = 0
        self.usage_only = 0       # chunks with "choices": [] and usage


def _read_all(resp):
    raw, error = bytearray(), None
    try:
        while True:
            data = resp.read1(65536)
            if not data:
                break
            raw += data
    except http.client.IncompleteRead as exc:
        raw += exc.partial
        error = "incomplete"
    except (socket.timeout, TimeoutError):
        error = "timeout"
    return bytes(raw), error


def stream(srv, body, headers=None, opener=None, timeout=30):
    """POST a streaming chat; a Result with every event taken apart."""
    res = Result()
    res.request_body = body if isinstance(body, bytes) else json.dumps(body).encode()
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout)
    hdrs = {"Authorization": "Bearer " + srv.api_key, "Content-Type": "application/json"}
    hdrs.update(headers or {})
    conn.request("POST", "/api/v1/chat/completions", body=res.request_body, headers=hdrs)
    resp = conn.getresponse()
    res.status = resp.status
    if resp.status != 200:
        res.message = json.loads(resp.read()).get("error")
        res.error = "http"
        conn.close()
        return res
    res.raw, res.error = _read_all(resp)
    conn.close()
    for event in res.raw.decode().split("\n\n"):
        if event == "data:":
            res.empty_events += 1
        elif event.startswith("data: "):
            _event(res, event[6:], opener)
    return res


def _event(res, data, opener):
    if data == "[DONE]":
        res.done = True
        return
    obj = json.loads(data)
    if "error" in obj:
        res.errors.append(obj["error"])
        return
    res.id = obj["id"]
    if not obj["choices"]:
        res.usage_only += 1
        res.usage = obj.get("usage")
    for choice in obj["choices"]:
        _choice(res, obj, choice, opener)


def _choice(res, obj, choice, opener):
    index = choice.get("index", 0)
    delta = choice["delta"]
    if delta is None:
        res.null_deltas += 1
        delta = {}
    if "role" in delta and index == 0:
        res.roles.append(delta["role"])
    if choice.get("finish_reason") and index == 0:
        res.finish = choice["finish_reason"]
        res.usage = obj.get("usage") or res.usage
    for token in (choice.get("logprobs") or {}).get("content") or []:
        res.tokens.append(token["token"])
    for key in ("reasoning_details", "thinking_blocks"):
        if delta.get(key):
            res.clear_reasoning.append(delta[key])
    for key in ("reasoning_content", "reasoning"):
        if key in delta:
            text = delta[key]
            if opener is not None and not _sealed(text):
                res.clear_reasoning.append(text)
            elif index == 0:
                res.reasoning.append(_field(res, text, opener, None))
    if "content" in delta:
        pieces = res.choices.setdefault(index, [])
        pieces.append(_field(res, delta["content"], opener, len(pieces) if index == 0 else None))
        if index == 0:
            res.contents = pieces


def _sealed(text):
    return len(text) >= 186 and all(c in "0123456789abcdefABCDEF" for c in text)


def _field(res, text, opener, index):
    """Open one streamed field; None when it fails, the text itself when plain."""
    if opener is None:
        return text
    if not _sealed(text):
        res.plain_fields.append(index)
        return text
    res.ephemeral_keys.append(text[:130])
    res.envelopes.append(text)
    try:
        return opener(text)
    except ecies.EnvelopeError:
        res.failed_fields.append(index)
        return None


class Session:
    """A client session key plus the attested model key, as p11tee keeps them."""

    def __init__(self, srv, model_id, model_key_text=None):
        self.srv = srv
        self.model_id = model_id
        self.key = ec.generate_private_key(ec.SECP256K1())
        self.client_pub = ecies.pub_bytes(self.key.public_key()).hex()
        att = attest(srv, model_id, os.urandom(32))
        self.model_key = att.get("signing_key") or "04" + att["signing_public_key"]
        self.model_key_text = model_key_text or self.model_key
        self.address = att["signing_address"]

    def headers(self, changes=None):
        hdrs = {"X-Venice-TEE-Client-Pub-Key": self.client_pub,
                "X-Venice-TEE-Model-Pub-Key": self.model_key_text,
                "X-Venice-TEE-Signing-Algo": "ecdsa"}
        for name, value in (changes or {}).items():
            if value is None:
                hdrs.pop(name, None)
            else:
                hdrs[name] = value
        return hdrs

    def body(self, messages, stream=True, seal=True, mutate=None, to=None):
        recipient = to or ecies.public_key(bytes.fromhex(self.model_key))

        def enc(text):
            if not seal:
                return text
            sealed = ecies.seal(recipient, text.encode())
            return mutate(sealed) if mutate else sealed

        out = []
        for role, content in messages:
            if isinstance(content, list):
                content = [dict(p, text=enc(p["text"])) if p.get("type") == "text" else p
                           for p in content]
            else:
                content = enc(content)
            out.append({"role": role, "content": content})
        return {"model": self.model_id, "messages": out, "stream": stream,
                "venice_parameters": {"enable_e2ee": True, "include_venice_system_prompt": False,
                                      "enable_web_search": "off"}}

    def chat(self, messages, timeout=30, **extra):
        return stream(self.srv, dict(self.body(messages), **extra), self.headers(),
                      lambda text: ecies.open_envelope(self.key, text).decode(), timeout)
