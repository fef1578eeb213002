#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# `make bench`'s gateway benchmark (bench/serve.sh) runs, so that it cannot
# break unseen between measurements: a short run (1 s per level, answers of 30
# pieces, 1 and 4 streams) against the reference server's benchmark mode must
# finish, stream every level without an error (a server that replayed its
# envelopes verbatim would have every chunk refused), match chunks for the
# latency at half load, and print a number for every ratio and for the
# gateway's memory. Timings are not judged here: they belong to
# docs/PERFORMANCE.md.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/refserver.sh"

[ -n "${SOFTHSM_MODULE:-}" ] && [ -r "$SOFTHSM_MODULE" ] ||
    tap_skip_all "SoftHSMv2 module not found (install the Debian package softhsm2)"
tap_tmpdir
BENCH_SECONDS=1 BENCH_LEVELS="1 4" BENCH_CHUNKS=30 TMPDIR=$TAP_TMP \
    sh "$top_srcdir/bench/serve.sh" >"$TAP_TMP/out" 2>"$TAP_TMP/err"
rc=$?
if [ $rc = 0 ]; then tap_ok "bench/serve.sh finishes"; else
    tap_fail "bench/serve.sh finishes" "exit $rc: $(tail -n 5 "$TAP_TMP/err")"; fi
rows() { grep -E "^\| $1 \|" "$TAP_TMP/out"; }
for n in 1 4; do
    row=$(rows "$n")
    case $row in
    "| $n | "*" | 0 / "[1-9]*) tap_ok "$n streams: chunks decrypted, no error" ;;
    *) tap_fail "$n streams: chunks decrypted, no error" "row: ${row:-none}" ;;
    esac
done
for w in 1 2; do
    row=$(grep -E "^\| $w \| [0-9.]+ \| [0-9]+% \| 0 \|$" "$TAP_TMP/out")
    if [ -n "$row" ]; then tap_ok "--workers $w: no error"; else
        tap_fail "--workers $w: no error" "$(grep -E "^\| $w \|" "$TAP_TMP/out")"; fi
done
half=$(sed -n 's/^| through the gateway (E2EE, decrypted in the token) | .* | \([0-9]*\) |$/\1/p' "$TAP_TMP/out")
direct=$(sed -n 's/^| straight from the server (TEE model, no gateway) | .* | \([0-9]*\) |$/\1/p' "$TAP_TMP/out")
if [ "${half:-0}" -gt 0 ] && [ "${direct:-0}" -gt 0 ]; then
    tap_ok "half load: chunks matched through the gateway ($half) and straight ($direct)"
else
    tap_fail "half load: chunks matched through the gateway and straight" "gateway ${half:-none}, straight ${direct:-none}"
fi
for line in "throughput with 2 workers / 1 worker: [0-9]" "added p99 chunk latency: -\{0,1\}[0-9]" \
    "added time to first token (p50): -\{0,1\}[0-9]" \
    "resident bytes the token module keeps per derive: -\{0,1\}[0-9]" \
    "an ideal gateway with 2 token workers, same departures: p99 [0-9][0-9.]* ms at one derive .* [0-9][0-9.]* ms at this level.s CPU per chunk ([1-9]" \
    "gateway RSS at 4 streams: [0-9.]* MB; less the module's keep of [0-9]* earlier derives: -\{0,1\}[0-9]"; do
    if grep -q "^$line" "$TAP_TMP/out"; then tap_ok "a number: ${line%%:*}"; else
        tap_fail "a number: ${line%%:*}" "$(grep -i "${line%%:*}" "$TAP_TMP/out")"; fi
done
if grep -qi "nan" "$TAP_TMP/out"; then tap_fail "no NaN anywhere" "$(grep -i nan "$TAP_TMP/out")"; else
    tap_ok "no NaN anywhere"; fi
tap_done
