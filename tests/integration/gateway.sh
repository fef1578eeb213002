#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The live gateway's ways (PROTOCOL.md sections 4 and 5) against the p11tee
# command: the stream as Phala's gateway sends it, the request as it reads it,
# its errors and key rotation, and TEE-only on purpose. Each case checks the
# exit code and stdout: nothing unverified or tampered is ever shown there.
. "$top_srcdir/tests/integration/lib.sh"
it_setup
P="--policy $IT_POLICY"
py=${PYTHON3:-/usr/bin/python3}

control() {
    refserver_control "$1" >/dev/null || { echo "cannot apply $1" >&2; exit 99; }
}
fault() {
    control "{\"clear_faults\": true, \"set_faults\": [\"$1\"]}"
}
# What the reference model answers for choice N (0: "echo: ", N: "echo#N: ").
answer_of() {
    "$py" -c '
import sys
tag = ": " if sys.argv[2] == "0" else "#%s: " % sys.argv[2]
base = orig = "echo" + tag + sys.argv[1]
while len(base) < 8:
    base = base + " " + orig
sys.stdout.write(base)' "$1" "${2:-0}"
}

# ---- the stream -------------------------------------------------------------------------
answer=$(answer_of "gateway")

# An error object in the stream, then [DONE]: the request failed, whatever follows.
fault stream-error-object
it_run $P chat -m "$E2EE_MODEL" "gateway"
it_check_rc "error object in the stream, [DONE] after it: the HTTP/API exit code" 4
it_check_says "... the server's message, its type" "$IT_ERR" \
    "p11tee: error: the server reported an error in the stream: upstream inference failed (TEST) (upstream_error)"
it_check_out "... stdout holds the one verified piece before it" "$(printf '%s' "$answer" | cut -c1)"
it_check_grep "... flagged incomplete" "$IT_ERR" "output above is incomplete"
it_run $P chat -m "$E2EE_MODEL" --json "gateway"
it_check_rc "... --json: the same exit code" 4
it_check_eq "... --json: one JSON error object on stdout for a failed request" \
    "$("${PYTHON3:-/usr/bin/python3}" -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; print(e["exit"], e["message"])' "$IT_OUT")" \
    "4 the server reported an error in the stream: upstream inference failed (TEST) (upstream_error)"

# delta: null, an empty data: line, usage in a chunk of its own with choices: [].
fault gateway-framing
it_run $P chat -m "$E2EE_MODEL" --json "gateway"
it_check_rc "gateway framing (null delta, empty data:, usage-only chunk): accepted" 0
it_check_eq "... the answer" "$(it_json choices.0.message.content)" "$answer"
it_check_eq "... the usage of the separate chunk" "$(it_json usage.total_tokens)" "9"
it_run $P chat -m "$E2EE_MODEL" "gateway"
it_check_rc "gateway framing, streamed to stdout" 0
it_check_out "... the answer" "$answer"

# n = 2: choice 0 streams; --choices prints every choice; --json returns them all.
control '{"clear_faults": true}'
it_run $P chat -m "$E2EE_MODEL" --choices 2 "two"
it_check_rc "--choices 2" 0
it_check_out "... both answers, each under its line" "$(printf -- '--- choice 0 ---\n%s\n--- choice 1 ---\n%s' \
    "$(answer_of two 0)" "$(answer_of two 1)")"
it_run $P chat -m "$E2EE_MODEL" --choices 2 --json "two"
it_check_rc "--choices 2 --json" 0
it_check_eq "... choice 0" "$(it_json choices.0.message.content)" "$(answer_of two 0)"
it_check_eq "... choice 1 by its index" "$(it_json choices.1.index):$(it_json choices.1.message.content)" \
    "1:$(answer_of two 1)"
it_run $P chat -m "$E2EE_MODEL" --choices 17 "two"
it_check_rc "--choices 17: usage error" 2
it_check_says "... saying the range" "$IT_ERR" "p11tee: error: --choices wants a number from 1 to 16, not \"17\""

# Reasoning sent in clear inside an E2EE stream: dropped, counted, a privacy failure.
fault reasoning-plaintext
it_run $P chat -m "$THINK_MODEL" "gateway"
it_check_rc "reasoning in clear: the (encrypted) answer goes on" 0
it_check_out "... the answer, and only the answer, on stdout" "$answer"
it_check_no_grep "... the clear reasoning is never shown" "$IT_ERR" "thinking: gateway"
it_check_grep "... reported as the server's privacy failure" "$IT_ERR" \
    "warning: PRIVACY FAILURE of the server: 9 reasoning fields arrived UNENCRYPTED inside the E2EE stream (dropped, never shown)"
it_check_grep "... and in the summary line" "$IT_ERR" "REASONING ARRIVED UNENCRYPTED (dropped)"
it_run $P chat -m "$THINK_MODEL" --json "gateway"
it_check_eq "... --json counts them (8 pieces and one reasoning_details)" "$(it_json p11tee.dropped_plaintext_reasoning)" "9"
it_check_no_grep "... --json holds none of it" "$IT_OUT" "thinking: "
# Plaintext content stays a refused downgrade (faults.sh: plaintext-chunk, exit 6).

# Encrypted reasoning in delta.reasoning (the gateway since 2026-08-08) is opened.
control '{"clear_faults": true, "reasoning_field": "reasoning"}'
it_run $P chat -m "$THINK_MODEL" "gateway"
it_check_rc "encrypted reasoning in delta.reasoning" 0
it_check_out "... the answer on stdout" "$answer"
it_check_grep "... the reasoning, decrypted, on stderr" "$IT_ERR" "^thinking: gateway"
control '{"reasoning_field": "reasoning_content"}'

# ---- the request ----------------------------------------------------------------------------
# The server replaces decrypted content that parses as a JSON array by its parts.
it_run $P chat -m "$E2EE_MODEL" "[1, 2]"
it_check_rc "a prompt that is a JSON array" 0
it_check_out "... reaches the model as text" "$(answer_of '[1, 2]')"
it_run $P chat -m "$E2EE_MODEL" '[{"type":"text","text":"not parts"}]'
it_check_rc "a prompt that looks like content parts" 0
it_check_out "... reaches the model as the text typed" "$(answer_of '[{"type":"text","text":"not parts"}]')"
# logprobs, top_logprobs, stop, response_format: refused before sending (test_library).

# ---- errors and key rotation ---------------------------------------------------------------------
# The gateway's words and error type for a rotated key: attest once more, then it works.
control '{"clear_faults": true, "error_form": "gateway", "set_faults": ["rotate-key"]}'
attests=$(it_stat attestations_served)
it_run $P chat -m "$E2EE_MODEL" "gateway"
it_check_rc "key mismatch in the gateway's words (type e2ee_model_key_mismatch): re-attested" 0
it_check_out "... the answer" "$answer"
it_check_eq "... after exactly two attestations" "$(it_stat attestations_served)" "$((attests + 2))"
control '{"set_faults": ["mismatch-always"]}'
it_run $P chat -m "$E2EE_MODEL" "gateway"
it_check_rc "a key the server refuses again after a fresh attestation: HTTP/API exit code" 4
it_check_grep "... said so" "$IT_ERR" "refused the model key it had just attested, twice"
it_check_out "... nothing on stdout" ""

# Every E2EE refusal is the E2EE class, with what to do.
fault decrypt-fail
it_run $P chat -m "$E2EE_MODEL" "gateway"
it_check_rc "E2EE decryption failed (e2ee_decryption_failed): the crypto/E2EE exit code" 6
it_check_says "... the server's words and what to do" "$IT_ERR" \
    "p11tee: error: the server answered HTTP 400 that it could not decrypt the request (E2EE decryption failed): the key it holds is not the attested one, or a relay altered the request; retry, and report it if it persists"
it_check_out "... nothing on stdout" ""
control '{"error_form": "plain"}'
it_run $P chat -m "$E2EE_MODEL" "gateway"
it_check_rc "Failed to decrypt field (plain form): the same class" 6
it_check_grep "... named" "$IT_ERR" "could not decrypt the request (Failed to decrypt field)"

# An attestation 502 is a named, retryable network error; nothing is sent.
fault attestation-502
sent=$(it_stat requests.chat)
it_run $P attest "$E2EE_MODEL"
it_check_rc "attestation HTTP 502: the network exit code" 3
it_check_says "... named, with what to do" "$IT_ERR" \
    "p11tee: error: the attestation service answered HTTP 502 (Nonce must be exactly 32 bytes): some models cannot be attested for a while; retry in a minute"
it_check_out "... no report on stdout" ""
it_run $P chat -m "$E2EE_MODEL" "secret for a model that cannot attest"
it_check_rc "... chat: the same exit code" 3
it_check_out "... nothing on stdout" ""
it_check_eq "... and no chat request left the machine" "$(it_stat requests.chat)" "$sent"

# ---- TEE-only, on purpose ----------------------------------------------------------------------------
control '{"clear_faults": true}'
tee_only=$(it_stat tee_only_chats)
attests=$(it_stat attestations_served)
it_run $P chat -m "$E2EE_MODEL" --tee-only "in the clear"
it_check_rc "--tee-only with an E2EE model" 0
it_check_out "... the answer" "$(answer_of 'in the clear')"
it_check_grep "... attested first" "$IT_ERR" "^p11tee: verified: $E2EE_MODEL attested"
it_check_grep "... a warning that the API layer can read the prompt" "$IT_ERR" \
    "warning: --tee-only: the prompt goes UNENCRYPTED (TLS only) to the attested enclave; Venice's API layer in between can read it"
it_check_grep "... and the summary says so" "$IT_ERR" "TEE-only on purpose: NOT end-to-end encrypted"
it_check_eq "... the server saw enable_e2ee: false" "$(it_stat tee_only_chats)" "$((tee_only + 1))"
it_check_eq "... after one attestation" "$(it_stat attestations_served)" "$((attests + 1))"
it_run $P chat -m "$E2EE_MODEL" --tee-only --json "in the clear"
it_check_eq "... --json: tee_only true, e2ee false" "$(it_json p11tee.tee_only):$(it_json p11tee.e2ee)" \
    "True:False"
it_run $P chat -m "$E2EE_MODEL" --tee-only --e2ee "x"
it_check_rc "--tee-only with --e2ee: usage error" 2
it_check_says "... saying why" "$IT_ERR" "p11tee: error: --e2ee and --tee-only contradict each other"
it_run $P chat -m "$PLAIN_MODEL" --tee-only "x"
it_check_rc "--tee-only with a model outside any enclave: refused" 4
it_check_out "... nothing on stdout" ""
# Without --tee-only a gateway denying E2EE for an e2ee- model gets nothing (faults.sh);
# with it the user's choice stands.
fault e2ee-flag-off
it_run $P chat -m "$E2EE_MODEL" --tee-only "asked for"
it_check_rc "--tee-only when /models denies E2EE: the user's choice" 0
it_check_out "... the answer" "$(answer_of 'asked for')"

# p11tee models says which modes each model offers.
control '{"clear_faults": true}'
it_run $P models
it_check_rc "models" 0
it_check_grep "... an E2EE model offers e2ee and tee-only" "$IT_OUT" "^$E2EE_MODEL .* e2ee,tee-only$"
it_check_grep "... a TEE model tee" "$IT_OUT" "^$TEE_MODEL .* tee$"
it_check_grep "... a plain model none" "$IT_OUT" "^$PLAIN_MODEL .* -$"

tap_done
