# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""POST /chat/completions: request checks (PROTOCOL.md sections 4 and 5) and
the answer, streamed as SSE events or as one JSON object."""

import json
import secrets
import string
import time

import ecies
import model

KEY_MISMATCH = "TEE model public key mismatch: re-attest to get the current key"
_HEX = frozenset(string.hexdigits)


class Refusal(Exception):
    """An HTTP error answer: status and the message of {"error": ...}."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class Job:
    """A request that passed every check and reaches the model."""

    def __init__(self, mdl, stream, contents, user_text, client_key):
        self.model = mdl
        self.stream = stream
        self.contents = contents
        self.user_text = user_text
        self.client_key = client_key
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
    if mdl.e2ee:
        key = enclave_key_of(model_id)
        client_key = _e2ee_checks(body, headers, key)
    job = Job(mdl, body.get("stream") is True, [], "", client_key)
    opener = (lambda text: _open_field(key, text, job)) if mdl.e2ee else _plain
    for msg in messages:
        text = _content_text(msg.get("content"), opener, mdl.e2ee)
        job.contents.append(text)
        if msg.get("role") == "user":
            job.user_text = text
    return job


def _plain(text):
    if not isinstance(text, str):
        raise Refusal(400, "Message content must be a string or an array of parts")
    return text

# ---- answers ---------------------------------------------------------------------


def completion(job, n):
    """The non-streaming response object."""
    _thinking, content = model.answer(job.user_text, n, False)
    return {"id": job.id, "object": "chat.completion", "created": job.created,
            "model": job.model.id,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(content)},
                         "finish_reason": "stop"}],
            "usage": model.usage(job.contents, n)}


def _chunk(job, delta, finish=None, usage=None):
    obj = {"id": job.id, "object": "chat.completion.chunk", "created": job.created,
           "model": job.model.id,
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    if usage is not None:
        obj["usage"] = usage
    return ("data: " + json.dumps(obj, separators=(",", ":"), ensure_ascii=False) +
            "\n\n").encode()


def _seal_piece(job, text, tamper):
    sealed = ecies.seal(job.client_key, text.encode(), job.ephemeral)
    if tamper:
        # First ciphertext byte (after eph key and nonce): the tag no longer matches.
        pos = 2 * (65 + 12)
        sealed = sealed[:pos] + ("1" if sealed[pos] == "0" else "0") + sealed[pos + 1:]
    return sealed


def events(job, n, faults, one_ephemeral=False):
    """SSE events (bytes) of a streamed answer, as (kind, bytes) pairs.

    kind is "event" for a normal event, or "drop"/"stall" where the stream
    must be cut or frozen (right before content piece n // 2). With
    one_ephemeral, every field of the response is sealed with one ephemeral key."""
    if one_ephemeral and job.client_key is not None:
        job.ephemeral = ecies.new_ephemeral()
    thinking, content = model.answer(job.user_text, n, job.model.reasoning)
    e2ee = job.client_key is not None
    yield "event", _chunk(job, {"role": "assistant"})
    for piece in thinking:
        yield "piece", _chunk(job, {"reasoning_content": _seal_piece(job, piece, False)
                                    if e2ee else piece})
    for i, piece in enumerate(content):
        if i == n // 2:
            if "drop-stream" in faults:
                yield "drop", b""
                return
            if "stall-stream" in faults:
                yield "stall", b""
                return
        if i == 1 and "stream-error" in faults:
            # A hostile or buggy server's error event: it echoes the client's key and
            # carries terminal control sequences; the stream then ends normally.
            yield "event", ("data: " + json.dumps(
                {"error": "rate limited for key %s\x1b]52;c;ZXZpbA==\x07\x1b[2J"
                 % (getattr(job, "api_key_echo", None) or "?")}) + "\n\n").encode()
            yield "event", b"data: [DONE]\n\n"
            return
        value = piece
        if e2ee and not (i == n // 2 and "plaintext-chunk" in faults):
            value = _seal_piece(job, piece, i == n // 2 and "tamper-ciphertext" in faults)
        yield "piece", _chunk(job, {"content": value})
    yield "event", _chunk(job, {}, "stop", model.usage(job.contents, len(thinking) + len(content)))
    yield "event", b"data: [DONE]\n\n"
