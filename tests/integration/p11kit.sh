#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The E2EE chat with the token reached through p11-kit: p11-kit-proxy.so
# (by path, by module-path= and module-name= in the token URI), and a token
# in another process, exported by `p11-kit server` on a unix socket and
# loaded through p11-kit-client.so, so that p11tee never maps the token
# library (its /proc/PID/maps read while it waits at the PIN prompt).
#
# p11-kit passes ECDH parameters between client and server from 0.25 on;
# with an older one (Debian 12 has 0.24.1) the chat through p11-kit-client
# must stop at the first ECDH with an error that says so, and nothing may
# reach the model.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/lib/p11kit.sh"
it_setup
p11kit_require
trap 'p11kit_server_stop; refserver_stop; tap_tmp_remove' EXIT
P="--policy $IT_POLICY"
py=${PYTHON3:-/usr/bin/python3}
PIN_SRC="pin-source=file:$TAP_TMP/pin"
chats_before=$(it_stat chat_requests_reached_model)

# chat_ok DESC: the last run answered the prompt PROMPT ($2) over E2EE.
chat_ok() {
    it_check_rc "$1" 0
    it_check_out "... the decrypted answer" "$(it_answer "$2")"
    it_check_grep "... verified and end-to-end encrypted" "$IT_ERR" "(end-to-end encrypted, keys in the token)"
}

# ---- p11-kit-proxy.so -----------------------------------------------------------------
P11TEE_MODULE=$P11KIT_PROXY_MODULE it_run $P chat -m "$E2EE_MODEL" "through the proxy"
chat_ok "e2ee chat through p11-kit-proxy.so (--module)" "through the proxy"

env -u P11TEE_MODULE P11TEE_TOKEN="pkcs11:token=it-token;module-path=$P11KIT_PROXY_MODULE?$PIN_SRC" \
    "$top_builddir/p11tee" $P chat -m "$E2EE_MODEL" "module-path in the URI" \
    </dev/null >"$IT_OUT" 2>"$IT_ERR" && IT_RC=0 || IT_RC=$?
chat_ok "e2ee chat through the proxy named by module-path= in the token URI" "module-path in the URI"

P11TEE_MODULE=$P11KIT_PROXY_MODULE it_run token check --seconds 0
it_check_rc "token check through the proxy" 0
it_check_grep "... names the proxy module" "$IT_OUT" \
    "^module *pass *$P11KIT_PROXY_MODULE: PKCS#11 Kit Proxy Module"

if [ -r "$P11KIT_MODULE_CONFIGS/softhsm2.module" ]; then
    env -u P11TEE_MODULE P11TEE_TOKEN="pkcs11:token=it-token;module-name=softhsm2?$PIN_SRC" \
        "$top_builddir/p11tee" $P chat -m "$E2EE_MODEL" "module-name in the URI" \
        </dev/null >"$IT_OUT" 2>"$IT_ERR" && IT_RC=0 || IT_RC=$?
    chat_ok "module-name=softhsm2: p11-kit's module configuration names the file" \
        "module-name in the URI"
else
    tap_skip "module-name=softhsm2" "no $P11KIT_MODULE_CONFIGS/softhsm2.module"
fi

P11TEE_MODULE=$P11KIT_PROXY_MODULE P11TEE_TOKEN="pkcs11:token=it-token;module-path=$SOFTHSM_MODULE?$PIN_SRC" \
    it_run token check
it_check_rc "--module and module-path= naming two modules: configuration error" 1
it_check_grep "... says which" "$IT_ERR" \
    "error: P11TEE_MODULE $P11KIT_PROXY_MODULE and module-path=$SOFTHSM_MODULE in P11TEE_TOKEN name different modules: keep one"

# ---- a token in another process: p11-kit server + p11-kit-client.so ---------------------------
p11kit_server_start it-token || { echo "p11-kit server did not start" >&2; exit 99; }
CLIENT_URI="pkcs11:token=it-token;module-name=p11-kit-client"

env -u P11TEE_MODULE P11TEE_TOKEN="$CLIENT_URI" "$py" "$top_srcdir/tests/integration/pty_run.py" \
    --pin "$IT_PIN" --maps "$TAP_TMP/maps" "$TAP_TMP/tty" -- \
    "$top_builddir/p11tee" token check --seconds 0 && IT_RC=0 || IT_RC=$?
it_check_grep "p11-kit-client.so is mapped in the p11tee process" "$TAP_TMP/maps" "/p11-kit-client.so"
it_check_no_grep "... and the token library is not" "$TAP_TMP/maps" "softhsm"
it_check_grep "... which found the token through the server" "$TAP_TMP/tty" \
    'PIN for token "it-token" (slot [0-9]*, serial [0-9a-f]*, model SoftHSM v2): '
it_check_grep "... logged in through it" "$TAP_TMP/tty" "^login *pass *logged in with the PIN from the prompt"
it_check_grep "... and made a key there, attributes read back" "$TAP_TMP/tty" \
    "^keygen *pass *secp256k1 session key, read back: CKA_TOKEN=FALSE CKA_PRIVATE=TRUE CKA_SENSITIVE=TRUE"

P11TEE_MODULE= P11TEE_TOKEN="$CLIENT_URI?$PIN_SRC" it_run $P chat -m "$E2EE_MODEL" "through p11-kit server"
if [ "${P11KIT_CARRIES_ECDH:-0}" = 1 ]; then
    chat_ok "e2ee chat through p11-kit-client.so and p11-kit server" "through p11-kit server"
    it_check_eq "the prompts reached the model" "$(it_stat chat_requests_reached_model)" \
        "$((chats_before + 4))"
else
    it_check_rc "p11-kit $P11KIT_VERSION: the chat through p11-kit-client stops: token exit code" 7
    it_check_grep "... at the first ECDH, saying why" "$IT_ERR" \
        "the module does not offer ECDH (CKM_ECDH1_DERIVE) on this token (p11-kit before 0.25 cannot carry ECDH between p11-kit-client and p11-kit server)"
    it_check_eq "... and no prompt reached the model" "$(it_stat chat_requests_reached_model)" \
        "$((chats_before + 3))"
    tap_skip "e2ee chat through p11-kit-client.so and p11-kit server" \
        "p11-kit $P11KIT_VERSION cannot carry CKM_ECDH1_DERIVE between client and server (0.25 can)"
fi
p11kit_server_stop

tap_done
