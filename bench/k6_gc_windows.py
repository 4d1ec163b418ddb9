#!/usr/bin/env python3
"""Lines k6's own garbage collections up with the slow requests of a run.

Usage: bench/k6_gc_windows.py K6.LOG K6_START_EPOCH SAMPLES.csv[.gz] [--slow-ms 200] [--min-gc-ms 500]

K6.LOG holds k6's stderr from a run with GODEBUG=gctrace=1 (lines `gc N @Ts P%: a+b+c ms clock, ...`, T in
seconds since the k6 process started); K6_START_EPOCH is that start in Unix seconds (scripts/loadtest writes it to
k6-start-epoch). For every collection whose concurrent phase lasted at least --min-gc-ms it prints the window in
seconds from the first request, the heap, the CPU k6 spent assisting the collector, and the requests that finished
inside the window: how many and what share were slow. The last lines compare the slow share inside all such windows
with the share outside them. While Go collects, every goroutine that allocates is drafted into marking ("assist"),
so a k6 that cannot get enough CPU to finish a collection quickly slows all its virtual users at once: requests
look slow to k6, "waiting for the first byte", although the server answered them in time.
"""
import argparse
import csv
import gzip
import re
import sys

GC = re.compile(r"^gc (\d+) @([\d.]+)s \d+%: ([\d.]+)\+([\d.]+)\+([\d.]+) ms clock, "
                r"[\d.]+\+([\d.]+)/([\d.]+)/([\d.]+)\+[\d.]+ ms cpu, (\d+)->(\d+)->(\d+) MB")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("start", type=float)
    parser.add_argument("samples")
    parser.add_argument("--slow-ms", type=float, default=200.0)
    parser.add_argument("--min-gc-ms", type=float, default=500.0)
    args = parser.parse_args()

    windows = []
    for line in open(args.log, errors="replace"):
        m = GC.search(line.strip())
        if not m:
            continue
        begin = args.start + float(m.group(2))
        clock_ms = float(m.group(3)) + float(m.group(4)) + float(m.group(5))
        if clock_ms < args.min_gc_ms:
            continue
        windows.append({"gc": int(m.group(1)), "begin": begin, "end": begin + clock_ms / 1000,
                        "assist_ms": float(m.group(6)), "heap_mb": int(m.group(10)), "total": 0, "slow": 0})

    opener = gzip.open if args.samples.endswith(".gz") else open
    first = None
    inside = [0, 0]
    outside = [0, 0]
    with opener(args.samples, "rt", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        name_i, time_i, value_i = header.index("metric_name"), header.index("timestamp"), header.index("metric_value")
        for row in reader:
            if row[name_i] != "http_req_duration":
                continue
            t, duration = float(row[time_i]), float(row[value_i])
            first = t if first is None else min(first, t)
            slow = duration >= args.slow_ms
            hit = None
            for w in windows:
                # k6 stamps a request when it ends; count it in a window it overlapped.
                if w["begin"] - duration / 1000 <= t <= w["end"] + 1:
                    hit = w
                    break
            bucket = inside if hit else outside
            bucket[0] += 1
            bucket[1] += slow
            if hit:
                hit["total"] += 1
                hit["slow"] += slow

    if first is None:
        print("no http_req_duration rows", file=sys.stderr)
        return 1
    print(f"k6 collections of {args.min_gc_ms:g} ms or more, in seconds from the first request:")
    print("gc | from s | to s | heap MB | assist ms cpu | requests ending inside | slow")
    for w in windows:
        share = 100.0 * w["slow"] / w["total"] if w["total"] else 0.0
        print(f"{w['gc']:>3} | {w['begin'] - first:>6.1f} | {w['end'] - first:>6.1f} | {w['heap_mb']:>7} | "
              f"{w['assist_ms']:>13.0f} | {w['total']:>22} | {w['slow']} ({share:.1f}%)")
    covered = sum(w["end"] - w["begin"] for w in windows)
    total_slow = inside[1] + outside[1]
    print(f"inside those collections: {inside[0]:,} requests, {inside[1]:,} slow "
          f"({100.0 * inside[1] / max(1, inside[0]):.2f}%)")
    print(f"outside them: {outside[0]:,} requests, {outside[1]:,} slow ({100.0 * outside[1] / max(1, outside[0]):.3f}%)")
    print(f"the collections cover {covered:.0f} s and hold {100.0 * inside[1] / max(1, total_slow):.0f}% of the slow "
          f"requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
