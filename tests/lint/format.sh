#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Every tracked .c and .h is as clang-format (Debian's clang-format, with the
# tree's .clang-format) writes it. A misformatted copy of a source proves
# that the check sees drift. scripts/check.sh runs the same check as a step
# of its own, where a missing clang-format is a failure, not a skip.
. "$top_srcdir/tests/lib/tap.sh"

command -v clang-format >/dev/null 2>&1 ||
    tap_skip_all "clang-format is not installed (Debian package clang-format)"
command -v git >/dev/null 2>&1 || tap_skip_all "git is not installed"
tap_tmpdir
git -C "$top_srcdir" ls-files '*.c' '*.h' >"$TAP_TMP/files" 2>/dev/null &&
    [ -s "$TAP_TMP/files" ] || tap_skip_all "not a git checkout: no tracked files to check"
echo "# $(clang-format --version)"

if (cd "$top_srcdir" && xargs clang-format --dry-run --Werror <"$TAP_TMP/files") \
    >"$TAP_TMP/tree.out" 2>&1; then
    tap_ok "every tracked .c and .h ($(wc -l <"$TAP_TMP/files") files) is clang-formatted"
else
    tap_fail "every tracked .c and .h ($(wc -l <"$TAP_TMP/files") files) is clang-formatted" \
        "$(grep -E '^[^ ]+:[0-9]+:[0-9]+: error' "$TAP_TMP/tree.out" | head -n 40)
fix: clang-format -i FILE..."
fi

# The same check on a copy of a tracked file with one line badly indented:
# it must fail and name that line (clang-format points at the whitespace
# before it, which starts at the end of the line above).
mkdir "$TAP_TMP/drift"
cp "$top_srcdir/.clang-format" "$TAP_TMP/drift/.clang-format"
awk '/^    return / && !done { sub(/^    /, "  "); done = 1 } { print }' \
    "$top_srcdir/src/common/buf.c" >"$TAP_TMP/drift/buf.c"
line=$(grep -n '^  return ' "$TAP_TMP/drift/buf.c" | head -n 1 | cut -d: -f1)
if (cd "$TAP_TMP/drift" && clang-format --dry-run --Werror buf.c) >"$TAP_TMP/drift.out" 2>&1; then
    tap_fail "a source indented by 2 instead of 4 fails the check" "clang-format accepted it"
else
    tap_check "a source indented by 2 instead of 4 fails the check, naming its line" \
        grep -qE "^buf.c:($((line - 1))|$line):[0-9]+: error" "$TAP_TMP/drift.out"
fi
tap_done
