# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# What `make install` and the packages deliver: the shell completions follow
# --help, the openssl.cnf example of README.md works as written, the
# version is the same everywhere, and an install lands under its prefix.
PACKAGE_TESTS = tests/package/completions.sh tests/package/install.sh \
	tests/package/openssl-cnf.sh tests/package/version.sh
TESTS += $(PACKAGE_TESTS)
EXTRA_DIST += $(PACKAGE_TESTS) tests/package/zcomplete.zsh
