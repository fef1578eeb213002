# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
# Benchmarks (make bench), never judged by make check; their programs are
# built by it, since tests/serve/bench.sh runs bench/serve.sh briefly.
# docs/PERFORMANCE.md has the results and the machine they were measured on.

BENCH_BINS += bench/bench_provider
check_PROGRAMS += bench/bench_provider
bench_bench_provider_SOURCES = bench/bench_provider.c
# It shares the provider tests' EVP helpers (tests/provider/provtest.c), which
# use the token helpers of libtestlib: that archive must come after them.
bench_bench_provider_LDADD = libprovtest.la libtestlib.la libattesttest.la libp11tee-core.la \
	$(CMOCKA_LIBS) $(CRYPTO_LIBS) $(JSONC_LIBS) $(SECP256K1_LIBS) $(LIBP11_LIBS) $(PTHREAD_LIBS)

BENCH_RUNNERS += bench/run-provider.sh
EXTRA_DIST += bench/run-provider.sh

# ECDH through the session pool with 1, 2, 4 sessions: SoftHSM directly,
# through p11-kit-proxy.so, and in another process (p11-kit-client + server).
BENCH_RUNNERS += bench/run-sessions.sh
EXTRA_DIST += bench/run-sessions.sh

# A long E2EE stream through `p11tee chat` (tests/server, SoftHSM): chunks/s,
# client CPU per chunk and the share of the client's work spent in the token.
BENCH_RUNNERS += bench/stream.sh
EXTRA_DIST += bench/stream.sh

# ECDH per chunk when the server seals a response with one ephemeral key.
BENCH_RUNNERS += bench/ephemeral.sh
EXTRA_DIST += bench/ephemeral.sh

# p11tee serve under load (bench/serve.sh): a C load generator on libcurl
# multi, the direct-library yardstick for time to first token, and the chunk
# latency join of the reference server's --bench-log with the generator's records.
BENCH_BINS += bench/loadgen bench/ttft_direct
check_PROGRAMS += bench/loadgen bench/ttft_direct
bench_loadgen_SOURCES = bench/loadgen.c
bench_loadgen_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS)
bench_loadgen_LDADD = $(CURL_LIBS)
bench_ttft_direct_SOURCES = bench/ttft_direct.c
bench_ttft_direct_LDADD = libp11tee.la
BENCH_RUNNERS += bench/serve.sh
EXTRA_DIST += bench/serve.sh bench/latency.py
