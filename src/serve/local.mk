# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# src/serve: `p11tee serve`, the OpenAI-compatible gateway (docs/p11tee-serve.1).
# A layer above the library: it includes include/p11tee/ and system headers
# only, and is linked into the p11tee command with libmicrohttpd and libsystemd.
p11tee_SOURCES += src/serve/serve.h src/serve/gateway.h src/serve/listen.h src/serve/main.c \
	src/serve/http.c src/serve/listen.c src/serve/job.c src/serve/chat.c src/serve/request.c \
	src/serve/answers.c src/serve/upstream.c src/serve/auth.c src/serve/pool.c \
	src/serve/watch.c src/serve/metrics.c src/serve/log.c src/serve/buf.c \
	src/serve/records.c
p11tee_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(SYSTEMD_CFLAGS)
p11tee_LDADD += $(MHD_LIBS) $(SYSTEMD_LIBS) $(CRYPTO_LIBS)
