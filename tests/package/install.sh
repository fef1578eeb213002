#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# `make install` respects --prefix for everything, the provider module and
# the completions included, and cmocka is needed for `make check` only. A
# fresh tree is configured with a prefix of its own and cmocka hidden from
# pkg-config, built, and installed into a DESTDIR: every file lands under
# DESTDIR/PREFIX, the installed p11tee runs and links the installed
# library, the installed p11tee.so loads in the openssl tool, `make check`
# stops at once saying what to install, and `make uninstall` removes all.
# It builds its own uninstrumented tree, so it runs in the normal build only.
. "${top_srcdir:?run through make check}/tests/lib/tap.sh"

[ -z "${ASAN_RUNTIME:-}" ] ||
    tap_skip_all "the install test builds its own tree: it runs in the normal (not the sanitizer) build"
[ -x "$top_srcdir/configure" ] || tap_skip_all "$top_srcdir/configure missing (run autogen.sh)"
[ ! -f "$top_srcdir/config.status" ] ||
    tap_skip_all "the source tree is configured in place: a second build cannot share it"
tap_tmpdir
t=$TAP_TMP
prefix=/opt/p11tee-test
root=$t/root
# The test's make runs alone, not in the job server of the make that runs it.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEFILES

# pkg-config sees every installed .pc file but cmocka's.
mkdir "$t/pc" "$t/build"
for d in $(pkg-config --variable pc_path pkg-config | tr ':' ' '); do
    [ -d "$d" ] || continue
    for f in "$d"/*.pc; do
        [ -e "$f" ] || continue
        case ${f##*/} in cmocka.pc) continue ;; esac
        [ -e "$t/pc/${f##*/}" ] || ln -s "$f" "$t/pc/${f##*/}"
    done
done

in_build() { (cd "$t/build" && "$@"); }

if in_build env PKG_CONFIG_LIBDIR="$t/pc" "$top_srcdir/configure" --prefix="$prefix" \
    >"$t/configure.out" 2>&1; then
    tap_ok "configure --prefix=$prefix succeeds without cmocka"
else
    tap_fail "configure --prefix=$prefix succeeds without cmocka" "$(tail -n 20 "$t/configure.out")"
    tap_done
fi
if grep -q 'make check needs it (install the Debian package libcmocka-dev' "$t/configure.out" &&
    grep -q 'tests: *make check needs cmocka' "$t/configure.out"; then
    tap_ok "configure says that make check needs cmocka"
else
    tap_fail "configure says that make check needs cmocka" "$(tail -n 20 "$t/configure.out")"
fi
if grep -q "provider modulesdir: $prefix/lib/ossl-modules\$" "$t/configure.out"; then
    tap_ok "configure's summary: the provider goes under the prefix"
else
    tap_fail "configure's summary: the provider goes under the prefix" "$(grep -A1 modulesdir "$t/configure.out")"
fi

if in_build make -j2 >"$t/make.out" 2>&1 && in_build make install DESTDIR="$root" >"$t/install.out" 2>&1; then
    tap_ok "make && make install DESTDIR=... without cmocka"
else
    tap_fail "make && make install DESTDIR=... without cmocka" "$(tail -n 20 "$t/make.out" "$t/install.out")"
    tap_done
fi

(cd "$root" && find . ! -type d | sed 's|^\./|/|' | sort) >"$t/landed"
echo "# installed into DESTDIR:"
sed 's/^/#   /' "$t/landed"
outside=$(grep -v "^$prefix/" "$t/landed")
if [ -z "$outside" ] && [ -s "$t/landed" ]; then
    tap_ok "every installed file is under $prefix"
else
    tap_fail "every installed file is under $prefix" "outside: $outside"
fi
missing=""
for f in bin/p11tee lib/libp11tee.so include/p11tee/p11tee.h include/p11tee/error.h \
    lib/pkgconfig/libp11tee.pc lib/ossl-modules/p11tee.so share/man/man1/p11tee.1 \
    share/bash-completion/completions/p11tee share/zsh/site-functions/_p11tee; do
    grep -qx "$prefix/$f" "$t/landed" || missing="$missing $f"
done
if [ -z "$missing" ]; then
    tap_ok "the program, library, headers, pkg-config file, provider, man page and completions are installed"
else
    tap_fail "the program, library, headers, pkg-config file, provider, man page and completions are installed" \
        "missing:$missing"
fi

if grep -q '/ossl-modules/.*\.la$' "$t/landed"; then
    tap_fail "the provider module goes alone into the modules directory" "$(grep '/ossl-modules/' "$t/landed")"
else
    tap_ok "the provider module goes alone into the modules directory"
fi

inst=$root$prefix
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$t/build/Makefile")
out=$(LD_LIBRARY_PATH="$inst/lib" "$inst/bin/p11tee" --version 2>&1)
lib=$(LD_LIBRARY_PATH="$inst/lib" ldd "$inst/bin/p11tee" 2>&1 | awk '$1 ~ /^libp11tee\.so/ { print $3 }')
if [ "$out" = "p11tee $version" ] && [ "$lib" = "$inst/lib/${lib##*/}" ]; then
    tap_ok "the installed p11tee runs and links the installed libp11tee ($out)"
else
    tap_fail "the installed p11tee runs and links the installed libp11tee" "version: $out; libp11tee: $lib"
fi
pc="$(PKG_CONFIG_LIBDIR="$inst/lib/pkgconfig" pkg-config --modversion libp11tee 2>&1) \
$(PKG_CONFIG_LIBDIR="$inst/lib/pkgconfig" pkg-config --variable=libdir libp11tee 2>&1)"
if [ "$pc" = "$version $prefix/lib" ]; then
    tap_ok "the installed libp11tee.pc names the version and the prefix"
else
    tap_fail "the installed libp11tee.pc names the version and the prefix" "$pc"
fi

if [ -n "${OPENSSL:-}" ] && [ -x "$OPENSSL" ]; then
    if env -u OPENSSL_CONF "$OPENSSL" list -providers -provider-path "$inst/lib/ossl-modules" \
        -provider p11tee >"$t/ossl.out" 2>&1 && grep -q 'name: p11tee PKCS#11 provider' "$t/ossl.out" &&
        grep -q 'status: active' "$t/ossl.out"; then
        tap_ok "openssl loads the installed p11tee.so by name from its directory"
    else
        tap_fail "openssl loads the installed p11tee.so by name from its directory" "$(cat "$t/ossl.out")"
    fi
else
    tap_skip "openssl loads the installed p11tee.so" "openssl not found (Debian package openssl)"
fi

if in_build make -j2 check >"$t/check.out" 2>&1; then
    tap_fail "make check without cmocka stops" "it ran: $(tail -n 5 "$t/check.out")"
elif grep -q '^make check needs cmocka: install the Debian package libcmocka-dev' "$t/check.out" &&
    [ ! -e "$t/build/test-suite.log" ] && [ ! -e "$t/build/libtestlib.la" ]; then
    tap_ok "make check without cmocka stops before building a test, saying what to install"
else
    tap_fail "make check without cmocka stops before building a test, saying what to install" \
        "$(tail -n 10 "$t/check.out")"
fi

in_build make uninstall DESTDIR="$root" >"$t/uninstall.out" 2>&1
left=$(cd "$root" && find . ! -type d)
if [ -z "$left" ]; then
    tap_ok "make uninstall removes every installed file"
else
    tap_fail "make uninstall removes every installed file" "left: $left"
fi
tap_done
