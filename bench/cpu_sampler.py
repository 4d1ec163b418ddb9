#!/usr/bin/env python3
"""CPU of named processes and of their threads, sampled from /proc, one row per interval.

Usage: bench/cpu_sampler.py --seconds N [--interval 0.25] NAME [NAME ...] > cpu.tsv

NAME matches a process's comm (e.g. telemetry-gatew, redis-server, k6, nginx); every process with
that comm is summed. Columns: seconds since start, then per NAME the cores used in the interval
(utime+stime ticks / interval / CLK_TCK), then the whole machine's busy cores from /proc/stat.
With --threads, the threads of the first NAME get columns of their own (by thread comm).
"""
import argparse
import os
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def comm(path):
    try:
        with open(path + "/comm") as handle:
            return handle.read().strip()
    except OSError:
        return None


def ticks(path):
    try:
        with open(path + "/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError):
        return 0


def machine_busy():
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle


def snapshot(names, threads_of_first):
    totals = {name: 0 for name in names}
    per_thread = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        name = comm(f"/proc/{pid}")
        if name not in totals:
            continue
        totals[name] += ticks(f"/proc/{pid}")
        if threads_of_first and name == names[0]:
            for tid in os.listdir(f"/proc/{pid}/task"):
                tname = comm(f"/proc/{pid}/task/{tid}") or tid
                per_thread[tname] = per_thread.get(tname, 0) + ticks(f"/proc/{pid}/task/{tid}")
    return totals, per_thread, machine_busy()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="+")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--interval", type=float, default=0.25)
    parser.add_argument("--threads", action="store_true")
    args = parser.parse_args()

    start = time.monotonic()
    previous = snapshot(args.names, args.threads)
    thread_names = sorted(previous[1])
    header = ["t"] + args.names + [f"{args.names[0]}/{t}" for t in thread_names] + ["machine"]
    print("\t".join(header), flush=True)
    while time.monotonic() - start < args.seconds:
        time.sleep(args.interval)
        current = snapshot(args.names, args.threads)
        row = [f"{time.monotonic() - start:.2f}"]
        for name in args.names:
            row.append(f"{(current[0][name] - previous[0][name]) / TICK / args.interval:.2f}")
        for tname in thread_names:
            delta = current[1].get(tname, 0) - previous[1].get(tname, 0)
            row.append(f"{max(0, delta) / TICK / args.interval:.2f}")
        row.append(f"{(current[2] - previous[2]) / TICK / args.interval:.2f}")
        print("\t".join(row), flush=True)
        previous = current
    return 0


if __name__ == "__main__":
    sys.exit(main())
