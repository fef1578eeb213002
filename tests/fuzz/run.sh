#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# make fuzz: each harness under libFuzzer for $FUZZ_SECONDS seconds (one
# core, one harness after the other), from its built-in inputs, the
# generated seed corpus and what earlier runs found (tests/fuzz/work/NAME,
# where new inputs go). A crash, a leak, a sanitizer report or a failed
# oracle leaves its input in tests/fuzz/artifacts/NAME/ and fails the run.
# Prints executions and coverage per harness, also into
# tests/fuzz/work/summary.txt, and ends "fuzz: N harnesses, N failed".
set -u
build="${top_builddir:?}/tests/fuzz"
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-}
# FUZZ_SEED=N: libFuzzer's random seed, so a short run explores the same inputs each time.
seed_opt=
[ -n "${FUZZ_SEED:-}" ] && seed_opt="-seed=$FUZZ_SEED"
[ -n "$targets" ] || targets=$("$build/fuzz-replay" --list) || exit 1

sh "${top_srcdir:?}/tests/fuzz/seeds.sh" "$build/corpus" ||
    echo "fuzz: no generated seed corpus: built-in inputs only" >&2
"$build/fuzz-replay" --write-seeds "$build/builtin" || exit 1
mkdir -p "$build/work" "$build/artifacts" || exit 1
summary="$build/work/summary.txt"
printf '%-12s %10s %8s %8s %8s  %s\n' harness execs cov ft corpus result >"$summary"

# Leaks are errors; a slow input (over 25 s) or 2 GB of memory is a finding too.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_odr_violation=0:allocator_may_return_null=1"
n=0 failed=0
for t in $targets; do
    n=$((n + 1))
    work="$build/work/$t"
    art="$build/artifacts/$t"
    log="$build/work/$t.log"
    mkdir -p "$work" "$art"
    dirs="$work"
    [ -d "$build/builtin/$t" ] && dirs="$dirs $build/builtin/$t"
    [ -d "$build/corpus/$t" ] && dirs="$dirs $build/corpus/$t"
    # shellcheck disable=SC2086 # one corpus directory per word
    # shellcheck disable=SC2086 # no option, or one
    P11TEE_FUZZ_TARGET=$t "$build/p11tee-fuzz" $seed_opt -max_total_time="$seconds" -timeout=25 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" $dirs >"$log" 2>&1
    rc=$?
    execs=$(awk '/^stat::number_of_executed_units:/ { print $NF }' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    corp=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    if [ "$rc" -eq 0 ]; then
        result=ok
    else
        result="FAILED (exit $rc; $log; inputs in $art)"
        failed=$((failed + 1))
        grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: oracle failed)' "$log" | head -n 5 >&2
    fi
    printf '%-12s %10s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
        "${corp:-?}" "$result" | tee -a "$summary"
done
echo "fuzz: $n harnesses, $failed failed ($seconds s each; $summary)"
[ "$failed" -eq 0 ]
