# Test harness and unit tests. Area-specific tests live in their own
# fragments (tests/<area>/local.mk), included from here.

EXTRA_DIST += tests/lib/tap-run.sh tests/lib/tap.sh tests/lib/mktoken.sh \
	tests/lib/lsan.supp tests/lib/valgrind.supp tests/lib/libtool-valgrind.sh

check_LTLIBRARIES += libtestlib.la
libtestlib_la_SOURCES = tests/lib/testlib.c tests/lib/testlib.h
libtestlib_la_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(CRYPTO_CFLAGS)
libtestlib_la_LIBADD = $(CMOCKA_LIBS) $(CRYPTO_LIBS)

# Flags for a C test that links the whole library, internals included.
TEST_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests/lib $(CMOCKA_CFLAGS) $(CRYPTO_CFLAGS) \
	$(JSONC_CFLAGS)
TEST_LDADD = libtestlib.la libp11tee-core.la $(CMOCKA_LIBS) $(CRYPTO_LIBS) $(JSONC_LIBS)

check_PROGRAMS += tests/unit/test_codec
TESTS += tests/unit/test_codec
tests_unit_test_codec_SOURCES = tests/unit/test_codec.c
tests_unit_test_codec_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_codec_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/unit/test_api
TESTS += tests/unit/test_api
tests_unit_test_api_SOURCES = tests/unit/test_api.c
tests_unit_test_api_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_api_LDADD = $(TEST_LDADD)

check_PROGRAMS += tests/unit/test_policy
TESTS += tests/unit/test_policy
tests_unit_test_policy_SOURCES = tests/unit/test_policy.c
tests_unit_test_policy_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_policy_LDADD = $(TEST_LDADD) $(SECP256K1_LIBS)
