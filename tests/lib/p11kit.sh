# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Shell fixture: a token in another process, as enterprises run it.
#
#   . "$top_srcdir/tests/lib/p11kit.sh"
#   p11kit_require                 skip the whole test (exit 77) without p11-kit
#   p11kit_server_start LABEL      `p11-kit server` exporting the SoftHSM token LABEL
#                                  ($SOFTHSM2_CONF, $SOFTHSM_MODULE) on a unix socket in
#                                  $TAP_TMP; exports P11_KIT_SERVER_ADDRESS for clients
#   p11kit_server_stop             stop it (idempotent)
#
# The server stops by itself after P11KIT_LIFETIME seconds (default 300); a
# test's EXIT trap should call p11kit_server_stop. P11KIT_CLIENT_MODULE is
# p11-kit-client.so. make check exports P11KIT, P11KIT_PROXY_MODULE,
# P11KIT_MODULE_PATH, P11KIT_VERSION and P11KIT_CARRIES_ECDH (1 from p11-kit
# 0.25 on, which passes ECDH parameters between client and server).

P11KIT_CLIENT_MODULE="${P11KIT_MODULE_PATH:-}/p11-kit-client.so"

p11kit_require() {
    [ -n "${P11KIT:-}" ] && [ -x "$P11KIT" ] ||
        tap_skip_all "the p11-kit tool is not installed (Debian package p11-kit)"
    [ -r "${P11KIT_PROXY_MODULE:-}" ] && [ -r "$P11KIT_CLIENT_MODULE" ] ||
        tap_skip_all "p11-kit-proxy.so or p11-kit-client.so missing (Debian package p11-kit-modules)"
}

p11kit_server_start() {
    p11kit__sock="$TAP_SOCK/p11kit.sock"
    timeout "${P11KIT_LIFETIME:-300}" "$P11KIT" server -f -n "$p11kit__sock" \
        --provider "$SOFTHSM_MODULE" "pkcs11:token=$1" >"$TAP_TMP/p11kit.log" 2>&1 &
    P11KIT_SERVER_PID=$!
    p11kit__i=0
    while [ ! -S "$p11kit__sock" ]; do
        if ! kill -0 "$P11KIT_SERVER_PID" 2>/dev/null || [ "$p11kit__i" -ge 200 ]; then
            echo "p11kit_server_start: p11-kit server did not start:" >&2
            cat "$TAP_TMP/p11kit.log" >&2
            p11kit_server_stop
            return 1
        fi
        sleep 0.05
        p11kit__i=$((p11kit__i + 1))
    done
    export P11_KIT_SERVER_ADDRESS="unix:path=$p11kit__sock"
}

p11kit_server_stop() {
    if [ -n "${P11KIT_SERVER_PID:-}" ]; then
        kill "$P11KIT_SERVER_PID" 2>/dev/null
        wait "$P11KIT_SERVER_PID" 2>/dev/null || true
        P11KIT_SERVER_PID=
    fi
    unset P11_KIT_SERVER_ADDRESS
}
