# src/net: libcurl transfers and the incremental SSE parser (see net.h).
libp11tee_core_la_SOURCES += src/net/net.h src/net/transfer.c src/net/http_error.c src/net/sse.c
# The trust store is installed into libcurl's SSL_CTX (CURLOPT_SSL_CTX_FUNCTION),
# which needs libssl itself; it ships in libssl-dev with libcrypto.
libp11tee_core_la_LIBADD += $(SSL_LIBS)

# Tests: the pure parsers alone, then transfers against tests/net/netfixture.py.
EXTRA_DIST += tests/net/netfixture.py
NET_TEST_SUPPORT = tests/net/fixture.c tests/net/fixture.h

check_PROGRAMS += tests/net/test_sse tests/net/test_http_error tests/net/test_transfer \
	tests/net/test_tls
TESTS += tests/net/test_sse tests/net/test_http_error tests/net/test_transfer tests/net/test_tls
VALGRIND_TESTS += tests/net/test_sse tests/net/test_http_error tests/net/test_transfer

tests_net_test_sse_SOURCES = tests/net/test_sse.c
tests_net_test_sse_CFLAGS = $(TEST_CFLAGS)
tests_net_test_sse_LDADD = $(TEST_LDADD)

tests_net_test_http_error_SOURCES = tests/net/test_http_error.c
tests_net_test_http_error_CFLAGS = $(TEST_CFLAGS)
tests_net_test_http_error_LDADD = $(TEST_LDADD)

tests_net_test_transfer_SOURCES = tests/net/test_transfer.c $(NET_TEST_SUPPORT)
tests_net_test_transfer_CFLAGS = $(TEST_CFLAGS)
tests_net_test_transfer_LDADD = $(TEST_LDADD) $(PTHREAD_LIBS)

tests_net_test_tls_SOURCES = tests/net/test_tls.c $(NET_TEST_SUPPORT)
tests_net_test_tls_CFLAGS = $(TEST_CFLAGS)
tests_net_test_tls_LDADD = $(TEST_LDADD)
