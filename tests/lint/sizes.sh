#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# File sizes (docs/DESIGN.md, "Build and tests"): every tracked C file at
# most 600 lines, every header at most 350, every script at most 600. A script
# is a *.sh, *.py, *.js, *.cjs, *.mjs, *.awk, *.zsh or *.bash file, or any
# other file whose first line starts with "#!". Docs, data, vectors and build
# fragments are out of scope. There is no list of exceptions: a file over its
# limit is split. Each finding names the file, its line count and the limit;
# a synthetic tree with one file over each limit (and files at the limits)
# proves that the checker sees them. Without git (an unpacked release
# tarball) there is no list of tracked files to check.
. "$top_srcdir/tests/lint/lib.sh"

C_LIMIT=600
H_LIMIT=350
SCRIPT_LIMIT=600

lint_tracked

# check DIR LIST OUT: for each file of LIST (relative to DIR) over its limit,
# one line "KIND: FILE: N lines, over the limit of L" in OUT, where KIND is
# c, header or script. Lines are counted as awk counts them: a last line
# without its newline counts.
check() {
    (
        cd "$1" || exit 99
        while IFS= read -r f; do
            [ -f "$f" ] || continue
            case $f in
            *.c) kind=c limit=$C_LIMIT ;;
            *.h) kind=header limit=$H_LIMIT ;;
            *.sh | *.py | *.js | *.cjs | *.mjs | *.awk | *.zsh | *.bash)
                kind=script limit=$SCRIPT_LIMIT ;;
            *)
                first=
                IFS= read -r first <"$f" || true
                case $first in
                '#!'*) kind=script limit=$SCRIPT_LIMIT ;;
                *) continue ;;
                esac
                ;;
            esac
            n=$(${AWK:-awk} 'END { print NR }' "$f")
            [ "$n" -le "$limit" ] || echo "$kind: $f: $n lines, over the limit of $limit"
        done <"$2"
    ) >"$3"
}

check "$top_srcdir" "$TAP_TMP/tracked" "$TAP_TMP/found" || exit 99
lint_report "$TAP_TMP/found" c "every tracked C file is at most $C_LIMIT lines"
lint_report "$TAP_TMP/found" header "every tracked header is at most $H_LIMIT lines"
lint_report "$TAP_TMP/found" script "every tracked script is at most $SCRIPT_LIMIT lines"

# The checker against a synthetic tree: each file over a limit is named with
# its count and the limit; files at a limit and docs or data of any length are not.
lines() { ${AWK:-awk} -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) print "x" }'; }
mkdir -p "$TAP_TMP/tree/src" "$TAP_TMP/tree/ci" "$TAP_TMP/tree/docs"
lines 601 >"$TAP_TMP/tree/src/big.c"
lines 600 >"$TAP_TMP/tree/src/at_limit.c"
lines 351 >"$TAP_TMP/tree/src/big.h"
lines 350 >"$TAP_TMP/tree/src/at_limit.h"
lines 601 >"$TAP_TMP/tree/src/big.py"
{ echo '#!/bin/sh'; lines 600; } >"$TAP_TMP/tree/ci/run"
{ lines 600; printf 'no newline'; } >"$TAP_TMP/tree/src/unterminated.awk"
lines 2000 >"$TAP_TMP/tree/docs/long.md"
lines 2000 >"$TAP_TMP/tree/src/vector.json"
(cd "$TAP_TMP/tree" && find . -type f | sed 's|^\./||' | sort) >"$TAP_TMP/tree.list"
check "$TAP_TMP/tree" "$TAP_TMP/tree.list" "$TAP_TMP/tree.found" || exit 99
cat >"$TAP_TMP/tree.want" <<EOF
c: src/big.c: 601 lines, over the limit of $C_LIMIT
header: src/big.h: 351 lines, over the limit of $H_LIMIT
script: ci/run: 601 lines, over the limit of $SCRIPT_LIMIT
script: src/big.py: 601 lines, over the limit of $SCRIPT_LIMIT
script: src/unterminated.awk: 601 lines, over the limit of $SCRIPT_LIMIT
EOF
LC_ALL=C sort "$TAP_TMP/tree.found" >"$TAP_TMP/tree.sorted"
if cmp -s "$TAP_TMP/tree.want" "$TAP_TMP/tree.sorted"; then
    tap_ok "the checker names each file over its limit (C, header, script, #! script) with count and limit"
else
    tap_fail "the checker names each file over its limit (C, header, script, #! script) with count and limit" \
        "$(diff "$TAP_TMP/tree.want" "$TAP_TMP/tree.sorted")"
fi
tap_done
