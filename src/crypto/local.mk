# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# src/crypto: codecs, key validators and the E2EE envelope.
libp11tee_core_la_SOURCES += src/crypto/crypto.h src/crypto/codec.c src/crypto/keys.c \
	src/crypto/envelope.c
