#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Every tracked source, script and build file names its license and its
# copyright holder in its first lines. Documentation (*.md), the license
# itself and files that cannot hold a comment are exempt, by name below.
# Without git (an unpacked release tarball) there is nothing to check.
. "$top_srcdir/tests/lib/tap.sh"

command -v git >/dev/null 2>&1 || tap_skip_all "git is not installed"
files=$(git -C "$top_srcdir" ls-files 2>/dev/null) ||
    tap_skip_all "not a git checkout: no tracked files to check"
[ -n "$files" ] || tap_skip_all "not a git checkout: no tracked files to check"

exempt() {
    case $1 in
    *.md | LICENSE | .gitignore | m4/.keep | *.json | *.pem | *.der | *.hex | *.bin) return 0 ;;
    esac
    return 1
}

missing=""
for f in $files; do
    exempt "$f" && continue
    [ -f "$top_srcdir/$f" ] || continue
    head -n 5 "$top_srcdir/$f" >"${TMPDIR:-/tmp}/license.$$"
    if ! grep -q 'SPDX-License-Identifier: Apache-2.0' "${TMPDIR:-/tmp}/license.$$" ||
        ! grep -q 'Copyright (C) [0-9][0-9-]* The p11tee authors' "${TMPDIR:-/tmp}/license.$$"; then
        missing="$missing $f"
    fi
done
rm -f "${TMPDIR:-/tmp}/license.$$"

if [ -z "$missing" ]; then
    tap_ok "every tracked source, script and build file carries the SPDX and copyright lines"
else
    tap_fail "files without the SPDX-License-Identifier and copyright lines in their first 5 lines" \
        "$(printf '%s\n' $missing)"
fi
tap_check "LICENSE is the Apache License 2.0" grep -q 'Apache License' "$top_srcdir/LICENSE"
tap_done
