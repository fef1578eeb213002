#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The library's extensions for the gateway (tests/serve/test_chat_ext.c, or
# the program named by $1) against the reference server and a throwaway token.
. "$top_srcdir/tests/integration/lib.sh"
it_setup
export IT_POLICY REFSERVER_URL REFSERVER_API_KEY REFSERVER_PORT P11TEE_MODULE P11TEE_TOKEN
rc=0
"$top_builddir/tests/serve/${1:-test_chat_ext}" || rc=$?
exit "$rc"
