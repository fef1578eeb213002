# NVIDIA GPU evidence and Ethereum response signatures (src/attest), and their tests.

libp11tee_core_la_SOURCES += src/attest/nvidia.c src/attest/nvidia_verify.c \
	src/attest/eth.c src/attest/keccak.c

check_PROGRAMS += tests/attest/test_eth tests/attest/test_nvidia tests/attest/test_nvidia_gen
TESTS += tests/attest/test_eth tests/attest/test_nvidia tests/attest/test_nvidia_gen
VALGRIND_TESTS += tests/attest/test_eth tests/attest/test_nvidia tests/attest/test_nvidia_gen
tests_attest_test_eth_SOURCES = tests/attest/test_eth.c tests/attest/tdx_testutil.c
tests_attest_test_eth_CFLAGS = $(TEST_CFLAGS) $(SECP256K1_CFLAGS)
tests_attest_test_eth_LDADD = $(TEST_LDADD) $(SECP256K1_LIBS)
tests_attest_test_nvidia_SOURCES = tests/attest/test_nvidia.c tests/attest/test_nvidia_util.c \
	tests/attest/test_nvidia_util.h tests/attest/tdx_testutil.c
tests_attest_test_nvidia_CFLAGS = $(TEST_CFLAGS)
tests_attest_test_nvidia_LDADD = $(TEST_LDADD)
tests_attest_test_nvidia_gen_SOURCES = tests/attest/test_nvidia_gen.c \
	tests/attest/test_nvidia_util.c tests/attest/test_nvidia_util.h tests/attest/tdx_testutil.c
tests_attest_test_nvidia_gen_CFLAGS = $(TEST_CFLAGS)
tests_attest_test_nvidia_gen_LDADD = $(TEST_LDADD)
