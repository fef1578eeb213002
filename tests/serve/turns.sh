#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The stream threads' turn ends (tests/serve/test_turns.c), set up as chat_ext.sh.
exec sh "$top_srcdir/tests/serve/chat_ext.sh" test_turns
