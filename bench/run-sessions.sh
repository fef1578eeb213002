#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# make bench: ECDH through the provider's session pool with 1, 2 and 4
# threads at once (each derive takes its own session from the pool), on
# SoftHSM loaded directly, through p11-kit-proxy.so, and with the token in
# another process (p11-kit-client.so + `p11-kit server` on a unix socket):
# the cost of the token's process boundary in microseconds per derive.
# p11-kit passes ECDH parameters between client and server from 0.25 on;
# with an older p11-kit (Debian 12: 0.24.1) the client row measures key
# generation instead, the nearest operation that crosses the boundary, and
# says so. Prints the machine and a Markdown table (median of BENCH_REPEAT
# rounds of BENCH_SECONDS per row) for docs/PERFORMANCE.md.
set -eu
: "${top_srcdir:?run through make bench}" "${top_builddir:?run through make bench}"
[ -n "${SOFTHSM_MODULE:-}" ] || { echo "run-sessions: SoftHSMv2 not found" >&2; exit 1; }
bin="$top_builddir/bench/bench_provider"
secs=${BENCH_SECONDS:-2}
repeat=${BENCH_REPEAT:-3}
TAP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/p11tee-bench.XXXXXX")
. "$top_srcdir/tests/lib/p11kit.sh"
trap 'p11kit_server_stop; rm -rf "$TAP_TMP"' EXIT INT TERM

"$top_srcdir/tests/lib/mktoken.sh" "$TAP_TMP/tok" p11tee-bench 1234 5678
export SOFTHSM2_CONF="$TAP_TMP/tok/softhsm2.conf" BENCH_LABEL=p11tee-bench BENCH_PIN=1234 \
    BENCH_TOKEN="pkcs11:token=p11tee-bench?pin-value=1234"

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "software: $(openssl version | cut -d' ' -f1-2), $(dpkg-query -W -f='softhsm2 ${Version}, p11-kit ' softhsm2 2>/dev/null)${P11KIT_VERSION:-?}"
echo "run: median of ${repeat} rounds x ${secs} s per row; secp256k1"
echo

# row PATH MODE THREADS: one table row, the median round by ops/s.
row() {
    : >"$TAP_TMP/runs"
    i=0
    while [ $i -lt "$repeat" ]; do
        "$bin" "$2" "$3" "$secs" >>"$TAP_TMP/runs"
        i=$((i + 1))
    done
    sort -n -k4 "$TAP_TMP/runs" | awk -v m="$repeat" -v p="$1" 'NR == int((m + 1) / 2) {
        op = $1 ~ /derive/ ? "derive" : "keygen"
        printf "| %s | %s | %d | %d | %.0f | %.0f |\n", p, op, $2, $4, $5, $6 }'
}

echo "| path | operation | sessions | ops/s | us per op (wall, each session) | client CPU us per op |"
echo "|---|---|---:|---:|---:|---:|"
for t in 1 2 4; do
    BENCH_MODULE=$SOFTHSM_MODULE row "SoftHSM, loaded directly" hsm-derive $t
done
if [ -r "${P11KIT_PROXY_MODULE:-}" ]; then
    for t in 1 2 4; do
        BENCH_MODULE=$P11KIT_PROXY_MODULE row "p11-kit-proxy.so" hsm-derive $t
    done
fi
if [ -n "${P11KIT:-}" ] && [ -r "$P11KIT_CLIENT_MODULE" ] && p11kit_server_start p11tee-bench; then
    if [ "${P11KIT_CARRIES_ECDH:-0}" = 1 ]; then cmode=hsm-derive; else cmode=hsm-keygen; fi
    for t in 1 2 4; do
        BENCH_MODULE=$P11KIT_CLIENT_MODULE row "p11-kit-client.so + p11-kit server" $cmode $t
    done
    if [ "$cmode" = hsm-keygen ]; then
        for t in 1 2 4; do
            BENCH_MODULE=$SOFTHSM_MODULE row "SoftHSM, loaded directly" hsm-keygen $t
        done
        echo
        echo "p11-kit ${P11KIT_VERSION:-?} cannot carry CKM_ECDH1_DERIVE between p11-kit-client and"
        echo "p11-kit server (0.25 can): the client rows time key generation, compared with the same"
        echo "operation on SoftHSM loaded directly."
    fi
    p11kit_server_stop
fi
