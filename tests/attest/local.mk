# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# src/attest tests: the check table against the policy and the docs, TDX
# parsing, verification and collateral, NVIDIA evidence, Keccak and
# EIP-191. libattesttest (in every test's LDADD) holds what they share: the
# real vectors, the reference server's builders, report assertions.
check_LTLIBRARIES += libattesttest.la
libattesttest_la_SOURCES = tests/attest/tdx_testutil.c tests/attest/tdx_testutil.h \
	tests/attest/test_nvidia_util.c tests/attest/test_nvidia_util.h

ATTEST_TESTS = tests/attest/test_checks tests/attest/test_tdx_parse tests/attest/test_tdx_verify \
	tests/attest/test_tdx_collateral tests/attest/test_tdx_collateral_pki \
	tests/attest/test_eth tests/attest/test_eth_verify tests/attest/test_nvidia \
	tests/attest/test_nvidia_chain tests/attest/test_nvidia_gen tests/attest/test_eventlog \
	tests/attest/test_receipt tests/attest/test_collateral_alone
check_PROGRAMS += $(ATTEST_TESTS)
TESTS += $(ATTEST_TESTS)
VALGRIND_TESTS += $(ATTEST_TESTS)
