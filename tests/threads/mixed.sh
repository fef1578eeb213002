#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# 16 threads of mixed calls on one client (tests/threads/test_mixed) against
# the reference server and a throwaway SoftHSM token; the ThreadSanitizer run.
. "$top_srcdir/tests/threads/lib.sh"
threads_setup
threads_run "$top_builddir/tests/threads/test_mixed"
