#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The official OpenAI Node SDK (npm package "openai") against p11tee serve in
# front of the reference server: an application works unchanged. The package
# is installed by this test into the build tree (never into the sources);
# without a registry to install from, the test is skipped.
. "$top_srcdir/tests/serve/lib.sh"

OPENAI_VERSION=6
command -v node >/dev/null 2>&1 || { tap_tmpdir; tap_skip_all "node not found (install the Debian package nodejs)"; }
command -v npm >/dev/null 2>&1 || { tap_tmpdir; tap_skip_all "npm not found (install the Debian package npm)"; }
npm_dir=$top_builddir/tests/serve/npm
if [ ! -f "$npm_dir/node_modules/openai/package.json" ]; then
    mkdir -p "$npm_dir"
    if ! timeout 180 npm install --prefix "$npm_dir" --no-audit --no-fund --no-save \
        --loglevel=error "openai@$OPENAI_VERSION" >"$npm_dir/install.log" 2>&1; then
        tap_tmpdir
        tap_skip_all "npm could not install openai@$OPENAI_VERSION (no registry?): $(tail -n 1 "$npm_dir/install.log")"
    fi
fi

sv_setup
sv_start gw || exit 99
sv_ready || { tap_fail "the gateway became ready" "$(cat "$SV_LOG")"; tap_done; }

ANSWER_HELLO=$(it_answer 'sdk hello') ANSWER_STREAM=$(it_answer 'sdk stream') \
ANSWER_AGAIN=$(it_answer 'again') ANSWER_TAMPERED=$(it_answer 'sdk tampered') \
ANSWER_THINK=$(it_answer 'sdk think') OPENAI_MODULE=$npm_dir/node_modules/openai \
    SV_URL=$SV_URL E2EE_MODEL=$E2EE_MODEL THINK_MODEL=$THINK_MODEL \
    node "$top_srcdir/tests/serve/openai_sdk.cjs"
