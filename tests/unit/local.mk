# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Unit tests of the library's layers; test_envelope runs against a throwaway
# SoftHSM token, test_envelope_interop against the reference server's Python
# envelope.
UNIT_TESTS = tests/unit/test_codec tests/unit/test_api tests/unit/test_policy \
	tests/unit/test_envelope tests/unit/test_envelope_interop tests/unit/test_text \
	tests/unit/test_report tests/unit/test_jcs tests/unit/test_aci tests/unit/test_api_flows \
	tests/unit/test_audit tests/unit/test_policy_collateral \
	tests/unit/test_policy_models tests/unit/test_replay tests/unit/test_secmem \
	tests/unit/test_redact tests/unit/test_digest
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
# test_report makes the library's allocations fail on demand: its own
# malloc, calloc, realloc, strdup and strndup stand in for the C library's.
tests_unit_test_report_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc \
	-Wl,--wrap=strdup,--wrap=strndup
