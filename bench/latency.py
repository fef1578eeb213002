#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""Chunk latency for bench/serve.sh: join the reference server's --bench-log
(ID INDEX NS when a piece left) with the load generator's --records (ID INDEX
NS when its chunk arrived), both CLOCK_MONOTONIC on one machine; print JSON
with the matched count and the p50/p99 of arrival - departure in ms."""

import json
import sys


def main(sent_path, recv_path):
    sent = {}
    with open(sent_path) as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3:
                sent[(parts[0], parts[1])] = int(parts[2])
    lat = []
    with open(recv_path) as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3 and (parts[0], parts[1]) in sent:
                lat.append((int(parts[2]) - sent[(parts[0], parts[1])]) / 1e6)
    lat.sort()

    def pct(p):
        return lat[int(p * (len(lat) - 1) + 0.5)] if lat else 0.0

    print(json.dumps({"matched": len(lat), "p50_ms": round(pct(0.5), 3),
                      "p99_ms": round(pct(0.99), 3)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
