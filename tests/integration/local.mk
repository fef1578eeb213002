# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# The p11tee command and the library against the reference server.
EXTRA_DIST += tests/integration/lib.sh tests/integration/cli.sh tests/integration/faults.sh \
	tests/integration/library.sh tests/integration/token.sh tests/integration/pty_run.py \
	tests/integration/p11kit.sh tests/integration/ephemeral.sh tests/integration/gateway.sh \
	tests/integration/aci.sh tests/integration/config.sh tests/integration/scripting.sh \
	tests/integration/collateral.sh tests/integration/audit.sh \
	tests/integration/policy.sh tests/integration/secrets.sh
TESTS += tests/integration/cli.sh tests/integration/faults.sh tests/integration/library.sh \
	tests/integration/token.sh tests/integration/p11kit.sh tests/integration/ephemeral.sh \
	tests/integration/gateway.sh tests/integration/aci.sh tests/integration/config.sh \
	tests/integration/scripting.sh tests/integration/collateral.sh tests/integration/audit.sh \
	tests/integration/policy.sh tests/integration/secrets.sh
# Linked against the installed-style library: the public API must suffice.
check_PROGRAMS += tests/integration/test_library
tests_integration_test_library_LDADD = libtestlib.la libp11tee.la $(CMOCKA_LIBS)
