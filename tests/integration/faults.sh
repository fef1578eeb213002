#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Every fault switch of the reference server against the p11tee command: each
# gives its own error and exit code, a failed attestation sends no prompt, and
# no tampered or unverified text reaches stdout.
. "$top_srcdir/tests/integration/lib.sh"
it_setup
P="--policy $IT_POLICY"

fault() {
    refserver_control "{\"clear_faults\": true, \"set_faults\": [\"$1\"]}" >/dev/null ||
        { echo "cannot set fault $1" >&2; exit 99; }
}

# Attestation faults: `attest` names the check; `chat` refuses before sending.
while read -r name check; do
    fault "$name"
    it_run $P attest "$E2EE_MODEL"
    it_check_rc "$name: attest fails with the attestation exit code" 5
    it_check_grep "$name: the report marks $check as FAIL" "$IT_OUT" "^  $check .* FAIL"
    it_check_grep "$name: the error names $check" "$IT_ERR" "check $check failed"
    sent=$(it_stat requests.chat)
    it_run $P chat -m "$E2EE_MODEL" "secret prompt for $name"
    it_check_rc "$name: chat is refused with the attestation exit code" 5
    it_check_out "$name: nothing on stdout" ""
    it_check_eq "$name: no chat request left the machine" "$(it_stat requests.chat)" "$sent"
done <<'FAULTS'
wrong-nonce nonce.echo
wrong-model model.echo
debug-td tdx.td.debug
wrong-address signing_address.binding
reportdata-nonce tdx.reportdata.nonce
reportdata-address tdx.reportdata.address
not-verified server.verified
bad-quote-signature tdx.quote.signature
bad-qe-signature tdx.qe.signature
qe-reportdata tdx.qe.reportdata
foreign-root tdx.pck.chain
expired-pck tdx.pck.chain
nvidia-bad-signature nvidia.evidence.signature
nvidia-wrong-nonce nvidia.evidence.nonce
FAULTS

answer=$(it_answer "stream faults")
# A proper, non-empty prefix of the answer: what was verified before the fault was shown,
# nothing from the fault on.
prefix_only() {
    out=$(cat "$IT_OUT")
    case "$answer" in
    "$out"*) [ -n "$out" ] && [ "$out" != "$answer" ] ;;
    *) false ;;
    esac
}

fault tamper-ciphertext
it_run $P chat -m "$E2EE_MODEL" "stream faults"
it_check_rc "tamper-ciphertext: crypto exit code" 6
it_check_grep "tamper-ciphertext: the failed field is named" "$IT_ERR" "failed authentication"
tap_check "tamper-ciphertext: stdout holds only the verified start of the answer" prefix_only
it_check_grep "tamper-ciphertext: the output is flagged incomplete" "$IT_ERR" "output above is incomplete"

fault plaintext-chunk
it_run $P chat -m "$E2EE_MODEL" "stream faults"
it_check_rc "plaintext-chunk: crypto exit code" 6
it_check_grep "plaintext-chunk: named a downgrade" "$IT_ERR" "plaintext field inside the encrypted stream"
tap_check "plaintext-chunk: the plaintext piece is not shown" prefix_only
it_run $P chat -m "$E2EE_MODEL" --allow-plaintext "stream faults"
it_check_rc "plaintext-chunk with --allow-plaintext: passes" 0
it_check_out "... the whole answer on stdout" "$answer"
it_check_grep "... the unencrypted field marked on stderr" "$IT_ERR" "UNENCRYPTED"
it_check_grep "... and in the summary line" "$IT_ERR" "SOME FIELDS ARRIVED UNENCRYPTED"

# A relay between the enclave and the client. Each envelope is authenticated on its own:
# one repeated verbatim (same ephemeral key and nonce) is refused, by name, before its
# text is shown; a dropped or reordered one cannot be detected on this protocol version,
# and every E2EE result says so.
fault replay-chunk
it_run $P chat -m "$E2EE_MODEL" "stream faults"
it_check_rc "replay-chunk: crypto exit code" 6
it_check_grep "replay-chunk: the repeat is named" "$IT_ERR" \
    "the server sent an encrypted field a second time (the same ephemeral key and nonce"
tap_check "replay-chunk: stdout holds the answer up to the repeat, not the copy" prefix_only
it_check_grep "replay-chunk: flagged incomplete" "$IT_ERR" "output above is incomplete"
integrity="stream integrity: each field authenticated alone: a repeated field is refused, but dropped or reordered fields cannot be detected on this protocol version"
for f in swap-chunks drop-chunk; do
    fault "$f"
    it_run $P chat -m "$E2EE_MODEL" "stream faults"
    it_check_rc "$f: passes (the legacy protocol cannot tell)" 0
    it_check_eq "$f: the answer differs from the enclave's" \
        "$([ "$(cat "$IT_OUT")" != "$answer" ] && echo differs)" "differs"
    it_check_grep "$f: stderr says drops and reordering cannot be detected" "$IT_ERR" \
        "^p11tee: $integrity"
done
# Where the exact response is kept (--save-exchange), the enclave's signature of the
# response covers the stream as it sent it: a policy that requires signature.response_hash
# turns a dropped or reordered field into a failed verdict.
sed 's/^{"version": 1,/{"version": 1, "checks": {"signature.response_hash": "required"},/' \
    "$IT_POLICY" >"$TAP_TMP/hash-policy.json"
# sig_check FAULT: chat with the fault, keep the exchange, verify its signature.
sig_check() {
    if [ "$1" = none ]; then
        refserver_control '{"clear_faults": true}' >/dev/null
    else
        fault "$1"
    fi
    rm -rf "$TAP_TMP/ex-$1"
    it_run $P chat -m "$E2EE_MODEL" --save-exchange "$TAP_TMP/ex-$1" "stream faults"
    id=$(sed -n 's/.*request \(chatcmpl-[0-9a-f]*\).*/\1/p' "$IT_ERR")
    it_run --policy "$TAP_TMP/hash-policy.json" signature -m "$E2EE_MODEL" "$id" \
        --request "$TAP_TMP/ex-$1/request.json" --response "$TAP_TMP/ex-$1/response.body"
}
for f in swap-chunks drop-chunk; do
    sig_check "$f"
    it_check_rc "$f, response hash required: the signature verdict fails" 5
    it_check_grep "... naming signature.response_hash" "$IT_ERR" "check signature.response_hash failed"
done
sig_check none
it_check_rc "no fault, response hash required: the signature verdict passes" 0
it_check_grep "... the response hash matched" "$IT_OUT" "signature.response_hash .* pass"
it_run $P chat -m "$E2EE_MODEL" --json "stream faults"
it_check_grep "--json says so too" "$IT_OUT" \
    '"stream_integrity": *"each field authenticated alone: a repeated field is refused, but dropped or reordered fields cannot be detected'

fault rotate-key
attests=$(it_stat attestations_served)
it_run -v $P chat -m "$E2EE_MODEL" "stream faults"
it_check_rc "rotate-key: the chat re-attests once and succeeds" 0
it_check_out "rotate-key: the answer" "$answer"
it_check_grep "rotate-key: -v says why it attested again" "$IT_ERR" "model key changed"
it_check_eq "rotate-key: exactly two attestations" "$(it_stat attestations_served)" \
    "$((attests + 2))"

fault drop-stream
it_run $P chat -m "$E2EE_MODEL" "stream faults"
it_check_rc "drop-stream: network exit code" 3
it_check_grep "drop-stream: the connection broke, said so" "$IT_ERR" \
    "^p11tee: error: the connection to .*/chat/completions broke before the response was complete: retry$"
tap_check "drop-stream: stdout holds only the start of the answer" prefix_only
it_check_grep "drop-stream: flagged incomplete" "$IT_ERR" "output above is incomplete"

fault stall-stream
it_run $P --idle-timeout 1 chat -m "$E2EE_MODEL" "stream faults"
it_check_rc "stall-stream: the idle timeout ends it with the network exit code" 3
it_check_grep "stall-stream: said so" "$IT_ERR" "no data"
it_check_grep "stall-stream: naming the limit and what to do" "$IT_ERR" \
    "for 1000 ms (idle timeout): the server stalled; retry, or raise the idle timeout$"
tap_check "stall-stream: stdout holds only the start of the answer" prefix_only

fault http-500
it_run $P chat -m "$E2EE_MODEL" "stream faults"
it_check_rc "http-500: HTTP exit code" 4
it_check_grep "http-500: the server's message" "$IT_ERR" "HTTP 500"
it_check_says "http-500: the whole message" "$IT_ERR" \
    "p11tee: error: server answered HTTP 500: Internal server error"
it_check_out "http-500: nothing on stdout" ""

# The gateway denies E2EE for an e2ee- model: nothing may leave in the clear.
fault e2ee-flag-off
sent=$(it_stat requests.chat)
it_run $P chat -m "$E2EE_MODEL" "secret for a downgraded model"
it_check_rc "e2ee-flag-off: refused with the HTTP/API exit code" 4
it_check_grep "e2ee-flag-off: says why" "$IT_ERR" "does not support end-to-end encryption; nothing was sent"
it_check_eq "e2ee-flag-off: no chat request left the machine" "$(it_stat requests.chat)" "$sent"
refserver_control '{"clear_faults": true}' >/dev/null
it_run $P chat -m "$TEE_MODEL" --e2ee "tee with --e2ee"
it_check_rc "--e2ee refuses a model without E2EE" 4
it_check_says "... saying why" "$IT_ERR" \
    "p11tee: error: the server's model list says $TEE_MODEL does not support end-to-end encryption; nothing was sent (E2EE is required)"
it_check_eq "... sending nothing" "$(it_stat requests.chat)" "$sent"

# A server error inside the stream echoes the key and carries control sequences.
fault stream-error
it_run $P chat -m "$E2EE_MODEL" "stream faults"
it_check_rc "stream-error: HTTP/API exit code" 4
it_check_grep "stream-error: the server's error is shown" "$IT_ERR" "reported an error in the stream: rate limited"
it_check_no_grep "stream-error: the API key is not" "$IT_ERR" "$REFSERVER_API_KEY"
it_check_no_grep "stream-error: no ESC reaches stderr" "$IT_ERR" "$(printf '\033')"
it_check_no_grep "stream-error: no BEL either" "$IT_ERR" "$(printf '\007')"

# Hostile strings in the attestation and the chat ids.
fault hostile-strings
it_run $P attest "$E2EE_MODEL"
it_check_rc "hostile-strings: the attestation itself passes" 0
it_check_eq "hostile-strings: exactly one verdict line" "$(grep -c '^Verdict:' "$IT_OUT")" "1"
it_check_no_grep "hostile-strings: no ESC in the report" "$IT_OUT" "$(printf '\033')"
it_run $P chat -m "$E2EE_MODEL" "stream faults"
it_check_rc "hostile-strings: the chat itself works" 0
it_check_no_grep "hostile-strings: the hostile id carries no ESC to stderr" "$IT_ERR" "$(printf '\033')"
it_check_no_grep "hostile-strings: nor BEL" "$IT_ERR" "$(printf '\007')"

# The server never accepts the attested key: one re-attestation, then a clear error.
fault mismatch-always
attests=$(it_stat attestations_served)
it_run $P chat -m "$E2EE_MODEL" "stream faults"
it_check_rc "mismatch-always: HTTP/API exit code after one retry" 4
it_check_grep "mismatch-always: says so" "$IT_ERR" \
    "refused the model key it had just attested, twice: the enclave that attests is not the one that decrypts"
it_check_eq "mismatch-always: exactly one re-attestation" "$(it_stat attestations_served)" \
    "$((attests + 2))"
it_check_out "mismatch-always: nothing on stdout" ""

# The server killed in the middle of a stream.
refserver_control '{"clear_faults": true, "chunk_delay_ms": 300}' >/dev/null
: >"$IT_OUT"
"$top_builddir/p11tee" $P chat -m "$E2EE_MODEL" "stream faults" >"$IT_OUT" 2>"$IT_ERR" &
chat=$!
i=0
while [ ! -s "$IT_OUT" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -9 "$REFSERVER_PID"
IT_RC=0
wait "$chat" || IT_RC=$?
it_check_rc "server killed mid-stream: network exit code" 3
it_check_grep "server killed mid-stream: the connection broke, said so" "$IT_ERR" \
    "broke before the response was complete: retry$"
tap_check "server killed mid-stream: only the start of the answer" prefix_only

tap_done
