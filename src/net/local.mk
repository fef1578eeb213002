# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# src/net: libcurl transfers and the incremental SSE parser (see net.h). The
# trust store is installed into libcurl's SSL_CTX, which needs libssl.
libp11tee_core_la_SOURCES += src/net/net.h src/net/transfer.h src/net/client.c src/net/trust.c \
	src/net/request.c src/net/log.c src/net/transfer.c src/net/http_error.c src/net/sse.c \
	src/net/cancel.c src/net/loop.c
