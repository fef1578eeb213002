#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The p11tee command against the reference server: every happy path, the
# usage errors, offline verification, and secrets kept out of every output.
. "$top_srcdir/tests/integration/lib.sh"
it_setup
P="--policy $IT_POLICY"
py=${PYTHON3:-/usr/bin/python3}

# ---- usage ----------------------------------------------------------------
it_run --version
it_check_out "--version" "p11tee $(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")"
for cmd in models attest chat signature quote; do
    it_run "$cmd" --help
    it_check_rc "$cmd --help exits 0" 0
    it_check_grep "$cmd --help shows its usage" "$IT_OUT" "Usage: p11tee $cmd"
done
it_run
it_check_rc "no command: usage error" 2
it_check_says "... the usage on stderr" "$IT_ERR" \
    "Usage: p11tee [global options] COMMAND [options] [arguments]"
it_check_empty "... nothing on stdout" "$IT_OUT"
it_run frobnicate
it_check_rc "unknown command: usage error" 2
it_check_says "... naming the command" "$IT_ERR" \
    'p11tee: error: unknown command "frobnicate" (try p11tee --help)'
it_run chat "no model given"
it_check_rc "chat without -m: usage error" 2
it_check_grep "... the chat usage on stderr" "$IT_ERR" "^Usage: p11tee chat -m MODEL "
it_check_empty "... nothing on stdout" "$IT_OUT"
it_run models --bogus
it_check_rc "unknown option: usage error" 2
it_check_says "... naming the option" "$IT_ERR" "models: unrecognized option '--bogus'"
it_check_grep "... then the command's usage" "$IT_ERR" "^Usage: p11tee models "
it_run --token "pkcs11:token=x?pin-value=$IT_PIN" models
it_check_rc "a PIN on the command line is refused" 2
it_check_grep "... saying why" "$IT_ERR" "visible to other users"
it_check_no_grep "... without echoing it" "$IT_ERR" "$IT_PIN"
pin_refused='p11tee: error: --token must not carry pin-value: a PIN in the command line is visible to other users; use pin-source=file:PATH or $P11TEE_PIN'
it_check_says "... the whole message" "$IT_ERR" "$pin_refused"
it_run --token "pkcs11:token=x;pin-value=$IT_PIN" models
it_check_rc "a PIN in the URI's path part is refused too" 2
it_check_says "... with the same message" "$IT_ERR" "$pin_refused"
it_check_no_grep "... not echoing the PIN" "$IT_ERR" "$IT_PIN"
it_run --token "pkcs11:token=x?pin%2Dvalue=$IT_PIN" models
it_check_rc "... and a percent-encoded one" 2
it_check_says "... with the same message" "$IT_ERR" "$pin_refused"
it_run attest --input /dev/null --nonce 1234
it_check_rc "a malformed --nonce: usage error" 2
it_check_says "... saying what it wants" "$IT_ERR" \
    'p11tee: error: --nonce wants the 64 hex characters that were sent, not "1234"'

# ---- models ---------------------------------------------------------------
it_run $P models
it_check_rc "models" 0
it_check_grep "models lists the e2ee model" "$IT_OUT" "^$E2EE_MODEL .* yes   yes"
it_check_grep "models lists the plain model without TEE" "$IT_OUT" "^$PLAIN_MODEL .* no    no"
it_run $P models --e2ee
it_check_eq "models --e2ee lists exactly the two E2EE models" \
    "$(tail -n +2 "$IT_OUT" | cut -d' ' -f1 | sort | tr '\n' ' ')" \
    "$THINK_MODEL $E2EE_MODEL "
it_run $P models --tee --json
it_check_eq "models --tee --json is JSON with the three TEE models" \
    "$("$py" -c 'import json,sys; print(sorted(m["id"] for m in json.load(open(sys.argv[1]))))' "$IT_OUT")" \
    "['$THINK_MODEL', '$E2EE_MODEL', '$TEE_MODEL']"
# A global option after the command is taken, and the exit status stays that of success
# (it used to be 255: the option parser's "go on" leaked into the exit code).
it_run models $P -v --idle-timeout 30
it_check_rc "models with global options after the command exits 0" 0
it_check_grep "... and lists the models" "$IT_OUT" "^$E2EE_MODEL .* yes   yes"
it_run $P models --type image
it_check_grep "models --type image" "$IT_OUT" "^p11tee-test-image "

# ---- attest ---------------------------------------------------------------
it_run $P attest "$E2EE_MODEL"
it_check_rc "attest an e2ee model" 0
it_check_grep "attest: verdict PASS" "$IT_OUT" "^Verdict: PASS"
it_check_says "attest: the verdict line says the policy trusts TEST roots" "$IT_OUT" \
    "Verdict: PASS [TEST ROOT: the policy trusts tdx, nvidia test roots] (every check the policy requires passed)"
it_check_grep "attest: the quote chain ends at the named TEST root" "$IT_OUT" \
    "tdx.pck.chain .* pass .*TEST root"
it_check_grep "attest: GPU evidence verified to the TEST NVIDIA root" "$IT_OUT" \
    "nvidia.chain .* pass .*TEST root"
it_check_grep "attest: the nonce is bound in REPORTDATA" "$IT_OUT" "tdx.reportdata.nonce .* pass"
it_check_grep "attest: requirements in the policy file's spelling" "$IT_OUT" \
    "^  tdx.collateral.format  *not checked  *if-checked "
it_check_grep "attest: measurements shown" "$IT_OUT" \
    "mrtd .*e121cc4f249dd58e257423ef3a5837b62b3bf8592445d226ed398567b8add8b737cf4d22b905ff5e9a43702cf6da6c46"
it_run $P attest "$TEE_MODEL" --json
it_check_rc "attest --json a tee model" 0
it_check_eq "attest --json: verdict pass, no failed check" \
    "$("$py" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["verdict"], [c["name"] for c in r["checks"] if c["result"]=="FAIL"])' "$IT_OUT")" \
    "pass []"
# Results and requirements have one spelling each, the library's; a drift in
# it would let the check above pass without looking.
it_check_eq "attest --json: results and requirements spelled as the CLI and policy spell them" \
    "$("$py" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sorted({c["result"] for c in r["checks"]} - {"pass", "FAIL", "not checked"}), sorted({c["requirement"] for c in r["checks"]} - {"required", "if-checked", "advisory"}))' "$IT_OUT")" \
    "[] []"
it_run attest "$E2EE_MODEL"
it_check_rc "attest without the test roots: attestation exit code" 5
it_check_grep "... naming the PCK chain check" "$IT_ERR" "tdx.pck.chain failed"
it_check_grep "... marked FAIL and required in the report" "$IT_OUT" \
    "^  tdx.pck.chain  *FAIL  *required  *\\[blocks\\] "
it_run attest "$E2EE_MODEL" --json
it_check_rc "attest --json without the test roots: attestation exit code" 5
it_check_eq "... the JSON marks the PCK chain FAIL, required, blocking" \
    "$("$py" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["verdict"], [(c["result"], c["requirement"], c["blocking"]) for c in r["checks"] if c["name"]=="tdx.pck.chain"])' "$IT_OUT")" \
    "fail [('FAIL', 'required', True)]"
it_run $P attest "$PLAIN_MODEL"
it_check_rc "attest a model without TEE: HTTP exit code" 4
it_check_grep "... with the server's message" "$IT_ERR" "does not support TEE attestation"

# ---- policy pins ----------------------------------------------------------
mrtd=e121cc4f249dd58e257423ef3a5837b62b3bf8592445d226ed398567b8add8b737cf4d22b905ff5e9a43702cf6da6c46
rtmr3=31066d772b81523ccce7432e8df37a273672c236e8ae75016c5801287d84b9b478f9067c7abdeb7850ec00dd55a2157f
pin_policy() {
    cat >"$TAP_TMP/pins.json" <<PINS
{"version": 1,
 "test_roots": {"tdx": ["$REFSERVER_STATE/sgx_test_root.pem"],
                "nvidia": ["$REFSERVER_STATE/nvidia_test_root.pem"]},
 "tdx": {"mrtd": "$1", "rtmr3": "$2"}}
PINS
}
pin_policy "$mrtd" "$rtmr3"
it_run --policy "$TAP_TMP/pins.json" attest "$E2EE_MODEL"
it_check_rc "pinned MRTD and RTMR3 that match" 0
it_check_grep "... each pin is a check of its own" "$IT_OUT" "policy.rtmr3 .* pass"
pin_policy "$mrtd" "$(echo "$rtmr3" | sed 's/^31/32/')"
sent=$(it_stat requests.chat)
it_run --policy "$TAP_TMP/pins.json" attest "$E2EE_MODEL"
it_check_rc "a pinned RTMR3 that differs: attestation exit code" 5
it_check_grep "... names the pin" "$IT_ERR" "check policy.rtmr3 failed"
it_run --policy "$TAP_TMP/pins.json" chat -m "$E2EE_MODEL" "pinned elsewhere"
it_check_rc "... and chat refuses" 5
it_check_grep "... naming the pin" "$IT_ERR" "check policy.rtmr3 failed"
it_check_empty "... with nothing on stdout" "$IT_OUT"
it_check_eq "... sending nothing" "$(it_stat requests.chat)" "$sent"
printf '{"wrong": "compose"}' >"$TAP_TMP/compose.json"
cat >"$TAP_TMP/compose-policy.json" <<PINS
{"version": 1,
 "test_roots": {"tdx": ["$REFSERVER_STATE/sgx_test_root.pem"],
                "nvidia": ["$REFSERVER_STATE/nvidia_test_root.pem"]},
 "tdx": {"app_compose_file": "compose.json"}}
PINS
it_run --policy "$TAP_TMP/compose-policy.json" attest "$E2EE_MODEL"
it_check_rc "an app_compose pin the quote does not carry" 5
it_check_grep "... names it" "$IT_ERR" "check policy.app_compose failed"
collateral_policy() {
    cat >"$TAP_TMP/collateral-policy.json" <<PINS
{"version": 1,
 "test_roots": {"tdx": ["$REFSERVER_STATE/sgx_test_root.pem"],
                "nvidia": ["$REFSERVER_STATE/nvidia_test_root.pem"]},
 "tdx": {"app_compose_file": "$REFSERVER_STATE/app_compose.json",
         "collateral_file": "$REFSERVER_STATE/tdx_collateral.json",
         "accepted_tcb_statuses": ["$1"]}}
PINS
}
collateral_policy UpToDate
it_run --policy "$TAP_TMP/collateral-policy.json" attest "$E2EE_MODEL"
it_check_rc "app_compose pinned and collateral from the policy" 0
it_check_grep "... the app_compose pin holds" "$IT_OUT" "policy.app_compose .* pass"
it_check_grep "... TCB status evaluated from the collateral" "$IT_OUT" "tdx.tcb.status .* pass"
it_check_grep "... and shown" "$IT_OUT" "tcb_status .*UpToDate"
it_check_grep "... revocation checked" "$IT_OUT" "tdx.pck.revocation .* pass"
collateral_policy OutOfDate
it_run --policy "$TAP_TMP/collateral-policy.json" attest "$E2EE_MODEL"
it_check_rc "a TCB status the policy does not accept" 5
it_check_grep "... names the TCB check" "$IT_ERR" "check tdx.tcb.status failed"

# ---- chat -----------------------------------------------------------------
chats_before=$(it_stat chat_requests_reached_model)
it_run $P chat -m "$E2EE_MODEL" "Hello from the token"
it_check_rc "e2ee chat" 0
it_check_out "e2ee chat: the decrypted answer on stdout" "$(it_answer "Hello from the token")"
it_check_grep "e2ee chat: verification summary on stderr" "$IT_ERR" "verified: $E2EE_MODEL attested"
it_check_grep "e2ee chat: the summary says the policy trusts TEST roots" "$IT_ERR" \
    "verified: $E2EE_MODEL attested \[TEST ROOT: the policy trusts tdx, nvidia test roots\] ("
it_check_grep "e2ee chat: request id on stderr" "$IT_ERR" "request chatcmpl-[0-9a-f]* (end-to-end encrypted, keys in the token)"
it_check_eq "e2ee chat: the server decrypted exactly one prompt" \
    "$(it_stat prompts_decrypted)" "1"
request_id=$(sed -n 's/.*request \(chatcmpl-[0-9a-f]*\).*/\1/p' "$IT_ERR")

it_run_stdin "a prompt from stdin" $P chat -m "$E2EE_MODEL" -
it_check_out "e2ee chat with the prompt on stdin" "$(it_answer "a prompt from stdin")"
it_run_stdin "multi-byte: héllo wörld ✓ 漢字" $P chat -m "$E2EE_MODEL" --system "be terse"
it_check_out "e2ee chat, system message, multi-byte UTF-8 from stdin" \
    "$(it_answer "multi-byte: héllo wörld ✓ 漢字")"
it_run $P chat -m "$THINK_MODEL" think hard
it_check_rc "e2ee reasoning model" 0
it_check_out "reasoning model: the answer on stdout" "$(it_answer "think hard")"
it_check_grep "reasoning model: decrypted reasoning on stderr" "$IT_ERR" "thinking: think hard"
it_run $P chat -m "$E2EE_MODEL" --json "as json"
it_check_eq "e2ee chat --json: an OpenAI-style object" \
    "$("$py" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["object"], r["choices"][0]["message"]["content"], r["p11tee"]["e2ee"], r["usage"]["completion_tokens"])' "$IT_OUT")" \
    "chat.completion $(it_answer "as json") True 8"
it_run $P chat -m "$TEE_MODEL" "plain over TLS"
it_check_rc "tee chat, streaming" 0
it_check_out "tee chat: the answer" "$(it_answer "plain over TLS")"
it_check_grep "tee chat: attested, said to be not end-to-end encrypted" "$IT_ERR" \
    "not end-to-end encrypted"
it_run $P chat -m "$TEE_MODEL" --no-stream "in one piece"
it_check_out "tee chat, not streaming" "$(it_answer "in one piece")"
before=$(it_stat requests.chat)
attests_before=$(it_stat attestations_served)
it_run $P chat -m "$E2EE_MODEL" --no-stream "must stream"
it_check_rc "e2ee chat --no-stream is refused: crypto/E2EE exit code" 6
it_check_grep "... as E2EE requires streaming" "$IT_ERR" "E2EE requires streaming"
it_run $P chat -m "$PLAIN_MODEL" "no enclave"
it_check_rc "chat with a model outside a TEE is refused" 4
it_check_grep "... saying why" "$IT_ERR" "does not run in an attested enclave"
it_run $P chat -m no-such-model "hello"
it_check_rc "chat with an unknown model" 4
it_check_says "... named, with where to look" "$IT_ERR" \
    "p11tee: error: model no-such-model is not in the server's model list (see p11tee models)"
it_check_eq "refused chats sent nothing and attested nothing" \
    "$(it_stat requests.chat) $(it_stat attestations_served)" "$before $attests_before"

# A hostile answer must not drive the user's terminal: OSC 52 (clipboard), BEL, C1 CSI.
evil=$(printf 'a\033]52;c;ZXZpbA==\007b\302\2332Jc')
it_run $P chat -m "$E2EE_MODEL" "$evil"
it_check_out "control characters reach a file or pipe unchanged" "$(it_answer "$evil")"
if command -v script >/dev/null 2>&1; then
    script -qec "\"$top_builddir/p11tee\" $P chat -m $E2EE_MODEL '$evil'" /dev/null \
        >"$TAP_TMP/tty.out" 2>&1 </dev/null
    it_check_no_grep "on a terminal, no ESC from the answer" "$TAP_TMP/tty.out" "$(printf '\033')"
    it_check_no_grep "on a terminal, no BEL" "$TAP_TMP/tty.out" "$(printf '\007')"
    it_check_no_grep "on a terminal, no C1 CSI" "$TAP_TMP/tty.out" "$(printf '\302\233')"
    it_check_grep "... they are shown as U+FFFD" "$TAP_TMP/tty.out" "a$(printf '\357\277\275')]52;c"
else
    tap_skip "control characters neutralised on a terminal" "script(1) not found"
fi

# A stream kept alive forever must not hold a script: without a terminal a chat has a
# default total limit, which --max-time changes; at a terminal there is none.
it_run -v $P chat -m "$TEE_MODEL" "batch"
it_check_grep "chat to a pipe: the default limit for the whole chat" "$IT_ERR" \
    "^p11tee: \* stdout is not a terminal: the chat may take 900 s at most"
it_run -v --max-time 0 $P chat -m "$TEE_MODEL" "batch"
it_check_no_grep "... not with --max-time" "$IT_ERR" "may take 900 s"
if command -v script >/dev/null 2>&1; then
    script -qec "\"$top_builddir/p11tee\" -v $P chat -m $TEE_MODEL interactive" /dev/null \
        >"$TAP_TMP/tty.out" 2>&1 </dev/null
    it_check_grep "... at a terminal the chat runs" "$TAP_TMP/tty.out" "echo: interactive"
    it_check_no_grep "... with no total limit" "$TAP_TMP/tty.out" "may take 900 s"
else
    tap_skip "no default limit at a terminal" "script(1) not found"
fi
refserver_control '{"chunk_delay_ms": 400}' >/dev/null
it_run --max-time 1 $P chat -m "$TEE_MODEL" "slow"
refserver_control '{"chunk_delay_ms": 0}' >/dev/null
it_check_rc "a chat past --max-time stops: network exit code" 3
it_check_grep "... saying the whole-request limit was reached" "$IT_ERR" \
    "did not finish within 1000 ms (total timeout)"

# ---- signature ------------------------------------------------------------
it_run $P signature -m "$E2EE_MODEL" "$request_id"
it_check_rc "signature of the first chat" 0
it_check_grep "signature recovers to the attested address" "$IT_OUT" "signature.recovered .* pass"
it_run $P chat -m "$E2EE_MODEL" --save-exchange "$TAP_TMP/exchange" "keep the bytes"
it_check_rc "chat --save-exchange" 0
it_check_out "... the answer on stdout" "$(it_answer "keep the bytes")"
it_check_eq "... request and response bodies written, owner-only" \
    "$(stat -c %a "$TAP_TMP/exchange/request.json") $(stat -c %a "$TAP_TMP/exchange/response.body")" \
    "600 600"
it_check_grep "... the saved request is the sealed one" "$TAP_TMP/exchange/request.json" \
    '"enable_e2ee":true'
it_check_no_grep "... which does not carry the prompt in the clear" \
    "$TAP_TMP/exchange/request.json" "keep the bytes"
saved_id=$(sed -n 's/.*request \(chatcmpl-[0-9a-f]*\).*/\1/p' "$IT_ERR")
it_run $P signature -m "$E2EE_MODEL" "$saved_id" --request "$TAP_TMP/exchange/request.json" \
    --response "$TAP_TMP/exchange/response.body"
it_check_rc "signature with the saved bodies" 0
it_check_grep "... the request hash matches" "$IT_OUT" "signature.request_hash .* pass"
it_check_grep "... the response hash matches" "$IT_OUT" "signature.response_hash .* pass"
mkdir -m 700 "$TAP_TMP/mine"
printf 'old' >"$TAP_TMP/mine/request.json"
chmod 666 "$TAP_TMP/mine/request.json"
it_run $P chat -m "$E2EE_MODEL" --save-exchange "$TAP_TMP/mine" "again"
it_check_rc "--save-exchange into a directory with an old file" 0
it_check_out "... the answer on stdout" "$(it_answer "again")"
it_check_eq "--save-exchange makes an existing file private" \
    "$(stat -c %a "$TAP_TMP/mine/request.json")" "600"
mkdir -m 777 "$TAP_TMP/shared"
it_run $P chat -m "$E2EE_MODEL" --save-exchange "$TAP_TMP/shared" "shared dir"
it_check_rc "--save-exchange refuses a directory others can write" 1
it_check_grep "... saying why" "$IT_ERR" "nobody else can write to"
printf 'x' >>"$TAP_TMP/exchange/response.body"
it_run $P signature -m "$E2EE_MODEL" "$saved_id" --request "$TAP_TMP/exchange/request.json" \
    --response "$TAP_TMP/exchange/response.body"
it_check_rc "a response body that differs is reported, not fatal" 0
it_check_grep "... as a failed advisory check" "$IT_OUT" "signature.response_hash .* FAIL .*advisory"
it_run $P signature -m "$E2EE_MODEL" chatcmpl-00000000000000000000000000000000
it_check_rc "signature of an unknown request: HTTP exit code" 4
it_check_grep "... with the server's 404 message" "$IT_ERR" "Request id not found"

# ---- offline verification -------------------------------------------------
nonce=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
"$py" "$top_srcdir/tests/server/venice_ref.py" dump-attestation --model "$E2EE_MODEL" \
    --nonce "$nonce" --state-dir "$REFSERVER_STATE" >"$TAP_TMP/att.json" 2>"$IT_ERR"
"$py" "$top_srcdir/tests/server/venice_ref.py" dump-attestation --model "$E2EE_MODEL" \
    --nonce "$nonce" --wrapper near --state-dir "$REFSERVER_STATE" >"$TAP_TMP/near.json" 2>>"$IT_ERR"
it_run $P attest --input "$TAP_TMP/att.json" --model "$E2EE_MODEL" --nonce "$nonce"
it_check_rc "attest --input with the nonce and model" 0
it_check_grep "... offline title" "$IT_OUT" "(offline)"
it_run $P attest --input "$TAP_TMP/near.json" --model "$E2EE_MODEL" --nonce "$nonce" --json
it_check_rc "attest --input, NEAR wrapper" 0
it_check_eq "... the JSON report's verdict passes" \
    "$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"])' "$IT_OUT")" \
    "pass"
it_run $P attest --input "$TAP_TMP/att.json" --model "$E2EE_MODEL"
it_check_rc "attest --input without the nonce: freshness is not proven" 5
it_check_grep "... naming the nonce binding" "$IT_ERR" "tdx.reportdata.nonce is required"
it_run $P attest --input "$TAP_TMP/att.json" --model "$E2EE_MODEL" \
    --nonce 1111111111111111111111111111111111111111111111111111111111111111
it_check_rc "attest --input with another nonce" 5
it_check_grep "... names the nonce check" "$IT_ERR" "check nonce.echo failed: .*possible replay"
it_run $P attest --input "$TAP_TMP/att.json" --model "$TEE_MODEL" --nonce "$nonce"
it_check_rc "attest --input for another model" 5
it_check_grep "... names the model check" "$IT_ERR" "model.echo failed"
"$py" "$top_srcdir/tests/server/venice_ref.py" build-quote --out "$TAP_TMP/quote.hex" \
    --encoding hex0x --address 0x1111111111111111111111111111111111111111 --nonce "$nonce" \
    --state-dir "$REFSERVER_STATE" 2>>"$IT_ERR"
it_run $P quote "$TAP_TMP/quote.hex"
it_check_rc "quote FILE (0x hex)" 0
it_check_grep "quote shows REPORTDATA" "$IT_OUT" "reportdata .*11111111111111111111111111111111111111110000"
it_run quote "$TAP_TMP/quote.hex" --json
it_check_rc "quote without the test root fails the chain" 5
it_check_grep "... the error names the chain check" "$IT_ERR" \
    "attestation check tdx.pck.chain failed: PCK chain does not verify to a trusted root"
it_check_eq "... the JSON report's verdict fails" \
    "$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"])' "$IT_OUT")" \
    "fail"
printf 'not a quote at all\n' >"$TAP_TMP/garbage"
it_run $P quote "$TAP_TMP/garbage"
it_check_rc "quote of a file that is no quote: attestation exit code" 5
it_check_grep "... the format check fails" "$IT_OUT" "tdx.quote.format .* FAIL"
it_check_grep "... and so does the verdict" "$IT_OUT" "^Verdict: FAIL \[TEST ROOT: the policy trusts tdx, nvidia test roots\]: "
it_run quote "$TAP_TMP/quote.hex"
it_check_grep "the built-in policy trusts no test root: no TEST ROOT mark" "$IT_OUT" \
    "^Verdict: FAIL: attestation check tdx.pck.chain failed"

# ---- secrets --------------------------------------------------------------
it_run -v $P chat -m "$E2EE_MODEL" "verbose run"
it_check_rc "-v chat" 0
it_check_out "... the answer on stdout" "$(it_answer "verbose run")"
it_check_grep "-v shows the requests" "$IT_ERR" "POST"
it_check_grep "-v: a fresh ephemeral key per field costs one ECDH each" "$IT_ERR" \
    "\\* E2EE: 8 fields opened with 8 ECDH in the token"
it_check_no_grep "-v never shows the API key (stderr)" "$IT_ERR" "$REFSERVER_API_KEY"
it_check_no_grep "-v never shows the API key (stdout)" "$IT_OUT" "$REFSERVER_API_KEY"
it_check_no_grep "-v never shows the PIN" "$IT_ERR" "$IT_PIN"
P11TEE_PIN=$IT_PIN P11TEE_TOKEN=it-token it_run -v $P chat -m "$E2EE_MODEL" "pin from env"
it_check_rc "the PIN from \$P11TEE_PIN, the token by label" 0
it_check_out "... the answer on stdout" "$(it_answer "pin from env")"
it_check_no_grep "... and the PIN is never shown" "$IT_ERR" "$IT_PIN"
(umask 077 && printf 'wrong\n' >"$TAP_TMP/wrong-pin")
P11TEE_TOKEN="pkcs11:token=it-token?pin-source=file:$TAP_TMP/wrong-pin" \
    it_run $P chat -m "$E2EE_MODEL" "wrong pin"
it_check_rc "a wrong PIN: token exit code" 7
it_check_grep "... the token's answer, the token named and what to check" "$IT_ERR" \
    "^p11tee: error: login to token \"it-token\" (slot [0-9]*, serial [0-9a-f]*, model SoftHSM v2) failed (C_Login: CKR_PIN_INCORRECT): check the PIN from the PIN file $TAP_TMP/wrong-pin; a wrong PIN is not tried again\$"
it_check_empty "... nothing on stdout" "$IT_OUT"
P11TEE_TOKEN="pkcs11:token=no-such-token?pin-source=file:$TAP_TMP/pin" \
    it_run $P chat -m "$E2EE_MODEL" "no token"
it_check_rc "an unknown token: token exit code" 7
it_check_grep "... naming the URI and the tokens present" "$IT_ERR" \
    '^p11tee: error: no initialised token matches pkcs11:token=no-such-token?.*; present: "it-token" (slot [0-9]*, serial [0-9a-f]*, model SoftHSM v2)$'
P11TEE_MODULE=/nonexistent/libpkcs11.so it_run $P chat -m "$E2EE_MODEL" "no module"
it_check_rc "a missing module: token exit code" 7
it_check_says "... naming the module and the setting" "$IT_ERR" \
    "p11tee: error: PKCS#11 module /nonexistent/libpkcs11.so: No such file or directory; check P11TEE_MODULE"
env -u P11TEE_TOKEN -u P11TEE_MODULE "$top_builddir/p11tee" $P chat -m "$E2EE_MODEL" "no token" \
    >"$IT_OUT" 2>"$IT_ERR" </dev/null && IT_RC=0 || IT_RC=$?
it_check_rc "E2EE without a configured token: configuration error" 1
it_check_grep "... saying what to configure" "$IT_ERR" "needs a PKCS#11 token"
API_KEY_VENICE=not-the-key it_run $P models
it_check_rc "a wrong API key: HTTP exit code" 4
it_check_grep "... and what to do" "$IT_ERR" "401"
it_check_no_grep "... without echoing the wrong key" "$IT_ERR" "not-the-key"
(umask 077 && printf '%s\n' "$REFSERVER_API_KEY" >"$TAP_TMP/key")
env -u API_KEY_VENICE "$top_builddir/p11tee" --api-key-file "$TAP_TMP/key" $P models \
    >"$IT_OUT" 2>"$IT_ERR" </dev/null && IT_RC=0 || IT_RC=$?
it_check_rc "--api-key-file" 0
it_check_grep "... the models are listed" "$IT_OUT" "^$E2EE_MODEL .* yes   yes"
chmod 640 "$TAP_TMP/key"
env -u API_KEY_VENICE "$top_builddir/p11tee" --api-key-file "$TAP_TMP/key" $P models \
    >"$IT_OUT" 2>"$IT_ERR" </dev/null && IT_RC=0 || IT_RC=$?
it_check_rc "an API key file others may read is refused: a configuration error" 1
it_check_says "... with the chmod to run" "$IT_ERR" \
    "p11tee: error: the API key file $TAP_TMP/key is open to group or others (mode 0640): run chmod 600 $TAP_TMP/key"
it_check_empty "... and nothing on stdout" "$IT_OUT"
it_check_eq "no failed token login or stray prompt reached the model" \
    "$(it_stat chat_requests_reached_model)" "$((chats_before + 18))"

tap_done
