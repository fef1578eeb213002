# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# src/api: the client, the flows and the public objects (libp11tee's API).
libp11tee_core_la_SOURCES += src/api/api.h src/api/models.c src/api/attestation.c \
	src/api/signature.c src/api/chat.c src/api/client.c src/api/report.c \
	src/api/flow_attest.c src/api/flow_chat.c
