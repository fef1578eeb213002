#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# scripts/check.sh: install what is missing, build p11tee twice out of tree
# (normal, then AddressSanitizer + UndefinedBehaviorSanitizer), run every
# test in both (the lint tests among them: licence lines, the include rules
# of docs/DESIGN.md, the man page against --help), memcheck the provider
# tests, check that the release tarball builds, build the Debian packages
# and run p11tee from them, run the thread tests in a ThreadSanitizer build,
# fuzz every parser for a few seconds when clang is there (at most 5
# minutes), run scripts/demo.sh as the README gives it, and end with one
# line: "N passed, N failed[, N skipped]". The
# clang-format check is a step of its own, counted once, before anything is
# built.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)
builds="$top/_build"
passed=0 failed=0 skipped=0

step_failed() {
    echo "check: FAILED: $*" >&2
    failed=$((failed + 1))
}

# Add the totals of one automake test-suite log to the summary.
tally() {
    local log=$1 label=$2 key n
    if [ ! -f "$log" ]; then
        step_failed "$label: no test log ($log)"
        return
    fi
    for key in PASS XFAIL SKIP FAIL XPASS ERROR; do
        n=$(awk -v k="$key:" '$1 == "#" && $2 == k { print $3; exit }' "$log")
        n=${n:-0}
        case $key in
        PASS | XFAIL) passed=$((passed + n)) ;;
        SKIP) skipped=$((skipped + n)) ;;
        *) failed=$((failed + n)) ;;
        esac
    done
    echo "check: $label: $(awk '$1 == "#" && $2 ~ /:$/ { printf "%s %s ", $2, $3 }' "$log")"
    # Show what failed, so that the CI log alone explains a red run.
    grep -E '^(FAIL|ERROR|XPASS):' "$log" | head -n 50 || true
}

# build NAME CONFIGURE-ARGS... : configure and build into _build/NAME
# ($make_targets, when set, instead of everything).
build() {
    local name=$1 dir="$builds/$1"
    shift
    rm -rf "$dir" && mkdir -p "$dir" || return 1
    echo "check: [$name] configure $*"
    (cd "$dir" && "$top/configure" --enable-werror "$@" >configure.out 2>&1) || {
        tail -n 30 "$dir/configure.out" >&2
        return 1
    }
    echo "check: [$name] make ${make_targets:-}"
    # shellcheck disable=SC2086 # a list of targets
    (cd "$dir" && make -j"$jobs" ${make_targets:-} >make.out 2>&1) || {
        grep -E 'error|Error' "$dir/make.out" | head -n 40 >&2
        return 1
    }
}

# suite NAME TARGET LOG : run a make target in _build/NAME and tally LOG.
suite() {
    local name=$1 target=$2 log=$3
    echo "check: [$name] make $target"
    (cd "$builds/$name" && make -j"$jobs" "$target" >"$target.out" 2>&1) ||
        echo "check: [$name] make $target reported failures" >&2
    tally "$builds/$name/$log" "$name $target"
}

# Every tracked .c and .h as clang-format writes it (tests/lint/format.sh is
# the same check inside make check, where it skips without clang-format).
format_check() {
    local files n
    if ! command -v clang-format >/dev/null 2>&1; then
        step_failed "clang-format: not installed (scripts/install-deps.sh installs it)"
        return
    fi
    files=$(git ls-files '*.c' '*.h' 2>/dev/null) && [ -n "$files" ] ||
        files=$(find include src provider tests bench docs/examples -name '*.[ch]' | sort)
    n=$(echo "$files" | wc -l)
    echo "check: clang-format --dry-run --Werror over $n files"
    mkdir -p "$builds"
    # shellcheck disable=SC2086 # one file name per word
    if clang-format --dry-run --Werror $files >"$builds/format.out" 2>&1; then
        passed=$((passed + 1))
    else
        grep -E '^[^ ]+:[0-9]+:[0-9]+: error' "$builds/format.out" | head -n 40 >&2
        step_failed "clang-format: $(grep -cE ': error' "$builds/format.out") places differ" \
            "(fix: clang-format -i FILE...)"
    fi
}

# deb_smoke DIR: unpack the packages in DIR (debug symbols aside) into a
# scratch root and run what they install from there: p11tee --version, and
# the provider from OpenSSL's modules directory inside the root.
deb_smoke() {
    local dir=$1 root="$builds/deb-root" deb version multiarch moddir out
    rm -rf "$root" && mkdir -p "$root" || return 1
    for deb in "$dir"/*.deb; do
        case $deb in *-dbgsym_*) continue ;; esac
        dpkg -x "$deb" "$root" || return 1
    done
    version=$(sed -n 's/^AC_INIT(\[p11tee\], \[\([^]]*\)\].*/\1/p' configure.ac)
    multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
    out=$(LD_LIBRARY_PATH="$root/usr/lib/$multiarch" "$root/usr/bin/p11tee" --version 2>&1)
    echo "check: [deb] p11tee --version from the unpacked packages: $out"
    [ "$out" = "p11tee $version" ] || return 1
    moddir=$(pkg-config --variable=modulesdir libcrypto)
    out=$(env -u OPENSSL_CONF openssl list -providers -provider-path "$root$moddir" -provider p11tee 2>&1)
    grep -q 'name: p11tee PKCS#11 provider' <<<"$out" || {
        echo "check: [deb] the packaged p11tee.so does not load from $moddir: $out" >&2
        return 1
    }
    echo "check: [deb] the packaged provider loads from OpenSSL's modules directory ($moddir)"
}

start=$(date +%s)
scripts/install-deps.sh || step_failed "install-deps.sh"
./autogen.sh >/dev/null 2>&1 || step_failed "autogen.sh"
format_check

if build normal; then
    suite normal check test-suite.log
    suite normal valgrind valgrind-suite.log
    echo "check: [normal] make distcheck (tarball builds, installs, uninstalls)"
    if (cd "$builds/normal" && make -j"$jobs" distcheck TESTS= >distcheck.out 2>&1); then
        passed=$((passed + 1))
    else
        tail -n 30 "$builds/normal/distcheck.out" >&2
        step_failed "make distcheck"
    fi
else
    step_failed "normal build"
fi

if build sanitizers --enable-sanitizers; then
    suite sanitizers check test-suite.log
else
    step_failed "sanitizer build"
fi

# fuzz_step: with clang, every fuzz harness under libFuzzer for a few seconds
# (tests/fuzz/README.md); each harness is one result of the tally. The
# fuzzing itself is bounded to 5 minutes whatever the number of harnesses.
fuzz_step() {
    local dir="$builds/fuzz" n seconds budget=270 line
    if ! command -v clang >/dev/null 2>&1; then
        echo "check: [fuzz] clang not installed: no fuzzing step (scripts/install-deps.sh installs it)"
        skipped=$((skipped + 1))
        return
    fi
    make_targets="tests/fuzz/fuzz-replay tests/fuzz/p11tee-fuzz" build fuzz --enable-fuzzing || {
        step_failed "fuzz build"
        return
    }
    n=$("$dir/tests/fuzz/fuzz-replay" --list | wc -l)
    seconds=$((budget / (n > 0 ? n : 1)))
    [ "$seconds" -gt 10 ] && seconds=10
    [ "$seconds" -lt 1 ] && seconds=1
    echo "check: [fuzz] make fuzz FUZZ_SECONDS=$seconds ($n harnesses)"
    # A fixed seed: each run explores the same inputs, as far as the machine gets in the time.
    (cd "$dir" && timeout --kill-after=10 300 make fuzz FUZZ_SECONDS="$seconds" FUZZ_SEED=1 \
        >fuzz.out 2>&1)
    if [ ! -f "$dir/tests/fuzz/work/summary.txt" ]; then
        tail -n 20 "$dir/fuzz.out" >&2
        step_failed "make fuzz: no summary"
        return
    fi
    while read -r line; do
        case $line in
        harness\ *) ;;
        *\ ok) passed=$((passed + 1)) ;;
        *) step_failed "fuzz: $line" ;;
        esac
    done <"$dir/tests/fuzz/work/summary.txt"
    grep -q '^fuzz: .* harnesses' "$dir/fuzz.out" || step_failed "make fuzz did not finish (5 minutes)"
    echo "check: [fuzz] $(tail -n 1 "$dir/fuzz.out")"
}

fuzz_start=$(date +%s)
fuzz_step
echo "check: [fuzz] $(($(date +%s) - fuzz_start)) s"

deb_start=$(date +%s)
echo "check: [deb] scripts/package-deb.sh, then the packages unpacked into a scratch root"
if scripts/package-deb.sh "$builds/deb" >"$builds/deb.out" 2>&1 && deb_smoke "$builds/deb"; then
    passed=$((passed + 1))
else
    tail -n 30 "$builds/deb.out" >&2
    step_failed "Debian packages"
fi
echo "check: [deb] $(($(date +%s) - deb_start)) s"

# ThreadSanitizer needs a build of its own (it cannot run with ASan); there
# only the thread tests run (tests/threads: make check-threads), on the
# library alone.
tsan_start=$(date +%s)
if make_targets=libp11tee-core.la build tsan --enable-tsan; then
    suite tsan check-threads test-suite.log
else
    step_failed "ThreadSanitizer build"
fi
echo "check: [tsan] took $(($(date +%s) - tsan_start)) s"

# The README's first command, as a user runs it (its own build in
# _build/demo): it must exit 0 with the gateway's E2EE answer. Counted once.
demo_start=$(date +%s)
echo "check: [demo] scripts/demo.sh"
if scripts/demo.sh >"$builds/demo.out" 2>&1 && grep -q '^X-P11tee-E2EE: 1' "$builds/demo.out"; then
    passed=$((passed + 1))
else
    tail -n 30 "$builds/demo.out" >&2
    step_failed "scripts/demo.sh"
fi
echo "check: [demo] took $(($(date +%s) - demo_start)) s"

echo "check: finished in $(($(date +%s) - start)) s"
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
