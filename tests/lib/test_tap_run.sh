#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The TAP adapter (tests/lib/tap-run.sh) on small scripts: a script whose
# library does not parse, or that calls a helper no longer defined, is an
# ERROR (exit 99), with what results it gave, although bash lets the script
# go on and exit 0; a script whose failures its "not ok" lines explain exits 0; a
# clean one exits 0; a script that cannot run (77) is one SKIP.
. "$top_srcdir/tests/lib/tap.sh"

tap_tmpdir
T=$TAP_TMP
printf '%s\n' 'ok_helper() { echo "ok 1 - before the break"; }' 'broken() {' '    :' \
    'late_helper() { echo "ok 2 - after the break"; }' >"$T/lib.sh"
printf '%s\n' ". $T/lib.sh" 'ok_helper' 'late_helper' 'echo 1..2' 'exit 0' >"$T/sources-broken.sh"
printf '%s\n' 'echo "ok 1 - one"' 'a_helper_that_is_gone "x"' 'echo 1..1' 'exit 0' >"$T/calls-gone.sh"
printf '%s\n' 'echo "ok 1 - one"' 'echo "not ok 2 - two"' 'echo 1..2' 'exit 1' >"$T/one-failure.sh"
printf '%s\n' 'echo "ok 1 - one"' 'echo 1..1' 'exit 0' >"$T/clean.sh"
printf '%s\n' 'echo "the tool is not installed" >&2' 'exit 77' >"$T/skips.sh"

# run NAME: tap-run.sh with the shell the tests run with; "EXIT|stdout lines".
run() {
    sh "$top_srcdir/tests/lib/tap-run.sh" "${SHELL_UNDER_TEST:-sh}" "$T/$1" >"$T/$1.out" 2>"$T/$1.err"
    echo "$?|$(tr '\n' '|' <"$T/$1.out")"
}
for sh_ in sh bash; do
    SHELL_UNDER_TEST=$sh_
    got=$(run sources-broken.sh)
    # dash stops at the break; bash runs on without the helpers after it.
    case $got in
    "99|" | "99|ok 1 - before the break|"*) tap_ok "$sh_: a library that does not parse is an ERROR" ;;
    *) tap_fail "$sh_: a library that does not parse is an ERROR" "$got; $(cat "$T/sources-broken.sh.err")" ;;
    esac
    got=$(run calls-gone.sh)
    case $got in
    "99|ok 1 - one|1..1|") tap_ok "$sh_: a call of a helper that is gone is an ERROR" ;;
    *) tap_fail "$sh_: a call of a helper that is gone is an ERROR" "$got; $(cat "$T/calls-gone.sh.err")" ;;
    esac
    tap_check "$sh_: failures the \"not ok\" lines explain: exit 0" [ "$(run one-failure.sh)" = "0|ok 1 - one|not ok 2 - two|1..2|" ]
    tap_check "$sh_: a clean script: exit 0" [ "$(run clean.sh)" = "0|ok 1 - one|1..1|" ]
    tap_check "$sh_: exit 77: one SKIP with the reason" \
        [ "$(run skips.sh)" = "0|1..0 # SKIP the tool is not installed|" ]
done
tap_done
