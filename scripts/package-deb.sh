#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# scripts/package-deb.sh [OUTDIR]
# Build p11tee's Debian packages (p11tee, libp11tee0, libp11tee-dev) from
# debian/ with dpkg-buildpackage, in a scratch copy of the tree (the tree
# itself is left as it is), and put the .deb files into OUTDIR (default
# _build/deb). The version is configure.ac's: debian/changelog is written
# from it here, so it is named once. The tests are not run (the nocheck
# build profile; scripts/check.sh runs them in its own builds) unless
# P11TEE_DEB_CHECK=1. Needs debhelper and dpkg-dev (scripts/install-deps.sh).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/_build/deb}
start=$(date +%s)

die() {
    echo "package-deb: $*" >&2
    exit 1
}

for tool in dpkg-buildpackage dh; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "$tool not found: install debhelper and dpkg-dev (scripts/install-deps.sh)"
done
version=$(sed -n 's/^AC_INIT(\[p11tee\], \[\([^]]*\)\].*/\1/p' "$top/configure.ac")
[ -n "$version" ] || die "no version in configure.ac's AC_INIT"
maintainer=$(sed -n 's/^Maintainer: *//p' "$top/debian/control")
[ -n "$maintainer" ] || die "no Maintainer in debian/control"

work=$(mktemp -d "${TMPDIR:-/tmp}/p11tee-deb.XXXXXX")
trap '[ -n "${P11TEE_DEB_KEEP:-}" ] || rm -rf "$work"' EXIT
src=$work/p11tee-$version
mkdir "$src"

# The tree's files: in a git checkout the tracked ones and the new ones not
# ignored (never build output), else everything but build trees.
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$top" && git ls-files -z --cached --others --exclude-standard) |
        while IFS= read -r -d '' f; do
            [ -e "$top/$f" ] && printf '%s\0' "$f"
        done | (cd "$top" && tar --null -T - -cf -) | tar -xf - -C "$src"
    stamp=$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)
else
    (cd "$top" && tar --exclude='./_build*' -cf - .) | tar -xf - -C "$src"
    stamp=$(date +%s)
fi

cat >"$src/debian/changelog" <<EOF
p11tee ($version-1) unstable; urgency=medium

  * Upstream release $version (see NEWS).

 -- $maintainer  $(date -R -u -d "@$stamp")
EOF
mkdir -p "$src/debian/source"
echo "3.0 (quilt)" >"$src/debian/source/format"

profile=(-Pnocheck)
options="nocheck"
if [ "${P11TEE_DEB_CHECK:-0}" = 1 ]; then
    profile=()
    options=""
fi
jobs=$(nproc 2>/dev/null || echo 2)
echo "package-deb: building p11tee $version-1 in $src"
if ! (cd "$src" && DEB_BUILD_OPTIONS="$options parallel=$jobs" \
    dpkg-buildpackage -b -us -uc "${profile[@]}") >"$work/build.log" 2>&1; then
    tail -n 40 "$work/build.log" >&2
    die "dpkg-buildpackage failed (the lines above end its log)"
fi

mkdir -p "$out"
rm -f "$out"/*.deb
cp "$work"/*.deb "$out"/
for deb in "$out"/*.deb; do
    echo "package-deb: ${deb#"$top"/} ($(du -k "$deb" | cut -f1) kB)"
done
echo "package-deb: done in $(($(date +%s) - start)) s"
