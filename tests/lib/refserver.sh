# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Shell fixture: the local Venice reference server (tests/server) for client tests.
#
#   . "$top_srcdir/tests/lib/refserver.sh"
#   refserver_start [server flags...]   start it; exports REFSERVER_URL (…/api/v1),
#                                       REFSERVER_PID, REFSERVER_STATE (the --state-dir
#                                       with sgx_test_root.pem, nvidia_test_root.pem, …;
#                                       a private one unless the flags name one),
#                                       REFSERVER_API_KEY ($REFSERVER_KEY if set, else
#                                       random per start) and
#                                       REFSERVER_API_KEY_FILE (a file holding it)
#   refserver_control JSON              POST /__control; prints the new settings
#   refserver_stats                     prints /__stats (JSON)
#   refserver_stop                      stop it and remove its files (idempotent)
#
# refserver_start installs an EXIT trap that calls refserver_stop and then removes
# $TAP_TMP when tests/lib/tap.sh's tap_tmpdir made one; a test that sets its own EXIT
# trap afterwards must call refserver_stop in it. The server also stops by itself: at
# its lifetime (REFSERVER_LIFETIME, default 300 s), on SIGTERM, and when this shell
# dies. The API key is passed in a file, never in argv. Uses $PYTHON3 (default
# /usr/bin/python3) and $top_srcdir (make check exports both).

refserver__python() {
    echo "${PYTHON3:-/usr/bin/python3}"
}

refserver__script() {
    echo "${top_srcdir:?must name the source tree (make check exports it)}/tests/server/venice_ref.py"
}

refserver_start() {
    if [ -n "${REFSERVER_PID:-}" ]; then
        echo "refserver_start: a server is already running (pid $REFSERVER_PID)" >&2
        return 1
    fi
    refserver__dir=$(mktemp -d "${TAP_TMP:-${TMPDIR:-/tmp}}/refserver.XXXXXX") || return 1
    # A caller may choose the key (REFSERVER_KEY), e.g. one with '/', '+' and '='.
    REFSERVER_API_KEY=${REFSERVER_KEY:-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')}
    REFSERVER_API_KEY_FILE=$refserver__dir/api-key
    (umask 077 && printf '%s\n' "$REFSERVER_API_KEY" >"$REFSERVER_API_KEY_FILE")
    # A --state-dir among the caller's flags wins (the server takes the last one).
    REFSERVER_STATE=$refserver__dir/state
    refserver__prev=
    for refserver__arg in "$@"; do
        case $refserver__prev in --state-dir) REFSERVER_STATE=$refserver__arg ;; esac
        case $refserver__arg in --state-dir=*) REFSERVER_STATE=${refserver__arg#--state-dir=} ;; esac
        refserver__prev=$refserver__arg
    done
    trap 'refserver_stop; tap_tmp_remove' EXIT
    trap 'exit 130' INT TERM
    "$(refserver__python)" "$(refserver__script)" --port 0 --port-file "$refserver__dir/port" \
        --api-key-file "$REFSERVER_API_KEY_FILE" --state-dir "$REFSERVER_STATE" \
        --lifetime "${REFSERVER_LIFETIME:-300}" --parent-pid $$ \
        --log "$refserver__dir/server.log" "$@" &
    REFSERVER_PID=$!
    refserver__i=0
    while [ ! -s "$refserver__dir/port" ]; do
        if ! kill -0 "$REFSERVER_PID" 2>/dev/null || [ "$refserver__i" -ge 400 ]; then
            echo "refserver_start: the server did not start; its log:" >&2
            cat "$refserver__dir/server.log" >&2 2>/dev/null
            refserver_stop
            return 1
        fi
        refserver__i=$((refserver__i + 1))
        sleep 0.025
    done
    REFSERVER_PORT=$(cat "$refserver__dir/port")
    REFSERVER_URL=http://127.0.0.1:$REFSERVER_PORT/api/v1
    REFSERVER_LOG=$refserver__dir/server.log
    export REFSERVER_URL REFSERVER_PID REFSERVER_STATE REFSERVER_API_KEY \
        REFSERVER_API_KEY_FILE REFSERVER_PORT REFSERVER_LOG
}

refserver__client() {
    "$(refserver__python)" "$(refserver__script)" "$1" --port-file "$refserver__dir/port" \
        --api-key-file "$REFSERVER_API_KEY_FILE" ${2+"$2"}
}

refserver_control() {
    refserver__client control "$1"
}

refserver_stats() {
    refserver__client stats
}

refserver_stop() {
    if [ -n "${REFSERVER_PID:-}" ]; then
        kill "$REFSERVER_PID" 2>/dev/null
        wait "$REFSERVER_PID" 2>/dev/null
    fi
    [ -n "${refserver__dir:-}" ] && rm -rf "$refserver__dir"
    unset REFSERVER_PID REFSERVER_URL REFSERVER_STATE REFSERVER_API_KEY REFSERVER_API_KEY_FILE \
        REFSERVER_PORT REFSERVER_LOG refserver__dir
    return 0
}
