# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Allocation torture (tests/torture/torture.h): each program replaces the
# malloc family (alloc.c) and fails every allocation of a path in turn. make
# check runs a spread sample of them; --enable-alloc-torture (or
# P11TEE_TORTURE_FULL=1) every one.
TORTURE_TESTS = tests/torture/torture-attest.sh tests/torture/torture-chat.sh \
	tests/torture/torture-provider.sh
EXTRA_DIST += $(TORTURE_TESTS)
TESTS += $(TORTURE_TESTS) tests/torture/test_torture_gateway tests/torture/test_torture_json
check_PROGRAMS += tests/torture/test_torture_attest tests/torture/test_torture_chat \
	tests/torture/test_torture_provider tests/torture/test_torture_gateway \
	tests/torture/test_torture_json
TORTURE_SUPPORT = tests/torture/torture.h tests/torture/alloc.c tests/torture/torture.c
tests_torture_test_torture_attest_SOURCES = tests/torture/test_torture_attest.c $(TORTURE_SUPPORT)
tests_torture_test_torture_chat_SOURCES = tests/torture/test_torture_chat.c $(TORTURE_SUPPORT)
# The public API, as the command uses it: libp11tee; libcrypto only to drop
# OpenSSL's per-thread error state between runs (torture.c).
tests_torture_test_torture_attest_LDADD = libp11tee.la $(CRYPTO_LIBS)
tests_torture_test_torture_chat_LDADD = libp11tee.la $(CRYPTO_LIBS)
# The gateway's request check linked alone, as tests/fuzz does.
tests_torture_test_torture_gateway_SOURCES = tests/torture/test_torture_gateway.c \
	src/serve/request.c src/serve/buf.c $(TORTURE_SUPPORT)
tests_torture_test_torture_gateway_CPPFLAGS = $(AM_CPPFLAGS) $(MHD_CFLAGS)
tests_torture_test_torture_gateway_LDADD = libp11tee.la $(JSONC_LIBS) $(CRYPTO_LIBS)
# The provider as OpenSSL programs load it (p11tee.so, named by openssl.cnf).
tests_torture_test_torture_provider_SOURCES = tests/torture/test_torture_provider.c \
	$(TORTURE_SUPPORT)
tests_torture_test_torture_provider_LDADD = $(CRYPTO_LIBS)
EXTRA_tests_torture_test_torture_provider_DEPENDENCIES = p11tee.la
# The helpers every document and digest goes through (src/common), linked from the core.
tests_torture_test_torture_json_SOURCES = tests/torture/test_torture_json.c $(TORTURE_SUPPORT)
tests_torture_test_torture_json_LDADD = libp11tee-core.la $(CRYPTO_LIBS) $(JSONC_LIBS) \
	$(SECP256K1_LIBS) $(PTHREAD_LIBS)
