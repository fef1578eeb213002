# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Allocation torture (tests/torture/torture.h): each program replaces the
# malloc family (alloc.c) and fails every allocation of a path in turn. make
# check runs a spread sample of them; --enable-alloc-torture (or
# P11TEE_TORTURE_FULL=1) every one.
EXTRA_DIST += tests/torture/torture-attest.sh tests/torture/torture-chat.sh
check_PROGRAMS += tests/torture/test_torture_attest tests/torture/test_torture_chat
TORTURE_SUPPORT = tests/torture/torture.h tests/torture/alloc.c tests/torture/torture.c
tests_torture_test_torture_attest_SOURCES = tests/torture/test_torture_attest.c $(TORTURE_SUPPORT)
tests_torture_test_torture_chat_SOURCES = tests/torture/test_torture_chat.c $(TORTURE_SUPPORT)
# The public API, as the command uses it: libp11tee and nothing else.
tests_torture_test_torture_attest_LDADD = libp11tee.la
tests_torture_test_torture_chat_LDADD = libp11tee.la
