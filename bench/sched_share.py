#!/usr/bin/env python3
"""Who had the CPUs, second by second, from a `perf record -e sched:sched_switch -a` trace.

Usage: perf script -i sched.data -F cpu,time,trace | bench/sched_share.py [--group k6,telemetry-gatew,...]
       [--bucket 1.0] [--offcpu COMM]

Prints, per bucket, the cores each group of command names used (comm prefixes; everything else
is "other", idle is swapper). With --offcpu COMM it also prints the longest intervals the
threads of COMM spent runnable-but-preempted (prev_state=R) versus sleeping, which separates
"waiting for a CPU" from "waiting for work".
"""
import argparse
import re
import sys
from collections import defaultdict

LINE = re.compile(r"\[(\d+)\]\s+([\d.]+): prev_comm=(.*?) prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+) ==> "
                  r"next_comm=(.*?) next_pid=(\d+)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--group", default="k6,telemetry-gatew,consumer-,reactor,redis-server,nginx,swift,swift-frontend")
    parser.add_argument("--bucket", type=float, default=1.0)
    parser.add_argument("--offcpu")
    args = parser.parse_args()
    groups = args.group.split(",")

    def group_of(comm):
        if comm.startswith("swapper"):
            return "idle"
        for g in groups:
            if comm.startswith(g):
                return g
        return "other"

    running = {}  # cpu -> (comm, pid, since)
    usage = defaultdict(lambda: defaultdict(float))
    start = None
    offcpu_since = {}
    preempted, slept = [], []
    for line in sys.stdin:
        m = LINE.search(line)
        if not m:
            continue
        cpu, t = int(m.group(1)), float(m.group(2))
        prev_comm, prev_pid, prev_state, next_comm, next_pid = m.group(3), m.group(4), m.group(5), m.group(6), m.group(7)
        if start is None:
            start = t
        if cpu in running:
            comm, _, since = running[cpu]
            # split the interval over buckets
            a = since
            while a < t:
                b = min(t, (int((a - start) / args.bucket) + 1) * args.bucket + start)
                usage[int((a - start) / args.bucket)][group_of(comm)] += (b - a) / args.bucket
                a = b
        running[cpu] = (next_comm, next_pid, t)
        if args.offcpu:
            if prev_comm.startswith(args.offcpu):
                offcpu_since[prev_pid] = (t, prev_state, prev_comm)
            if next_comm.startswith(args.offcpu) and next_pid in offcpu_since:
                since, state, comm = offcpu_since.pop(next_pid)
                (preempted if state.startswith("R") else slept).append((t - since, since - start, comm))
    names = groups + ["other", "idle"]
    print("t\t" + "\t".join(names))
    for bucket in sorted(usage):
        row = usage[bucket]
        print(f"{bucket * args.bucket:.1f}\t" + "\t".join(f"{row.get(n, 0):.2f}" for n in names))
    if args.offcpu:
        for label, items in (("runnable but preempted", preempted), ("sleeping", slept)):
            items.sort(reverse=True)
            total = sum(i[0] for i in items)
            print(f"\n{args.offcpu}: {len(items)} intervals {label}, {total:.3f} s in all; longest:")
            for duration, at, comm in items[:8]:
                print(f"  {duration * 1000:8.2f} ms at t={at:.2f} ({comm})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
