#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The loadable module p11tee.so through the openssl tool, configured by an
# openssl.cnf in the test's temp dir: it is listed with its algorithms, it
# derives the same secret as the default provider (and the derive really
# happens in the token), its private keys never leave the token, and
# configuration errors name their cause. Listing providers does not open
# the token (lazy initialisation).
. "${top_srcdir:?run through make check}/tests/lib/tap.sh"

[ -n "${OPENSSL:-}" ] && [ -x "$OPENSSL" ] || tap_skip_all "openssl not found (install the Debian package openssl)"
[ -n "${SOFTHSM_MODULE:-}" ] && [ -r "$SOFTHSM_MODULE" ] ||
    tap_skip_all "SoftHSMv2 module not found (install the Debian package softhsm2)"
module="${P11TEE_PROVIDER_DIR:?}/p11tee.so"
tap_tmpdir
t=$TAP_TMP

"$top_srcdir/tests/lib/mktoken.sh" "$t/tok" p11tee-tool 1234 5678 || exit $?
export SOFTHSM2_CONF="$t/tok/softhsm2.conf"
umask 077
printf '1234\n' >"$t/pin"
printf 'wr0ng-PIN-x7\n' >"$t/badpin"

# write_cnf NAME PKCS11-MODULE PIN-FILE
write_cnf() {
    cat >"$t/$1.cnf" <<EOF
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
p11tee = p11tee_sect
[default_sect]
activate = 1
[p11tee_sect]
module = $module
pkcs11-module = $2
pkcs11-token = pkcs11:token=p11tee-tool?pin-source=file:$3
activate = 1
EOF
}
write_cnf good "$SOFTHSM_MODULE" "$t/pin"
write_cnf badpin "$SOFTHSM_MODULE" "$t/badpin"
write_cnf nomodule "$t/no-such-module.so" "$t/pin"

# ossl CNF ARGS...: the openssl tool with CNF, output in $t/out and $t/err.
# The tool is not instrumented: in the sanitizer build it needs the ASan
# runtime preloaded to load the instrumented p11tee.so.
ossl() {
    cnf=$1
    shift
    if [ -n "${ASAN_RUNTIME:-}" ]; then
        env OPENSSL_CONF="$t/$cnf.cnf" LD_PRELOAD="$ASAN_RUNTIME" "$OPENSSL" "$@" >"$t/out" 2>"$t/err"
    else
        env OPENSSL_CONF="$t/$cnf.cnf" "$OPENSSL" "$@" >"$t/out" 2>"$t/err"
    fi
}

# The software side: the system configuration (default provider only).
sw() { env -u OPENSSL_CONF "$OPENSSL" "$@" 2>"$t/err"; }

has() { grep -qF -- "$2" "$t/$1"; }
diag() { cat "$t/out" "$t/err"; }

if [ -r "$module" ]; then tap_ok "p11tee.so is built"; else tap_fail "p11tee.so is built" "$module"; fi

if ossl good list -providers && has out "p11tee" && has out "name: p11tee PKCS#11 provider" &&
    has out "status: active"; then
    tap_ok "list -providers shows p11tee, active"
else
    tap_fail "list -providers shows p11tee, active" "$(diag)"
fi
if ossl good list -key-managers && has out "{ 1.2.840.10045.2.1, EC, id-ecPublicKey } @ p11tee"; then
    tap_ok "list -key-managers shows EC @ p11tee"
else
    tap_fail "list -key-managers shows EC @ p11tee" "$(diag)"
fi
if ossl good list -key-exchange-algorithms && has out "ECDH @ p11tee"; then
    tap_ok "list -key-exchange-algorithms shows ECDH @ p11tee"
else
    tap_fail "list -key-exchange-algorithms shows ECDH @ p11tee" "$(diag)"
fi

# Lazy initialisation: with a wrong PIN configured, listing still works and
# never logs in.
if P11TEE_PROV_DEBUG=1 ossl badpin list -providers && has out "p11tee" && ! has err "login"; then
    tap_ok "listing providers does not open the token"
else
    tap_fail "listing providers does not open the token" "$(diag)"
fi

# derive_check CURVE: both directions through the token equal the default provider.
derive_check() {
    c=$1
    sw genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$c" -out "$t/a.pem" &&
        sw genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$c" -out "$t/b.pem" &&
        sw pkey -in "$t/a.pem" -pubout -out "$t/a.pub.pem" &&
        sw pkey -in "$t/b.pem" -pubout -out "$t/b.pub.pem" &&
        sw pkeyutl -derive -inkey "$t/a.pem" -peerkey "$t/b.pub.pem" -out "$t/sw.bin" || return 1
    # '?provider=p11tee' prefers p11tee; a strict 'provider=p11tee' would also
    # apply to the file STORE loader, which only the default provider has.
    for dir in ab ba; do
        if [ $dir = ab ]; then k=a p=b; else k=b p=a; fi
        P11TEE_PROV_DEBUG=1 ossl good pkeyutl -derive -inkey "$t/$k.pem" -peerkey "$t/$p.pub.pem" \
            -propquery '?provider=p11tee' -out "$t/tok-$dir.bin" || return 1
        # The derive happened in the token (the debug trace of token.c), not in a fallback.
        has err "p11tee: C_DeriveKey($c)" || return 1
        cmp -s "$t/sw.bin" "$t/tok-$dir.bin" || return 1
    done
}
for c in secp256k1 prime256v1; do
    if derive_check $c; then
        tap_ok "pkeyutl -derive through the token equals the default provider ($c, both ways)"
    else
        tap_fail "pkeyutl -derive through the token equals the default provider ($c, both ways)" "$(diag)"
    fi
done

# With the wrong PIN no derive reaches the token, and the PIN is not shown.
if P11TEE_PROV_DEBUG=1 ossl badpin pkeyutl -derive -inkey "$t/a.pem" -peerkey "$t/b.pub.pem" \
    -propquery '?provider=p11tee' -out "$t/bad.bin"; [ -s "$t/err" ] &&
    has err 'login to token "p11tee-tool" (slot ' &&
    has err 'failed (C_Login: CKR_PIN_INCORRECT): check the PIN from the PIN file' &&
    ! has err "C_DeriveKey" && ! has err wr0ng-PIN-x7; then
    tap_ok "wrong PIN: login refused, no derive in the token, PIN not shown"
else
    tap_fail "wrong PIN: login refused, no derive in the token, PIN not shown" "$(diag)"
fi

# A key generated in the token cannot be written out: export refuses the private key.
if ! ossl good genpkey -propquery provider=p11tee -algorithm EC -pkeyopt group:secp256k1 \
    -out "$t/gen.pem" && has err "p11tee" && has err "private key cannot leave the token" &&
    ! grep -q "PRIVATE KEY" "$t/gen.pem" 2>/dev/null; then
    tap_ok "genpkey in the token: the private key is not exported"
else
    tap_fail "genpkey in the token: the private key is not exported" "$(diag)"
fi

# expect_error CNF REASON DESC ARGS...: the tool fails with the provider's reason.
expect_error() {
    cnf=$1 reason=$2 desc=$3
    shift 3
    if ! ossl "$cnf" "$@" && has err "p11tee" && has err "$reason" && ! has err wr0ng-PIN-x7; then
        tap_ok "$desc"
    else
        tap_fail "$desc" "$(diag)"
    fi
}
gen="genpkey -propquery provider=p11tee -algorithm EC -out $t/gen.pem -pkeyopt"
# shellcheck disable=SC2086
expect_error badpin "token PIN incorrect" "wrong PIN: genpkey fails with the provider's reason" \
    $gen group:secp256k1
# shellcheck disable=SC2086
expect_error nomodule "PKCS#11 module could not be loaded" "missing module: genpkey fails" \
    $gen group:secp256k1
# shellcheck disable=SC2086
expect_error good "curve not supported" "unsupported curve: genpkey fails" $gen group:sect163k1

# A PIN in openssl.cnf's token URI never reaches a message, however the URI spells it: an
# upper-case scheme is a URI (never a label echoed whole), and another spelling of
# pin-value (or any unknown word) is shown as ***.
# uri_cnf NAME URI: the good configuration with pkcs11-token = URI.
uri_cnf() {
    sed "s|^pkcs11-token = .*|pkcs11-token = $2|" "$t/good.cnf" >"$t/$1.cnf"
}
uri_cnf upper "PKCS11:token=no-such-token?pin-value=Zq8-cnf-PIN"
uri_cnf spelled "pkcs11:token=p11tee-tool?PIN-VALUE=Zq8-cnf-PIN"
# uri_error CNF REASON: genpkey fails with REASON, and the PIN is nowhere in the output.
uri_error() {
    # shellcheck disable=SC2086
    if ! ossl "$1" $gen group:secp256k1 && has err "p11tee" && has err "$2" &&
        ! has err Zq8-cnf-PIN && ! has out Zq8-cnf-PIN; then
        tap_ok "openssl.cnf token URI ($1): genpkey fails ($2) without showing the PIN"
    else
        tap_fail "openssl.cnf token URI ($1): genpkey fails ($2) without showing the PIN" "$(diag)"
    fi
}
uri_error upper 'no initialised token matches PKCS11:token=no-such-token?pin-value=***'
uri_error spelled "an unknown attribute (its name is not shown"


tap_done
