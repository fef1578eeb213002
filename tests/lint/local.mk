# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Checks on the tree itself: licensing lines and the layer rules of every
# #include (the tables of docs/DESIGN.md).
LINT_TESTS = tests/lint/license.sh tests/lint/includes.sh
TESTS += $(LINT_TESTS)
EXTRA_DIST += $(LINT_TESTS) tests/lint/includes.awk
