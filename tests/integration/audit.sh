#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# An audit trail an auditor can replay: attest --save and chat --save-exchange
# keep the exact response, the nonce, the time, the collateral and the
# policy's SHA-256; p11tee audit verify re-runs every saved verification
# offline and names those that no longer pass, and checks audit logs' hash
# chains (written here by an independent Python implementation of the
# format), naming a deleted or edited line.
. "$top_srcdir/tests/integration/lib.sh"
it_setup
py=${PYTHON3:-/usr/bin/python3}
A=$TAP_TMP/audit
mkdir -m 700 "$A"
# The test roots and the reference server's collateral, pinned in a policy file.
sed "s|^{\"version\": 1,|{\"version\": 1, \"tdx\": {\"collateral_file\": \"$REFSERVER_STATE/tdx_collateral.json\"},|" \
    "$IT_POLICY" >"$A/policy.json"
P="--policy $A/policy.json"
json() { "$py" -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }

# ---- attest --save ---------------------------------------------------------------
it_run $P attest "$E2EE_MODEL" --save "$A/att.json"
it_check_rc "attest --save" 0
it_check_says "... says where" "$IT_ERR" "p11tee: saved the attestation for p11tee audit verify in $A/att.json"
it_check_eq "... readable by its owner only" "$(stat -c %a "$A/att.json")" 600
it_check_eq "... the tag, model, verdict, policy and its SHA-256" \
    "$(json 'd["p11tee_saved_attestation"], d["model"], d["verdict"], d["policy"], d["policy_sha256"]' "$A/att.json")" \
    "1 $E2EE_MODEL pass $A/policy.json $(sha256sum "$A/policy.json" | cut -d' ' -f1)"
it_check_eq "... the nonce, the time, the exact response and the collateral used" \
    "$("$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["nonce"]), d["fetched_at"] > 1700000000, json.loads(d["response"])["nonce"] == d["nonce"], json.loads(d["collateral"]) == json.load(open(sys.argv[2])))' "$A/att.json" "$REFSERVER_STATE/tdx_collateral.json")" \
    "64 True True True"
it_run $P audit verify "$A/att.json"
it_check_rc "audit verify: the saved attestation still passes" 0
it_check_grep "... one line for it" "$IT_OUT" \
    "^ok    attestation  $A/att.json: $E2EE_MODEL, fetched [0-9T:Z-]*, still passes (with the collateral it was verified with)$"
state=$REFSERVER_STATE
refserver_stop
it_run $P audit verify "$A/att.json"
it_check_rc "... offline: the server is gone, it still passes" 0

# The saved response edited: one hex digit of the quote's signature changed.
"$py" - "$A/att.json" "$A/edited.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
r = json.loads(d["response"])
q = r["intel_quote"]
i = len(q) // 2
r["intel_quote"] = q[:i] + ("0" if q[i] != "0" else "1") + q[i + 1:]
d["response"] = json.dumps(r)
json.dump(d, open(sys.argv[2], "w"))
EOF
it_run $P audit verify "$A/edited.json" "$A/att.json"
it_check_rc "an edited saved attestation: exit 5" 5
it_check_grep "... named, NO LONGER PASSES with the check" "$IT_OUT" \
    "^FAIL  attestation  $A/edited.json: $E2EE_MODEL, fetched [0-9T:Z-]*, NO LONGER PASSES: attestation check tdx\.[a-z.]* .*; it passed when it was saved$"
it_check_grep "... the intact one still passes beside it" "$IT_OUT" "^ok    attestation  $A/att.json"
it_run --policy "$IT_POLICY" audit verify "$A/att.json"
it_check_grep "another policy than the one it was verified with: said" "$IT_OUT" \
    "still passes (with the collateral it was verified with); the policy is not the one it was verified with (SHA-256 $(sha256sum "$A/policy.json" | cut -c1-12) then, $(sha256sum "$IT_POLICY" | cut -c1-12) now)$"
it_run $P audit verify "$A" --json
it_check_eq "audit verify DIR --json: every item, one document" \
    "$(json 'sorted((i["path"].split("/")[-1], i["kind"], i["ok"]) for i in d["items"]), d["error"]["exit"]' "$IT_OUT")" \
    "[('att.json', 'attestation', True), ('edited.json', 'attestation', False)] 5"

# ---- chat --save-exchange keeps the attestation the answer relied on ----------------
refserver_start --state-dir "$state" >/dev/null ||
    { echo "the reference server did not restart" >&2; exit 99; }
export VENICE_BASE_URL="$REFSERVER_URL" API_KEY_VENICE="$REFSERVER_API_KEY"
mkdir -m 700 "$A/chat"
it_run $P chat -m "$E2EE_MODEL" --save-exchange "$A/chat" "audited prompt"
it_check_rc "chat --save-exchange" 0
it_check_says "... says so" "$IT_ERR" \
    "p11tee: saved the exact request and response bodies and the attestation they relied on in $A/chat/"
it_run $P audit verify "$A/chat"
it_check_rc "audit verify finds chat's attestation.json in the directory" 0
it_check_grep "... and replays it" "$IT_OUT" "^ok    attestation  $A/chat/attestation.json: $E2EE_MODEL"

# ---- audit logs -----------------------------------------------------------------------
# The format from its description, in Python: seq from 1, prev = SHA-256 of the line before.
"$py" - "$A/serve.log" <<'EOF'
import hashlib, json, sys
prev = "0" * 64
with open(sys.argv[1], "w") as f:
    for seq in range(1, 7):
        event = {"event": "request", "request_id": "chatcmpl-%d" % seq, "status": 0}
        line = json.dumps(dict({"v": 1, "seq": seq, "time": "2026-12-06T16:00:00Z"}, **event,
                               prev=prev), separators=(",", ":"))
        f.write(line + "\n")
        prev = hashlib.sha256(line.encode()).hexdigest()
print(prev)
EOF
head=$("$py" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read().splitlines()[-1]).hexdigest())' "$A/serve.log")
it_run audit verify "$A/serve.log"
it_check_rc "a log written by another implementation of the format verifies" 0
it_check_says "... with its length and head" "$IT_OUT" \
    "ok    log  $A/serve.log: 6 lines, chain intact, head $head"
sed '4d' "$A/serve.log" >"$A/deleted.log"
it_run audit verify "$A/deleted.log"
it_check_rc "a deleted line: exit 5" 5
it_check_says "... the break is named" "$IT_OUT" \
    "FAIL  log  $A/deleted.log: line 4 breaks the chain (its sequence number is wrong): a line before it was deleted, edited or reordered"
sed '3s/chatcmpl-3/chatcmpl-9/' "$A/serve.log" >"$A/edited.log"
it_run audit verify "$A/edited.log"
it_check_says "an edited line: the next one breaks" "$IT_OUT" \
    "FAIL  log  $A/edited.log: line 4 breaks the chain (its prev is not the hash of the line before): a line before it was deleted, edited or reordered"
it_run audit verify "$TAP_TMP/nonexistent"
it_check_rc "a path that does not exist: exit 1" 1

tap_done
