# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The command-line tool: the public API only (include/p11tee/).
bin_PROGRAMS += p11tee
p11tee_SOURCES = src/cli/cli.h src/cli/main.c src/cli/cli.c src/cli/process.c src/cli/report.c \
	src/cli/cmd_models.c src/cli/cmd_attest.c src/cli/cmd_chat.c src/cli/cmd_signature.c \
	src/cli/cmd_quote.c src/cli/cmd_token.c src/cli/prompt.c src/cli/cmd_serve.c \
	src/cli/options.c
p11tee_LDADD = libp11tee.la $(JSONC_LIBS)
