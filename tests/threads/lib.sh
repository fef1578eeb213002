# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Fixture of the thread tests: the integration fixture (a throwaway SoftHSM
# token, the reference server, a policy naming its TEST roots), exported for
# a C program. In a --enable-tsan build a ThreadSanitizer report makes the
# program exit 66 (TSan's default) after its TAP lines, which
# tests/lib/tap-run.sh reports as an ERROR. No report is suppressed.
#   threads_setup      it_setup, and the environment the C programs read
#   threads_run PROG   run PROG; exits with its status
. "$top_srcdir/tests/integration/lib.sh"

threads_setup() {
    it_setup
    export IT_POLICY REFSERVER_URL REFSERVER_API_KEY REFSERVER_PORT P11TEE_MODULE P11TEE_TOKEN
}

# Not exec: the fixture's EXIT trap stops the server.
threads_run() {
    rc=0
    "$1" || rc=$?
    exit "$rc"
}
