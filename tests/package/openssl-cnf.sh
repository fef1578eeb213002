#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# README.md's openssl.cnf, exactly as printed there, with only its three
# placeholders (the installed module's path, the PKCS#11 module, the token
# URI) pointed at the build and a throwaway SoftHSM token: `openssl list
# -providers` shows p11tee and the default provider active, a derive
# through it happens in the token (so the pkcs11-* lines work, not only the
# listing, which never opens the token), and without the `module` line
# OpenSSL finds p11tee.so by its section name in its modules directory, as
# the README says.
. "${top_srcdir:?run through make check}/tests/lib/tap.sh"

[ -n "${OPENSSL:-}" ] && [ -x "$OPENSSL" ] || tap_skip_all "openssl not found (install the Debian package openssl)"
[ -n "${SOFTHSM_MODULE:-}" ] && [ -r "$SOFTHSM_MODULE" ] ||
    tap_skip_all "SoftHSMv2 module not found (install the Debian package softhsm2)"
moddir="${P11TEE_PROVIDER_DIR:?}"
tap_tmpdir
t=$TAP_TMP

# The fenced ini block of README.md that configures p11tee_sect.
awk '/^```ini$/ { on = 1; n = 0; next }
     on && /^```$/ { on = 0; if (keep) { for (i = 1; i <= n; i++) print b[i]; exit } next }
     on { b[++n] = $0; if ($0 == "[p11tee_sect]") keep = 1 }' "$top_srcdir/README.md" >"$t/readme.cnf"
if [ -s "$t/readme.cnf" ]; then
    tap_ok "README.md has an openssl.cnf block with [p11tee_sect]"
else
    tap_fail "README.md has an openssl.cnf block with [p11tee_sect]"
    tap_done
fi

# Every part a working file needs is there, in the README's own text.
missing=""
for line in 'openssl_conf = openssl_init' '[openssl_init]' 'providers = provider_sect' \
    '[provider_sect]' 'default = default_sect' 'p11tee = p11tee_sect' '[default_sect]' \
    '[p11tee_sect]' 'activate = 1'; do
    grep -qxF -- "$line" "$t/readme.cnf" || missing="$missing '$line'"
done
if [ -z "$missing" ]; then
    tap_ok "the block is a whole file: openssl_conf, providers, default and p11tee sections"
else
    tap_fail "the block is a whole file: openssl_conf, providers, default and p11tee sections" "missing:$missing"
fi

"$top_srcdir/tests/lib/mktoken.sh" "$t/tok" readme-token 1234 5678 || exit $?
export SOFTHSM2_CONF="$t/tok/softhsm2.conf"
umask 077
printf '1234\n' >"$t/pin"

# The placeholders, each exactly once, replaced; nothing else changes.
ph_module='module = /usr/local/lib/ossl-modules/p11tee.so'
ph_pkcs11='pkcs11-module = /usr/lib/softhsm/libsofthsm2.so'
ph_token='pkcs11-token = pkcs11:token=YOUR-TOKEN?pin-source=file:/path/to/pin'
bad=""
for ph in "$ph_module" "$ph_pkcs11" "$ph_token"; do
    [ "$(grep -cxF -- "$ph" "$t/readme.cnf")" = 1 ] || bad="$bad '$ph'"
done
if [ -z "$bad" ]; then
    tap_ok "the block's placeholders are the documented ones"
else
    tap_fail "the block's placeholders are the documented ones" "not found once:$bad"
    tap_done
fi
awk -v m="$ph_module" -v p="$ph_pkcs11" -v k="$ph_token" \
    -v M="module = $moddir/p11tee.so" -v P="pkcs11-module = $SOFTHSM_MODULE" \
    -v K="pkcs11-token = pkcs11:token=readme-token?pin-source=file:$t/pin" '
    $0 == m { print M; next } $0 == p { print P; next } $0 == k { print K; next } { print }' \
    "$t/readme.cnf" >"$t/p11tee.cnf"
grep -v '^module = ' "$t/p11tee.cnf" >"$t/nomodule.cnf"

# ossl CNF ARGS...: the openssl tool with CNF (the ASan runtime preloaded in
# the sanitizer build, whose p11tee.so is instrumented); $t/out, $t/err.
ossl() {
    cnf=$1
    shift
    env ${ASAN_RUNTIME:+LD_PRELOAD="$ASAN_RUNTIME"} OPENSSL_CONF="$t/$cnf" "$OPENSSL" "$@" >"$t/out" 2>"$t/err"
}
diag() { cat "$t/out" "$t/err"; }
listed() {
    awk '/^  [a-z]/ { p = $1 } /status: active/ { print p }' "$t/out" | sort | tr '\n' ' '
}

if ossl p11tee.cnf list -providers && [ "$(listed)" = "default p11tee " ] &&
    grep -q 'name: p11tee PKCS#11 provider' "$t/out"; then
    tap_ok "openssl list -providers with the README's file: p11tee and default, both active"
else
    tap_fail "openssl list -providers with the README's file: p11tee and default, both active" "$(diag)"
fi

# A derive through the file's provider reaches the token and agrees with
# the default provider.
sw() { env -u OPENSSL_CONF "$OPENSSL" "$@" 2>"$t/err"; }
if sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out "$t/a.pem" &&
    sw genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out "$t/b.pem" &&
    sw pkey -in "$t/b.pem" -pubout -out "$t/b.pub.pem" &&
    sw pkeyutl -derive -inkey "$t/a.pem" -peerkey "$t/b.pub.pem" -out "$t/sw.bin" &&
    P11TEE_PROV_DEBUG=1 ossl p11tee.cnf pkeyutl -derive -inkey "$t/a.pem" -peerkey "$t/b.pub.pem" \
        -propquery '?provider=p11tee' -out "$t/tok.bin" &&
    grep -q 'p11tee: C_DeriveKey(secp256k1)' "$t/err" && cmp -s "$t/sw.bin" "$t/tok.bin"; then
    tap_ok "a derive with the README's file runs in the token and equals the default provider's"
else
    tap_fail "a derive with the README's file runs in the token and equals the default provider's" "$(diag)"
fi

if OPENSSL_MODULES=$moddir ossl nomodule.cnf list -providers && [ "$(listed)" = "default p11tee " ]; then
    tap_ok "without the module line OpenSSL finds p11tee.so in its modules directory"
else
    tap_fail "without the module line OpenSSL finds p11tee.so in its modules directory" "$(diag)"
fi
tap_done
