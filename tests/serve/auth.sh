#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Local callers: no clients file only on loopback, the clients file's
# permissions, missing, wrong and revoked keys (SIGHUP reload), and the
# limits: per-client streams and request rate, all streams, body size and
# message count.
. "$top_srcdir/tests/serve/lib.sh"

sv_setup
hash() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
KEY_A=alice-key-$$-0123456789
KEY_B=bob-key-$$-0123456789
KEY_C=carol-key-$$-0123456789
clients=$TAP_TMP/clients
(umask 077 && printf '# local callers\nalice:%s\nbob:%s\n' "$(hash "$KEY_A")" "$(hash "$KEY_B")" >"$clients")
req() { printf '{"model":"%s","messages":[{"role":"user","content":"%s"}],"stream":true}' "$E2EE_MODEL" "$1"; }

# ---- who may run without a clients file ----------------------------------------------
run_refused() { # NAME EXPECTED-RC TEXT ARGS...
    name=$1 want=$2 text=$3
    shift 3
    rc=0
    timeout 30 "$top_builddir/p11tee" --policy "$IT_POLICY" serve "$@" 2>"$TAP_TMP/$name.log" || rc=$?
    if [ "$rc" = "$want" ] && grep -q -- "$text" "$TAP_TMP/$name.log"; then tap_ok "$name: exit $want, says why"; else
        tap_fail "$name: exit $want, says why" "exit $rc: $(cat "$TAP_TMP/$name.log")"
    fi
}
run_refused "no clients file on 0.0.0.0" 2 "refusing to listen beyond this machine without --clients" \
    --listen 0.0.0.0:0
run_refused "no clients file, loopback and 0.0.0.0" 2 "without --clients" \
    --listen 127.0.0.1:0 --listen 0.0.0.0:0
cp "$clients" "$TAP_TMP/open-clients"
chmod 644 "$TAP_TMP/open-clients"
run_refused "a clients file others can read" 1 "accessible to other users (mode 644): chmod o-rwx" \
    --listen 127.0.0.1:0 --clients "$TAP_TMP/open-clients"
(umask 077 && printf 'alice:%s\nalice:%s\n' "$(hash "$KEY_A")" "$(hash "$KEY_B")" >"$TAP_TMP/dup")
run_refused "a client named twice" 1 "client alice appears twice" --clients "$TAP_TMP/dup"
(umask 077 && printf 'alice:1234\n' >"$TAP_TMP/short")
run_refused "a bad key hash" 1 "line 1: the key hash of alice must be 64 hex digits" --clients "$TAP_TMP/short"

# ---- authentication ------------------------------------------------------------------
sv_start gw --listen 0.0.0.0:0 --clients "$clients" --client-max-streams 1 || exit 99
SV_URL=http://127.0.0.1:${SV_URL##*:}
gw_URL=$SV_URL
sv_ready || { tap_fail "ready" "$(cat "$SV_LOG")"; tap_done; }
tap_ok "with --clients the gateway may listen on 0.0.0.0"

chats=$(it_stat requests.chat)
sv_chat "$(req none)"
it_check_eq "no key: 401 invalid_api_key" "$SV_STATUS $(sv_json "$SV_BODY" 'v["error"]["code"]')" \
    "401 invalid_api_key"
it_check_grep "no key: WWW-Authenticate: Bearer" "$SV_HEADERS" "WWW-Authenticate: Bearer"
sv_chat "$(req wrong)" -H "Authorization: Bearer not-$KEY_A"
sv_check_status "a wrong key: 401" 401
sv_chat "$(req wrong)" -H "Authorization: Basic $KEY_A"
sv_check_status "the right key in another scheme: 401" 401
sv_curl "$SV_URL/v1/models"
sv_check_status "models without a key: 401" 401
it_check_eq "refused callers sent nothing upstream" "$(it_stat requests.chat)" "$chats"
sv_chat "$(req alice)" -H "Authorization: Bearer $KEY_A"
sv_check_status "alice's key: 200" 200
sv_wait_log "$SV_LOG" '"event":"request","client":"alice","method":"POST"'
it_check_grep "the log names the client" "$SV_LOG" '"event":"request","client":"alice","method":"POST"'
it_check_no_grep "the log never shows a key" "$SV_LOG" "$KEY_A"
sv_curl "$SV_URL/healthz"
sv_check_status "healthz needs no key" 200

# ---- SIGHUP: bob revoked, carol added -----------------------------------------------
printf 'alice:%s\ncarol:%s\n' "$(hash "$KEY_A")" "$(hash "$KEY_C")" >"$clients"
kill -HUP "$gw_PID"
i=0
until grep -q '"event":"reload","message":"new client' "$gw_LOG" || [ $i -ge 200 ]; do
    i=$((i + 1))
    sleep 0.05
done
it_check_grep "SIGHUP: the clients file reloaded" "$gw_LOG" '"event":"reload","message":"clients file reloaded"'
sv_chat "$(req bob)" -H "Authorization: Bearer $KEY_B"
sv_check_status "SIGHUP: bob's revoked key: 401" 401
sv_chat "$(req carol)" -H "Authorization: Bearer $KEY_C"
sv_check_status "SIGHUP: carol's new key: 200" 200
printf 'alice:%s\nthis is not a client line\n' "$(hash "$KEY_A")" >"$clients"
kill -HUP "$gw_PID"
i=0
until grep -q 'clients file kept as it was' "$gw_LOG" || [ $i -ge 200 ]; do
    i=$((i + 1))
    sleep 0.05
done
it_check_grep "SIGHUP with a broken file: the old clients kept, and it says why" "$gw_LOG" \
    'clients file kept as it was: line 2: expected NAME:SHA256'
sv_chat "$(req carol)" -H "Authorization: Bearer $KEY_C"
sv_check_status "SIGHUP with a broken file: carol still served" 200
printf 'alice:%s\ncarol:%s\n' "$(hash "$KEY_A")" "$(hash "$KEY_C")" >"$clients"

# ---- per-client streams ---------------------------------------------------------------
refserver_control '{"chunk_delay_ms":400}' >/dev/null
curl -sS -o "$TAP_TMP/slow" "$SV_URL/v1/chat/completions" -H "Authorization: Bearer $KEY_A" \
    --data-binary "$(req slow)" &
slow=$!
i=0
until [ "$(it_stat streams_active)" = 1 ] || [ $i -ge 200 ]; do
    i=$((i + 1))
    sleep 0.025
done
sv_chat "$(req second)" -H "Authorization: Bearer $KEY_A"
it_check_eq "--client-max-streams 1: alice's second stream: 429 concurrency_limit" \
    "$SV_STATUS $(sv_json "$SV_BODY" 'v["error"]["type"] + "/" + v["error"]["code"]')" \
    "429 rate_limit_error/concurrency_limit"
it_check_grep "429: Retry-After" "$SV_HEADERS" "Retry-After: 1"
sv_curl "$SV_URL/v1/models" -H "Authorization: Bearer $KEY_C"
sv_check_status "another client is not limited by alice's streams" 200
wait $slow
it_check_eq "alice's first stream ended normally" "$(tail -n 2 "$TAP_TMP/slow" | head -n 1)" "data: [DONE]"
refserver_control '{"chunk_delay_ms":0}' >/dev/null
sv_curl "$SV_URL/metrics"
it_check_grep "metrics: authentication failures" "$SV_BODY" '^p11tee_serve_auth_failures_total [4-9]'
it_check_grep "metrics: limited requests" "$SV_BODY" '^p11tee_serve_rate_limited_total [1-9]'
it_check_grep "metrics: reloads" "$SV_BODY" '^p11tee_serve_reloads_total 2'
sv_stop gw

# ---- request rate, all streams, sizes -------------------------------------------------
sv_start rate --clients "$clients" --client-rate 0.2 --client-burst 2 || exit 99
sv_ready || { tap_fail "ready" "$(cat "$SV_LOG")"; tap_done; }
codes=
for i in 1 2 3; do
    sv_curl "$SV_URL/v1/models" -H "Authorization: Bearer $KEY_C"
    codes="$codes $SV_STATUS"
done
it_check_eq "--client-rate 0.2 --client-burst 2: two requests, then 429" "$codes" " 200 200 429"
it_check_eq "rate: rate_limit_exceeded" "$(sv_json "$SV_BODY" 'v["error"]["code"]')" rate_limit_exceeded
sv_curl "$SV_URL/v1/models" -H "Authorization: Bearer $KEY_A"
sv_check_status "rate: each client has its own bucket" 200
sv_stop rate

sv_start lim --clients "$clients" --max-streams 1 --max-body 2048 --max-messages 2 || exit 99
sv_ready || { tap_fail "ready" "$(cat "$SV_LOG")"; tap_done; }
refserver_control '{"chunk_delay_ms":400}' >/dev/null
curl -sS -o /dev/null "$SV_URL/v1/chat/completions" -H "Authorization: Bearer $KEY_A" \
    --data-binary "$(req slow)" &
slow=$!
i=0
until [ "$(it_stat streams_active)" = 1 ] || [ $i -ge 200 ]; do
    i=$((i + 1))
    sleep 0.025
done
sv_chat "$(req busy)" -H "Authorization: Bearer $KEY_C"
it_check_eq "--max-streams 1: another stream meanwhile: 503 overloaded" \
    "$SV_STATUS $(sv_json "$SV_BODY" 'v["error"]["code"]')" "503 overloaded"
wait $slow
refserver_control '{"chunk_delay_ms":0}' >/dev/null
big=$(head -c 3000 /dev/zero | tr '\0' a)
chats=$(it_stat requests.chat)
sv_chat "$(req "$big")" -H "Authorization: Bearer $KEY_A"
it_check_eq "--max-body 2048: 413 body_too_large" \
    "$SV_STATUS $(sv_json "$SV_BODY" 'v["error"]["code"]')" "413 body_too_large"
sv_chat "{\"model\":\"$E2EE_MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"1\"},{\"role\":\"assistant\",\"content\":\"2\"},{\"role\":\"user\",\"content\":\"3\"}]}" \
    -H "Authorization: Bearer $KEY_A"
it_check_eq "--max-messages 2: 400 naming messages" \
    "$SV_STATUS $(sv_json "$SV_BODY" 'v["error"]["param"]')" "400 messages"
it_check_eq "limits: nothing sent upstream" "$(it_stat requests.chat)" "$chats"
sv_stop lim
it_check_eq "SIGTERM: exit 0" "$SV_RC" 0
tap_done
