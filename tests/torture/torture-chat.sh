#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Allocation torture of an E2EE chat: the reference server and a throwaway
# token (tests/integration/lib.sh's fixture), then
# tests/torture/test_torture_chat fails each allocation of the chat in turn
# (tests/torture/torture.h). The PKCS#11 module's own allocations are spared
# (a C++ module cannot survive them; see tests/torture/alloc.c).
# A chat costs a token session and a server exchange: make check fails 150
# allocations of each chat (about a minute), --enable-alloc-torture all.
. "$top_srcdir/tests/integration/lib.sh"
it_setup
P11TEE_TORTURE_SAMPLE=${P11TEE_TORTURE_SAMPLE:-150}
export P11TEE_TORTURE_SAMPLE
export P11TEE_POLICY="$IT_POLICY"
exec "$top_builddir/tests/torture/test_torture_chat" "$REFSERVER_URL" "$REFSERVER_API_KEY_FILE" \
    "$E2EE_MODEL"
