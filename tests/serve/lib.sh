# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Fixture for the gateway tests: the CLI fixture (a throwaway token, the
# reference server, a policy naming its TEST roots, P11TEE_* in the
# environment), plus `p11tee serve` instances on 127.0.0.1 that stop with the test.
#   sv_setup [server flags...]     it_setup, then SV_* defaults
#   sv_start NAME [serve flags...] start an instance (listen 127.0.0.1:0 unless flags say),
#                                  wait for its listener; sets SV_URL, SV_PID, SV_LOG
#                                  (and NAME_URL, NAME_PID, NAME_LOG for several instances)
#   sv_ready [URL]                 wait until /readyz answers 200 (10 s at most)
#   sv_stop NAME [SIGNAL]          signal it (TERM) and wait; SV_RC = its exit status
#   sv_curl ARGS...                curl -sS with the status in $SV_STATUS, body in $SV_BODY,
#                                  headers in $SV_HEADERS (files)
#   sv_json FILE EXPR              a value from a JSON file (python expression on `v`)
#   sv_json_events FILE EXPR       the same over the JSON objects of an event stream
#   sv_log_has NAME TEXT           1 when NAME's log has a line containing TEXT
#   sv_wait_log FILE PATTERN       wait for a log line (a request's comes as it completes)
#   sv_notify_socket               systemd's notification socket: exports NOTIFY_SOCKET, each
#                                  datagram one line of $TAP_TMP/notified; SV_NOTIFY_PID reads it
. "$top_srcdir/tests/integration/lib.sh"

SV_INSTANCES=
SV_LIFETIME=${SV_LIFETIME:-240}

sv_setup() {
    command -v curl >/dev/null 2>&1 || { tap_tmpdir; tap_skip_all "curl not found (install the Debian package curl)"; }
    it_setup "$@"
    trap 'sv_cleanup' EXIT
    SV_BODY=$TAP_TMP/body
    SV_HEADERS=$TAP_TMP/headers
}

sv_cleanup() {
    pcs_stop_all
    for sv__n in $SV_INSTANCES; do
        eval "sv__p=\${${sv__n}_PID:-}"
        [ -n "$sv__p" ] && kill -KILL "$sv__p" 2>/dev/null
    done
    refserver_stop
    [ -z "${SV_KEEP_TMP:-}" ] && tap_tmp_remove
}

# An instance stops by itself: killed when the test's shell is gone or after SV_LIFETIME s.
sv__watchdog() {
    sv__w=0
    while kill -0 "$1" 2>/dev/null; do
        if ! kill -0 "$$" 2>/dev/null || [ "$sv__w" -ge "$((SV_LIFETIME * 4))" ]; then
            kill -KILL "$1" 2>/dev/null
            break
        fi
        sv__w=$((sv__w + 1))
        sleep 0.25
    done >/dev/null 2>&1
}

# The address an instance printed in its "listening" log line.
sv__address() {
    sed -n 's/.*"event":"listening","message":"\([^" ]*\)[" ].*/\1/p' "$1" | head -n 1
}

sv_start() {
    sv__name=$1
    shift
    sv__log=$TAP_TMP/$sv__name.log
    sv__listen=--listen
    case " $* " in *" --listen "*) sv__listen= ;; esac
    "$top_builddir/p11tee" --policy "$IT_POLICY" serve ${sv__listen:+--listen 127.0.0.1:0} "$@" \
        >"$TAP_TMP/$sv__name.out" 2>"$sv__log" </dev/null &
    sv__pid=$!
    sv__watchdog "$sv__pid" &
    SV_INSTANCES="$SV_INSTANCES $sv__name"
    sv__i=0
    while [ -z "$(sv__address "$sv__log")" ]; do
        if ! kill -0 "$sv__pid" 2>/dev/null || [ "$sv__i" -ge 400 ]; then
            echo "sv_start: $sv__name did not start; its log:" >&2
            cat "$sv__log" >&2
            return 1
        fi
        sv__i=$((sv__i + 1))
        sleep 0.025
    done
    SV_URL=http://$(sv__address "$sv__log")
    SV_PID=$sv__pid
    SV_LOG=$sv__log
    eval "${sv__name}_URL=\$SV_URL ${sv__name}_PID=\$SV_PID ${sv__name}_LOG=\$SV_LOG"
}

sv_ready() {
    sv__u=${1:-$SV_URL}
    sv__i=0
    while [ "$(curl -s -o /dev/null -w '%{http_code}' "$sv__u/readyz")" != 200 ]; do
        [ "$sv__i" -ge 400 ] && return 1
        sv__i=$((sv__i + 1))
        sleep 0.025
    done
}

# Signal an instance and wait for it; the exit status is in SV_RC.
sv_stop() {
    eval "sv__p=\${${1}_PID:-}"
    SV_RC=0
    kill -"${2:-TERM}" "$sv__p" 2>/dev/null
    wait "$sv__p" 2>/dev/null || SV_RC=$?
    eval "${1}_PID="
}

sv_curl() {
    SV_STATUS=$(curl -sS -o "$SV_BODY" -D "$SV_HEADERS" -w '%{http_code}' "$@" 2>"$TAP_TMP/curl.err") ||
        SV_STATUS=${SV_STATUS:-000}
}

# sv_chat JSON [curl args...]: POST a chat request to SV_URL.
sv_chat() {
    sv__json=$1
    shift
    sv_curl "$SV_URL/v1/chat/completions" -H 'Content-Type: application/json' \
        --data-binary "$sv__json" "$@"
}

sv_json() {
    "${PYTHON3:-/usr/bin/python3}" -c '
import json, sys
v = json.load(open(sys.argv[1]))
print(eval(sys.argv[2], {"v": v}))' "$1" "$2"
}

# sv_json_events FILE EXPR: EXPR over v, the JSON objects of an event stream ([DONE] left out).
sv_json_events() {
    "${PYTHON3:-/usr/bin/python3}" -c '
import json, sys
raw = open(sys.argv[1], "rb").read().decode()
v = [json.loads(e[6:]) for e in raw.split("\n\n") if e.startswith("data: {")]
print(eval(sys.argv[2], {"v": v}))' "$1" "$2"
}

sv_log_has() {
    grep -q -- "$2" "$TAP_TMP/$1.log"
}

# sv_wait_log FILE PATTERN: wait (10 s at most) for a log line; a request's line is written
# when libmicrohttpd says it is over, which may come just after the client got its answer.
sv_wait_log() {
    sv__i=0
    until grep -q -- "$2" "$1" || [ "$sv__i" -ge 400 ]; do
        sv__i=$((sv__i + 1))
        sleep 0.025
    done
}

# Pass when the status is $2; show the body otherwise.
sv_check_status() {
    if [ "$SV_STATUS" = "$2" ]; then tap_ok "$1"; else
        tap_fail "$1" "HTTP $SV_STATUS, expected $2; body: $(head -c 600 "$SV_BODY")"
    fi
}

# A datagram socket in place of systemd's, read until the test ends (its reader
# exits when its parent, this test, is gone).
sv_notify_socket() {
    NOTIFY_SOCKET=$TAP_SOCK/notify
    "${PYTHON3:-/usr/bin/python3}" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(1)
with open(sys.argv[2], "a") as out:
    while os.getppid() != 1:
        try:
            out.write(s.recv(4096).decode().replace("\n", " ") + "\n")
            out.flush()
        except socket.timeout:
            pass' "$NOTIFY_SOCKET" "$TAP_TMP/notified" &
    SV_NOTIFY_PID=$!
    while [ ! -S "$NOTIFY_SOCKET" ]; do
        kill -0 "$SV_NOTIFY_PID" 2>/dev/null ||
            { echo "the notification socket could not be made" >&2; exit 99; }
        sleep 0.02
    done
    export NOTIFY_SOCKET
}
