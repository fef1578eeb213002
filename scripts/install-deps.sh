#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Install what p11tee needs to build, test and run its demo on Debian 12.
# Idempotent: only packages that are not installed yet are fetched, and
# `apt-get update` runs only when something is missing.
set -euo pipefail

packages=(
    # toolchain and autotools
    build-essential autoconf automake libtool pkg-config
    # libraries the code links against (the gateway: libmicrohttpd, libsystemd for sd_notify)
    libssl-dev libp11-kit-dev libcurl4-openssl-dev libjson-c-dev libsecp256k1-dev
    libmicrohttpd-dev libsystemd-dev
    # tests: unit framework, throwaway tokens, a second PKCS#11 client, memcheck
    libcmocka-dev softhsm2 opensc valgrind
    # tokens through p11-kit: p11-kit-proxy.so, p11-kit-client.so and `p11-kit server`
    p11-kit p11-kit-modules
    # the openssl tool (provider tests) and TLS roots for the real API
    openssl ca-certificates
    # the reference server: Debian's Python with the cryptography package
    python3 python3-cryptography
    # procps gives `ps` to tests; time (/usr/bin/time) measures CPU in `make bench`
    procps time
    # the format check of scripts/check.sh and tests/lint/format.sh
    clang-format
    # the fuzz harnesses under libFuzzer (--enable-fuzzing, make fuzz); gdb's gcore for the
    # test that a core of p11tee holds neither the API key nor the PIN
    clang gdb
    # the completions test runs zsh's completion; scripts/package-deb.sh builds .deb files
    zsh debhelper dpkg-dev
    # the gateway's tests: curl, two instances behind HAProxy, the OpenAI Node SDK
    # (installed by the test into the build tree with npm)
    curl haproxy nodejs
)
# A Node.js from elsewhere (NodeSource) brings its own npm; Debian's would conflict with it.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2
        exit 1
    fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
