#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# What Venice's gateway proves beyond the quote (PROTOCOL.md sections 2 and
# 3) against the p11tee command: the ACI envelope beside the legacy fields or
# alone, copies that must agree, dstack's event log replayed into RTMR3 and
# its events pinned by lists, GPU evidence that is missing, the operator's
# native ACI report, receipts, saved attestations and the strict preset.
# Each case checks the exit code and stdout: a failed check is named, and no
# prompt leaves the machine before the policy's checks passed.
. "$top_srcdir/tests/integration/lib.sh"
it_setup
P="--policy $IT_POLICY"
py=${PYTHON3:-/usr/bin/python3}
ACI_URL="${REFSERVER_URL%/api/v1}/v1/aci/attestation"
A="--aci-report-url $ACI_URL"

control() {
    refserver_control "$1" >/dev/null || { echo "cannot apply $1" >&2; exit 99; }
}
fault() {
    control "{\"clear_faults\": true, \"set_faults\": [\"$1\"]}"
}
# A policy file: the server's TEST roots and the members given (JSON, after a comma).
policy() {
    cat >"$TAP_TMP/$1.json" <<POLICY
{"version": 1,
 "test_roots": {"tdx": ["$REFSERVER_STATE/sgx_test_root.pem"],
                "nvidia": ["$REFSERVER_STATE/nvidia_test_root.pem"]}${2:+, $2}}
POLICY
}
policy strict '"preset": "strict"'
policy gpu-optional '"checks": {"nvidia.*": "if-checked"}'
STRICT="--policy $TAP_TMP/strict.json"
# The line of check NAME in a report on stdout, as "NAME RESULT POLICY".
check_line() {
    sed -n "s/^  \($1\) \{1,\}\(pass\|FAIL\|not checked\) \{1,\}\([a-z-]*\) .*/\1 \2 \3/p" "$IT_OUT"
}
verdict() {
    grep '^Verdict: ' "$IT_OUT"
}
field() {
    sed -n "s/^  $1 \{1,\}//p" "$IT_OUT"
}
answer=$(it_answer "aci")
# Every policy here trusts the server's TEST roots: every verdict line says so.
TR='\[TEST ROOT: the policy trusts tdx, nvidia test roots\]'

# ---- the envelope beside the legacy fields -------------------------------------------------------
it_run $P attest "$E2EE_MODEL"
it_check_rc "both shapes: attest" 0
for c in aci.api_version aci.report_data aci.agree.quote aci.agree.app_compose aci.agree.event_log \
    aci.keyset.digest aci.keyset.e2ee_key aci.keyset.endorsement aci.keyset.expiry; do
    it_check_eq "... $c passes" "$(check_line "$c")" "$c pass if-checked"
done
it_check_eq "... the event log replays to RTMR3" "$(check_line tdx.rtmr3.replay)" \
    "tdx.rtmr3.replay pass if-checked"
it_check_eq "... the native report was not asked for" "$(check_line aci.native.quote)" \
    "aci.native.quote not checked if-checked"
it_check_eq "... verdict" "$(verdict)" "Verdict: PASS [TEST ROOT: the policy trusts tdx, nvidia test roots] (every check the policy requires passed)"
compose=$(field compose_hash)
it_check_eq "... the replayed compose-hash event is shown" "${#compose}" 64
it_check_grep "... and key-provider as its text" "$IT_OUT" '^  key_provider  *{"name":"kms","id":"'
it_check_grep "... and the keyset digest" "$IT_OUT" '^  workload_keyset_digest  *sha256:[0-9a-f]\{64\}$'
it_run $P attest --json "$E2EE_MODEL"
it_check_rc "both shapes: attest --json" 0
it_check_eq "... the events in the fields" "$(it_json fields.compose_hash)" "$compose"
it_check_eq "... aci.keyset.digest passes in --json" "$("$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print([c["result"] for c in d["checks"] if c["name"] == "aci.keyset.digest"][0])' "$IT_OUT")" "pass"

control '{"tcb_info_form": "string"}'
it_run $P attest "$E2EE_MODEL"
it_check_rc "info.tcb_info as a JSON string (the live gateway's form)" 0
it_check_eq "... its event log is read and agrees" "$(check_line aci.agree.event_log)" \
    "aci.agree.event_log pass if-checked"
it_check_eq "... the same compose-hash" "$(field compose_hash)" "$compose"
control '{"tcb_info_form": "object"}'

# ---- the envelope alone ------------------------------------------------------------------------------
control '{"shape": "aci"}'
sent=$(it_stat requests.chat)
it_run $P attest "$E2EE_MODEL"
it_check_rc "the ACI envelope alone: no GPU evidence, which the default requires" 5
it_check_eq "... the quote under attestation.evidence verifies" "$(check_line tdx.quote.signature)" \
    "tdx.quote.signature pass required"
it_check_eq "... the key comes from the keyset" "$(check_line signing_key.format)" \
    "signing_key.format pass required"
it_check_eq "... no address to compare" "$(check_line signing_address.binding)" \
    "signing_address.binding not checked if-checked"
it_check_grep "... the verdict names the GPU check" "$IT_OUT" \
    "^Verdict: FAIL $TR: attestation check nvidia.payload is required by the policy but was not performed"
it_run $P chat -m "$E2EE_MODEL" "aci"
it_check_rc "... chat: the attestation exit code" 5
it_check_out "... nothing on stdout" ""
it_check_eq "... and no chat request left the machine" "$(it_stat requests.chat)" "$sent"
it_run --policy "$TAP_TMP/gpu-optional.json" chat -m "$E2EE_MODEL" "aci"
it_check_rc "the ACI envelope alone, GPU evidence optional: chat" 0
it_check_out "... the answer" "$answer"
control '{"shape": "both"}'

# ---- copies that disagree: each fails its check, and nothing is sent --------------------------------
for case in aci-quote-disagree:aci.agree.quote aci-compose-disagree:aci.agree.app_compose \
    aci-key-outside-keyset:aci.keyset.e2ee_key aci-keyset-digest:aci.keyset.digest \
    rtmr3-mismatch:tdx.rtmr3.replay; do
    f=${case%%:*} c=${case#*:}
    fault "$f"
    it_run $P attest "$E2EE_MODEL"
    it_check_rc "$f: attest" 5
    it_check_eq "... $c fails" "$(check_line "$c")" "$c FAIL if-checked"
    it_check_grep "... the verdict names it" "$IT_OUT" "^Verdict: FAIL $TR: attestation check $c failed: "
    sent=$(it_stat requests.chat)
    it_run $P chat -m "$E2EE_MODEL" "secret"
    it_check_rc "... chat: the attestation exit code" 5
    it_check_out "... nothing on stdout" ""
    it_check_eq "... nothing sent" "$(it_stat requests.chat)" "$sent"
done

# GPU evidence the gateway could not fetch (evidence_list: []): not checked, said why.
fault no-gpu-evidence
it_run $P attest "$E2EE_MODEL"
it_check_rc "no GPU evidence: attest" 5
it_check_eq "... the GPU checks are not checked" "$(check_line nvidia.evidence.signature)" \
    "nvidia.evidence.signature not checked required"
it_check_grep "... saying why" "$IT_OUT" "nvidia.evidence.signature .*the server sent no GPU evidence"
it_check_grep "... and the verdict" "$IT_OUT" \
    "^Verdict: FAIL $TR: attestation check nvidia.payload is required by the policy but was not performed: the server sent no GPU evidence (evidence_list is empty)$"

# ---- pins of measurements and events, as lists ---------------------------------------------------------
control '{"clear_faults": true}'
it_run $P attest "$E2EE_MODEL"
rtmr3=$(field rtmr3)
old=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
policy pins "\"tdx\": {\"rtmr3\": [\"$old${old%????????????????????????????????}\", \"$rtmr3\"], \"events\": {\"compose-hash\": [\"$old\", \"$compose\"], \"key-provider\": \"$(field key_provider | sed 's/"/\\"/g')\"}}"
it_run --policy "$TAP_TMP/pins.json" attest "$E2EE_MODEL"
it_check_rc "pins as lists (a rolling upgrade: the old value and the new)" 0
it_check_grep "... RTMR3 matches the second value" "$IT_OUT" "policy.rtmr3 .* pass .*(value 2 of 2)"
it_check_grep "... so does the compose-hash event" "$IT_OUT" "policy.event.compose_hash .* pass .*(value 2 of 2)"
it_check_grep "... key-provider pinned by its text" "$IT_OUT" "policy.event.key_provider .* pass .*(value 1 of 1)"
policy pins-old "\"tdx\": {\"events\": {\"compose-hash\": [\"$old\"]}}"
it_run --policy "$TAP_TMP/pins-old.json" attest "$E2EE_MODEL"
it_check_rc "an event pin of the old release only" 5
it_check_grep "... named" "$IT_OUT" "^Verdict: FAIL $TR: attestation check policy.event.compose_hash failed: compose-hash $compose differs from the policy's pin"
policy pins-unreplayed "\"checks\": {\"tdx.rtmr3.replay\": \"advisory\"}, \"tdx\": {\"events\": {\"compose-hash\": \"$compose\"}}"
fault rtmr3-mismatch
it_run --policy "$TAP_TMP/pins-unreplayed.json" attest "$E2EE_MODEL"
it_check_rc "an event pin when the log does not replay (replay made advisory)" 5
it_check_grep "... the event proves nothing" "$IT_OUT" \
    "policy.event.compose_hash .* FAIL .*is not measured (the event log does not replay to RTMR3)"
control '{"clear_faults": true}'

# ---- the operator's native ACI report ------------------------------------------------------------------
served=$(it_stat aci_reports_served)
it_run $P $A attest "$E2EE_MODEL"
it_check_rc "--aci-report-url: attest" 0
for c in aci.native.quote aci.native.binding aci.native.keyset; do
    it_check_eq "... $c passes" "$(check_line "$c")" "$c pass if-checked"
done
it_check_eq "... fetched once" "$(it_stat aci_reports_served)" "$((served + 1))"
it_check_eq "... without the API key" "$(it_stat aci_reports_with_authorization)" "0"
for case in aci-native-binding:aci.native.binding aci-native-keyset:aci.native.keyset; do
    f=${case%%:*} c=${case#*:}
    fault "$f"
    it_run $P $A attest "$E2EE_MODEL"
    it_check_rc "$f: attest" 5
    it_check_grep "... the verdict names $c" "$IT_OUT" "^Verdict: FAIL $TR: attestation check $c failed: "
done
control '{"clear_faults": true}'
it_run $P --aci-report-url "${REFSERVER_URL%/api/v1}/v1/aci/nothing-here" attest "$E2EE_MODEL"
it_check_rc "a native report URL the server refuses (HTTP 401): the HTTP/API exit code" 4
it_check_grep "... the native quote check says so" "$IT_OUT" \
    "aci.native.quote .* FAIL .*the native ACI report cannot be read: server answered HTTP 401"
it_check_grep "... and the verdict" "$IT_OUT" "^Verdict: FAIL $TR: attestation check aci.native.quote failed: "

# The strict preset: the native report and the event log are required.
it_run $STRICT attest "$E2EE_MODEL"
it_check_rc "strict preset without aci-report-url" 5
it_check_grep "... names the missing native report" "$IT_OUT" \
    "^Verdict: FAIL $TR: attestation check aci.native.quote is required by the policy but was not performed: no native ACI report was asked for (aci-report-url)"
it_run $STRICT $A attest "$E2EE_MODEL"
it_check_rc "strict preset with aci-report-url" 0
it_check_eq "... aci.native.binding is required and passes" "$(check_line aci.native.binding)" \
    "aci.native.binding pass required"
control '{"shape": "legacy"}'
it_run $STRICT $A attest "$E2EE_MODEL"
it_check_rc "strict preset, a legacy-only response" 5
it_check_grep "... names the missing envelope" "$IT_OUT" "^Verdict: FAIL $TR: attestation check aci\."
control '{"shape": "both"}'
it_run --policy strict attest --json "$E2EE_MODEL"
it_check_rc "--policy strict by name (no TEST roots: the chain fails)" 5
it_check_eq "... the built-in preset" "$(it_json fields.policy)" "built-in strict preset"

# ---- receipts -------------------------------------------------------------------------------------------
it_run $P $A chat -m "$E2EE_MODEL" --save-exchange "$TAP_TMP/ex" "aci"
it_check_rc "chat --save-exchange with the native report" 0
it_check_out "... the answer" "$answer"
id=$(sed -n 's/.*request \(chatcmpl-[0-9a-f]*\).*/\1/p' "$IT_ERR")
it_check_eq "... the attestation is saved with the bodies" \
    "$(stat -c %a "$TAP_TMP/ex/attestation.json")" "600"
it_run $STRICT $A signature -m "$E2EE_MODEL" "$id" --request "$TAP_TMP/ex/request.json" \
    --response "$TAP_TMP/ex/response.body"
it_check_rc "signature with its receipt, strict preset" 0
for c in receipt.signature receipt.keyset receipt.chat_id receipt.anchor upstream.verified \
    upstream.session signature.response_hash; do
    it_check_eq "... $c passes" "$(check_line "$c")" "$c pass required"
done
it_check_eq "... the request hash the receipt records" "$(check_line receipt.request_hash)" \
    "receipt.request_hash pass advisory"
for case in receipt-forged:receipt.signature receipt-unknown-key:receipt.signature \
    receipt-keyset:receipt.keyset; do
    f=${case%%:*} c=${case#*:}
    fault "$f"
    it_run $P signature -m "$E2EE_MODEL" "$id"
    it_check_rc "$f: signature" 5
    it_check_eq "... $c fails" "$(check_line "$c")" "$c FAIL if-checked"
    it_check_grep "... the verdict names it" "$IT_OUT" "^Verdict: FAIL $TR: attestation check $c failed: "
done
fault upstream-unverified
it_run $P signature -m "$E2EE_MODEL" "$id"
it_check_rc "upstream not verified: advisory by default" 0
it_check_grep "... reported" "$IT_OUT" "upstream.verified .* FAIL .*advisory .*upstream NOT verified: upstream attestation unavailable (TEST)"
it_run $STRICT $A signature -m "$E2EE_MODEL" "$id" --request "$TAP_TMP/ex/request.json" \
    --response "$TAP_TMP/ex/response.body"
it_check_rc "... required by the strict preset" 5
it_check_grep "... named" "$IT_OUT" "^Verdict: FAIL $TR: attestation check upstream.verified failed: "
control '{"clear_faults": true}'
# The legacy stream authenticates each field alone: only the signed hash of the exact
# response kept shows a dropped or reordered field, so the strict preset requires it.
it_run $STRICT $A signature -m "$E2EE_MODEL" "$id" --request "$TAP_TMP/ex/request.json"
it_check_rc "strict preset, the signature without the response it covers" 5
it_check_grep "... names signature.response_hash" "$IT_OUT" \
    "^Verdict: FAIL $TR: attestation check signature.response_hash "
control '{"clear_faults": true, "signature_form": "payload"}'
it_run $P signature -m "$E2EE_MODEL" "$id"
it_check_rc "the payload-only signature form" 0
it_check_eq "... its text rebuilt from the hashes" "$(check_line signature.text)" \
    "signature.text pass required"
it_check_eq "... recovers to the attested address" "$(check_line signature.recovered)" \
    "signature.recovered pass required"
control '{"signature_form": "hex"}'

# ---- the saved attestation: after the key rotated, and offline -------------------------------------------
fault rotate-key
it_run $P attest "$E2EE_MODEL"
it_check_rc "the enclave key rotates after this attestation" 0
it_run $P signature -m "$E2EE_MODEL" "$id"
it_check_rc "signature against a fresh attestation (the new key)" 5
it_check_eq "... does not recover to it" "$(check_line signature.recovered)" \
    "signature.recovered FAIL required"
it_run $P signature -m "$E2EE_MODEL" "$id" --attestation "$TAP_TMP/ex/attestation.json"
it_check_rc "signature --attestation: the attestation the exchange relied on" 0
it_check_eq "... recovers to its address" "$(check_line signature.recovered)" \
    "signature.recovered pass required"
it_check_eq "... its native report anchors the receipt" "$(check_line receipt.anchor)" \
    "receipt.anchor pass if-checked"
it_run $STRICT attest --input "$TAP_TMP/ex/attestation.json"
it_check_rc "attest --input of the saved attestation, strict, offline" 0
it_check_eq "... the saved native report verifies" "$(check_line aci.native.keyset)" \
    "aci.native.keyset pass required"
it_check_grep "... offline" "$IT_OUT" "(offline)"
"$py" - "$TAP_TMP/ex/attestation.json" "$TAP_TMP/edited.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
resp = json.loads(doc["response"])
resp["attestation"]["workload_keyset"]["keyset_epoch"]["not_after"] += 1
doc["response"] = json.dumps(resp)
json.dump(doc, open(sys.argv[2], "w"))
EOF
it_run $P attest --input "$TAP_TMP/edited.json"
it_check_rc "a saved attestation whose keyset was edited" 5
it_check_grep "... named" "$IT_OUT" "^Verdict: FAIL $TR: attestation check aci.keyset.digest failed: "

tap_done
