#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# seeds.sh DIR: make the generated seed corpus (tests/fuzz/seeds.py, the
# reference server's builders, plus the real vectors of $P11TEE_VECTORS when
# present) in DIR, unless DIR is newer than every file it is made from.
# Exit 0 with DIR made or current; 77 when $PYTHON3 lacks cryptography (DIR
# is then left as it was), with the reason on stderr.
set -u
dir=$1
src="${top_srcdir:?}"
py="${PYTHON3:-/usr/bin/python3}"
vectors="${P11TEE_VECTORS:-}"

if ! "$py" -c 'import cryptography' >/dev/null 2>&1; then
    echo "seeds.sh: $py cannot import cryptography: no generated seeds (install python3-cryptography)" >&2
    exit 77
fi
stamp="$dir/.stamp"
if [ -f "$stamp" ]; then
    newer=$(find "$src/tests/fuzz/seeds.py" "$src/tests/server" -name '*.py' -newer "$stamp" 2>/dev/null | head -n 1)
    [ -z "$newer" ] && [ "$(cat "$stamp")" = "vectors=$vectors" ] && exit 0
fi
rm -rf "$dir.tmp" && mkdir -p "$dir.tmp" || exit 1
if [ -n "$vectors" ] && [ -d "$vectors" ]; then
    "$py" "$src/tests/fuzz/seeds.py" --out "$dir.tmp" --vectors "$vectors" >&2 || exit 1
else
    "$py" "$src/tests/fuzz/seeds.py" --out "$dir.tmp" >&2 || exit 1
fi
echo "vectors=$vectors" >"$dir.tmp/.stamp"
rm -rf "$dir" && mv "$dir.tmp" "$dir"
