# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# src/api: the client, the flows and the public objects (libp11tee's API).
libp11tee_core_la_SOURCES += src/api/api.h src/api/flow.h src/api/wire.h src/api/models.c src/api/attestation.c \
	src/api/aci.c src/api/signature.c src/api/chat.c src/api/errors.c src/api/token_config.c \
	src/api/config.c src/api/http.c src/api/policy_ref.c src/api/report.c src/api/saved.c \
	src/api/flight.c src/api/token.c src/api/token_report.h src/api/token_report.c \
	src/api/token_check.c src/api/flow_models.c src/api/flow_attest.c src/api/flow_offline.c \
	src/api/route.c src/api/chat_result.c src/api/chat_ctl.c src/api/chat_stream.h \
	src/api/chat_stream.c src/api/sessions.c \
	src/api/flow_chat.c src/api/collateral.c src/api/collateral_fetch.c src/api/config_check.c \
	src/api/audit_log.c src/api/emit_policy.c \
	src/api/client.c
