# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Fuzz harnesses (tests/fuzz/README.md). A new harness is one file here and
# one line in FUZZ_HARNESSES; fuzz-replay (make check, every build) and
# p11tee-fuzz (libFuzzer, ./configure --enable-fuzzing) link them all.
FUZZ_HARNESSES = \
	tests/fuzz/aci.c \
	tests/fuzz/attestation.c \
	tests/fuzz/chat.c \
	tests/fuzz/chunk.c \
	tests/fuzz/codec.c \
	tests/fuzz/collateral.c \
	tests/fuzz/envelope.c \
	tests/fuzz/eth.c \
	tests/fuzz/eventlog.c \
	tests/fuzz/gateway.c \
	tests/fuzz/httperror.c \
	tests/fuzz/jcs.c \
	tests/fuzz/models.c \
	tests/fuzz/nvidia.c \
	tests/fuzz/policy.c \
	tests/fuzz/quote.c \
	tests/fuzz/signature.c \
	tests/fuzz/spdm.c \
	tests/fuzz/sse.c \
	tests/fuzz/text.c \
	tests/fuzz/uri.c

# The gateway's request parser and its JSON writer, linked alone (tests/fuzz/gateway.c
# stands in for the rest of the gateway).
FUZZ_SUPPORT = tests/fuzz/fuzz.h tests/fuzz/fuzz.c src/serve/request.c src/serve/buf.c
FUZZ_CPPFLAGS = $(AM_CPPFLAGS) $(MHD_CFLAGS)
# The library alone (no test support archives, no cmocka): a harness drives
# the library's internals and needs nothing else.
FUZZ_LDADD = libp11tee-core.la $(CRYPTO_LIBS) $(JSONC_LIBS) $(SECP256K1_LIBS) $(PTHREAD_LIBS)
EXTRA_DIST += tests/fuzz/README.md tests/fuzz/replay.sh tests/fuzz/run.sh tests/fuzz/seeds.py \
	tests/fuzz/seeds.sh

check_PROGRAMS += tests/fuzz/fuzz-replay
tests_fuzz_fuzz_replay_SOURCES = tests/fuzz/replay.c $(FUZZ_SUPPORT) $(FUZZ_HARNESSES)
tests_fuzz_fuzz_replay_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_replay_LDADD = $(FUZZ_LDADD)
TESTS += tests/fuzz/replay.sh

if FUZZING
EXTRA_PROGRAMS += tests/fuzz/p11tee-fuzz
tests_fuzz_p11tee_fuzz_SOURCES = tests/fuzz/libfuzzer.c $(FUZZ_SUPPORT) $(FUZZ_HARNESSES)
tests_fuzz_p11tee_fuzz_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_p11tee_fuzz_LDADD = $(FUZZ_LDADD)
tests_fuzz_p11tee_fuzz_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
CLEANFILES += tests/fuzz/p11tee-fuzz$(EXEEXT)
FUZZ_PROGRAM = tests/fuzz/p11tee-fuzz$(EXEEXT)
else
FUZZ_PROGRAM =
endif

# make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="sse text"] [FUZZ_SEED=N]: each
# harness under libFuzzer for N seconds (default 60) on one core, corpus and
# findings in tests/fuzz/work; a summary of executions and coverage per
# harness. FUZZ_SEED fixes libFuzzer's random seed (scripts/check.sh: 1).
FUZZ_SECONDS = 60
FUZZ_TARGETS =
FUZZ_SEED =
fuzz: tests/fuzz/fuzz-replay$(EXEEXT) $(FUZZ_PROGRAM)
	@test -n "$(FUZZ_PROGRAM)" || { \
	    echo "make fuzz: configure with --enable-fuzzing (clang) first"; exit 1; }
	@$(AM_TESTS_ENVIRONMENT) FUZZ_SECONDS='$(FUZZ_SECONDS)' FUZZ_TARGETS='$(FUZZ_TARGETS)' \
	    FUZZ_SEED='$(FUZZ_SEED)' \
	    $(SHELL) $(top_srcdir)/tests/fuzz/run.sh
.PHONY: fuzz

clean-local: clean-local-fuzz
clean-local-fuzz:
	-rm -rf tests/fuzz/corpus tests/fuzz/work
.PHONY: clean-local-fuzz
