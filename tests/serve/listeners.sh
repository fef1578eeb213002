#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Where the gateway listens: a unix socket (its file made and removed), TLS
# on TCP listeners, IPv6 loopback, a separate metrics listener; a whole
# chat bounded by --max-time; and a crowd of first requests that makes one
# attestation.
. "$top_srcdir/tests/serve/lib.sh"

command -v openssl >/dev/null 2>&1 || { tap_tmpdir; tap_skip_all "openssl not found (install the Debian package openssl)"; }
sv_setup
req() { printf '{"model":"%s","messages":[{"role":"user","content":"%s"}]}' "$E2EE_MODEL" "$1"; }

# ---- a unix socket, IPv6 loopback, a metrics listener -------------------------------
sock=$TAP_SOCK/gw.sock
mport=$("${PYTHON3:-/usr/bin/python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sv_start local --listen "unix:$sock" --listen "[::1]:0" --metrics-listen "127.0.0.1:$mport" || exit 99
it_check_grep "the log names each listener" "$local_LOG" "\"event\":\"listening\",\"message\":\"unix:$sock\""
it_check_grep "... the metrics listener too" "$local_LOG" "\"message\":\"127.0.0.1:$mport (metrics)\""
if [ -S "$sock" ] && [ "$(stat -c %a "$sock")" = 660 ]; then tap_ok "the unix socket is made with mode 660"; else
    tap_fail "the unix socket is made with mode 660" "$(ls -l "$sock" 2>&1)"; fi
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$sock" http://gw/readyz)" = 200 ] || [ $i -ge 400 ]; do
    i=$((i + 1))
    sleep 0.025
done
sv_curl --unix-socket "$sock" http://gw/v1/chat/completions --data-binary "$(req unix)"
it_check_eq "a chat over the unix socket" "$SV_STATUS $(sv_json "$SV_BODY" 'v["choices"][0]["message"]["content"]')" \
    "200 $(it_answer unix)"
v6=$(sed -n 's/.*"event":"listening","message":"\(\[::1\]:[0-9]*\)".*/\1/p' "$local_LOG")
if [ -n "$v6" ]; then
    sv_curl "http://$v6/healthz"
    sv_check_status "IPv6 loopback: healthz" 200
else
    tap_skip "IPv6 loopback: healthz" "no [::1] listener (IPv6 disabled here?)"
fi
sv_curl "http://127.0.0.1:$mport/metrics"
it_check_eq "the metrics listener serves /metrics" \
    "$SV_STATUS $(grep -c '^p11tee_serve_active_streams' "$SV_BODY")" "200 1"
sv_curl "http://127.0.0.1:$mport/v1/models"
sv_check_status "... and nothing of the API" 404
sv_curl --unix-socket "$sock" http://gw/metrics
sv_check_status "with a metrics listener, the API listeners do not serve /metrics" 404
sv_stop local
if [ ! -e "$sock" ] && [ "$SV_RC" = 0 ]; then tap_ok "SIGTERM: exit 0 and the socket file removed"; else
    tap_fail "SIGTERM: exit 0 and the socket file removed" "exit $SV_RC; $(ls -l "$sock" 2>&1)"; fi

# ---- TLS ---------------------------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$TAP_TMP/key.pem" -out "$TAP_TMP/cert.pem" \
    >/dev/null 2>&1 || { tap_fail "a test certificate"; tap_done; }
sv_start tls --tls-cert "$TAP_TMP/cert.pem" --tls-key "$TAP_TMP/key.pem" || exit 99
it_check_grep "TLS: the listener says so" "$tls_LOG" '"event":"listening","message":"127.0.0.1:[0-9]* (TLS)"'
TLS_URL=https://${tls_URL#http://}
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TAP_TMP/cert.pem" "$TLS_URL/readyz")" = 200 ] ||
    [ $i -ge 400 ]; do
    i=$((i + 1))
    sleep 0.025
done
sv_curl --cacert "$TAP_TMP/cert.pem" "$TLS_URL/v1/chat/completions" --data-binary "$(req tls)"
it_check_eq "TLS: a chat over https" "$SV_STATUS $(sv_json "$SV_BODY" 'v["choices"][0]["message"]["content"]')" \
    "200 $(it_answer tls)"
rc=0
curl -s -o /dev/null --max-time 5 "$tls_URL/healthz" || rc=$?
if [ "$rc" != 0 ]; then tap_ok "TLS: plain http is not answered"; else tap_fail "TLS: plain http is not answered"; fi
sv_stop tls
run_rc=0
timeout 30 "$top_builddir/p11tee" --policy "$IT_POLICY" serve --listen 127.0.0.1:0 \
    --tls-cert "$TAP_TMP/cert.pem" 2>"$TAP_TMP/half.log" || run_rc=$?
it_check_eq "--tls-cert without --tls-key: a usage error" "$run_rc $(grep -c 'go together' "$TAP_TMP/half.log")" "2 1"

# ---- --max-time bounds a whole chat; a crowd of first requests, one attestation -----
sv_start crowd --max-time 1 --warm "$THINK_MODEL" || exit 99
sv_ready || { tap_fail "ready" "$(cat "$SV_LOG")"; tap_done; }
att=$(it_stat attestations_served)
pids=
for n in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    curl -sS -o "$TAP_TMP/crowd.$n" -w '%{http_code}\n' "$SV_URL/v1/chat/completions" \
        --data-binary "$(req "crowd $n")" >"$TAP_TMP/crowd.$n.code" 2>&1 &
    pids="$pids $!"
done
for p in $pids; do wait "$p"; done
it_check_eq "20 first requests for a model at once: all answered" \
    "$(cat "$TAP_TMP"/crowd.*.code | sort | uniq -c | tr -s ' ')" " 20 200"
it_check_eq "... after one attestation (single flight)" "$(($(it_stat attestations_served) - att))" 1
refserver_control '{"chunk_delay_ms":400}' >/dev/null
sv_chat "$(printf '{"model":"%s","messages":[{"role":"user","content":"slow"}],"stream":true}' "$E2EE_MODEL")"
refserver_control '{"chunk_delay_ms":0}' >/dev/null
it_check_eq "--max-time 1: a chat that takes longer ends with upstream_timeout, no [DONE]" \
    "$SV_STATUS $(tail -n 2 "$SV_BODY" | head -n 1 | sed 's/.*"code":"\([a-z_]*\)".*/\1/') $(grep -c DONE "$SV_BODY")" \
    "200 upstream_timeout 0"
sv_stop crowd
tap_done
