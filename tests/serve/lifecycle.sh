#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Streams that end early and a gateway that changes: a caller who hangs up
# cancels the upstream stream at once (the reference server's stats show it),
# before any text and during it; a caller who does not read is cut; SIGTERM
# drains (streams finish, or are cut with an error event at --drain-timeout)
# and exits 0; SIGHUP reloads the policy; past --max-rss the gateway drains
# and exits 75; systemd hears of all of it.
. "$top_srcdir/tests/serve/lib.sh"

sv_setup
req() { printf '{"model":"%s","messages":[{"role":"user","content":"%s"}],"stream":%s}' "$E2EE_MODEL" "$1" "${2:-true}"; }

# Wait (at most 30 s, far below the 120 s idle timeout that would end an
# uncancelled upstream stream) for a reference-server counter to reach N.
wait_stat() {
    end=$(($(date +%s) + 30))
    until [ "$(it_stat "$1")" -ge "$2" ] || [ "$(date +%s)" -ge "$end" ]; do
        sleep 0.05
    done
    [ "$(it_stat "$1")" -ge "$2" ]
}

# systemd's notification socket, as a datagram socket this test reads.
sv_notify_socket

sv_start gw --idle-timeout 120 --stream-buffer 4096 --client-timeout 1 || exit 99
sv_ready || { tap_fail "ready" "$(cat "$SV_LOG")"; tap_done; }
it_check_grep "systemd: READY=1 once listening" "$TAP_TMP/notified" "READY=1"

# ---- callers who hang up ----------------------------------------------------------------
hangup() { # DESC CHUNKS STREAM
    refserver_control "{\"faults\":\"stall-stream\",\"chunks\":$2}" >/dev/null
    closed=$(it_stat streams_client_closed)
    curl -sS -o /dev/null --max-time 1 "$SV_URL/v1/chat/completions" --data-binary "$(req hangup "$3")" 2>/dev/null
    if wait_stat streams_client_closed $((closed + 1)); then
        tap_ok "$1: the upstream stream was closed at once"
    else
        tap_fail "$1: the upstream stream was closed at once" "$(refserver_stats)"
    fi
    refserver_control '{"clear_faults":true,"chunks":8}' >/dev/null
}
hangup "a caller hangs up while the stream is silent before any text" 1 true
hangup "a caller hangs up in the middle of a stream that went silent" 8 true
hangup "a caller of a non-streamed answer hangs up" 8 false
sv_wait_log "$SV_LOG" '"cancelled":"client_gone"'
it_check_grep "log: the request says its caller went away" "$SV_LOG" '"cancelled":"client_gone"'
# Counted when libmicrohttpd says the request is over, just after the hang-up.
i=0
until sv_curl "$SV_URL/metrics" && grep -q '^p11tee_serve_client_disconnects_total 3$' "$SV_BODY" ||
    [ $i -ge 200 ]; do
    i=$((i + 1))
    sleep 0.05
done
it_check_grep "metrics: disconnects" "$SV_BODY" '^p11tee_serve_client_disconnects_total 3$'

# ---- a caller who does not read --------------------------------------------------------
refserver_control '{"chunks":3000}' >/dev/null
closed=$(it_stat streams_client_closed)
"${PYTHON3:-/usr/bin/python3}" - "${SV_URL#http://}" "$(req slow)" >"$TAP_TMP/slow" 2>&1 <<'PY' &
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
s.connect((host, int(port)))
body = sys.argv[2].encode()
s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
time.sleep(30)  # never read; the gateway gives up first
PY
slow=$!
if wait_stat streams_client_closed $((closed + 1)); then
    tap_ok "a caller who does not read: cut after --client-timeout, upstream closed"
else
    tap_fail "a caller who does not read: cut after --client-timeout, upstream closed" "$(refserver_stats)"
fi
kill $slow 2>/dev/null
wait $slow 2>/dev/null
refserver_control '{"chunks":8}' >/dev/null
sv_curl "$SV_URL/metrics"
it_check_grep "metrics: slow callers cut" "$SV_BODY" '^p11tee_serve_slow_client_cuts_total 1$'
i=0
until grep -q '"cancelled":"slow_client"' "$SV_LOG" || [ $i -ge 200 ]; do
    i=$((i + 1))
    sleep 0.05
done
it_check_grep "log: the request says it was cut" "$SV_LOG" '"error":"slow_client","cancelled":"slow_client"'

# ---- SIGHUP: the policy is read again -------------------------------------------------------
sv_chat "$(req before)"
sv_check_status "policy: chat under the test policy" 200
cp "$IT_POLICY" "$TAP_TMP/policy.keep"
"${PYTHON3:-/usr/bin/python3}" -c '
import json, sys
p = json.load(open(sys.argv[1]))
p["tdx"] = {"mrtd": "00" * 48}
json.dump(p, open(sys.argv[1], "w"))' "$IT_POLICY"
kill -HUP "$gw_PID"
i=0
until [ "$(grep -c '"event":"reload","message":"new client' "$SV_LOG")" -ge 1 ] || [ $i -ge 200 ]; do
    i=$((i + 1))
    sleep 0.05
done
it_check_grep "systemd: RELOADING=1 on SIGHUP" "$TAP_TMP/notified" "RELOADING=1"
reached=$(it_stat chat_requests_reached_model)
sv_chat "$(req pinned)"
it_check_eq "policy reloaded: an MRTD pin that does not match refuses the model, nothing sent" \
    "$SV_STATUS $(sv_json "$SV_BODY" 'v["error"]["code"]') $(it_stat chat_requests_reached_model)" \
    "502 attestation_failed $reached"
it_check_grep "policy reloaded: the error names the failed pin" "$SV_BODY" "policy.mrtd"
cp "$TAP_TMP/policy.keep" "$IT_POLICY"
kill -HUP "$gw_PID"
i=0
until [ "$(grep -c '"event":"reload","message":"new client' "$SV_LOG")" -ge 2 ] || [ $i -ge 200 ]; do
    i=$((i + 1))
    sleep 0.05
done
sv_chat "$(req after)"
sv_check_status "policy restored by another SIGHUP: chat again" 200

# ---- SIGTERM: streams in flight finish ---------------------------------------------------
refserver_control '{"chunk_delay_ms":250}' >/dev/null
curl -sS -o "$TAP_TMP/drained" "$SV_URL/v1/chat/completions" --data-binary "$(req drained)" &
client=$!
wait_stat streams_active 1
kill -TERM "$gw_PID"
i=0
until grep -q '"event":"drain"' "$SV_LOG" || [ $i -ge 200 ]; do
    i=$((i + 1))
    sleep 0.025
done
rc=0
curl -sS -o /dev/null --max-time 5 "$SV_URL/healthz" 2>/dev/null || rc=$?
it_check_eq "SIGTERM: no new connection is accepted" "$rc" 7
wait $client
it_check_eq "SIGTERM: the stream in flight ended with [DONE]" "$(tail -n 2 "$TAP_TMP/drained" | head -n 1)" \
    "data: [DONE]"
sv_stop gw
it_check_eq "SIGTERM: exit 0 after the drain" "$SV_RC" 0
it_check_grep "systemd: STOPPING=1" "$TAP_TMP/notified" "STOPPING=1"

# ---- SIGTERM: streams that outlast --drain-timeout are cut -----------------------------------
refserver_control '{"chunk_delay_ms":500,"chunks":60}' >/dev/null
sv_start cut --drain-timeout 1 || exit 99
sv_ready || { tap_fail "ready" "$(cat "$SV_LOG")"; tap_done; }
curl -sS -o "$TAP_TMP/cut" "$SV_URL/v1/chat/completions" --data-binary "$(req cut)" &
client=$!
wait_stat streams_active 1
kill -TERM "$cut_PID"
wait $client
refserver_control '{"chunk_delay_ms":0,"chunks":8}' >/dev/null
it_check_eq "drain timeout: the stream is cut with an OpenAI error event, no [DONE]" \
    "$(tail -n 2 "$TAP_TMP/cut" | head -n 1 | sed 's/.*"code":"\([a-z_]*\)".*/\1/') $(grep -c DONE "$TAP_TMP/cut")" \
    "shutting_down 0"
sv_stop cut
it_check_eq "drain timeout: exit 0" "$SV_RC" 0
it_check_grep "drain timeout: the log says streams were cut" "$SV_LOG" '"event":"drain","message":"1 requests still in flight: cutting them"'

# ---- --max-rss: past it the gateway retires (drains, exits 75); below it, it serves ------------
for bad in -1 1.5 lots; do
    it_run --policy "$IT_POLICY" serve --listen 127.0.0.1:0 --max-rss "$bad"
    it_check_eq "--max-rss $bad: a usage error" "$IT_RC" 2
    it_check_grep "--max-rss $bad: the message names the option" "$IT_ERR" "max-rss"
done
sv_start roomy --max-rss 65536 || exit 99
sv_ready || { tap_fail "ready" "$(cat "$SV_LOG")"; tap_done; }
sleep 1.5 # the bound is looked at every second
sv_chat "$(req roomy false)"
sv_check_status "--max-rss above the gateway's memory: it serves" 200
sv_stop roomy
it_check_eq "--max-rss above the gateway's memory: SIGTERM still exits 0" "$SV_RC" 0
sv_start tight --max-rss 1 || exit 99
i=0
while kill -0 "$tight_PID" 2>/dev/null && [ $i -lt 400 ]; do
    i=$((i + 1))
    sleep 0.025
done
sv_stop tight # only waits, unless it did not retire in 10 s
it_check_eq "--max-rss 1: the gateway retires with exit 75" "$SV_RC" 75
it_check_grep "--max-rss 1: the log says why, and what comes next" "$tight_LOG" \
    '"event":"retire","message":"resident memory [0-9]* MiB passed --max-rss 1 MiB: draining, then exiting 75'
it_check_grep "--max-rss 1: it drained as on SIGTERM" "$tight_LOG" '"event":"drain","message":"not accepting'
it_check_grep "--max-rss 1: systemd hears it stop" "$TAP_TMP/notified" "STOPPING=1"

kill "$SV_NOTIFY_PID" 2>/dev/null
tap_done
