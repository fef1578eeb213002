#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# make bench: a long E2EE stream from the reference server, decrypted by
# `p11tee chat` through a throwaway SoftHSM token.
#   - wall time and client CPU (user+sys, getrusage via /usr/bin/time) for
#     BENCH_CHUNKS (default 5000) chunks, best of 3;
#   - the share of the client's work spent in the token: callgrind counts the
#     instructions of the whole client and, inclusive, of every call into the
#     PKCS#11 module (C_*); the marginal cost per chunk is the difference
#     between a run of CG_LONG and one of CG_SHORT chunks divided by the
#     difference in chunks, so start-up (TLS, attestation, login) cancels out.
# Results go to stdout as a Markdown table (docs/PERFORMANCE.md keeps them).
set -eu
: "${top_srcdir:?run through make bench}" "${top_builddir:?run through make bench}"
. "$top_srcdir/tests/integration/lib.sh" # it_setup: token, server, policy, environment
CHUNKS=${BENCH_CHUNKS:-5000}
CG_SHORT=${BENCH_CG_SHORT:-200}
CG_LONG=${BENCH_CG_LONG:-1200}
MODEL=$E2EE_MODEL

REFSERVER_LIFETIME=3600 it_setup --chunks "$CHUNKS"
p11tee="$top_builddir/p11tee"
"$p11tee" --policy "$IT_POLICY" chat -m "$MODEL" "benchmark prompt" >/dev/null 2>&1 # warm up
best_wall=999999 best_cpu=0
for run in 1 2 3; do
    /usr/bin/time -f '%e %U %S' -o "$TAP_TMP/time" sh -c \
        "\"$p11tee\" --policy \"$IT_POLICY\" chat -m $MODEL 'benchmark prompt' >/dev/null 2>&1"
    read -r wall user sys <"$TAP_TMP/time"
    if awk -v w="$wall" -v b="$best_wall" 'BEGIN { exit !(w < b) }'; then
        best_wall=$wall
        best_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
    fi
done

# callgrind: instructions of the client, and inclusive of the module's C_* calls.
cg_run() {
    refserver_control "{\"chunks\": $1}" >/dev/null
    "$top_builddir/libtool" --mode=execute valgrind --tool=callgrind \
        --callgrind-out-file="$TAP_TMP/cg.$1" "$p11tee" --policy "$IT_POLICY" \
        chat -m "$MODEL" "benchmark prompt" >/dev/null 2>"$TAP_TMP/cg.$1.log"
    callgrind_annotate --inclusive=yes --threshold=100 "$TAP_TMP/cg.$1" >"$TAP_TMP/cg.$1.txt"
}
# Total Ir of the program, and the sum of the inclusive Ir of the PKCS#11
# entry points (C_DeriveKey and friends; top-level rows only, not the "=>"
# call-graph lines, which would count nested calls twice).
cg_total() { sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' "$1" | tr -d ','; }
cg_module() {
    grep -E '^ *[0-9,]+ \( *[0-9.]+%\)  [^ ]*:C_[A-Za-z]+ \[.*\]$' "$1" |
        awk '{ gsub(",", "", $1); s += $1 } END { print s + 0 }'
}
cg_run "$CG_SHORT"
cg_run "$CG_LONG"
t_short=$(cg_total "$TAP_TMP/cg.$CG_SHORT.txt")
t_long=$(cg_total "$TAP_TMP/cg.$CG_LONG.txt")
m_short=$(cg_module "$TAP_TMP/cg.$CG_SHORT.txt")
m_long=$(cg_module "$TAP_TMP/cg.$CG_LONG.txt")

awk -v chunks="$CHUNKS" -v wall="$best_wall" -v cpu="$best_cpu" \
    -v ts="$t_short" -v tl="$t_long" -v ms="$m_short" -v ml="$m_long" \
    -v ns="$CG_SHORT" -v nl="$CG_LONG" 'BEGIN {
    n = nl - ns
    token = (ml - ms) / n
    other = ((tl - ts) - (ml - ms)) / n
    printf "| E2EE stream, %d chunks (best of 3) | %.2f s wall, %.0f chunks/s |\n", chunks, wall, chunks / wall
    printf "| client CPU (user+sys) per chunk | %.1f us |\n", cpu / chunks * 1e6
    printf "| per chunk, token (PKCS#11 module calls), callgrind | %.0f instructions |\n", token
    printf "| per chunk, all other client work, callgrind | %.0f instructions |\n", other
    printf "| other client work relative to the token | %.1f%% (target <= 15%%) |\n", 100 * other / token
}'
