#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# What p11tee serve keeps: the configuration file (collateral-url from
# $P11TEE_CONFIG), the collateral cache (its age said at start and in each
# attestation line, fetched again before its nextUpdate from a stand-in PCS
# on 127.0.0.1, a tampered answer refused and the cache kept), and the
# hash-chained audit log (a line per attestation and per chat, hashes and ids
# only) that p11tee audit verify checks, and finds broken when a line goes.
. "$top_srcdir/tests/serve/lib.sh"

sv_setup
py=${PYTHON3:-/usr/bin/python3}
export XDG_CACHE_HOME="$TAP_TMP/xdg-cache"
FMSPC=90C06F000000
ENTRY=$XDG_CACHE_HOME/p11tee/tdx-$FMSPC-platform.json
AUDIT=$TAP_TMP/audit.log
PROMPT="a secret prompt for the audit"

# cache_days_ago N: the cache holds collateral issued N days ago (valid 30 days).
cache_days_ago() {
    pcs_start "old$1" --state-dir "$REFSERVER_STATE" --issued-days-ago "$1"
    it_run --policy "$IT_POLICY" collateral fetch --pccs "$PCS_URL" --fmspc "$FMSPC"
    [ "$IT_RC" -eq 0 ] && [ -s "$ENTRY" ] ||
        { echo "collateral fetch failed: $(cat "$IT_ERR")" >&2; exit 99; }
}
# use_pcs ARGS...: a PCS the gateway's configuration file names (collateral-url).
use_pcs() {
    pcs_start "$@"
    printf 'collateral-url = %s\n' "$PCS_URL" >"$TAP_TMP/config"
    chmod 600 "$TAP_TMP/config"
    export P11TEE_CONFIG="$TAP_TMP/config"
}

# ---- the cache's age, and a refresh before nextUpdate --------------------------------
cache_days_ago 29.5
use_pcs fresh --state-dir "$REFSERVER_STATE" --issued-days-ago 1
sv_start gw --audit-log "$AUDIT" || exit 99
sv_ready || { tap_fail "the gateway became ready" "$(cat "$SV_LOG")"; tap_done; }
sv_wait_log "$SV_LOG" '"message":"refreshed"'
it_check_grep "at start: the cached collateral, how old it is and its next update" "$SV_LOG" \
    "\"event\":\"collateral\",\"message\":\"cached\",\"platform\":\"$FMSPC:platform\",\"issued\":\"[0-9T:Z-]*\",\"age_days\":29,\"next_update\":\"[0-9T:Z-]*\",\"test_root\":true"
it_check_grep "its next update is within two days: fetched again, from the configuration file's collateral-url" \
    "$SV_LOG" "\"event\":\"collateral\",\"message\":\"refreshed\",\"platform\":\"$FMSPC:platform\",\"issued\":\"[0-9T:Z-]*\",\"age_days\":1,"
it_check_grep "... the stand-in PCS was asked for the TCB info" "$TAP_TMP/fresh/pcs.log" \
    "/tdx/certification/v4/tcb?fmspc=$FMSPC"
it_run --policy "$IT_POLICY" collateral show --json
it_check_eq "... the cache now holds the new collateral" \
    "$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["platforms"][0]["age_days"])' "$IT_OUT")" 1
it_check_grep "each attestation line says how old the collateral was" "$SV_LOG" \
    "\"event\":\"attestation\",.*\"collateral_age_days\":[0-9]*"

# ---- the audit log ---------------------------------------------------------------
sv_chat "{\"model\": \"$E2EE_MODEL\", \"messages\": [{\"role\": \"user\", \"content\": \"$PROMPT\"}]}"
sv_check_status "a chat through the gateway" 200
sv_wait_log "$AUDIT" '"event":"request"'
it_check_grep "the audit log has the attestation" "$AUDIT" \
    "\"event\":\"attestation\",.*\"model\":\"$E2EE_MODEL\""
body="{\"model\": \"$E2EE_MODEL\", \"messages\": [{\"role\": \"user\", \"content\": \"$PROMPT\"}]}"
sha=$(printf '%s' "$body" | sha256sum | cut -d' ' -f1)
it_check_grep "... and the request: its id, model, E2EE, status, the hash of what the caller sent" \
    "$AUDIT" "\"event\":\"request\",\"request_id\":\"[^\"]*\",\"model\":\"$E2EE_MODEL\",\"client\":\"local\",\"e2ee\":true,\"status\":0,\"request_sha256\":\"$sha\",\"attestation_nonce\":\"[0-9a-f]*\""
it_check_no_grep "... never the prompt" "$AUDIT" "secret prompt"
it_check_eq "... written for its owner and group" "$(stat -c %a "$AUDIT")" 640
sv_stop gw
it_check_eq "the gateway stops with SIGTERM (exit 0)" "$SV_RC" 0
it_run audit verify "$AUDIT"
it_check_rc "p11tee audit verify: the gateway's log holds" 0
it_check_grep "... every line chained" "$IT_OUT" ": 3 lines, chain intact, head [0-9a-f]*$"
"$py" -c '
import sys
lines = open(sys.argv[1]).read().splitlines(True)
open(sys.argv[1], "w").write("".join(lines[1:]))' "$AUDIT"
it_run audit verify "$AUDIT"
it_check_rc "its first line deleted: exit 5" 5
it_check_grep "... named" "$IT_OUT" "line 1"

# ---- a refresh that fails leaves the cache as it was -------------------------------
cache_days_ago 29.5
before=$(sha256sum "$ENTRY")
use_pcs tampered --state-dir "$REFSERVER_STATE" --issued-days-ago 1 --fault tamper-tcb
sv_start bad || exit 99
sv_wait_log "$SV_LOG" 'refreshing the collateral failed'
it_check_grep "a tampered answer: the refresh is refused, saying why" "$SV_LOG" \
    "\"event\":\"collateral\",\"message\":\"$FMSPC:platform: refreshing the collateral failed, the cache is unchanged: .*signature"
it_check_eq "... the cache is unchanged" "$(sha256sum "$ENTRY")" "$before"
sv_ready
sv_curl "$SV_URL/readyz"
sv_check_status "... and the gateway serves on" 200
sv_stop bad
unset P11TEE_CONFIG

# ---- an audit log that cannot be opened stops the start ---------------------------
rc=0
"$top_builddir/p11tee" --policy "$IT_POLICY" serve --listen 127.0.0.1:0 \
    --audit-log "$TAP_TMP/no/such/dir/audit.log" >/dev/null 2>"$TAP_TMP/noaudit.log" </dev/null ||
    rc=$?
it_check_eq "--audit-log in a directory that does not exist: exit 1" "$rc" 1
it_check_grep "... saying so" "$TAP_TMP/noaudit.log" '"event":"start","message":"audit log: '
tap_done
