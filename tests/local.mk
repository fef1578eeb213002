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

# Token tests: the envelope and E2EE request sealing against a throwaway SoftHSM token.
check_PROGRAMS += tests/unit/test_envelope
TESTS += tests/unit/test_envelope
tests_unit_test_envelope_SOURCES = tests/unit/test_envelope.c
tests_unit_test_envelope_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_envelope_LDADD = $(TEST_LDADD)

# Interop: the C envelope against the reference server's Python implementation.
check_PROGRAMS += tests/unit/test_envelope_interop
TESTS += tests/unit/test_envelope_interop
tests_unit_test_envelope_interop_SOURCES = tests/unit/test_envelope_interop.c
tests_unit_test_envelope_interop_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_envelope_interop_LDADD = $(TEST_LDADD)

# The p11tee command against the reference server.
EXTRA_DIST += tests/integration/lib.sh tests/integration/cli.sh tests/integration/faults.sh \
	tests/integration/library.sh
TESTS += tests/integration/cli.sh tests/integration/faults.sh
TESTS += tests/integration/library.sh
# Linked against the installed-style library: the public API must suffice.
check_PROGRAMS += tests/integration/test_library
tests_integration_test_library_SOURCES = tests/integration/test_library.c
tests_integration_test_library_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests/lib $(CMOCKA_CFLAGS)
tests_integration_test_library_LDADD = libtestlib.la libp11tee.la $(CMOCKA_LIBS)

# The examples in docs/examples/ compile against the public API (make check builds them).
check_PROGRAMS += docs/examples/attest docs/examples/chat
docs_examples_attest_SOURCES = docs/examples/attest.c
docs_examples_attest_CPPFLAGS = -I$(top_srcdir)/include
docs_examples_attest_LDADD = libp11tee.la
docs_examples_chat_SOURCES = docs/examples/chat.c
docs_examples_chat_CPPFLAGS = -I$(top_srcdir)/include
docs_examples_chat_LDADD = libp11tee.la

check_PROGRAMS += tests/unit/test_text
TESTS += tests/unit/test_text
tests_unit_test_text_SOURCES = tests/unit/test_text.c
tests_unit_test_text_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_text_LDADD = $(TEST_LDADD)
