#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Every tracked script parses with the interpreter that runs it. A shell
# library with an unclosed function is not an error to the script that sources
# it: the shell runs what it parsed, the rest (the helpers defined after the
# break) is "not found" at each call, and a test built on them loses those
# checks without a failure. So the parse is checked here, for every file:
#   *.sh, #!/bin/sh, .ci/run's bash...  sh -n, or bash -n for a bash #! line
#   completions/p11tee                  bash -n (the bash completion)
#   *.zsh, completions/_p11tee          zsh -n, where zsh is installed
#   *.py, a python #! line              python3's compile(), no bytecode written
#   *.js, *.cjs, *.mjs                  node --check, where node is installed
# Each finding names the file and the interpreter's message; a synthetic tree
# with one broken file of each kind proves that the checker sees them.
. "$top_srcdir/tests/lint/lib.sh"

PY=${PYTHON3:-/usr/bin/python3}
lint_tracked

# kind FILE: the interpreter that parses FILE (sh, bash, zsh, python, node), or nothing.
kind() {
    case $1 in
    completions/p11tee | *.bash) echo bash; return ;;
    completions/_p11tee | *.zsh) echo zsh; return ;;
    *.py) echo python; return ;;
    *.js | *.cjs | *.mjs) echo node; return ;;
    esac
    first=
    IFS= read -r first <"$1" 2>/dev/null || true
    case $first in
    '#!'*bash*) echo bash ;;
    '#!'*python*) echo python ;;
    '#!'*node*) echo node ;;
    '#!'*/sh | '#!'*/sh' '*) echo sh ;;
    '#!'*) ;;
    *) case $1 in *.sh) echo sh ;; esac ;;
    esac
}

# parse KIND FILE: the interpreter's own syntax check; its message on stdout.
parse() {
    case $1 in
    sh) sh -n "$2" 2>&1 ;;
    bash) bash -n "$2" 2>&1 ;;
    zsh) zsh -n "$2" 2>&1 ;;
    python) "$PY" -c 'import sys
try:
    compile(open(sys.argv[1], "rb").read(), sys.argv[1], "exec")
except (SyntaxError, ValueError) as e:
    print(e)
    sys.exit(1)' "$2" ;;
    node) parse__out=$(node --check "$2" 2>&1) || {
        printf '%s\n' "$parse__out" | grep -m 1 'Error' || printf '%s\n' "$parse__out" | head -n 1
        return 1
    } ;;
    esac
}

# check DIR LIST OUT: one line "KIND: FILE: MESSAGE" in OUT for each file of LIST
# (relative to DIR) that does not parse; KIND is the interpreter.
check() {
    (
        cd "$1" || exit 99
        while IFS= read -r f; do
            [ -f "$f" ] || continue
            k=$(kind "$f")
            [ -n "$k" ] || continue
            case $k in zsh | node) command -v "$k" >/dev/null 2>&1 || continue ;; esac
            if ! msg=$(parse "$k" "$f"); then
                msg=${msg#"$f: "}
                echo "$k: $f: $(printf '%s' "$msg" | tr '\n' ' ' | cut -c1-200)"
            fi
        done <"$2"
    ) >"$3"
}

# report OUT KIND DESC: lint_report, or a skip when the interpreter is not installed.
report() {
    if [ "$2" = zsh ] || [ "$2" = node ]; then
        command -v "$2" >/dev/null 2>&1 || { tap_skip "$3" "$2 is not installed"; return; }
    fi
    lint_report "$@"
}

check "$top_srcdir" "$TAP_TMP/tracked" "$TAP_TMP/found" || exit 99
report "$TAP_TMP/found" sh "every tracked POSIX shell script and library parses (sh -n)"
report "$TAP_TMP/found" bash "every tracked bash script parses (bash -n)"
report "$TAP_TMP/found" zsh "every tracked zsh script parses (zsh -n)"
report "$TAP_TMP/found" python "every tracked Python file compiles"
report "$TAP_TMP/found" node "every tracked JavaScript file parses (node --check)"

# The checker against a synthetic tree: one broken file of each kind is named,
# good ones and files of no interpreter are not.
T=$TAP_TMP/tree
mkdir -p "$T/tests" "$T/ci" "$T/docs"
printf 'good() {\n    :\n}\nbroken() {\n    x=1\n# no closing brace\n' >"$T/tests/lib.sh"
printf '#!/bin/sh\necho fine\n' >"$T/tests/fine.sh"
printf '#!/usr/bin/env bash\nif true; then\n' >"$T/ci/run"
printf 'def f(:\n' >"$T/tests/bad.py"
printf 'const = ;\n' >"$T/tests/bad.cjs"
printf 'f() {\n' >"$T/tests/bad.zsh"
printf 'if then fi {\n' >"$T/docs/notes.md"
(cd "$T" && find . -type f | sed 's|^\./||' | sort) >"$TAP_TMP/tree.list"
check "$T" "$TAP_TMP/tree.list" "$TAP_TMP/tree.found" || exit 99
{
    echo "bash: ci/run"
    command -v node >/dev/null 2>&1 && echo "node: tests/bad.cjs"
    echo "python: tests/bad.py"
    echo "sh: tests/lib.sh"
    command -v zsh >/dev/null 2>&1 && echo "zsh: tests/bad.zsh"
} >"$TAP_TMP/tree.want"
sed 's/^\([a-z]*: [^:]*\):.*/\1/' "$TAP_TMP/tree.found" | LC_ALL=C sort >"$TAP_TMP/tree.sorted"
if cmp -s "$TAP_TMP/tree.want" "$TAP_TMP/tree.sorted"; then
    tap_ok "the checker names each file that does not parse, with its interpreter"
else
    tap_fail "the checker names each file that does not parse, with its interpreter" \
        "$(diff "$TAP_TMP/tree.want" "$TAP_TMP/tree.sorted"; cat "$TAP_TMP/tree.found")"
fi
grep -q '^sh: tests/lib.sh: .*[0-9]' "$TAP_TMP/tree.found" &&
    tap_ok "... with the interpreter's message (a library's unclosed function)" ||
    tap_fail "... with the interpreter's message (a library's unclosed function)" "$(cat "$TAP_TMP/tree.found")"
tap_done
