# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The test harness: the TAP adapter (and its own test), throwaway tokens,
# the reference server fixture, suppressions, and libtestlib (cmocka
# helpers) that every C test links through the default LDADD.
TESTS += tests/lib/test_tap_run.sh
EXTRA_DIST += tests/lib/test_tap_run.sh
EXTRA_DIST += tests/lib/tap-run.sh tests/lib/tap.sh tests/lib/mktoken.sh \
	tests/lib/refserver.sh tests/lib/lsan.supp tests/lib/valgrind.supp \
	tests/lib/libtool-valgrind.sh tests/lib/p11kit.sh

check_LTLIBRARIES += libtestlib.la
libtestlib_la_SOURCES = tests/lib/testlib.c tests/lib/testclient.c tests/lib/testlib.h
libtestlib_la_LIBADD = $(CMOCKA_LIBS) $(CRYPTO_LIBS)
