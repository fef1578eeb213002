# TDX quotes: parsing, offline verification, collateral (docs/DESIGN.md,
# "TDX quote verification"), and their tests.

libp11tee_core_la_SOURCES += src/attest/tdx.c src/attest/tdx_verify.c src/attest/collateral.c \
	src/attest/tdx_tcb.c src/attest/tdx_pck.c

# Vectors, the reference server's quote builder, report assertions.
check_LTLIBRARIES += libtdxtest.la
libtdxtest_la_SOURCES = tests/attest/tdx_testutil.c tests/attest/tdx_testutil.h
libtdxtest_la_CFLAGS = $(TEST_CFLAGS)

TDX_TESTS = tests/attest/test_tdx_parse tests/attest/test_tdx_verify \
	tests/attest/test_tdx_collateral
check_PROGRAMS += $(TDX_TESTS)
TESTS += $(TDX_TESTS)
VALGRIND_TESTS += $(TDX_TESTS)
tests_attest_test_tdx_parse_SOURCES = tests/attest/test_tdx_parse.c
tests_attest_test_tdx_parse_CFLAGS = $(TEST_CFLAGS)
tests_attest_test_tdx_parse_LDADD = libtdxtest.la $(TEST_LDADD)
tests_attest_test_tdx_verify_SOURCES = tests/attest/test_tdx_verify.c
tests_attest_test_tdx_verify_CFLAGS = $(TEST_CFLAGS)
tests_attest_test_tdx_verify_LDADD = libtdxtest.la $(TEST_LDADD)
tests_attest_test_tdx_collateral_SOURCES = tests/attest/test_tdx_collateral.c
tests_attest_test_tdx_collateral_CFLAGS = $(TEST_CFLAGS)
tests_attest_test_tdx_collateral_LDADD = libtdxtest.la $(TEST_LDADD)
