# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Shell completions, installed under the names the shells look up: bash
# loads completions/<command>, zsh autoloads _<command> from its $fpath.
# Directories from configure (--with-bash-completion-dir,
# --with-zsh-completion-dir); tests/package/completions.sh keeps them in
# step with `p11tee --help`.
dist_bashcompletion_DATA = completions/p11tee
dist_zshcompletion_DATA = completions/_p11tee
