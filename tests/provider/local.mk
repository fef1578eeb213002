# Provider tests (issue 2, item 5): each C test makes its own throwaway
# SoftHSM token; openssl-tool.sh drives the loadable module through the
# openssl tool. All of them also run under memcheck (make valgrind).

check_LTLIBRARIES += libprovtest.la
libprovtest_la_SOURCES = tests/provider/provtest.c tests/provider/provtest.h
libprovtest_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
libprovtest_la_CFLAGS = $(TEST_CFLAGS) $(P11KIT_CFLAGS)

# SoftHSM with one function made to misbehave (test_prov_faults).
check_LTLIBRARIES += tests/provider/faultmod.la
tests_provider_faultmod_la_SOURCES = tests/provider/faultmod.c
tests_provider_faultmod_la_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS)
tests_provider_faultmod_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-rpath $(abs_builddir)

PROVTEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)
PROVTEST_LDADD = libprovtest.la $(TEST_LDADD) $(LIBP11_LIBS)

PROV_C_TESTS = \
	tests/provider/test_prov_uri \
	tests/provider/test_prov_keys \
	tests/provider/test_prov_ecdh \
	tests/provider/test_prov_errors \
	tests/provider/test_prov_threads \
	tests/provider/test_prov_fork \
	tests/provider/test_prov_faults \
	tests/provider/test_prov_lifecycle

check_PROGRAMS += $(PROV_C_TESTS)
TESTS += $(PROV_C_TESTS) tests/provider/openssl-tool.sh
VALGRIND_TESTS += $(PROV_C_TESTS)
EXTRA_DIST += tests/provider/openssl-tool.sh

tests_provider_test_prov_keys_SOURCES = tests/provider/test_prov_keys.c
tests_provider_test_prov_keys_CPPFLAGS = $(PROVTEST_CPPFLAGS)
tests_provider_test_prov_keys_CFLAGS = $(TEST_CFLAGS)
tests_provider_test_prov_keys_LDADD = $(PROVTEST_LDADD)

tests_provider_test_prov_ecdh_SOURCES = tests/provider/test_prov_ecdh.c
tests_provider_test_prov_ecdh_CPPFLAGS = $(PROVTEST_CPPFLAGS)
tests_provider_test_prov_ecdh_CFLAGS = $(TEST_CFLAGS)
tests_provider_test_prov_ecdh_LDADD = $(PROVTEST_LDADD)

tests_provider_test_prov_errors_SOURCES = tests/provider/test_prov_errors.c
tests_provider_test_prov_errors_CPPFLAGS = $(PROVTEST_CPPFLAGS)
tests_provider_test_prov_errors_CFLAGS = $(TEST_CFLAGS)
tests_provider_test_prov_errors_LDADD = $(PROVTEST_LDADD)

tests_provider_test_prov_threads_SOURCES = tests/provider/test_prov_threads.c
tests_provider_test_prov_threads_CPPFLAGS = $(PROVTEST_CPPFLAGS)
tests_provider_test_prov_threads_CFLAGS = $(TEST_CFLAGS)
tests_provider_test_prov_threads_LDADD = $(PROVTEST_LDADD)

tests_provider_test_prov_fork_SOURCES = tests/provider/test_prov_fork.c
tests_provider_test_prov_fork_CPPFLAGS = $(PROVTEST_CPPFLAGS)
tests_provider_test_prov_fork_CFLAGS = $(TEST_CFLAGS)
tests_provider_test_prov_fork_LDADD = $(PROVTEST_LDADD)

tests_provider_test_prov_uri_SOURCES = tests/provider/test_prov_uri.c
tests_provider_test_prov_uri_CPPFLAGS = $(PROVTEST_CPPFLAGS)
tests_provider_test_prov_uri_CFLAGS = $(TEST_CFLAGS)
tests_provider_test_prov_uri_LDADD = $(PROVTEST_LDADD)

tests_provider_test_prov_faults_SOURCES = tests/provider/test_prov_faults.c
tests_provider_test_prov_faults_CPPFLAGS = $(PROVTEST_CPPFLAGS)
tests_provider_test_prov_faults_CFLAGS = $(TEST_CFLAGS)
tests_provider_test_prov_faults_LDADD = $(PROVTEST_LDADD)
EXTRA_tests_provider_test_prov_faults_DEPENDENCIES = tests/provider/faultmod.la

tests_provider_test_prov_lifecycle_SOURCES = tests/provider/test_prov_lifecycle.c
tests_provider_test_prov_lifecycle_CPPFLAGS = $(PROVTEST_CPPFLAGS)
tests_provider_test_prov_lifecycle_CFLAGS = $(TEST_CFLAGS)
tests_provider_test_prov_lifecycle_LDADD = $(PROVTEST_LDADD)
