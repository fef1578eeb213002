# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Documentation: the man page, the design notes, and example programs that
# make check compiles against the public API alone.
dist_man_MANS += docs/p11tee.1 docs/p11tee-serve.1 docs/p11tee-policy.5
EXTRA_DIST += docs/DESIGN.md docs/PERFORMANCE.md docs/haproxy.cfg
# The policy presets, to read and copy (src/attest/presets.c compiles them in).
presetsdir = $(pkgdatadir)/policies
dist_presets_DATA = docs/policies/strict-with-collateral.json

check_PROGRAMS += docs/examples/attest docs/examples/chat
docs_examples_attest_LDADD = libp11tee.la
docs_examples_chat_LDADD = libp11tee.la
