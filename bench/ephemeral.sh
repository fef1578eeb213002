#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# make bench: token ECDH operations per chunk of an E2EE stream, with the
# reference server sealing each field with a fresh ephemeral key
# (--ephemeral per-field) and a whole response with one (per-response, as
# vllm-proxy does; the client then keeps the AES key for the stream). Counts
# come from `p11tee -v` ("E2EE: N fields opened with M ECDH in the token");
# wall time is the best of BENCH_REPEAT runs of BENCH_EPH_CHUNKS chunks.
set -eu
: "${top_srcdir:?run through make bench}" "${top_builddir:?run through make bench}"
. "$top_srcdir/tests/integration/lib.sh"
CHUNKS=${BENCH_EPH_CHUNKS:-2000}
repeat=${BENCH_REPEAT:-3}
p11tee="$top_builddir/p11tee"

REFSERVER_LIFETIME=3600 it_setup --chunks "$CHUNKS" --ephemeral per-field
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| server seals | chunks | fields opened | ECDH in the token | ECDH per chunk | wall (best of $repeat) | chunks/s |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for mode in per-field per-response; do
    if [ "$mode" = per-response ]; then
        refserver_stop
        REFSERVER_LIFETIME=3600 refserver_start --state-dir "$TAP_TMP/server" --chunks "$CHUNKS" \
            --ephemeral per-response
        export VENICE_BASE_URL="$REFSERVER_URL" API_KEY_VENICE="$REFSERVER_API_KEY"
    fi
    best=999999
    i=0
    while [ $i -lt "$repeat" ]; do
        /usr/bin/time -f '%e' -o "$TAP_TMP/time" "$p11tee" -v --policy "$IT_POLICY" \
            chat -m "$E2EE_MODEL" "benchmark prompt" >/dev/null 2>"$TAP_TMP/err"
        wall=$(cat "$TAP_TMP/time")
        if awk -v w="$wall" -v b="$best" 'BEGIN { exit !(w < b) }'; then best=$wall; fi
        i=$((i + 1))
    done
    line=$(sed -n 's/.*E2EE: \([0-9]*\) fields opened with \([0-9]*\) ECDH in the token.*/\1 \2/p' "$TAP_TMP/err")
    set -- $line
    awk -v m="$mode" -v c="$CHUNKS" -v f="$1" -v d="$2" -v w="$best" \
        'BEGIN { printf "| %s | %d | %d | %d | %.4f | %.2f s | %.0f |\n", m, c, f, d, d / c, w, c / w }'
done
