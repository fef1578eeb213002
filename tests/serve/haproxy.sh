#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Two gateways behind HAProxy (docs/haproxy.cfg's shape, on 127.0.0.1 ports),
# one killed in the middle of a load: the streams it carried fail cleanly (no
# [DONE], only verified text), and new requests go to the other.
. "$top_srcdir/tests/serve/lib.sh"

command -v haproxy >/dev/null 2>&1 || { tap_tmpdir; tap_skip_all "haproxy not found (install the Debian package haproxy)"; }
sv_setup
sv_start a || exit 99
sv_start b || exit 99
sv_ready "$a_URL" && sv_ready "$b_URL" || { tap_fail "gateways ready" "$(cat "$a_LOG" "$b_LOG")"; tap_done; }

port=$("${PYTHON3:-/usr/bin/python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s/@FRONT@/127.0.0.1:$port/" -e "s/@A@/${a_URL#http://}/" -e "s/@B@/${b_URL#http://}/" \
    "$top_srcdir/docs/haproxy.cfg" >"$TAP_TMP/haproxy.cfg"
haproxy -c -f "$TAP_TMP/haproxy.cfg" >"$TAP_TMP/haproxy.check" 2>&1 ||
    { tap_fail "the generated HAProxy configuration is valid" "$(cat "$TAP_TMP/haproxy.check")"; tap_done; }
haproxy -db -f "$TAP_TMP/haproxy.cfg" >"$TAP_TMP/haproxy.log" 2>&1 &
hap=$!
sv__watchdog "$hap" &
LB=http://127.0.0.1:$port
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$LB/readyz")" = 200 ] || [ $i -ge 200 ]; do
    i=$((i + 1))
    sleep 0.05
done
tap_ok "HAProxy in front of two gateways"

req() { printf '{"model":"%s","messages":[{"role":"user","content":"%s"}],"stream":true}' "$E2EE_MODEL" "$1"; }
answer=$(it_answer load)

# ---- a load, then one gateway dies --------------------------------------------------
refserver_control '{"chunk_delay_ms":300}' >/dev/null
pids=
for n in 1 2 3 4 5 6 7 8; do
    (rc=0; curl -sS -N -o "$TAP_TMP/load.$n" "$LB/v1/chat/completions" --data-binary "$(req load)" \
        2>"$TAP_TMP/load.$n.err" || rc=$?; echo $rc >"$TAP_TMP/load.$n.rc") &
    pids="$pids $!"
done
i=0
until [ "$(it_stat streams_active)" = 8 ] || [ $i -ge 400 ]; do
    i=$((i + 1))
    sleep 0.025
done
active() { curl -s "$1/metrics" | sed -n 's/^p11tee_serve_active_streams //p'; }
on_a=$(active "$a_URL")
on_b=$(active "$b_URL")
if [ "$(it_stat streams_active)" = 8 ] && [ "$on_a" -ge 1 ] && [ "$on_b" -ge 1 ] &&
    [ $((on_a + on_b)) = 8 ]; then
    tap_ok "8 streams in flight, spread over both gateways ($on_a + $on_b)"
else
    tap_fail "8 streams in flight, spread over both gateways" "a $on_a b $on_b upstream $(it_stat streams_active)"
fi
kill -KILL "$a_PID"
for p in $pids; do wait "$p"; done
refserver_control '{"chunk_delay_ms":0}' >/dev/null

done_n=0 cut_n=0 bad=
for n in 1 2 3 4 5 6 7 8; do
    out=$("${PYTHON3:-/usr/bin/python3}" - "$TAP_TMP/load.$n" "$answer" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read().decode("utf-8")
text, done = "", False
for event in raw.split("\n\n"):
    if event == "data: [DONE]":
        done = True
    elif event.startswith("data: "):
        obj = json.loads(event[6:])
        if obj.get("choices"):
            text += obj["choices"][0]["delta"].get("content", "") or ""
if done:
    print("done" if text == sys.argv[2] else "bad: %r" % text)
else:
    print("cut" if sys.argv[2].startswith(text) else "bad: %r" % text)
PY
    )
    rc=$(cat "$TAP_TMP/load.$n.rc")
    case $out in
    done) [ "$rc" = 0 ] && done_n=$((done_n + 1)) || bad="$bad $n:done-but-curl-$rc" ;;
    cut) [ "$rc" != 0 ] && cut_n=$((cut_n + 1)) || bad="$bad $n:cut-but-curl-0" ;;
    *) bad="$bad $n:$out" ;;
    esac
done
it_check_eq "every stream either finished with [DONE] or failed as a transfer error, no other text" "$bad" ""
if [ "$cut_n" -ge 1 ] && [ "$done_n" -ge 1 ] && [ $((cut_n + done_n)) = 8 ]; then
    tap_ok "the killed gateway's streams failed ($cut_n), the other's finished ($done_n)"
else
    tap_fail "the killed gateway's streams failed, the other's finished" "cut $cut_n done $done_n"
fi

# ---- after it: every new request is served by the survivor ------------------------------
before=$(grep -c '"event":"request","client":"local","method":"POST"' "$b_LOG")
codes=
for n in 1 2 3 4 5 6; do
    SV_URL=$LB sv_chat "$(req after)"
    codes="$codes $SV_STATUS:$(tail -n 2 "$SV_BODY" | head -n 1)"
done
it_check_eq "new requests after the kill all succeed" "$codes" \
    "$(for n in 1 2 3 4 5 6; do printf ' 200:data: [DONE]'; done)"
served() { echo $(($(grep -c '"event":"request","client":"local","method":"POST"' "$b_LOG") - before)); }
i=0
until [ "$(served)" -ge 6 ] || [ $i -ge 200 ]; do # a request's line comes as it completes
    i=$((i + 1))
    sleep 0.05
done
it_check_eq "and the surviving gateway served them" "$(served)" 6

kill "$hap" 2>/dev/null
wait "$hap" 2>/dev/null
sv_stop b
it_check_eq "the survivor exits 0 on SIGTERM" "$SV_RC" 0
tap_done
