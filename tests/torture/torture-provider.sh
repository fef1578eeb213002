#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Allocation torture of the loadable provider p11tee.so: a throwaway token
# and an openssl.cnf that loads p11tee.so on it, then
# tests/torture/test_torture_provider fails each allocation of the
# provider's use in turn (tests/torture/torture.h).
. "${top_srcdir:?run through make check}/tests/lib/tap.sh"
[ -n "${SOFTHSM_MODULE:-}" ] && [ -r "$SOFTHSM_MODULE" ] ||
    tap_skip_all "SoftHSMv2 module not found (install the Debian package softhsm2)"
tap_tmpdir
t=$TAP_TMP
"$top_srcdir/tests/lib/mktoken.sh" "$t/tok" p11tee-torture 1234 5678 || exit $?
export SOFTHSM2_CONF="$t/tok/softhsm2.conf"
umask 077
printf '1234\n' >"$t/pin"
cat >"$t/openssl.cnf" <<CNF
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
p11tee = p11tee_sect
[default_sect]
activate = 1
[p11tee_sect]
module = ${P11TEE_PROVIDER_DIR:?}/p11tee.so
pkcs11-module = $SOFTHSM_MODULE
pkcs11-token = pkcs11:token=p11tee-torture?pin-source=file:$t/pin
activate = 1
CNF
exec "$top_builddir/tests/torture/test_torture_provider" "$t/openssl.cnf" \
    "$P11TEE_PROVIDER_DIR/p11tee.so"
