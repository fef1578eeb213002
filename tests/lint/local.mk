# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Checks on the tree itself: licensing lines, the layer rules of every
# #include (the tables of docs/DESIGN.md), clang-format, the man page
# against the command's --help, the size of every source file, and that
# every script parses.
LINT_TESTS = tests/lint/license.sh tests/lint/includes.sh tests/lint/format.sh \
	tests/lint/manpage.py tests/lint/sizes.sh tests/lint/syntax.sh
TESTS += $(LINT_TESTS)
EXTRA_DIST += $(LINT_TESTS) tests/lint/includes.awk tests/lint/lib.sh
