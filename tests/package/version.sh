#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The version is configure.ac's everywhere it is written by hand: the header
# of every man page under docs/ and the newest entry of NEWS. (p11tee
# --version, libp11tee.pc, the provider and debian/changelog take it from
# configure.)
. "${top_srcdir:?run through make check}/tests/lib/tap.sh"

version=$(sed -n 's/^PACKAGE_VERSION = //p' "${top_builddir:?}/Makefile")
[ -n "$version" ] || tap_skip_all "no PACKAGE_VERSION in $top_builddir/Makefile"

n=0
for page in "$top_srcdir"/docs/*.[1-9]; do
    [ -f "$page" ] || continue
    n=$((n + 1))
    th=$(grep -m1 '^\.TH ' "$page")
    case $th in
    *"\"p11tee $version\""*) tap_ok "${page#"$top_srcdir"/}: .TH names p11tee $version" ;;
    *) tap_fail "${page#"$top_srcdir"/}: .TH names p11tee $version" "$th" ;;
    esac
done
[ "$n" -gt 0 ] || tap_fail "man pages found under docs/"

news=$(grep -m1 '^\* Noteworthy changes in release ' "$top_srcdir/NEWS")
case $news in
"* Noteworthy changes in release $version "*) tap_ok "NEWS: the newest entry is release $version" ;;
*) tap_fail "NEWS: the newest entry is release $version" "$news" ;;
esac
tap_done
