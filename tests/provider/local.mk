# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Provider tests: each C test makes its own throwaway SoftHSM token;
# openssl-tool.sh drives the loadable module through the openssl tool. All of
# them also run under memcheck (make valgrind). libprovtest (in every test's
# LDADD) holds their EVP helpers.

check_LTLIBRARIES += libprovtest.la
libprovtest_la_SOURCES = tests/provider/provtest.c tests/provider/provtest.h

# SoftHSM with one function made to misbehave (test_prov_faults).
check_LTLIBRARIES += tests/provider/faultmod.la
tests_provider_faultmod_la_SOURCES = tests/provider/faultmod.c
tests_provider_faultmod_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-rpath $(abs_builddir)

PROV_C_TESTS = \
	tests/provider/test_prov_uri \
	tests/provider/test_prov_keys \
	tests/provider/test_prov_ecdh \
	tests/provider/test_prov_errors \
	tests/provider/test_prov_threads \
	tests/provider/test_prov_fork \
	tests/provider/test_prov_faults \
	tests/provider/test_prov_lifecycle \
	tests/provider/test_prov_pin \
	tests/provider/test_prov_p11kit

check_PROGRAMS += $(PROV_C_TESTS)
TESTS += $(PROV_C_TESTS) tests/provider/openssl-tool.sh
VALGRIND_TESTS += $(PROV_C_TESTS)
EXTRA_DIST += tests/provider/openssl-tool.sh
EXTRA_tests_provider_test_prov_faults_DEPENDENCIES = tests/provider/faultmod.la
EXTRA_tests_provider_test_prov_pin_DEPENDENCIES = tests/provider/faultmod.la
EXTRA_tests_provider_test_prov_fork_DEPENDENCIES = tests/provider/faultmod.la
