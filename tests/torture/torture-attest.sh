#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Allocation torture of the offline attestation paths: the reference
# server's builders make a whole attestation response, a bare quote, the
# collateral and the test roots; tests/torture/test_torture_attest fails
# each allocation of each path in turn (tests/torture/torture.h).
. "$top_srcdir/tests/lib/tap.sh"
tap_tmpdir
py=${PYTHON3:-/usr/bin/python3}
"$py" -c 'import cryptography' 2>/dev/null || tap_skip_all "$py cannot import cryptography"
ref="$top_srcdir/tests/server/venice_ref.py"
model=e2ee-qwen3-5-122b-a10b
nonce=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
state="$TAP_TMP/state"
"$py" "$ref" dump-attestation --model "$model" --nonce "$nonce" --state-dir "$state" \
    --out "$TAP_TMP/response.json" >/dev/null || { echo "dump-attestation failed" >&2; exit 99; }
"$py" "$ref" build-quote --address 0x1111111111111111111111111111111111111111 --nonce "$nonce" \
    --state-dir "$state" --out "$TAP_TMP/quote.bin" >/dev/null ||
    { echo "build-quote failed" >&2; exit 99; }
cat >"$TAP_TMP/policy.json" <<POLICY
{"version": 1,
 "test_roots": {"tdx": ["$state/sgx_test_root.pem"], "nvidia": ["$state/nvidia_test_root.pem"]}}
POLICY
exec "$top_builddir/tests/torture/test_torture_attest" "$TAP_TMP/response.json" "$nonce" \
    "$TAP_TMP/policy.json" "$state/tdx_collateral.json" "$TAP_TMP/quote.bin" "$model"
