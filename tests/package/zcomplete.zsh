# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# zsh -f zcomplete.zsh FPATH-DIR OUT < LINES
# Complete each line of stdin (a command line, completed at its end) with
# zsh's real completion system in an interactive zsh on a pseudo-terminal,
# FPATH-DIR first in $fpath. OUT gets, per input line, a line "#LINE text"
# and then the matches offered, one a line. Exits 1 when a completion did
# not finish within 30 s.
zmodload zsh/zpty || { print -u2 "zsh/zpty module missing"; exit 77 }
dir=$1 out=$2
: >$out
zpty z zsh -f -i
zpty -w z "PS1='> '; unsetopt auto_list list_beep beep; LISTMAX=100000; fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D -d /dev/null"
# Every real compadd also records what it added; calls that only fill an
# array (-O, -A, -D: _describe, _arguments internals) pass straight through.
zpty -w z 'compadd() {
  if (( ${@[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi
  local -a __m; builtin compadd -O __m "$@"; print -rl -- $__m >>'${(q)out}'; builtin compadd "$@"; }'
zpty -w z '_zc_done() { print -r -- "#DONE" >>'${(q)out}'; }'
zpty -w z 'bindkey -e; zc-complete() { comppostfuncs=(_zc_done); zle complete-word; }; zle -N zc-complete; bindkey "^T" zc-complete'
# compinit may take long on a busy machine: wait until the shell has read the above.
zpty -w z 'print -r -- "#READY" >>'${(q)out}
for i in {1..600}; do
  grep -q '^#READY' $out && break
  sleep 0.1
done
rc=0
while IFS= read -r line; do
  print -r -- "#LINE $line" >>$out
  n=$(grep -c '^#DONE' $out)
  # ^U clears what the previous completion left on the line, ^T completes.
  zpty -w -n z $'\x15'"$line"$'\x14'
  for i in {1..300}; do
    (( $(grep -c '^#DONE' $out) > n )) && break
    sleep 0.1
  done
  (( $(grep -c '^#DONE' $out) > n )) || { print -u2 "no completion for: $line"; rc=1; break }
  # Drain what the shell wrote to the terminal, so that it never blocks on a full pty.
  while zpty -r -t z __junk; do :; done
done
zpty -d z
exit $rc
