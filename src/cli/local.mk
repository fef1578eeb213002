# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The command-line tool: the public API only (include/p11tee/).
bin_PROGRAMS += p11tee
p11tee_SOURCES = src/cli/cli.h src/cli/process.h src/cli/main.c src/cli/cli.c src/cli/process.c src/cli/report.c \
	src/cli/cmd_models.c src/cli/cmd_attest.c src/cli/cmd_chat.c src/cli/cmd_signature.c \
	src/cli/cmd_quote.c src/cli/cmd_token.c src/cli/prompt.c src/cli/cmd_serve.c \
	src/cli/options.c src/cli/config.c src/cli/settings.c src/cli/cmd_config.c src/cli/json.c \
	src/cli/chat.h src/cli/chat_input.c src/cli/chat_output.c src/cli/chat_save.c \
	src/cli/chat_interactive.c src/cli/cmd_collateral.c src/cli/cmd_audit.c
p11tee_CPPFLAGS = $(AM_CPPFLAGS) -DSYSCONFDIR='"$(sysconfdir)"'
p11tee_LDADD = libp11tee.la $(JSONC_LIBS)
