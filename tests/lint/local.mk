# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Checks on the tree itself: licensing lines.
TESTS += tests/lint/license.sh
EXTRA_DIST += tests/lint/license.sh
