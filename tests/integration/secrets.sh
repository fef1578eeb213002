#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The API key out of everything p11tee prints. The reference server's
# key-echo fault echoes the key in model entries, the attestation, chat ids
# and a 401's details, spelled to hide it from a naive search (JSON's \/,
# spaces or newlines between its characters); the key holds '/', '+' and
# '='. No output of p11tee may show it in any spelling a reader would
# recognise.
REFSERVER_KEY="vk-T3st/Key+With=Slash/Plus+Eq=0123456789"
. "$top_srcdir/tests/integration/lib.sh"
it_setup --fault key-echo
P="--policy $IT_POLICY"
py=${PYTHON3:-/usr/bin/python3}

# it_check_no_key DESC FILE [KEY]: the key is not in FILE, read as a person reads it:
# whitespace and controls between characters skipped, \/ \uXXXX %XX escapes decoded.
it_check_no_key() {
    found=$("$py" - "$2" "${3:-$REFSERVER_API_KEY}" <<'PY'
import re, sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
def unescape(m):
    s = m.group(0)
    if s.startswith("\\u"):
        return chr(int(s[2:], 16))
    if s.startswith("%"):
        return chr(int(s[1:], 16))
    return {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(s[1], s[1])
text = re.sub(r"\\u[0-9a-fA-F]{4}|%[0-9a-fA-F]{2}|\\.", unescape, text)
text = "".join(c for c in text if not (c.isspace() or ord(c) < 0x20 or ord(c) == 0x7f or c == "\ufffd"))
print("yes" if sys.argv[2] in text else "no")
PY
)
    if [ "$found" = no ]; then tap_ok "$1"; else
        tap_fail "$1" "the API key shows in $(basename "$2"): $(head -c 600 "$2")"
    fi
}

# Each output of each command, stdout and stderr, with -v.
it_run -v $P models
it_check_rc "models with the key echoed in every entry" 0
it_check_no_key "... not in the table" "$IT_OUT"
it_check_no_key "... not in -v lines" "$IT_ERR"
it_run $P models --json
it_check_grep "models --json: the entries are there" "$IT_OUT" '"description": *"key \[REDACTED\]"'
it_check_no_key "... the key is not" "$IT_OUT"

it_run -v $P attest "$E2EE_MODEL"
it_check_rc "attest with the key echoed in tee_provider and tee_hardware" 0
it_check_grep "... the field is shown, redacted" "$IT_OUT" "tee_provider .*key \[REDACTED\]"
it_check_no_key "... the key is not on stdout" "$IT_OUT"
it_check_no_key "... nor on stderr" "$IT_ERR"
it_run $P attest "$E2EE_MODEL" --json
it_check_no_key "attest --json" "$IT_OUT"

it_run -v $P chat -m "$E2EE_MODEL" "an id that echoes the key"
it_check_rc "chat whose id echoes the key" 0
it_check_grep "... the request id is shown, redacted" "$IT_ERR" "request chatcmpl-[0-9a-f]*-\[REDACTED\]"
it_check_no_key "... the key is not on stderr" "$IT_ERR"
it_run $P chat -m "$E2EE_MODEL" --json "json with an id that echoes the key"
it_check_grep "chat --json: the id, redacted" "$IT_OUT" '"id": *"chatcmpl-[0-9a-f]*-\[REDACTED\]"'
it_check_no_key "... the key is not in the document" "$IT_OUT"

# A wrong key that the server echoes in its 401 (message and details): the key p11tee
# sent is the one to hide.
wrong="vk-Wr0ng/Key+Also=Slash/Plus+Eq=9876543210"
API_KEY_VENICE=$wrong it_run -v $P models
it_check_rc "a wrong key, echoed in the 401: HTTP exit code" 4
it_check_grep "... the message says what happened" "$IT_ERR" \
    "server answered HTTP 401: Authentication failed for key \[REDACTED\]; check the API key"
it_check_grep "... the details are shown, redacted" "$IT_ERR" \
    'cause: details: {"sent":"\[REDACTED\]","spaced":"\[REDACTED\]"}'
it_check_no_key "... the key sent is not on stderr" "$IT_ERR" "$wrong"

# ---- a PIN in the token URI never reaches a message -------------------------------
# From the environment (the command line refuses pin-value outright): an upper-case scheme
# is a URI, not a label to echo; another spelling of pin-value is hidden as ***.
for uri in "PKCS11:token=no-such-token?pin-value=Zq8-env-PIN" \
    "pkcs11:token=it-token?PIN-VALUE=Zq8-env-PIN"; do
    P11TEE_TOKEN=$uri it_run $P chat -m "$E2EE_MODEL" "a PIN in the URI"
    it_check_rc "P11TEE_TOKEN=${uri%%\?*}?...: token exit code" 7
    it_check_no_grep "... the PIN is not on stderr" "$IT_ERR" "Zq8-env-PIN"
    it_check_no_grep "... nor on stdout" "$IT_OUT" "Zq8-env-PIN"
done
it_check_grep "... the URI is shown with *** in the PIN's place" "$IT_ERR" \
    "an unknown attribute (its name is not shown"
it_run --token "PKCS11:token=it-token?PIN%2DVALUE=Zq8-arg-PIN" $P models
it_check_rc "--token with pin-value in another spelling: usage error" 2
it_check_no_grep "... the PIN is not echoed" "$IT_ERR" "Zq8-arg-PIN"

# ---- nothing in the environment, nothing in a core ----------------------------
# A chat that stalls mid-stream (stall-stream) keeps p11tee alive, logged in to the token,
# with the key in use. The PIN comes from P11TEE_PIN (a token of its own, with a PIN no
# other bytes of the process could spell). Dumps allowed for the test
# (--allow-core-dumps): the key and the PIN live in memory kept out of cores, and the
# environment holds neither any more. (The fixture's own copy of the key,
# REFSERVER_API_KEY, is not passed on.)
core_pin="Pn-7q2Xw9ZvKd4LmT8"
sh "$top_srcdir/tests/lib/mktoken.sh" "$TAP_TMP/core-token" core-token "$core_pin" 12345678 ||
    { echo "mktoken.sh failed" >&2; exit 99; }
refserver_control '{"faults": ["stall-stream"]}' >/dev/null
# Started with a soft core size limit (the hard one as it is), p11tee drops it to 0 unless
# --allow-core-dumps, which the run below uses.
ulimit -S -c "$(ulimit -H -c)" 2>/dev/null
"$top_builddir/p11tee" $P chat -m "$E2EE_MODEL" "a chat that stalls, dumps not allowed" \
    >"$TAP_TMP/stall0.out" 2>"$TAP_TMP/stall0.err" </dev/null &
pid=$!
i=0
while [ ! -s "$TAP_TMP/stall0.out" ] && kill -0 "$pid" 2>/dev/null && [ "$i" -lt 400 ]; do
    sleep 0.05
    i=$((i + 1))
done
it_check_eq "without --allow-core-dumps a running chat may not dump core (soft limit 0)" \
    "$(awk '/^Max core file size/ { print $5 }' "/proc/$pid/limits")" "0"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
env -u REFSERVER_API_KEY SOFTHSM2_CONF="$TAP_TMP/core-token/softhsm2.conf" \
    P11TEE_TOKEN="pkcs11:token=core-token" P11TEE_PIN="$core_pin" \
    "$top_builddir/p11tee" --allow-core-dumps $P chat -m "$E2EE_MODEL" "a chat that stalls" \
    >"$TAP_TMP/stall.out" 2>"$TAP_TMP/stall.err" </dev/null &
pid=$!
i=0
while [ ! -s "$TAP_TMP/stall.out" ] && kill -0 "$pid" 2>/dev/null && [ "$i" -lt 400 ]; do
    sleep 0.05
    i=$((i + 1))
done
it_check_grep "the stalled chat printed its first pieces" "$TAP_TMP/stall.out" "^ech"
tr '\0' '\n' <"/proc/$pid/environ" >"$TAP_TMP/environ" 2>/dev/null
it_check_grep "/proc/PID/environ of the running chat is readable" "$TAP_TMP/environ" "^P11TEE_TOKEN="
it_check_no_grep "... API_KEY_VENICE is gone from it" "$TAP_TMP/environ" "API_KEY_VENICE"
it_check_no_key "... and so is the key's value" "$TAP_TMP/environ"
it_check_no_grep "... P11TEE_PIN is gone from it" "$TAP_TMP/environ" "P11TEE_PIN"
it_check_no_grep "... and so is the PIN" "$TAP_TMP/environ" "$core_pin"
it_check_core_limit_back "p11tee" "$pid"
it_check_core "a stalled chat" "$pid" "$E2EE_MODEL" "$REFSERVER_API_KEY" "$core_pin"
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
refserver_control '{"faults": ["key-echo"]}' >/dev/null

tap_done
