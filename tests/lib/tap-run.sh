#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Run one test program for automake's TAP driver (the LOG_COMPILER).
#
# Conventions every p11tee test follows (C with cmocka, shell, Python):
#  - TAP on stdout, diagnostics on stderr;
#  - exit status = number of failed tests (0 when all pass);
#  - a program that cannot run at all exits 77 after writing the reason as
#    its last line on stderr (STYLE.md), and this wrapper turns that into
#    "1..0 # SKIP reason".
# cmocka 1.1.5 prints a skipped test as "not ok N # SKIP"; TAP wants "ok".
# A non-zero exit that the "not ok" lines do not explain (a crash, a
# sanitizer or leak report at exit) is passed on, and the driver reports
# it as an ERROR. So is a shell script that could not run part of itself:
# a library that does not parse, or a helper it calls that no longer
# exists, loses those checks without a "not ok" and exits as if all passed;
# the shell's own message ("FILE.sh: N: NAME: not found", "FILE.sh: line N:
# syntax error ...") on stderr makes it an ERROR (exit 99).
set -u
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tap-run.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

# A hung test (a deadlock, a stalled server) must not stall the whole run:
# past the limit it is killed and reported as an ERROR.
limit=${P11TEE_TEST_TIMEOUT:-900}
timeout --kill-after=10 "$limit" "$@" >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/err" >&2
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "tap-run: $* did not finish within $limit s (P11TEE_TEST_TIMEOUT) and was killed" >&2
fi

broken=
if grep -Eq '^[^ ]*\.sh: (line )?[0-9]+: (.*: (command )?not found|.*[Ss]yntax error)' "$tmp/err"; then
    echo "tap-run: the shell could not run part of $* (above): its checks there did not run" >&2
    broken=1
fi

if [ "$rc" -eq 77 ] && [ -z "$broken" ] && ! grep -q '^1\.\.' "$tmp/out"; then
    reason=$(grep -v '^[[:space:]]*$' "$tmp/err" | tail -n 1)
    printf '1..0 # SKIP %s\n' "${reason:-no reason given}"
    exit 0
fi

sed -e 's/^not ok \([0-9][0-9]*\) # SKIP/ok \1 # SKIP/' "$tmp/out"
[ -z "$broken" ] || exit 99
failed=$(grep -c '^not ok' "$tmp/out" | tr -d ' ')
skipped=$(grep -c '^not ok [0-9]* # SKIP' "$tmp/out" | tr -d ' ')
if [ "$rc" -ne 0 ] && [ "$rc" -eq $((failed - skipped)) ]; then
    exit 0
fi
exit "$rc"
