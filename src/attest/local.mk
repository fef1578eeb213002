# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# src/attest: every trust decision (docs/DESIGN.md, "Trust decisions"):
# the check table, report and policy, TDX quotes and collateral, NVIDIA
# evidence, Keccak and EIP-191 signatures, dstack's event log, ACI keysets and receipts. attest.h (with collateral.h) is what src/api uses;
# the other headers are one per module, internal to the layer.
libp11tee_core_la_SOURCES += src/attest/attest.h src/attest/evidence.h src/attest/collateral.h src/attest/checks.h src/attest/checks.c \
	src/attest/report.c src/attest/policy.h src/attest/policy.c src/attest/policy_tdx.c \
	src/attest/policy_collateral.c src/attest/policy_models.c src/attest/presets.c src/attest/evidence.c \
	src/attest/pki.h src/attest/pki.c \
	src/attest/tdx.h src/attest/tdx.c src/attest/tdx_verify.c src/attest/collateral.c \
	src/attest/collateral_alone.c src/attest/collateral_pcs.c \
	src/attest/tdx_tcb.c src/attest/tdx_pck.c \
	src/attest/nvidia.h src/attest/nvidia.c src/attest/nvidia_verify.c \
	src/attest/eth.h src/attest/eth.c src/attest/keccak.c \
	src/attest/workload.h src/attest/eventlog.c src/attest/aci.c src/attest/aci_crypto.c \
	src/attest/receipt.c
