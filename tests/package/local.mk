# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# What `make install` and the packages deliver: the shell completions follow
# --help, the openssl.cnf example of README.md works as written, the
# version is the same everywhere, and an install lands under its prefix.
PACKAGE_TESTS = tests/package/completions.sh tests/package/openssl-cnf.sh \
	tests/package/version.sh
TESTS += $(PACKAGE_TESTS)
# install.sh configures and builds an (uninstrumented) tree of its own, so
# the sanitizer build, which would only repeat it, leaves it out.
if !SANITIZERS
TESTS += tests/package/install.sh
endif
EXTRA_DIST += $(PACKAGE_TESTS) tests/package/install.sh tests/package/zcomplete.zsh
