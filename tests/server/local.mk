# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The local Venice reference server (Python + python3-cryptography), its
# evidence builders, and their self-tests. See tests/server/README.md.

REFSERVER_PY = tests/server/venice_ref.py tests/server/app.py tests/server/state.py \
	tests/server/chat.py tests/server/model.py tests/server/attestation.py tests/server/aci.py \
	tests/server/tdx.py tests/server/collateral.py tests/server/nvidia.py \
	tests/server/pki.py tests/server/eth.py tests/server/keccak.py tests/server/ecies.py \
	tests/server/client.py tests/server/verify.py tests/server/sse_client.py \
	tests/server/taplib.py tests/server/pcs.py

TESTS += tests/server/test_builders.py tests/server/selftest.py tests/server/test_fixture.sh
EXTRA_DIST += $(REFSERVER_PY) tests/server/README.md tests/server/test_builders.py \
	tests/server/selftest.py tests/server/selftest_attest.py tests/server/test_fixture.sh

