#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The shell fixture tests/lib/refserver.sh: start, exported variables, the pinned
# roots, an authenticated request, control, stats, stop.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/refserver.sh"

PYTHON3=${PYTHON3:-/usr/bin/python3}
"$PYTHON3" -c 'import cryptography' 2>/dev/null ||
    tap_skip_all "$PYTHON3 cannot import cryptography (install python3-cryptography)"
tap_tmpdir

# GET $1 on the server with the API key; prints "STATUS BODY".
get() {
    "$PYTHON3" - "$REFSERVER_PORT" "$REFSERVER_API_KEY_FILE" "$1" <<'PY'
import http.client, sys
key = open(sys.argv[2]).read().strip()
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
conn.request("GET", sys.argv[3], headers={"Authorization": "Bearer " + key})
resp = conn.getresponse()
print(resp.status, resp.read().decode())
PY
}

if refserver_start --chunks 5; then tap_ok "refserver_start"; else tap_fail "refserver_start"; tap_done; fi
case $REFSERVER_URL in
http://127.0.0.1:*/api/v1) tap_ok "REFSERVER_URL is http://127.0.0.1:PORT/api/v1" ;;
*) tap_fail "REFSERVER_URL is http://127.0.0.1:PORT/api/v1" "got $REFSERVER_URL" ;;
esac
tap_check "REFSERVER_PID is the running server" kill -0 "$REFSERVER_PID"
tap_check "REFSERVER_STATE holds the SGX test root" test -s "$REFSERVER_STATE/sgx_test_root.pem"
tap_check "REFSERVER_STATE holds the NVIDIA test root" test -s "$REFSERVER_STATE/nvidia_test_root.pem"
tap_check "REFSERVER_STATE holds the collateral" test -s "$REFSERVER_STATE/tdx_collateral.json"
case $REFSERVER_API_KEY in
????????????????????????????????) tap_ok "REFSERVER_API_KEY is 32 random hex chars" ;;
*) tap_fail "REFSERVER_API_KEY is 32 random hex chars" ;;
esac
if ps -o args= -p "$REFSERVER_PID" | grep -q "$REFSERVER_API_KEY"; then
    tap_fail "the API key is not in the server's argv"
else
    tap_ok "the API key is not in the server's argv"
fi
out=$(get /api/v1/models)
case $out in
"200 "*e2ee-qwen3-5-122b-a10b*) tap_ok "an authenticated GET /models answers 200" ;;
*) tap_fail "an authenticated GET /models answers 200" "$out" ;;
esac
out=$(refserver_control '{"set_faults": ["debug-td"], "chunks": 3}')
case $out in
*'"chunks": 3'*'"debug-td"'*) tap_ok "refserver_control sets faults and chunks" ;;
*) tap_fail "refserver_control sets faults and chunks" "$out" ;;
esac
if refserver_control '{"set_faults": ["nope"]}' >/dev/null 2>&1; then
    tap_fail "refserver_control fails on a refused request"
else
    tap_ok "refserver_control fails on a refused request"
fi
out=$(refserver_stats)
case $out in
*'"models": 1'*) tap_ok "refserver_stats counts the request" ;;
*) tap_fail "refserver_stats counts the request" "$out" ;;
esac
pid=$REFSERVER_PID
refserver_stop
if kill -0 "$pid" 2>/dev/null; then
    tap_fail "refserver_stop stops the server"
else
    tap_ok "refserver_stop stops the server"
fi
tap_check "refserver_stop clears REFSERVER_URL" test -z "${REFSERVER_URL:-}"
tap_check "refserver_stop can run twice" refserver_stop

if refserver_start --state-dir "$TAP_TMP/mine"; then
    tap_check "a --state-dir flag becomes REFSERVER_STATE" test "$REFSERVER_STATE" = "$TAP_TMP/mine"
    tap_check "... and the server writes the roots there" test -s "$TAP_TMP/mine/sgx_test_root.pem"
else
    tap_fail "refserver_start --state-dir DIR"
fi
refserver_stop

# Running: it exists and is not a zombie (an exited process waiting to be reaped).
running() {
    [ -r "/proc/$1/stat" ] && ! sed 's/.*) //' "/proc/$1/stat" | grep -q '^Z'
}

# A test shell that dies without cleaning up (SIGKILL: no trap runs) takes its server along.
pid=$(TAP_TMP=$TAP_TMP sh -c '. "$top_srcdir/tests/lib/refserver.sh"
    refserver_start >/dev/null 2>&1 && echo "$REFSERVER_PID" && kill -9 $$')
i=0
while [ -n "$pid" ] && running "$pid" && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
if [ -n "$pid" ] && ! running "$pid"; then
    tap_ok "the server exits when the shell that started it dies"
else
    tap_fail "the server exits when the shell that started it dies" "pid '$pid'"
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
fi
tap_done
