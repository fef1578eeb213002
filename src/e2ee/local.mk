# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# src/e2ee: an E2EE session, sealing requests and opening streamed fields, refusing
# replayed ones.
libp11tee_core_la_SOURCES += src/e2ee/e2ee.h src/e2ee/session.c src/e2ee/request.c \
	src/e2ee/replay.c
