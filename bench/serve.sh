#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# make bench: p11tee serve under load (docs/PERFORMANCE.md, "The gateway").
# The reference server runs in --bench mode (an answer of BENCH_CHUNKS pieces
# sealed once for the gateway's session key and replayed), bench/loadgen keeps
# 1, 16, 64 and 256 streams in flight for BENCH_SECONDS each, and every number
# is measured in this run next to its yardstick:
#   - decrypted chunks/s, errors, time to first token, chunk latency (the
#     server's --bench-log matched with the generator's arrival times);
#   - CPU of the gateway per chunk (/proc/PID/stat; and the part in the kernel)
#     against one token derive
#     (bench/bench_provider hsm-derive and raw-derive, 1 thread);
#   - CPU of the reference server and of the load generator, the gateway's RSS, and
#     its RSS less what the token module still keeps of the derives made before the
#     level began (bench_provider's bytes per derive times the gateway's derive count);
#   - throughput with --workers 2 against --workers 1 (64 streams);
#   - at half the saturation load, the p99 chunk latency through the gateway
#     against the same load read straight from the server (a TEE model);
#   - warm-session time to first token against the library in-process
#     (bench/ttft_direct), one request at a time.
# Prints Markdown tables. BENCH_KEEP=1 keeps the work directory.
set -eu
: "${top_srcdir:?run through make bench}" "${top_builddir:?run through make bench}"
. "$top_srcdir/tests/integration/lib.sh"
SECS=${BENCH_SECONDS:-10}
CHUNKS=${BENCH_CHUNKS:-400}
LEVELS=${BENCH_LEVELS:-1 16 64 256}
REFSERVER_LIFETIME=3600 it_setup --chunks "$CHUNKS" --bench --bench-log "${TMPDIR:-/tmp}/p11tee-bench-sent.$$"
sent=${TMPDIR:-/tmp}/p11tee-bench-sent.$$
[ -n "${BENCH_KEEP:-}" ] && trap 'refserver_stop' EXIT
W=$TAP_TMP
hz=$(getconf CLK_TCK)
cpu_of() { awk -v hz="$hz" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$1/stat"; }
sys_of() { awk -v hz="$hz" '{ printf "%.3f", $15 / hz }' "/proc/$1/stat"; }
rss_of() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
json() { "${PYTHON3:-/usr/bin/python3}" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
printf '{"model":"%s","messages":[{"role":"user","content":"benchmark"}],"stream":true}' "$E2EE_MODEL" >"$W/body"
printf '{"model":"%s","messages":[{"role":"user","content":"benchmark"}],"stream":true}' "$TEE_MODEL" >"$W/tee-body"

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "software: $(openssl version | cut -d' ' -f1-2), softhsm2 $(dpkg-query -W -f='${Version}' softhsm2 2>/dev/null), libmicrohttpd $(pkg-config --modversion libmicrohttpd), libcurl $(pkg-config --modversion libcurl)"
echo "run: $SECS s per level, $CHUNKS pieces per answer, levels: $LEVELS"

# ---- the yardstick: one token derive, in this run ----------------------------------------
export BENCH_MODULE="$SOFTHSM_MODULE" BENCH_LABEL=it-token BENCH_PIN="$IT_PIN" BENCH_TOKEN="$P11TEE_TOKEN"
derive_line=$("$top_builddir/bench/bench_provider" hsm-derive 1 3)
derive_hsm=$(echo "$derive_line" | awk '{ print $6 }')
# What the token module keeps of each derive for as long as it is loaded (SoftHSMv2 keeps
# every session object it made until C_Finalize): it grows the gateway's RSS with every
# chunk it ever decrypted, whatever the number of streams.
kept=$(echo "$derive_line" | awk '{ print $7 }')
derive_raw=$("$top_builddir/bench/bench_provider" raw-derive 1 3 | awk '{ print $6 }')
# What the machine allows right now: the derive alone with 2 threads against 1.
scale_derive() {
    d1=$("$top_builddir/bench/bench_provider" hsm-derive 1 3 | awk '{ print $4 }')
    d2=$("$top_builddir/bench/bench_provider" hsm-derive 2 3 | awk '{ print $4 }')
    awk -v a="$d2" -v b="$d1" 'BEGIN { printf "%.2f (%d / %d derives/s)", a / b, a, b }'
}

gw_start() { # WORKERS
    "$top_builddir/p11tee" --policy "$IT_POLICY" serve --listen 127.0.0.1:0 --workers "$1" \
        --max-streams 512 --warm "$E2EE_MODEL" 2>"$W/gw.$1.log" &
    gw=$!
    i=0
    until addr=$(sed -n 's/.*"event":"listening","message":"\([^"]*\)".*/\1/p' "$W/gw.$1.log" 2>/dev/null) &&
        [ -n "$addr" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/readyz")" = 200 ]; do
        i=$((i + 1))
        [ $i -lt 400 ] || { echo "the gateway did not start: $(cat "$W/gw.$1.log")" >&2; exit 1; }
        sleep 0.05
    done
    URL=http://$addr/v1/chat/completions
    "$top_builddir/bench/loadgen" "$URL" 4 2 "$W/body" >/dev/null # warm up
}
gw_stop() { kill "$gw"; wait "$gw" || true; }
# The token derives the gateway has made so far (0 for the server alone).
gw_derives() {
    if [ "$gw" = "$REFSERVER_PID" ]; then echo 0; else
        curl -s "http://$addr/metrics" | awk '/^p11tee_serve_token_derive_seconds_count / { n = $2 } END { print n + 0 }'
    fi
}

# One measured level: loadgen for SECS with N streams; CPU, RSS, latency around it.
level() { # NAME STREAMS URL BODY [KEY] (RAMP_MS: start the streams over that long)
    : >"$sent"
    g0=$(cpu_of "$gw") r0=$(cpu_of "$REFSERVER_PID") s0=$(sys_of "$gw")
    gw_derives >"$W/derives.$1"
    (peak=0; while kill -0 "$gw" 2>/dev/null; do r=$(rss_of "$gw"); [ "${r:-0}" -gt $peak ] && peak=$r
        echo $peak >"$W/rss.$1"; sleep 0.2; done) &
    sampler=$!
    "$top_builddir/bench/loadgen" "$3" "$2" "$SECS" "$4" ${5:+--key "$5"} --records "$W/rec.$1" \
        --ramp "${RAMP_MS:-0}" >"$W/out.$1"
    kill $sampler 2>/dev/null || true
    wait $sampler 2>/dev/null || true
    # The server logs a stream's pieces when the stream ends: wait for every stream the
    # generator left to end there, so that latency.py sees all of them.
    i=0
    while [ "$(it_stat streams_active)" != 0 ] && [ $i -lt 200 ]; do
        i=$((i + 1))
        sleep 0.05
    done
    echo "$(cpu_of "$gw") $g0 $(cpu_of "$REFSERVER_PID") $r0 $(sys_of "$gw") $s0" >"$W/cpu.$1"
    "${PYTHON3:-/usr/bin/python3}" "$top_srcdir/bench/latency.py" "$sent" "$W/rec.$1" >"$W/lat.$1"
}
# A level's gateway CPU per decrypted chunk (us), printed with FORMAT.
cpu_per_chunk() { # NAME FORMAT
    read -r c1 c0 _r1 _r0 _s1 _s0 <"$W/cpu.$1"
    awk -v a="$c1" -v b="$c0" -v n="$(json "$W/out.$1" chunks)" -v f="$2" \
        'BEGIN { printf f, (n > 0) ? (a - b) / n * 1e6 : 0 }'
}
# A level's peak RSS (MB), as measured and less what the token module keeps of the
# derives the gateway made before the level began.
rss_mb() { awk -v r="$(cat "$W/rss.$1" 2>/dev/null || echo 0)" 'BEGIN { printf "%.1f", r / 1024 }'; }
rss_less_kept_mb() {
    awk -v r="$(cat "$W/rss.$1" 2>/dev/null || echo 0)" -v d="$(cat "$W/derives.$1")" -v k="$kept" \
        'BEGIN { printf "%.1f", r / 1024 - d * k / 1048576 }'
}
row() { # NAME
    read -r g1 g0 r1 r0 s1 s0 <"$W/cpu.$1"
    chunks=$(json "$W/out.$1" chunks)
    awk -v n="$(json "$W/out.$1" streams)" -v cps="$(json "$W/out.$1" chunks_per_s)" \
        -v err="$(json "$W/out.$1" errors)" -v req="$(json "$W/out.$1" requests)" \
        -v t50="$(json "$W/out.$1" ttft_p50_ms)" -v t99="$(json "$W/out.$1" ttft_p99_ms)" \
        -v l50="$(json "$W/lat.$1" p50_ms)" -v l99="$(json "$W/lat.$1" p99_ms)" \
        -v gcpu="$(awk -v a="$g1" -v b="$g0" 'BEGIN { print a - b }')" \
        -v gsys="$(awk -v a="$s1" -v b="$s0" 'BEGIN { print a - b }')" \
        -v rcpu="$(awk -v a="$r1" -v b="$r0" 'BEGIN { print a - b }')" \
        -v lcpu="$(json "$W/out.$1" cpu_s)" -v chunks="$chunks" -v secs="$SECS" \
        -v per="$(cpu_per_chunk "$1" "%.6f")" -v d="$derive_hsm" \
        -v rss="$(rss_mb "$1")" -v net="$(rss_less_kept_mb "$1")" 'BEGIN {
        sys = chunks > 0 ? gsys / chunks * 1e6 : 0
        printf "| %d | %.0f | %d / %d | %.1f / %.1f | %.2f / %.2f | %.0f | %.0f | %.3f | %.0f%% | %.0f%% | %.0f%% | %s | %s |\n",
            n, cps, err, req, t50, t99, l50, l99, per, sys, per / d, 100 * gcpu / secs,
            100 * rcpu / secs, 100 * lcpu / secs, rss, net }'
}

gw_start 2
echo
echo "yardstick: one token derive, CPU per operation (1 thread): hsm-derive $derive_hsm us, raw-derive $derive_raw us"
echo "resident bytes the token module keeps per derive: $kept (bench_provider hsm-derive, same run)"
echo
echo "| streams | chunks/s | errors / requests | TTFT p50 / p99 (ms) | chunk latency p50 / p99 (ms) | gateway CPU/chunk (us) | of it in the kernel (us) | / derive | gateway CPU | server CPU | loadgen CPU | gateway RSS (MB) | RSS less the module's keep of earlier levels' derives (MB) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
best=0
for n in $LEVELS; do
    level "s$n" "$n" "$URL" "$W/body"
    row "s$n"
    best=$(awk -v a="$best" -v b="$(json "$W/out.s$n" chunks_per_s)" 'BEGIN { print (b > a) ? b : a }')
done
gw_stop
last=$(echo "$LEVELS" | awk '{ print $NF }')
echo
echo "gateway RSS at $last streams: $(rss_mb "s$last") MB;" \
    "less the module's keep of $(cat "$W/derives.s$last") earlier derives:" \
    "$(rss_less_kept_mb "s$last") MB (target < 64)"

# ---- workers: 1 against 2 ------------------------------------------------------------------
derive_scaling_before=$(scale_derive)
for w in 1 2; do
    gw_start $w
    level "w$w" 64 "$URL" "$W/body"
    gw_stop
done
echo
echo "| --workers | chunks/s (64 streams) | gateway CPU | errors |"
echo "|---:|---:|---:|---:|"
for w in 1 2; do
    read -r g1 g0 _r1 _r0 _s1 _s0 <"$W/cpu.w$w"
    echo "| $w | $(json "$W/out.w$w" chunks_per_s) | $(awk -v a="$g1" -v b="$g0" -v s="$SECS" 'BEGIN { printf "%.0f%%", 100 * (a - b) / s }') | $(json "$W/out.w$w" errors) |"
done
w_ratio=$(awk -v a="$(json "$W/out.w2" chunks_per_s)" -v b="$(json "$W/out.w1" chunks_per_s)" 'BEGIN { printf "%.2f", a / b }')
derive_scaling_after=$(scale_derive)
echo
echo "throughput with 2 workers / 1 worker: $w_ratio (target >= 1.7)"
echo "yardstick, the token derive alone with 2 threads / 1 thread, just before and after:" \
    "$derive_scaling_before; $derive_scaling_after"

# ---- half the saturation load: the gateway's added chunk latency ----------------------------
half=$(awk -v s="$best" 'BEGIN { printf "%.0f", s / 2 }')
delay=$(awk -v h="$half" 'BEGIN { d = 64 * 1000 / h; printf "%d", (d < 1) ? 1 : d + 0.5 }')
refserver_control "{\"chunk_delay_ms\":$delay}" >/dev/null
gw_start 2
RAMP_MS=$delay level half 64 "$URL" "$W/body"
gw_stop
cp "$sent" "$W/sent.half" # the server's departures, for the ideal gateway below
gw=$REFSERVER_PID # the direct run: only the server to watch
RAMP_MS=$delay level direct 64 "$REFSERVER_URL/chat/completions" "$W/tee-body" "$REFSERVER_API_KEY"
refserver_control '{"chunk_delay_ms":0}' >/dev/null
echo
echo "half the saturation load ($best / 2 = $half chunks/s): 64 streams, a piece every $delay ms, started over $delay ms"
echo
echo "| path | chunks/s | chunk latency p50 / p99 (ms) | matched chunks |"
echo "|---|---:|---:|---:|"
for p in half direct; do
    echo "| $([ $p = half ] && echo 'through the gateway (E2EE, decrypted in the token)' || echo 'straight from the server (TEE model, no gateway)') | $(json "$W/out.$p" chunks_per_s) | $(json "$W/lat.$p" p50_ms) / $(json "$W/lat.$p" p99_ms) | $(json "$W/lat.$p" matched) |"
done
added=$(awk -v a="$(json "$W/lat.half" p99_ms)" -v b="$(json "$W/lat.direct" p99_ms)" 'BEGIN { printf "%.2f", a - b }')
echo
echo "added p99 chunk latency: $added ms (target <= 2)"
# The yardstick for the tail: the server's departures in the gateway run queued on 2 ideal
# token workers, first come first served, at one derive per piece and at this level's
# gateway CPU per chunk (no network, no HTTP thread: what the server's bursts alone cost).
per_half=$(cpu_per_chunk half "%.0f")
fifo() { "${PYTHON3:-/usr/bin/python3}" "$top_srcdir/bench/latency.py" "$W/sent.half" /dev/null --fifo "$1" 2 >"$W/fifo.$1" && json "$W/fifo.$1" fifo_p99_ms; }
echo "an ideal gateway with 2 token workers, same departures: p99 $(fifo "$derive_hsm") ms at one derive" \
    "($derive_hsm us) per chunk, $(fifo "$per_half") ms at this level's CPU per chunk ($per_half us)"

# ---- warm-session time to first token: the gateway against the library ------------------
gw_start 2
"$top_builddir/bench/loadgen" "$URL" 1 600 "$W/body" --requests 50 >"$W/out.ttft"
gw_stop
refserver_control "{\"chunks\":8}" >/dev/null
"$top_builddir/bench/loadgen" "$URL" 1 1 "$W/body" >/dev/null 2>&1 || true
export IT_POLICY REFSERVER_URL REFSERVER_API_KEY
"$top_builddir/bench/ttft_direct" "$W/body" 50 >"$W/out.direct-ttft"
refserver_control "{\"chunks\":$CHUNKS}" >/dev/null
echo
echo "| warm session, one request at a time (50) | TTFT p50 (ms) | TTFT p99 (ms) |"
echo "|---|---:|---:|"
echo "| through the gateway (bench/loadgen) | $(json "$W/out.ttft" ttft_p50_ms) | $(json "$W/out.ttft" ttft_p99_ms) |"
echo "| the library in-process (bench/ttft_direct) | $(json "$W/out.direct-ttft" ttft_p50_ms) | $(json "$W/out.direct-ttft" ttft_p99_ms) |"
ttft_added=$(awk -v a="$(json "$W/out.ttft" ttft_p50_ms)" -v b="$(json "$W/out.direct-ttft" ttft_p50_ms)" 'BEGIN { printf "%.2f", a - b }')
echo
echo "added time to first token (p50): $ttft_added ms (target <= 5)"

# ---- instructions per chunk (callgrind): a measure the machine's other load cannot move --
if [ "${BENCH_CALLGRIND:-0}" = 1 ] && command -v valgrind >/dev/null 2>&1; then
    # One token derive: the library's per-field path, in bench_provider's timed loop.
    valgrind --tool=callgrind --toggle-collect=run_thread --callgrind-out-file="$W/cg.derive" \
        "$top_builddir/bench/bench_provider" hsm-derive 1 5 >"$W/cg.derive.txt" 2>"$W/cg.derive.err"
    d_ops=$(awk '{ print $3 }' "$W/cg.derive.txt")
    d_ir=$(sed -n 's/.*Collected : *//p' "$W/cg.derive.err")
    # The gateway serving one answer of N pieces, whole process; the difference of two
    # runs is the cost of the extra pieces, start-up and attestation cancel out.
    cg_gateway() { # PIECES
        refserver_control "{\"chunks\":$1}" >/dev/null
        "$top_builddir/libtool" --mode=execute valgrind --tool=callgrind \
            --callgrind-out-file="$W/cg.gw.$1" "$top_builddir/p11tee" --policy "$IT_POLICY" \
            serve --listen 127.0.0.1:0 --workers 1 --warm "$E2EE_MODEL" 2>"$W/cg.gw.$1.log" &
        cg=$!
        i=0
        until addr=$(sed -n 's/.*"event":"listening","message":"\([^"]*\)".*/\1/p' "$W/cg.gw.$1.log" 2>/dev/null) &&
            [ -n "$addr" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/readyz")" = 200 ]; do
            i=$((i + 1))
            [ $i -lt 1200 ] || { echo "the gateway did not start under valgrind" >&2; exit 1; }
            sleep 0.1
        done
        "$top_builddir/bench/loadgen" "http://$addr/v1/chat/completions" 1 600 "$W/body" --requests 1 >"$W/cg.gw.$1.out"
        kill "$cg"
        wait "$cg" || true
        sed -n 's/.*Collected : *//p' "$W/cg.gw.$1.log"
    }
    short=${BENCH_CG_SHORT:-100}
    long=${BENCH_CG_LONG:-600}
    ir_short=$(cg_gateway "$short")
    ir_long=$(cg_gateway "$long")
    refserver_control "{\"chunks\":$CHUNKS}" >/dev/null
    echo
    echo "instructions (callgrind; user space, the token's module included):"
    echo
    echo "| measure | instructions |"
    echo "|---|---:|"
    awk -v ops="$d_ops" -v ir="$d_ir" -v s="$ir_short" -v l="$ir_long" -v ns="$short" -v nl="$long" 'BEGIN {
        d = ir / ops; c = (l - s) / (nl - ns)
        printf "| one token derive (hsm-derive, %d derives) | %.0f |\n", ops, d
        printf "| the gateway per decrypted chunk (answers of %d and %d pieces) | %.0f |\n", ns, nl, c
        printf "| ratio | %.3f |\n", c / d }'
fi

rm -f "$sent"
[ -n "${BENCH_KEEP:-}" ] && echo "kept: $W"
exit 0
