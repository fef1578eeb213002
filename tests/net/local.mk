# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# src/net tests: the pure parsers alone, then transfers against
# tests/net/netfixture.py.
EXTRA_DIST += tests/net/netfixture.py
NET_TESTS = tests/net/test_sse tests/net/test_http_error tests/net/test_transfer \
	tests/net/test_transfer_conn tests/net/test_tls tests/net/test_options tests/net/test_loop
check_PROGRAMS += $(NET_TESTS)
TESTS += $(NET_TESTS)
VALGRIND_TESTS += tests/net/test_sse tests/net/test_http_error tests/net/test_transfer \
	tests/net/test_transfer_conn tests/net/test_loop
TRANSFER_ENV = tests/net/transfer_env.c tests/net/transfer_env.h tests/net/fixture.c \
	tests/net/fixture.h
tests_net_test_transfer_SOURCES = tests/net/test_transfer.c $(TRANSFER_ENV)
tests_net_test_transfer_conn_SOURCES = tests/net/test_transfer_conn.c $(TRANSFER_ENV)
tests_net_test_loop_SOURCES = tests/net/test_loop.c $(TRANSFER_ENV)
tests_net_test_tls_SOURCES = tests/net/test_tls.c tests/net/fixture.c tests/net/fixture.h
tests_net_test_options_SOURCES = tests/net/test_options.c tests/net/fixture.c tests/net/fixture.h
