#!/usr/bin/env python3
"""Where the slow requests of a k6 run are: the share over a threshold and their per-second distribution.

Usage: bench/k6_slow_seconds.py SAMPLES.csv[.gz] [--slow-ms 200] [--top 12] [--json OUT]

Reads the http_req_duration and http_req_waiting rows of `k6 run --out csv=...` and prints:
  - requests, share slower than --slow-ms, p50/p95/p99/max;
  - the seconds that held slow requests, worst first: slow/total in that second, the median duration
    of that second, and how much of the slow time was spent waiting for the first byte;
  - how concentrated the slow requests are (the share of them inside the worst 3 seconds).
A stall of the whole server shows up as a few seconds in which nearly every request is slow; a server
that is merely loaded spreads its slow requests thinly over many seconds.
"""
import argparse
import csv
import gzip
import json
import statistics
import sys
from collections import defaultdict


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, int(round(p / 100 * (len(sorted_values) - 1)))))
    return sorted_values[index]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("samples")
    parser.add_argument("--slow-ms", type=float, default=200.0)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--json")
    args = parser.parse_args()

    opener = gzip.open if args.samples.endswith(".gz") else open
    durations = []
    waiting_slow = 0.0
    per_second = defaultdict(list)
    with opener(args.samples, "rt", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        name_i, time_i, value_i = header.index("metric_name"), header.index("timestamp"), header.index("metric_value")
        pending_slow = False
        for row in reader:
            metric = row[name_i]
            if metric == "http_req_duration":
                value = float(row[value_i])
                durations.append(value)
                per_second[int(float(row[time_i]))].append(value)
                pending_slow = value >= args.slow_ms
            elif metric == "http_req_waiting" and pending_slow:
                # k6 writes a request's component timings right after its duration.
                waiting_slow += float(row[value_i])
                pending_slow = False

    if not durations:
        print("no http_req_duration rows", file=sys.stderr)
        return 1
    ordered = sorted(durations)
    slow_total = sum(1 for d in durations if d >= args.slow_ms)
    slow_time = sum(d for d in durations if d >= args.slow_ms)
    start = min(per_second)
    seconds = []
    for second, values in per_second.items():
        slow = [v for v in values if v >= args.slow_ms]
        if slow:
            seconds.append((len(slow), len(values), statistics.median(values), max(values), second - start))
    seconds.sort(reverse=True)
    worst3 = sum(s[0] for s in seconds[:3])

    summary = {
        "requests": len(durations),
        "slow": slow_total,
        "slow_share_percent": 100.0 * slow_total / len(durations),
        "p50_ms": percentile(ordered, 50),
        "p95_ms": percentile(ordered, 95),
        "p99_ms": percentile(ordered, 99),
        "max_ms": ordered[-1],
        "seconds_with_slow": len(seconds),
        "slow_in_worst_3_seconds_percent": 100.0 * worst3 / slow_total if slow_total else 0.0,
        "waiting_share_of_slow_time_percent": 100.0 * waiting_slow / slow_time if slow_time else 0.0,
        "worst_seconds": [
            {"t": s[4], "slow": s[0], "total": s[1], "median_ms": s[2], "max_ms": s[3]} for s in seconds[: args.top]
        ],
    }
    print(f"requests {len(durations):,}; slower than {args.slow_ms:g} ms: {slow_total:,} "
          f"({summary['slow_share_percent']:.3f}%); p50 {summary['p50_ms']:.2f} ms, p95 {summary['p95_ms']:.2f} ms, "
          f"p99 {summary['p99_ms']:.2f} ms, max {summary['max_ms']:.0f} ms")
    print(f"slow requests fall in {len(seconds)} seconds; the worst 3 seconds hold "
          f"{summary['slow_in_worst_3_seconds_percent']:.0f}% of them; waiting for the first byte is "
          f"{summary['waiting_share_of_slow_time_percent']:.0f}% of their time")
    if seconds:
        print("second (from start) | slow / requests | median ms | max ms")
        for s in seconds[: args.top]:
            print(f"{s[4]:>6} | {s[0]:>5} / {s[1]:<5} | {s[2]:>9.1f} | {s[3]:>7.0f}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(summary, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
