#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# scripts/demo.sh: from a bare Debian 12 machine to an attested, end-to-end
# encrypted answer, with every private key inside a throwaway SoftHSM token.
#
#   1. install what is missing and build p11tee (in _build/demo);
#   2. create a throwaway SoftHSMv2 token in a temp dir, its PIN in a 0600 file;
#   3. start the local reference server (tests/server) on 127.0.0.1;
#   4. p11tee models, p11tee attest, p11tee chat with an e2ee model;
#   5. p11tee serve on 127.0.0.1, and one request through it with curl, as
#      any application using an OpenAI SDK would send it;
#   6. stop the gateway and the server, destroy the token.
#
# The reference server signs its attestation with TEST roots, so the demo's
# policy names them as test roots; the real API is verified against the Intel
# and NVIDIA roots compiled into p11tee (see the end of this script).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "installing dependencies (Debian packages)"
scripts/install-deps.sh

say "building p11tee"
build="$top/_build/demo"
[ -x configure ] || ./autogen.sh >/dev/null
mkdir -p "$build"
(cd "$build" && { [ -f Makefile ] || "$top/configure" >configure.out; } && make -j"$(nproc)" >make.out) ||
    { echo "build failed; see $build/make.out" >&2; exit 1; }
p11tee="$build/p11tee"

work=$(mktemp -d "${TMPDIR:-/tmp}/p11tee-demo.XXXXXX")
gateway=
cleanup() {
    [ -n "$gateway" ] && kill "$gateway" 2>/dev/null && wait "$gateway" 2>/dev/null
    refserver_stop 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "creating a throwaway SoftHSM token in $work/token"
umask 077
pin=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
so_pin=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$pin" >"$work/pin"
tests/lib/mktoken.sh "$work/token" p11tee-demo "$pin" "$so_pin"
export SOFTHSM2_CONF="$work/token/softhsm2.conf"
softhsm_module=$(sed -n 's/^SOFTHSM_MODULE = //p' "$build/Makefile")
echo "module: $softhsm_module"

say "starting the reference server on 127.0.0.1"
export top_srcdir="$top" PYTHON3=/usr/bin/python3
# shellcheck source=../tests/lib/refserver.sh
. tests/lib/refserver.sh
refserver_start --state-dir "$work/server"
trap cleanup EXIT # refserver_start set the test fixture's own; this one also stops the gateway
echo "server: $REFSERVER_URL"
cat >"$work/policy.json" <<POLICY
{
  "version": 1,
  "test_roots": {
    "tdx": ["$REFSERVER_STATE/sgx_test_root.pem"],
    "nvidia": ["$REFSERVER_STATE/nvidia_test_root.pem"]
  }
}
POLICY

export VENICE_BASE_URL="$REFSERVER_URL"
export API_KEY_VENICE="$REFSERVER_API_KEY"
export P11TEE_MODULE="$softhsm_module"
export P11TEE_TOKEN="pkcs11:token=p11tee-demo?pin-source=file:$work/pin"
model=e2ee-qwen3-5-122b-a10b

say "p11tee models --e2ee"
"$p11tee" --policy "$work/policy.json" models --e2ee

say "p11tee attest $model"
"$p11tee" --policy "$work/policy.json" attest "$model"

say "p11tee chat -m $model (keys generated and used in the token)"
"$p11tee" --policy "$work/policy.json" chat -m "$model" \
    "Why should private keys stay inside a hardware token?"

say "p11tee serve: an OpenAI-compatible gateway on 127.0.0.1 (logs in $work/serve.log)"
"$p11tee" --policy "$work/policy.json" serve --listen 127.0.0.1:0 2>"$work/serve.log" &
gateway=$!
for _ in $(seq 200); do
    addr=$(sed -n 's/.*"event":"listening","message":"\([^"]*\)".*/\1/p' "$work/serve.log")
    [ -n "$addr" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/readyz")" = 200 ] && break
    sleep 0.05
done
echo "gateway: http://$addr/v1 (what an application's OpenAI SDK gets as base_url)"

say "curl http://$addr/v1/chat/completions (attested, E2EE, decrypted in the token)"
curl -sS -D "$work/headers" "http://$addr/v1/chat/completions" -H 'Content-Type: application/json' \
    -d "{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello through the gateway\"}]}"
echo
grep -i '^X-P11tee' "$work/headers"
kill "$gateway"
wait "$gateway" || true
gateway=

say "done"
cat <<'NEXT'
The same commands against the real API:

  export VENICE_BASE_URL=https://api.venice.ai/api/v1     # the default
  export API_KEY_VENICE=...                               # your key (or --api-key-file)
  export P11TEE_MODULE=/usr/lib/softhsm/libsofthsm2.so    # or your HSM vendor's module
  export P11TEE_TOKEN='pkcs11:token=YOUR-TOKEN?pin-source=file:/path/to/pin'
  p11tee models --e2ee
  p11tee attest e2ee-qwen3-5-122b-a10b
  p11tee chat -m e2ee-qwen3-5-122b-a10b "Hello"
  p11tee serve          # then point any OpenAI SDK at http://127.0.0.1:8788/v1

No --policy: the built-in strict policy trusts only the Intel SGX Root CA and the
NVIDIA Device Identity CA compiled into p11tee.
NEXT
