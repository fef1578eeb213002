# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# p11tee serve against the reference server: curl, the OpenAI Node SDK, every
# server fault, authentication and limits, disconnects, drain and reload, and
# two instances behind HAProxy, and make bench's gateway run kept working
# (bench.sh). tests/serve/lib.sh is the fixture.
SERVE_TESTS = tests/serve/chat_ext.sh tests/serve/turns.sh tests/serve/api.sh tests/serve/openai.sh tests/serve/faults.sh tests/serve/auth.sh tests/serve/lifecycle.sh tests/serve/listeners.sh tests/serve/haproxy.sh tests/serve/unit.sh \
	tests/serve/records.sh tests/serve/secrets.sh tests/serve/bench.sh
TESTS += $(SERVE_TESTS)
EXTRA_DIST += tests/serve/lib.sh tests/serve/openai_sdk.cjs $(SERVE_TESTS)
# The library's extensions for the gateway, through the public API alone.
check_PROGRAMS += tests/serve/test_chat_ext tests/serve/test_turns
tests_serve_test_chat_ext_SOURCES = tests/serve/test_chat_ext.c tests/serve/chat_ext.c \
	tests/serve/chat_ext.h
tests_serve_test_chat_ext_LDADD = libtestlib.la libp11tee.la $(CMOCKA_LIBS)
tests_serve_test_turns_SOURCES = tests/serve/test_turns.c tests/serve/chat_ext.c tests/serve/chat_ext.h
tests_serve_test_turns_LDADD = libtestlib.la libp11tee.la $(CMOCKA_LIBS)
# The gateway's output buffer (src/serve/buf.c) linked alone.
check_PROGRAMS += tests/serve/test_outq
TESTS += tests/serve/test_outq
tests_serve_test_outq_SOURCES = tests/serve/test_outq.c src/serve/buf.c
tests_serve_test_outq_CPPFLAGS = $(AM_CPPFLAGS) $(MHD_CFLAGS)
tests_serve_test_outq_LDADD = libtestlib.la libp11tee.la $(JSONC_LIBS) $(CMOCKA_LIBS)
