#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# mktoken.sh DIR LABEL PIN SO-PIN
# Create a throwaway SoftHSMv2 token under DIR (DIR/softhsm2.conf and
# DIR/tokens). Use it with SOFTHSM2_CONF=DIR/softhsm2.conf; rm -rf DIR
# destroys it. Never touches a system token.
set -eu
if [ $# -ne 4 ]; then
    echo "usage: mktoken.sh DIR LABEL PIN SO-PIN" >&2
    exit 2
fi
dir=$1 label=$2 pin=$3 so_pin=$4
util=${SOFTHSM2_UTIL:-softhsm2-util}
if ! command -v "$util" >/dev/null 2>&1; then
    echo "softhsm2-util not found (install the Debian package softhsm2)" >&2
    exit 77
fi
mkdir -p "$dir/tokens"
cat >"$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
SOFTHSM2_CONF="$dir/softhsm2.conf" "$util" --init-token --free --label "$label" \
    --pin "$pin" --so-pin "$so_pin" >/dev/null
