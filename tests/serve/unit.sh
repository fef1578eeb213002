#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The systemd unit (dist/systemd/p11tee-serve.service.in): what it promises
# (Type=notify, a dynamic user, hardening, credentials), and its ExecStart run
# as systemd would run it: secrets from a credentials directory (%d), the
# environment file's settings, READY=1 on the notification socket, a reload
# (ExecReload's SIGHUP), then SIGTERM and exit 0.
. "$top_srcdir/tests/serve/lib.sh"

unit=$top_srcdir/dist/systemd/p11tee-serve.service.in
sv_setup
for line in Type=notify NotifyAccess=main DynamicUser=yes NoNewPrivileges=yes ProtectSystem=strict \
    PrivateDevices=yes 'LoadCredential=api-key:' 'LoadCredential=pin:' \
    'ExecReload=/bin/kill -HUP $MAINPID' 'SystemCallFilter=@system-service' 'CapabilityBoundingSet=$'; do
    it_check_grep "the unit says $line" "$unit" "^$line"
done
it_check_no_grep "no secret in the unit's command line or environment" "$unit" "pin-value\|API_KEY_VENICE\|P11TEE_PIN"
if command -v systemd-analyze >/dev/null 2>&1; then
    sed -e "s|@bindir@/p11tee|$(cd "$top_builddir" && pwd)/p11tee|g" -e "s|@sysconfdir@|/etc|g" \
        "$unit" >"$TAP_TMP/p11tee-serve.service"
    if systemd-analyze verify --man=no "$TAP_TMP/p11tee-serve.service" >"$TAP_TMP/verify" 2>&1; then
        tap_ok "systemd-analyze verify accepts the unit"
    else tap_fail "systemd-analyze verify accepts the unit" "$(cat "$TAP_TMP/verify")"; fi
else
    tap_skip "systemd-analyze verify accepts the unit" "systemd-analyze is not installed"
fi

# What systemd would provide: the credentials, the environment file, the clients file.
cred=$TAP_TMP/credentials
etc=$TAP_TMP/etc
mkdir -p "$cred" "$etc/p11tee"
(umask 077 && cp "$REFSERVER_API_KEY_FILE" "$cred/api-key" && printf '%s\n' "$IT_PIN" >"$cred/pin")
KEY=unit-client-key-$$
(umask 027 && printf 'app:%s\n' "$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)" >"$etc/p11tee/clients")
cat >"$etc/p11tee/serve.env" <<ENV
P11TEE_MODULE=$SOFTHSM_MODULE
P11TEE_TOKEN_LABEL=it-token
P11TEE_SERVE_OPTIONS=--listen 127.0.0.1:0 --policy $IT_POLICY --base-url $REFSERVER_URL
ENV
exec_start=$(sed -n 's/^ExecStart=//p' "$unit" | sed -e "s|@bindir@/p11tee|$top_builddir/p11tee|" \
    -e "s|@sysconfdir@|$etc|g" -e "s|%d|$cred|g")
unset API_KEY_VENICE P11TEE_TOKEN P11TEE_MODULE VENICE_BASE_URL
# An environment file as systemd reads it: NAME=the rest of the line.
while IFS= read -r line; do
    export "${line%%=*}=${line#*=}"
done <"$etc/p11tee/serve.env"

sv_notify_socket

# systemd splits $VAR into words and keeps ${VAR} whole: so does this eval.
eval "set -- $(printf '%s' "$exec_start" | sed -e 's/\${P11TEE_TOKEN_LABEL}/"${P11TEE_TOKEN_LABEL}"/')"
"$@" >"$TAP_TMP/unit.out" 2>"$TAP_TMP/unit.log" </dev/null &
pid=$!
sv__watchdog "$pid" &
i=0
until grep -q READY=1 "$TAP_TMP/notified" 2>/dev/null || [ $i -ge 400 ]; do
    i=$((i + 1))
    sleep 0.025
done
it_check_grep "ExecStart: the gateway tells systemd it is ready" "$TAP_TMP/notified" "READY=1"
SV_URL=http://$(sv__address "$TAP_TMP/unit.log")
sv_ready || tap_fail "ExecStart: ready" "$(cat "$TAP_TMP/unit.log")"
sv_chat "{\"model\":\"$E2EE_MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"unit\"}]}" \
    -H "Authorization: Bearer $KEY"
it_check_eq "ExecStart: the API key, the PIN and the clients file as the unit passes them" \
    "$SV_STATUS $(sv_json "$SV_BODY" 'v["choices"][0]["message"]["content"]')" "200 $(it_answer unit)"
kill -HUP "$pid"
i=0
until grep -q '"event":"reload","message":"new client' "$TAP_TMP/unit.log" || [ $i -ge 200 ]; do
    i=$((i + 1))
    sleep 0.05
done
it_check_grep "ExecReload: reloaded, and systemd told" "$TAP_TMP/notified" "RELOADING=1"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
it_check_eq "SIGTERM: exit 0 (systemd counts it a clean stop)" "$rc" 0
it_check_grep "systemd heard STOPPING=1" "$TAP_TMP/notified" "STOPPING=1"
it_check_no_grep "the log never shows the PIN or the API key" "$TAP_TMP/unit.log" "$REFSERVER_API_KEY"
kill "$SV_NOTIFY_PID" 2>/dev/null
tap_done
