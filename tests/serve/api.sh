#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# p11tee serve with curl: the OpenAI shapes (models, streaming and
# non-streaming chat, errors), the attestation headers and report, the
# refusals that happen before anything goes upstream, health and metrics.
. "$top_srcdir/tests/serve/lib.sh"

sv_setup
sv_start gw || exit 99
sv_ready || { tap_fail "the gateway became ready" "$(cat "$SV_LOG")"; tap_done; }
tap_ok "the gateway starts on loopback without a clients file and becomes ready"

# ---- GET /v1/models: E2EE models only by default, each with its mode -------------
sv_curl "$SV_URL/v1/models"
sv_check_status "models: 200" 200
it_check_eq "models: the E2EE models, not the TEE-only or plain ones" \
    "$(sv_json "$SV_BODY" '" ".join(m["id"] + "=" + m["p11tee"]["mode"] for m in v["data"])')" \
    "$E2EE_MODEL=e2ee $THINK_MODEL=e2ee"
it_check_eq "models: OpenAI's list shape" \
    "$(sv_json "$SV_BODY" 'v["object"] + " " + v["data"][0]["object"]')" "list model"

# ---- streaming chat -------------------------------------------------------------------
reached=$(it_stat chat_requests_reached_model)
sv_chat "{\"model\":\"$E2EE_MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"hello gateway\"}],\"stream\":true}"
sv_check_status "stream: 200" 200
it_check_grep "stream: an event stream" "$SV_HEADERS" "Content-Type: text/event-stream"
it_check_grep "stream: X-P11tee-E2EE: 1" "$SV_HEADERS" "X-P11tee-E2EE: 1"
it_check_grep "stream: X-P11tee-Attestation names verdict, report id and model key" "$SV_HEADERS" \
    "X-P11tee-Attestation: verdict=pass; id=[0-9a-f]\{64\}; model-key=sha256:[0-9a-f]\{64\}"
"${PYTHON3:-/usr/bin/python3}" - "$SV_BODY" "$(it_answer 'hello gateway')" >"$TAP_TMP/sse.out" 2>&1 <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read().decode()
events = raw.split("\n\n")
assert events[-1] == "", "the stream ends with a blank line"
events = events[:-1]
assert all(e.startswith("data: ") and "\n" not in e for e in events), "one data: line per event"
assert events[-1] == "data: [DONE]", "the last event is [DONE]"
chunks = [json.loads(e[6:]) for e in events[:-1]]
ids = {c["id"] for c in chunks}
assert len(ids) == 1 and ids.pop().startswith("chatcmpl-"), "one chat.completion id"
assert all(c["object"] == "chat.completion.chunk" for c in chunks)
assert all(isinstance(c["created"], int) and c["model"] == "e2ee-qwen3-5-122b-a10b" for c in chunks)
assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}, chunks[0]
text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
assert text == sys.argv[2], "the decrypted answer: %r" % text
assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])
last = chunks[-1]
assert last["choices"][0]["finish_reason"] == "stop" and last["choices"][0]["delta"] == {}
assert last["usage"] == {"prompt_tokens": 2, "completion_tokens": 8, "total_tokens": 10}, last
print("ok")
PY
it_check_eq "stream: OpenAI chunks, the decrypted answer, finish, usage, [DONE]" \
    "$(cat "$TAP_TMP/sse.out")" ok
it_check_eq "stream: the request reached the model once" \
    "$(it_stat chat_requests_reached_model)" "$((reached + 1))"
it_check_eq "stream: the prompt went upstream encrypted" \
    "$(it_stat prompts_decrypted)" "$(($(it_stat chat_requests_reached_model)))"

sv_chat "{\"model\":\"$E2EE_MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"u\"}],\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
it_check_eq "stream: include_usage adds OpenAI's usage chunk with no choices" \
    "$(grep '"choices":\[\]' "$SV_BODY" | sed 's/.*"usage"://')" \
    '{"prompt_tokens":1,"completion_tokens":8,"total_tokens":9}}'

# ---- non-streaming chat (upstream still streams), reasoning ---------------------
sv_chat "{\"model\":\"$THINK_MODEL\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"why\"}]}"
sv_check_status "completion: 200" 200
it_check_eq "completion: one chat.completion with content, reasoning, finish and usage" \
    "$(sv_json "$SV_BODY" '[v["object"], v["choices"][0]["message"], v["choices"][0]["finish_reason"], v["usage"]["total_tokens"]]')" \
    "['chat.completion', {'role': 'assistant', 'content': 'echo: why', 'reasoning_content': 'thinking: why'}, 'stop', 19]"
it_check_grep "completion: attestation header" "$SV_HEADERS" "X-P11tee-Attestation: verdict=pass"
att_id=$(sed -n 's/^X-P11tee-Attestation: .*id=\([0-9a-f]*\);.*/\1/p' "$SV_HEADERS")

# ---- n > 1: every choice, told apart by its index ----------------------------------
sv_chat "{\"model\":\"$E2EE_MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"pick\"}],\"n\":2,\"stream\":true}"
sv_check_status "n=2 stream: 200" 200
"${PYTHON3:-/usr/bin/python3}" - "$SV_BODY" >"$TAP_TMP/n2.out" 2>&1 <<'PY'
import json, sys
events = open(sys.argv[1], "rb").read().decode().split("\n\n")[:-1]
assert events[-1] == "data: [DONE]", events[-1]
chunks = [json.loads(e[6:]) for e in events[:-1]]
assert all(len(c["choices"]) == 1 for c in chunks), "one choice per chunk"
text, first, finish = {}, {}, {}
for c in chunks:
    ch = c["choices"][0]
    i = ch["index"]
    first.setdefault(i, ch["delta"])
    text[i] = text.get(i, "") + ch["delta"].get("content", "")
    if ch["finish_reason"] is not None:
        finish[i] = ch["finish_reason"]
assert first == {0: {"role": "assistant", "content": ""}, 1: {"role": "assistant", "content": ""}}, first
assert text == {0: "echo: pick", 1: "echo#1: pick"}, text
assert finish == {0: "stop", 1: "stop"}, finish
print("ok")
PY
it_check_eq "n=2 stream: each choice's role chunk, text and finish by its index, then [DONE]" \
    "$(cat "$TAP_TMP/n2.out")" ok
sv_chat "{\"model\":\"$E2EE_MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"pick\"}],\"n\":2}"
it_check_eq "n=2 completion: both choices with their index, content and finish" \
    "$(sv_json "$SV_BODY" '[(c["index"], c["message"]["content"], c["finish_reason"]) for c in v["choices"]]')" \
    "[(0, 'echo: pick', 'stop'), (1, 'echo#1: pick', 'stop')]"

# ---- multi-turn: assistant history, and what an SDK's message object carries ----
fields=$(it_stat fields_decrypted)
sv_chat "{\"model\":\"$E2EE_MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"one\"},{\"role\":\"assistant\",\"content\":\"echo: one\",\"refusal\":null,\"tool_calls\":[],\"reasoning_content\":\"private\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"two\"}]}]}"
sv_check_status "multi-turn: 200 (empty members and the assistant's reasoning dropped)" 200
it_check_eq "multi-turn: the model saw the history" \
    "$(sv_json "$SV_BODY" 'v["choices"][0]["message"]["content"] + " " + str(v["usage"]["prompt_tokens"])')" \
    "echo: two 4"
it_check_eq "multi-turn: every content went encrypted, the assistant's too (3 fields)" \
    "$(it_stat fields_decrypted)" "$((fields + 3))"

# ---- the attestation report ------------------------------------------------------
sv_curl "$SV_URL/v1/attestation/$THINK_MODEL"
sv_check_status "attestation: 200" 200
it_check_eq "attestation: the report the chats rely on (its nonce is the header's id)" \
    "$(sv_json "$SV_BODY" 'v["verdict"] + " " + v["fields"]["nonce"] + " " + v["fields"]["model"]')" \
    "pass $att_id $THINK_MODEL"
it_check_grep "attestation: headers on the report too" "$SV_HEADERS" "X-P11tee-Attestation: verdict=pass; id=$att_id"
sv_curl "$SV_URL/v1/attestation/no-such-model"
sv_check_status "attestation: unknown model: 404" 404

# ---- refusals before anything goes upstream ---------------------------------------
refused() { # DESC PARAM JSON
    before=$(it_stat requests.chat)
    sv_chat "$3"
    if [ "$SV_STATUS" = 400 ] && [ "$(sv_json "$SV_BODY" 'v["error"]["param"]')" = "$2" ] &&
        [ "$(sv_json "$SV_BODY" 'v["error"]["type"]')" = invalid_request_error ] &&
        [ "$(it_stat requests.chat)" = "$before" ]; then
        tap_ok "refused with 400 naming $2, nothing sent: $1"
    else
        tap_fail "refused with 400 naming $2, nothing sent: $1" \
            "HTTP $SV_STATUS: $(cat "$SV_BODY"); chats upstream $before -> $(it_stat requests.chat)"
    fi
}
msg='"messages":[{"role":"user","content":"secret"}]'
refused "tools" tools "{\"model\":\"$E2EE_MODEL\",$msg,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}"
refused "logprobs" logprobs "{\"model\":\"$E2EE_MODEL\",$msg,\"logprobs\":true}"
refused "top_logprobs" top_logprobs "{\"model\":\"$E2EE_MODEL\",$msg,\"top_logprobs\":3}"
refused "n beyond 16" n "{\"model\":\"$E2EE_MODEL\",$msg,\"n\":17}"
refused "stop (read in clear)" stop "{\"model\":\"$E2EE_MODEL\",$msg,\"stop\":[\"x\"]}"
refused "response_format (read in clear)" response_format "{\"model\":\"$E2EE_MODEL\",$msg,\"response_format\":{\"type\":\"json_object\"}}"
refused "an unknown parameter" user "{\"model\":\"$E2EE_MODEL\",$msg,\"user\":\"alice\"}"
refused "an image" "messages[0].content[1]" "{\"model\":\"$E2EE_MODEL\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"see\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:,x\"}}]}]}"
refused "a message name" "messages[0].name" "{\"model\":\"$E2EE_MODEL\",\"messages\":[{\"role\":\"user\",\"name\":\"alice\",\"content\":\"hi\"}]}"
refused "a tool message" "messages[1]" "{\"model\":\"$E2EE_MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"tool\",\"content\":\"x\",\"tool_call_id\":\"a\"}]}"
refused "no model" model "{$msg}"
refused "no messages" messages "{\"model\":\"$E2EE_MODEL\",\"messages\":[]}"
sv_chat '{"model": "x", "messages": ['
sv_check_status "invalid JSON: 400" 400
it_check_eq "invalid JSON: OpenAI's error shape" \
    "$(sv_json "$SV_BODY" 'sorted(v["error"].keys())')" "['code', 'message', 'param', 'type']"

sv_chat "{\"model\":\"no-such-model\",$msg}"
sv_check_status "unknown model: 404" 404
it_check_eq "unknown model: code model_not_found" "$(sv_json "$SV_BODY" 'v["error"]["code"]')" model_not_found
sv_chat "{\"model\":\"$TEE_MODEL\",$msg}"
sv_check_status "TEE-only model without --allow-tee: 400" 400
it_check_eq "TEE-only model: code model_not_supported, nothing sent" \
    "$(sv_json "$SV_BODY" 'v["error"]["code"]') $(it_stat requests.chat)" "model_not_supported $before"

# ---- routes, methods, health, metrics ------------------------------------------
sv_curl "$SV_URL/v1/nothing-here"
sv_check_status "unknown path: 404" 404
sv_curl "$SV_URL/v1/chat/completions"
sv_check_status "GET on the chat endpoint: 405" 405
sv_curl "$SV_URL/healthz"
sv_check_status "healthz: 200" 200
sv_curl "$SV_URL/metrics"
sv_check_status "metrics: 200" 200
it_check_grep "metrics: requests by endpoint and status" "$SV_BODY" \
    'p11tee_serve_requests_total{endpoint="chat",status="200"} [1-9]'
it_check_grep "metrics: refusals counted" "$SV_BODY" 'p11tee_serve_requests_total{endpoint="chat",status="400"} [1-9]'
it_check_grep "metrics: attestations by verdict" "$SV_BODY" 'p11tee_serve_attestations_total{verdict="pass"} [1-9]'
it_check_grep "metrics: token derives and their latency" "$SV_BODY" 'p11tee_serve_token_derive_seconds_count [1-9]'
it_check_grep "metrics: chunk latency" "$SV_BODY" 'p11tee_serve_chunk_latency_seconds_count [1-9]'
it_check_grep "metrics: active streams" "$SV_BODY" '^p11tee_serve_active_streams 0$'
it_check_grep "metrics: resident memory" "$SV_BODY" '^process_resident_memory_bytes [1-9][0-9]\{6,\}$'

# ---- the log: one JSON line per request, never a prompt or an answer ------------
sv_wait_log "$SV_LOG" '"endpoint":"/metrics","status":200'
it_check_grep "log: a line per request with client, model, status, chunks, bytes, durations" "$SV_LOG" \
    '"event":"request","client":"local","method":"POST","endpoint":"/v1/chat/completions","status":200,"model":"e2ee-qwen3-5-122b-a10b","stream":true,"chunks":8,"bytes":[0-9]*,"ttft_ms":[0-9.]*,"attestation":"[0-9a-f]\{64\}","duration_ms"'
it_check_no_grep "log: no prompt" "$SV_LOG" "hello gateway"
it_check_no_grep "log: no answer" "$SV_LOG" "echo: "
it_check_no_grep "log: no API key" "$SV_LOG" "$REFSERVER_API_KEY"
if "${PYTHON3:-/usr/bin/python3}" -c 'import json, sys
for line in open(sys.argv[1]):
    json.loads(line)' "$SV_LOG"; then tap_ok "log: every line is JSON"; else tap_fail "log: every line is JSON"; fi

sv_stop gw
it_check_eq "SIGTERM: exit 0" "$SV_RC" 0
tap_done
