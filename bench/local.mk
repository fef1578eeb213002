# Benchmarks (make bench). Built on demand, never part of make check.
