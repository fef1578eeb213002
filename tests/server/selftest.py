#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""Self-test of the reference server (TAP): a Python client against a started
server, covering every endpoint, every refusal (status and exact message),
every fault's observable effect, the quote and GPU evidence it serves
(parsed and verified with cryptography), EIP-191 signatures, /__control,
/__stats and the process life (SIGTERM, lifetime, parent death). The
attestation groups live in selftest_attest.py."""

import http.client
import json
import os
import subprocess
import sys
import time

# No __pycache__ in the source tree (it may be read-only, as in distcheck).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import taplib  # noqa: E402

taplib.require_cryptography()

import ecies  # noqa: E402
import eth  # noqa: E402
import sse_client  # noqa: E402
from sse_client import E2EE, REASONING, TEE, PLAIN  # noqa: E402
from selftest_attest import (  # noqa: E402
    t_aci, t_attestation, t_attestation_faults, t_formats, t_signature)

KEY_MISMATCH = "TEE model public key mismatch: re-attest to get the current key"


def expected_pieces(base, n):
    """The documented model rule, written out independently of model.py."""
    text = base
    while len(text) < n:
        text += " " + base
    q = len(text) // n
    return [text[i * q:(i + 1) * q] for i in range(n - 1)] + [text[(n - 1) * q:]]


def t_auth_and_routes(t, srv):
    status, _h, body = srv.request("GET", "/api/v1/models", key=False)
    t.eq((status, json.loads(body)), (401, {"error": "Authentication failed"}), "no API key: 401")
    status, _h, body = srv.request("GET", "/api/v1/models", key="wrong")
    t.eq((status, json.loads(body)), (401, {"error": "Authentication failed"}), "wrong API key: 401")
    t.eq(srv.request("GET", "/__stats", key=False)[0], 401, "/__stats needs the API key")
    t.eq(srv.request("POST", "/__control", {}, key=False)[0], 401, "/__control needs the API key")
    t.eq(srv.json("GET", "/api/v1/nothing"), (404, {"error": "Not found"}), "unknown path: 404")
    t.eq(srv.json("POST", "/api/v1/models", {}), (405, {"error": "Method not allowed"}),
         "wrong method: 405")
    status, headers, _b = srv.request("GET", "/api/v1/models")
    t.eq((status, headers.get("Content-Type")), (200, "application/json"), "JSON content type")


def t_models(t, srv):
    status, body = srv.json("GET", "/api/v1/models")
    ids = [m["id"] for m in body["data"]]
    t.eq((status, body["object"], ids),
         (200, "list", [TEE, E2EE, REASONING, PLAIN]), "/models lists the four text models")
    caps = {m["id"]: m["model_spec"]["capabilities"] for m in body["data"]}
    t.eq([(caps[i]["supportsTeeAttestation"], caps[i]["supportsE2EE"]) for i in ids],
         [(True, False), (True, True), (True, True), (False, False)], "capability flags")
    t.eq(caps[REASONING]["supportsReasoning"], True, "the reasoning model says so")
    t.eq([m["id"] for m in srv.json("GET", "/api/v1/models?type=image")[1]["data"]],
         ["p11tee-test-image"], "?type=image")
    t.eq(len(srv.json("GET", "/api/v1/models?type=all")[1]["data"]), 5, "?type=all")
    t.eq(srv.json("GET", "/api/v1/models?type=tts")[1]["data"], [], "?type=tts: empty list")
    t.eq(srv.json("GET", "/api/v1/models?type=bogus"),
         (400, {"error": "Invalid type parameter: bogus"}), "?type=bogus: 400")

# ---- attestation ------------------------------------------------------------------------


def t_e2ee_chat(t, srv):
    srv.control(chunks=8)
    session = sse_client.Session(srv, E2EE)
    before = srv.stats()
    messages = [("system", "Be brief."), ("user", "first question"),
                ("assistant", "an earlier answer"), ("user", "héllo wörld 😀")]
    res = session.chat(messages)
    want = expected_pieces("echo: héllo wörld 😀", 8)
    t.eq((res.error, res.done, res.contents), (None, True, want),
         "E2EE stream: 8 pieces that decrypt to the documented answer, then [DONE]")
    t.eq(res.plain_fields, [], "no plaintext content in an E2EE stream")
    t.eq(len(set(res.ephemeral_keys)), 8, "a fresh server ephemeral key per field")
    t.eq((res.roles, res.finish, res.usage),
         (["assistant"], "stop", {"prompt_tokens": 10, "completion_tokens": 8, "total_tokens": 18}),
         "role, finish_reason and usage are plaintext")
    after = srv.stats()
    t.eq((after["prompts_decrypted"] - before["prompts_decrypted"],
          after["fields_decrypted"] - before["fields_decrypted"],
          after["chat_requests_reached_model"] - before["chat_requests_reached_model"]), (1, 4, 1),
         "/__stats: one prompt (4 fields, all roles) decrypted, one chat reached the model")
    hdrs = {k.lower(): v for k, v in after["last_request_headers"].items()}
    t.ok("authorization" not in hdrs and hdrs.get("x-venice-tee-client-pub-key") == session.client_pub,
         "/__stats last_request_headers: client key header, never Authorization")
    res = session.chat([("user", [{"type": "text", "text": "part one, "},
                                  {"type": "text", "text": "part two"}])])
    t.eq("".join(res.contents), "echo: part one, part two", "array content parts are decrypted and joined")
    srv.control(chunks=20)
    res = session.chat([("user", "hi")])
    t.eq(res.contents, expected_pieces("echo: hi", 20), "short answers repeat to reach 20 pieces")
    t.eq("".join(res.contents), "echo: hi echo: hi echo: hi", "... exactly as documented")
    srv.control(chunks=3)
    res = sse_client.Session(srv, REASONING).chat([("user", "why?")])
    t.eq((res.reasoning, res.contents),
         (expected_pieces("thinking: why?", 3), expected_pieces("echo: why?", 3)),
         "reasoning model: 3 reasoning_content pieces, then 3 content pieces")
    srv.control(chunks=8)


def t_tee_chat(t, srv):
    srv.control(chunks=4)
    status, body = srv.json("POST", "/api/v1/chat/completions",
                            {"model": TEE, "messages": [{"role": "user", "content": "héllo wörld"}]})
    t.eq((status, body["object"], body["choices"][0]["message"]["content"],
          body["choices"][0]["finish_reason"]),
         (200, "chat.completion", "echo: héllo wörld", "stop"), "tee chat, not streaming")
    t.ok(body["id"].startswith("chatcmpl-") and len(body["id"]) == 41, "id chatcmpl-<32 hex>")
    res = sse_client.stream(srv, {"model": TEE, "stream": True,
                                  "messages": [{"role": "user", "content": "héllo wörld"}]})
    t.eq((res.contents, res.done), (["echo", ": hé", "llo ", "wörld"], True),
         "tee chat streaming: 4 plain pieces, never split inside a code point")
    status, body = srv.json("POST", "/api/v1/chat/completions",
                            {"model": PLAIN, "messages": [{"role": "user", "content": "x"}]})
    t.eq((status, body["choices"][0]["message"]["content"]), (200, "echo: x"), "plain model chat")
    parts = [{"type": "text", "text": "look: "}, {"type": "image_url", "image_url": {"url": "x"}},
             {"type": "text", "text": "there"}]
    status, body = srv.json("POST", "/api/v1/chat/completions",
                            {"model": TEE, "messages": [{"role": "user", "content": parts}]})
    t.eq((status, body["choices"][0]["message"]["content"]), (200, "echo: look: there"),
         "tee chat: text parts joined, an image part ignored")
    t.eq(srv.json("POST", "/api/v1/chat/completions",
                  {"model": TEE, "messages": [{"role": "user", "content": 5}]}),
         (400, {"error": "Message content must be a string or an array of parts"}),
         "content that is a number: 400")
    srv.control(chunks=8)


def t_chat_refusals(t, srv):
    session = sse_client.Session(srv, E2EE)
    user = [("user", "secret prompt")]
    before = srv.stats()["chat_requests_reached_model"]
    cases = [
        ("stream false", session.body(user, stream=False), None, 400, "E2EE requires streaming"),
        ("plaintext content", session.body(user, seal=False), None, 400, "Encrypted field is not valid hex"),
        ("odd-length hex content", session.body(user, mutate=lambda s: s[:-1]), None, 400,
         "Encrypted field is not valid hex"),
        ("tampered content", session.body(user, mutate=lambda s: s[:-2] + ("00" if s[-2:] != "00" else "11")),
         None, 400, "Failed to decrypt field"),
        ("short hex content", session.body(user, mutate=lambda s: s[:180]), None, 400,
         "Failed to decrypt field"),
        ("content sealed to another key", session.body(user, to=ecies.public_key(eth.EthKey().pub65)),
         None, 400, "Failed to decrypt field"),
        ("client key of 128 chars", session.body(user), {"X-Venice-TEE-Client-Pub-Key":
                                                         session.client_pub[2:]}, 400, "Invalid public key"),
        ("client key not starting 04", session.body(user), {"X-Venice-TEE-Client-Pub-Key":
                                                            "05" + session.client_pub[2:]}, 400,
         "Invalid public key"),
        ("client key off the curve", session.body(user), {"X-Venice-TEE-Client-Pub-Key":
                                                          "04" + "11" * 64}, 400, "Invalid public key"),
        ("no client key", session.body(user), {"X-Venice-TEE-Client-Pub-Key": None}, 400,
         "Invalid public key"),
        ("another model key", session.body(user), {"X-Venice-TEE-Model-Pub-Key":
                                                   eth.EthKey().pub65.hex()}, 400, KEY_MISMATCH),
        ("no model key", session.body(user), {"X-Venice-TEE-Model-Pub-Key": None}, 400, KEY_MISMATCH),
        ("signing algo not ecdsa", session.body(user), {"X-Venice-TEE-Signing-Algo": "ed25519"}, 400,
         "Unsupported signing algorithm: only ecdsa is supported"),
        ("tools", dict(session.body(user), tools=[{"type": "function"}]), None, 400,
         "Function calling is not supported with E2EE"),
        ("web search", dict(session.body(user), venice_parameters={"enable_web_search": "on"}), None, 400,
         "Web search is not supported with E2EE"),
        ("an image part", session.body([("user", [{"type": "image_url", "image_url": {"url": "x"}}])]),
         None, 400, "Only text content is supported with E2EE"),
        ("unknown model", {"model": "nope", "messages": [{"role": "user", "content": "x"}]}, None, 404,
         "Model not found: nope"),
        ("no messages", {"model": TEE, "messages": []}, None, 400,
         "messages must be a non-empty array of objects"),
        ("no model", {"messages": [{"role": "user", "content": "x"}]}, None, 400, "model is required"),
        ("invalid JSON", "{not json", None, 400, "Invalid JSON body"),
    ]
    for what, body, header_changes, status, message in cases:
        got = srv.json("POST", "/api/v1/chat/completions", body, headers=session.headers(header_changes))
        t.eq(got, (status, {"error": message}), "chat refusal, %s: %d %s" % (what, status, message))
    t.eq(srv.stats()["chat_requests_reached_model"], before, "no refused chat reached the model")
    key = bytes.fromhex(session.model_key)
    ok = sse_client.Session(srv, E2EE, model_key_text=key[1:].hex()).chat(user)
    t.eq(ok.error, None, "a 128-char model key header is accepted")


def t_stream_faults(t, srv):
    session = sse_client.Session(srv, E2EE)
    user = [("user", "fault test")]
    want = expected_pieces("echo: fault test", 8)
    srv.control(faults=["tamper-ciphertext"])
    res = session.chat(user)
    t.eq((res.failed_fields, res.contents[:4], res.contents[5:], res.done),
         ([4], want[:4], want[5:], True), "tamper-ciphertext: content piece 4 (n//2) fails to open")
    srv.control(faults=["plaintext-chunk"])
    res = session.chat(user)
    t.eq((res.plain_fields, res.contents), ([4], want), "plaintext-chunk: piece 4 arrives in plaintext")
    srv.control(faults=["drop-stream"])
    res = session.chat(user)
    t.eq((res.error, res.contents, res.done), ("incomplete", want[:4], False),
         "drop-stream: the connection closes after 4 pieces, without [DONE]")
    srv.control(faults=["stall-stream"])
    res = session.chat(user, timeout=1.5)
    t.eq((res.error, res.contents, res.done), ("timeout", want[:4], False),
         "stall-stream: 4 pieces, then nothing (client read timeout)")
    srv.control(faults=["http-500"])
    t.eq(srv.json("GET", "/api/v1/models"), (500, {"error": "Internal server error"}),
         "http-500: API endpoints answer 500")
    t.eq(srv.json("POST", "/api/v1/chat/completions", session.body(user), headers=session.headers()),
         (500, {"error": "Internal server error"}), "http-500: chat too")
    t.eq(srv.request("GET", "/__stats")[0], 200, "http-500: /__stats still answers")
    srv.control(clear_faults=True)


def t_gateway_stream(t, srv):
    """The stream as Phala's gateway sends it (the faults and settings of README.md)."""
    session = sse_client.Session(srv, E2EE)
    user = [("user", "gw")]
    srv.control(chunks=4)
    res = session.chat(user, n=2)
    t.eq((res.error, res.choices), (None, {0: expected_pieces("echo: gw", 4),
                                           1: expected_pieces("echo#1: gw", 4)}),
         "n = 2: two choices told apart by index, interleaved piece by piece")
    t.eq(res.usage["completion_tokens"], 8, "n = 2: usage counts the pieces of both")
    t.eq(srv.json("POST", "/api/v1/chat/completions", dict(session.body(user), n=17),
                  headers=session.headers()),
         (400, {"error": "n must be an integer from 1 to 16"}), "n = 17: 400")
    srv.control(faults=["gateway-framing"])
    res = session.chat(user)
    t.eq((res.error, res.contents, res.done), (None, expected_pieces("echo: gw", 4), True),
         "gateway-framing: the same answer")
    t.eq((res.empty_events, res.null_deltas, res.usage_only, res.usage["total_tokens"]),
         (1, 1, 1, 5), "gateway-framing: an empty data:, a null delta, a usage-only chunk")
    srv.control(faults=["stream-error-object"])
    res = session.chat(user)
    t.eq((res.contents, res.errors, res.done),
         (expected_pieces("echo: gw", 4)[:1],
          [{"message": "upstream inference failed (TEST)", "type": "upstream_error", "code": 502}],
          True), "stream-error-object: one piece, an error object, then [DONE]")
    srv.control(faults=["reasoning-plaintext"])
    res = sse_client.Session(srv, REASONING).chat(user)
    t.eq((res.contents, res.reasoning, len(res.clear_reasoning)),
         (expected_pieces("echo: gw", 4), [], 5),
         "reasoning-plaintext: content encrypted, 4 reasoning pieces and one reasoning_details "
         "in clear")
    srv.control(clear_faults=True, reasoning_field="reasoning")
    res = sse_client.Session(srv, REASONING).chat(user)
    t.eq((res.reasoning, res.clear_reasoning), (expected_pieces("thinking: gw", 4), []),
         "reasoning_field reasoning: encrypted reasoning in delta.reasoning")
    srv.control(reasoning_field="reasoning_content")
    res = session.chat(user, logprobs=True)
    t.eq((res.contents, res.tokens), (expected_pieces("echo: gw", 4), expected_pieces("echo: gw", 4)),
         "logprobs: every output token comes back IN CLEAR next to the encrypted content")
    res = session.chat([("user", '[{"type":"text","text":"in parts"}]')])
    t.eq(res.contents, expected_pieces("echo: in parts", 4),
         "decrypted content that parses as a JSON array replaces the content by its parts")
    res = session.chat([("user", json.dumps([{"type": "text", "text": "[1, 2]"}]))])
    t.eq(res.contents, expected_pieces("echo: [1, 2]", 4), "... so JSON text travels as one part")
    t.eq(srv.json("POST", "/api/v1/chat/completions", session.body([("user", "[1, 2]")]),
                  headers=session.headers()),
         (400, {"error": "Invalid content parts in decrypted content"}),
         "... and a bare JSON array that is not parts is refused")
    srv.control(error_form="gateway")
    t.eq(srv.json("POST", "/api/v1/chat/completions", session.body(user),
                  headers=session.headers({"X-Venice-TEE-Model-Pub-Key": eth.EthKey().pub65.hex()})),
         (400, {"error": {"message": "X-Model-Pub-Key does not match this ACI service",
                          "type": "e2ee_model_key_mismatch", "param": None, "code": None}}),
         "error_form gateway: the key mismatch in the gateway's words and type")
    t.eq(srv.json("POST", "/api/v1/chat/completions", session.body(user, seal=False),
                  headers=session.headers())[1]["error"]["type"],
         "invalid_e2ee_request", "error_form gateway: plaintext content is invalid_e2ee_request")
    srv.control(faults=["decrypt-fail"])
    t.eq(srv.json("POST", "/api/v1/chat/completions", session.body(user), headers=session.headers()),
         (400, {"error": {"message": "E2EE decryption failed", "type": "e2ee_decryption_failed",
                          "param": None, "code": None}}),
         "decrypt-fail (gateway form): E2EE decryption failed, e2ee_decryption_failed")
    srv.control(error_form="plain", faults=["attestation-502"])
    t.eq(srv.json("GET", "/api/v1/tee/attestation?model=%s&nonce=%s" % (E2EE, "ab" * 32)),
         (502, {"error": "Nonce must be exactly 32 bytes"}), "attestation-502: 502 with Venice's words")
    srv.control(clear_faults=True)
    before = srv.stats()["tee_only_chats"]
    status, body = srv.json("POST", "/api/v1/chat/completions",
                            {"model": E2EE, "venice_parameters": {"enable_e2ee": False},
                             "messages": [{"role": "user", "content": "in the clear"}]})
    t.eq((status, body["choices"][0]["message"]["content"], srv.stats()["tee_only_chats"]),
         (200, "echo: in the clear", before + 1),
         "enable_e2ee false: an E2EE model answers a plain request (TEE-only), counted")
    srv.control(clear_faults=True, chunks=8)


def t_stream_stats(t, srv):
    session = sse_client.Session(srv, E2EE)
    srv.control(chunks=8)
    keys = ("streams_started", "streams_completed", "streams_client_closed", "stream_pieces_sent")
    base = srv.stats()

    def delta():
        st = srv.stats()
        return tuple(st[k] - base[k] for k in keys) + (st["streams_active"], st["last_stream"])

    def wait_closed(n):
        for _ in range(100):
            if delta()[2] == n:
                break
            time.sleep(0.02)

    session.chat([("user", "counted")])
    d = delta()
    t.eq(d[:5] + (d[5]["end"],), (1, 1, 0, 8, 0, "completed"), "/__stats counts a stream and its pieces")
    srv.control(chunk_delay_ms=3000)
    res = session.chat([("user", "left early")], timeout=1)
    gone = time.monotonic()
    wait_closed(1)
    srv.control(chunk_delay_ms=0)
    d = delta()
    t.eq((res.error, d[2], d[5]["end"], d[5]["pieces_sent"], d[4]), ("timeout", 1, "client_closed", 1, 0),
         "a client gone during a 3 s chunk delay is counted, after one piece")
    t.ok(d[5]["ended_monotonic"] - gone < 2.5, "... noticed during the pause, not at the next write")
    srv.control(faults=["stall-stream"])
    session.chat([("user", "stalled")], timeout=0.5)
    wait_closed(2)
    srv.control(clear_faults=True)
    d = delta()
    t.eq((d[2], d[5]["pieces_sent"]), (2, 4), "stall-stream: a client that gives up is counted as closed")


def t_bench(t, work):
    log = os.path.join(work, "bench.log")
    srv = taplib.Server(os.path.join(work, "bench"), "--chunks", "6", "--bench", "--bench-log", log)
    try:
        session = sse_client.Session(srv, E2EE)
        one = session.chat([("user", "replayed")])
        two = session.chat([("user", "replayed")])
        want = expected_pieces("echo: replayed", 6)
        t.eq((one.contents, two.contents, one.done, two.done), (want, want, True, True),
             "--bench: the answer opens with the session key, twice")
        t.ok(one.id is not None and one.id != two.id,
             "--bench: each stream has its own id")
        t.eq(one.ephemeral_keys, two.ephemeral_keys, "--bench: the second stream reuses the sealing keys")
        t.eq(set(one.envelopes) & set(two.envelopes), set(),
             "--bench: ... with fresh nonces: no envelope is sent twice (a replay the client refuses)")
        other = sse_client.Session(srv, E2EE).chat([("user", "replayed")])
        t.eq((other.contents, other.ephemeral_keys == one.ephemeral_keys), (want, False),
             "--bench: another client key gets its own sealing")
        lines = [line.split() for line in open(log)]
        t.eq(sorted((l[0], int(l[1])) for l in lines if l[0] == one.id), [(one.id, i) for i in range(6)],
             "--bench-log: one line per piece, by stream id and index")
        stamps = [int(l[2]) for l in lines if l[0] == one.id]
        t.ok(stamps == sorted(stamps) and abs(stamps[0] / 1e9 - time.monotonic()) < 60,
             "--bench-log: monotonic nanoseconds, in order")
    finally:
        srv.stop()


def t_rotate(t, srv):
    session = sse_client.Session(srv, E2EE)
    srv.control(set_faults=["rotate-key"])
    stale = sse_client.Session(srv, E2EE)
    t.ok(stale.model_key == session.model_key, "rotate-key: the attestation served still has the old key")
    t.eq(srv.control()["faults"], [], "rotate-key is one-shot: cleared after that attestation")
    res = stale.chat([("user", "x")])
    t.eq((res.status, res.message), (400, KEY_MISMATCH), "the next chat gets the key-mismatch error")
    fresh = sse_client.Session(srv, E2EE)
    t.ok(fresh.model_key != stale.model_key, "a fresh attestation serves the new key")
    t.eq(fresh.chat([("user", "x")]).error, None, "... and chat works again")


def t_control(t, srv):
    got = srv.control(set_faults=["debug-td", "wrong-model"], chunks=5, chunk_delay_ms=1)
    t.eq((got["faults"], got["chunks"], got["chunk_delay_ms"]), (["debug-td", "wrong-model"], 5, 1),
         "/__control set_faults, chunks, chunk_delay_ms")
    t.eq(srv.control(clear_faults=["debug-td"])["faults"], ["wrong-model"], "clear_faults by name")
    t.eq(srv.control(clear_faults=True, chunks=8, chunk_delay_ms=0)["faults"], [], "clear_faults: true")
    for req, message in (({"set_faults": ["nope"]}, "Unknown fault: nope"),
                         ({"chunks": 0}, "Invalid value for chunks: 0"),
                         ({"quote_encoding": "rot13"}, "Invalid value for quote_encoding: 'rot13'"),
                         ({"frob": 1}, "Unknown control key: frob")):
        t.eq(srv.json("POST", "/__control", req), (400, {"error": message}), "/__control refuses %s" % req)
    t.eq(srv.json("POST", "/__control", "[1"), (400, {"error": "Invalid JSON body"}),
         "/__control bad JSON")
    t.eq(srv.json("POST", "/__control", {"set_faults": 5}),
         (400, {"error": "Faults must be a name or a list of names"}), "/__control faults not names")
    t.eq(srv.json("GET", "/__control")[1]["faults"], [], "a refused /__control changes nothing")
    t.eq(srv.control(set_faults="debug-td")["faults"], ["debug-td"], "a single fault name is accepted")
    srv.control(clear_faults=True)
    stats = srv.stats()
    t.ok(stats["requests"]["chat"] > 0 and stats["requests"]["attestation"] > 0 and
         stats["unauthorized"] >= 4, "/__stats counts requests per endpoint and 401s")
    srv.control(reset_stats=True)
    t.eq(srv.stats()["requests"], {"stats": 1}, "reset_stats clears the counters")


def raw_post(srv, path, framing_header, body):
    """POST with a hand-written framing header; (status, JSON body)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Authorization", "Bearer " + srv.api_key)
        conn.putheader(*framing_header.split(": "))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def t_framing(t, srv):
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("POST", "/__control", body=iter([b'{"set_faults"', b': "debug-td"}']),
                 headers={"Authorization": "Bearer " + srv.api_key}, encode_chunked=True)
    resp = conn.getresponse()
    t.eq((resp.status, json.loads(resp.read())["faults"]), (200, ["debug-td"]),
         "a chunked request body is read")
    conn.close()
    srv.control(clear_faults=True)
    t.eq(raw_post(srv, "/api/v1/chat/completions", "Content-Length: %d" % (33 << 20), None),
         (413, {"error": "Request body too large"}), "a body over 32 MiB: 413")
    for framing in ("Content-Length: ten", "Transfer-Encoding: chunked"):
        t.eq(raw_post(srv, "/__control", framing, b"zz\r\n"),
             (400, {"error": "Malformed request body framing"}), "%s with a bad body: 400" % framing)


# ---- process life --------------------------------------------------------------------------


def t_lifecycle(t, srv, work):
    print("# startup to port file: %.3f s" % srv.startup_seconds, flush=True)
    t.eq(srv.stop(), 0, "SIGTERM: the server exits 0")
    short = taplib.Server(os.path.join(work, "short"), lifetime=0.5)
    t.eq(short.proc.wait(10), 0, "--lifetime: the server exits 0 by itself")
    short.stop()
    os.makedirs(os.path.join(work, "orphan"), exist_ok=True)
    port_file = os.path.join(work, "orphan", "port")
    key_file = os.path.join(work, "orphan", "key")
    with open(key_file, "w") as fh:
        fh.write("k")
    # The shell starts the server in the background and exits at once: the server's
    # parent (named by --parent-pid, as the fixture does) is gone.
    pid = int(subprocess.run(
        ["/bin/sh", "-c", '"$0" "$1" --port 0 --port-file "$2" --api-key-file "$3" --lifetime 60 '
         '--parent-pid $$ >/dev/null 2>&1 & echo $!', sys.executable, taplib.SERVER, port_file,
         key_file],
        stdout=subprocess.PIPE, check=True).stdout)
    t.ok(_gone(pid, 10), "the server exits when its parent dies")


def _gone(pid, seconds):
    """True once pid has exited (a zombie waiting for its reaper counts as exited)."""
    for _ in range(int(seconds * 20)):
        try:
            with open("/proc/%d/stat" % pid) as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    os.kill(pid, 9)
    return False


def main():
    t = taplib.Tap()
    work = taplib.tmpdir()
    srv = None
    try:
        srv = taplib.Server(os.path.join(work, "main"), "--chunks", "8")
        for group in (t_auth_and_routes, t_models, t_attestation, t_formats, t_attestation_faults,
                      t_e2ee_chat, t_tee_chat, t_chat_refusals, t_stream_faults,
                      t_stream_stats, t_gateway_stream, t_rotate,
                      t_signature, t_aci, t_control, t_framing):
            t.run(group, srv)
        t.run(t_bench, work)
        t.run(t_lifecycle, srv, work)
    finally:
        if srv is not None:
            srv.stop()
        taplib.cleanup(work)
    t.done()


if __name__ == "__main__":
    main()
