#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The provider benchmark (make bench): ECDH and key generation through raw
# PKCS#11, the p11tee provider (EVP), the library's hsm_* path and the
# default provider, with 1 and 2 threads, on a throwaway SoftHSM token.
# Prints the machine and Markdown tables for docs/PERFORMANCE.md: the
# median of BENCH_REPEAT rounds of BENCH_SECONDS per row, then the provider's
# cost relative to raw PKCS#11. BENCH_CALLGRIND=1 adds instruction counts
# per derive (valgrind --tool=callgrind), which other load cannot disturb.
set -eu
: "${top_srcdir:?run through make bench}" "${top_builddir:?run through make bench}"
[ -n "${SOFTHSM_MODULE:-}" ] || { echo "run-provider: SoftHSMv2 not found" >&2; exit 1; }
bin="$top_builddir/bench/bench_provider"
secs=${BENCH_SECONDS:-2}
repeat=${BENCH_REPEAT:-5}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/p11tee-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

"$top_srcdir/tests/lib/mktoken.sh" "$tmp/tok" p11tee-bench 1234 5678
umask 077
printf '1234\n' >"$tmp/pin"
export SOFTHSM2_CONF="$tmp/tok/softhsm2.conf" BENCH_MODULE="$SOFTHSM_MODULE" \
    BENCH_LABEL=p11tee-bench BENCH_PIN=1234 \
    BENCH_TOKEN="pkcs11:token=p11tee-bench?pin-source=file:$tmp/pin"

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "software: $(openssl version | cut -d' ' -f1-2), $(dpkg-query -W -f='softhsm2 ${Version}, ' softhsm2 2>/dev/null)p11-kit ${P11KIT_VERSION:-?}"
echo "run: ${repeat} rounds x ${secs} s per row, median by ops/s; secp256k1"
echo
echo "| operation | threads | ops/s | us/op (wall) | us/op (CPU) |"
echo "|---|---:|---:|---:|---:|"
: >"$tmp/medians"
modes="raw-derive evp-derive hsm-derive sw-derive raw-keygen evp-keygen hsm-keygen sw-keygen"
# Round robin: each repeat runs every mode once, so that a burst of other
# load on the machine hits all modes alike rather than one of them.
i=0
while [ $i -lt "$repeat" ]; do
    for mode in $modes; do
        for threads in 1 2; do
            "$bin" $mode $threads "$secs" >>"$tmp/runs.$mode.$threads"
        done
    done
    i=$((i + 1))
done
for mode in $modes; do
    for threads in 1 2; do
        sort -n -k4 "$tmp/runs.$mode.$threads" |
            awk -v m="$repeat" 'NR == int((m + 1) / 2)' >>"$tmp/medians"
        tail -n 1 "$tmp/medians" | awk '{ printf "| %s | %d | %d | %.1f | %.1f |\n", $1, $2, $4, $5, $6 }'
        echo "$mode $threads: $(awk '{ printf "%s ", $4 }' "$tmp/runs.$mode.$threads")ops/s" >>"$tmp/all"
    done
done
echo
echo "provider cost relative to raw PKCS#11 (medians, CPU us/op; target <= 1.10):"
echo
echo "| threads | evp-derive / raw-derive | hsm-derive / raw-derive | evp-keygen / raw-keygen |"
echo "|---:|---:|---:|---:|"
for threads in 1 2; do
    awk -v t=$threads '$2 == t { cpu[$1] = $6 } END {
        printf "| %d | %.3f | %.3f | %.3f |\n", t, cpu["evp-derive"] / cpu["raw-derive"],
            cpu["hsm-derive"] / cpu["raw-derive"], cpu["evp-keygen"] / cpu["raw-keygen"] }' "$tmp/medians"
done
echo
echo "all runs (ops/s):"
cat "$tmp/all"

if [ "${BENCH_CALLGRIND:-0}" = 1 ] && command -v valgrind >/dev/null 2>&1; then
    echo
    echo "instructions per derive (callgrind, 1 thread, the timed loop only):"
    echo
    echo "| operation | derives | instructions/op | relative to raw |"
    echo "|---|---:|---:|---:|"
    raw=""
    for mode in raw-derive evp-derive hsm-derive; do
        valgrind --tool=callgrind --toggle-collect=run_thread --callgrind-out-file="$tmp/cg.out" \
            "$bin" $mode 1 "${BENCH_CALLGRIND_SECONDS:-10}" >"$tmp/cg.txt" 2>"$tmp/cg.err"
        ops=$(awk '{ print $3 }' "$tmp/cg.txt")
        ir=$(sed -n 's/.*Collected : *//p' "$tmp/cg.err")
        per=$((ir / ops))
        [ -n "$raw" ] || raw=$per
        awk -v m=$mode -v o="$ops" -v p=$per -v r="$raw" \
            'BEGIN { printf "| %s | %d | %d | %.4f |\n", m, o, p, p / r }'
    done
fi
