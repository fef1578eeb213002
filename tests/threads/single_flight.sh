#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The session cache's single flight (tests/threads/test_single_flight) against
# the reference server and a throwaway SoftHSM token.
. "$top_srcdir/tests/threads/lib.sh"
threads_setup
threads_run "$top_builddir/tests/threads/test_single_flight"
