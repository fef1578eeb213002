#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# p11tee collateral fetch against a stand-in PCS on 127.0.0.1 (tests/server/pcs.py):
# collateral built from the reference server's test PKI (always), and the real
# dcap-qvl vector under Intel's root (when $P11TEE_VECTORS has it). Verified
# before it is cached; stale, tampered, wrong-FMSPC and foreign answers refused
# and nothing written; attest and chat use the cache and say how old it is; a
# policy naming the cache with max_age_days; HTTPS through the configured proxy.
. "$top_srcdir/tests/integration/lib.sh"
it_setup
P="--policy $IT_POLICY"
py=${PYTHON3:-/usr/bin/python3}
export XDG_CACHE_HOME="$TAP_TMP/xdg-cache"
CACHE=$XDG_CACHE_HOME/p11tee
FMSPC=90C06F000000
ENTRY=$CACHE/tdx-$FMSPC-platform.json
trap 'pcs_stop_all; refserver_stop; rm -rf "$TAP_TMP"' EXIT

# ---- builder collateral under the test root ------------------------------------
pcs_start good --state-dir "$REFSERVER_STATE"
it_run $P collateral fetch --pccs "$PCS_URL" --fmspc "$FMSPC"
it_check_rc "fetch from a PCCS" 0
it_check_grep "... says where it is, how old, until when, under which root" "$IT_OUT" \
    "^$FMSPC:platform  $ENTRY: issued [0-9T:Z-]* (1 day old), next update [0-9T:Z-]*, verified to TEST root CN=p11tee TEST SGX Root CA (not Intel),O=p11tee TEST \[TEST ROOT\]$"
it_check_eq "... the five requests of PCS v4, issuer chains in headers" \
    "$(cut -d' ' -f2 "$TAP_TMP/good/pcs.log" | tr '\n' ' ')" \
    "/sgx/certification/v4/pckcrl?ca=platform&encoding=der /tdx/certification/v4/tcb?fmspc=$FMSPC /tdx/certification/v4/qe/identity /sgx/certification/v4/rootcacrl "
it_check_eq "... the cache file, readable by all (public data), written by us" \
    "$(stat -c %a "$ENTRY")" 644
it_run $P collateral show --json
it_check_eq "collateral show --json: the cached platform, verified again" \
    "$("$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); p=d["platforms"][0]; print(d["cache"], p["platform"], p["ok"], p["age_days"], p["test_root"])' "$IT_OUT")" \
    "$CACHE $FMSPC:platform True 1 True"
it_run $P collateral fetch --pccs "$PCS_URL" --fmspc "$FMSPC:processor"
it_check_rc "the processor CA's CRL asked for, the platform CA's sent: refused (exit 5)" 5
it_check_grep "... saying so" "$IT_ERR" "the PCK CRL is the platform CA's, not the processor CA's"
it_run collateral fetch --pccs "$PCS_URL" --fmspc "$FMSPC"
it_check_rc "without the policy's test root: refused, Intel's root alone is pinned" 5
it_check_grep "... the chain does not verify" "$IT_ERR" "the PCK CRL's issuer chain does not verify"

# Fetch by model: the platform comes from the model's attestation.
rm -f "$ENTRY"
it_run $P collateral fetch --pccs "$PCS_URL" "$E2EE_MODEL"
it_check_rc "fetch for a model" 0
it_check_grep "... the model's platform" "$IT_OUT" "^$FMSPC:platform  $ENTRY:"

# attest and chat use the cache and say how old it is.
it_run $P attest "$E2EE_MODEL"
it_check_rc "attest with the cached collateral" 0
it_check_grep "... TCB status from the cache" "$IT_OUT" "tdx.tcb.status .* pass .* UpToDate"
it_check_grep "... where it came from" "$IT_OUT" "^  collateral  *the cache $ENTRY$"
it_check_grep "... and how old it was" "$IT_OUT" "^  collateral_age_days  *1$"
it_run $P chat -m "$E2EE_MODEL" "collateral age"
it_check_grep "chat's summary names the TCB status and the collateral's age" "$IT_ERR" \
    "verified: $E2EE_MODEL attested \[TEST ROOT: the policy trusts tdx, nvidia test roots\] (.*, TCB UpToDate, collateral 1 day old)"
chmod 666 "$ENTRY"
it_run $P attest "$E2EE_MODEL"
it_check_grep "a cache file others may write is not used" "$IT_OUT" \
    "tdx.collateral.format .* not checked .*no collateral: the cached collateral $ENTRY is not used: it is writable by group or others"
chmod 644 "$ENTRY"

# A policy that names the cache and a maximum age.
sed 's/^{"version": 1,/{"version": 1, "tdx": {"collateral": {"cache": true, "max_age_days": 30}},/' \
    "$IT_POLICY" >"$TAP_TMP/policy-cache.json"
sed 's/^{"version": 1,/{"version": 1, "checks": {"tdx.collateral.*": "required", "tdx.tcb.status": "required"}, "tdx": {"collateral": {"cache": "\/nonexistent\/cache"}},/' \
    "$IT_POLICY" >"$TAP_TMP/policy-elsewhere.json"
it_run --policy "$TAP_TMP/policy-cache.json" attest "$E2EE_MODEL"
it_check_rc "policy: cache, max_age_days 30" 0
it_check_grep "... the age check passes" "$IT_OUT" \
    "tdx.collateral.age .* pass .* 1 day before the verification time (at most 30)"
it_run --policy "$TAP_TMP/policy-elsewhere.json" attest "$E2EE_MODEL"
it_check_rc "policy: a cache without the platform, collateral required: refused" 5
it_check_grep "... naming the missing file" "$IT_ERR" \
    "tdx.collateral.format is required by the policy but was not performed: no collateral: no cached collateral /nonexistent/cache/tdx-$FMSPC-platform.json"

# The strict-with-collateral preset, with the reference server's test roots added.
"$py" -c '
import json, sys
d = json.load(open(sys.argv[1]))
d["test_roots"] = json.load(open(sys.argv[2]))["test_roots"]
json.dump(d, open(sys.argv[3], "w"))' "$top_srcdir/docs/policies/strict-with-collateral.json" \
    "$IT_POLICY" "$TAP_TMP/preset-test.json"
it_run --policy "$TAP_TMP/preset-test.json" attest "$E2EE_MODEL"
it_check_rc "the strict-with-collateral rules (and test roots) with the cache" 0
it_check_grep "... TCB status required and passed" "$IT_OUT" "tdx.tcb.status .* pass .*required"
mv "$ENTRY" "$ENTRY.away"
it_run --policy "$TAP_TMP/preset-test.json" chat -m "$E2EE_MODEL" "no collateral, no chat"
it_check_rc "... without cached collateral nothing is sent (exit 5)" 5
it_check_grep "... the required check is named" "$IT_ERR" \
    "tdx.collateral.format is required by the policy but was not performed: no collateral"
mv "$ENTRY.away" "$ENTRY"

# ---- refusals: nothing unverified reaches the cache ------------------------------
before=$(sha256sum "$ENTRY")
refused() { # refused DESC EXPECTED ARGS...: against the last PCS started
    desc=$1 expect=$2
    shift 2
    it_run $P collateral fetch --pccs "$PCS_URL" "$@"
    it_check_rc "$desc: refused (exit 5)" 5
    it_check_grep "... $desc: why" "$IT_ERR" "$expect"
    it_check_eq "... $desc: the cache is unchanged" "$(sha256sum "$ENTRY")" "$before"
}
pcs_start stale --state-dir "$REFSERVER_STATE" --issued-days-ago 40
refused "stale collateral" "CRL is refused: it is not valid at the verification time" \
    --fmspc "$FMSPC"
pcs_start tamper --state-dir "$REFSERVER_STATE" --fault tamper-tcb
refused "a tampered TCB info" "tcb_info_signature does not verify over the" \
    --fmspc "$FMSPC"
pcs_start wrong --state-dir "$REFSERVER_STATE" --fault wrong-fmspc
refused "TCB info for another FMSPC" \
    "the TCB info is for FMSPC $FMSPC, not 00906ED50000 as asked: refused" --fmspc 00906ED50000
pcs_start nochain --state-dir "$REFSERVER_STATE" --fault no-chain
refused "no issuer chain header" "the server sent no TCB-Info-Issuer-Chain header" \
    --fmspc "$FMSPC"
PCS_URL=$(printf '%s' "$PCS_URL" | sed 's/:[0-9]*$/:1/')
it_run $P collateral fetch --pccs "$PCS_URL" --fmspc "$FMSPC"
it_check_rc "no PCS listening: network error (exit 3)" 3
it_run $P collateral fetch --fmspc 12345
it_check_rc "a malformed FMSPC: usage error" 2

# ---- HTTPS through the configured proxy -------------------------------------------
pcs_start tls --state-dir "$REFSERVER_STATE" --tls
mkdir -p "$TAP_TMP/proxy"
"$py" "$top_srcdir/tests/net/netfixture.py" --dir "$TAP_TMP/proxy" --name p --mode proxy \
    --lifetime 300 &
PCS_PIDS="$PCS_PIDS $!"
while [ ! -s "$TAP_TMP/proxy/p.port" ]; do sleep 0.025; done
rm -f "$ENTRY"
it_run $P --cacert "$TAP_TMP/tls/pcs-ca.pem" --proxy "http://127.0.0.1:$(cat "$TAP_TMP/proxy/p.port")" \
    collateral fetch --pccs "$PCS_URL" --fmspc "$FMSPC"
PCS_URL_TLS=$PCS_URL
it_check_rc "fetch over HTTPS through --proxy" 0
it_check_eq "... every request went through the proxy (CONNECT)" \
    "$(grep -c "^CONNECT 127.0.0.1:$(cat "$TAP_TMP/tls/pcs.port")" "$TAP_TMP/proxy/p.log")" 4
printf 'proxy = http://127.0.0.1:%s\ncacert = %s\ncollateral-url = %s\n' \
    "$(cat "$TAP_TMP/proxy/p.port")" "$TAP_TMP/tls/pcs-ca.pem" "$PCS_URL_TLS" >"$TAP_TMP/config"
chmod 600 "$TAP_TMP/config"
P11TEE_CONFIG="$TAP_TMP/config" it_run $P collateral fetch --fmspc "$FMSPC"
it_check_rc "... and with proxy, cacert and collateral-url from a configuration file" 0
it_check_eq "... through the proxy again" \
    "$(grep -c "^CONNECT 127.0.0.1:$(cat "$TAP_TMP/tls/pcs.port")" "$TAP_TMP/proxy/p.log")" 8

# ---- the real vector under Intel's pinned root ---------------------------------------
VEC=${P11TEE_VECTORS:-}/tdx
if [ -r "$VEC/dcap-qvl_tdx_quote_collateral.json" ]; then
    pcs_start vector --collateral "$VEC/dcap-qvl_tdx_quote_collateral.json"
    printf 'collateral-url = %s\ncollateral-root-crl-url = %s/IntelSGXRootCA.der\n' "$PCS_URL" \
        "$PCS_URL" >"$TAP_TMP/config-vector"
    chmod 600 "$TAP_TMP/config-vector"
    P11TEE_CONFIG="$TAP_TMP/config-vector" it_run collateral fetch --fmspc B0C06F000000
    it_check_rc "the real vector today: stale, refused" 5
    it_check_grep "... saying so" "$IT_ERR" "is refused: it is not valid at the verification time"
    P11TEE_CONFIG="$TAP_TMP/config-vector" it_run collateral fetch --fmspc B0C06F000000 \
        --at 2025-07-01T00:00:00Z
    it_check_rc "the real vector as of 2025-07-01, Intel PCS paths and the root CA CRL from its CDP" 0
    it_check_grep "... verified to Intel's pinned root" "$IT_OUT" \
        "^B0C06F000000:platform  $CACHE/tdx-B0C06F000000-platform.json: issued 2025-06-19T10:16:03Z (11 days old), next update 2025-07-19T10:00:35Z, verified to Intel SGX Root CA (built in, SHA-256 44a0196b...74d3)$"
    it_check_grep "... the root CA CRL came from /IntelSGXRootCA.der" "$TAP_TMP/vector/pcs.log" \
        "^GET /IntelSGXRootCA.der$"
    it_run quote "$VEC/dcap-qvl_tdx_quote" --at 2025-07-01T00:00:00Z
    it_check_rc "p11tee quote of the vector quote uses the cache" 0
    it_check_grep "... TCB status UpToDate from the cached collateral" "$IT_OUT" \
        "tdx.tcb.status .* pass .* UpToDate"
    it_check_grep "... naming the cache" "$IT_OUT" \
        "^  collateral  *the cache $CACHE/tdx-B0C06F000000-platform.json$"
    it_run --policy strict-with-collateral quote "$VEC/dcap-qvl_tdx_quote" --at 2025-07-01T00:00:00Z
    it_check_rc "the shipped strict-with-collateral preset, by name: the vector passes" 0
    it_check_grep "... the policy is the preset" "$IT_OUT" "^  policy  *built-in strict-with-collateral preset$"
    it_check_grep "... its age check (14 days)" "$IT_OUT" \
        "tdx.collateral.age .* pass .*required .*11 days before the verification time (at most 14)"
    it_run --policy strict-with-collateral quote "$VEC/dcap-qvl_tdx_quote" --at 2025-07-10T00:00:00Z
    it_check_rc "... 20 days later the collateral is too old for it (exit 5)" 5
    it_check_grep "... saying so" "$IT_ERR" \
        "tdx.collateral.age failed: issued 2025-06-19T10:16:03Z, 20 days before the verification time: older than the policy's 14 days"
    pcs_start vector-tamper --collateral "$VEC/dcap-qvl_tdx_quote_collateral.json" --fault tamper-tcb
    rm -f "$CACHE/tdx-B0C06F000000-platform.json"
    it_run collateral fetch --pccs "$PCS_URL" --fmspc B0C06F000000 --at 2025-07-01T00:00:00Z
    it_check_rc "the real vector tampered: refused" 5
    it_check_grep "... its signature" "$IT_ERR" "tcb_info_signature does not verify"
    if [ -e "$CACHE/tdx-B0C06F000000-platform.json" ]; then
        tap_fail "... nothing cached"
    else
        tap_ok "... nothing cached"
    fi
else
    tap_skip "the real dcap-qvl collateral through the stand-in PCS" \
        "\$P11TEE_VECTORS/tdx has no dcap-qvl_tdx_quote_collateral.json"
fi

tap_done
