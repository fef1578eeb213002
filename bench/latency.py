#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Copyright (C) 2026 The p11tee authors
"""Chunk latency for bench/serve.sh: join the reference server's --bench-log
(ID INDEX NS when a piece left) with the load generator's --records (ID INDEX
NS when its chunk arrived), both CLOCK_MONOTONIC on one machine; print JSON
with the matched count and the p50/p99 of arrival - departure in ms.

With --fifo US WORKERS, also the p99 an ideal gateway would reach for the
same departures: every piece waits only for one of WORKERS token workers,
first come first served, each taking US microseconds per piece, and nothing
else (no network, no HTTP thread). That is the yardstick for the latency
the server's own bursts leave to any gateway that opens each piece in the
token."""

import heapq
import json
import sys


def pct(values, p):
    return values[int(p * (len(values) - 1) + 0.5)] if values else 0.0


def fifo_p99(departures, service_ns, workers):
    free = [departures[0]] * workers if departures else []
    lat = []
    for t in departures:
        start = max(t, heapq.heappop(free))
        heapq.heappush(free, start + service_ns)
        lat.append((start + service_ns - t) / 1e6)
    lat.sort()
    return pct(lat, 0.99)


def main(args):
    sent_path, recv_path = args[0], args[1]
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
    out = {"matched": len(lat), "p50_ms": round(pct(lat, 0.5), 3),
           "p99_ms": round(pct(lat, 0.99), 3)}
    if len(args) == 5 and args[2] == "--fifo":
        out["fifo_p99_ms"] = round(fifo_p99(sorted(sent.values()), float(args[3]) * 1e3,
                                            int(args[4])), 3)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
