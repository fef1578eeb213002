# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# TAP helpers for shell tests. Source it, call the checks, end with tap_done.
#   tap_ok DESC / tap_fail DESC [DIAG]   record one result
#   tap_check DESC CMD...                pass when CMD exits 0
#   tap_skip DESC REASON                 a skipped result
#   tap_skip_all REASON                  nothing can run: exit 77 with REASON
#   tap_done                             late plan; exit status = failures
tap_n=0
tap_failures=0

tap_ok() {
    tap_n=$((tap_n + 1))
    printf 'ok %d - %s\n' "$tap_n" "$1"
}

tap_fail() {
    tap_n=$((tap_n + 1))
    tap_failures=$((tap_failures + 1))
    printf 'not ok %d - %s\n' "$tap_n" "$1"
    if [ $# -gt 1 ]; then
        printf '%s\n' "$2" | sed 's/^/# /'
    fi
}

tap_check() {
    desc=$1
    shift
    if "$@"; then tap_ok "$desc"; else tap_fail "$desc" "command failed: $*"; fi
}

tap_skip() {
    tap_n=$((tap_n + 1))
    printf 'ok %d - %s # SKIP %s\n' "$tap_n" "$1" "$2"
}

tap_skip_all() {
    echo "$1" >&2
    exit 77
}

tap_done() {
    printf '1..%d\n' "$tap_n"
    exit "$tap_failures"
}

# A private temp dir removed on exit; parallel tests never share one.
# TAP_SOCK is where unix sockets go: a socket path holds at most 107 bytes,
# so a deep TAP_TMP gets a short directory of its own under /tmp.
tap_tmpdir() {
    TAP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/p11tee-test.XXXXXX") || exit 99
    TAP_SOCK=$TAP_TMP
    if [ "${#TAP_TMP}" -gt 80 ]; then
        TAP_SOCK=$(mktemp -d /tmp/p11tee-sock.XXXXXX) || exit 99
    fi
    trap 'tap_tmp_remove' EXIT
    trap 'exit 130' INT TERM
}

# Removes TAP_TMP and TAP_SOCK: every EXIT trap that replaces tap_tmpdir's calls it.
tap_tmp_remove() {
    [ -n "${TAP_SOCK:-}" ] && [ "$TAP_SOCK" != "${TAP_TMP:-}" ] && rm -rf "$TAP_SOCK"
    [ -n "${TAP_TMP:-}" ] && rm -rf "$TAP_TMP"
    return 0
}
