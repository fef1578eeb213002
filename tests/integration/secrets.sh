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
it_check_rc "attest with the key echoed in tee_provider and workload_id" 0
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
it_check_grep "chat --json: the id, redacted" "$IT_OUT" '"id": "chatcmpl-[0-9a-f]*-\[REDACTED\]"'
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

tap_done
