# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Fixture for the CLI integration tests: a throwaway SoftHSM token, the
# reference server on 127.0.0.1, a policy that names the server's TEST roots,
# and p11tee configured through the environment as a user would.
#   it_setup [server flags...]   everything above; exports IT_* and P11TEE_*
#   it_run ARGS...               p11tee ARGS (no terminal); $IT_OUT, $IT_ERR files, $IT_RC
#   it_stat KEY                  a number from /__stats (e.g. requests.chat)
#   it_answer PROMPT             what the reference model answers (8 chunks)
#   it_json PATH                 a value of the JSON on stdout ("choices.0.index")
#   it_check_core WHAT PID ...   a core of a running process holds no secret (gcore)
#   it_check_core_limit_back ... --allow-core-dumps gave back the soft core size limit
#   it_check_*                   one TAP result each: the exit status, stdout,
#                                a pattern, a whole line, an empty file, values
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/refserver.sh"

IT_PIN=4321
E2EE_MODEL=e2ee-qwen3-5-122b-a10b
THINK_MODEL=e2ee-qwen3-30b-thinking
TEE_MODEL=tee-llama-3-3-70b
PLAIN_MODEL=llama-3.2-3b

it_setup() {
    tap_tmpdir
    [ -n "${SOFTHSM_MODULE:-}" ] && [ -r "$SOFTHSM_MODULE" ] ||
        tap_skip_all "SoftHSMv2 module not found (install the Debian package softhsm2)"
    "${PYTHON3:-/usr/bin/python3}" -c 'import cryptography' 2>/dev/null ||
        tap_skip_all "${PYTHON3:-/usr/bin/python3} cannot import cryptography"
    sh "$top_srcdir/tests/lib/mktoken.sh" "$TAP_TMP/token" it-token "$IT_PIN" 87654321 ||
        { echo "mktoken.sh failed" >&2; exit 99; }
    export SOFTHSM2_CONF="$TAP_TMP/token/softhsm2.conf"
    printf '%s\n' "$IT_PIN" >"$TAP_TMP/pin"
    chmod 600 "$TAP_TMP/pin"
    refserver_start --state-dir "$TAP_TMP/server" "$@" ||
        { echo "the reference server did not start" >&2; exit 99; }
    cat >"$TAP_TMP/policy.json" <<POLICY
{"version": 1,
 "test_roots": {"tdx": ["$REFSERVER_STATE/sgx_test_root.pem"],
                "nvidia": ["$REFSERVER_STATE/nvidia_test_root.pem"]}}
POLICY
    export VENICE_BASE_URL="$REFSERVER_URL" API_KEY_VENICE="$REFSERVER_API_KEY"
    export P11TEE_MODULE="$SOFTHSM_MODULE"
    export P11TEE_TOKEN="pkcs11:token=it-token?pin-source=file:$TAP_TMP/pin"
    IT_POLICY="$TAP_TMP/policy.json"
    IT_OUT="$TAP_TMP/stdout"
    IT_ERR="$TAP_TMP/stderr"
}

# p11tee runs without a controlling terminal (setsid), as under CI: it must
# never wait for a PIN typed at the terminal the tests were started from.
it_nottyrun() {
    if command -v setsid >/dev/null 2>&1; then setsid -w "$@"; else "$@"; fi
}

it_run() {
    IT_RC=0
    it_nottyrun "$top_builddir/p11tee" "$@" >"$IT_OUT" 2>"$IT_ERR" </dev/null || IT_RC=$?
}

# it_run with stdin from a string.
it_run_stdin() {
    input=$1
    shift
    IT_RC=0
    printf '%s' "$input" | it_nottyrun "$top_builddir/p11tee" "$@" >"$IT_OUT" 2>"$IT_ERR" ||
        IT_RC=$?
}

it_stat() {
    refserver_stats | "${PYTHON3:-/usr/bin/python3}" -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v.get(k, 0) if isinstance(v, dict) else 0
print(v)' "$1"
}

it_answer() {
    "${PYTHON3:-/usr/bin/python3}" -c '
import sys
base = orig = "echo: " + sys.argv[1]
while len(base) < 8:
    base = base + " " + orig
sys.stdout.write(base)' "$1"
}

it_json() {
    "${PYTHON3:-/usr/bin/python3}" -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$IT_OUT" "$1"
}

# Check helpers: each records one TAP result and shows what was seen on failure.
it_check_rc() {
    if [ "$IT_RC" -eq "$2" ]; then tap_ok "$1"; else
        tap_fail "$1" "exit status $IT_RC, expected $2; stderr: $(head -c 600 "$IT_ERR")"
    fi
}
it_check_out() {
    if [ "$(cat "$IT_OUT")" = "$2" ]; then tap_ok "$1"; else
        tap_fail "$1" "stdout: $(head -c 300 "$IT_OUT"); expected: $2"
    fi
}
it_check_grep() {
    if grep -q -- "$3" "$2"; then tap_ok "$1"; else
        tap_fail "$1" "\"$3\" not in $(basename "$2"): $(head -c 600 "$2")"
    fi
}
it_check_no_grep() {
    if ! grep -q -- "$3" "$2"; then tap_ok "$1"; else
        tap_fail "$1" "\"$3\" unexpectedly in $(basename "$2")"
    fi
}
# FILE holds TEXT as one whole line (no pattern: the message exactly).
it_check_says() {
    if grep -qxF -- "$3" "$2"; then tap_ok "$1"; else
        tap_fail "$1" "no line \"$3\" in $(basename "$2"): $(head -c 600 "$2")"
    fi
}
it_check_empty() {
    if [ ! -s "$2" ]; then tap_ok "$1"; else
        tap_fail "$1" "$(basename "$2") is not empty: $(head -c 300 "$2")"
    fi
}
it_check_eq() {
    if [ "$2" = "$3" ]; then tap_ok "$1"; else tap_fail "$1" "got \"$2\", expected \"$3\""; fi
}

# A stand-in for Intel's PCS (tests/server/pcs.py) on 127.0.0.1, stopped by
# pcs_stop_all (and by itself when the test's shell is gone, or after 300 s).
#   pcs_start NAME ARGS...   serve from $TAP_TMP/NAME; sets PCS_URL (http, or https with --tls)
PCS_PIDS=
pcs_start() {
    pcs__name=$1
    shift
    mkdir -p "$TAP_TMP/$pcs__name"
    "${PYTHON3:-/usr/bin/python3}" "$top_srcdir/tests/server/pcs.py" --dir "$TAP_TMP/$pcs__name" \
        --lifetime 300 "$@" &
    PCS_PIDS="$PCS_PIDS $!"
    pcs__i=0
    while [ ! -s "$TAP_TMP/$pcs__name/pcs.port" ]; do
        pcs__i=$((pcs__i + 1))
        [ "$pcs__i" -lt 400 ] || { echo "pcs.py did not start" >&2; exit 99; }
        sleep 0.025
    done
    pcs__scheme=http
    case " $* " in *" --tls "*) pcs__scheme=https ;; esac
    PCS_URL=$pcs__scheme://127.0.0.1:$(cat "$TAP_TMP/$pcs__name/pcs.port")
}
pcs_stop_all() {
    for pcs__p in $PCS_PIDS; do kill "$pcs__p" 2>/dev/null; done
    PCS_PIDS=
}

# it_check_core_limit_back WHAT PID: with --allow-core-dumps, the soft core size limit WHAT
# was started with (the hard one; the caller raised it) is back. Skips where that cannot
# show: ASan (disable_coredump=1, its default on 64-bit) zeroes the soft limit before main,
# and a hard limit of 0 leaves nothing to restore.
it_check_core_limit_back() {
    if [ -n "${ASAN_RUNTIME:-}" ]; then
        tap_skip "--allow-core-dumps restores the core size limit" \
            "a sanitizer build: ASan zeroes the soft core size limit before $1 starts"
    elif [ "$(ulimit -H -c)" != 0 ]; then
        it_check_eq "--allow-core-dumps: the soft core size limit $1 was started with is back" \
            "$(awk '/^Max core file size/ { print ($5 == "0" ? "0" : "kept") }' "/proc/$2/limits")" \
            "kept"
    else
        tap_skip "--allow-core-dumps restores the core size limit" "the hard core size limit is 0 here"
    fi
}

# it_check_core WHAT PID TEXT KEY PIN: a core of the running process PID (dumps allowed)
# holds TEXT (so it holds the process's memory) but neither KEY nor PIN. Three results, or
# skips: an ASan process maps terabytes of shadow memory, which gcore would write out, so
# sanitizer builds skip (the normal build runs it), as do machines without gdb's gcore.
it_check_core() {
    if [ -n "${ASAN_RUNTIME:-}" ]; then
        tap_skip "the core of $1 holds no secret" \
            "a sanitizer build: gcore would write the ASan shadow memory (the normal build runs it)"
        return
    fi
    if ! command -v gcore >/dev/null 2>&1; then
        tap_skip "the core of $1 holds no secret" "gcore (Debian package gdb) not found"
        return
    fi
    timeout 120 gcore -o "$TAP_TMP/core" "$2" >"$TAP_TMP/gcore.out" 2>&1
    it__core="$TAP_TMP/core.$2"
    if [ ! -s "$it__core" ]; then
        tap_fail "gcore wrote a core of $1" "$(tail -n 5 "$TAP_TMP/gcore.out")"
        return
    fi
    it_check_eq "the core of $1 holds its memory ($3 is in it)" \
        "$(grep -c -a -F -- "$3" "$it__core" | tr -d ' ' | sed 's/^0$/none/;s/^[0-9]*$/some/')" "some"
    it_check_eq "... it does not hold the API key" "$(grep -c -a -F -- "$4" "$it__core" | tr -d ' ')" "0"
    it_check_eq "... nor the PIN" "$(grep -c -a -F -- "$5" "$it__core" | tr -d ' ')" "0"
    rm -f "$it__core"
}
