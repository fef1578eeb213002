# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Threads on one client against the reference server and a SoftHSM token:
# single-flight attestation and 16 threads of mixed calls. scripts/check.sh
# also runs these, and only these, in a ThreadSanitizer build (--enable-tsan).
THREAD_TESTS = tests/threads/single_flight.sh tests/threads/mixed.sh
THREAD_TEST_BINS = tests/threads/test_single_flight tests/threads/test_mixed
EXTRA_DIST += $(THREAD_TESTS) tests/threads/lib.sh
TESTS += $(THREAD_TESTS)
check_PROGRAMS += $(THREAD_TEST_BINS)
tests_threads_test_single_flight_SOURCES = tests/threads/test_single_flight.c \
	tests/threads/threadlib.c tests/threads/threadlib.h
tests_threads_test_mixed_SOURCES = tests/threads/test_mixed.c tests/threads/threadlib.c \
	tests/threads/threadlib.h

# `make check-threads`: these tests alone, and the stream threads of src/net
# (tests/net/test_loop), building only what they need (scripts/check.sh runs
# them so in its ThreadSanitizer build).
check-threads: $(check_LTLIBRARIES)
	$(MAKE) $(AM_MAKEFLAGS) check-TESTS TESTS='$(THREAD_TESTS) tests/net/test_loop' \
	    check_PROGRAMS='$(THREAD_TEST_BINS) tests/net/test_loop'
.PHONY: check-threads
