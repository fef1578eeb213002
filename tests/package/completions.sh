#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The bash and zsh completions offer exactly what `p11tee --help` and
# `p11tee COMMAND [SUBCOMMAND] --help` list: every command and subcommand,
# every option of each (global options after a command too, all but
# --version), and they know which options take an argument (no option is
# offered where an argument is due). Both shells' real completion code
# runs: bash calls _p11tee, zsh completes on a pseudo-terminal
# (tests/package/zcomplete.zsh). An option added to the CLI fails this
# test until completions/p11tee and completions/_p11tee list it.
. "${top_srcdir:?run through make check}/tests/lib/tap.sh"

p11tee="${top_builddir:?}/p11tee"
[ -x "$p11tee" ] || tap_skip_all "$p11tee is not built"
tap_tmpdir
t=$TAP_TMP
# File completion looks here: a file, a directory, nothing that starts with '-'.
mkdir "$t/cwd" "$t/cwd/adir" && : >"$t/cwd/afile"
cd "$t/cwd" || exit 99

# Commands listed under "Commands:" in a help text, one a line.
help_commands() {
    awk '/^Commands:$/ { on = 1; next } on && /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }'
}

# Options defined in a help text: "NAME 1" when NAME takes an argument
# (an upper-case word after it, "--save-exchange DIR"), else "NAME 0".
# Option lines start with 2-4 spaces and a dash; wrapped text is deeper.
help_options() {
    awk '/^  -[A-Za-z0-9-]/ || /^   -[A-Za-z0-9-]/ || /^    -[A-Za-z0-9-]/ {
        line = $0
        sub(/^ +/, "", line)
        n = 0
        while (match(line, /^--?[A-Za-z0-9][A-Za-z0-9-]*/)) {
            names[++n] = substr(line, 1, RLENGTH)
            line = substr(line, RLENGTH + 1)
            if (substr(line, 1, 2) != ", ") break
            line = substr(line, 3)
        }
        arg = (line ~ /^[ =][A-Z]/) ? 1 : 0
        for (i = 1; i <= n; i++) print names[i], arg
    }'
}

# Walk the commands: $t/paths gets each command path ("" is the top, then
# "chat", "token check", ...); $t/opts.N the options valid there, $t/cmds.N
# the subcommands there.
"$p11tee" --help >"$t/help.0" 2>&1 || tap_fail "p11tee --help exits 0" "$(cat "$t/help.0")"
help_options <"$t/help.0" >"$t/global"
grep -v '^--version ' "$t/global" >"$t/global-after"
[ -s "$t/global" ] || tap_fail "p11tee --help lists global options" "$(cat "$t/help.0")"
help_commands <"$t/help.0" >"$t/cmds.0"
[ -s "$t/cmds.0" ] || tap_fail "p11tee --help lists commands" "$(cat "$t/help.0")"
cp "$t/global" "$t/opts.0"
printf '\n' >"$t/paths"
n=0
walk() { # walk PATH-WORDS FILE-ID: the subcommands listed in cmds.ID
    while read -r c; do
        n=$((n + 1))
        path="${1:+$1 }$c"
        # shellcheck disable=SC2086 # the path's words are separate arguments
        if ! "$p11tee" $path --help >"$t/help.$n" 2>&1; then
            tap_fail "p11tee $path --help exits 0" "$(cat "$t/help.$n")"
        fi
        printf '%s\n' "$path" >>"$t/paths"
        { help_options <"$t/help.$n" && cat "$t/global-after"; } | sort -u >"$t/opts.$n"
        help_commands <"$t/help.$n" >"$t/cmds.$n"
        [ -s "$t/cmds.$n" ] && walk "$path" "$n"
    done <"$t/cmds.$2"
}
walk "" 0
echo "# $(wc -l <"$t/paths" | tr -d ' ') command paths, $(cat "$t"/opts.* | wc -l | tr -d ' ') options in the help texts"

# The queries: per path, its options ("P -"), its subcommands ("P "), and
# for each option O what follows it ("P O -").
i=0
while IFS= read -r path; do
    p="p11tee${path:+ $path}"
    printf '%s -\n' "$p"
    [ -s "$t/cmds.$i" ] && printf '%s \n' "$p"
    while read -r o _; do
        case $o in -h | --help | --version) continue ;; esac
        printf '%s %s -\n' "$p" "$o"
    done <"$t/opts.$i"
    i=$((i + 1))
done <"$t/paths" >"$t/queries"
printf '%s\n' "p11tee models --type " "p11tee chat --policy " "p11tee chat --save-exchange " \
    "p11tee signature --attestation " >>"$t/queries"

# bash: the completion function itself, COMP_WORDS as bash would split them.
bash -c '
    . "$1" || exit 1
    while IFS= read -r line; do
        read -ra COMP_WORDS <<<"$line"
        case $line in *" ") COMP_WORDS+=("") ;; esac
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        _p11tee
        printf "#LINE %s\n" "$line"
        [ ${#COMPREPLY[@]} -gt 0 ] && printf "%s\n" "${COMPREPLY[@]}"
    done' bash "$top_srcdir/completions/p11tee" <"$t/queries" >"$t/out.bash" 2>"$t/err.bash"
bash_rc=$?

zsh_skip=""
if ! command -v zsh >/dev/null 2>&1; then
    zsh_skip="zsh not installed (Debian package zsh)"
else
    zsh -f "$top_srcdir/tests/package/zcomplete.zsh" "$top_srcdir/completions" "$t/out.zsh" \
        <"$t/queries" 2>"$t/err.zsh"
    zsh_rc=$?
    [ "$zsh_rc" -eq 77 ] && zsh_skip=$(tail -n 1 "$t/err.zsh")
fi

# matches SHELL LINE: the matches SHELL offered for LINE, sorted, one a line.
matches() {
    awk -v want="#LINE $2" '
        /^#LINE / { on = ($0 == want); next }
        /^#DONE$/ { on = 0; next }
        on && NF { sub(/^ +/, ""); sub(/ +$/, ""); print }' "$t/out.$1" | sort -u
}

# same SHELL LINE EXPECTED-FILE DESC: the matches are exactly EXPECTED-FILE.
same() {
    matches "$1" "$2" >"$t/got"
    sort -u "$3" >"$t/want"
    if cmp -s "$t/got" "$t/want"; then
        tap_ok "$1: $4"
    else
        tap_fail "$1: $4" "$(printf 'missing: %s\nnot in --help: %s\n' \
            "$(comm -13 "$t/got" "$t/want" | tr '\n' ' ')" \
            "$(comm -23 "$t/got" "$t/want" | tr '\n' ' ')")"
    fi
}

for sh in bash zsh; do
    if [ $sh = zsh ] && [ -n "$zsh_skip" ]; then
        tap_skip "zsh: completions follow --help" "$zsh_skip"
        continue
    fi
    if [ $sh = bash ]; then rc=$bash_rc; else rc=$zsh_rc; fi
    if [ "$rc" -ne 0 ]; then
        tap_fail "$sh: the completion ran for every query" "$(cat "$t/err.$sh")"
        continue
    fi
    i=0
    while IFS= read -r path; do
        p="p11tee${path:+ $path}"
        cut -d' ' -f1 "$t/opts.$i" >"$t/names"
        same $sh "$p -" "$t/names" "'$p -' offers exactly the options of '$p --help'"
        if [ -s "$t/cmds.$i" ]; then
            same $sh "$p " "$t/cmds.$i" "'$p ' offers exactly the commands of '$p --help'"
        fi
        # After an option that takes an argument, no option may be offered;
        # after one that takes none, options again.
        wrong=""
        while read -r o arg; do
            case $o in -h | --help | --version) continue ;; esac
            if [ "$arg" = 1 ]; then
                matches $sh "$p $o -" | grep -q '^-' && wrong="$wrong $o(takes an argument)"
            else
                matches $sh "$p $o -" | grep -q '^-' || wrong="$wrong $o(takes none)"
            fi
        done <"$t/opts.$i"
        if [ -z "$wrong" ]; then
            tap_ok "$sh: '$p' options that take an argument, and those that do not, as --help says"
        else
            tap_fail "$sh: '$p' options that take an argument, and those that do not, as --help says" \
                "wrong after:$wrong"
        fi
        i=$((i + 1))
    done <"$t/paths"
done

# Values and file kinds: model types, files for a file, directories for a
# directory (the temp dir holds afile and adir/).
for sh in bash zsh; do
    [ $sh = zsh ] && [ -n "$zsh_skip" ] && continue
    printf '%s\n' text image embedding tts asr upscale inpaint video all >"$t/want.type"
    same $sh "p11tee models --type " "$t/want.type" "--type completes the model types"
    printf '%s\n' adir afile default strict strict-with-collateral >"$t/want.policy"
    same $sh "p11tee chat --policy " "$t/want.policy" "--policy completes the presets and file names"
    printf '%s\n' adir afile >"$t/want.files"
    same $sh "p11tee signature --attestation " "$t/want.files" "--attestation completes file names"
    printf '%s\n' adir >"$t/want.dirs"
    same $sh "p11tee chat --save-exchange " "$t/want.dirs" "--save-exchange completes directories only"
done
tap_done
