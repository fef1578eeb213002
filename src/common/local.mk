# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# src/common: the error object, the bounded buffer, strict JSON, the text filter,
# RFC 8785 canonical JSON, redaction of the API key, memory for secrets, SHA-256.
libp11tee_core_la_SOURCES += src/common/common.h src/common/err.c src/common/buf.c \
	src/common/text.c src/common/sjson.c src/common/jcs.c src/common/sjson_raw.c \
	src/common/redact.c src/common/secmem.c src/common/digest.c
