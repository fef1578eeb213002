# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""POST /chat/completions: request checks (PROTOCOL.md sections 4 and 5) and
the answer, streamed as SSE events or as one JSON object."""

import json
import re
import secrets
import string
import time

import ecies
import model

KEY_MISMATCH = "TEE model public key mismatch: re-attest to get the current key"
_HEX = frozenset(string.hexdigits)
MAX_N = 16

# The E2EE refusals as Phala's private-ai-gateway words them (--error-form gateway):
# plain message -> (gateway message, error type).
GATEWAY_ERRORS = {
    KEY_MISMATCH: ("X-Model-Pub-Key does not match this ACI service", "e2ee_model_key_mismatch"),
    "Encrypted field is not valid hex": ("Encrypted message content must be hex-encoded",
                                         "invalid_e2ee_request"),
    "Failed to decrypt field": ("E2EE decryption failed", "e2ee_decryption_failed"),
    "Invalid public key": ("invalid E2EE public key", "invalid_e2ee_request"),
}


class Refusal(Exception):
    """An HTTP error answer: status and the message of {"error": ...}."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self, error_form="plain"):
        """{"error": MESSAGE}, or the gateway's {"error": {message, type, param, code}}."""
        if error_form != "gateway":
            return {"error": self.message}
        message, etype = GATEWAY_ERRORS.get(self.message, (self.message, "invalid_request_error"))
        return {"error": {"message": message, "type": etype, "param": None, "code": None}}


class Job:
    """A request that passed every check and reaches the model."""

    def __init__(self, mdl, stream, contents, user_text, client_key):
        self.model = mdl
        self.stream = stream
        self.contents = contents
        self.user_text = user_text
        self.client_key = client_key
        self.e2ee = client_key is not None  # an E2EE model may be used TEE-only
        self.n = 1               # choices asked for
        self.logprobs = False    # logprobs asked for: returned in clear, as the gateway does
        self.id = "chatcmpl-" + secrets.token_hex(16)
        self.ephemeral = None  # one key for the whole response (--ephemeral per-response)
        self.created = int(time.time())
        self.fields_decrypted = 0


def _normal_key(text):
    text = text.strip().lower()
    if len(text) == 128:
        text = "04" + text
    return text


def _client_key(headers):
    text = headers.get("X-Venice-TEE-Client-Pub-Key") or ""
    if len(text) != 130 or not text.startswith("04") or not all(c in _HEX for c in text):
        raise Refusal(400, "Invalid public key")
    try:
        return ecies.public_key(bytes.fromhex(text))
    except ValueError:
        raise Refusal(400, "Invalid public key")


def _open_field(enclave_key, text, job):
    if not isinstance(text, str) or not text or not all(c in _HEX for c in text) or len(text) % 2:
        raise Refusal(400, "Encrypted field is not valid hex")
    try:
        plain = ecies.open_envelope(enclave_key.private_key, text).decode("utf-8")
    except (ecies.EnvelopeError, UnicodeDecodeError):
        raise Refusal(400, "Failed to decrypt field")
    job.fields_decrypted += 1
    return plain


def _reinterpret(plain):
    """The gateway's rule for a decrypted content string: text that parses as a JSON array
    replaces the content by those parts (PROTOCOL.md section 4)."""
    try:
        parts = json.loads(plain)
    except ValueError:
        return plain
    if not isinstance(parts, list):
        return plain
    if not all(isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
               for p in parts):
        raise Refusal(400, "Invalid content parts in decrypted content")
    return "".join(p["text"] for p in parts)


def _content_text(content, opener, e2ee):
    """A message's content as text; opener decrypts each string field.
    Plain chats ignore non-text parts (the built-in model only reads text)."""
    if isinstance(content, str):
        return opener(content)
    if content is None:
        return ""
    if isinstance(content, list):
        parts = []
        for part in content:
            is_text = isinstance(part, dict) and part.get("type") == "text"
            if e2ee and not is_text:
                raise Refusal(400, "Only text content is supported with E2EE")
            if is_text:
                parts.append(opener(part.get("text")))
        return "".join(parts)
    raise Refusal(400, "Message content must be a string or an array of parts")


def _e2ee_checks(body, headers, current_key):
    if body.get("stream") is not True:
        raise Refusal(400, "E2EE requires streaming")
    client_key = _client_key(headers)
    algo = headers.get("X-Venice-TEE-Signing-Algo")
    if algo is not None and algo.strip().lower() != "ecdsa":
        raise Refusal(400, "Unsupported signing algorithm: only ecdsa is supported")
    sent = headers.get("X-Venice-TEE-Model-Pub-Key")
    if sent is None or _normal_key(sent) != current_key.pub65.hex():
        raise Refusal(400, KEY_MISMATCH)
    if body.get("tools") or body.get("functions"):
        raise Refusal(400, "Function calling is not supported with E2EE")
    venice = body.get("venice_parameters") or {}
    if venice.get("enable_web_search") not in (None, False, "off"):
        raise Refusal(400, "Web search is not supported with E2EE")
    return client_key


def prepare(raw, headers, enclave_key_of):
    """Check a request body (bytes); a Job, or Refusal. enclave_key_of(model_id)."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Refusal(400, "Invalid JSON body")
    if not isinstance(body, dict):
        raise Refusal(400, "Invalid JSON body")
    model_id = body.get("model")
    if not isinstance(model_id, str) or not model_id:
        raise Refusal(400, "model is required")
    mdl = model.MODELS.get(model_id)
    if mdl is None or mdl.type != "text":
        raise Refusal(404, "Model not found: %s" % model_id)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or \
            not all(isinstance(m, dict) for m in messages):
        raise Refusal(400, "messages must be a non-empty array of objects")
    client_key = None
    # TEE-only on purpose (PROTOCOL.md section 5): an E2EE model asked not to use E2EE.
    venice = body.get("venice_parameters")
    e2ee = mdl.e2ee and not (isinstance(venice, dict) and venice.get("enable_e2ee") is False)
    if e2ee:
        key = enclave_key_of(model_id)
        client_key = _e2ee_checks(body, headers, key)
    job = Job(mdl, body.get("stream") is True, [], "", client_key)
    job.e2ee = e2ee
    job.n = _choices(body)
    job.logprobs = body.get("logprobs") is True
    opener = (lambda text: _open_field(key, text, job)) if e2ee else _plain
    for msg in messages:
        content = msg.get("content")
        text = _content_text(content, opener, e2ee)
        if e2ee and isinstance(content, str):
            text = _reinterpret(text)
        job.contents.append(text)
        if msg.get("role") == "user":
            job.user_text = text
    return job


def _choices(body):
    n = body.get("n", 1)
    if n is None:
        return 1
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_N:
        raise Refusal(400, "n must be an integer from 1 to %d" % MAX_N)
    return n


def _plain(text):
    if not isinstance(text, str):
        raise Refusal(400, "Message content must be a string or an array of parts")
    return text

# ---- answers ---------------------------------------------------------------------


def completion(job, n):
    """The non-streaming response object."""
    choices = []
    for i in range(job.n):
        _thinking, content = model.answer(job.user_text, n, False, i)
        choices.append({"index": i, "message": {"role": "assistant", "content": "".join(content)},
                        "finish_reason": "stop"})
    return {"id": job.id, "object": "chat.completion", "created": job.created,
            "model": job.model.id, "choices": choices,
            "usage": model.usage(job.contents, n * job.n)}


def _chunk(job, choices, usage=None):
    """One chunk; choices is a list of (index, delta, finish_reason[, logprobs])."""
    objs = []
    for c in choices:
        obj = {"index": c[0], "delta": c[1], "finish_reason": c[2]}
        if len(c) > 3:
            obj["logprobs"] = c[3]
        objs.append(obj)
    obj = {"id": job.id, "object": "chat.completion.chunk", "created": job.created,
           "model": job.model.id, "choices": objs}
    if usage is not None:
        obj["usage"] = usage
    return _data(obj)


def _data(obj):
    return ("data: " + json.dumps(obj, separators=(",", ":"), ensure_ascii=False) +
            "\n\n").encode()


def _seal_piece(job, text, tamper):
    sealed = ecies.seal(job.client_key, text.encode(), job.ephemeral)
    if tamper:
        # First ciphertext byte (after eph key and nonce): the tag no longer matches.
        pos = 2 * (65 + 12)
        sealed = sealed[:pos] + ("1" if sealed[pos] == "0" else "0") + sealed[pos + 1:]
    return sealed


def _logprobs(piece):
    """What the gateway returns for logprobs: every output token, in clear."""
    return {"content": [{"token": piece, "logprob": -0.25,
                         "bytes": list(piece.encode()), "top_logprobs": []}]}


class Stream:
    """How one answer is streamed: settings and faults that shape its chunks."""

    def __init__(self, job, n, faults, one_ephemeral=False, reasoning_field="reasoning_content"):
        self.job = job
        self.n = n
        self.faults = faults
        self.e2ee = job.client_key is not None
        self.reasoning_field = reasoning_field
        if one_ephemeral and self.e2ee:
            job.ephemeral = ecies.new_ephemeral()

    def reasoning(self, i, piece, first):
        """The delta of one reasoning piece of choice i."""
        if self.e2ee and "reasoning-plaintext" in self.faults:
            # A privacy failure of the server: reasoning in clear next to encrypted content.
            delta = {"reasoning": piece}
            if first:
                delta["reasoning_details"] = [{"type": "reasoning.text", "text": piece}]
            return delta
        return {self.reasoning_field: _seal_piece(self.job, piece, False) if self.e2ee
                else piece}

    def content(self, i, k, piece):
        """The choice tuple of content piece k of choice i."""
        value = piece
        middle = i == 0 and k == self.n // 2
        if self.e2ee and not (middle and "plaintext-chunk" in self.faults):
            value = _seal_piece(self.job, piece, middle and "tamper-ciphertext" in self.faults)
        if self.job.logprobs:
            return (i, {"content": value}, None, _logprobs(piece))
        return (i, {"content": value}, None)


def _stream_error(job, faults):
    """The in-band error events of the stream-error faults, or None."""
    if "stream-error" in faults:
        # A hostile or buggy server's error event: it echoes the client's key and
        # carries terminal control sequences; the stream then ends normally.
        return [("data: " + json.dumps(
            {"error": "rate limited for key %s\x1b]52;c;ZXZpbA==\x07\x1b[2J"
             % (getattr(job, "api_key_echo", None) or "?")}) + "\n\n").encode()]
    if "stream-error-object" in faults:
        return [_data({"error": {"message": "upstream inference failed (TEST)",
                                 "type": "upstream_error", "code": 502}})]
    return None


def events(job, n, faults, one_ephemeral=False, reasoning_field="reasoning_content"):
    """SSE events (bytes) of a streamed answer, as (kind, bytes) pairs.

    kind is "event" for a normal event, "piece" for a content or reasoning piece,
    or "drop"/"stall" where the stream must be cut or frozen (right before
    content piece n // 2). With one_ephemeral, every field of the response is
    sealed with one ephemeral key. Choices (job.n) interleave piece by piece."""
    st = Stream(job, n, faults, one_ephemeral, reasoning_field)
    framing = "gateway-framing" in faults
    answers = [model.answer(job.user_text, n, job.model.reasoning, i) for i in range(job.n)]
    if framing:
        yield "event", b"data:\n\n"
    yield "event", _chunk(job, [(i, {"role": "assistant"}, None) for i in range(job.n)])
    if framing:
        yield "event", _chunk(job, [(i, None, None) for i in range(job.n)])
    for k in range(len(answers[0][0])):
        yield "piece", _chunk(job, [(i, st.reasoning(i, answers[i][0][k], k == 0), None)
                                    for i in range(job.n)])
    for k in range(len(answers[0][1])):
        if k == n // 2:
            if "drop-stream" in faults:
                yield "drop", b""
                return
            if "stall-stream" in faults:
                yield "stall", b""
                return
        if k == 1 and _stream_error(job, faults) is not None:
            for event in _stream_error(job, faults):
                yield "event", event
            yield "event", b"data: [DONE]\n\n"
            return
        yield "piece", _chunk(job, [st.content(i, k, answers[i][1][k]) for i in range(job.n)])
    pieces = len(answers[0][0]) + len(answers[0][1])
    usage = model.usage(job.contents, pieces * job.n)
    finish = [(i, {}, "stop") for i in range(job.n)]
    if framing:
        yield "event", _chunk(job, finish)
        yield "event", _data({"id": job.id, "object": "chat.completion.chunk",
                              "created": job.created, "model": job.model.id, "choices": [],
                              "usage": usage})
    else:
        yield "event", _chunk(job, finish, usage)
    yield "event", b"data: [DONE]\n\n"


_BENCH_SLOT = rb"@@bench-envelope-(\d+)@@"


def _bench_pieces(job, n):
    """Benchmark mode: each piece as the chunk's JSON after its id, cut where its
    envelopes go, with each envelope's sealing key (its ECDH done here, once) and text:
    a list of pieces, each ([(json before, choice)...], json after, [(key, text)...])."""
    answers = [model.answer(job.user_text, n, job.model.reasoning, i) for i in range(job.n)]
    out = []
    for field, part in (("reasoning_content", 0), ("content", 1)):
        for k in range(len(answers[0][part])):
            slots = [(i, {field: "@@bench-envelope-%d@@" % i}, None) for i in range(job.n)]
            whole = _chunk(job, slots)[len(b'data: {"id":"') + len(job.id) + 1:]
            cut = re.split(_BENCH_SLOT, whole)
            out.append(([(cut[j], int(cut[j + 1])) for j in range(0, len(cut) - 1, 2)], cut[-1],
                        [(ecies.sealing_key(job.client_key), answers[i][part][k].encode())
                         for i in range(job.n)]))
    return out


def bench_events(job, n, st):
    """events() for the benchmark: the pieces of this key and prompt, sealed anew.

    The gateway shares one session key across requests, so the sealing keys of the
    first stream serve every stream: the server's ECDH leaves the measurement. Each
    envelope still gets a fresh nonce (an envelope sent twice is a replay the client
    refuses), so every piece costs the gateway one token derive, as with Venice."""
    key = (ecies.pub_bytes(job.client_key), job.model.id, n, job.n, job.user_text)
    pieces = st.bench_pieces(key, lambda: _bench_pieces(job, n))
    head = ('data: {"id":"%s"' % job.id).encode()
    yield "event", _chunk(job, [(i, {"role": "assistant"}, None) for i in range(job.n)])
    for slots, tail, keys in pieces:
        body = [head]
        for before, i in slots:
            body += (before, ecies.seal_with(keys[i][0], keys[i][1]).encode())
        body.append(tail)
        yield "piece", b"".join(body)
    yield "event", _chunk(job, [(i, {}, "stop") for i in range(job.n)],
                          model.usage(job.contents, len(pieces) * job.n))
    yield "event", b"data: [DONE]\n\n"


RELAY_FAULTS = ("replay-chunk", "swap-chunks", "drop-chunk")


def relay(stream, n, faults):
    """A hostile relay between the enclave and the client, on the events of a
    stream: yields (kind, data, signed) where signed says whether the bytes
    are part of what the enclave sent (and signs). Content piece n // 2 is
    repeated verbatim (replay-chunk), exchanged with the next one
    (swap-chunks) or left out (drop-chunk); each piece stays authentic."""
    k = n // 2
    i = 0
    held = None
    for kind, data in stream:
        if kind != "piece" or b'"content":' not in data:
            yield kind, data, True
            continue
        if i == k and "drop-chunk" in faults:
            yield "dropped", data, True
        elif i == k and "swap-chunks" in faults:
            held = data
            yield "held", data, True
        elif held is not None:
            yield kind, data, True
            yield kind, held, False
            held = None
        else:
            yield kind, data, True
            if i == k and "replay-chunk" in faults:
                yield kind, data, False
        i += 1
