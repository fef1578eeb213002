#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# libp11tee's public API against the reference server: the server and token
# come from the shell fixture, the checks from tests/integration/test_library.
. "$top_srcdir/tests/integration/lib.sh"
it_setup
export IT_POLICY REFSERVER_URL REFSERVER_API_KEY P11TEE_MODULE P11TEE_TOKEN TAP_TMP
# The first test (key rotation) finds the fault armed; it clears itself after one rotation.
refserver_control '{"set_faults": ["rotate-key"]}' >/dev/null
rc=0
"$top_builddir/tests/integration/test_library" || rc=$?
exit "$rc"
