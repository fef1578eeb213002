#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# A CLI scripts can trust: the documented exit code of every class, one JSON
# error object for --json failures, a failed write to stdout stopping the
# stream and the token work at once, multi-turn input (--messages, --request
# -), the sampling options, -q and --hide-reasoning; on a pseudo-terminal,
# one Ctrl-D ending a prompt and a chat -i conversation whose history is sent.
. "$top_srcdir/tests/integration/lib.sh"
it_setup
P="--policy $IT_POLICY"
py=${PYTHON3:-/usr/bin/python3}
ptyrun() { "$py" "$top_srcdir/tests/integration/pty_run.py" "$@"; }
fault() {
    refserver_control "{\"clear_faults\": true, \"set_faults\": [\"$1\"]}" >/dev/null ||
        { echo "cannot set fault $1" >&2; exit 99; }
}
# The error object of a --json failure: "EXIT CODE" (CODE "-" when the library gave none).
json_error() {
    "$py" -c '
import json, sys
text = open(sys.argv[1]).read()
d = json.loads(text)                      # exactly one document, or this raises
e = d["error"]
print(e["exit"], e.get("code", "-"), "message" in e and bool(e["message"]))' "$IT_OUT"
}

# ---- exit codes, one per class (docs/p11tee.1, EXIT STATUS) ---------------------
it_run $P models
it_check_rc "0: success" 0
it_run $P attest --input "$TAP_TMP/none.json"
it_check_rc "1: a file that cannot be read" 1
it_run $P models --no-such-option
it_check_rc "2: usage" 2
it_run models $P
it_check_rc "a global option after the command: accepted (was 255)" 0
it_run models $P --base-url http://127.0.0.1:1/api/v1
it_check_rc "... and its value used: network (3)" 3
it_run chat $P -m "$E2EE_MODEL" --module "$TAP_TMP/no-such-module.so" "never sent"
it_check_rc "... a missing module after the command: token (7)" 7
it_run $P --base-url http://127.0.0.1:1/api/v1 models
it_check_rc "3: network (connection refused)" 3
fault http-500
it_run $P models
it_check_rc "4: HTTP (500)" 4
fault debug-td
it_run $P attest "$E2EE_MODEL"
it_check_rc "5: attestation" 5
fault tamper-ciphertext
it_run $P chat -m "$E2EE_MODEL" "exit six"
it_check_rc "6: crypto (a field that does not open)" 6
refserver_control '{"clear_faults": true}' >/dev/null
printf '1111\n' >"$TAP_TMP/wrong-pin"
chmod 600 "$TAP_TMP/wrong-pin"
it_run $P --token "pkcs11:token=it-token?pin-source=file:$TAP_TMP/wrong-pin" chat \
    -m "$E2EE_MODEL" "exit seven"
it_check_rc "7: token (a wrong PIN)" 7

# ---- --json failures: one JSON error object on stdout ---------------------------
it_run $P --base-url http://127.0.0.1:1/api/v1 models --json
it_check_eq "models --json, network failure: one object, exit 3, status 401" "$(json_error)" \
    "3 401 True"
fault debug-td
it_run $P chat -m "$E2EE_MODEL" --json "json failure"
it_check_eq "chat --json, attestation failure: exit 5, status 605" "$(json_error)" "5 605 True"
it_run $P attest "$E2EE_MODEL" --json
it_check_eq "attest --json, failed verdict: the report carries the error (one document)" \
    "$("$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["verdict"], d["error"]["exit"], d["error"]["code"])' "$IT_OUT")" \
    "fail 5 605"
refserver_control '{"clear_faults": true}' >/dev/null
it_run $P chat -m "$E2EE_MODEL" --json --temperature 9 "x"
it_check_eq "chat --json, usage error: exit 2 without a status" "$(json_error)" "2 - True"
it_run $P quote --json "$TAP_TMP/none.quote"
it_check_eq "quote --json, unreadable file: exit 1" "$(json_error)" "1 - True"

# ---- a failed write to stdout stops the stream at once --------------------------
refserver_control '{"chunks": 200}' >/dev/null
it_run $P -v chat -m "$E2EE_MODEL" "to a full disk"
full_answer=$(cat "$IT_OUT")
it_check_grep "200 chunks: every field opened when stdout takes them" "$IT_ERR" \
    "E2EE: 200 fields opened"
IT_RC=0
it_nottyrun "$top_builddir/p11tee" $P -v chat -m "$E2EE_MODEL" "to a full disk" \
    >/dev/full 2>"$IT_ERR" </dev/null || IT_RC=$?
it_check_rc "> /dev/full: exit 1" 1
it_check_says "... saying why" "$IT_ERR" \
    "p11tee: error: cannot write the answer to stdout: No space left on device; the stream was stopped"
it_check_grep "... after the first field: one field opened in the token, not 200" "$IT_ERR" \
    "E2EE: 1 fields opened"
IT_RC=0
{ it_nottyrun "$top_builddir/p11tee" $P -v chat -m "$E2EE_MODEL" "to a full disk" \
    2>"$IT_ERR" </dev/null || echo "$?" >"$TAP_TMP/rc"; } | head -c 20 >"$IT_OUT"
IT_RC=$(cat "$TAP_TMP/rc" 2>/dev/null || echo 0)
it_check_rc "| head -c 20: exit 1" 1
it_check_says "... a closed pipe, saying why" "$IT_ERR" \
    "p11tee: error: cannot write the answer to stdout: Broken pipe; the stream was stopped"
it_check_eq "... head got the start of the answer" "$(cat "$IT_OUT")" \
    "$(printf '%s' "$full_answer" | head -c 20)"
opened=$(sed -n 's/.*E2EE: \([0-9]*\) fields opened.*/\1/p' "$IT_ERR")
if [ -n "$opened" ] && [ "$opened" -lt 200 ]; then
    tap_ok "... the stream stopped early: $opened of 200 fields opened"
else
    tap_fail "... the stream stopped early" "fields opened: '$opened'"
fi
refserver_control '{"chunks": 8}' >/dev/null
IT_RC=0
it_nottyrun "$top_builddir/p11tee" $P models >/dev/full 2>"$IT_ERR" </dev/null || IT_RC=$?
it_check_rc "models > /dev/full: exit 1" 1
it_check_says "... saying why" "$IT_ERR" "p11tee: error: cannot write to stdout: No space left on device"

# ---- multi-turn input -------------------------------------------------------------
cat >"$TAP_TMP/messages.json" <<'EOF'
[{"role": "user", "content": "first question"},
 {"role": "assistant", "content": "first answer"},
 {"role": "user", "content": "second question"}]
EOF
before=$(it_stat fields_decrypted)
it_run $P chat -m "$E2EE_MODEL" --messages "$TAP_TMP/messages.json"
it_check_rc "--messages alone" 0
it_check_out "... the model answers the last user message" "$(it_answer "second question")"
it_check_eq "... all three messages were sealed and opened by the server" \
    "$(($(it_stat fields_decrypted) - before))" 3
it_run $P chat -m "$E2EE_MODEL" --messages "$TAP_TMP/messages.json" --json "and a third"
it_check_eq "--messages with a PROMPT: appended as the last user message (prompt words 9)" \
    "$("$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["choices"][0]["message"]["content"], d["usage"]["prompt_tokens"])' "$IT_OUT")" \
    "$(it_answer "and a third") 9"
printf '[{"role": "user"}]' >"$TAP_TMP/bad-messages.json"
sent=$(it_stat requests.chat)
it_run $P chat -m "$E2EE_MODEL" --messages "$TAP_TMP/bad-messages.json"
it_check_rc "--messages with a message without content: exit 1" 1
it_check_says "... naming it" "$IT_ERR" \
    "p11tee: error: $TAP_TMP/bad-messages.json: message 0 is not an object with a \"role\" string and a \"content\" string or array of parts"
it_check_eq "... nothing was sent" "$(it_stat requests.chat)" "$sent"
it_run_stdin "{\"model\": \"$E2EE_MODEL\", \"messages\": [{\"role\": \"system\", \"content\": \"be brief\"}, {\"role\": \"user\", \"content\": \"whole request\"}]}" \
    $P chat --request -
it_check_rc "--request -: the whole request on stdin, its model" 0
it_check_out "... answered" "$(it_answer "whole request")"
it_run_stdin "{\"model\": \"nonexistent\", \"messages\": [{\"role\": \"user\", \"content\": \"m wins\"}]}" \
    $P chat -m "$E2EE_MODEL" --request -
it_check_out "--request with -m: -m names the model" "$(it_answer "m wins")"
it_run_stdin '{"messages": []}' $P chat --request -
it_check_rc "--request without a model: exit 1" 1
it_check_says "... saying so" "$IT_ERR" \
    "p11tee: error: the request on stdin names no model: add \"model\" or give -m MODEL"
it_run $P chat --request - -m "$E2EE_MODEL" --system "x"
it_check_rc "--request with --system: usage error" 2
it_check_says "... saying why" "$IT_ERR" \
    "p11tee: error: --request is the whole request: no --messages, --system, -i or PROMPT with it"
it_run $P chat --request "$TAP_TMP/messages.json" -m "$E2EE_MODEL" "a prompt"
it_check_rc "--request with a PROMPT: usage error" 2

# ---- sampling options, -q, --hide-reasoning ----------------------------------------
mkdir -m 700 "$TAP_TMP/x"
it_run $P chat -m "$E2EE_MODEL" --temperature 0.25 --max-tokens 64 --save-exchange "$TAP_TMP/x" \
    "sampled"
it_check_rc "--temperature and --max-tokens" 0
it_check_eq "... both in the request sent (in clear: they carry no text)" \
    "$("$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["temperature"], d["max_tokens"])' "$TAP_TMP/x/request.json")" \
    "0.25 64"
for bad in "--temperature 2.5" "--temperature -1" "--temperature x" "--max-tokens 0" \
    "--max-tokens 1.5"; do
    it_run $P chat -m "$E2EE_MODEL" $bad "x"
    it_check_rc "chat $bad: usage error" 2
done
it_run $P chat -m "$E2EE_MODEL" -q "quiet please"
it_check_rc "-q" 0
it_check_out "-q: the answer on stdout" "$(it_answer "quiet please")"
it_check_empty "-q: nothing on stderr (no summary, no request id)" "$IT_ERR"
it_run $P chat -m "$THINK_MODEL" "think"
it_check_grep "the reasoning model's reasoning on stderr" "$IT_ERR" "thinking: think"
it_run $P chat -m "$THINK_MODEL" --hide-reasoning "think"
it_check_no_grep "--hide-reasoning: not shown" "$IT_ERR" "thinking:"
it_check_out "--hide-reasoning: the answer still on stdout" "$(it_answer "think")"

# ---- on a terminal ----------------------------------------------------------------
pty_answer=$(it_answer "typed at the terminal")
ptyrun --on "end it with Ctrl-D" 'typed at the terminal\x04' "$TAP_TMP/tty1" -- \
    "$top_builddir/p11tee" $P chat -m "$E2EE_MODEL" && IT_RC=0 || IT_RC=$?
it_check_rc "a prompt typed on a terminal, ended by one Ctrl-D after the text" 0
it_check_grep "... the hint that it reads the prompt" "$TAP_TMP/tty1" \
    "reading the prompt from the terminal; end it with Ctrl-D"
it_check_grep "... answered" "$TAP_TMP/tty1" "$pty_answer"
before=$(it_stat fields_decrypted)
attested=$(it_stat attestations_served)
ptyrun --on "> " 'the first turn\n' --on "> " 'the second turn\n' --on "> " '\x04' \
    "$TAP_TMP/tty2" -- "$top_builddir/p11tee" $P chat -m "$E2EE_MODEL" -i && IT_RC=0 || IT_RC=$?
it_check_rc "chat -i: two turns, then Ctrl-D" 0
it_check_grep "... the first answer" "$TAP_TMP/tty2" "$(it_answer "the first turn")"
it_check_grep "... the second answer" "$TAP_TMP/tty2" "$(it_answer "the second turn")"
it_check_eq "... the second turn carried the history: 1 + 3 messages sealed" \
    "$(($(it_stat fields_decrypted) - before))" 4
it_check_eq "... one attestation for the session" \
    "$(($(it_stat attestations_served) - attested))" 1
# Ctrl-C mid-stream: 4 pieces a second apart; the first shows, then Ctrl-C.
refserver_control '{"chunks": 4, "chunk_delay_ms": 1000}' >/dev/null
ptyrun --on "echo: ab" '\x03' "$TAP_TMP/tty3" -- \
    "$top_builddir/p11tee" $P chat -m "$E2EE_MODEL" abcdefghijklmnopqrstuvwxyz && IT_RC=0 || IT_RC=$?
refserver_control '{"chunks": 8, "chunk_delay_ms": 0}' >/dev/null
it_check_rc "Ctrl-C mid-stream: exit 130" 130
it_check_grep "... the interrupted marker" "$TAP_TMP/tty3" "p11tee: \[interrupted\]"
it_check_no_grep "... the rest of the answer never shown" "$TAP_TMP/tty3" "stuvwxyz"
it_run $P chat -m "$E2EE_MODEL" -i
it_check_rc "chat -i without a terminal: usage error" 2
it_check_grep "... saying why" "$IT_ERR" "chat -i needs a terminal on stdin"

tap_done
