#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Configuration files: the system file, then the user's (or $P11TEE_CONFIG),
# then the environment, then the options; `p11tee config` shows each
# setting and where it came from, secrets as <set>; files naming a secret
# or open to others are refused; every local setting is checked before
# any request is sent or the prompt is read, with the documented exit codes.
. "$top_srcdir/tests/integration/lib.sh"
it_setup
py=${PYTHON3:-/usr/bin/python3}
C=$TAP_TMP/conf
mkdir -m 700 "$C"

# Requests the reference server received, stats and control calls aside.
sent() {
    refserver_stats | "$py" -c '
import json, sys
r = json.load(sys.stdin)["requests"]
print(sum(v for k, v in r.items() if k not in ("stats", "control")))'
}
# The line of `p11tee config` for KEY: "VALUE ORIGIN" with the padding squeezed.
config_line() {
    sed -n "s/^$1  *//p" "$IT_OUT" | tr -s ' '
}

# ---- layers ------------------------------------------------------------------
printf '# the system file\nbase-url = http://127.0.0.1:1/api/v1\nsession-ttl-s = 30\n' \
    >"$C/system"
printf 'policy-file = %s\n\n  require-e2ee = yes  \n' "$IT_POLICY" >"$C/user"
chmod 644 "$C/system" "$C/user"
export P11TEE_SYSTEM_CONFIG="$C/system" P11TEE_CONFIG="$C/user"
unset VENICE_BASE_URL
it_run config
it_check_rc "config" 0
it_check_eq "the system file sets base-url, with file and line" "$(config_line base-url)" \
    "http://127.0.0.1:1/api/v1 $C/system:2"
it_check_eq "... and session-ttl-s" "$(config_line session-ttl-s)" "30 $C/system:3"
it_check_eq "the user file (P11TEE_CONFIG) sets policy-file" "$(config_line policy-file)" \
    "$IT_POLICY $C/user:1"
it_check_eq "... and require-e2ee, yes read as 1" "$(config_line require-e2ee)" "1 $C/user:3"
it_check_eq "unset settings show their default" "$(config_line idle-timeout-ms)" "60000 default"
it_check_eq "the API key shows as <set>, from the environment" "$(config_line api-key)" \
    "<set> API_KEY_VENICE"
it_check_no_grep "... never its value" "$IT_OUT" "$REFSERVER_API_KEY"
it_check_eq "the PIN comes from the URI's pin-source" "$(config_line pin)" \
    "from the pin-source file in pkcs11-token P11TEE_TOKEN"
printf 'base-url = %s\n' "$REFSERVER_URL" >>"$C/user"
it_run config
it_check_eq "the user file overrides the system file" "$(config_line base-url)" \
    "$REFSERVER_URL $C/user:4"
VENICE_BASE_URL=http://127.0.0.1:2/api/v1 it_run config
it_check_eq "the environment overrides the files" "$(config_line base-url)" \
    "http://127.0.0.1:2/api/v1 VENICE_BASE_URL"
VENICE_BASE_URL=http://127.0.0.1:2/api/v1 it_run --base-url http://127.0.0.1:3/api/v1 config
it_check_eq "the command line overrides the environment" "$(config_line base-url)" \
    "http://127.0.0.1:3/api/v1 --base-url"
mkdir -p -m 700 "$TAP_TMP/home/.config/p11tee"
printf 'session-ttl-s = 45\n' >"$TAP_TMP/home/.config/p11tee/config"
(
    unset P11TEE_CONFIG XDG_CONFIG_HOME
    HOME=$TAP_TMP/home it_run config
)
it_check_eq "without P11TEE_CONFIG the user file is ~/.config/p11tee/config" \
    "$(config_line session-ttl-s)" "45 $TAP_TMP/home/.config/p11tee/config:1"
(
    unset P11TEE_CONFIG
    HOME=$TAP_TMP/nohome XDG_CONFIG_HOME=$TAP_TMP/home/.config it_run config
)
it_check_eq "... or \$XDG_CONFIG_HOME/p11tee/config" "$(config_line session-ttl-s)" \
    "45 $TAP_TMP/home/.config/p11tee/config:1"
it_run --connect-timeout 2.5 config
it_check_eq "an option in seconds shows as the key's milliseconds" \
    "$(config_line connect-timeout-ms)" "2500 --connect-timeout"
it_run config --json
it_check_eq "config --json: settings with value, set, origin and layer" \
    "$("$py" -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = {r["key"]: r for r in d["settings"]}
print(s["base-url"]["layer"], s["session-ttl-s"]["layer"], s["api-key"]["value"],
      s["pkcs11-module"]["layer"], s["cacert"]["set"], [f["present"] for f in d["files"]])' \
        "$IT_OUT")" \
    "user file system file <set> environment False [True, True]"

# The files' settings take effect: base-url and policy from the files, no option given.
it_run models
it_check_rc "models with base-url from the user file" 0
it_check_grep "... lists the models" "$IT_OUT" "^$E2EE_MODEL "
it_run attest "$E2EE_MODEL"
it_check_rc "attest with the policy (test roots) from the user file" 0
it_run_stdin "files" chat -m "$TEE_MODEL"
it_check_rc "require-e2ee from the user file refuses a TEE-only model (exit 4, the API class)" 4
it_check_grep "... saying so" "$IT_ERR" "E2EE"

# api-key-file in a file; the variable, a stronger source, wins over it.
printf '%s\n' "$REFSERVER_API_KEY" >"$C/key"
chmod 600 "$C/key"
printf 'api-key-file = %s\n' "$C/key" >>"$C/user"
it_run config
it_check_eq "api-key-file from the user file" "$(config_line api-key-file)" "$C/key $C/user:5"
env -u API_KEY_VENICE "$top_builddir/p11tee" models >"$IT_OUT" 2>"$IT_ERR" </dev/null &&
    IT_RC=0 || IT_RC=$?
it_check_rc "models with the API key from api-key-file in the user file" 0
API_KEY_VENICE=wrong it_run models
it_check_rc "API_KEY_VENICE overrides a file's api-key-file (a wrong key: HTTP 401)" 4

# ---- refusals ----------------------------------------------------------------
refuse() { # refuse DESC EXPECTED-LINE: P11TEE_CONFIG=$C/bad is refused, exit 1, nothing sent
    before=$(sent)
    P11TEE_CONFIG="$C/bad" it_run models
    it_check_rc "$1: exit 1" 1
    it_check_says "... $1: the message" "$IT_ERR" "$2"
    it_check_eq "... $1: nothing was sent" "$(sent)" "$before"
}
printf 'api-key = %s\n' "$REFSERVER_API_KEY" >"$C/bad"
chmod 600 "$C/bad"
refuse "an api-key line" "p11tee: error: $C/bad:1: a configuration file must not hold a secret, here the API key: keep it in a file of its own, readable by you only, and name that file with api-key-file"
it_check_no_grep "... the key is not echoed" "$IT_ERR" "$REFSERVER_API_KEY"
printf '# x\npkcs11-token = pkcs11:token=it-token?pin-value=%s\n' "$IT_PIN" >"$C/bad"
refuse "a pin-value in the token URI" "p11tee: error: $C/bad:2: a configuration file must not hold a secret, here a PIN: keep it in a file readable by you only and name it with pin-source=file:PATH in the token URI"
it_check_no_grep "... the PIN is not echoed" "$IT_ERR" "$IT_PIN"
printf 'pkcs11-token = pkcs11:token=it-token?pin%%2Dvalue=%s\n' "$IT_PIN" >"$C/bad"
refuse "a percent-encoded pin-value" "p11tee: error: $C/bad:1: a configuration file must not hold a secret, here a PIN: keep it in a file readable by you only and name it with pin-source=file:PATH in the token URI"
printf 'pin = %s\n' "$IT_PIN" >"$C/bad"
refuse "a pin line" "p11tee: error: $C/bad:1: a configuration file must not hold a secret, here a PIN: keep it in a file readable by you only and name it with pin-source=file:PATH in the token URI"
printf 'proxy = http://user:hunter2@proxy.example:3128\n' >"$C/bad"
refuse "proxy credentials" "p11tee: error: $C/bad:1: a configuration file must not hold a secret, here proxy credentials: give them in https_proxy in the environment"
it_check_no_grep "... the password is not echoed" "$IT_ERR" "hunter2"
printf 'frobnicate = 1\n' >"$C/bad"
refuse "an unknown key" "p11tee: error: $C/bad:1: unknown key \"frobnicate\" (p11tee config lists the keys)"
printf 'base-url\n' >"$C/bad"
refuse "a line without =" "p11tee: error: $C/bad:1: expected \"key = value\""
printf 'require-e2ee = maybe\n' >"$C/bad"
refuse "a flag that is not yes or no" "p11tee: error: $C/bad:1: require-e2ee wants yes or no (1 or 0), not \"maybe\""
printf 'idle-timeout-ms = 5s\n' >"$C/bad"
refuse "a number that is not one" "p11tee: error: $C/bad:1: idle-timeout-ms wants a whole number, not \"5s\""
printf 'base-url = %s\n' "$REFSERVER_URL" >"$C/bad"
chmod 664 "$C/bad"
refuse "a file others may write" "p11tee: error: $C/bad is writable by group or others (mode 0664): run chmod go-w $C/bad"
rm -f "$C/bad"
refuse "a P11TEE_CONFIG that does not exist" "p11tee: error: cannot read the configuration file $C/bad: No such file or directory"
P11TEE_CONFIG="$C/bad" it_run config --json
it_check_eq "--json: a refused file is one JSON error object on stdout" \
    "$("$py" -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; print(e["exit"], e["message"])' "$IT_OUT")" \
    "1 cannot read the configuration file $C/bad: No such file or directory"
it_run --proxy http://user:hunter2@proxy.example:3128 models
it_check_rc "--proxy with credentials: usage error" 2
it_check_no_grep "... not echoing the password" "$IT_ERR" "hunter2"

# ---- local checks before anything is sent or read ------------------------------
# stdin stays open and empty: a prompt read before the checks would hang here.
mkfifo "$TAP_TMP/stdin"
exec 3<>"$TAP_TMP/stdin"
chat_checked() { # chat_checked DESC RC EXPECTED-LINE ARGS...: refused before stdin and network
    desc=$1 rc=$2 line=$3
    shift 3
    before=$(sent)
    IT_RC=0
    it_nottyrun timeout 60 "$top_builddir/p11tee" "$@" chat -m "$E2EE_MODEL" \
        >"$IT_OUT" 2>"$IT_ERR" <&3 || IT_RC=$?
    it_check_rc "$desc: exit $rc, before reading the prompt" "$rc"
    it_check_says "... $desc: the message" "$IT_ERR" "$line"
    it_check_eq "... $desc: nothing was sent" "$(sent)" "$before"
}
chat_checked "a missing module" 7 \
    "p11tee: error: PKCS#11 module $TAP_TMP/missing.so: No such file or directory; check --module" \
    --module "$TAP_TMP/missing.so"
printf 'pkcs11-module = %s\n' "$TAP_TMP/missing.so" >>"$C/user"
module=$P11TEE_MODULE
unset P11TEE_MODULE # the variable would override the file
chat_checked "a missing module named in the user file" 7 \
    "p11tee: error: PKCS#11 module $TAP_TMP/missing.so: No such file or directory; check pkcs11-module in $C/user:6"
export P11TEE_MODULE="$module"
sed -i '$d' "$C/user"
seq 1 2000 >"$TAP_TMP/not-a-module.so"
chat_checked "a module that is not a PKCS#11 module" 7 \
    "p11tee: error: cannot load PKCS#11 module $TAP_TMP/not-a-module.so: $TAP_TMP/not-a-module.so: invalid ELF header" \
    --module "$TAP_TMP/not-a-module.so"
: >"$TAP_TMP/policy-unreadable.json"
chmod 000 "$TAP_TMP/policy-unreadable.json"
if [ "$(id -u)" -ne 0 ]; then
    chat_checked "an unreadable policy file" 1 \
        "p11tee: error: cannot open $TAP_TMP/policy-unreadable.json: Permission denied" \
        --policy "$TAP_TMP/policy-unreadable.json"
else
    tap_skip "an unreadable policy file" "root reads files of mode 000"
fi
printf '{"version": 1, "bogus": true}\n' >"$TAP_TMP/policy-bad.json"
chat_checked "an invalid policy file" 1 \
    "p11tee: error: policy key bogus is unknown or not an object (see p11tee-policy(5))" \
    --policy "$TAP_TMP/policy-bad.json"
chat_checked "a missing CA file" 1 "p11tee: error: cannot read the CA file $TAP_TMP/none.pem: check the path" \
    --cacert "$TAP_TMP/none.pem"
chmod 644 "$TAP_TMP/pin"
chat_checked "a PIN file others may read" 7 \
    "p11tee: error: the PIN file $TAP_TMP/pin is open to group or others (mode 0644): run chmod 600 $TAP_TMP/pin"
chmod 600 "$TAP_TMP/pin"
before=$(sent)
printf 'frob\n' | env -u API_KEY_VENICE P11TEE_CONFIG="$C/system" "$top_builddir/p11tee" \
    --base-url "$REFSERVER_URL" models >"$IT_OUT" 2>"$IT_ERR" && IT_RC=0 || IT_RC=$?
it_check_rc "no API key: exit 1" 1
it_check_says "... saying so" "$IT_ERR" \
    "p11tee: error: no API key is configured: the server wants one with every request"
it_check_eq "... nothing was sent" "$(sent)" "$before"
exec 3>&-

# ---- config --check ------------------------------------------------------------
it_run config --check
it_check_rc "config --check with good settings" 0
it_check_says "... says so" "$IT_OUT" "check: every local setting holds (nothing was sent)"
it_run --module "$TAP_TMP/missing.so" config --check --json
it_check_rc "config --check with a missing module: exit 7" 7
it_check_eq "... --json: one document, check false, the error inside" \
    "$("$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["check"], d["error"]["exit"], d["error"]["code"])' "$IT_OUT")" \
    "False 7 201"

tap_done
