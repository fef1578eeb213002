#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# A server that seals a whole response with one ephemeral key (as vllm-proxy
# does; the reference server's --ephemeral per-response): the client derives
# its AES key once per stream, not once per field, and still refuses a
# tampered field.
. "$top_srcdir/tests/integration/lib.sh"
it_setup --ephemeral per-response --chunks 12
P="--policy $IT_POLICY"

it_run -v $P chat -m "$E2EE_MODEL" "one key for the whole answer"
it_check_rc "e2ee chat, one ephemeral key per response" 0
it_check_out "... the decrypted answer" "$(it_answer "one key for the whole answer")"
it_check_grep "... 12 fields opened with one ECDH in the token" "$IT_ERR" \
    "\\* E2EE: 12 fields opened with 1 ECDH in the token"

it_run -v $P chat -m "$THINK_MODEL" "reasoning too"
it_check_rc "reasoning model, one ephemeral key per response" 0
it_check_grep "... reasoning and content from one ECDH" "$IT_ERR" \
    "\\* E2EE: [0-9]* fields opened with 1 ECDH in the token"

it_run -v $P chat -m "$E2EE_MODEL" "again"
it_check_grep "the next response: its own key, one ECDH" "$IT_ERR" \
    "\\* E2EE: 12 fields opened with 1 ECDH in the token"

refserver_control '{"set_faults": ["tamper-ciphertext"]}' >/dev/null
it_run $P chat -m "$E2EE_MODEL" "tampered"
it_check_rc "a tampered field under a kept key: crypto exit code" 6
it_check_grep "... refused by its tag" "$IT_ERR" "failed authentication"
full=$(it_answer "tampered")
got=$(cat "$IT_OUT")
case $full in
"$got"?*) [ -n "$got" ] && tap_ok "... only the verified start of the answer on stdout" ||
    tap_fail "... only the verified start of the answer on stdout" "stdout empty" ;;
*) tap_fail "... only the verified start of the answer on stdout" "stdout: $got" ;;
esac

tap_done
