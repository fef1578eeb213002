#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Policies for real deployments (p11tee-policy(5)) against the p11tee
# command and the reference server: per-model sections that override the
# defaults (a pin, a list of pins for a rolling upgrade, a check rule,
# tee_chat_requires_attestation), sections that are refused when the policy
# is read, and attest --emit-policy: a policy pinning what was just
# verified, which then passes, fails when one of its pins is changed, and is
# not written for an attestation that failed.
. "$top_srcdir/tests/integration/lib.sh"
it_setup
py=${PYTHON3:-/usr/bin/python3}
D=$TAP_TMP/pol
mkdir -m 700 "$D"
ROOTS="\"test_roots\": {\"tdx\": [\"$REFSERVER_STATE/sgx_test_root.pem\"],
                         \"nvidia\": [\"$REFSERVER_STATE/nvidia_test_root.pem\"]}"
ZERO=$(printf '%096d' 0)
# A policy file NAME with the test roots and the members given (JSON, after a comma).
policy() {
    printf '{"version": 1, %s%s}\n' "$ROOTS" "${2:+, $2}" >"$D/$1.json"
}
field() {
    sed -n "s/^  $1 \{1,\}//p" "$IT_OUT"
}
check_line() {
    sed -n "s/^  \($1\) \{1,\}\(pass\|FAIL\|not checked\) \{1,\}\([a-z-]*\) .*/\1 \2 \3/p" "$IT_OUT"
}
json() { "$py" -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }

it_run --policy "$IT_POLICY" attest "$E2EE_MODEL"
it_check_rc "the model attests under the test policy" 0
MRTD=$(field mrtd)
it_check_eq "... its MRTD is shown" "${#MRTD}" 96

# ---- per-model sections ------------------------------------------------------------------------
policy section "\"models\": {\"$E2EE_MODEL\": {\"tdx\": {\"mrtd\": \"$ZERO\"}}}"
it_run --policy "$D/section.json" attest "$E2EE_MODEL"
it_check_rc "a model's section pins another MRTD: that model is refused (exit 5)" 5
it_check_eq "... by its pin" "$(check_line policy.mrtd)" "policy.mrtd FAIL required"
it_check_eq "... the report names the section" "$(field policy)" "$D/section.json (models.$E2EE_MODEL)"
it_run --policy "$D/section.json" attest "$THINK_MODEL"
it_check_rc "... another model has no section: the defaults, no pin" 0
it_check_eq "... no pin checked" "$(check_line policy.mrtd)" ""
it_check_eq "... the report names the file alone" "$(field policy)" "$D/section.json"

policy upgrade "\"models\": {\"$E2EE_MODEL\": {\"tdx\": {\"mrtd\": [\"$ZERO\", \"$MRTD\"]}}}"
it_run --policy "$D/upgrade.json" attest "$E2EE_MODEL"
it_check_rc "a rolling upgrade: the section lists the old and the new MRTD" 0
it_check_grep "... the second value matched" "$IT_OUT" "^  policy.mrtd .* pass .*(value 2 of 2)"

policy override "\"tdx\": {\"mrtd\": \"$ZERO\"},
    \"models\": {\"$E2EE_MODEL\": {\"tdx\": {\"mrtd\": \"$MRTD\"}}}"
it_run --policy "$D/override.json" attest "$E2EE_MODEL"
it_check_rc "the section's pin replaces the defaults' for its model" 0
it_run --policy "$D/override.json" attest "$THINK_MODEL"
it_check_rc "... while the defaults' pin holds for the others (exit 5)" 5
it_check_eq "... named" "$(check_line policy.mrtd)" "policy.mrtd FAIL required"

policy rules "\"models\": {\"$E2EE_MODEL\": {\"checks\": {\"nvidia.*\": \"advisory\"}}}"
it_run --policy "$D/rules.json" attest "$E2EE_MODEL"
it_check_grep "a section's check rule applies to its model" "$IT_OUT" "^  nvidia.payload .* pass .* advisory "
it_run --policy "$D/rules.json" attest "$THINK_MODEL"
it_check_grep "... and not to the others" "$IT_OUT" "^  nvidia.payload .* pass .* required "

# tee_chat_requires_attestation per model: a TEE chat attests only where its model says so.
policy teechat "\"models\": {\"$TEE_MODEL\": {\"tee_chat_requires_attestation\": false}}"
before=$(it_stat requests.attestation)
it_run --policy "$D/teechat.json" chat -m "$TEE_MODEL" "hello"
it_check_rc "a section that lets its TEE model chat unattested" 0
it_check_eq "... no attestation was fetched" "$(it_stat requests.attestation)" "$before"
it_run --policy "$IT_POLICY" chat -m "$TEE_MODEL" "hello"
it_check_eq "... without it, the TEE chat is attested" "$(it_stat requests.attestation)" "$((before + 1))"

# Sections that cannot be used are refused with the file, before anything is sent.
bad() { # NAME SECTION-JSON EXPECTED-TEXT
    policy "$1" "\"models\": {\"$E2EE_MODEL\": $2}"
    before=$(it_stat requests.attestation)
    it_run --policy "$D/$1.json" attest "$E2EE_MODEL"
    it_check_rc "a section with $1: refused (exit 1)" 1
    it_check_grep "... saying so: $3" "$IT_ERR" "$3"
    it_check_eq "... before anything is sent" "$(it_stat requests.attestation)" "$before"
}
bad test_roots "{\"test_roots\": {}}" "models.$E2EE_MODEL: test_roots cannot be set per model"
bad bad_pin "{\"tdx\": {\"mrtd\": \"00\"}}" "models.$E2EE_MODEL: tdx.mrtd must be 96 hex characters"
bad bad_check "{\"checks\": {\"tdx.quote.signature\": \"sometimes\"}}" "models.$E2EE_MODEL: "
bad not_object "[1]" "models.$E2EE_MODEL must be an object"

# ---- attest --emit-policy ----------------------------------------------------------------------
# With collateral, so that the TCB status is evaluated and pinned.
policy coll "\"tdx\": {\"collateral_file\": \"$REFSERVER_STATE/tdx_collateral.json\"}"
it_run --policy "$D/coll.json" attest "$E2EE_MODEL" --emit-policy "$D/emitted.json"
it_check_rc "attest --emit-policy" 0
it_check_says "... says where, for review" "$IT_ERR" \
    "p11tee: wrote a policy pinning what was verified to $D/emitted.json: review it before use"
it_check_eq "... the model's section pins the MRTD it verified" \
    "$(json "d['models']['$E2EE_MODEL']['tdx']['mrtd']" "$D/emitted.json")" "['$MRTD']"
it_check_eq "... RTMR0-2 and MRCONFIGID, not RTMR3 (it differs per instance)" \
    "$(json "sorted(k for k in d['models']['$E2EE_MODEL']['tdx'] if k.startswith(('rtmr', 'mr')))" "$D/emitted.json")" \
    "['mrconfigid', 'mrtd', 'rtmr0', 'rtmr1', 'rtmr2']"
it_check_eq "... the TCB status, required" \
    "$(json "d['models']['$E2EE_MODEL']['tdx']['accepted_tcb_statuses'], d['models']['$E2EE_MODEL']['checks']" "$D/emitted.json")" \
    "['UpToDate'] {'tdx.tcb.status': 'required'}"
it_check_eq "... the test roots and the collateral carried over" \
    "$(json "d['test_roots']['tdx'], d['tdx']['collateral']['file']" "$D/emitted.json")" \
    "['$(realpath "$REFSERVER_STATE/sgx_test_root.pem")'] $(realpath "$REFSERVER_STATE/tdx_collateral.json")"
compose=$(json "d['models']['$E2EE_MODEL']['tdx'].get('app_compose_sha256', d['models']['$E2EE_MODEL']['tdx'].get('events', {}).get('compose-hash'))" "$D/emitted.json")
printf '%s\n' "$compose" >"$D/compose"
it_check_grep "... the compose hash" "$D/compose" "^\['[0-9a-f]\{64\}'\]$"
it_check_eq "... written for its owner" "$(stat -c %a "$D/emitted.json")" 600

it_run --policy "$D/emitted.json" attest "$E2EE_MODEL"
it_check_rc "the emitted policy passes the same deployment" 0
for c in policy.mrtd policy.rtmr0 policy.rtmr1 policy.rtmr2 policy.mrconfigid tdx.tcb.status; do
    it_check_eq "... $c" "$(check_line "$c")" "$c pass required"
done
it_check_grep "... the compose hash pinned and checked" "$IT_OUT" \
    "^  policy\.\(app_compose\|event\.compose_hash\) .* pass .* required "

"$py" - "$D/emitted.json" "$D/changed.json" "$E2EE_MODEL" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["models"][sys.argv[3]]["tdx"]
v = t["rtmr1"][0]
t["rtmr1"] = [("0" if v[0] != "0" else "1") + v[1:]]
json.dump(d, open(sys.argv[2], "w"))
EOF
it_run --policy "$D/changed.json" attest "$E2EE_MODEL"
it_check_rc "one emitted pin changed: refused (exit 5)" 5
it_check_eq "... by that pin" "$(check_line policy.rtmr1)" "policy.rtmr1 FAIL required"

# A failed attestation pins nothing.
it_run --policy "$D/section.json" attest "$E2EE_MODEL" --emit-policy "$D/not.json"
it_check_rc "--emit-policy after a failed verdict: exit 5" 5
it_check_says "... nothing written, saying why" "$IT_ERR" \
    "p11tee: error: not writing $D/not.json: the attestation did not pass, and a policy pins only what was verified"
it_check_eq "... no file" "$(test -e "$D/not.json" && echo exists)" ""

# Offline: a saved response verified again emits the same pins.
it_run --policy "$D/coll.json" attest "$E2EE_MODEL" --save "$D/saved.json"
it_run --policy "$D/coll.json" attest --input "$D/saved.json" --emit-policy "$D/offline.json"
it_check_rc "attest --input --emit-policy" 0
it_check_eq "... the same MRTD pin" \
    "$(json "d['models']['$E2EE_MODEL']['tdx']['mrtd']" "$D/offline.json")" "['$MRTD']"
tap_done
