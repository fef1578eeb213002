#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The gateway keeps its secrets as the CLI does (tests/integration/secrets.sh):
# a running `p11tee serve` may not dump core (soft core size limit 0, not
# dumpable) unless --allow-core-dumps; $API_KEY_VENICE and $P11TEE_PIN are
# gone from /proc/PID/environ once read, values and names; and a core of a
# gateway that answered a chat (dumps allowed for the test) holds neither
# the API key nor the PIN. The PIN is a token's of its own, spelled so that
# no other bytes of the process could hold it.
. "$top_srcdir/tests/serve/lib.sh"

sv_setup
req='{"model":"'"$E2EE_MODEL"'","messages":[{"role":"user","content":"a chat through the gateway"}]}'
pin="Gw-5mQ8rT2vX9pLk3"
sh "$top_srcdir/tests/lib/mktoken.sh" "$TAP_TMP/gw-token" gw-token "$pin" 12345678 ||
    { echo "mktoken.sh failed" >&2; exit 99; }
# The fixture's own copy of the key stays in this shell, not in the gateway's environment.
key=$REFSERVER_API_KEY
unset REFSERVER_API_KEY
REFSERVER_API_KEY=$key
export SOFTHSM2_CONF="$TAP_TMP/gw-token/softhsm2.conf" P11TEE_TOKEN="pkcs11:token=gw-token"
export P11TEE_PIN="$pin"
# Started with a soft core size limit (the hard one as it is); the gateway drops it to 0.
ulimit -S -c "$(ulimit -H -c)" 2>/dev/null

# check_environ NAME: what /proc/PID/environ of instance NAME still holds.
check_environ() {
    eval "p=\$${1}_PID"
    tr '\0' '\n' <"/proc/$p/environ" >"$TAP_TMP/$1.environ" 2>/dev/null
    it_check_grep "$1: /proc/PID/environ is readable" "$TAP_TMP/$1.environ" "^P11TEE_TOKEN="
    it_check_no_grep "$1: API_KEY_VENICE is gone from it" "$TAP_TMP/$1.environ" "API_KEY_VENICE"
    it_check_eq "$1: ... and so is the key's value" \
        "$(grep -c -F -- "$key" "$TAP_TMP/$1.environ" | tr -d ' ')" "0"
    it_check_no_grep "$1: P11TEE_PIN is gone from it" "$TAP_TMP/$1.environ" "P11TEE_PIN"
    it_check_no_grep "$1: ... and so is the PIN" "$TAP_TMP/$1.environ" "$pin"
}

# ---- dumps not allowed ---------------------------------------------------------------
sv_start gw --warm "$E2EE_MODEL" || exit 99
sv_ready || { tap_fail "the gateway got ready (warm-up logged in with P11TEE_PIN)" "$(cat "$SV_LOG")"; tap_done; }
tap_ok "the gateway got ready (warm-up logged in with P11TEE_PIN)"
it_check_eq "without --allow-core-dumps the gateway may not dump core (soft limit 0)" \
    "$(awk '/^Max core file size/ { print $5 }' "/proc/$gw_PID/limits")" "0"
sv_chat "$req"
it_check_eq "a chat through the gateway: HTTP 200" "$SV_STATUS" "200"
check_environ gw
sv_stop gw
it_check_eq "... and it stops with exit 0" "$SV_RC" "0"

# ---- dumps allowed: the limit is back, and a core holds no secret ----------------------
sv_start gw2 --allow-core-dumps --warm "$E2EE_MODEL" || exit 99
sv_ready || { tap_fail "--allow-core-dumps (after serve): the gateway got ready" "$(cat "$SV_LOG")"; tap_done; }
it_check_core_limit_back "the gateway" "$gw2_PID"
sv_chat "$req"
it_check_eq "a chat through the gateway: HTTP 200" "$SV_STATUS" "200"
check_environ gw2
it_check_core "the gateway" "$gw2_PID" "$E2EE_MODEL" "$key" "$pin"
sv_stop gw2
it_check_eq "... and it stops with exit 0" "$SV_RC" "0"

tap_done
