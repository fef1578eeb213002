# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# What the checks over tracked files share (sizes.sh, syntax.sh):
#   lint_tracked              $TAP_TMP/tracked: the tracked files, one per line
#                             (skips the test without git or a git checkout)
#   lint_report OUT KIND DESC one TAP result: the lines "KIND: ..." of OUT, or ok
. "$top_srcdir/tests/lib/tap.sh"

lint_tracked() {
    command -v git >/dev/null 2>&1 || tap_skip_all "git is not installed"
    tap_tmpdir
    git -C "$top_srcdir" ls-files >"$TAP_TMP/tracked" 2>/dev/null && [ -s "$TAP_TMP/tracked" ] ||
        tap_skip_all "not a git checkout: no tracked files to check"
}

lint_report() {
    lint__found=$(grep "^$2: " "$1" | sed "s/^$2: //")
    if [ -z "$lint__found" ]; then
        tap_ok "$3"
    else
        tap_fail "$3" "$lint__found"
    fi
}
