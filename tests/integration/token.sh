#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# p11tee and the token as a user meets it: `p11tee token check` (text, JSON,
# exit codes), the PIN typed at a terminal (a pty) without echo, the error
# without a terminal, the token flags (locked, final try, count low, PIN
# pad; faultmod.so fakes what SoftHSM does not report), and errors that
# name the token and the settings in the user's words.
. "$top_srcdir/tests/integration/lib.sh"
it_setup
P="--policy $IT_POLICY"
py=${PYTHON3:-/usr/bin/python3}
faultmod="$top_builddir/tests/provider/.libs/faultmod.so"
ptyrun() { "$py" "$top_srcdir/tests/integration/pty_run.py" "$@"; }
NOPIN="pkcs11:token=it-token"

# ---- token check ----------------------------------------------------------------
it_run token --help
it_check_rc "token --help exits 0" 0
it_check_grep "token --help lists its subcommand" "$IT_OUT" "^  check  "
it_run token check --help
it_check_rc "token check --help exits 0" 0
it_check_grep "token check --help shows its usage" "$IT_OUT" "Usage: p11tee token check"
it_run token
it_check_rc "token without a subcommand: usage error" 2
it_run token check --seconds x
it_check_rc "token check --seconds x: usage error" 2

it_run token check
it_check_rc "token check" 0
for step in module token login keygen ecdh rate; do
    it_check_grep "token check: $step passes" "$IT_OUT" "^$step *pass "
done
it_check_grep "... names the token, slot, serial and model" "$IT_OUT" \
    '^token *pass *token "it-token" (slot [0-9]*, serial [0-9a-f]*, model SoftHSM v2,'
it_check_grep "... reads the key's attributes back" "$IT_OUT" \
    "read back: CKA_TOKEN=FALSE CKA_PRIVATE=TRUE CKA_SENSITIVE=TRUE CKA_EXTRACTABLE=FALSE CKA_DERIVE=TRUE CKA_SIGN=FALSE CKA_ALWAYS_SENSITIVE=TRUE CKA_NEVER_EXTRACTABLE=TRUE CKA_VALUE=unreadable"
it_check_grep "... compares ECDH with software" "$IT_OUT" "equal to software ECDH"
it_check_grep "... measures 1, 2 and 4 sessions" "$IT_OUT" \
    "1 session: [0-9]* ECDH/s (.*); 2 sessions: [0-9]* ECDH/s (.*); 4 sessions: [0-9]* ECDH/s"
it_check_grep "... and gives the verdict in streams" "$IT_OUT" \
    "^verdict: this token sustains about [0-9]* concurrent streams\{0,1\} at 50 chunks/s$"

it_run token check --json --seconds 0.2
it_check_rc "token check --json" 0
it_check_eq "... JSON with every step passed, three rates and the verdict" "$("$py" -c '
import json, re, sys
r = json.load(open(sys.argv[1]))
ok = (r["ok"] is True and [s["result"] for s in r["steps"]] == ["pass"] * 6
      and [s["name"] for s in r["steps"]] == ["module", "token", "login", "keygen", "ecdh", "rate"]
      and [x["sessions"] for x in r["rates"]] == [1, 2, 4]
      and all(x["derives"] > 0 and x["per_second"] > 0 for x in r["rates"])
      and r["token"]["label"] == "it-token" and r["token"]["model"] == "SoftHSM v2"
      and r["attributes"] == r["attributes_promised"] and r["chunks_per_second"] == 50
      and r["streams"] == int(max(x["per_second"] for x in r["rates"]) // 50)
      and re.fullmatch(r"this token sustains about %d concurrent streams? at 50 chunks/s"
                       % r["streams"], r["verdict"]) is not None)
print("yes" if ok else json.dumps(r))' "$IT_OUT")" yes

(umask 077 && printf '0000\n' >"$TAP_TMP/wrong-pin")
P11TEE_TOKEN="pkcs11:token=it-token?pin-source=file:$TAP_TMP/wrong-pin" \
    it_run token check --seconds 0
it_check_rc "token check with a wrong PIN: token exit code" 7
it_check_grep "... the login step fails" "$IT_OUT" \
    '^login *FAIL *login to token "it-token" (slot [0-9]*, serial [0-9a-f]*, model SoftHSM v2) failed (C_Login: CKR_PIN_INCORRECT)'
it_check_grep "... and names the PIN file" "$IT_OUT" "check the PIN from the PIN file $TAP_TMP/wrong-pin"
it_check_grep "... the steps after it are not checked" "$IT_OUT" "^keygen *not checked"
it_check_eq "... the error is said once, with no cause repeating it" \
    "$(grep -c 'CKR_PIN_INCORRECT' "$IT_ERR") $(grep -c 'cause:' "$IT_ERR")" "1 0"

it_run token check --seconds 0
it_check_rc "after a wrong PIN SoftHSM reports a low count: still works" 0
it_check_grep "... with a warning naming the token" "$IT_ERR" \
    'warning: token "it-token" (slot [0-9]*, serial [0-9a-f]*, model SoftHSM v2) reports a low PIN retry count (CKF_USER_PIN_COUNT_LOW)'

it_run --token "pkcs11:token=no-such-token?pin-source=file:$TAP_TMP/pin" token check
it_check_rc "token check of an unknown token: token exit code" 7
it_check_grep "... names the tokens present" "$IT_OUT" \
    '^token *FAIL *no initialised token matches pkcs11:token=no-such-token?pin-source=.* present: "it-token" (slot [0-9]*, serial [0-9a-f]*, model SoftHSM v2)'
it_run --module /nonexistent/libpkcs11.so token check
it_check_rc "token check of a missing module: token exit code" 7
it_check_grep "... in the module step, naming --module" "$IT_OUT" \
    "^module *FAIL *PKCS#11 module /nonexistent/libpkcs11.so: No such file or directory; check --module"
env -u P11TEE_MODULE "$top_builddir/p11tee" token check </dev/null >"$IT_OUT" 2>"$IT_ERR" &&
    IT_RC=0 || IT_RC=$?
it_check_rc "token check without a module: configuration error" 1
it_check_grep "... says where a module can be named" "$IT_ERR" \
    "error: --module (or P11TEE_MODULE) is not configured: name the PKCS#11 module there, or with module-path= or module-name= in P11TEE_TOKEN"

# ---- the PIN at a terminal -------------------------------------------------------------
P11TEE_TOKEN=$NOPIN ptyrun --pin "$IT_PIN" "$TAP_TMP/tty" -- \
    "$top_builddir/p11tee" token check --seconds 0 && IT_RC=0 || IT_RC=$?
it_check_rc "no PIN source on a terminal: asked for the PIN" 0
it_check_grep "... the prompt names the token" "$TAP_TMP/tty" \
    'PIN for token "it-token" (slot [0-9]*, serial [0-9a-f]*, model SoftHSM v2): '
it_check_no_grep "... the PIN typed is not echoed" "$TAP_TMP/tty" "$IT_PIN"
it_check_grep "... and logged in with it" "$TAP_TMP/tty" "logged in with the PIN from the prompt"

P11TEE_TOKEN=$NOPIN ptyrun --pin "$IT_PIN" "$TAP_TMP/tty" -- \
    "$top_builddir/p11tee" $P chat -m "$E2EE_MODEL" "typed at the prompt" && IT_RC=0 || IT_RC=$?
it_check_rc "an E2EE chat with the PIN typed at the prompt" 0
it_check_grep "... answers" "$TAP_TMP/tty" "$(it_answer "typed at the prompt")"
it_check_no_grep "... never showing the PIN" "$TAP_TMP/tty" "$IT_PIN"

P11TEE_TOKEN=$NOPIN ptyrun --pin 0000 "$TAP_TMP/tty" -- \
    "$top_builddir/p11tee" token check --seconds 0 && IT_RC=0 || IT_RC=$?
it_check_rc "a wrong PIN typed: token exit code" 7
it_check_eq "... asked once, never again" "$(grep -o 'PIN for ' "$TAP_TMP/tty" | wc -l)" 1
it_check_grep "... and said so" "$TAP_TMP/tty" "CKR_PIN_INCORRECT): check the PIN from the prompt"

P11TEE_TOKEN=$NOPIN it_run $P chat -m "$E2EE_MODEL" "no terminal"
it_check_rc "no PIN source and no terminal: token exit code" 7
it_check_grep "... the error lists the three ways, in the user's words" "$IT_ERR" \
    'error: no PIN for token "it-token" (slot [0-9]*, serial [0-9a-f]*, model SoftHSM v2) (no terminal to ask on, or none typed): add pin-source=file:/path to P11TEE_TOKEN, set P11TEE_PIN, or run on a terminal and type it'
env -u P11TEE_TOKEN "$top_builddir/p11tee" --token "$NOPIN" token check </dev/null \
    >"$IT_OUT" 2>"$IT_ERR" && IT_RC=0 || IT_RC=$?
it_check_grep "... and say --token when the token came from --token" "$IT_ERR" \
    "add pin-source=file:/path to --token,"

# ---- token flags SoftHSM does not report (faultmod.so) -----------------------------------
if [ -r "$faultmod" ]; then
    P11TEE_FAULT=none P11TEE_FAULT_TOKEN_FLAGS=40000 P11TEE_MODULE=$faultmod it_run token check
    it_check_rc "a locked PIN: token exit code" 7
    it_check_grep "... its own error; no login tried" "$IT_ERR" \
        "is locked (the token reports CKF_USER_PIN_LOCKED): its security officer must unblock it; no login was tried"
    P11TEE_FAULT=none P11TEE_FAULT_TOKEN_FLAGS=20000 P11TEE_MODULE=$faultmod it_run token check
    it_check_rc "the final PIN try: refused, token exit code" 7
    it_check_grep "... saying how to go on" "$IT_ERR" \
        "allows one more PIN attempt only (CKF_USER_PIN_FINAL_TRY): a wrong PIN would lock it, so no login was tried; make sure of the PIN, then run again with --force-final-pin-try"
    P11TEE_FAULT=none P11TEE_FAULT_TOKEN_FLAGS=20000 P11TEE_MODULE=$faultmod \
        it_run --force-final-pin-try token check --seconds 0
    it_check_rc "--force-final-pin-try logs in" 0
    it_check_grep "... with a warning" "$IT_ERR" "warning: token \"it-token\" .* allows one more PIN attempt only"
    P11TEE_FAULT=none P11TEE_FAULT_TOKEN_FLAGS=100 P11TEE_FAULT_PINPAD=$IT_PIN P11TEE_MODULE=$faultmod \
        P11TEE_TOKEN=$NOPIN it_run token check --seconds 0
    it_check_rc "a reader with a PIN pad: logged in without a PIN source" 0
    it_check_grep "... at the pad" "$IT_OUT" "logged in with the PIN from the reader's PIN pad"
else
    tap_skip "token flags through faultmod.so" "$faultmod not built"
fi

tap_done
